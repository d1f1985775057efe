//! Statement resource: storing, reading, conflicts, voiding, queries and paging.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use conformance_tests::{TestLrs, on_both_backends, statement, url_encode, with};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

on_both_backends!(
    post_then_get_by_id_returns_the_statement_with_lrs_properties,
    put_stores_under_the_given_id_and_is_idempotent,
    same_id_with_different_content_is_a_conflict,
    invalid_statement_is_rejected_with_the_offending_path,
    batch_is_all_or_nothing,
    voided_statements_leave_queries_but_stay_reachable,
    filters_select_by_agent_verb_activity_and_registration,
    statement_refs_match_the_filters_of_their_target,
    more_links_page_through_results_without_gaps,
    since_until_and_ascending,
    missing_version_header_is_rejected,
    statement_id_with_other_filters_is_rejected,
    unknown_statement_is_not_found,
    formats_ids_and_canonical,
    v2_converts_timestamps_to_utc,
);

async fn post_then_get_by_id_returns_the_statement_with_lrs_properties(lrs: &TestLrs) {
    let ids = lrs.store(&statement()).await;
    assert_eq!(ids.len(), 1);
    let r = lrs
        .req(Method::GET, &format!("/statements?statementId={}", ids[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()
            .contains_key("x-experience-api-consistent-through")
    );
    assert!(r.headers().contains_key("last-modified"));
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["id"], ids[0]);
    assert_eq!(s["verb"]["id"], "http://adlnet.gov/expapi/verbs/completed");
    assert!(s["stored"].is_string());
    assert!(s["timestamp"].is_string());
    assert_eq!(s["version"], "1.0.0");
    assert_eq!(s["authority"]["account"]["name"], lrs.key.as_str());
}

async fn put_stores_under_the_given_id_and_is_idempotent(lrs: &TestLrs) {
    let id = Uuid::new_v4();
    let put = || {
        lrs.req(Method::PUT, &format!("/statements?statementId={id}"))
            .json(&statement())
            .send()
    };
    assert_eq!(put().await.unwrap().status(), 204);
    assert_eq!(
        put().await.unwrap().status(),
        204,
        "the same statement again is not a conflict"
    );
    let (status, s) = lrs.get_json(&format!("/statements?statementId={id}")).await;
    assert_eq!(status, 200);
    assert_eq!(s["id"], id.to_string());
    let r = lrs
        .req(Method::PUT, "/statements")
        .json(&statement())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "PUT needs statementId");
}

async fn same_id_with_different_content_is_a_conflict(lrs: &TestLrs) {
    let id = Uuid::new_v4().to_string();
    lrs.store(&with(statement(), "/id", json!(id))).await;
    let other = with(
        with(statement(), "/id", json!(id)),
        "/verb/id",
        json!("http://example.com/verbs/other"),
    );
    let r = lrs.post_statement(&other).await;
    assert_eq!(r.status(), 409);
}

