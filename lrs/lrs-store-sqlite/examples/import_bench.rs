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

use std::sync::Arc;
use std::time::Instant;

use lrs_store_sqlite::SqliteStore;
use player_core::{ImportOptions, PackageStore, import_file};

fn peak_rss_mb() -> u64 {
    bench_data::package::peak_rss_mb("self").unwrap_or(0)
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
    let files = bench_data::package::write_large_package(&zip_path, size_mb).unwrap();
    let zip_bytes = std::fs::metadata(&zip_path).unwrap().len();
    println!(
        "built {} ({} MB, {} files) in {:.1} s; peak memory so far {} MB",
        zip_path.display(),
        zip_bytes >> 20,
        files,
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
