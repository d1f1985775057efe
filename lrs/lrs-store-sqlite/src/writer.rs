//! The writer thread and its group commit.
//!
//! Each write request is a job sent over a channel. The thread takes every job waiting (up to
//! [`MAX_GROUP`]), opens one `BEGIN IMMEDIATE` transaction, runs the jobs and commits once. The
//! group's answers go to the WAL sync thread ([`crate::durable`]), which answers them after one
//! `fdatasync` of the WAL, while this thread goes on with the next group. One flush per group
//! (or per several groups) means throughput grows with concurrency instead of being capped by
//! the disk's flush rate.
//!
//! A failing job must not take the others down. Jobs find their expected failure (a statement
//! conflict) before writing anything, so they run without a savepoint and such a failure needs
//! no undo. Any other failure (an I/O error, a bug) may have left writes behind: the whole
//! transaction is rolled back and the group runs again with one SAVEPOINT per job, so only the
//! failing job's work is undone. Savepoints on every job would copy each page a job touches
//! into a sub-journal, for a case that almost never happens.
//!
//! Once the database is large enough for the large page cache, the thread reads the
//! statement-id index into it in slices between groups ([`Writer::warm_slice`]).
//!
//! The thread also keeps caches that are valid only because it is the only writer: the
//! filter-key dictionary, recent activity definitions and the latest `stored`. They are rolled
//! back with a job or a transaction.

use std::collections::HashMap;

/// The writer's caches are looked up several times per statement: a fast hasher, seeded per
/// process (the keys come from clients).
type FastMap<V> = HashMap<String, V, foldhash::quality::RandomState>;
use std::sync::mpsc;
use std::time::Instant;

use lrs_core::StoreError;
use lrs_core::store::IndexKind;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use crate::checkpoint::Checkpointer;
use crate::db;
use crate::durable::Durable;

/// Most jobs in one transaction: bounds the latency a job waits behind the others.
const MAX_GROUP: usize = 512;

/// Entries of the key dictionary cache before it is emptied and rebuilt on demand.
const KEY_CACHE_LIMIT: usize = 500_000;

/// Entries of the activity definition cache before it is emptied.
const ACTIVITY_CACHE_LIMIT: usize = 20_000;

/// The writer's page cache (KiB) while the database is smaller than 1 GiB.
///
/// SQLite's B-tree balancing briefly gives a page the number of the "pending byte" page, the
/// first page past 1 GiB. The page cache then believes it holds a page beyond the end of a
/// smaller database, and every commit scans its whole hash table to drop it: measured as a
/// fifth of the writer thread's time with the large cache (see `lara-bench/README.md`). While
/// the database is that small the file sits in the OS page cache and is memory-mapped, so a
/// small SQLite cache costs little; past 1 GiB the scan no longer happens and the large cache
/// ([`crate::WRITER_CACHE_KIB`]) keeps the statement-id index in memory.
const SMALL_DB_CACHE_KIB: i64 = 32 * 1024;

/// Commits between two checks of the database size against that threshold.
const CACHE_CHECK_EVERY: u32 = 256;

/// Slices (by the first 12 bits of the id) in which the statement-id index is read into the
/// large page cache after it is set, see [`Writer::warm_slice`].
const WARM_SLICES: u32 = 4096;

/// Reads one slice of the statement-id index (the unique index of `statements.id`, named by
/// SQLite), the ids from `?1` up to `?2` (see [`slice_bounds`]).
const WARM_SQL: &str = "SELECT count(*) FROM statements INDEXED BY sqlite_autoindex_statements_1 \
     WHERE id >= ?1 AND id < ?2";

/// Bytes of the statement-id index per statement (measured: 494 MB for 17.4M statements).
const ID_INDEX_BYTES_PER_STATEMENT: i64 = 29;

