//! Imported packages (`player_core::PackageStore`): content-addressed chunks and files, and
//! package versions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use lrs_core::StoreError;
use player_core::{NewVersion, PackageStore, PackageVersion, VersionFile};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::{PgStore, corrupt, pg};

const VERSION_COLUMNS: &str = "p.id, v.id, p.identifier, v.version, v.standard, v.title, \
                               v.manifest, v.report, v.created";

fn decode(r: &Row) -> Result<PackageVersion, StoreError> {
    Ok(PackageVersion {
        package_id: r.try_get(0).map_err(pg)?,
        version_id: r.try_get(1).map_err(pg)?,
        identifier: r.try_get(2).map_err(pg)?,
        version: r.try_get(3).map_err(pg)?,
        standard: r.try_get(4).map_err(pg)?,
        title: r.try_get(5).map_err(pg)?,
        manifest: r.try_get(6).map_err(pg)?,
        report: r.try_get(7).map_err(pg)?,
        created: r.try_get::<_, DateTime<Utc>>(8).map_err(pg)?,
    })
}

/// One version with its package, on a client or inside a transaction.
async fn version_by_id(
    client: &impl GenericClient,
    version_id: Uuid,
) -> Result<Option<PackageVersion>, StoreError> {
    let row = client
        .query_opt(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM package_versions v JOIN packages p ON p.id = v.package_id \
                 WHERE v.id = $1"
            ),
            &[&version_id],
        )
        .await
        .map_err(pg)?;
    row.as_ref().map(decode).transpose()
}

fn size_of(size: u64) -> Result<i64, StoreError> {
    i64::try_from(size).map_err(|_| StoreError::Backend("file too large".into()))
}

