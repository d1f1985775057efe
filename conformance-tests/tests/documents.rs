//! State, activity profile and agent profile resources.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use conformance_tests::{TestLrs, on_both_backends, url_encode};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

on_both_backends!(
    state_round_trip_with_etag_and_merge,
    state_is_separate_per_registration_and_lists_ids,
    profiles_require_preconditions_to_overwrite,
    if_none_match_star_creates_only,
    document_resources_validate_parameters,
    state_delete_all_in_scope,
);

fn agent() -> String {
    url_encode(r#"{"objectType":"Agent","mbox":"mailto:learner@example.com"}"#)
}

fn state_path(extra: &str) -> String {
    format!(
        "/activities/state?activityId={}&agent={}{extra}",
        url_encode("http://example.com/a/1"),
        agent()
    )
}

async fn state_round_trip_with_etag_and_merge(lrs: &TestLrs) {
    let p = state_path("&stateId=bookmark");
    let r = lrs
        .req(Method::PUT, &p)
        .json(&json!({"page": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = lrs.req(Method::GET, &p).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert!(r.headers().contains_key("last-modified"));
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"page": 3}));
    let r = lrs
        .req(Method::POST, &p)
        .json(&json!({"score": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, merged) = lrs.get_json(&p).await;
    assert_eq!(merged, json!({"page": 3, "score": 10}));
    // POST of a non-object JSON document onto a JSON document is refused.
    let r = lrs
        .req(Method::POST, &p)
        .json(&json!([1, 2]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = lrs.req(Method::DELETE, &p).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(lrs.req(Method::GET, &p).send().await.unwrap().status(), 404);
}

async fn state_is_separate_per_registration_and_lists_ids(lrs: &TestLrs) {
    let reg = Uuid::new_v4();
    let put = |p: String, body: Value| async move {
        assert_eq!(
            lrs.req(Method::PUT, &p)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status(),
            204
        );
    };
    put(state_path("&stateId=a"), json!({"n": 1})).await;
    put(
        state_path(&format!("&stateId=a&registration={reg}")),
        json!({"n": 2}),
    )
    .await;
    put(
        state_path(&format!("&stateId=b&registration={reg}")),
        json!({"n": 3}),
    )
    .await;
    let (_, a) = lrs.get_json(&state_path("&stateId=a")).await;
    assert_eq!(a, json!({"n": 1}));
    let (_, mut ids) = lrs
        .get_json(&state_path(&format!("&registration={reg}")))
        .await;
    ids.as_array_mut()
        .unwrap()
        .sort_by_key(|v| v.as_str().unwrap().to_owned());
    assert_eq!(ids, json!(["a", "b"]));
}

async fn profiles_require_preconditions_to_overwrite(lrs: &TestLrs) {
    let p = format!(
        "/activities/profile?activityId={}&profileId=p1",
        url_encode("http://example.com/a/1")
    );
    let r = lrs
        .req(Method::PUT, &p)
        .json(&json!({"v": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        400,
        "1.0.3: a profile PUT without preconditions is refused even to create"
    );
    let r = lrs
        .req_v("2.0.0", Method::PUT, &p)
        .json(&json!({"v": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "2.0.0: a blind PUT may create");
    let r = lrs
        .req(Method::PUT, &p)
        .json(&json!({"v": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "a blind overwrite is a conflict");
    let etag = lrs.req(Method::GET, &p).send().await.unwrap().headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let r = lrs
        .req(Method::PUT, &p)
        .header("If-Match", "\"0000\"")
        .json(&json!({"v": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    let r = lrs
        .req(Method::PUT, &p)
        .header("If-Match", etag)
        .json(&json!({"v": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, v) = lrs.get_json(&p).await;
    assert_eq!(v, json!({"v": 2}));

    let ap = format!("/agents/profile?agent={}&profileId=prefs", agent());
    let r = lrs
        .req(Method::PUT, &ap)
        .header("If-None-Match", "*")
        .json(&json!({"lang": "sv"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, ids) = lrs
        .get_json(&format!("/agents/profile?agent={}", agent()))
        .await;
    assert_eq!(ids, json!(["prefs"]));
}

async fn if_none_match_star_creates_only(lrs: &TestLrs) {
    let p = format!("/agents/profile?agent={}&profileId=once", agent());
    let put = || {
        lrs.req(Method::PUT, &p)
            .header("If-None-Match", "*")
            .json(&json!({"x": 1}))
            .send()
    };
    assert_eq!(put().await.unwrap().status(), 204);
    assert_eq!(put().await.unwrap().status(), 412);
}

async fn document_resources_validate_parameters(lrs: &TestLrs) {
    let (status, _) = lrs.get_json("/activities/state?stateId=x").await;
    assert_eq!(status, 400, "activityId and agent are required");
    let (status, _) = lrs
        .get_json(&format!(
            "/activities/state?activityId=not%20an%20iri&agent={}&stateId=x",
            agent()
        ))
        .await;
    assert_eq!(status, 400);
    let (status, _) = lrs
        .get_json("/activities/state?activityId=http%3A%2F%2Fa&agent=%7B%7D&stateId=x")
        .await;
    assert_eq!(status, 400);
    let (status, _) = lrs
        .get_json(&state_path("&stateId=x&registration=nope"))
        .await;
    assert_eq!(status, 400);
}

async fn state_delete_all_in_scope(lrs: &TestLrs) {
    for id in ["x", "y"] {
        let r = lrs
            .req(Method::PUT, &state_path(&format!("&stateId={id}")))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    assert_eq!(
        lrs.req(Method::DELETE, &state_path(""))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let (_, ids) = lrs.get_json(&state_path("")).await;
    assert_eq!(ids, json!([]));
}
