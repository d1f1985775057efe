//! About, activities, agents, authentication and scopes, alternate request syntax, CORS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use conformance_tests::{TestLrs, basic, on_both_backends, statement, url_encode};
use lrs_core::auth::Scope;
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(
    about_needs_no_credentials,
    activities_return_the_canonical_definition,
    agents_return_a_person,
    wrong_or_missing_credentials_are_401,
    scopes_limit_what_a_credential_can_do,
    read_mine_sees_only_own_statements,
    alternate_request_syntax_for_1_0_3,
    cors_preflight_allows_browser_clients,
    head_answers_like_get_without_a_body,
    alternate_request_syntax_is_refused_for_2_0_0,
);

async fn about_needs_no_credentials(lrs: &TestLrs) {
    let r = lrs
        .client
        .get(format!("{}/about", lrs.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let versions = v["version"].as_array().unwrap();
    assert!(versions.contains(&json!("1.0.3")) && versions.contains(&json!("2.0.0")));
}

async fn activities_return_the_canonical_definition(lrs: &TestLrs) {
    let mut s = statement();
    s["object"]["definition"] = json!({"name": {"en-US": "Course 1"}});
    lrs.store(&s).await;
    s["object"]["definition"] =
        json!({"name": {"sv-SE": "Kurs 1"}, "type": "http://adlnet.gov/expapi/activities/course"});
    lrs.store(&s).await;
    let (status, a) = lrs
        .get_json(&format!(
            "/activities?activityId={}",
            url_encode("http://example.com/activities/course-1")
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(a["id"], "http://example.com/activities/course-1");
    assert_eq!(
        a["definition"]["name"],
        json!({"en-US": "Course 1", "sv-SE": "Kurs 1"})
    );
    assert_eq!(
        a["definition"]["type"],
        "http://adlnet.gov/expapi/activities/course"
    );
    let (status, _) = lrs.get_json("/activities").await;
    assert_eq!(status, 400);
}

async fn agents_return_a_person(lrs: &TestLrs) {
    let agent =
        url_encode(r#"{"objectType":"Agent","name":"Ann","mbox":"mailto:ann@example.com"}"#);
    let (status, p) = lrs.get_json(&format!("/agents?agent={agent}")).await;
    assert_eq!(status, 200);
    assert_eq!(p["objectType"], "Person");
    assert_eq!(p["mbox"], json!(["mailto:ann@example.com"]));
}

async fn wrong_or_missing_credentials_are_401(lrs: &TestLrs) {
    let url = format!("{}/statements", lrs.base);
    let r = lrs
        .client
        .get(&url)
        .header("X-Experience-API-Version", "1.0.3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = lrs
        .client
        .get(&url)
        .header("X-Experience-API-Version", "1.0.3")
        .header("Authorization", basic(&lrs.key, "wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn scopes_limit_what_a_credential_can_do(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::StatementsRead]).await;
    let url = format!("{}/statements", lrs.base);
    let send = |m: Method| {
        lrs.client
            .request(m, &url)
            .header("X-Experience-API-Version", "1.0.3")
            .header("Authorization", basic(&key, &secret))
    };
    assert_eq!(send(Method::GET).send().await.unwrap().status(), 200);
    assert_eq!(
        send(Method::POST)
            .json(&statement())
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

async fn read_mine_sees_only_own_statements(lrs: &TestLrs) {
    lrs.store(&statement()).await;
    let (key, secret) = lrs
        .credential(vec![Scope::StatementsWrite, Scope::StatementsReadMine])
        .await;
    let req = |m: Method| {
        lrs.client
            .request(m, format!("{}/statements", lrs.base))
            .header("X-Experience-API-Version", "1.0.3")
            .header("Authorization", basic(&key, &secret))
    };
    let r = req(Method::POST).json(&statement()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mine: Vec<String> = r.json().await.unwrap();
    let got: Value = req(Method::GET)
        .query(&[("statementId", mine[0].as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me = got["authority"].clone();
    assert_eq!(me["account"]["name"], key.as_str());

    // Written by someone else, though naming this credential's agent as actor, or pointing at
    // one of its statements: not "mine".
    let mut about_me = statement();
    about_me["actor"] = me.clone();
    let mut pointing = statement();
    pointing["object"] = json!({"objectType": "StatementRef", "id": mine[0]});
    lrs.store(&json!([about_me, pointing])).await;

    let ids = |page: Value| -> Vec<String> {
        page["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let page: Value = req(Method::GET).send().await.unwrap().json().await.unwrap();
    assert_eq!(ids(page), mine);
    // The filters a client gives still apply on top.
    let page: Value = req(Method::GET)
        .query(&[("agent", me.to_string()), ("related_agents", "true".into())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(page), mine);
    let page: Value = req(Method::GET)
        .query(&[("verb", "http://example.com/verbs/none")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ids(page).is_empty());
    // Reading someone else's statement by id is refused (as not found).
    let theirs = lrs.store(&statement()).await;
    let r = req(Method::GET)
        .query(&[("statementId", theirs[0].as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn alternate_request_syntax_for_1_0_3(lrs: &TestLrs) {
    let id = uuid::Uuid::new_v4().to_string();
    let form = [
        ("Authorization", lrs.auth_header()),
        ("X-Experience-API-Version", "1.0.3".to_owned()),
        ("Content-Type", "application/json".to_owned()),
        ("statementId", id.clone()),
        ("content", statement().to_string()),
    ];
    let r = lrs
        .client
        .post(format!("{}/statements?method=PUT", lrs.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    let (status, s) = lrs.get_json(&format!("/statements?statementId={id}")).await;
    assert_eq!(status, 200);
    assert_eq!(s["id"], id);
    // Parameters outside the form are refused.
    let r = lrs
        .client
        .post(format!("{}/statements?method=GET&limit=1", lrs.base))
        .form(&form[..2])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

async fn cors_preflight_allows_browser_clients(lrs: &TestLrs) {
    let r = lrs
        .client
        .request(Method::OPTIONS, format!("{}/statements", lrs.base))
        .header("Origin", "https://portal.example.org")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,x-experience-api-version",
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://portal.example.org"
    );
}

async fn head_answers_like_get_without_a_body(lrs: &TestLrs) {
    lrs.store(&statement()).await;
    let r = lrs
        .req(Method::HEAD, "/statements?limit=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()
            .contains_key("x-experience-api-consistent-through")
    );
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.bytes().await.unwrap().is_empty());
    let r = lrs.req(Method::HEAD, "/about").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().is_empty());
}

async fn alternate_request_syntax_is_refused_for_2_0_0(lrs: &TestLrs) {
    let form = [
        ("Authorization", lrs.auth_header()),
        ("X-Experience-API-Version", "2.0.0".to_owned()),
    ];
    let r = lrs
        .client
        .post(format!("{}/statements?method=GET", lrs.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