#[async_trait]
impl PackageStore for PgStore {
    async fn missing_chunks(&self, sha256: Vec<String>) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT h FROM unnest($1::text[]) WITH ORDINALITY AS t(h, n) \
                 WHERE NOT EXISTS (SELECT 1 FROM content_chunks c WHERE c.sha256 = t.h) ORDER BY n",
                &[&sha256],
            )
            .await
            .map_err(pg)?;
        rows.iter().map(|r| r.try_get(0).map_err(pg)).collect()
    }

    async fn put_chunks(&self, chunks: Vec<(String, Vec<u8>)>) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        let stmt = tx
            .prepare(
                "INSERT INTO content_chunks (sha256, data) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING",
            )
            .await
            .map_err(pg)?;
        for (h, data) in &chunks {
            tx.execute(&stmt, &[h, data]).await.map_err(pg)?;
        }
        tx.commit().await.map_err(pg)
    }

    async fn put_file(
        &self,
        sha256: String,
        size: u64,
        chunks: Vec<String>,
    ) -> Result<(), StoreError> {
        let size = size_of(size)?;
        let client = self.client().await?;
        let stored: i64 = client
            .query_one(
                "SELECT count(DISTINCT c.sha256) FROM content_chunks c WHERE c.sha256 = ANY($1)",
                &[&chunks],
            )
            .await
            .map_err(pg)?
            .try_get(0)
            .map_err(pg)?;
        let distinct: std::collections::BTreeSet<&String> = chunks.iter().collect();
        if usize::try_from(stored).unwrap_or(0) != distinct.len() {
            return Err(StoreError::Backend(format!(
                "file {sha256}: some chunks are not stored"
            )));
        }
        client
            .execute(
                "INSERT INTO content_files (sha256, size, chunks) VALUES ($1, $2, $3) \
                 ON CONFLICT (sha256) DO NOTHING",
                &[&sha256, &size, &chunks],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn file_chunks(&self, sha256: &str) -> Result<Option<Vec<String>>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT chunks FROM content_files WHERE sha256 = $1",
                &[&sha256],
            )
            .await
            .map_err(pg)?;
        row.map(|r| r.try_get(0).map_err(pg)).transpose()
    }

    async fn read_chunk(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT data FROM content_chunks WHERE sha256 = $1",
                &[&sha256],
            )
            .await
            .map_err(pg)?;
        row.map(|r| r.try_get(0).map_err(pg)).transpose()
    }

    async fn package_exists(&self, package_id: Uuid) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT 1 FROM packages WHERE id = $1", &[&package_id])
            .await
            .map_err(pg)?;
        Ok(row.is_some())
    }

    async fn add_version(&self, version: NewVersion) -> Result<PackageVersion, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        let hashes: Vec<&str> = version.files.iter().map(|f| f.sha256.as_str()).collect();
        let missing = tx
            .query(
                "SELECT h FROM unnest($1::text[]) AS t(h) \
                 WHERE NOT EXISTS (SELECT 1 FROM content_files f WHERE f.sha256 = t.h) LIMIT 1",
                &[&hashes],
            )
            .await
            .map_err(pg)?;
        if let Some(row) = missing.first() {
            let h: String = row.try_get(0).map_err(pg)?;
            return Err(StoreError::Backend(format!("file {h} is not stored")));
        }
        // Two nodes importing into one package at once: the row lock orders them, so version
        // numbers never collide.
        let package_id: Uuid = match version.package_id {
            Some(id) => tx
                .query_opt("SELECT id FROM packages WHERE id = $1 FOR UPDATE", &[&id])
                .await
                .map_err(pg)?
                .ok_or_else(|| StoreError::Backend(format!("no package {id}")))?
                .try_get(0)
                .map_err(pg)?,
            None => {
                tx.execute(
                    "INSERT INTO packages (id, identifier, created) VALUES ($1, $2, $3) \
                     ON CONFLICT (identifier) DO NOTHING",
                    &[&Uuid::new_v4(), &version.identifier, &version.created],
                )
                .await
                .map_err(pg)?;
                tx.query_one(
                    "SELECT id FROM packages WHERE identifier = $1 FOR UPDATE",
                    &[&version.identifier],
                )
                .await
                .map_err(pg)?
                .try_get(0)
                .map_err(pg)?
            }
        };
        let number: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) + 1 FROM package_versions WHERE package_id = $1",
                &[&package_id],
            )
            .await
            .map_err(pg)?
            .try_get(0)
            .map_err(pg)?;
        let version_id = Uuid::new_v4();
        tx.execute(
            "INSERT INTO package_versions \
             (id, package_id, version, standard, title, manifest, report, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &version_id,
                &package_id,
                &number,
                &version.standard,
                &version.title,
                &version.manifest,
                &version.report,
                &version.created,
            ],
        )
        .await
        .map_err(pg)?;
        let paths: Vec<&str> = version.files.iter().map(|f| f.path.as_str()).collect();
        let sizes = version
            .files
            .iter()
            .map(|f| size_of(f.size))
            .collect::<Result<Vec<i64>, _>>()?;
        tx.execute(
            "INSERT INTO package_files (version_id, path, sha256, size) \
             SELECT $1, p, h, s FROM unnest($2::text[], $3::text[], $4::bigint[]) AS t(p, h, s)",
            &[&version_id, &paths, &hashes, &sizes],
        )
        .await
        .map_err(pg)?;
        let stored = version_by_id(&tx, version_id)
            .await?
            .ok_or_else(|| StoreError::Backend(format!("version {version_id} vanished")))?;
        tx.commit().await.map_err(pg)?;
        Ok(stored)
    }

    async fn get_version(&self, version_id: Uuid) -> Result<Option<PackageVersion>, StoreError> {
        let client = self.client().await?;
        version_by_id(&client, version_id).await
    }

    async fn list_packages(&self) -> Result<Vec<PackageVersion>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT DISTINCT ON (p.identifier) {VERSION_COLUMNS} \
                     FROM package_versions v JOIN packages p ON p.id = v.package_id \
                     ORDER BY p.identifier, v.version DESC"
                ),
                &[],
            )
            .await
            .map_err(pg)?;
        rows.iter().map(decode).collect()
    }

    async fn version_file(
        &self,
        version_id: Uuid,
        path: &str,
    ) -> Result<Option<VersionFile>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT sha256, size FROM package_files WHERE version_id = $1 AND path = $2",
                &[&version_id, &path],
            )
            .await
            .map_err(pg)?;
        row.map(|r| {
            let size: i64 = r.try_get(1).map_err(pg)?;
            Ok(VersionFile {
                path: path.to_owned(),
                sha256: r.try_get(0).map_err(pg)?,
                size: u64::try_from(size).map_err(|_| corrupt("negative file size"))?,
            })
        })
        .transpose()
    }
}

const REGISTRATION_COLUMNS: &str = "id, package_id, version_id, actor, actor_key, created";

fn decode_registration(r: &Row) -> Result<player_core::Registration, StoreError> {
    Ok(player_core::Registration {
        id: r.try_get(0).map_err(pg)?,
        package_id: r.try_get(1).map_err(pg)?,
        version_id: r.try_get(2).map_err(pg)?,
        actor: r.try_get(3).map_err(pg)?,
        actor_key: r.try_get(4).map_err(pg)?,
        created: r.try_get(5).map_err(pg)?,
    })
}

