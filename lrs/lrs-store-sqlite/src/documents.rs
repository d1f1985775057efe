//! State, activity profile and agent profile documents.
//!
//! One table keyed by (kind, activity_id, agent, registration, doc_id); key parts a resource
//! does not have are '' (registration too when there is none). A swap reads and writes inside
//! one writer job, so it is atomic without retries.
//!
//! Registration is part of a state document's identity: a state stored without registration is
//! a different document from one stored with a registration (xAPI lists `registration` among the
//! parameters that identify state). So a state scope without registration lists and deletes only
//! the documents stored without one; it does not reach into every registration.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lrs_core::store::{Document, DocumentKey, DocumentScope, DocumentStore, Expected, StoreError};
use rusqlite::{OptionalExtension, params};

use crate::{SqliteStore, db, from_micros, micros};

const WHERE_KEY: &str =
    "kind = ?1 AND activity_id = ?2 AND agent = ?3 AND registration = ?4 AND doc_id = ?5";
const WHERE_SCOPE: &str = "kind = ?1 AND activity_id = ?2 AND agent = ?3 AND registration = ?4";

#[async_trait]
impl DocumentStore for SqliteStore {
    async fn get_document(&self, key: &DocumentKey) -> Result<Option<Document>, StoreError> {
        let k = key.columns();
        self.read(move |conn| {
            let row: Option<(String, Vec<u8>, String, i64)> = conn
                .prepare_cached(&format!("SELECT content_type, content, etag, updated_us FROM documents WHERE {WHERE_KEY}"))
                .map_err(db)?
                .query_row(params![k.kind, k.activity_id, k.agent, k.registration, k.doc_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()
                .map_err(db)?;
            row.map(|(content_type, content, etag, updated)| {
                Ok(Document { content_type, content, etag, updated: from_micros(updated)? })
            })
            .transpose()
        })
        .await
    }

    async fn swap_document(
        &self,
        key: &DocumentKey,
        expected: &Expected,
        new: Option<&Document>,
    ) -> Result<bool, StoreError> {
        let k = key.columns();
        let expected = expected.clone();
        let new = new.cloned();
        self.writer()
            .write(move |w| {
                let current: Option<String> = w
                    .conn
                    .prepare_cached(&format!("SELECT etag FROM documents WHERE {WHERE_KEY}"))
                    .map_err(db)?
                    .query_row(params![k.kind, k.activity_id, k.agent, k.registration, k.doc_id], |r| r.get(0))
                    .optional()
                    .map_err(db)?;
                let matches = match (&expected, &current) {
                    (Expected::Absent, None) => true,
                    (Expected::Etag(want), Some(have)) => want == have,
                    _ => false,
                };
                if !matches {
                    return Ok(false);
                }
                match &new {
                    Some(doc) => {
                        w.conn
                            .prepare_cached(
                                "INSERT INTO documents (kind, activity_id, agent, registration, doc_id, \
                                 content_type, content, etag, updated_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                                 ON CONFLICT (kind, activity_id, agent, registration, doc_id) DO UPDATE SET \
                                 content_type = excluded.content_type, content = excluded.content, \
                                 etag = excluded.etag, updated_us = excluded.updated_us",
                            )
                            .map_err(db)?
                            .execute(params![
                                k.kind,
                                k.activity_id,
                                k.agent,
                                k.registration,
                                k.doc_id,
                                doc.content_type,
                                doc.content,
                                doc.etag,
                                micros(doc.updated)
                            ])
                            .map_err(db)?;
                    }
                    None => {
                        w.conn
                            .prepare_cached(&format!("DELETE FROM documents WHERE {WHERE_KEY}"))
                            .map_err(db)?
                            .execute(params![k.kind, k.activity_id, k.agent, k.registration, k.doc_id])
                            .map_err(db)?;
                    }
                }
                Ok(true)
            })
            .await
    }

    async fn list_documents(
        &self,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>, StoreError> {
        let k = scope.columns();
        // Strictly after `since`; without it every document (i64::MIN is before any time).
        let since_us = since.map(micros).unwrap_or(i64::MIN);
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT doc_id FROM documents WHERE {WHERE_SCOPE} AND updated_us > ?5 ORDER BY doc_id"
                ))
                .map_err(db)?;
            let rows = stmt
                .query_map(params![k.kind, k.activity_id, k.agent, k.registration, since_us], |r| r.get(0))
                .map_err(db)?;
            rows.collect::<Result<Vec<String>, _>>().map_err(db)
        })
        .await
    }

    async fn delete_documents(&self, scope: &DocumentScope) -> Result<(), StoreError> {
        let k = scope.columns();
        self.writer()
            .write(move |w| {
                w.conn
                    .prepare_cached(&format!("DELETE FROM documents WHERE {WHERE_SCOPE}"))
                    .map_err(db)?
                    .execute(params![k.kind, k.activity_id, k.agent, k.registration])
                    .map_err(db)?;
                Ok(())
            })
            .await
    }
}
