//! Plugins in a running server, on both backends: installed over the admin API, fed the
//! statements clients post (in stored order), served under `/plugins/<name>/`; the directory
//! they read, kept over `/api/people`; and, on PostgreSQL, two nodes sharing one plugin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use conformance_tests::{TestLrs, basic, on_both_backends, postgres_url, statement, with};
use lrs_core::auth::Scope;
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(
    posted_statements_reach_an_installed_plugin_in_order,
    the_directory_is_kept_over_the_admin_api
);

fn probe() -> Vec<u8> {
    static WASM: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    WASM.get_or_init(|| lara_plugin_host::build_workspace_plugin("lara-plugin-probe").unwrap())
        .clone()
}

fn root(lrs: &TestLrs) -> String {
    lrs.base.trim_end_matches("/xapi").to_owned()
}

async fn install_probe(lrs: &TestLrs, auth: &str) {
    let wasm = tokio::task::spawn_blocking(probe).await.unwrap();
    let r = lrs
        .client
        .post(format!(
            "{}/api/plugins?grant=documents,emit-statements",
            root(lrs)
        ))
        .header("Authorization", auth)
        .body(wasm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// The ids the probe has recorded, once it has `n` of them.
async fn received(lrs: &TestLrs, auth: &str, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = lrs
            .client
            .get(format!("{}/plugins/probe/received", root(lrs)))
            .header("Authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let ids: Vec<String> = r.json().await.unwrap();
        if ids.len() >= n {
            return ids;
        }
        assert!(
            Instant::now() < deadline,
            "the probe has {} of {n} statements",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn posted_statements_reach_an_installed_plugin_in_order(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::All, Scope::Admin]).await;
    let auth = basic(&key, &secret);
    install_probe(lrs, &auth).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let batch: Vec<Value> = (0..25)
            .map(|j| {
                with(
                    statement(),
                    "/object/id",
                    json!(format!("http://example.com/a/{i}/{j}")),
                )
            })
            .collect();
        ids.extend(lrs.store(&Value::Array(batch)).await);
    }
    assert_eq!(received(lrs, &auth, 100).await, ids);
    // The plugin has the statements; its cursor and counts follow the acknowledgement.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let status: Value = lrs
            .client
            .get(format!("{}/api/plugins/probe", root(lrs)))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["lag"] == 0 || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status["status"], "healthy");
    assert_eq!(status["health"]["delivered"], 100);
    assert_eq!(status["lag"], 0);
    // Plugin administration needs the admin scope.
    let r = lrs
        .client
        .get(format!("{}/api/plugins", root(lrs)))
        .header("Authorization", lrs.auth_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

async fn the_directory_is_kept_over_the_admin_api(lrs: &TestLrs) {
    let (key, secret) = lrs.credential(vec![Scope::Admin]).await;
    let auth = basic(&key, &secret);
    let people = format!("{}/api/people", root(lrs));
    let call = |m: Method, url: String| {
        lrs.client
            .request(m, url)
            .header("Authorization", auth.clone())
    };
    let r = call(Method::PUT, format!("{people}/e%201001"))
        .json(&json!({"name": "Kari", "email": "kari@kommune.example", "orgUnit": "north", "roles": ["nurse"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let got: Value = call(Method::GET, format!("{people}/e%201001"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["id"], "e 1001");
    assert_eq!(got["orgUnit"], "north");
    assert!(got["updated"].is_string());

    // A sync of many is all or nothing, and the error names the record and field.
    let r = call(Method::POST, people.clone())
        .json(&json!([
            {"id": "e2", "name": "Ola", "orgUnit": "north", "manager": "e 1001"},
            {"id": "e3", "name": "Per", "email": "not-an-address"},
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["problems"][0]["path"], "[1].email", "{body}");
    let all: Value = call(Method::GET, people.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);
    let r = call(Method::POST, people.clone())
        .json(&json!([
            {"id": "e2", "name": "Ola", "orgUnit": "north", "manager": "e 1001"},
            {"id": "e3", "name": "Per", "orgUnit": "south"},
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let north: Value = call(Method::GET, format!("{people}?orgUnit=north"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = north
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["e 1001", "e2"]);
    let r = call(Method::PUT, format!("{people}/e2"))
        .json(&json!({"id": "e9", "name": "Ola"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = call(Method::PUT, format!("{people}/e2"))
        .json(&json!({"name": "Ola", "shoeSize": 44}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        call(Method::DELETE, format!("{people}/e3"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        call(Method::GET, format!("{people}/e3"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Only administrators.
    let r = lrs
        .client
        .get(people)
        .header("Authorization", lrs.auth_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// Two nodes over one PostgreSQL database, each with its delivery loop, and statements posted
/// to both: the plugin gets every statement once, in stored order (one node holds its lease).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_to_a_plugin_as_one() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("lara_ct_{}", uuid::Uuid::new_v4().simple());
    let open = || async {
        let options = lrs_store_postgres::PgOptions {
            schema: Some(schema.clone()),
            ..Default::default()
        };
        Arc::new(
            lrs_store_postgres::PgStore::connect(&url, options)
                .await
                .unwrap(),
        )
    };
    let store = open().await;
    let a = TestLrs::serve(store.clone(), None).await;
    let b = TestLrs::serve(open().await, None).await;
    let (key, secret) = a.credential(vec![Scope::All, Scope::Admin]).await;
    let auth = basic(&key, &secret);
    install_probe(&a, &auth).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let node = if i % 2 == 0 { &a } else { &b };
        let batch: Vec<Value> = (0..10)
            .map(|j| {
                with(
                    statement(),
                    "/object/id",
                    json!(format!("http://example.com/n/{i}/{j}")),
                )
            })
            .collect();
        let r = node
            .client
            .post(format!("{}/statements", node.base))
            .header("Authorization", &auth)
            .header("X-Experience-API-Version", "1.0.3")
            .json(&batch)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        ids.extend(r.json::<Vec<String>>().await.unwrap());
    }
    assert_eq!(received(&b, &auth, 200).await, ids);
    // Nothing more arrives: no node delivered a batch twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(received(&a, &auth, 200).await.len(), 200);
    drop(a);
    drop(b);
    store.drop_schema(&schema).await.unwrap();
}
