//! Database URLs and backends.
//!
//! The URL scheme alone picks the backend. Anything unrecognised is an error: silently creating
//! an empty SQLite file for a mistyped PostgreSQL URL would look like data loss.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use lara_plugin_registry::PluginStore;
use lrs_core::directory::DirectoryStore;
use lrs_core::store::Store;
use player_core::{LaunchStore, PackageStore};

/// Everything a database backend stores: the LRS ([`Store`]) and imported packages
/// ([`PackageStore`]). Both backends implement both; callers needing one part upcast.
pub trait Backend: Store + PackageStore + LaunchStore + PluginStore + DirectoryStore {}

impl<T: Store + PackageStore + LaunchStore + PluginStore + DirectoryStore + ?Sized> Backend for T {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let url = url.trim();
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                bail!(
                    "sqlite database url {url:?} has no file path (e.g. sqlite://lara-data/lara.db)"
                );
            }
            if path == ":memory:" {
                bail!(
                    "an in-memory sqlite database would lose every statement on exit; give a file path"
                );
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        bail!("unrecognised database url {url:?}: use sqlite://PATH or postgres://USER@HOST/DB")
    }

    /// Opens the backend (creating a SQLite file and its directory if needed) and runs migrations.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Backend>> {
        match self {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                let store = lrs_store_sqlite::SqliteStore::open(path)
                    .await
                    .with_context(|| format!("opening sqlite database {}", path.display()))?;
                Ok(Arc::new(store))
            }
            DatabaseUrl::Postgres(url) => {
                let store = lrs_store_postgres::PgStore::connect(
                    url,
                    lrs_store_postgres::PgOptions::default(),
                )
                .await
                .context("connecting to postgresql")?;
                match store.tls_in_use().await {
                    Ok(true) => tracing::info!("postgresql connection is encrypted (TLS)"),
                    Ok(false) => tracing::warn!(
                        "postgresql connection is not encrypted; add ?sslmode=verify-full to the \
                         url unless the database is on this machine"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not tell whether postgresql uses TLS")
                    }
                }
                Ok(Arc::new(store))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend_or_are_refused() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://a/b.db").unwrap(),
            DatabaseUrl::Sqlite("a/b.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///abs/b.db").unwrap(),
            DatabaseUrl::Sqlite("/abs/b.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(DatabaseUrl::parse("postgress://u@h/db").is_err());
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("lara.db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
