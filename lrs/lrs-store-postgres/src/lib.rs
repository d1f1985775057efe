//! PostgreSQL storage for Lara: [`PgStore`] implements the `lrs-core` storage traits.
//!
//! Layout:
//! - this file: [`PgOptions`], [`PgStore::connect`] (pool, schema, migrations) and error mapping.
//! - [`statements`]: statement inserts (seq assignment under an advisory lock, voiding,
//!   StatementRef inheritance, activity definitions, attachments) and indexed queries.
//! - [`documents`]: state / activity profile / agent profile documents (compare-and-swap).
//! - [`credentials`]: API credentials (secret hashes, scopes, revocation).
//!
//! The schema lives in `migrations/postgres` (embedded with refinery, same numbers as SQLite).
//!
//! Scale-out: several `lara serve` processes may share one database. Nothing is cached in the
//! process; every decision is taken inside the database, so any node sees every other node's
//! writes as soon as they commit.
//!
//! No tokio-postgres type crosses the traits: driver errors become [`StoreError`] here.

mod credentials;
mod directory;
mod documents;
mod packages;
mod plugins;
mod statements;
mod tls;

use std::fmt::Write as _;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use lrs_core::StoreError;
use tokio_postgres_rustls::MakeRustlsConnect;

mod embedded {
    refinery::embed_migrations!("../../migrations/postgres");
}

/// Advisory lock key held (session-level) while a node creates the schema and migrates, so
/// that nodes starting together do not race on `CREATE TABLE`. "lara-mig" in ASCII.
const MIGRATION_LOCK: i64 = 0x6c61_7261_2d6d_6967;

/// How to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Largest number of pooled connections.
    pub pool_size: usize,
    /// Schema holding Lara's tables (created if missing). `None` keeps the server's
    /// `search_path` (normally `public`). Tests use one fresh schema each.
    pub schema: Option<String>,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            schema: None,
        }
    }
}

/// The PostgreSQL backend. Cheap to share behind an `Arc`; holds only the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PgStore {
    /// Connects, creates the schema if needed and runs pending migrations.
    ///
    /// TLS follows libpq's `sslmode` (see the `tls` module): `?sslmode=verify-full` checks the
    /// server's certificate against the system's roots or `sslrootcert=PATH`.
    pub async fn connect(url: &str, options: PgOptions) -> Result<PgStore, StoreError> {
        let (url, tls_settings) = tls::split_url(url)?;
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Backend(format!("invalid postgresql url: {}", describe(&e)))
        })?;
        config.ssl_mode(tls_settings.mode);
        let tls = tls::connector(&tls_settings)?;
        // Session settings go in the start-up options so that every pooled connection, including
        // ones the pool opens later, has them. Lara's queries are short index walks: JIT
        // compilation (triggered by the planner's cost estimates, which are huge on tables
        // without statistics) and parallel workers only add milliseconds, inside the statement
        // lock for inserts.
        let mut opts = config.get_options().unwrap_or_default().to_owned();
        if !opts.is_empty() {
            opts.push(' ');
        }
        opts.push_str("-c jit=off -c max_parallel_workers_per_gather=0");
        if let Some(schema) = &options.schema {
            check_schema_name(schema)?;
            let _ = write!(opts, " -c search_path={schema}");
        }
        config.options(&opts);
        config.application_name("lara");

        migrate(&config, tls.clone(), options.schema.as_deref()).await?;

        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .build()
            .map_err(|e| StoreError::Backend(format!("building the connection pool: {e}")))?;
        Ok(PgStore { pool })
    }

    /// Drops the schema given at [`PgStore::connect`] with everything in it. Meant for tests;
    /// refuses to drop `public`.
    pub async fn drop_schema(&self, schema: &str) -> Result<(), StoreError> {
        check_schema_name(schema)?;
        if schema == "public" {
            return Err(StoreError::Backend(
                "refusing to drop the public schema".into(),
            ));
        }
        let client = self.client().await?;
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .await
            .map_err(pg)?;
        Ok(())
    }

    /// Whether the pooled connections are encrypted (as PostgreSQL reports it). `lara serve`
    /// logs it at start-up.
    pub async fn tls_in_use(&self) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
                &[],
            )
            .await
            .map_err(pg)?;
        row.try_get(0).map_err(pg)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Backend(format!("no database connection: {e}")))
    }
}

/// Runs migrations on a dedicated connection holding [`MIGRATION_LOCK`]; the lock goes with the
/// session, so a failed start-up never leaves it held.
async fn migrate(
    config: &tokio_postgres::Config,
    tls: MakeRustlsConnect,
    schema: Option<&str>,
) -> Result<(), StoreError> {
    let (mut client, connection) = config.connect(tls).await.map_err(pg)?;
    let driver = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %describe(&e), "migration connection ended with an error");
        }
    });
    let result = async {
        client
            .query("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg)?;
        if let Some(schema) = schema {
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .await
                .map_err(pg)?;
        }
        let report = embedded::migrations::runner()
            .run_async(&mut client)
            .await
            .map_err(|e| StoreError::Backend(format!("migrating the database: {e}")))?;
        for m in report.applied_migrations() {
            tracing::info!(migration = %m, "applied migration");
        }
        Ok(())
    }
    .await;
    drop(client);
    let _ = driver.await;
    result
}

/// Schema names are spliced into SQL and the start-up options, so only plain identifiers pass.
fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.as_bytes().first().is_some_and(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(StoreError::Backend(format!(
            "invalid schema name {schema:?}: use lower-case letters, digits and _ (at most 63)"
        )))
    }
}

/// A driver error with its cause; tokio-postgres' `Display` alone says only "db error".
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

fn pg(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(describe(&e))
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]

    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for ok in ["lara", "lara_test_0f3a", "_x", "a1"] {
            assert!(check_schema_name(ok).is_ok(), "{ok}");
        }
        let too_long = "a".repeat(64);
        for bad in [
            "",
            "1abc",
            "Lara",
            "a-b",
            "a b",
            "a;drop",
            "a\"b",
            too_long.as_str(),
        ] {
            assert!(check_schema_name(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn bad_schema_or_url_fails_before_connecting() {
        let opts = PgOptions {
            schema: Some("x; DROP".into()),
            ..Default::default()
        };
        assert!(
            PgStore::connect("postgres://u@127.0.0.1:1/db", opts)
                .await
                .is_err()
        );
        assert!(
            PgStore::connect("not a url", PgOptions::default())
                .await
                .is_err()
        );
    }
}
