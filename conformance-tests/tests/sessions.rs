//! Administrators' browser sessions: a cookie for `/api` only, opened with an admin credential,
//! refused for changes that do not come from Lara's own origin, ended by logging out or by
//! revoking the credential it was opened with, and never listed as a credential.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use conformance_tests::{TestLrs, basic, on_both_backends};
use lrs_core::auth::Scope;
use serde_json::Value;

on_both_backends!(an_administrator_session_is_a_cookie_for_the_api_only);

async fn open(lrs: &TestLrs, auth: &str) -> reqwest::Response {
    lrs.client
        .post(lrs.base.replace("/xapi", "/api/session"))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
}

fn cookie_of(r: &reqwest::Response) -> String {
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Domain"), "a host-only cookie: {set}");
    set.split(';').next().unwrap().to_owned()
}

async fn an_administrator_session_is_a_cookie_for_the_api_only(lrs: &TestLrs) {
    let api = |p: &str| lrs.base.replace("/xapi", &format!("/api{p}"));
    let origin = lrs.base.trim_end_matches("/xapi").to_owned();
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let admin = basic(&key, &secret);

    // Only an admin credential opens one.
    let (k, s) = lrs.credential(vec![Scope::StatementsRead]).await;
    assert_eq!(open(lrs, &basic(&k, &s)).await.status(), 403);
    let r = open(lrs, &admin).await;
    assert_eq!(r.status(), 201);
    let cookie = cookie_of(&r);

    // Reads with the cookie work; changes need Lara's own Origin.
    let get = |path: &str, cookie: &str| lrs.client.get(api(path)).header("Cookie", cookie).send();
    assert_eq!(get("/packages", &cookie).await.unwrap().status(), 200);
    let post = |origin: Option<&str>| {
        let mut r = lrs
            .client
            .post(api("/credentials"))
            .header("Cookie", &cookie)
            .json(&serde_json::json!({"name": "made in a session", "scopes": ["statements/read"]}));
        if let Some(o) = origin {
            r = r.header("Origin", o);
        }
        r.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 403);
    assert_eq!(post(Some(&lrs.content_base)).await.unwrap().status(), 403);
    assert_eq!(post(Some(&origin)).await.unwrap().status(), 201);
    // A package upload from an administrator's page.
    let r = lrs
        .client
        .post(api("/packages"))
        .header("Cookie", &cookie)
        .header("Origin", &origin)
        .body(conformance_tests::package_zip("demo-scorm12"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // The cookie is no xAPI credential.
    let r = lrs
        .client
        .get(format!("{}/statements", lrs.base))
        .header("Cookie", &cookie)
        .header("X-Experience-API-Version", "1.0.3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Sessions are not credentials to manage.
    let listed: Value = lrs
        .client
        .get(api("/credentials"))
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !c["name"].as_str().unwrap().starts_with("session of")),
        "{listed}"
    );

    // Logging out ends it.
    let r = lrs
        .client
        .delete(api("/session"))
        .header("Cookie", &cookie)
        .header("Origin", &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(get("/packages", &cookie).await.unwrap().status(), 401);

    // Revoking the credential a session was opened with ends the session too.
    let cookie = cookie_of(&open(lrs, &admin).await);
    assert_eq!(get("/packages", &cookie).await.unwrap().status(), 200);
    let r = lrs
        .client
        .delete(api(&format!("/credentials/{key}")))
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(get("/packages", &cookie).await.unwrap().status(), 401);
}