/// How many slices to read for a store of `statements` and a cache of `cache_kib`: all of
/// them while the index fits in four fifths of the cache, otherwise the share that does
/// (reading more would only push the first slices out again).
fn slices_to_warm(statements: i64, cache_kib: i64) -> u32 {
    let index = statements
        .saturating_mul(ID_INDEX_BYTES_PER_STATEMENT)
        .max(1);
    let room = cache_kib.saturating_mul(1024) / 5 * 4;
    if index <= room {
        WARM_SLICES
    } else {
        u32::try_from(i64::from(WARM_SLICES) * room / index)
            .unwrap_or(0)
            .max(1)
    }
}

/// The reading of the statement-id index into the page cache, while it lasts.
#[derive(Debug, Clone, Copy)]
struct Warming {
    next: u32,
    /// Slices to read ([`slices_to_warm`]).
    end: u32,
    started: Instant,
}

/// The first page past 1 GiB for pages of `page_size` bytes (SQLite's "pending byte" page).
fn pending_byte_page(page_size: i64) -> i64 {
    (1i64 << 30) / page_size.max(512) + 1
}

/// The page cache (KiB) for a database of `pages` pages, given [`pending_byte_page`].
fn cache_kib_for(pages: i64, pending_byte_page: i64) -> i64 {
    if pages < pending_byte_page {
        SMALL_DB_CACHE_KIB
    } else {
        crate::WRITER_CACHE_KIB
    }
}

/// How a job's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ran {
    Done,
    /// Failed before writing anything (a statement conflict): the transaction stays usable.
    FailedClean,
    /// Failed, possibly after writing: only rolling back can undo its work.
    FailedDirty,
}

/// One write request, type-erased so that every kind of write shares the queue.
pub(crate) trait Job: Send {
    /// Runs the job inside the open transaction. May run a second time, after a rollback.
    fn run(&mut self, w: &mut Writer) -> Ran;
    /// Answers the caller: with the job's result when the transaction committed, otherwise
    /// with the commit's error.
    fn finish(self: Box<Self>, commit: Result<(), &str>);
}

struct TypedJob<T, F> {
    work: F,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send,
    F: FnMut(&mut Writer) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, w: &mut Writer) -> Ran {
        let result = (self.work)(w);
        let ran = match &result {
            Ok(_) => Ran::Done,
            Err(StoreError::Conflict(_)) => Ran::FailedClean,
            Err(_) => Ran::FailedDirty,
        };
        self.result = Some(result);
        ran
    }

    fn finish(self: Box<Self>, commit: Result<(), &str>) {
        let answer = match (commit, self.result) {
            // A failed job changed nothing, so its own error stands even if the commit failed.
            (_, Some(Err(e))) => Err(e),
            (Ok(()), Some(Ok(v))) => Ok(v),
            (Err(msg), _) => Err(StoreError::Backend(msg.to_owned())),
            (Ok(()), None) => Err(StoreError::Backend("the write was not run".into())),
        };
        // The caller may have gone away (request cancelled); nothing to do then.
        let _ = self.reply.send(answer);
    }
}

/// Why a group could not run to its commit.
#[derive(Debug, PartialEq, Eq)]
enum GroupError {
    /// A job failed after writing: run the group again with savepoints.
    Retry,
    Failed(String),
}
use GroupError::{Failed, Retry};

