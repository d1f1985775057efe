//! Store-level benchmark of the SQLite backend (no HTTP): batch and single inserts, then
//! filtered queries once the store holds `--total` statements. Statements are shaped like
//! `lara-bench`'s and prepared with `lrs_core::ingest` before the clock starts.
//!
//! `cargo run --release -p lrs-store-sqlite --example store_bench -- /tmp/bench.db 1000000`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench_data::Shape;
use lrs_core::ingest::{WriteContext, prepare_batch};
use lrs_core::store::{IndexKey, IndexKind, PreparedStatement, StatementFilter, StatementStore};
use lrs_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use xapi_model::XapiVersion;

const SHAPE: Shape = Shape {
    agents: 10_000,
    activities: 5_000,
    registrations: 100_000,
};

fn prepare(from: u64, count: u64) -> Vec<PreparedStatement> {
    let list: Vec<Value> = (from..from + count).map(|n| SHAPE.statement(n)).collect();
    let ctx = WriteContext {
        version: XapiVersion::V1_0_3,
        authority: json!({"objectType": "Agent", "account": {"homePage": "urn:lara:credential", "name": "bench"}}),
        now: chrono::Utc::now(),
    };
    prepare_batch(list, Vec::new(), &ctx).unwrap().0
}

/// Bytes this process caused to be written to storage (WAL, database, checkpoints).
fn written_bytes() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn key(kind: IndexKind, value: String) -> IndexKey {
    IndexKey { kind, value }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn report(name: &str, mut lat: Vec<Duration>, items: u64, elapsed: Duration) {
    lat.sort();
    println!(
        "{name}: {} requests, {:.0} req/s, {:.0} items/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        lat.len() as f64 / elapsed.as_secs_f64(),
        items as f64 / elapsed.as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

/// Inserts batches of `batch` from `clients` tasks for `secs` seconds, statements numbered
/// from `next`.
async fn inserts(
    store: &Arc<SqliteStore>,
    next: &Arc<AtomicU64>,
    clients: usize,
    batch: u64,
    secs: u64,
) -> (Vec<Duration>, u64, Duration) {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (store, next) = (store.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                let from = next.fetch_add(batch, Ordering::Relaxed);
                let prepared = tokio::task::spawn_blocking(move || prepare(from, batch))
                    .await
                    .unwrap();
                let t0 = Instant::now();
                store.insert_statements(prepared, Vec::new()).await.unwrap();
                lat.push(t0.elapsed());
                n += batch;
            }
            (lat, n)
        }));
    }
    let mut all = Vec::new();
    let mut total = 0;
    for t in tasks {
        let (lat, n) = t.await.unwrap();
        all.extend(lat);
        total += n;
    }
    (all, total, start.elapsed())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/tmp/lara-store-bench.db".into()),
    );
    let total: u64 = args.next().map(|s| s.parse().unwrap()).unwrap_or(1_000_000);
    let secs: u64 = args.next().map(|s| s.parse().unwrap()).unwrap_or(10);
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    let start_seq = store.max_seq().await.unwrap() as u64;
    let next = Arc::new(AtomicU64::new(
        start_seq + 1_000_000_000 * (std::process::id() as u64 % 1000),
    ));
    println!("store at {} holds {start_seq} statements", path.display());

    // The store alone: batches prepared before the clock starts.
    // STORE_BATCHES (default 300) batches of 100.
    let count: u64 = std::env::var("STORE_BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let from = next.fetch_add(count * 100, Ordering::Relaxed);
    let t0 = Instant::now();
    let batches: Vec<Vec<PreparedStatement>> =
        (0..count).map(|i| prepare(from + i * 100, 100)).collect();
    println!(
        "prepared {} statements in {:.2} s (one core)",
        count * 100,
        t0.elapsed().as_secs_f64()
    );
    let queue = Arc::new(std::sync::Mutex::new(std::collections::VecDeque::from(
        batches,
    )));
    let written0 = written_bytes();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (store, queue) = (store.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let Some(b) = queue.lock().unwrap().pop_front() else {
                    return lat;
                };
                let t = Instant::now();
                store.insert_statements(b, Vec::new()).await.unwrap();
                lat.push(t.elapsed());
            }
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    report(
        "store only: insert prepared batches of 100, 4 clients",
        lat,
        count * 100,
        t0.elapsed(),
    );
    println!(
        "  bytes written per statement: {}",
        (written_bytes() - written0) / (count * 100)
    );
    if std::env::var("ONLY_STORE").is_ok() {
        return;
    }

    let (lat, n, el) = inserts(&store, &next, 4, 100, secs).await;
    report("insert batches of 100, 4 clients", lat, n, el);
    let (lat, n, el) = inserts(&store, &next, 32, 1, secs).await;
    report("insert single statements, 32 clients", lat, n, el);

    // Seed up to `total`.
    let have = store.max_seq().await.unwrap() as u64;
    if have < total {
        let t0 = Instant::now();
        let seed_next = Arc::new(AtomicU64::new(next.load(Ordering::Relaxed)));
        let mut left = total - have;
        while left > 0 {
            let (_, n, _) = inserts(&store, &seed_next, 4, 500, 5).await;
            left = left.saturating_sub(n);
            println!(
                "  seeded {} / {total} ({:.0}/s overall)",
                total - left,
                (total - left - have) as f64 / t0.elapsed().as_secs_f64()
            );
        }
    }
    let max = store.max_seq().await.unwrap();
    println!(
        "store now holds {max} statements (file {} MB)",
        std::fs::metadata(&path)
            .map(|m| m.len() / 1_000_000)
            .unwrap_or(0)
    );

    let (lat, n, el) = inserts(&store, &next, 4, 100, secs).await;
    report("insert batches of 100 at size, 4 clients", lat, n, el);
    let (lat, n, el) = inserts(&store, &next, 32, 1, secs).await;
    report("insert single statements at size, 32 clients", lat, n, el);

    type Q = fn(u64) -> StatementFilter;
    let queries: [(&str, Q); 6] = [
        ("verb+activity", |n| StatementFilter {
            keys: vec![
                key(IndexKind::Verb, SHAPE.verb(n).into()),
                // The object of statement n: every statement with its object has its verb too.
                key(IndexKind::Activity, SHAPE.object_id(n)),
            ],
            limit: 101,
            ..Default::default()
        }),
        ("agent", |n| StatementFilter {
            keys: vec![key(IndexKind::Agent, format!("mbox:{}", SHAPE.mbox(n)))],
            limit: 101,
            ..Default::default()
        }),
        ("registration", |n| StatementFilter {
            keys: vec![key(IndexKind::Registration, SHAPE.registration(n))],
            limit: 101,
            ..Default::default()
        }),
        ("agent+related activity", |n| StatementFilter {
            keys: vec![
                key(IndexKind::Agent, format!("mbox:{}", SHAPE.mbox(n))),
                key(IndexKind::ActivityRelated, SHAPE.parent_id(n)),
            ],
            limit: 101,
            ..Default::default()
        }),
        ("no filter", |_| StatementFilter {
            limit: 101,
            ..Default::default()
        }),
        ("verb ascending since", |n| StatementFilter {
            keys: vec![key(IndexKind::Verb, SHAPE.verb(n).into())],
            since: Some(chrono::Utc::now() - chrono::Duration::seconds(30)),
            ascending: true,
            limit: 101,
            ..Default::default()
        }),
    ];
    for (name, q) in queries {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(secs.min(5));
        let mut tasks = Vec::new();
        for c in 0..8u64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut rows = 0u64;
                let mut n = c;
                while Instant::now() < deadline {
                    n = n.wrapping_mul(2_654_435_761).wrapping_add(12345);
                    let f = q(n % 1_000_003);
                    let t0 = Instant::now();
                    rows += store.query_statements(&f).await.unwrap().len() as u64;
                    lat.push(t0.elapsed());
                }
                (lat, rows)
            }));
        }
        let mut all = Vec::new();
        let mut rows = 0;
        for t in tasks {
            let (l, r) = t.await.unwrap();
            all.extend(l);
            rows += r;
        }
        report(
            &format!("query {name}, 8 clients (items = rows)"),
            all,
            rows,
            start.elapsed(),
        );
    }
}
