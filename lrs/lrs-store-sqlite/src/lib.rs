//! SQLite storage for Lara: [`SqliteStore`] implements the `lrs-core` storage traits.
//!
//! Layout:
//! - this file: [`SqliteStore::open`] (file, pragmas, migrations, writer thread, reader pool),
//!   the read helper and error mapping.
//! - [`writer`]: the single writer thread and its group commit. Every write of every trait goes
//!   through it: SQLite allows one writer at a time anyway, and one thread that batches many
//!   requests into one transaction pays one `fsync` for all of them.
//! - [`statements`]: statement inserts (run on the writer) and indexed queries (run on readers).
//! - [`documents`]: state / activity profile / agent profile documents (compare-and-swap).
//! - [`durable`]: the thread that flushes the WAL after each commit and only then answers.
//! - [`checkpoint`]: WAL checkpoints on their own thread, off the writer's critical path.
//! - [`credentials`]: credential rows.
//!
//! The schema lives in `migrations/sqlite` (embedded with refinery, same numbers as PostgreSQL).
//!
//! Durability: WAL journal; a write is acknowledged only after an `fdatasync` of the WAL that
//! began after its commit ([`durable`]: the writer connection itself runs with
//! `synchronous=NORMAL` so that the flush overlaps the next group's work). Reads run on a pool
//! of connections in `spawn_blocking`; WAL lets them proceed while the writer commits.
//!
//! One `SqliteStore` per database file: its writer thread assumes it is the only writer (it
//! caches the key dictionary and the latest `stored`). Clone the store to share it.
//!
//! No rusqlite type crosses the traits: driver errors become [`StoreError`] here.

mod checkpoint;
mod credentials;
mod directory;
mod documents;
mod durable;
mod packages;
mod plugins;
mod statements;
mod writer;

use std::path::Path;
use std::sync::Arc;

use lrs_core::StoreError;
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::writer::WriterHandle;

mod embedded {
    refinery::embed_migrations!("../../migrations/sqlite");
}

/// Readers kept open. Queries are short and CPU bound; a few more than the cores lets some
/// wait on I/O while others run.
const READERS: u32 = 8;

/// Page cache per connection, in KiB (negative `cache_size` means KiB in SQLite).
/// The writer's is large enough for the statement-id index of a 10M-statement store (each new
/// statement touches a random page of it); SQLite fills the cache only as pages are used.
/// Below 1 GiB the writer uses a smaller one (see `writer`), which sets its own.
const WRITER_CACHE_KIB: i64 = 1024 * 1024;
const READER_CACHE_KIB: i64 = 16 * 1024;
/// Memory-mapped I/O lets every reader share the OS page cache instead of copying pages.
const MMAP_BYTES: i64 = 1 << 30;
/// Size the WAL file is cut back to when it restarts after a complete checkpoint. Under a
/// sustained write load the WAL grows to several hundred MiB between checkpoints (see
/// `checkpoint`); keeping that file lets the next cycle overwrite blocks the file system has
/// already allocated instead of allocating and zero-filling new ones, which cost the writer
/// thread about a tenth of its time with a 64 MiB limit (`lara-bench/README.md`). The price
/// is disk space: after a burst the WAL file keeps up to this size.
const WAL_SIZE_LIMIT: i64 = 1 << 30;

/// The SQLite backend. Cheap to clone; the writer thread stops when the last clone is dropped.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: WriterHandle,
    readers: Pool<SqliteConnectionManager>,
    /// Declared last so that it is removed after the connections are closed.
    _temp: Option<TempDir>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("readers", &self.inner.readers.state())
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, runs the migrations and starts the
    /// writer thread. The parent directory must exist.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path, None))
            .await
            .map_err(|e| StoreError::Backend(format!("opening the database: {e}")))?
    }

    /// A store in a fresh temporary directory that is removed when the store's last clone is
    /// dropped. For tests and benchmarks: an in-memory database could not be shared between
    /// the writer thread and the readers.
    pub async fn open_temporary() -> Result<SqliteStore, StoreError> {
        let dir = TempDir::new()?;
        tokio::task::spawn_blocking(move || {
            Self::open_blocking(&dir.path.join("lara.db"), Some(dir))
        })
        .await
        .map_err(|e| StoreError::Backend(format!("opening the database: {e}")))?
    }

    fn open_blocking(path: &Path, temp: Option<TempDir>) -> Result<SqliteStore, StoreError> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db)?;
        configure(&conn)?;
        // WAL is a property of the file; set once here, before any reader opens it.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!(
                "could not enable WAL (journal_mode is {mode})"
            )));
        }
        embedded::migrations::runner()
            .run(&mut conn)
            .map_err(|e| StoreError::Backend(format!("running migrations: {e}")))?;
        conn.set_prepared_statement_cache_capacity(64);

        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                c.set_prepared_statement_cache_capacity(32);
                stable_plans(c)?;
                c.execute_batch(&format!(
                    "PRAGMA query_only = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA cache_size = -{READER_CACHE_KIB}; PRAGMA mmap_size = {MMAP_BYTES};"
                ))
            });
        let readers = Pool::builder()
            .max_size(READERS)
            .min_idle(Some(1))
            .build(manager)
            .map_err(|e| StoreError::Backend(format!("opening reader connections: {e}")))?;

        // Checkpoints run on their own thread (see `checkpoint`), not inside the writer's commits.
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0")
            .map_err(db)?;
        let checkpointer = checkpoint::start(path)?;
        let durable = durable::start(path)?;
        let writer = writer::start(conn, checkpointer, durable)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer,
                readers,
                _temp: temp,
            }),
        })
    }

    /// Runs `f` on a pooled reader connection off the async threads.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.inner.readers.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool
                .get()
                .map_err(|e| StoreError::Backend(format!("no reader connection: {e}")))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("reader task failed: {e}")))?
    }

    fn writer(&self) -> &WriterHandle {
        &self.inner.writer
    }
}

/// Pragmas of the writer connection. `synchronous=NORMAL`: COMMIT does not wait for the disk;
/// [`durable`] flushes the WAL before any write is acknowledged (SQLite still syncs the WAL
/// header on restart and the WAL before each checkpoint, so the file cannot be corrupted).
/// Its page cache is set by the writer, which sizes it to the database (see `writer`).
fn configure(conn: &Connection) -> Result<(), StoreError> {
    stable_plans(conn).map_err(db)?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = OFF; \
         PRAGMA mmap_size = {MMAP_BYTES}; PRAGMA temp_store = MEMORY; \
         PRAGMA journal_size_limit = {WAL_SIZE_LIMIT};"
    ))
    .map_err(db)
}

/// Plans that do not depend on bound values. Without this, SQLite prepares a statement again
/// whenever a parameter it looked at while planning (a `LIMIT ?`, say) is bound to a new value:
/// measured as most of the CPU of concurrent queries, serialized on SQLite's allocator mutex.
fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map(drop)
}

/// A temporary directory removed on drop (a tiny stand-in for `tempfile`, which is only a
/// dev-dependency).
struct TempDir {
    path: std::path::PathBuf,
}

impl TempDir {
    fn new() -> Result<TempDir, StoreError> {
        let path =
            std::env::temp_dir().join(format!("lara-sqlite-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path)
            .map_err(|e| StoreError::Backend(format!("creating {}: {e}", path.display())))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover temporary directory is not worth a panic.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    chrono::DateTime::from_timestamp_micros(us)
        .ok_or_else(|| corrupt(format!("timestamp {us} out of range")))
}

pub(crate) fn uuid_from(bytes: &[u8]) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::from_slice(bytes).map_err(|e| corrupt(format!("uuid: {e}")))
}
