//! Credentials. Scopes are stored as their space-separated names, the authority as JSON text.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lrs_core::auth::{Credential, Scope};
use lrs_core::store::{CredentialStore, StoreError};
use rusqlite::{OptionalExtension, Row, params};

use crate::{SqliteStore, corrupt, db, from_micros, micros, uuid_from};

const COLUMNS: &str =
    "id, key, secret_hash, name, scopes, authority, created_us, revoked_us, binding, expires_us";

type RawCredential = (
    Vec<u8>,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

fn raw(r: &Row<'_>) -> rusqlite::Result<RawCredential> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn decode(
    (id, key, secret_hash, name, scopes, authority, created, revoked, binding, expires): RawCredential,
) -> Result<Credential, StoreError> {
    let scopes = scopes
        .split_ascii_whitespace()
        .map(|s| {
            s.parse::<Scope>()
                .map_err(|e| corrupt(format!("credential {key}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let authority =
        serde_json::from_str(&authority).map_err(|e| corrupt(format!("credential {key}: {e}")))?;
    Ok(Credential {
        id: uuid_from(&id)?,
        secret_hash,
        name,
        scopes,
        authority,
        created: from_micros(created)?,
        revoked: revoked.map(from_micros).transpose()?,
        binding: binding
            .map(|b| serde_json::from_str(&b))
            .transpose()
            .map_err(|e| corrupt(format!("credential {key}: {e}")))?,
        expires: expires.map(from_micros).transpose()?,
        key,
    })
}

#[async_trait]
impl CredentialStore for SqliteStore {
    async fn create_credential(&self, credential: &Credential) -> Result<(), StoreError> {
        let c = credential.clone();
        let scopes = c
            .scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let authority =
            serde_json::to_string(&c.authority).map_err(|e| StoreError::Backend(e.to_string()))?;
        let binding = c
            .binding
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        self.writer()
            .write(move |w| {
                w.conn
                    .prepare_cached(&format!("INSERT INTO credentials ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"))
                    .map_err(db)?
                    .execute(params![
                        c.id.as_bytes().as_slice(),
                        c.key,
                        c.secret_hash,
                        c.name,
                        scopes,
                        authority,
                        micros(c.created),
                        c.revoked.map(micros),
                        binding,
                        c.expires.map(micros),
                    ])
                    .map_err(db)?;
                Ok(())
            })
            .await
    }

    async fn credential_by_key(&self, key: &str) -> Result<Option<Credential>, StoreError> {
        let key = key.to_owned();
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!("SELECT {COLUMNS} FROM credentials WHERE key = ?1"))
                .map_err(db)?
                .query_row([&key], raw)
                .optional()
                .map_err(db)?;
            row.map(decode).transpose()
        })
        .await
    }

    async fn list_credentials(&self) -> Result<Vec<Credential>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM credentials WHERE binding IS NULL AND expires_us IS NULL ORDER BY created_us, key"
                ))
                .map_err(db)?;
            let rows = stmt
                .query_map([], raw)
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            rows.into_iter().map(decode).collect()
        })
        .await
    }

    async fn revoke_credential(&self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.writer()
            .write(move |w| {
                // The first revocation time stands.
                let n = w
                    .conn
                    .prepare_cached("UPDATE credentials SET revoked_us = coalesce(revoked_us, ?2) WHERE key = ?1")
                    .map_err(db)?
                    .execute(params![key, micros(at)])
                    .map_err(db)?;
                Ok(n > 0)
            })
            .await
    }
}