/// The sending side, held by the store.
pub(crate) struct WriterHandle {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl WriterHandle {
    /// Runs `work` on the writer thread inside the next group transaction and returns its
    /// result once that transaction is durable.
    ///
    /// `work` may run twice (after a rollback caused by another job), and must return
    /// [`StoreError::Conflict`] only before it wrote anything: that error is undone by doing
    /// nothing, any other by rolling back.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut Writer) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(TypedJob {
            work,
            result: None,
            reply,
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Backend("the writer thread has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Backend("the writer thread dropped a request".into()))?
    }
}

/// Starts the writer thread on an open, migrated connection.
pub(crate) fn start(
    conn: Connection,
    checkpointer: Checkpointer,
    durable: Durable,
) -> Result<WriterHandle, StoreError> {
    let mut writer = Writer::new(conn, checkpointer, durable)?;
    let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
    std::thread::Builder::new()
        .name("lara-sqlite-writer".into())
        .spawn(move || writer.run(&queue))
        .map_err(|e| StoreError::Backend(format!("starting the writer thread: {e}")))?;
    Ok(WriterHandle { jobs })
}

/// State owned by the writer thread.
pub(crate) struct Writer {
    pub(crate) conn: Connection,
    /// Filter-key dictionary, one map per [`IndexKind`] so lookups need no allocation.
    keys: [FastMap<i64>; IndexKind::ALL.len()],
    /// Keys cached since the transaction began, with the job that cached them, to forget on
    /// rollback.
    keys_in_tx: Vec<(IndexKind, String)>,
    /// `stored` (µs) of the statement with the largest seq, as of the current transaction.
    pub(crate) last_stored_us: i64,
    /// The postings segment last added to the `segments` table in this transaction or an
    /// earlier one; `None` whenever anything rolls back (an extra `INSERT OR IGNORE` is harmless,
    /// a missing segment row would hide its statements from queries).
    pub(crate) segment_recorded: Option<i64>,
    /// Canonical activity definitions recently read or written, so that the common case (a
    /// statement resending a known definition) costs neither a read nor a JSON parse. Emptied
    /// whenever anything rolls back.
    pub(crate) activities: FastMap<serde_json::Value>,
    checkpointer: Checkpointer,
    durable: Durable,
    /// The page cache set on the connection (KiB), see [`SMALL_DB_CACHE_KIB`].
    cache_kib: i64,
    /// [`pending_byte_page`] of this database (its page size never changes in WAL mode).
    pending_byte_page: i64,
    /// Commits since the database size was last checked.
    commits_unchecked: u32,
    /// While the id index is being read into the page cache.
    warming: Option<Warming>,
}

impl Writer {
    fn new(
        conn: Connection,
        checkpointer: Checkpointer,
        durable: Durable,
    ) -> Result<Writer, StoreError> {
        let last_stored_us = load_last_stored(&conn)?;
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(db)?;
        let mut writer = Writer {
            conn,
            keys: Default::default(),
            keys_in_tx: Vec::new(),
            last_stored_us,
            segment_recorded: None,
            activities: FastMap::default(),
            checkpointer,
            durable,
            cache_kib: 0,
            pending_byte_page: pending_byte_page(page_size),
            commits_unchecked: 0,
            warming: None,
        };
        writer.size_cache()?;
        Ok(writer)
    }

    /// Sets the page cache for the database's current size (see [`SMALL_DB_CACHE_KIB`]).
    fn size_cache(&mut self) -> Result<(), StoreError> {
        self.commits_unchecked = 0;
        let pages: i64 = self
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(db)?;
        let want = cache_kib_for(pages, self.pending_byte_page);
        if want != self.cache_kib {
            self.conn
                .execute_batch(&format!("PRAGMA cache_size = -{want}"))
                .map_err(db)?;
            tracing::debug!(pages, cache_kib = want, "sqlite writer page cache sized");
            self.cache_kib = want;
            if want == crate::WRITER_CACHE_KIB {
                let statements: i64 = self
                    .conn
                    .query_row("SELECT coalesce(max(seq), 0) FROM statements", [], |r| {
                        r.get(0)
                    })
                    .map_err(db)?;
                self.warming = Some(Warming {
                    next: 0,
                    end: slices_to_warm(statements, want),
                    started: Instant::now(),
                });
            }
        }
        Ok(())
    }

