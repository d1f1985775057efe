//! A zip archive checked entry by entry before anything is read from it.
//!
//! Packages come from vendors and are untrusted. [`Archive::open`] reads only the central
//! directory and refuses the whole archive on the first entry that could escape the package or
//! exhaust the machine:
//! - a path that is absolute, has a drive letter, a backslash, an empty, `.` or `..` component,
//!   or a control character (zip slip);
//! - a symbolic link, an encrypted entry, or two entries with the same path;
//! - more entries, more bytes in all, or more bytes in one entry than the [`Limits`] allow, or an
//!   entry that claims to expand more than `max_ratio` times (zip bomb).
//!
//! The central directory can lie about sizes, so [`Archive::copy_to`] also stops any entry that
//! produces more bytes than it declared.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};

use thiserror::Error;
use zip::ZipArchive;

/// What an archive may hold. The defaults fit real packages (video-heavy courses reach a few
/// GB) while refusing archives built to exhaust memory or disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries (files and folders).
    pub max_entries: usize,
    /// Most bytes of all entries together, uncompressed.
    pub max_total_bytes: u64,
    /// Most bytes of one entry, uncompressed.
    pub max_entry_bytes: u64,
    /// Largest uncompressed-to-compressed ratio of an entry. Only entries larger than
    /// [`RATIO_FLOOR`] are held to it: a tiny file may compress very well.
    pub max_ratio: u64,
}

/// Entries up to this size (uncompressed) are not held to `max_ratio`.
pub const RATIO_FLOOR: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 50_000,
            max_total_bytes: 8 << 30,
            max_entry_bytes: 4 << 30,
            max_ratio: 200,
        }
    }
}

/// Why an archive was refused. Each names the entry at fault.
#[derive(Debug, Error)]
pub enum ArchiveError {
    #[error("not a readable zip archive: {0}")]
    NotAZip(String),
    #[error("entry {path:?}: unsafe path ({reason})")]
    UnsafePath { path: String, reason: &'static str },
    #[error("entry {path:?}: symbolic links are not allowed")]
    Symlink { path: String },
    #[error("entry {path:?}: encrypted entries are not allowed")]
    Encrypted { path: String },
    #[error("entry {path:?} appears more than once")]
    Duplicate { path: String },
    /// The zip reader keeps one entry per name, so which name repeats is not known here.
    #[error("the archive lists the same path more than once")]
    DuplicateEntries,
    #[error("the archive has {count} entries, more than the limit of {limit}")]
    TooManyEntries { count: usize, limit: usize },
    #[error("the archive expands to more than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("entry {path:?} expands to {size} bytes, more than the limit of {limit}")]
    EntryTooLarge { path: String, size: u64, limit: u64 },
    #[error("entry {path:?} expands {ratio} times, more than the limit of {limit} (zip bomb?)")]
    Ratio {
        path: String,
        ratio: u64,
        limit: u64,
    },
    #[error("entry {path:?} holds more data than its header declares")]
    SizeMismatch { path: String },
    #[error("no entry {path:?} in the archive")]
    Missing { path: String },
    #[error("entry {path:?}: {message}")]
    Read { path: String, message: String },
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path inside the package, `/`-separated, no leading slash.
    pub path: String,
    /// Declared uncompressed size.
    pub size: u64,
    index: usize,
}

/// A zip archive whose every entry passed the checks above.
pub struct Archive<R> {
    zip: ZipArchive<R>,
    files: BTreeMap<String, Entry>,
    limits: Limits,
}

impl<R: Read + Seek> Archive<R> {
    /// Reads the central directory and checks every entry.
    pub fn open(reader: R, limits: Limits) -> Result<Self, ArchiveError> {
        let mut zip = ZipArchive::new(reader).map_err(|e| ArchiveError::NotAZip(e.to_string()))?;
        if zip.has_duplicate_names() {
            return Err(ArchiveError::DuplicateEntries);
        }
        if zip.len() > limits.max_entries {
            return Err(ArchiveError::TooManyEntries {
                count: zip.len(),
                limit: limits.max_entries,
            });
        }
        let mut files = BTreeMap::new();
        let mut folders = std::collections::BTreeSet::new();
        let mut total: u64 = 0;
        for index in 0..zip.len() {
            let entry = zip
                .by_index_raw(index)
                .map_err(|e| ArchiveError::NotAZip(e.to_string()))?;
            let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
            let is_dir = raw.ends_with('/');
            let path = check_path(raw.trim_end_matches('/'))
                .map_err(|reason| ArchiveError::UnsafePath {
                    path: raw.clone(),
                    reason,
                })?
                .to_owned();
            if entry.is_symlink() {
                return Err(ArchiveError::Symlink { path });
            }
            if entry.encrypted() {
                return Err(ArchiveError::Encrypted { path });
            }
            if is_dir {
                if !folders.insert(path.clone()) {
                    return Err(ArchiveError::Duplicate { path });
                }
                continue;
            }
            let size = entry.size();
            if size > limits.max_entry_bytes {
                return Err(ArchiveError::EntryTooLarge {
                    path,
                    size,
                    limit: limits.max_entry_bytes,
                });
            }
            total = total.saturating_add(size);
            if total > limits.max_total_bytes {
                return Err(ArchiveError::TooLarge {
                    limit: limits.max_total_bytes,
                });
            }
            if size > RATIO_FLOOR {
                let ratio = size / entry.compressed_size().max(1);
                if ratio > limits.max_ratio {
                    return Err(ArchiveError::Ratio {
                        path,
                        ratio,
                        limit: limits.max_ratio,
                    });
                }
            }
            if files.contains_key(&path) {
                return Err(ArchiveError::Duplicate { path });
            }
            files.insert(path.clone(), Entry { path, size, index });
        }
        // A file and a folder of the same name cannot both be extracted.
        if let Some(path) = folders.iter().find(|f| files.contains_key(*f)) {
            return Err(ArchiveError::Duplicate { path: path.clone() });
        }
        Ok(Archive { zip, files, limits })
    }

