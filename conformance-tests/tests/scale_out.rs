//! Two `lara` nodes over one PostgreSQL database behave as one LRS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use conformance_tests::{TestLrs, basic, postgres_url, statement, url_encode, with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_database_are_one_lrs() {
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
    let store_a = open().await;
    let a = TestLrs::serve(store_a.clone(), None).await;
    let b = TestLrs::serve(open().await, None).await;

    // A credential created through node A authenticates on node B.
    let on_b = |m: Method, path: &str| {
        b.client
            .request(m, format!("{}{}", b.base, path))
            .header("Authorization", basic(&a.key, &a.secret))
            .header("X-Experience-API-Version", "1.0.3")
    };

    // Written on A, read at once on B.
    let verb = format!(
        "http://example.com/verbs/scale-{}",
        uuid::Uuid::new_v4().simple()
    );
    let batch: Vec<Value> = (0..5)
        .map(|_| with(statement(), "/verb", json!({"id": verb})))
        .collect();
    let ids = a.store(&Value::Array(batch)).await;
    let r = on_b(Method::GET, &format!("/statements?statementId={}", ids[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A query started on A continues on B with A's more link.
    let (_, page) = a
        .get_json(&format!("/statements?verb={}&limit=2", url_encode(&verb)))
        .await;
    let mut seen: Vec<String> = page["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let mut more = page["more"].as_str().unwrap().to_owned();
    while !more.is_empty() {
        let r = on_b(Method::GET, more.strip_prefix("/xapi").unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let page: Value = r.json().await.unwrap();
        seen.extend(
            page["statements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned()),
        );
        more = page["more"].as_str().unwrap().to_owned();
    }
    let expected: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, expected);

    // A conflicting write through B is detected against A's statement.
    let conflicting = with(
        with(statement(), "/id", json!(ids[0])),
        "/verb/id",
        json!("http://example.com/v/other"),
    );
    let r = on_b(Method::POST, "/statements")
        .json(&conflicting)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);

    // Document concurrency spans nodes: an ETag read on A guards a write on B.
    let doc = format!(
        "/activities/profile?activityId={}&profileId=shared",
        url_encode("http://example.com/a/1")
    );
    let r = a
        .req_v("2.0.0", Method::PUT, &doc)
        .json(&json!({"v": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let etag = a.req(Method::GET, &doc).send().await.unwrap().headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let r = on_b(Method::PUT, &doc)
        .header("If-Match", &etag)
        .json(&json!({"v": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = a
        .req(Method::PUT, &doc)
        .header("If-Match", &etag)
        .json(&json!({"v": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412, "the ETag is stale after B's write");

    drop((a, b));
    store_a.drop_schema(&schema).await.unwrap();
}