    /// Reads the next slice of the statement-id index into the page cache.
    ///
    /// Every new statement looks up and inserts its id at a random place of that index, and
    /// right after a start none of its pages are in the writer's cache. Read on demand, they
    /// slowed batch ingest for the first half minute or more (at 17M statements, the two 15 s
    /// runs right after a start: 15–20k/s without this, 22–26k/s with it; the whole index,
    /// 490 MB, was read in 1.3 s; `lara-bench/README.md`). Reading it in key order, one small
    /// slice between two groups (back to back while no request waits), fills the cache
    /// without holding up a request by more than one slice.
    fn warm_slice(&mut self) {
        let Some(warming) = self.warming else {
            return;
        };
        self.warming = match read_slice(&self.conn, warming.next) {
            Err(e) => {
                // Only a cost: the pages are then read when first needed.
                tracing::warn!(error = %e, "reading the statement-id index into the writer's cache");
                None
            }
            Ok(_) if warming.next + 1 < warming.end => Some(Warming {
                next: warming.next + 1,
                ..warming
            }),
            Ok(_) => {
                tracing::debug!(
                    ms = warming.started.elapsed().as_millis() as u64,
                    slices = warming.end,
                    "statement-id index read into the writer's page cache"
                );
                None
            }
        };
    }

    /// The next job: waits for one unless the id index is still being read, in which case
    /// `None` means there is none yet.
    fn next_job(&self, queue: &mpsc::Receiver<Box<dyn Job>>) -> Result<Option<Box<dyn Job>>, ()> {
        if self.warming.is_some() {
            match queue.try_recv() {
                Ok(job) => Ok(Some(job)),
                Err(mpsc::TryRecvError::Empty) => Ok(None),
                Err(mpsc::TryRecvError::Disconnected) => Err(()),
            }
        } else {
            queue.recv().map(Some).map_err(|_| ())
        }
    }

    fn run(&mut self, queue: &mpsc::Receiver<Box<dyn Job>>) {
        // The queue is disconnected once every sender is gone: the store was dropped, so stop.
        while let Ok(next) = self.next_job(queue) {
            self.warm_slice();
            let Some(first) = next else {
                continue;
            };
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match queue.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            self.commit_group(group);
        }
        tracing::debug!("sqlite writer thread stopping");
    }

    /// Runs a group in one transaction: bare, and again with savepoints if a job failed after
    /// writing (see the module doc).
    fn commit_group(&mut self, mut group: Vec<Box<dyn Job>>) {
        let t0 = Instant::now();
        let n = group.len();
        let mut outcome = self.run_group(&mut group, false);
        if outcome == Err(Retry) {
            tracing::warn!(
                "a write failed inside a group transaction; running the group again with savepoints"
            );
            self.rollback_all();
            outcome = self.run_group(&mut group, true);
        }
        let t1 = Instant::now();
        let mut outcome: Result<(), String> = match outcome {
            Ok(()) => self
                .conn
                .execute_batch("COMMIT")
                .map_err(|e| format!("committing: {e}")),
            Err(Retry) => Err("the write transaction failed".into()),
            Err(Failed(msg)) => Err(msg),
        };
        tracing::trace!(
            jobs = n,
            run_us = (t1 - t0).as_micros() as u64,
            commit_us = t1.elapsed().as_micros() as u64,
            "sqlite write group"
        );
        match &mut outcome {
            Ok(()) => {
                self.keys_in_tx.clear();
            }
            Err(msg) => {
                tracing::error!(error = %msg, "sqlite write transaction failed");
                self.rollback_all();
            }
        }
        match &outcome {
            Err(msg) => group.into_iter().for_each(|job| job.finish(Err(msg))),
            Ok(()) => {
                // Answered once the WAL is on disk.
                self.durable.after_commit(group);
                self.checkpointer.after_commit(&self.conn);
                self.commits_unchecked += 1;
                if self.commits_unchecked >= CACHE_CHECK_EVERY
                    && let Err(e) = self.size_cache()
                {
                    tracing::warn!(error = %e, "sizing the writer's page cache");
                }
            }
        }
    }

