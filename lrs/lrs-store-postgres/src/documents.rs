//! State, activity profile and agent profile documents.
//!
//! One table keyed by (kind, activity_id, agent, registration, doc_id); key parts a resource
//! does not have are '' (registration too when there is none). Every swap is a single SQL
//! statement, so the compare and the write cannot be separated by another node's write.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lrs_core::store::{Document, DocumentKey, DocumentScope, DocumentStore, Expected, StoreError};

use crate::{PgStore, pg};

const WHERE_KEY: &str =
    "kind = $1 AND activity_id = $2 AND agent = $3 AND registration = $4 AND doc_id = $5";
const WHERE_SCOPE: &str = "kind = $1 AND activity_id = $2 AND agent = $3 AND registration = $4";

#[async_trait]
impl DocumentStore for PgStore {
    async fn get_document(&self, key: &DocumentKey) -> Result<Option<Document>, StoreError> {
        let k = key.columns();
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT content_type, content, etag, updated FROM documents WHERE {WHERE_KEY}"
                ),
                &[
                    &k.kind,
                    &k.activity_id,
                    &k.agent,
                    &k.registration,
                    &k.doc_id,
                ],
            )
            .await
            .map_err(pg)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Document {
            content_type: row.try_get("content_type").map_err(pg)?,
            content: row.try_get("content").map_err(pg)?,
            etag: row.try_get("etag").map_err(pg)?,
            updated: row.try_get::<_, DateTime<Utc>>("updated").map_err(pg)?,
        }))
    }

    async fn swap_document(
        &self,
        key: &DocumentKey,
        expected: &Expected,
        new: Option<&Document>,
    ) -> Result<bool, StoreError> {
        let k = key.columns();
        let client = self.client().await?;
        let changed = match (expected, new) {
            (Expected::Absent, Some(d)) => client
                .execute(
                    "INSERT INTO documents \
                     (kind, activity_id, agent, registration, doc_id, content_type, content, etag, updated) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                    &[
                        &k.kind,
                        &k.activity_id,
                        &k.agent,
                        &k.registration,
                        &k.doc_id,
                        &d.content_type,
                        &d.content,
                        &d.etag,
                        &d.updated,
                    ],
                )
                .await
                .map_err(pg)?,
            // Deleting what is expected to be absent: succeeds exactly when it still is.
            (Expected::Absent, None) => {
                let row = client
                    .query_one(
                        &format!("SELECT NOT EXISTS (SELECT 1 FROM documents WHERE {WHERE_KEY})"),
                        &[&k.kind, &k.activity_id, &k.agent, &k.registration, &k.doc_id],
                    )
                    .await
                    .map_err(pg)?;
                return row.try_get::<_, bool>(0).map_err(pg);
            }
            (Expected::Etag(etag), Some(d)) => client
                .execute(
                    &format!(
                        "UPDATE documents SET content_type = $7, content = $8, etag = $9, updated = $10 \
                         WHERE {WHERE_KEY} AND etag = $6"
                    ),
                    &[
                        &k.kind,
                        &k.activity_id,
                        &k.agent,
                        &k.registration,
                        &k.doc_id,
                        etag,
                        &d.content_type,
                        &d.content,
                        &d.etag,
                        &d.updated,
                    ],
                )
                .await
                .map_err(pg)?,
            (Expected::Etag(etag), None) => client
                .execute(
                    &format!("DELETE FROM documents WHERE {WHERE_KEY} AND etag = $6"),
                    &[&k.kind, &k.activity_id, &k.agent, &k.registration, &k.doc_id, etag],
                )
                .await
                .map_err(pg)?,
        };
        Ok(changed > 0)
    }

    async fn list_documents(
        &self,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>, StoreError> {
        let k = scope.columns();
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT doc_id FROM documents WHERE {WHERE_SCOPE} \
                     AND ($5::timestamptz IS NULL OR updated > $5) ORDER BY doc_id"
                ),
                &[&k.kind, &k.activity_id, &k.agent, &k.registration, &since],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| r.try_get::<_, String>(0).map_err(pg))
            .collect()
    }

    async fn delete_documents(&self, scope: &DocumentScope) -> Result<(), StoreError> {
        let k = scope.columns();
        let client = self.client().await?;
        client
            .execute(
                &format!("DELETE FROM documents WHERE {WHERE_SCOPE}"),
                &[&k.kind, &k.activity_id, &k.agent, &k.registration],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }
}
