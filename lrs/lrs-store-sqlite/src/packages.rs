//! Imported packages (`player_core::PackageStore`): content-addressed chunks and files, and
//! package versions. Writes go through the writer thread like every other write.

use async_trait::async_trait;
use lrs_core::StoreError;
use player_core::{NewVersion, PackageStore, PackageVersion, VersionFile};
use rusqlite::{OptionalExtension, Row, params};
use uuid::Uuid;

use crate::{SqliteStore, corrupt, db, from_micros, micros, uuid_from};

const VERSION_COLUMNS: &str = "p.id, v.id, p.identifier, v.version, v.standard, v.title, \
                               v.manifest, v.report, v.created_us";

type VersionRow = (
    Vec<u8>,
    Vec<u8>,
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
);

fn version_row(r: &Row<'_>) -> rusqlite::Result<VersionRow> {
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
    ))
}

fn decode(
    (package, version, identifier, number, standard, title, manifest, report, created): VersionRow,
) -> Result<PackageVersion, StoreError> {
    Ok(PackageVersion {
        package_id: uuid_from(&package)?,
        version_id: uuid_from(&version)?,
        identifier,
        version: number,
        standard,
        title,
        manifest,
        report,
        created: from_micros(created)?,
    })
}

#[async_trait]
impl PackageStore for SqliteStore {
    async fn missing_chunks(&self, sha256: Vec<String>) -> Result<Vec<String>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT 1 FROM content_chunks WHERE sha256 = ?1")
                .map_err(db)?;
            let mut missing = Vec::new();
            for h in sha256 {
                if !stmt.exists([&h]).map_err(db)? {
                    missing.push(h);
                }
            }
            Ok(missing)
        })
        .await
    }

    async fn put_chunks(&self, chunks: Vec<(String, Vec<u8>)>) -> Result<(), StoreError> {
        self.writer()
            .write(move |w| {
                let mut stmt = w
                    .conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO content_chunks (sha256, data) VALUES (?1, ?2)",
                    )
                    .map_err(db)?;
                for (h, data) in &chunks {
                    stmt.execute(params![h, data]).map_err(db)?;
                }
                drop(stmt);
                // Chunk pages are written once and rarely read back through this connection:
                // left in its page cache they would push the process to the cache's full size
                // on every large import. Free the pages no transaction holds (an import's
                // previous chunks, by now committed).
                w.conn.release_memory().map_err(db)?;
                Ok(())
            })
            .await
    }

    async fn put_file(
        &self,
        sha256: String,
        size: u64,
        chunks: Vec<String>,
    ) -> Result<(), StoreError> {
        let size = i64::try_from(size).map_err(|_| StoreError::Backend("file too large".into()))?;
        self.writer()
            .write(move |w| {
                let mut have = w
                    .conn
                    .prepare_cached("SELECT 1 FROM content_chunks WHERE sha256 = ?1")
                    .map_err(db)?;
                for c in &chunks {
                    if !have.exists([c]).map_err(db)? {
                        return Err(StoreError::Backend(format!(
                            "file {sha256}: chunk {c} is not stored"
                        )));
                    }
                }
                w.conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO content_files (sha256, size, chunks) VALUES (?1, ?2, ?3)",
                    )
                    .map_err(db)?
                    .execute(params![sha256, size, chunks.join(" ")])
                    .map_err(db)?;
                Ok(())
            })
            .await
    }

    async fn file_chunks(&self, sha256: &str) -> Result<Option<Vec<String>>, StoreError> {
        let sha256 = sha256.to_owned();
        self.read(move |conn| {
            let text: Option<String> = conn
                .prepare_cached("SELECT chunks FROM content_files WHERE sha256 = ?1")
                .map_err(db)?
                .query_row([&sha256], |r| r.get(0))
                .optional()
                .map_err(db)?;
            Ok(text.map(|t| t.split_ascii_whitespace().map(str::to_owned).collect()))
        })
        .await
    }

    async fn read_chunk(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let sha256 = sha256.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT data FROM content_chunks WHERE sha256 = ?1")
                .map_err(db)?
                .query_row([&sha256], |r| r.get(0))
                .optional()
                .map_err(db)
        })
        .await
    }

    async fn package_exists(&self, package_id: Uuid) -> Result<bool, StoreError> {
        self.read(move |conn| {
            conn.prepare_cached("SELECT 1 FROM packages WHERE id = ?1")
                .map_err(db)?
                .exists([package_id.as_bytes().as_slice()])
                .map_err(db)
        })
        .await
    }

    async fn add_version(&self, version: NewVersion) -> Result<PackageVersion, StoreError> {
        self.writer()
            .write(move |w| {
                let conn = &w.conn;
                let mut known = conn
                    .prepare_cached("SELECT 1 FROM content_files WHERE sha256 = ?1")
                    .map_err(db)?;
                for f in &version.files {
                    if !known.exists([&f.sha256]).map_err(db)? {
                        // Nothing written yet: a clean failure.
                        return Err(StoreError::Backend(format!(
                            "{}: file {} is not stored",
                            f.path, f.sha256
                        )));
                    }
                }
                let existing: Option<(Vec<u8>, String)> = match version.package_id {
                    Some(id) => conn
                        .prepare_cached("SELECT id, identifier FROM packages WHERE id = ?1")
                        .map_err(db)?
                        .query_row([id.as_bytes().as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                        .map_err(db)?
                        .map(Some)
                        .ok_or_else(|| StoreError::Backend(format!("no package {id}")))?,
                    None => conn
                        .prepare_cached("SELECT id, identifier FROM packages WHERE identifier = ?1")
                        .map_err(db)?
                        .query_row([&version.identifier], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                        .map_err(db)?,
                };
                let created = micros(version.created);
                // The package keeps the identifier it was created with.
                let identifier = existing
                    .as_ref()
                    .map_or_else(|| version.identifier.clone(), |(_, i)| i.clone());
                let package_id = match existing {
                    Some((id, _)) => uuid_from(&id)?,
                    None => {
                        let id = Uuid::new_v4();
                        conn.prepare_cached(
                            "INSERT INTO packages (id, identifier, created_us) VALUES (?1, ?2, ?3)",
                        )
                        .map_err(db)?
                        .execute(params![id.as_bytes().as_slice(), version.identifier, created])
                        .map_err(db)?;
                        id
                    }
                };
                let number: i64 = conn
                    .prepare_cached(
                        "SELECT coalesce(max(version), 0) + 1 FROM package_versions WHERE package_id = ?1",
                    )
                    .map_err(db)?
                    .query_row([package_id.as_bytes().as_slice()], |r| r.get(0))
                    .map_err(db)?;
                let version_id = Uuid::new_v4();
                conn.prepare_cached(
                    "INSERT INTO package_versions \
                     (id, package_id, version, standard, title, manifest, report, created_us) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(db)?
                .execute(params![
                    version_id.as_bytes().as_slice(),
                    package_id.as_bytes().as_slice(),
                    number,
                    version.standard,
                    version.title,
                    version.manifest,
                    version.report,
                    created
                ])
                .map_err(db)?;
                let mut add = conn
                    .prepare_cached(
                        "INSERT INTO package_files (version_id, path, sha256, size) VALUES (?1, ?2, ?3, ?4)",
                    )
                    .map_err(db)?;
                for f in &version.files {
                    let size = i64::try_from(f.size).map_err(|_| corrupt("file size"))?;
                    add.execute(params![version_id.as_bytes().as_slice(), f.path, f.sha256, size])
                        .map_err(db)?;
                }
                Ok(PackageVersion {
                    package_id,
                    version_id,
                    identifier,
                    version: number,
                    standard: version.standard.clone(),
                    title: version.title.clone(),
                    manifest: version.manifest.clone(),
                    report: version.report.clone(),
                    created: from_micros(created)?,
                })
            })
            .await
    }

    async fn get_version(&self, version_id: Uuid) -> Result<Option<PackageVersion>, StoreError> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {VERSION_COLUMNS} FROM package_versions v JOIN packages p ON p.id = v.package_id \
                     WHERE v.id = ?1"
                ))
                .map_err(db)?
                .query_row([version_id.as_bytes().as_slice()], version_row)
                .optional()
                .map_err(db)?;
            row.map(decode).transpose()
        })
        .await
    }

    async fn list_packages(&self) -> Result<Vec<PackageVersion>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {VERSION_COLUMNS} FROM package_versions v JOIN packages p ON p.id = v.package_id \
                     WHERE v.version = (SELECT max(version) FROM package_versions x WHERE x.package_id = p.id) \
                     ORDER BY p.identifier"
                ))
                .map_err(db)?;
            let rows = stmt
                .query_map([], version_row)
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            rows.into_iter().map(decode).collect()
        })
        .await
    }

    async fn version_file(
        &self,
        version_id: Uuid,
        path: &str,
    ) -> Result<Option<VersionFile>, StoreError> {
        let path = path.to_owned();
        self.read(move |conn| {
            let row: Option<(String, i64)> = conn
                .prepare_cached(
                    "SELECT sha256, size FROM package_files WHERE version_id = ?1 AND path = ?2",
                )
                .map_err(db)?
                .query_row(params![version_id.as_bytes().as_slice(), path], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(db)?;
            row.map(|(sha256, size)| {
                Ok(VersionFile {
                    path: path.clone(),
                    sha256,
                    size: u64::try_from(size).map_err(|_| corrupt("negative file size"))?,
                })
            })
            .transpose()
        })
        .await
    }
}