    /// Opens the transaction and runs every job, bare or each in a savepoint.
    fn run_group(
        &mut self,
        group: &mut [Box<dyn Job>],
        savepoints: bool,
    ) -> Result<(), GroupError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| Failed(format!("starting a transaction: {e}")))?;
        for job in group.iter_mut() {
            if savepoints {
                self.run_in_savepoint(job.as_mut()).map_err(Failed)?;
            } else {
                let keys_mark = self.keys_in_tx.len();
                let stored_mark = self.last_stored_us;
                match job.run(self) {
                    Ran::Done => {}
                    Ran::FailedClean => {
                        self.forget_keys_since(keys_mark);
                        self.last_stored_us = stored_mark;
                        self.segment_recorded = None;
                    }
                    Ran::FailedDirty => return Err(Retry),
                }
                // Some errors (disk full, I/O) make SQLite roll back the whole transaction.
                if self.conn.is_autocommit() {
                    return Err(Retry);
                }
            }
        }
        Ok(())
    }

    /// Undoes the open transaction and everything cached since it began.
    fn rollback_all(&mut self) {
        if !self.conn.is_autocommit() {
            // Best effort: the connection must not stay inside a broken transaction.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.forget_keys_since(0);
        self.activities.clear();
        self.segment_recorded = None;
        match load_last_stored(&self.conn) {
            Ok(us) => self.last_stored_us = us,
            Err(e) => tracing::error!(error = %e, "reloading the latest stored time"),
        }
    }

    /// Runs one job in its own savepoint. `Err` means the whole transaction is lost.
    fn run_in_savepoint(&mut self, job: &mut dyn Job) -> Result<(), String> {
        self.conn
            .execute_batch("SAVEPOINT job")
            .map_err(|e| format!("opening a savepoint: {e}"))?;
        let keys_mark = self.keys_in_tx.len();
        let stored_mark = self.last_stored_us;
        if job.run(self) == Ran::Done {
            return self
                .conn
                .execute_batch("RELEASE job")
                .map_err(|e| format!("releasing a savepoint: {e}"));
        }
        self.forget_keys_since(keys_mark);
        self.last_stored_us = stored_mark;
        self.activities.clear();
        self.segment_recorded = None;
        if self.conn.is_autocommit() {
            return Err("the transaction was rolled back by the database".into());
        }
        self.conn
            .execute_batch("ROLLBACK TO job; RELEASE job")
            .map_err(|e| format!("rolling back a savepoint: {e}"))
    }

    pub(crate) fn remember_activity(&mut self, id: &str, definition: serde_json::Value) {
        if self.activities.len() >= ACTIVITY_CACHE_LIMIT {
            self.activities.clear();
        }
        self.activities.insert(id.to_owned(), definition);
    }

    fn forget_keys_since(&mut self, mark: usize) {
        for (kind, value) in self.keys_in_tx.drain(mark..) {
            if let Some(map) = self.keys.get_mut(kind_slot(kind)) {
                map.remove(&value);
            }
        }
    }

    /// The dictionary id of a filter key, created if new.
    pub(crate) fn key_id(&mut self, kind: IndexKind, value: &str) -> Result<i64, StoreError> {
        if let Some(id) = self.keys.get(kind_slot(kind)).and_then(|m| m.get(value)) {
            return Ok(*id);
        }
        if let Some(id) = self.find_key(kind, value)? {
            self.cache_key(kind, value, id);
            return Ok(id);
        }
        // An agent or activity is normally posted under both its direct and its related kind.
        // Giving the two keys adjacent ids puts the newest postings of both on one B-tree page,
        // so a statement dirties one page per agent or activity instead of two.
        if let Some(partner) = partner_kind(kind)
            && self.find_key(partner, value)?.is_none()
        {
            let max: i64 = self
                .conn
                .prepare_cached("SELECT coalesce(max(id), 0) FROM index_keys")
                .map_err(db)?
                .query_row([], |r| r.get(0))
                .map_err(db)?;
            let base = (max + 2) & !1;
            let (direct, related) = if is_direct(kind) {
                (kind, partner)
            } else {
                (partner, kind)
            };
            self.insert_key(base, direct, value)?;
            self.insert_key(base + 1, related, value)?;
            self.cache_key(direct, value, base);
            self.cache_key(related, value, base + 1);
            return Ok(if is_direct(kind) { base } else { base + 1 });
        }
        let id = self.insert_key_auto(kind, value)?;
        self.cache_key(kind, value, id);
        Ok(id)
    }

    fn find_key(&self, kind: IndexKind, value: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .prepare_cached("SELECT id FROM index_keys WHERE kind = ?1 AND value = ?2")
            .map_err(db)?
            .query_row(params![kind.code(), value], |r| r.get(0))
            .optional()
            .map_err(db)
    }

    fn insert_key(&self, id: i64, kind: IndexKind, value: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT INTO index_keys (id, kind, value) VALUES (?1, ?2, ?3)")
            .map_err(db)?
            .execute(params![id, kind.code(), value])
            .map_err(db)?;
        Ok(())
    }

    fn insert_key_auto(&self, kind: IndexKind, value: &str) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached("INSERT INTO index_keys (kind, value) VALUES (?1, ?2)")
            .map_err(db)?
            .execute(params![kind.code(), value])
            .map_err(db)?;
        Ok(self.conn.last_insert_rowid())
    }

    fn cache_key(&mut self, kind: IndexKind, value: &str, id: i64) {
        if let Some(map) = self.keys.get_mut(kind_slot(kind)) {
            if map.len() >= KEY_CACHE_LIMIT {
                map.clear();
            }
            map.insert(value.to_owned(), id);
            self.keys_in_tx.push((kind, value.to_owned()));
        }
    }
}

