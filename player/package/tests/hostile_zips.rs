//! Every kind of hostile archive is refused with an error that names the entry, and good
//! archives read back exactly. Archives are built in memory with the zip crate's writer, then
//! patched where the writer refuses to produce the malformation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{Cursor, Write};

use lara_package::{Archive, ArchiveError, Limits};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn build(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in files {
        if let Some(dir) = name.strip_suffix('/') {
            w.add_directory(dir, opts).unwrap();
        } else {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

fn open(bytes: Vec<u8>) -> Result<Archive<Cursor<Vec<u8>>>, ArchiveError> {
    Archive::open(Cursor::new(bytes), Limits::default())
}

/// Replaces every occurrence of `from` by `to` (same length) in the archive's bytes: names
/// appear in the local header and in the central directory.
fn patch(mut bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut found = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            found += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(found > 0, "nothing to patch");
    bytes
}

/// Offsets of every header with `signature` (little-endian) in the archive.
fn headers(bytes: &[u8], signature: u32) -> Vec<usize> {
    let sig = signature.to_le_bytes();
    (0..bytes.len().saturating_sub(4))
        .filter(|&i| bytes[i..i + 4] == sig)
        .collect()
}

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;

#[test]
fn a_good_archive_reads_back() {
    let bytes = build(&[
        ("imsmanifest.xml", b"<manifest/>"),
        ("content/", b""),
        ("content/index.html", b"<html></html>"),
    ]);
    let mut a = open(bytes).unwrap();
    let paths: Vec<&str> = a.files().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, vec!["content/index.html", "imsmanifest.xml"]);
    assert_eq!(a.read("imsmanifest.xml", 1024).unwrap(), b"<manifest/>");
    let mut out = Vec::new();
    assert_eq!(a.copy_to("content/index.html", &mut out).unwrap(), 13);
    assert!(matches!(
        a.read("nope.html", 10),
        Err(ArchiveError::Missing { .. })
    ));
    assert!(matches!(
        a.read("imsmanifest.xml", 3),
        Err(ArchiveError::EntryTooLarge { .. })
    ));
}

#[test]
fn zip_slip_paths_are_refused() {
    for name in [
        "../evil.sh",
        "a/../../evil.sh",
        "/etc/cron.d/evil",
        "C:/Windows/evil.dll",
        "a\\..\\..\\evil",
        "./a",
    ] {
        let bytes = build(&[("ok.html", b"x"), (name, b"evil")]);
        match open(bytes) {
            Err(ArchiveError::UnsafePath { path, .. }) => assert_eq!(path, name),
            Err(e) => panic!("{name}: wrong error {e}"),
            Ok(_) => panic!("{name}: accepted"),
        }
    }
}

#[test]
fn symlinks_are_refused() {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    w.add_symlink("link", "/etc/passwd", SimpleFileOptions::default())
        .unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let e = open(bytes).err().expect("a symlink must be refused");
    assert!(
        matches!(&e, ArchiveError::Symlink { path } if path == "link"),
        "{e}"
    );
}

#[test]
fn duplicate_entries_are_refused() {
    let bytes = build(&[("aaaa.html", b"one"), ("bbbb.html", b"two")]);
    let bytes = patch(bytes, b"bbbb.html", b"aaaa.html");
    let e = open(bytes).err().expect("a duplicate must be refused");
    assert!(matches!(&e, ArchiveError::DuplicateEntries), "{e}");
    // A file and a folder of one name.
    let bytes = build(&[("dddd", b"file"), ("eeee/", b"")]);
    let bytes = patch(bytes, b"eeee/", b"dddd/");
    assert!(matches!(open(bytes), Err(ArchiveError::Duplicate { .. })));
}

#[test]
fn encrypted_entries_are_refused() {
    let mut bytes = build(&[("secret.html", b"hidden")]);
    // General purpose flag bit 0 (encrypted): offset 6 in a local header, 8 in a central one.
    for at in headers(&bytes, LOCAL) {
        bytes[at + 6] |= 1;
    }
    for at in headers(&bytes, CENTRAL) {
        bytes[at + 8] |= 1;
    }
    let e = open(bytes)
        .err()
        .expect("an encrypted entry must be refused");
    assert!(
        matches!(&e, ArchiveError::Encrypted { path } if path == "secret.html"),
        "{e}"
    );
}

#[test]
fn zip_bombs_are_refused_by_ratio_and_size() {
    let zeros = vec![0u8; 8 << 20];
    let bytes = build(&[("blank.bin", &zeros)]);
    let e = open(bytes.clone())
        .err()
        .expect("a 1000:1 entry must be refused");
    assert!(
        matches!(&e, ArchiveError::Ratio { path, .. } if path == "blank.bin"),
        "{e}"
    );
    // The limits are configurable.
    let generous = Limits {
        max_ratio: 100_000,
        ..Limits::default()
    };
    assert!(Archive::open(Cursor::new(bytes.clone()), generous).is_ok());
    let small = Limits {
        max_ratio: 100_000,
        max_entry_bytes: 1 << 20,
        ..Limits::default()
    };
    assert!(matches!(
        Archive::open(Cursor::new(bytes.clone()), small),
        Err(ArchiveError::EntryTooLarge { .. })
    ));
    let total = Limits {
        max_ratio: 100_000,
        max_total_bytes: 4 << 20,
        ..Limits::default()
    };
    assert!(matches!(
        Archive::open(Cursor::new(bytes), total),
        Err(ArchiveError::TooLarge { .. })
    ));
    // A small, highly compressible file is fine.
    assert!(open(build(&[("small.txt", &[b'a'; 100_000])])).is_ok());
}

#[test]
fn too_many_entries_are_refused() {
    let bytes = build(&[("a", b"1"), ("b", b"2"), ("c", b"3"), ("d", b"4")]);
    let limits = Limits {
        max_entries: 3,
        ..Limits::default()
    };
    assert!(matches!(
        Archive::open(Cursor::new(bytes), limits),
        Err(ArchiveError::TooManyEntries { count: 4, limit: 3 })
    ));
}

#[test]
fn an_entry_longer_than_its_header_declares_is_stopped() {
    let mut bytes = build(&[("big.txt", &[b'x'; 5000])]);
    // Declare 100 bytes: uncompressed size at offset 22 (local) and 24 (central).
    for at in headers(&bytes, LOCAL) {
        bytes[at + 22..at + 26].copy_from_slice(&100u32.to_le_bytes());
    }
    for at in headers(&bytes, CENTRAL) {
        bytes[at + 24..at + 28].copy_from_slice(&100u32.to_le_bytes());
    }
    let mut a = open(bytes).unwrap();
    let mut out = Vec::new();
    let e = a.copy_to("big.txt", &mut out).expect_err("must stop");
    // Either the zip reader notices first (a read error) or the byte count does.
    assert!(
        matches!(&e, ArchiveError::SizeMismatch { path } | ArchiveError::Read { path, .. } if path == "big.txt"),
        "{e}"
    );
    assert!(out.len() <= 101);
}

#[test]
fn garbage_is_not_a_zip() {
    assert!(matches!(
        open(b"PK\x03\x04 but not really".to_vec()),
        Err(ArchiveError::NotAZip(_))
    ));
    assert!(matches!(open(Vec::new()), Err(ArchiveError::NotAZip(_))));
}