    /// The files, in path order (folders are implied by the paths).
    pub fn files(&self) -> impl Iterator<Item = &Entry> {
        self.files.values()
    }

    /// The file at `path`, if the archive has it.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.files.get(path)
    }

    /// Streams the file at `path` into `out`, returning the bytes written. Fails, having written
    /// at most the declared size, if the entry yields more than its header declared.
    pub fn copy_to(&mut self, path: &str, out: &mut dyn Write) -> Result<u64, ArchiveError> {
        let entry = self
            .files
            .get(path)
            .ok_or_else(|| ArchiveError::Missing {
                path: path.to_owned(),
            })?
            .clone();
        let read_error = |e: &dyn std::fmt::Display| ArchiveError::Read {
            path: entry.path.clone(),
            message: e.to_string(),
        };
        let file = self.zip.by_index(entry.index).map_err(|e| read_error(&e))?;
        // One byte more than declared tells a lying header from an exact one.
        let mut limited = file.take(entry.size.saturating_add(1));
        let written = std::io::copy(&mut limited, out).map_err(|e| read_error(&e))?;
        if written > entry.size || written > self.limits.max_entry_bytes {
            return Err(ArchiveError::SizeMismatch { path: entry.path });
        }
        Ok(written)
    }

    /// The whole file at `path` in memory, for manifests. Refuses files over `max` bytes.
    pub fn read(&mut self, path: &str, max: u64) -> Result<Vec<u8>, ArchiveError> {
        let size = self
            .files
            .get(path)
            .ok_or_else(|| ArchiveError::Missing {
                path: path.to_owned(),
            })?
            .size;
        if size > max {
            return Err(ArchiveError::EntryTooLarge {
                path: path.to_owned(),
                size,
                limit: max,
            });
        }
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        self.copy_to(path, &mut buf)?;
        Ok(buf)
    }
}

/// Checks a path from the archive (without any trailing `/`), returning it or why it is unsafe.
pub fn check_path(path: &str) -> Result<&str, &'static str> {
    if path.is_empty() {
        return Err("empty path");
    }
    if path.contains('\\') {
        return Err("backslash");
    }
    if path.starts_with('/') {
        return Err("absolute path");
    }
    if path.chars().any(char::is_control) {
        return Err("control character");
    }
    let mut components = path.split('/');
    if let Some(first) = components.clone().next()
        && first.len() >= 2
        && first.as_bytes().get(1) == Some(&b':')
    {
        return Err("drive letter");
    }
    if components.any(|c| c.is_empty() || c == "." || c == "..") {
        return Err("empty, '.' or '..' component");
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn paths() {
        for ok in ["imsmanifest.xml", "a/b/c.html", "shared/x y.js", "a/..b/c"] {
            assert_eq!(check_path(ok), Ok(ok), "{ok}");
        }
        for (bad, why) in [
            ("", "empty path"),
            ("../evil.sh", "empty, '.' or '..' component"),
            ("a/../../evil", "empty, '.' or '..' component"),
            ("a/./b", "empty, '.' or '..' component"),
            ("a//b", "empty, '.' or '..' component"),
            ("/etc/passwd", "absolute path"),
            ("C:/Windows/x", "drive letter"),
            ("c:evil", "drive letter"),
            ("a\\..\\b", "backslash"),
            ("a/b\u{0}c", "control character"),
        ] {
            assert_eq!(check_path(bad), Err(why), "{bad:?}");
        }
    }
}
