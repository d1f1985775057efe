//! Package import benchmark (not a test): builds a zip of `SIZE_MB` (default 500) of
//! incompressible files, imports it into a fresh SQLite store, and reports the time and the
//! process's peak memory; then imports it again (every chunk already stored).
//!
//! `cargo run --release -p lrs-store-sqlite --example import_bench -- [SIZE_MB] [DIR]`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use lrs_store_sqlite::SqliteStore;
use player_core::{ImportOptions, PackageStore, import_file};

/// Peak resident memory of this process so far, in MB (Linux).
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

/// Fills `buf` with xorshift output: incompressible, like video.
fn noise(buf: &mut [u8], mut state: u64) {
    for chunk in buf.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let bytes = state.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let size_mb: u64 = args.next().map(|s| s.parse().unwrap()).unwrap_or(500);
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("lara-import-bench"));
    std::fs::create_dir_all(&dir).unwrap();
    let zip_path = dir.join("package.zip");
    let db_path = dir.join("lara.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }

    // 8 MiB files, written one at a time (stored: the data does not compress anyway).
    let t0 = Instant::now();
    let file_mb = 8u64;
    let files = size_mb.div_ceil(file_mb);
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        w.start_file("tincan.xml", stored).unwrap();
        w.write_all(
            br#"<tincan><activities><activity id="https://example.org/big" type="http://adlnet.gov/expapi/activities/course"><name lang="en">Big</name><launch>index.html</launch></activity></activities></tincan>"#,
        )
        .unwrap();
        w.start_file("index.html", stored).unwrap();
        w.write_all(b"<html></html>").unwrap();
        let mut buf = vec![0u8; (file_mb << 20) as usize];
        for i in 0..files {
            noise(&mut buf, 0x9e37_79b9_7f4a_7c15 ^ (i + 1));
            w.start_file(format!("media/video{i:04}.bin"), stored)
                .unwrap();
            w.write_all(&buf).unwrap();
        }
        w.finish().unwrap();
    }
    let zip_bytes = std::fs::metadata(&zip_path).unwrap().len();
    println!(
        "built {} ({} MB, {} files) in {:.1} s; peak memory so far {} MB",
        zip_path.display(),
        zip_bytes >> 20,
        files + 2,
        t0.elapsed().as_secs_f64(),
        peak_rss_mb()
    );

    let store: Arc<dyn PackageStore> = Arc::new(SqliteStore::open(&db_path).await.unwrap());
    for round in ["first import", "same package again"] {
        let t = Instant::now();
        let imported = import_file(store.clone(), zip_path.clone(), ImportOptions::default())
            .await
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{round}: {:.1} s, {:.0} MB/s, {} MB new, version {}; peak memory {} MB",
            secs,
            imported.bytes as f64 / secs / 1e6,
            imported.new_bytes >> 20,
            imported.version.version,
            peak_rss_mb()
        );
    }
}
