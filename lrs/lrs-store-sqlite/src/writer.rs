//! The writer thread and its group commit.
//!
//! Each write request is a job sent over a channel. The thread takes every job waiting, opens
//! one `BEGIN IMMEDIATE` transaction, runs each job inside its own SAVEPOINT (a job that fails,
//! e.g. on a statement conflict, rolls back only its own work), commits once and only then
//! answers every job. With `synchronous=FULL` the commit is one `fsync` for the whole group, so
//! throughput grows with concurrency instead of being capped by the disk's flush rate.
//!
//! The thread also keeps caches that are valid only because it is the only writer: the
//! filter-key dictionary and the latest `stored`. Both are rolled back with a savepoint or a
//! failed commit.

use std::collections::HashMap;
use std::sync::mpsc;

use lrs_core::StoreError;
use lrs_core::store::IndexKind;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use crate::checkpoint::{self, Checkpointer, WRITER_CHECKPOINT_FRAMES};
use crate::db;

/// Most jobs in one transaction: bounds the latency a job waits behind the others.
const MAX_GROUP: usize = 512;

/// Entries of the key dictionary cache before it is emptied and rebuilt on demand.
const KEY_CACHE_LIMIT: usize = 500_000;

/// Entries of the activity definition cache before it is emptied.
const ACTIVITY_CACHE_LIMIT: usize = 20_000;

/// One write request, type-erased so that every kind of write shares the queue.
trait Job: Send {
    /// Runs the job inside the open transaction; `Err` means its savepoint must roll back.
    fn run(&mut self, w: &mut Writer) -> Result<(), ()>;
    /// Answers the caller: with the job's result when the transaction committed, otherwise
    /// with the commit's error.
    fn finish(self: Box<Self>, commit: Result<(), &str>);
}

