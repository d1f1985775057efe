//! The administration API: credentials over HTTP for the `admin` scope.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use conformance_tests::{TestLrs, basic, on_both_backends, statement};
use lrs_core::auth::Scope;
use serde_json::{Value, json};

on_both_backends!(
    admin_creates_lists_and_revokes_credentials,
    only_admins_manage_credentials,
    the_admin_api_refuses_cross_origin_browsers
);

async fn the_admin_api_refuses_cross_origin_browsers(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    for url in [api(lrs), lrs.base.replace("/xapi", "/api/packages")] {
        let preflight = lrs
            .client
            .request(reqwest::Method::OPTIONS, &url)
            .header("Origin", "https://elsewhere.example")
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .unwrap();
        assert!(
            preflight
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{url}: preflight allowed"
        );
        let r = lrs
            .client
            .get(&url)
            .header("Origin", "https://elsewhere.example")
            .header("Authorization", basic(&key, &secret))
            .send()
            .await
            .unwrap();
        assert!(
            r.headers().get("access-control-allow-origin").is_none(),
            "{url}"
        );
    }
    // A browser that remembers the Basic credentials cannot be made to change anything from
    // another origin; scripts (no Origin) and Lara's own pages can.
    let create = |origin: Option<String>| {
        let mut r = lrs
            .client
            .post(api(lrs))
            .header("Authorization", basic(&key, &secret))
            .json(&serde_json::json!({"name": "cross-origin", "scopes": ["statements/read"]}));
        if let Some(o) = origin {
            r = r.header("Origin", o);
        }
        r.send()
    };
    let r = create(Some("https://elsewhere.example".into()))
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let own = lrs.base.trim_end_matches("/xapi").to_owned();
    assert_eq!(create(Some(own)).await.unwrap().status(), 201);
    assert_eq!(create(None).await.unwrap().status(), 201);
    // The xAPI resources still serve browser clients from any origin.
    let r = lrs
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/statements", lrs.base))
        .header("Origin", "https://elsewhere.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://elsewhere.example"
    );
}

fn api(lrs: &TestLrs) -> String {
    lrs.base.replace("/xapi", "/api/credentials")
}

async fn admin_creates_lists_and_revokes_credentials(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let admin = basic(&key, &secret);
    let r = lrs
        .client
        .post(api(lrs))
        .header("Authorization", &admin)
        .json(&json!({"name": "vendor", "scopes": ["statements/write"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let (new_key, new_secret) = (
        created["key"].as_str().unwrap(),
        created["secret"].as_str().unwrap(),
    );

    // The new credential writes statements.
    let r = lrs
        .client
        .post(format!("{}/statements", lrs.base))
        .header("Authorization", basic(new_key, new_secret))
        .header("X-Experience-API-Version", "1.0.3")
        .json(&statement())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let list: Value = lrs
        .client
        .get(api(lrs))
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == new_key)
        .unwrap();
    assert!(entry.get("secret").is_none());

    let r = lrs
        .client
        .delete(format!("{}/{new_key}", api(lrs)))
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = lrs
        .client
        .get(format!("{}/statements", lrs.base))
        .header("Authorization", basic(new_key, new_secret))
        .header("X-Experience-API-Version", "1.0.3")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "a revoked credential no longer authenticates"
    );

    let r = lrs
        .client
        .post(api(lrs))
        .header("Authorization", &admin)
        .json(&json!({"name": "x", "scopes": ["statements/delete"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("scopes[0]"), "{body}");
}

async fn only_admins_manage_credentials(lrs: &TestLrs) {
    let r = lrs
        .client
        .get(api(lrs))
        .header("Authorization", lrs.auth_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "scope all is not admin");
    let r = lrs.client.get(api(lrs)).send().await.unwrap();
    assert_eq!(r.status(), 401);
}
