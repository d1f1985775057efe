//! Making commits durable off the writer thread.
//!
//! With `synchronous=FULL`, SQLite's COMMIT writes the transaction's WAL frames and then waits
//! for `fsync` before it returns, and the writer thread can do nothing else meanwhile. Here the
//! writer connection runs with `synchronous=NORMAL` (COMMIT writes the frames and returns) and
//! hands the group's answers to this thread, which calls `fdatasync` on the WAL file and only
//! then answers. While the disk flushes one group, the writer already runs the next one.
//!
//! Why an answer still means durable: the frames of a group are in the WAL file (written with
//! `pwrite`) before COMMIT returns, and a group is answered only after an `fdatasync` of that
//! file that began after its COMMIT. WAL frames are checksummed in a chain, so recovery after a
//! power loss keeps a prefix of the commits: a later group never survives without an earlier
//! one. SQLite itself still syncs the WAL header when the WAL restarts and the WAL before each
//! checkpoint copies frames into the database file, as it does with `synchronous=NORMAL`.
//!
//! The one difference from `FULL`: other connections (the readers) may see a group a few
//! milliseconds before it is durable. A power loss in that window loses writes that were never
//! acknowledged, but that a reader may have seen.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use lrs_core::StoreError;

use crate::writer::Job;

/// The writer's side: committed groups waiting to be made durable and answered.
pub(crate) struct Durable {
    groups: mpsc::Sender<Vec<Box<dyn Job>>>,
}

impl Durable {
    /// Answers every job of a committed group once the WAL is on disk.
    pub(crate) fn after_commit(&self, group: Vec<Box<dyn Job>>) {
        if let Err(mpsc::SendError(group)) = self.groups.send(group) {
            // The thread is gone (it only stops when this sender is dropped): answer with an
            // error rather than claim durability.
            for job in group {
                job.finish(Err("the WAL sync thread has stopped"));
            }
        }
    }
}

/// Starts the sync thread for the database at `db_path` (its WAL is `<db_path>-wal`).
pub(crate) fn start(db_path: &Path) -> Result<Durable, StoreError> {
    let mut wal = WalFile::new(db_path);
    let (groups, rx) = mpsc::channel::<Vec<Box<dyn Job>>>();
    std::thread::Builder::new()
        .name("lara-sqlite-sync".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut jobs = first;
                // Every group committed by now is covered by the same flush.
                while let Ok(more) = rx.try_recv() {
                    jobs.extend(more);
                }
                let started = std::time::Instant::now();
                let synced = wal.sync();
                tracing::trace!(
                    jobs = jobs.len(),
                    sync_us = started.elapsed().as_micros() as u64,
                    "sqlite WAL sync"
                );
                if let Err(e) = &synced {
                    tracing::error!(error = %e, "syncing the WAL failed");
                }
                let answer = synced.as_ref().map(|_| ()).map_err(String::as_str);
                jobs.into_iter().for_each(|job| job.finish(answer));
            }
        })
        .map_err(|e| StoreError::Backend(format!("starting the WAL sync thread: {e}")))?;
    Ok(Durable { groups })
}

/// The WAL file, opened by path. SQLite keeps the same file while any connection is open, but
/// the handle is checked against the path's inode before each sync so that a WAL deleted and
/// created again (every connection closed in between) is never missed.
struct WalFile {
    path: PathBuf,
    dir: PathBuf,
    open: Option<(File, u64)>,
}

impl WalFile {
    fn new(db_path: &Path) -> WalFile {
        let mut name = db_path.as_os_str().to_owned();
        name.push("-wal");
        let dir = match db_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        WalFile {
            path: PathBuf::from(name),
            dir,
            open: None,
        }
    }

    fn sync(&mut self) -> Result<(), String> {
        let ino = std::fs::metadata(&self.path)
            .map_err(|e| format!("reading {}: {e}", self.path.display()))?
            .ino();
        let file = match &self.open {
            Some((file, open_ino)) if *open_ino == ino => file,
            _ => {
                let file = File::open(&self.path)
                    .map_err(|e| format!("opening {}: {e}", self.path.display()))?;
                // A new WAL file's directory entry must be durable too.
                File::open(&self.dir)
                    .and_then(|d| d.sync_all())
                    .map_err(|e| format!("syncing {}: {e}", self.dir.display()))?;
                &self.open.insert((file, ino)).0
            }
        };
        file.sync_data()
            .map_err(|e| format!("syncing {}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_wal_file_created_again_is_opened_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let wal_path = dir.path().join("x.db-wal");
        let mut wal = WalFile::new(&db);
        assert!(wal.sync().unwrap_err().contains("x.db-wal"));
        std::fs::write(&wal_path, b"one").unwrap();
        wal.sync().unwrap();
        let first = wal.open.as_ref().map(|(_, ino)| *ino).unwrap();
        // Another file under the same name (keep the first alive so the inode is not reused).
        let keep = dir.path().join("kept");
        std::fs::rename(&wal_path, &keep).unwrap();
        std::fs::write(&wal_path, b"two").unwrap();
        wal.sync().unwrap();
        let second = wal.open.as_ref().map(|(_, ino)| *ino).unwrap();
        assert_ne!(first, second);
        assert_eq!(second, std::fs::metadata(&wal_path).unwrap().ino());
    }
}