/// The bounds of slice `n` of the id space: from its 2-byte prefix (inclusive) to the next
/// slice's (exclusive). The last slice ends at 17 bytes of `ff`, above every 16-byte id.
fn slice_bounds(n: u32) -> (Vec<u8>, Vec<u8>) {
    let prefix = |n: u32| {
        let p = n << 4;
        vec![(p >> 8) as u8, p as u8]
    };
    let end = if n + 1 < WARM_SLICES {
        prefix(n + 1)
    } else {
        vec![0xff; 17]
    };
    (prefix(n), end)
}

/// Reads slice `n` of the statement-id index; returns how many ids it holds.
fn read_slice(conn: &Connection, n: u32) -> rusqlite::Result<i64> {
    let (lo, hi) = slice_bounds(n);
    conn.prepare_cached(WARM_SQL)?
        .query_row(params![lo, hi], |r| r.get(0))
}

/// The kind an agent or activity key is paired with (direct ↔ related).
fn partner_kind(kind: IndexKind) -> Option<IndexKind> {
    match kind {
        IndexKind::Agent => Some(IndexKind::AgentRelated),
        IndexKind::AgentRelated => Some(IndexKind::Agent),
        IndexKind::Activity => Some(IndexKind::ActivityRelated),
        IndexKind::ActivityRelated => Some(IndexKind::Activity),
        IndexKind::Verb | IndexKind::Registration | IndexKind::Authority => None,
    }
}

fn is_direct(kind: IndexKind) -> bool {
    matches!(kind, IndexKind::Agent | IndexKind::Activity)
}

fn kind_slot(kind: IndexKind) -> usize {
    usize::try_from(kind.code()).unwrap_or(0).saturating_sub(1)
}