type RegistrationRow = (Vec<u8>, Vec<u8>, Vec<u8>, String, String, i64);

const REGISTRATION_COLUMNS: &str = "id, package_id, version_id, actor, actor_key, created_us";

fn registration_row(r: &Row<'_>) -> rusqlite::Result<RegistrationRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn decode_registration(
    (id, package, version, actor, actor_key, created): RegistrationRow,
) -> Result<player_core::Registration, StoreError> {
    Ok(player_core::Registration {
        id: uuid_from(&id)?,
        package_id: uuid_from(&package)?,
        version_id: uuid_from(&version)?,
        actor,
        actor_key,
        created: from_micros(created)?,
    })
}

const AU_SESSION_COLUMNS: &str =
    "id, registration_id, au, fetch_hash, fetched_us, state, created_us, expires_us";

type AuSessionRow = (
    Vec<u8>,
    Vec<u8>,
    String,
    String,
    Option<i64>,
    String,
    i64,
    i64,
);

fn au_session_row(r: &Row<'_>) -> rusqlite::Result<AuSessionRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn decode_au_session(
    (id, registration, au, fetch_hash, fetched, state, created, expires): AuSessionRow,
) -> Result<player_core::AuSession, StoreError> {
    Ok(player_core::AuSession {
        id: uuid_from(&id)?,
        registration_id: uuid_from(&registration)?,
        au,
        fetch_hash,
        fetched: fetched.map(from_micros).transpose()?,
        state,
        created: from_micros(created)?,
        expires: from_micros(expires)?,
    })
}

