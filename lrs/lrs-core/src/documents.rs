//! State, activity profile and agent profile documents.
//!
//! Storage offers only compare-and-swap; this module turns the xAPI concurrency rules
//! (`If-Match`, `If-None-Match`, the 409 for a blind overwrite, JSON merge on POST) into
//! read-decide-swap loops. A swap that loses a race is retried from a fresh read unless the
//! client pinned a version, in which case the race is the client's 412.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::error::LrsError;
use crate::store::{Document, DocumentKey, DocumentStore, Expected};

/// Conditional request headers, already unquoted. `If-None-Match: *` is `if_none_match_any`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    pub if_match: Option<Vec<String>>,
    pub if_none_match_any: bool,
    pub if_none_match: Option<Vec<String>>,
}

impl Preconditions {
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && !self.if_none_match_any && self.if_none_match.is_none()
    }

    /// Checks the headers against the current document.
    fn check(&self, current: Option<&Document>) -> Result<(), LrsError> {
        if let Some(tags) = &self.if_match {
            let matches = match current {
                Some(doc) => tags.iter().any(|t| t == "*" || *t == doc.etag),
                None => false,
            };
            if !matches {
                return Err(LrsError::PreconditionFailed(
                    "If-Match does not match the current document".into(),
                ));
            }
        }
        if self.if_none_match_any && current.is_some() {
            return Err(LrsError::PreconditionFailed(
                "If-None-Match: * but the document exists".into(),
            ));
        }
        if let (Some(tags), Some(doc)) = (&self.if_none_match, current)
            && tags.contains(&doc.etag)
        {
            return Err(LrsError::PreconditionFailed(
                "If-None-Match matches the current document".into(),
            ));
        }
        Ok(())
    }
}

/// How a write without preconditions to an existing document is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlindWrite {
    /// Overwrite (the 1.0.3 State resource).
    Allow,
    /// 409 Conflict: the client must say which version it overwrites.
    Conflict,
    /// As `Conflict`, and a PUT without preconditions is refused even when there is no
    /// document yet (the xAPI 1.0.3 profile resources: the conformance suite expects 400).
    RequirePreconditions,
}

/// The entity tag of a document body: hex SHA-1, as the xAPI conformance suite expects.
pub fn etag_of(content: &[u8]) -> String {
    hex::encode(Sha1::digest(content))
}

pub fn new_document(content_type: &str, content: Vec<u8>, now: DateTime<Utc>) -> Document {
    Document {
        content_type: content_type.to_owned(),
        etag: etag_of(&content),
        content,
        updated: now,
    }
}

/// Is this content type JSON (`application/json`, with or without parameters)?
pub fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .map(|t| t.trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false)
}

const MAX_RETRIES: usize = 16;

fn expected_of(current: Option<&Document>) -> Expected {
    match current {
        Some(d) => Expected::Etag(d.etag.clone()),
        None => Expected::Absent,
    }
}

fn lost_race() -> LrsError {
    LrsError::PreconditionFailed("the document changed while it was being written; retry".into())
}

/// PUT: replace the document.
pub async fn put(
    store: &dyn DocumentStore,
    key: &DocumentKey,
    doc: Document,
    pre: &Preconditions,
    blind: BlindWrite,
) -> Result<(), LrsError> {
    for _ in 0..MAX_RETRIES {
        let current = store.get_document(key).await?;
        pre.check(current.as_ref())?;
        if pre.is_empty() && current.is_none() && blind == BlindWrite::RequirePreconditions {
            return Err(LrsError::invalid(
                "If-None-Match",
                "a PUT to a profile needs If-Match or If-None-Match: send If-None-Match: * to create the document",
            ));
        }
        if pre.is_empty() && current.is_some() && blind != BlindWrite::Allow {
            return Err(LrsError::Conflict(
                "the document exists: send If-Match with its ETag to overwrite it, or If-None-Match: * to create only"
                    .into(),
            ));
        }
        if store
            .swap_document(key, &expected_of(current.as_ref()), Some(&doc))
            .await?
        {
            return Ok(());
        }
        if !pre.is_empty() {
            return Err(lost_race());
        }
    }
    Err(lost_race())
}

/// POST: create, or merge JSON objects key by key into the stored JSON object.
pub async fn post(
    store: &dyn DocumentStore,
    key: &DocumentKey,
    doc: Document,
    pre: &Preconditions,
    now: DateTime<Utc>,
) -> Result<(), LrsError> {
    for _ in 0..MAX_RETRIES {
        let current = store.get_document(key).await?;
        pre.check(current.as_ref())?;
        let next = match &current {
            None => doc.clone(),
            Some(existing) => merge(existing, &doc, now)?,
        };
        if store
            .swap_document(key, &expected_of(current.as_ref()), Some(&next))
            .await?
        {
            return Ok(());
        }
        if !pre.is_empty() {
            return Err(lost_race());
        }
    }
    Err(lost_race())
}

fn merge(
    existing: &Document,
    incoming: &Document,
    now: DateTime<Utc>,
) -> Result<Document, LrsError> {
    if !is_json(&existing.content_type) || !is_json(&incoming.content_type) {
        return Err(LrsError::invalid(
            "Content-Type",
            "POST merges JSON documents only: both the stored and the posted document must be application/json",
        ));
    }
    let old: Value = serde_json::from_slice(&existing.content)
        .map_err(|_| LrsError::invalid("document", "the stored document is not a JSON object"))?;
    let new: Value = serde_json::from_slice(&incoming.content).map_err(|e| {
        LrsError::invalid("document", format!("the posted document is not JSON: {e}"))
    })?;
    let (Value::Object(mut merged), Value::Object(add)) = (old, new) else {
        return Err(LrsError::invalid(
            "document",
            "POST merges JSON objects only",
        ));
    };
    for (k, v) in add {
        merged.insert(k, v);
    }
    let content = serde_json::to_vec(&Value::Object(merged))
        .map_err(|e| LrsError::invalid("document", e.to_string()))?;
    Ok(new_document("application/json", content, now))
}

/// DELETE one document. Deleting a missing document succeeds (unless `If-Match` demands one).
pub async fn delete(
    store: &dyn DocumentStore,
    key: &DocumentKey,
    pre: &Preconditions,
) -> Result<(), LrsError> {
    for _ in 0..MAX_RETRIES {
        let current = store.get_document(key).await?;
        pre.check(current.as_ref())?;
        if current.is_none() {
            return Ok(());
        }
        if store
            .swap_document(key, &expected_of(current.as_ref()), None)
            .await?
        {
            return Ok(());
        }
        if !pre.is_empty() {
            return Err(lost_race());
        }
    }
    Err(lost_race())
}
