//! WAL checkpoints off the writer thread.
//!
//! SQLite's automatic checkpoint runs inside the COMMIT that crosses the threshold: the writer
//! would copy pages into the database file and `fsync` it while every request of the group
//! waits for its answer. Here a separate connection checkpoints (PASSIVE: it never blocks the
//! writer or readers) shortly after commits, so the writer only pays the WAL's own `fsync`.
//!
//! A passive checkpoint cannot finish while the writer keeps appending, and the WAL restarts
//! from its beginning only after a complete checkpoint. So under sustained load the writer
//! checkpoints itself, between two transactions, once the WAL holds more than
//! [`WRITER_CHECKPOINT_FRAMES`] frames; that bounds the WAL's size.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use lrs_core::StoreError;
use rusqlite::{Connection, OpenFlags};

use crate::db;

/// Frames in the WAL above which the writer checkpoints itself (about 128 MB of 4 KiB pages).
pub(crate) const WRITER_CHECKPOINT_FRAMES: i64 = 32_768;

/// Shortest pause between two background checkpoints: commits arriving meanwhile are
/// checkpointed together.
const PAUSE: Duration = Duration::from_millis(50);

/// The writer's side: tells the checkpointer about commits and reads the WAL's size.
pub(crate) struct Checkpointer {
    commits: mpsc::Sender<()>,
    wal_frames: Arc<AtomicI64>,
}

impl Checkpointer {
    /// Called after each commit. A stopped checkpointer only means the WAL grows until the
    /// writer checkpoints itself, so errors are ignored.
    pub(crate) fn committed(&self) {
        let _ = self.commits.send(());
    }

    /// Frames in the WAL as of the last checkpoint.
    pub(crate) fn wal_frames(&self) -> i64 {
        self.wal_frames.load(Ordering::Relaxed)
    }

    pub(crate) fn set_wal_frames(&self, frames: i64) {
        self.wal_frames.store(frames, Ordering::Relaxed);
    }
}

/// Runs a passive checkpoint; returns the frames in the WAL and how many are now copied into
/// the database file.
pub(crate) fn checkpoint(conn: &Connection) -> Result<(i64, i64), StoreError> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    })
    .map_err(db)
}

/// Starts the checkpoint thread; it stops when the writer drops its [`Checkpointer`].
pub(crate) fn start(path: &Path) -> Result<Checkpointer, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;")
        .map_err(db)?;
    let (commits, rx) = mpsc::channel::<()>();
    let wal_frames = Arc::new(AtomicI64::new(0));
    let frames = wal_frames.clone();
    std::thread::Builder::new()
        .name("lara-sqlite-checkpoint".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                match checkpoint(&conn) {
                    Ok((n, _)) => frames.store(n, Ordering::Relaxed),
                    Err(e) => tracing::debug!(error = %e, "background checkpoint failed"),
                }
                std::thread::sleep(PAUSE);
            }
        })
        .map_err(|e| StoreError::Backend(format!("starting the checkpoint thread: {e}")))?;
    Ok(Checkpointer {
        commits,
        wal_frames,
    })
}