#[async_trait]
impl player_core::LaunchStore for PgStore {
    async fn latest_registration(
        &self,
        actor_key: &str,
        package_id: Uuid,
    ) -> Result<Option<player_core::Registration>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {REGISTRATION_COLUMNS} FROM registrations \
                     WHERE actor_key = $1 AND package_id = $2 ORDER BY created DESC, id LIMIT 1"
                ),
                &[&actor_key, &package_id],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(decode_registration).transpose()
    }

    async fn get_registration(
        &self,
        id: Uuid,
    ) -> Result<Option<player_core::Registration>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(decode_registration).transpose()
    }

    async fn add_registration(
        &self,
        registration: player_core::Registration,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                &format!(
                    "INSERT INTO registrations ({REGISTRATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
                ),
                &[
                    &registration.id,
                    &registration.package_id,
                    &registration.version_id,
                    &registration.actor,
                    &registration.actor_key,
                    &registration.created,
                ],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn add_launch(
        &self,
        token_hash: String,
        registration_id: Uuid,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO launches (token_hash, registration_id, expires) VALUES ($1, $2, $3)",
                &[&token_hash, &registration_id, &expires],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn launch(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<player_core::Registration>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT r.id, r.package_id, r.version_id, r.actor, r.actor_key, r.created \
                 FROM launches l JOIN registrations r ON r.id = l.registration_id \
                 WHERE l.token_hash = $1 AND l.expires > $2",
                &[&token_hash, &now],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(decode_registration).transpose()
    }

    async fn save_state(
        &self,
        registration_id: Uuid,
        item: &str,
        state: String,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO runtime_state (registration_id, item, state, updated) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (registration_id, item) \
                 DO UPDATE SET state = excluded.state, updated = excluded.updated",
                &[&registration_id, &item, &state, &at],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn load_state(
        &self,
        registration_id: Uuid,
        item: &str,
    ) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT state FROM runtime_state WHERE registration_id = $1 AND item = $2",
                &[&registration_id, &item],
            )
            .await
            .map_err(pg)?;
        row.map(|r| r.try_get(0).map_err(pg)).transpose()
    }

    async fn add_au_session(&self, session: player_core::AuSession) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                &format!(
                    "INSERT INTO au_sessions ({AU_SESSION_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ),
                &[
                    &session.id,
                    &session.registration_id,
                    &session.au,
                    &session.fetch_hash,
                    &session.fetched,
                    &session.state,
                    &session.created,
                    &session.expires,
                ],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn claim_fetch(
        &self,
        fetch_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<player_core::FetchClaim, StoreError> {
        let client = self.client().await?;
        // One statement decides: only the first use of an unexpired URL updates a row.
        let claimed = client
            .query_opt(
                &format!(
                    "UPDATE au_sessions SET fetched = $2 \
                     WHERE fetch_hash = $1 AND fetched IS NULL AND expires > $2 \
                     RETURNING {AU_SESSION_COLUMNS}"
                ),
                &[&fetch_hash, &now],
            )
            .await
            .map_err(pg)?;
        if let Some(row) = claimed {
            return Ok(player_core::FetchClaim::Claimed(decode_au_session(&row)?));
        }
        let known = client
            .query_opt(
                "SELECT 1 FROM au_sessions WHERE fetch_hash = $1",
                &[&fetch_hash],
            )
            .await
            .map_err(pg)?;
        Ok(if known.is_some() {
            player_core::FetchClaim::Spent
        } else {
            player_core::FetchClaim::Unknown
        })
    }

    async fn au_session(&self, id: Uuid) -> Result<Option<player_core::AuSession>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {AU_SESSION_COLUMNS} FROM au_sessions WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(decode_au_session).transpose()
    }

    async fn au_sessions(
        &self,
        registration_id: Uuid,
        au: &str,
    ) -> Result<Vec<player_core::AuSession>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {AU_SESSION_COLUMNS} FROM au_sessions \
                     WHERE registration_id = $1 AND au = $2 ORDER BY created, id"
                ),
                &[&registration_id, &au],
            )
            .await
            .map_err(pg)?;
        rows.iter().map(decode_au_session).collect()
    }

    async fn update_au_session(&self, id: Uuid, state: String) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE au_sessions SET state = $2 WHERE id = $1",
                &[&id, &state],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }
}

const AU_SESSION_COLUMNS: &str =
    "id, registration_id, au, fetch_hash, fetched, state, created, expires";

fn decode_au_session(row: &tokio_postgres::Row) -> Result<player_core::AuSession, StoreError> {
    Ok(player_core::AuSession {
        id: row.try_get("id").map_err(pg)?,
        registration_id: row.try_get("registration_id").map_err(pg)?,
        au: row.try_get("au").map_err(pg)?,
        fetch_hash: row.try_get("fetch_hash").map_err(pg)?,
        fetched: row.try_get("fetched").map_err(pg)?,
        state: row.try_get("state").map_err(pg)?,
        created: row.try_get("created").map_err(pg)?,
        expires: row.try_get("expires").map_err(pg)?,
    })
}
