//! Signed statements.

use serde_json::Value;

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
    todo!("{statement} {}", jws.len())
}
