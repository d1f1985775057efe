//! Credentials: one row each, the secret only as its hash.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lrs_core::auth::{Credential, Scope};
use lrs_core::store::{CredentialStore, StoreError};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::{PgStore, corrupt, pg};

const COLUMNS: &str =
    "id, key, secret_hash, name, scopes, authority, created, revoked, binding, expires";

fn from_row(row: &Row) -> Result<Credential, StoreError> {
    let scopes: Vec<String> = row.try_get("scopes").map_err(pg)?;
    let scopes = scopes
        .iter()
        .map(|s| {
            s.parse::<Scope>()
                .map_err(|e| corrupt(format!("credential scope: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Credential {
        id: row.try_get::<_, Uuid>("id").map_err(pg)?,
        key: row.try_get("key").map_err(pg)?,
        secret_hash: row.try_get("secret_hash").map_err(pg)?,
        name: row.try_get("name").map_err(pg)?,
        scopes,
        authority: row.try_get::<_, Value>("authority").map_err(pg)?,
        created: row.try_get::<_, DateTime<Utc>>("created").map_err(pg)?,
        revoked: row
            .try_get::<_, Option<DateTime<Utc>>>("revoked")
            .map_err(pg)?,
        binding: row
            .try_get::<_, Option<Value>>("binding")
            .map_err(pg)?
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| corrupt(format!("credential binding: {e}")))?,
        expires: row
            .try_get::<_, Option<DateTime<Utc>>>("expires")
            .map_err(pg)?,
    })
}

#[async_trait]
impl CredentialStore for PgStore {
    async fn create_credential(&self, c: &Credential) -> Result<(), StoreError> {
        let scopes: Vec<&str> = c.scopes.iter().map(|s| s.as_str()).collect();
        let binding = c
            .binding
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let client = self.client().await?;
        client
            .execute(
                &format!(
                    "INSERT INTO credentials ({COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ),
                &[
                    &c.id,
                    &c.key,
                    &c.secret_hash,
                    &c.name,
                    &scopes,
                    &c.authority,
                    &c.created,
                    &c.revoked,
                    &binding,
                    &c.expires,
                ],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn credential_by_key(&self, key: &str) -> Result<Option<Credential>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM credentials WHERE key = $1"),
                &[&key],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(from_row).transpose()
    }

    async fn list_credentials(&self) -> Result<Vec<Credential>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM credentials WHERE binding IS NULL AND expires IS NULL ORDER BY created, key"
                ),
                &[],
            )
            .await
            .map_err(pg)?;
        rows.iter().map(from_row).collect()
    }

    async fn revoke_credential(&self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let client = self.client().await?;
        // A second revocation keeps the first time: that is when the credential stopped working.
        let n = client
            .execute(
                "UPDATE credentials SET revoked = coalesce(revoked, $2) WHERE key = $1",
                &[&key, &at],
            )
            .await
            .map_err(pg)?;
        Ok(n > 0)
    }
}
