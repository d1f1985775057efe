//! Importing an uploaded package: check it, store its files by content, record a version.
//!
//! The upload is a file on disk (the HTTP layer and `lara import` stream it there), so memory
//! stays bounded whatever the package's size: entries are decompressed in chunks of
//! [`CHUNK_BYTES`], hashed, and stored unless a chunk with the same hash already is. The
//! version is recorded last, in one transaction: a failed import leaves at most chunks that no
//! version refers to.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use lara_package::{Archive, ImportError, Limits, Manifest, Package, read_package};
use lrs_core::StoreError;
use sha2::{Digest, Sha256};
use thiserror::Error;
use tokio::runtime::Handle;

use crate::store::{CHUNK_BYTES, NewVersion, PackageStore, PackageVersion, VersionFile};

/// Chunks sent to the store per call.
const CHUNKS_PER_WRITE: usize = 8;

/// A successful import.
#[derive(Debug, Clone)]
pub struct Imported {
    pub version: PackageVersion,
    /// The parsed manifest and the warnings.
    pub package: Package,
    pub files: usize,
    /// Uncompressed bytes of all files.
    pub bytes: u64,
    /// Bytes that were not stored before (the rest was already there).
    pub new_bytes: u64,
}

#[derive(Debug, Error)]
pub enum ImportFailure {
    /// The package was refused: hostile archive, no manifest, or errors in the manifest.
    #[error(transparent)]
    Refused(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the upload: {0}")]
    Io(String),
    #[error("no package {0}")]
    UnknownPackage(uuid::Uuid),
}

/// Progress callback: bytes of files stored so far, and in all.
pub type Progress = Box<dyn Fn(u64, u64) + Send>;

/// How to import.
#[derive(Default)]
pub struct ImportOptions {
    pub limits: Limits,
    /// Make the upload a new version of this package, whatever its manifest identifier.
    pub package_id: Option<uuid::Uuid>,
    pub progress: Option<Progress>,
}

/// Imports the zip at `path`. Must be called on a multi-threaded tokio runtime: the archive is
/// read on a blocking thread that waits on the store's futures.
pub async fn import_file(
    store: Arc<dyn PackageStore>,
    path: PathBuf,
    options: ImportOptions,
) -> Result<Imported, ImportFailure> {
    if let Some(id) = options.package_id
        && !store.package_exists(id).await?
    {
        return Err(ImportFailure::UnknownPackage(id));
    }
    let handle = Handle::current();
    tokio::task::spawn_blocking(move || import_blocking(&handle, &*store, &path, options))
        .await
        .map_err(|e| ImportFailure::Io(format!("the import task failed: {e}")))?
}

fn import_blocking(
    handle: &Handle,
    store: &dyn PackageStore,
    path: &std::path::Path,
    options: ImportOptions,
) -> Result<Imported, ImportFailure> {
    let ImportOptions {
        limits,
        package_id,
        progress,
    } = options;
    let file =
        File::open(path).map_err(|e| ImportFailure::Io(format!("{}: {e}", path.display())))?;
    let mut archive = Archive::open(BufReader::new(file), limits).map_err(ImportError::from)?;
    let package = read_package(&mut archive)?;
    let entries: Vec<_> = archive.files().cloned().collect();
    let total: u64 = entries.iter().map(|e| e.size).sum();
    let mut files = Vec::with_capacity(entries.len());
    let (mut done, mut new_bytes) = (0u64, 0u64);
    for entry in entries {
        let mut sink = ChunkSink::new(handle, store);
        let copied = archive.copy_to(&entry.path, &mut sink);
        if let Some(e) = sink.failed.take() {
            return Err(e.into());
        }
        copied.map_err(ImportError::from)?;
        let stored = sink.finish()?;
        new_bytes += stored.new_bytes;
        handle.block_on(store.put_file(stored.sha256.clone(), stored.size, stored.chunks))?;
        files.push(VersionFile {
            path: entry.path,
            sha256: stored.sha256,
            size: stored.size,
        });
        done += stored.size;
        if let Some(p) = &progress {
            p(done, total);
        }
    }
    let new = NewVersion {
        identifier: identifier(&package.manifest),
        package_id,
        standard: package.standard().name(),
        title: title(&package.manifest),
        manifest: to_json(&package.manifest)?,
        report: to_json(&package.report)?,
        files,
        created: Utc::now(),
    };
    let count = new.files.len();
    let version = handle.block_on(store.add_version(new))?;
    Ok(Imported {
        version,
        package,
        files: count,
        bytes: total,
        new_bytes,
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ImportFailure> {
    serde_json::to_string(value)
        .map_err(|e| ImportFailure::Io(format!("serializing the manifest: {e}")))
}

/// The identity of a package across versions.
pub fn identifier(manifest: &Manifest) -> String {
    let id = match manifest {
        Manifest::Scorm(m) => m.identifier.clone(),
        Manifest::Cmi5(c) => c.id.clone(),
        Manifest::Xapi(t) => t.launchable().map(|a| a.id.clone()).unwrap_or_default(),
    };
    if id.is_empty() {
        // A SCORM manifest without an identifier: every import is a package of its own.
        format!("urn:lara:package:{}", uuid::Uuid::new_v4())
    } else {
        id
    }
}

/// A display title: the manifest's, in English when it has several languages.
pub fn title(manifest: &Manifest) -> String {
    let pick = |map: &std::collections::BTreeMap<String, String>| {
        ["en", "en-US", "en-GB", ""]
            .iter()
            .find_map(|l| map.get(*l))
            .or_else(|| map.values().next())
            .cloned()
    };
    match manifest {
        Manifest::Scorm(m) => m.title.clone(),
        Manifest::Cmi5(c) => pick(&c.title).unwrap_or_else(|| c.id.clone()),
        Manifest::Xapi(t) => t
            .launchable()
            .map(|a| pick(&a.name).unwrap_or_else(|| a.id.clone()))
            .unwrap_or_default(),
    }
}

struct StoredFile {
    sha256: String,
    size: u64,
    chunks: Vec<String>,
    new_bytes: u64,
}

/// Receives one file's bytes, cuts them into chunks and stores the chunks not stored yet.
struct ChunkSink<'a> {
    handle: &'a Handle,
    store: &'a dyn PackageStore,
    whole: Sha256,
    size: u64,
    buffer: Vec<u8>,
    pending: Vec<(String, Vec<u8>)>,
    chunks: Vec<String>,
    new_bytes: u64,
    /// A store error seen inside `write` (which can only return `io::Error`).
    failed: Option<StoreError>,
}

impl<'a> ChunkSink<'a> {
    fn new(handle: &'a Handle, store: &'a dyn PackageStore) -> Self {
        ChunkSink {
            handle,
            store,
            whole: Sha256::new(),
            size: 0,
            buffer: Vec::with_capacity(CHUNK_BYTES),
            pending: Vec::new(),
            chunks: Vec::new(),
            new_bytes: 0,
            failed: None,
        }
    }

    fn cut(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let data = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
        let sha = hex::encode(Sha256::digest(&data));
        self.chunks.push(sha.clone());
        self.pending.push((sha, data));
    }

    fn send(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let hashes = pending.iter().map(|(h, _)| h.clone()).collect();
        let missing = self.handle.block_on(self.store.missing_chunks(hashes))?;
        let fresh: Vec<(String, Vec<u8>)> = pending
            .into_iter()
            .filter(|(h, _)| missing.contains(h))
            .collect();
        // The same chunk twice in one batch is stored once.
        let mut seen = std::collections::HashSet::new();
        let fresh: Vec<_> = fresh
            .into_iter()
            .filter(|(h, _)| seen.insert(h.clone()))
            .collect();
        self.new_bytes += fresh.iter().map(|(_, d)| d.len() as u64).sum::<u64>();
        if !fresh.is_empty() {
            self.handle.block_on(self.store.put_chunks(fresh))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<StoredFile, StoreError> {
        self.cut();
        self.send()?;
        Ok(StoredFile {
            sha256: hex::encode(self.whole.finalize()),
            size: self.size,
            chunks: self.chunks,
            new_bytes: self.new_bytes,
        })
    }
}

impl Write for ChunkSink<'_> {
    fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len();
        self.whole.update(buf);
        self.size += n as u64;
        while !buf.is_empty() {
            let room = CHUNK_BYTES - self.buffer.len();
            let (now, rest) = buf.split_at(room.min(buf.len()));
            self.buffer.extend_from_slice(now);
            buf = rest;
            if self.buffer.len() == CHUNK_BYTES {
                self.cut();
                if self.pending.len() >= CHUNKS_PER_WRITE
                    && let Err(e) = self.send()
                {
                    let message = e.to_string();
                    self.failed = Some(e);
                    return Err(std::io::Error::other(message));
                }
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