struct TypedJob<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send,
    F: FnOnce(&mut Writer) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, w: &mut Writer) -> Result<(), ()> {
        let Some(work) = self.work.take() else {
            return Err(());
        };
        let result = work(w);
        let ok = result.is_ok();
        self.result = Some(result);
        if ok { Ok(()) } else { Err(()) }
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

/// The sending side, held by the store.
pub(crate) struct WriterHandle {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl WriterHandle {
    /// Runs `work` on the writer thread inside the next group transaction and returns its
    /// result once that transaction is durable.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Writer) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(TypedJob {
            work: Some(work),
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
) -> Result<WriterHandle, StoreError> {
    let mut writer = Writer::new(conn, checkpointer)?;
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
    keys: [HashMap<String, i64>; 6],
    /// Keys cached since the transaction began, with the job that cached them, to forget on
    /// rollback.
    keys_in_tx: Vec<(IndexKind, String)>,
    /// `stored` (µs) of the statement with the largest seq, as of the current transaction.
    pub(crate) last_stored_us: i64,
    /// Canonical activity definitions recently read or written, so that the common case (a
    /// statement resending a known definition) costs neither a read nor a JSON parse. Emptied
    /// whenever anything rolls back.
    pub(crate) activities: HashMap<String, serde_json::Value>,
    checkpointer: Checkpointer,
}

impl Writer {
    fn new(conn: Connection, checkpointer: Checkpointer) -> Result<Writer, StoreError> {
        let last_stored_us = load_last_stored(&conn)?;
        Ok(Writer {
            conn,
            keys: Default::default(),
            keys_in_tx: Vec::new(),
            last_stored_us,
            activities: HashMap::new(),
            checkpointer,
        })
    }

    fn run(&mut self, queue: &mpsc::Receiver<Box<dyn Job>>) {
        // `recv` fails once every sender is gone: the store was dropped, so stop.
        while let Ok(first) = queue.recv() {
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

    fn commit_group(&mut self, mut group: Vec<Box<dyn Job>>) {
        let t0 = std::time::Instant::now();
        let n = group.len();
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            let msg = format!("starting a transaction: {e}");
            group.into_iter().for_each(|job| job.finish(Err(&msg)));
            return;
        }
        let mut outcome: Result<(), String> = Ok(());
        for job in &mut group {
            if let Err(msg) = self.run_job(job.as_mut()) {
                outcome = Err(msg);
                break;
            }
        }
        let t1 = std::time::Instant::now();
        if outcome.is_ok() {
            outcome = self
                .conn
                .execute_batch("COMMIT")
                .map_err(|e| format!("committing: {e}"));
        }
        if std::env::var_os("LARA_WRITER_TRACE").is_some() {
            eprintln!("group {n} run {:?} commit {:?}", t1 - t0, t1.elapsed());
        }
        match &outcome {
            Ok(()) => {
                self.keys_in_tx.clear();
                self.checkpointer.committed();
            }
            Err(msg) => {
                tracing::error!(error = %msg, "sqlite write transaction failed");
                if !self.conn.is_autocommit() {
                    // Best effort: the connection must not stay inside a broken transaction.
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                self.forget_keys_since(0);
                self.activities.clear();
                match load_last_stored(&self.conn) {
                    Ok(us) => self.last_stored_us = us,
                    Err(e) => tracing::error!(error = %e, "reloading the latest stored time"),
                }
            }
        }
        let commit = outcome.as_ref().map(|_| ()).map_err(String::as_str);
        group.into_iter().for_each(|job| job.finish(commit));
        if self.checkpointer.wal_frames() > WRITER_CHECKPOINT_FRAMES {
            self.checkpoint_now();
        }
    }

    /// A checkpoint between two transactions, after the answers went out: nothing appends to
    /// the WAL meanwhile, so it can complete and the next transaction restarts the WAL.
    fn checkpoint_now(&mut self) {
        match checkpoint::checkpoint(&self.conn) {
            Ok((frames, copied)) if frames == copied => self.checkpointer.set_wal_frames(0),
            Ok((frames, _)) => self.checkpointer.set_wal_frames(frames),
            Err(e) => tracing::debug!(error = %e, "writer checkpoint failed"),
        }
    }

    /// Runs one job in its own savepoint. `Err` means the whole transaction is lost.
    fn run_job(&mut self, job: &mut dyn Job) -> Result<(), String> {
        self.conn
            .execute_batch("SAVEPOINT job")
            .map_err(|e| format!("opening a savepoint: {e}"))?;
        let keys_mark = self.keys_in_tx.len();
        let stored_mark = self.last_stored_us;
        match job.run(self) {
            Ok(()) => self
                .conn
                .execute_batch("RELEASE job")
                .map_err(|e| format!("releasing a savepoint: {e}")),
            Err(()) => {
                self.forget_keys_since(keys_mark);
                self.last_stored_us = stored_mark;
                self.activities.clear();
                // Some errors (disk full, I/O) make SQLite roll back the whole transaction.
                if self.conn.is_autocommit() {
                    return Err("the transaction was rolled back by the database".into());
                }
                self.conn
                    .execute_batch("ROLLBACK TO job; RELEASE job")
                    .map_err(|e| format!("rolling back a savepoint: {e}"))
            }
        }
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
        let slot = kind_slot(kind);
        if let Some(id) = self.keys.get(slot).and_then(|m| m.get(value)) {
            return Ok(*id);
        }
        let code = kind.code();
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM index_keys WHERE kind = ?1 AND value = ?2")
            .map_err(db)?
            .query_row(params![code, value], |r| r.get(0))
            .optional()
            .map_err(db)?;
        let id = match found {
            Some(id) => id,
            None => {
                self.conn
                    .prepare_cached("INSERT INTO index_keys (kind, value) VALUES (?1, ?2)")
                    .map_err(db)?
                    .execute(params![code, value])
                    .map_err(db)?;
                self.conn.last_insert_rowid()
            }
        };
        if let Some(map) = self.keys.get_mut(slot) {
            if map.len() >= KEY_CACHE_LIMIT {
                map.clear();
            }
            map.insert(value.to_owned(), id);
            self.keys_in_tx.push((kind, value.to_owned()));
        }
        Ok(id)
    }
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
