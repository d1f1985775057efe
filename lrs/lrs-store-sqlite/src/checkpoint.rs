//! WAL checkpoints off the writer thread.
//!
//! SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold: the writer
//! would copy pages into the database file and `fsync` it while every request of the group
//! waits for its answer. Here a separate connection checkpoints (PASSIVE: it never blocks the
//! writer or readers) at most once per [`PAUSE`]. Waiting between checkpoints pays off: a page
//! written by many commits in the meantime (index pages, the table's tail) is copied into the
//! database file once.
//!
//! A passive checkpoint cannot finish while the writer keeps appending, and the WAL restarts
//! from its beginning only after a complete checkpoint. So once the WAL is large, the writer
//! completes the job itself right after a background checkpoint finished, between two
//! transactions: only the frames committed during that checkpoint are left to copy, which is
//! quick, and the next transaction restarts the WAL. That bounds the WAL without a long stall.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use lrs_core::StoreError;
use rusqlite::{Connection, OpenFlags};

use crate::db;

/// Shortest pause between two background checkpoints. Longer pauses copy a page that many
/// commits wrote (a random page of the statement-id index, above all) once instead of several
/// times; at 10M statements, 4 s instead of 1 s cut the tail latency of batch writes from
/// ~0.8 s to ~0.05–0.08 s and raised their rate (`lrs/lara-bench/README.md`).
const PAUSE: Duration = Duration::from_millis(4000);

/// WAL frames (4 KiB pages) above which the writer finishes a background checkpoint itself
/// (about 768 MiB, room for the WAL of one pause at full speed). Even the short catch-up
/// stalls the writer for a few hundred milliseconds on a large store (measured), so it should
/// be rare.
const RESTART_FRAMES: i64 = 196_608;

/// WAL frames above which the writer checkpoints whether or not a background checkpoint just
/// ran (the checkpoint thread is stuck or gone).
const FORCE_FRAMES: i64 = 524_288;

#[derive(Default)]
struct Shared {
    /// Frames in the WAL as of the last checkpoint.
    wal_frames: AtomicI64,
    /// Counts finished background checkpoints.
    generation: AtomicU64,
}

/// The writer's side of the checkpoint thread.
pub(crate) struct Checkpointer {
    commits: mpsc::Sender<()>,
    shared: Arc<Shared>,
    seen_generation: u64,
}

impl Checkpointer {
    /// Called by the writer after each commit, outside any transaction.
    pub(crate) fn after_commit(&mut self, conn: &Connection) {
        // A stopped checkpoint thread only means the WAL grows until FORCE_FRAMES.
        let _ = self.commits.send(());
        let frames = self.shared.wal_frames.load(Ordering::Relaxed);
        let generation = self.shared.generation.load(Ordering::Relaxed);
        let fresh = generation != self.seen_generation;
        if (fresh && frames > RESTART_FRAMES) || frames > FORCE_FRAMES {
            self.seen_generation = generation;
            match checkpoint(conn) {
                Ok((frames, copied)) => {
                    let left = if frames == copied { 0 } else { frames };
                    self.shared.wal_frames.store(left, Ordering::Relaxed);
                }
                Err(e) => tracing::debug!(error = %e, "writer checkpoint failed"),
            }
        }
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
    let shared = Arc::new(Shared::default());
    let theirs = shared.clone();
    std::thread::Builder::new()
        .name("lara-sqlite-checkpoint".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                match checkpoint(&conn) {
                    Ok((frames, _)) => {
                        theirs.wal_frames.store(frames, Ordering::Relaxed);
                        theirs.generation.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => tracing::debug!(error = %e, "background checkpoint failed"),
                }
                std::thread::sleep(PAUSE);
            }
        })
        .map_err(|e| StoreError::Backend(format!("starting the checkpoint thread: {e}")))?;
    Ok(Checkpointer {
        commits,
        shared,
        seen_generation: 0,
    })
}
