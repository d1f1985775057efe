//! Signed statements.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;
use x509_cert::Certificate;
use x509_cert::der::Decode;

use crate::SIGNATURE_USAGE_TYPE;
use crate::compare::comparison_form;

/// Why a signed statement is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("signature is not a JWS in compact serialization: {0}")]
    Malformed(String),
    #[error("signature algorithm {0} is not allowed (RS256, RS384 or RS512)")]
    Algorithm(String),
    #[error("signature does not verify: {0}")]
    Invalid(String),
    #[error("signed payload does not match the statement: {0}")]
    PayloadMismatch(String),
}

/// Verifies the JWS carried in a statement's signature attachment against the statement as
/// received. When the JWS header has an `x5c` chain the signature is verified with the first
/// certificate's RSA key; the payload must be equivalent to the statement without its
/// signature attachment (compared as [`crate::compare`] does, ignoring `id` when the payload
/// has none, `authority`, `stored`, `version`).
pub fn verify_signed_statement(statement: &Value, jws: &[u8]) -> Result<(), SignatureError> {
    check_signature_attachment(statement)?;
    let text = std::str::from_utf8(jws)
        .map_err(|_| SignatureError::Malformed("not UTF-8 text".to_owned()))?
        .trim();
    let mut parts = text.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SignatureError::Malformed(
            "expected three dot-separated parts".to_owned(),
        ));
    };

    let header: Value = serde_json::from_slice(&b64url(header_b64, "header")?)
        .map_err(|e| SignatureError::Malformed(format!("header is not JSON: {e}")))?;
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| SignatureError::Malformed("header has no alg".to_owned()))?;
    let algorithm = match alg_name {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        other => return Err(SignatureError::Algorithm(other.to_owned())),
    };
    let payload: Value = serde_json::from_slice(&b64url(payload_b64, "payload")?).map_err(|e| {
        SignatureError::Malformed(format!("payload is not a JSON serialization: {e}"))
    })?;
    if !payload.is_object() {
        return Err(SignatureError::Malformed(
            "payload is not a JSON object".to_owned(),
        ));
    }
    if signature_b64.is_empty() {
        return Err(SignatureError::Malformed("empty signature".to_owned()));
    }

    // Without a certificate there is no key to check against: the LRS cannot know the
    // signer's key, so only structure and payload are verified (as the spec permits).
    if let Some(x5c) = header.get("x5c") {
        let key = key_from_x5c(x5c)?;
        let message_len = header_b64.len() + 1 + payload_b64.len();
        let message = text.get(..message_len).unwrap_or_default();
        let ok = jsonwebtoken::crypto::verify(signature_b64, message.as_bytes(), &key, algorithm)
            .map_err(|e| SignatureError::Invalid(e.to_string()))?;
        if !ok {
            return Err(SignatureError::Invalid(
                "RSA signature does not match the certificate key".to_owned(),
            ));
        }
    }

    compare_payload(statement, &payload)
}

fn check_signature_attachment(statement: &Value) -> Result<(), SignatureError> {
    let attachment = statement
        .get("attachments")
        .and_then(Value::as_array)
        .and_then(|list| list.iter().find(|a| is_signature_attachment(a)))
        .ok_or_else(|| {
            SignatureError::Malformed("statement has no signature attachment".to_owned())
        })?;
    let content_type = attachment
        .get("contentType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/octet-stream") {
        return Err(SignatureError::Malformed(format!(
            "signature attachment contentType must be application/octet-stream, not {content_type:?}"
        )));
    }
    Ok(())
}

fn is_signature_attachment(attachment: &Value) -> bool {
    attachment.get("usageType").and_then(Value::as_str) == Some(SIGNATURE_USAGE_TYPE)
}

/// base64url as JWS requires; padded input is tolerated since some signers emit it.
fn b64url(part: &str, what: &str) -> Result<Vec<u8>, SignatureError> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| SignatureError::Malformed(format!("{what} is not base64url: {e}")))
}

fn key_from_x5c(x5c: &Value) -> Result<DecodingKey, SignatureError> {
    let first = x5c
        .as_array()
        .and_then(|chain| chain.first())
        .and_then(Value::as_str)
        .ok_or_else(|| {
            SignatureError::Malformed("x5c must be a non-empty array of strings".to_owned())
        })?;
    let der = STANDARD
        .decode(first)
        .map_err(|e| SignatureError::Malformed(format!("x5c certificate is not base64: {e}")))?;
    let cert = Certificate::from_der(&der)
        .map_err(|e| SignatureError::Malformed(format!("x5c certificate is not DER X.509: {e}")))?;
    // For RSA keys the SubjectPublicKeyInfo bit string is the PKCS#1 RSAPublicKey.
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let pkcs1 = spki.subject_public_key.as_bytes().ok_or_else(|| {
        SignatureError::Malformed("certificate public key is not byte-aligned".to_owned())
    })?;
    Ok(DecodingKey::from_rsa_der(pkcs1))
}

fn compare_payload(statement: &Value, payload: &Value) -> Result<(), SignatureError> {
    let mut received = statement.clone();
    if let Some(map) = received.as_object_mut() {
        let remaining: Option<Vec<Value>> =
            map.get("attachments")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter(|a| !is_signature_attachment(a))
                        .cloned()
                        .collect()
                });
        match remaining {
            Some(list) if !list.is_empty() => {
                map.insert("attachments".to_owned(), Value::Array(list));
            }
            _ => {
                map.remove("attachments");
            }
        }
        // The LRS may have assigned the id after signing.
        if payload.get("id").is_none() {
            map.remove("id");
        }
    }
    let mut signed = payload.clone();
    if let Some(map) = signed.as_object_mut() {
        // A signer may have signed the statement including the signature's own metadata
        // removed or an empty attachment list; neither changes the meaning.
        if map
            .get("attachments")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
        {
            map.remove("attachments");
        }
    }
    if comparison_form(&received) == comparison_form(&signed) {
        Ok(())
    } else {
        Err(SignatureError::PayloadMismatch(
            "the statement differs from the JWS payload".to_owned(),
        ))
    }
}