fn load_last_stored(conn: &Connection) -> Result<i64, StoreError> {
    let us: Option<i64> = conn
        .query_row(
            "SELECT stored_us FROM statements ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    Ok(us.unwrap_or(i64::MIN))
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

    fn job<F>(work: F) -> (Box<dyn Job>, oneshot::Receiver<Result<(), StoreError>>)
    where
        F: FnMut(&mut Writer) -> Result<(), StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        (
            Box::new(TypedJob {
                work,
                result: None,
                reply,
            }),
            rx,
        )
    }

    fn insert(value: i64) -> impl FnMut(&mut Writer) -> Result<(), StoreError> + Send + 'static {
        move |w| {
            w.conn
                .execute("INSERT INTO t (x) VALUES (?1)", [value])
                .map_err(db)?;
            Ok(())
        }
    }

    /// A writer on `conn`, the database at `path`, with its checkpoint and sync threads.
    fn writer_on(conn: Connection, path: &std::path::Path) -> Writer {
        Writer::new(
            conn,
            crate::checkpoint::start(path).unwrap(),
            crate::durable::start(path).unwrap(),
        )
        .unwrap()
    }

    fn writer(dir: &std::path::Path) -> Writer {
        let path = dir.join("w.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER PRIMARY KEY); \
             CREATE TABLE statements (seq INTEGER PRIMARY KEY, stored_us INTEGER);",
        )
        .unwrap();
        writer_on(conn, &path)
    }

    fn rows(w: &Writer) -> Vec<i64> {
        let mut stmt = w.conn.prepare("SELECT x FROM t ORDER BY x").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn a_job_failing_after_writing_is_undone_and_the_others_commit() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        let (a, ra) = job(insert(1));
        let (b, rb) = job(|w: &mut Writer| {
            insert(2)(w)?;
            Err(StoreError::Backend("boom".into()))
        });
        let (c, rc) = job(insert(3));
        w.commit_group(vec![a, b, c]);
        assert_eq!(rows(&w), vec![1, 3]);
        assert!(ra.blocking_recv().unwrap().is_ok());
        assert!(matches!(rb.blocking_recv().unwrap(), Err(StoreError::Backend(m)) if m == "boom"));
        assert!(rc.blocking_recv().unwrap().is_ok());
    }

    #[test]
    fn a_committed_group_is_answered_only_by_a_successful_wal_sync() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        // A sync thread for another database, whose WAL does not exist: the commit succeeds,
        // but the flush that must precede the answer fails, so the answer is an error.
        w.durable = crate::durable::start(&dir.path().join("elsewhere.db")).unwrap();
        let (a, ra) = job(insert(1));
        w.commit_group(vec![a]);
        assert!(
            matches!(ra.blocking_recv().unwrap(), Err(StoreError::Backend(m)) if m.contains("elsewhere.db-wal"))
        );
    }

    #[test]
    fn the_page_cache_is_small_below_one_gib_and_large_above() {
        let at = |pages, page_size| cache_kib_for(pages, pending_byte_page(page_size));
        assert_eq!(at(1, 4096), SMALL_DB_CACHE_KIB);
        assert_eq!(at(262_144, 4096), SMALL_DB_CACHE_KIB);
        assert_eq!(at(262_145, 4096), crate::WRITER_CACHE_KIB);
        assert_eq!(at(131_073, 8192), crate::WRITER_CACHE_KIB);
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path());
        let kib: i64 = w
            .conn
            .query_row("PRAGMA cache_size", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kib, -SMALL_DB_CACHE_KIB);
    }

    /// A writer on the real schema, with `ids` stored as statements.
    fn store_writer(dir: &std::path::Path, ids: &[[u8; 16]]) -> Writer {
        let path = dir.join("s.db");
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL").unwrap();
        crate::embedded::migrations::runner()
            .run(&mut conn)
            .unwrap();
        for id in ids {
            conn.execute(
                "INSERT INTO statements (id, stored_us, hash, json) VALUES (?1, 0, '', '{}')",
                [id.as_slice()],
            )
            .unwrap();
        }
        writer_on(conn, &path)
    }

    /// Ids at the edges of the slices, and ids spread over the slices between the first and
    /// the last one.
    fn edge_ids() -> Vec<[u8; 16]> {
        let mut ids = vec![[0u8; 16], [0xff; 16]];
        for (a, b) in [
            (0x00, 0x0f),
            (0x00, 0x10),
            (0x7f, 0xff),
            (0x80, 0x00),
            (0xff, 0xf0),
        ] {
            let mut id = [0x5a; 16];
            id[0] = a;
            id[1] = b;
            ids.push(id);
        }
        ids.extend((0..500u32).map(|i| {
            let mut id = *uuid::Uuid::new_v4().as_bytes();
            let prefix = ((i * 7919) % (WARM_SLICES - 2) + 1) << 4;
            id[0] = (prefix >> 8) as u8;
            id[1] = (id[1] & 0x0f) | prefix as u8;
            id
        }));
        ids
    }

    #[test]
    fn the_slices_cover_every_id_once_through_the_unique_index() {
        let dir = tempfile::tempdir().unwrap();
        let ids = edge_ids();
        let w = store_writer(dir.path(), &ids);
        let total: i64 = (0..WARM_SLICES)
            .map(|n| read_slice(&w.conn, n).unwrap())
            .sum();
        assert_eq!(total, ids.len() as i64);
        assert_eq!(read_slice(&w.conn, 0).unwrap(), 2, "00 00.. and 00 0f..");
        assert_eq!(
            read_slice(&w.conn, WARM_SLICES - 1).unwrap(),
            2,
            "ff f0.. and ff ff.."
        );
        let plan: String = w
            .conn
            .query_row(
                &format!("EXPLAIN QUERY PLAN {WARM_SQL}"),
                params![[0u8, 0], [0u8, 16]],
                |r| r.get(3),
            )
            .unwrap();
        assert!(
            plan.contains("COVERING INDEX sqlite_autoindex_statements_1"),
            "{plan}"
        );
    }

    #[test]
    fn only_the_share_of_the_index_that_fits_the_cache_is_read() {
        let cache = crate::WRITER_CACHE_KIB;
        assert_eq!(slices_to_warm(0, cache), WARM_SLICES);
        assert_eq!(slices_to_warm(17_400_000, cache), WARM_SLICES);
        // 2.9 GB of index, 0.86 GB of room: about 30 % of the slices.
        assert_eq!(slices_to_warm(100_000_000, cache), 1213);
        assert_eq!(slices_to_warm(i64::MAX, cache), 1);
    }

    #[test]
    fn warming_reads_every_slice_and_lets_waiting_jobs_through() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = store_writer(dir.path(), &edge_ids());
        w.conn
            .execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .unwrap();
        // A job waiting when the thread starts is run after one slice, not after all.
        w.warming = Some(Warming {
            next: 0,
            end: WARM_SLICES,
            started: Instant::now(),
        });
        let (jobs, queue) = mpsc::channel();
        let (a, ra) = job(insert(7));
        jobs.send(a).unwrap();
        drop(jobs);
        w.run(&queue);
        assert!(ra.blocking_recv().unwrap().is_ok());
        assert_eq!(rows(&w), vec![7]);
        assert_eq!(w.warming.map(|x| x.next), Some(1));
        // Left alone, it reads the remaining slices and stops.
        let mut turns = 1;
        while w.warming.is_some() {
            w.warm_slice();
            turns += 1;
        }
        assert_eq!(turns, WARM_SLICES);
    }

    #[test]
    fn a_conflict_leaves_the_group_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        let (a, ra) = job(insert(1));
        let id = uuid::Uuid::new_v4();
        let (b, rb) = job(move |_: &mut Writer| Err(StoreError::Conflict(id)));
        // Any other error counts as a write to undo: the group runs again with savepoints.
        let (c, rc) = job(insert(1));
        let (d, rd) = job(insert(4));
        w.commit_group(vec![a, b, c, d]);
        assert_eq!(rows(&w), vec![1, 4]);
        assert!(ra.blocking_recv().unwrap().is_ok());
        assert!(matches!(rb.blocking_recv().unwrap(), Err(StoreError::Conflict(x)) if x == id));
        assert!(rc.blocking_recv().unwrap().is_err());
        assert!(rd.blocking_recv().unwrap().is_ok());
    }
}
