//! Attachments in multipart/mixed requests and responses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use conformance_tests::{TestLrs, on_both_backends, statement};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

on_both_backends!(
    attachment_round_trip,
    attachment_with_wrong_hash_is_rejected,
    declared_attachment_without_part_is_rejected
);

const BOUNDARY: &str = "abcABC0123xyz";

fn body(statement: &Value, parts: &[(&str, &[u8], String)]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n{statement}\r\n").as_bytes(),
    );
    for (ct, data, hash) in parts {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Type: {ct}\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {hash}\r\n\r\n")
                .as_bytes(),
        );
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn with_attachment(data: &[u8]) -> (Value, String) {
    let sha = hex::encode(Sha256::digest(data));
    let mut s = statement();
    s["attachments"] = json!([{
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain",
        "length": data.len(),
        "sha2": sha
    }]);
    (s, sha)
}

async fn post(lrs: &TestLrs, body: Vec<u8>) -> reqwest::Response {
    lrs.req(Method::POST, "/statements")
        .header(
            "Content-Type",
            format!("multipart/mixed; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn attachment_round_trip(lrs: &TestLrs) {
    let data = b"here is a simple attachment";
    let (s, sha) = with_attachment(data);
    let r = post(lrs, body(&s, &[("text/plain", data, sha.clone())])).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let ids: Vec<String> = r.json().await.unwrap();
    let r = lrs
        .req(
            Method::GET,
            &format!("/statements?statementId={}&attachments=true", ids[0]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("multipart/mixed; boundary="), "{ct}");
    let text = r.text().await.unwrap();
    assert!(text.contains(&format!("X-Experience-API-Hash: {sha}")));
    assert!(text.contains("here is a simple attachment"));
}

async fn attachment_with_wrong_hash_is_rejected(lrs: &TestLrs) {
    let data = b"content";
    let (s, _) = with_attachment(data);
    let wrong = hex::encode(Sha256::digest(b"other"));
    let r = post(lrs, body(&s, &[("text/plain", data, wrong)])).await;
    assert_eq!(r.status(), 400);
}

async fn declared_attachment_without_part_is_rejected(lrs: &TestLrs) {
    let (s, _) = with_attachment(b"never sent");
    let r = lrs.post_statement(&s).await;
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(text.contains("attachments[0].sha2"), "{text}");
}