async fn invalid_statement_is_rejected_with_the_offending_path(lrs: &TestLrs) {
    let good = statement();
    let bad = with(statement(), "/result", json!({"score": {"scaled": 1.5}}));
    let r = lrs.post_statement(&json!([good, good, good, bad])).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    let text = body.to_string();
    assert!(text.contains("statement[3].result.score.scaled"), "{text}");
    let r = lrs
        .req(Method::POST, "/statements")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

async fn batch_is_all_or_nothing(lrs: &TestLrs) {
    let id = Uuid::new_v4().to_string();
    let good = with(statement(), "/id", json!(id));
    let bad = with(statement(), "/actor", json!({"mbox": "not-a-mailto"}));
    assert_eq!(lrs.post_statement(&json!([good, bad])).await.status(), 400);
    let (status, _) = lrs.get_json(&format!("/statements?statementId={id}")).await;
    assert_eq!(status, 404, "nothing of a rejected batch is stored");

    // A conflict in the middle of a batch stores nothing either.
    let existing = Uuid::new_v4().to_string();
    lrs.store(&with(statement(), "/id", json!(existing))).await;
    let fresh = Uuid::new_v4().to_string();
    let batch = json!([
        with(statement(), "/id", json!(fresh)),
        with(
            with(statement(), "/id", json!(existing)),
            "/verb/id",
            json!("http://example.com/v/x")
        ),
    ]);
    assert_eq!(lrs.post_statement(&batch).await.status(), 409);
    let (status, _) = lrs
        .get_json(&format!("/statements?statementId={fresh}"))
        .await;
    assert_eq!(status, 404);
}

async fn voided_statements_leave_queries_but_stay_reachable(lrs: &TestLrs) {
    let target = lrs.store(&statement()).await.remove(0);
    let voiding = json!({
        "actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target}
    });
    let voiding_id = lrs.store(&voiding).await.remove(0);
    let (status, _) = lrs
        .get_json(&format!("/statements?statementId={target}"))
        .await;
    assert_eq!(
        status, 404,
        "a voided statement is not returned by statementId"
    );
    let (status, s) = lrs
        .get_json(&format!("/statements?voidedStatementId={target}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(s["id"], target);
    let (_, result) = lrs.get_json("/statements").await;
    let ids: Vec<&str> = result["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&target.as_str()));
    assert!(ids.contains(&voiding_id.as_str()));
}

async fn filters_select_by_agent_verb_activity_and_registration(lrs: &TestLrs) {
    let reg = Uuid::new_v4().to_string();
    let a = with(statement(), "/context", json!({"registration": reg}));
    let b = with(
        statement(),
        "/actor",
        json!({"mbox": "mailto:other@example.com"}),
    );
    let c = with(
        statement(),
        "/object",
        json!({"id": "http://example.com/activities/other"}),
    );
    let c = with(
        c,
        "/context",
        json!({"contextActivities": {"parent": [{"id": "http://example.com/activities/course-1"}]}}),
    );
    let ids = lrs.store(&json!([a, b, c])).await;
    let query = |q: String| async move {
        let (status, r) = lrs.get_json(&format!("/statements?{q}")).await;
        assert_eq!(status, 200, "{r}");
        let mut got: Vec<String> = r["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        got.sort();
        got
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let enc = |s: &str| url_encode(s);
    assert_eq!(
        query(format!("registration={reg}")).await,
        vec![ids[0].clone()]
    );
    assert_eq!(
        query(format!(
            "agent={}",
            enc(r#"{"mbox":"mailto:other@example.com"}"#)
        ))
        .await,
        vec![ids[1].clone()]
    );
    assert_eq!(
        query(format!(
            "activity={}",
            enc("http://example.com/activities/course-1")
        ))
        .await,
        sorted(vec![ids[0].clone(), ids[1].clone()])
    );
    assert_eq!(
        query(format!(
            "activity={}&related_activities=true",
            enc("http://example.com/activities/course-1")
        ))
        .await,
        sorted(ids.clone())
    );
    assert_eq!(
        query(format!(
            "verb={}&activity={}",
            enc("http://adlnet.gov/expapi/verbs/completed"),
            enc("http://example.com/activities/other")
        ))
        .await,
        vec![ids[2].clone()]
    );
    assert!(
        query(format!("verb={}", enc("http://example.com/never")))
            .await
            .is_empty()
    );
}

async fn statement_refs_match_the_filters_of_their_target(lrs: &TestLrs) {
    let target_id = Uuid::new_v4().to_string();
    let target = with(
        with(statement(), "/id", json!(target_id)),
        "/object",
        json!({"id": "http://example.com/activities/referenced"}),
    );
    // The referring statement arrives first; the target later.
    let referring = json!({
        "actor": {"mbox": "mailto:commenter@example.com"},
        "verb": {"id": "http://example.com/verbs/commented-on"},
        "object": {"objectType": "StatementRef", "id": target_id}
    });
    let referring_id = lrs.store(&referring).await.remove(0);
    lrs.store(&target).await;
    let (_, r) = lrs
        .get_json(&format!(
            "/statements?activity={}",
            url_encode("http://example.com/activities/referenced")
        ))
        .await;
    let ids: Vec<&str> = r["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&target_id.as_str()));
    assert!(ids.contains(&referring_id.as_str()), "{r}");
}

async fn more_links_page_through_results_without_gaps(lrs: &TestLrs) {
    let verb = format!("http://example.com/verbs/paged-{}", Uuid::new_v4().simple());
    let batch: Vec<Value> = (0..7)
        .map(|_| with(statement(), "/verb", json!({"id": verb})))
        .collect();
    let stored = lrs.store(&Value::Array(batch)).await;
    let mut seen = Vec::new();
    let mut path = format!("/statements?verb={}&limit=3", url_encode(&verb));
    loop {
        let (status, page) = lrs.get_json(&path).await;
        assert_eq!(status, 200, "{page}");
        for s in page["statements"].as_array().unwrap() {
            seen.push(s["id"].as_str().unwrap().to_owned());
        }
        // Statements arriving while paging must not shift the pages.
        lrs.store(&with(statement(), "/verb", json!({"id": verb})))
            .await;
        let more = page["more"].as_str().unwrap();
        if more.is_empty() {
            break;
        }
        path = more.strip_prefix("/xapi").unwrap().to_owned();
    }
    let mut expected: Vec<String> = stored.into_iter().rev().collect();
    assert_eq!(
        seen,
        std::mem::take(&mut expected),
        "newest first, each once"
    );
}

async fn since_until_and_ascending(lrs: &TestLrs) {
    let verb = format!("http://example.com/verbs/time-{}", Uuid::new_v4().simple());
    let first = lrs
        .store(&with(statement(), "/verb", json!({"id": verb})))
        .await
        .remove(0);
    let (_, s) = lrs
        .get_json(&format!("/statements?statementId={first}"))
        .await;
    let stored_first = s["stored"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = lrs
        .store(&with(statement(), "/verb", json!({"id": verb})))
        .await
        .remove(0);
    let q = |extra: String| format!("/statements?verb={}{extra}", url_encode(&verb));
    let ids = |v: &Value| -> Vec<String> {
        v["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, r) = lrs
        .get_json(&q(format!("&since={}", url_encode(&stored_first))))
        .await;
    assert_eq!(ids(&r), vec![second.clone()]);
    let (_, r) = lrs
        .get_json(&q(format!("&until={}", url_encode(&stored_first))))
        .await;
    assert_eq!(ids(&r), vec![first.clone()]);
    let (_, r) = lrs.get_json(&q("&ascending=true".into())).await;
    assert_eq!(ids(&r), vec![first.clone(), second.clone()]);
    let (_, r) = lrs.get_json(&q(String::new())).await;
    assert_eq!(ids(&r), vec![second, first]);
}

async fn missing_version_header_is_rejected(lrs: &TestLrs) {
    let r = lrs
        .client
        .get(format!("{}/statements", lrs.base))
        .header("Authorization", lrs.auth_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = lrs
        .req_v("0.9", Method::GET, "/statements")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = lrs
        .req_v("2.0.0", Method::GET, "/statements")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-experience-api-version"], "2.0.0");
}

async fn statement_id_with_other_filters_is_rejected(lrs: &TestLrs) {
    let id = Uuid::new_v4();
    let (status, _) = lrs
        .get_json(&format!("/statements?statementId={id}&verb=http%3A%2F%2Fx"))
        .await;
    assert_eq!(status, 400);
    let (status, _) = lrs.get_json("/statements?bogus=1").await;
    assert_eq!(status, 400);
}

async fn unknown_statement_is_not_found(lrs: &TestLrs) {
    let (status, _) = lrs
        .get_json(&format!("/statements?statementId={}", Uuid::new_v4()))
        .await;
    assert_eq!(status, 404);
}

async fn formats_ids_and_canonical(lrs: &TestLrs) {
    let s = with(
        statement(),
        "/verb/display",
        json!({"en-US": "completed", "sv-SE": "slutförde"}),
    );
    let id = lrs.store(&s).await.remove(0);
    let (_, ids) = lrs
        .get_json(&format!("/statements?statementId={id}&format=ids"))
        .await;
    assert!(ids["verb"].get("display").is_none(), "{ids}");
    assert!(ids["object"].get("definition").is_none(), "{ids}");
    let r = lrs
        .req(
            Method::GET,
            &format!("/statements?statementId={id}&format=canonical"),
        )
        .header("Accept-Language", "sv-SE")
        .send()
        .await
        .unwrap();
    let canonical: Value = r.json().await.unwrap();
    assert_eq!(canonical["verb"]["display"], json!({"sv-SE": "slutförde"}));
}

async fn v2_converts_timestamps_to_utc(lrs: &TestLrs) {
    let s = with(
        statement(),
        "/timestamp",
        json!("2024-05-01T14:00:00+02:00"),
    );
    let r = lrs
        .req_v("2.0.0", Method::POST, "/statements")
        .json(&s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let ids: Vec<String> = r.json().await.unwrap();
    let (_, got) = lrs
        .get_json(&format!("/statements?statementId={}", ids[0]))
        .await;
    assert!(
        got["timestamp"]
            .as_str()
            .unwrap()
            .starts_with("2024-05-01T12:00:00"),
        "{got}"
    );
}