#[async_trait]
impl player_core::LaunchStore for SqliteStore {
    async fn latest_registration(
        &self,
        actor_key: &str,
        package_id: Uuid,
    ) -> Result<Option<player_core::Registration>, StoreError> {
        let actor_key = actor_key.to_owned();
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {REGISTRATION_COLUMNS} FROM registrations \
                     WHERE actor_key = ?1 AND package_id = ?2 ORDER BY created_us DESC, rowid DESC LIMIT 1"
                ))
                .map_err(db)?
                .query_row(
                    params![actor_key, package_id.as_bytes().as_slice()],
                    registration_row,
                )
                .optional()
                .map_err(db)?;
            row.map(decode_registration).transpose()
        })
        .await
    }

    async fn get_registration(
        &self,
        id: Uuid,
    ) -> Result<Option<player_core::Registration>, StoreError> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE id = ?1"
                ))
                .map_err(db)?
                .query_row([id.as_bytes().as_slice()], registration_row)
                .optional()
                .map_err(db)?;
            row.map(decode_registration).transpose()
        })
        .await
    }

    async fn add_registration(
        &self,
        registration: player_core::Registration,
    ) -> Result<(), StoreError> {
        self.writer()
            .write(move |w| {
                w.conn
                    .prepare_cached(&format!(
                        "INSERT INTO registrations ({REGISTRATION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                    ))
                    .map_err(db)?
                    .execute(params![
                        registration.id.as_bytes().as_slice(),
                        registration.package_id.as_bytes().as_slice(),
                        registration.version_id.as_bytes().as_slice(),
                        registration.actor,
                        registration.actor_key,
                        micros(registration.created)
                    ])
                    .map_err(db)?;
                Ok(())
            })
            .await
    }

    async fn add_launch(
        &self,
        token_hash: String,
        registration_id: Uuid,
        expires: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.writer()
            .write(move |w| {
                w.conn
                    .prepare_cached(
                        "INSERT INTO launches (token_hash, registration_id, expires_us) VALUES (?1, ?2, ?3)",
                    )
                    .map_err(db)?
                    .execute(params![
                        token_hash,
                        registration_id.as_bytes().as_slice(),
                        micros(expires)
                    ])
                    .map_err(db)?;
                Ok(())
            })
            .await
    }

    async fn launch(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<player_core::Registration>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.read(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT r.id, r.package_id, r.version_id, r.actor, r.actor_key, r.created_us \
                     FROM launches l JOIN registrations r ON r.id = l.registration_id \
                     WHERE l.token_hash = ?1 AND l.expires_us > ?2",
                )
                .map_err(db)?
                .query_row(params![token_hash, micros(now)], registration_row)
                .optional()
                .map_err(db)?;
            row.map(decode_registration).transpose()
        })
        .await
    }

    async fn save_state(
        &self,
        registration_id: Uuid,
        item: &str,
        state: String,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let item = item.to_owned();
        self.writer()
            .write(move |w| {
                w.conn
                    .prepare_cached(
                        "INSERT INTO runtime_state (registration_id, item, state, updated_us) \
                         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (registration_id, item) \
                         DO UPDATE SET state = excluded.state, updated_us = excluded.updated_us",
                    )
                    .map_err(db)?
                    .execute(params![
                        registration_id.as_bytes().as_slice(),
                        item,
                        state,
                        micros(at)
                    ])
                    .map_err(db)?;
                Ok(())
            })
            .await
    }

    async fn load_state(
        &self,
        registration_id: Uuid,
        item: &str,
    ) -> Result<Option<String>, StoreError> {
        let item = item.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT state FROM runtime_state WHERE registration_id = ?1 AND item = ?2",
            )
            .map_err(db)?
            .query_row(params![registration_id.as_bytes().as_slice(), item], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn add_au_session(&self, session: player_core::AuSession) -> Result<(), StoreError> {
        self.writer()
            .write(move |w| {
                w.conn
                    .prepare_cached(&format!(
                        "INSERT INTO au_sessions ({AU_SESSION_COLUMNS}) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                    ))
                    .map_err(db)?
                    .execute(params![
                        session.id.as_bytes().as_slice(),
                        session.registration_id.as_bytes().as_slice(),
                        session.au,
                        session.fetch_hash,
                        session.fetched.map(micros),
                        session.state,
                        micros(session.created),
                        micros(session.expires),
                    ])
                    .map_err(db)?;
                Ok(())
            })
            .await
    }

    async fn claim_fetch(
        &self,
        fetch_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<player_core::FetchClaim, StoreError> {
        let fetch_hash = fetch_hash.to_owned();
        self.writer()
            .write(move |w| {
                // One statement decides: only the first use of an unexpired URL updates a row.
                let claimed = w
                    .conn
                    .prepare_cached(
                        "UPDATE au_sessions SET fetched_us = ?2 \
                         WHERE fetch_hash = ?1 AND fetched_us IS NULL AND expires_us > ?2",
                    )
                    .map_err(db)?
                    .execute(params![fetch_hash, micros(now)])
                    .map_err(db)?;
                let row = w
                    .conn
                    .prepare_cached(&format!(
                        "SELECT {AU_SESSION_COLUMNS} FROM au_sessions WHERE fetch_hash = ?1"
                    ))
                    .map_err(db)?
                    .query_row([&fetch_hash], au_session_row)
                    .optional()
                    .map_err(db)?;
                Ok(match (row, claimed) {
                    (Some(r), 1) => player_core::FetchClaim::Claimed(decode_au_session(r)?),
                    (Some(_), _) => player_core::FetchClaim::Spent,
                    (None, _) => player_core::FetchClaim::Unknown,
                })
            })
            .await
    }

    async fn au_session(&self, id: Uuid) -> Result<Option<player_core::AuSession>, StoreError> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {AU_SESSION_COLUMNS} FROM au_sessions WHERE id = ?1"
                ))
                .map_err(db)?
                .query_row([id.as_bytes().as_slice()], au_session_row)
                .optional()
                .map_err(db)?;
            row.map(decode_au_session).transpose()
        })
        .await
    }

    async fn au_sessions(
        &self,
        registration_id: Uuid,
        au: &str,
    ) -> Result<Vec<player_core::AuSession>, StoreError> {
        let au = au.to_owned();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {AU_SESSION_COLUMNS} FROM au_sessions \
                     WHERE registration_id = ?1 AND au = ?2 ORDER BY created_us, rowid"
                ))
                .map_err(db)?;
            let rows = stmt
                .query_map(
                    params![registration_id.as_bytes().as_slice(), au],
                    au_session_row,
                )
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            rows.into_iter().map(decode_au_session).collect()
        })
        .await
    }

    async fn update_au_session(&self, id: Uuid, state: String) -> Result<(), StoreError> {
        self.writer()
            .write(move |w| {
                w.conn
                    .prepare_cached("UPDATE au_sessions SET state = ?2 WHERE id = ?1")
                    .map_err(db)?
                    .execute(params![id.as_bytes().as_slice(), state])
                    .map_err(db)?;
                Ok(())
            })
            .await
    }
}
