//! Signed statement verification, with keys generated for these tests only.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use xapi_model::signature::{SignatureError, verify_signed_statement};

const SIGNER_KEY: &[u8] = include_bytes!("data/keys/signer.key.der");
const OTHER_KEY: &[u8] = include_bytes!("data/keys/other.key.der");
const SIGNER_CERT_B64: &str = include_str!("data/keys/signer.cert.b64");

fn unsigned() -> Value {
    json!({
        "id": "0b2a6b6c-3b4e-4d4f-9a55-2f0e8f1d9c11",
        "actor": {"objectType": "Agent", "mbox": "mailto:signer@example.com"},
        "verb": {"id": "http://example.com/verbs/signed", "display": {"en-US": "signed"}},
        "object": {"id": "http://example.com/activities/doc"},
        "timestamp": "2024-03-01T10:00:00Z"
    })
}

fn with_signature_attachment(statement: &Value, content_type: &str) -> Value {
    let mut s = statement.clone();
    s["attachments"] = json!([{
        "usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"en-US": "signature"},
        "contentType": content_type,
        "length": 100,
        "sha2": "00ff"
    }]);
    s
}

fn sign(payload: &Value, alg: Algorithm, key: &[u8], x5c: bool) -> Vec<u8> {
    let mut header = Header::new(alg);
    if x5c {
        header.x5c = Some(vec![SIGNER_CERT_B64.trim().to_owned()]);
    }
    let key = match alg {
        Algorithm::HS256 => EncodingKey::from_secret(b"shared secret"),
        _ => EncodingKey::from_rsa_der(key),
    };
    jsonwebtoken::encode(&header, payload, &key)
        .unwrap()
        .into_bytes()
}

fn check(statement: &Value, jws: &[u8], expected: Result<(), &str>) {
    let got = verify_signed_statement(statement, jws);
    match (expected, &got) {
        (Ok(()), Ok(())) => {}
        (Err(kind), Err(e)) => {
            let actual = match e {
                SignatureError::Malformed(_) => "malformed",
                SignatureError::Algorithm(_) => "algorithm",
                SignatureError::Invalid(_) => "invalid",
                SignatureError::PayloadMismatch(_) => "mismatch",
            };
            assert_eq!(actual, kind, "{e}");
        }
        _ => panic!("expected {expected:?}, got {got:?}"),
    }
}

#[test]
fn rsa_algorithms_without_certificate_are_accepted() {
    let body = unsigned();
    let received = with_signature_attachment(&body, "application/octet-stream");
    for alg in [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512] {
        check(&received, &sign(&body, alg, SIGNER_KEY, false), Ok(()));
    }
}

#[test]
fn certificate_key_is_checked() {
    let body = unsigned();
    let received = with_signature_attachment(&body, "application/octet-stream");
    check(
        &received,
        &sign(&body, Algorithm::RS256, SIGNER_KEY, true),
        Ok(()),
    );
    check(
        &received,
        &sign(&body, Algorithm::RS512, SIGNER_KEY, true),
        Ok(()),
    );
    check(
        &received,
        &sign(&body, Algorithm::RS256, OTHER_KEY, true),
        Err("invalid"),
    );
}

#[test]
fn other_algorithms_are_refused() {
    let body = unsigned();
    let received = with_signature_attachment(&body, "application/octet-stream");
    check(
        &received,
        &sign(&body, Algorithm::HS256, b"", false),
        Err("algorithm"),
    );
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let payload = URL_SAFE_NO_PAD.encode(body.to_string());
    check(
        &received,
        format!("{none_header}.{payload}.").as_bytes(),
        Err("algorithm"),
    );
}

#[test]
fn malformed_signatures() {
    let body = unsigned();
    let received = with_signature_attachment(&body, "application/octet-stream");
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
    // A payload that is not JSON (a quote replaced by an apostrophe).
    let broken = URL_SAFE_NO_PAD.encode(body.to_string().replacen('"', "'", 1));
    check(
        &received,
        format!("{header}.{broken}.c2ln").as_bytes(),
        Err("malformed"),
    );
    check(&received, b"not a jws", Err("malformed"));
    check(&received, b"a.b.c.d", Err("malformed"));
    check(&received, b"", Err("malformed"));
    check(&received, &[0xff, 0xfe], Err("malformed"));
    // The signature attachment must be declared as octet-stream.
    let wrong_type = with_signature_attachment(&body, "text/plain; charset=ascii");
    check(
        &wrong_type,
        &sign(&body, Algorithm::RS256, SIGNER_KEY, false),
        Err("malformed"),
    );
    // No signature attachment at all.
    check(
        &body,
        &sign(&body, Algorithm::RS256, SIGNER_KEY, false),
        Err("malformed"),
    );
}

#[test]
fn payload_must_match_statement() {
    let body = unsigned();
    let received = with_signature_attachment(&body, "application/octet-stream");
    let mut altered = body.clone();
    altered["verb"]["id"] = json!("http://example.com/verbs/forged");
    check(
        &received,
        &sign(&altered, Algorithm::RS256, SIGNER_KEY, false),
        Err("mismatch"),
    );

    // Payload without id: the LRS-assigned id is ignored.
    let mut no_id = body.clone();
    no_id.as_object_mut().unwrap().remove("id");
    check(
        &received,
        &sign(&no_id, Algorithm::RS256, SIGNER_KEY, false),
        Ok(()),
    );

    // Equivalent but differently spelled timestamp and uppercase UUID.
    let mut respelled = body.clone();
    respelled["timestamp"] = json!("2024-03-01T11:00:00+01:00");
    respelled["id"] = json!("0B2A6B6C-3B4E-4D4F-9A55-2F0E8F1D9C11");
    check(
        &received,
        &sign(&respelled, Algorithm::RS256, SIGNER_KEY, false),
        Ok(()),
    );

    // Durations differ only beyond hundredths of a second.
    let mut short = body.clone();
    short["result"] = json!({"duration": "P1DT12H36M0.12S"});
    let mut full = short.clone();
    full["result"]["duration"] = json!("P1DT12H36M0.1237S");
    let received_full = with_signature_attachment(&full, "application/octet-stream");
    check(
        &received_full,
        &sign(&short, Algorithm::RS256, SIGNER_KEY, false),
        Ok(()),
    );

    // Other (non-signature) attachments are part of the signed statement.
    let mut with_other = body.clone();
    with_other["attachments"] = json!([{"usageType": "http://example.com/u", "display": {"en": "x"},
        "contentType": "text/plain", "length": 1, "sha2": "aa"}]);
    let mut received_other = with_other.clone();
    received_other["attachments"]
        .as_array_mut()
        .unwrap()
        .push(json!({
        "usageType": "http://adlnet.gov/expapi/attachments/signature", "display": {"en": "sig"},
        "contentType": "application/octet-stream", "length": 5, "sha2": "bb"}));
    check(
        &received_other,
        &sign(&with_other, Algorithm::RS256, SIGNER_KEY, false),
        Ok(()),
    );
    check(
        &received_other,
        &sign(&body, Algorithm::RS256, SIGNER_KEY, false),
        Err("mismatch"),
    );
}
