//! Seeds a PostgreSQL schema through [`PgStore`] and measures filtered query latency at the
//! storage layer (no HTTP). A program, not a timed test:
//!
//! ```text
//! LARA_BENCH_URL=postgres://postgres@127.0.0.1:5432/test LARA_BENCH_TOTAL=1000000 \
//!     cargo run --release -p lrs-store-postgres --example pg_bench
//! ```
//!
//! The schema (`LARA_BENCH_SCHEMA`, default `lara_bench`) is kept between runs; seeding only
//! adds what is missing to reach `LARA_BENCH_TOTAL`. Statements follow `lara-bench seed`'s
//! distribution: 10,000 agents, 5,000 activities, 100,000 registrations, 8 verbs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_data::Shape;
use chrono::Utc;
use lrs_core::ingest::{WriteContext, prepare_batch};
use lrs_core::store::{IndexKey, IndexKind, StatementFilter, StatementStore};
use lrs_store_postgres::{PgOptions, PgStore};
use serde_json::{Value, json};
use xapi_model::XapiVersion;

const SHAPE: Shape = Shape {
    agents: 10_000,
    activities: 5_000,
    registrations: 100_000,
};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn agent_key(n: u64) -> IndexKey {
    IndexKey {
        kind: IndexKind::Agent,
        value: format!("mbox:{}", SHAPE.mbox(n)),
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::var("LARA_BENCH_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = std::env::var("LARA_BENCH_SCHEMA").unwrap_or_else(|_| "lara_bench".into());
    let total = env_u64("LARA_BENCH_TOTAL", 1_000_000);
    let queries = env_u64("LARA_BENCH_QUERIES", 500);
    let clients = env_u64("LARA_BENCH_CLIENTS", 4);
    let store = Arc::new(
        PgStore::connect(
            &url,
            PgOptions {
                pool_size: 16,
                schema: Some(schema),
            },
        )
        .await
        .unwrap(),
    );

    // The agent key format comes from the ingest code; check ours matches it.
    let probe = prepare(&[SHAPE.statement(0)]);
    assert!(
        probe[0].index.contains(&agent_key(0)),
        "agent key format changed: {:?}",
        probe[0].index
    );

    let start_at = store.max_seq().await.unwrap() as u64;
    if start_at < total {
        seed(store.clone(), start_at, total, clients).await;
    }
    println!("store holds {} statements", store.max_seq().await.unwrap());

    type MakeFilter = fn(u64) -> Vec<IndexKey>;
    let cases: [(&str, MakeFilter); 9] = [
        ("none", |_| vec![]),
        ("verb", |n| {
            vec![IndexKey {
                kind: IndexKind::Verb,
                value: SHAPE.verb(n).into(),
            }]
        }),
        ("agent", |n| vec![agent_key(n * 13)]),
        ("registration", |n| {
            vec![IndexKey {
                kind: IndexKind::Registration,
                value: SHAPE.registration(n * 31),
            }]
        }),
        ("verb+activity", |n| {
            vec![
                IndexKey {
                    kind: IndexKind::Verb,
                    value: SHAPE.verb(n).into(),
                },
                // The object of statement n: every statement with its object has its verb too.
                IndexKey {
                    kind: IndexKind::Activity,
                    value: SHAPE.object_id(n),
                },
            ]
        }),
        ("agent+verb", |n| {
            vec![
                agent_key(n * 17),
                IndexKey {
                    kind: IndexKind::Verb,
                    value: SHAPE.verb(n).into(),
                },
            ]
        }),
        ("activity+agent", |n| {
            vec![
                IndexKey {
                    kind: IndexKind::Activity,
                    value: SHAPE.object_id(n * 13),
                },
                agent_key(n * 13),
            ]
        }),
        ("related parent+verb (often empty)", |n| {
            vec![
                IndexKey {
                    kind: IndexKind::ActivityRelated,
                    value: SHAPE.parent_id(n),
                },
                IndexKey {
                    kind: IndexKind::Verb,
                    value: SHAPE.verb(n + 1).into(),
                },
            ]
        }),
        ("related agent+related parent", |n| {
            vec![
                IndexKey {
                    kind: IndexKind::AgentRelated,
                    value: format!("mbox:{}", SHAPE.mbox(n * 3)),
                },
                IndexKey {
                    kind: IndexKind::ActivityRelated,
                    value: SHAPE.parent_id(n),
                },
            ]
        }),
    ];
    // LARA_BENCH_CASES=agent,verb runs only the cases whose name contains one of the words.
    let only: Vec<String> = std::env::var("LARA_BENCH_CASES")
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    for (name, make) in cases {
        if !only.is_empty() && !only.iter().any(|w| name.contains(w.as_str())) {
            continue;
        }
        for ascending in [false, true] {
            let mut times = Vec::with_capacity(queries as usize);
            let mut rows = 0usize;
            for n in 0..queries {
                let t = Instant::now();
                // As the service does: max_seq first, then limit + 1 rows.
                let max = store.max_seq().await.unwrap();
                let f = StatementFilter {
                    keys: make(n),
                    ascending,
                    max_seq: Some(max),
                    limit: 101,
                    ..Default::default()
                };
                rows += store.query_statements(&f).await.unwrap().len();
                times.push(t.elapsed());
            }
            report(
                &format!("{name} {}", if ascending { "asc" } else { "desc" }),
                &mut times,
                rows,
            );
        }
    }
    // since/until on a time range in the middle of the store.
    let mid = store
        .query_statements(&StatementFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    if let Some(last) = mid.first() {
        let mut times = Vec::new();
        let mut rows = 0;
        for n in 0..queries {
            let t = Instant::now();
            let f = StatementFilter {
                keys: vec![IndexKey {
                    kind: IndexKind::Verb,
                    value: SHAPE.verb(n).into(),
                }],
                since: Some(last.stored - chrono::Duration::seconds(30)),
                until: Some(last.stored - chrono::Duration::seconds(10)),
                limit: 101,
                ..Default::default()
            };
            rows += store.query_statements(&f).await.unwrap().len();
            times.push(t.elapsed());
        }
        report("verb since/until", &mut times, rows);
    }
}

fn report(name: &str, times: &mut [Duration], rows: usize) {
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "{name:45} n={:5} rows/q={:6.1} p50={:7.2?} p99={:7.2?} max={:7.2?}",
        times.len(),
        rows as f64 / times.len() as f64,
        pct(0.50),
        pct(0.99),
        times[times.len() - 1]
    );
}

fn prepare(statements: &[Value]) -> Vec<lrs_core::store::PreparedStatement> {
    let ctx = WriteContext {
        version: XapiVersion::V1_0_3,
        authority: json!({"objectType": "Agent", "account": {"homePage": "urn:lara:credential", "name": "bench"}}),
        now: Utc::now(),
    };
    prepare_batch(statements.to_vec(), Vec::new(), &ctx)
        .unwrap()
        .0
}

async fn seed(store: Arc<PgStore>, from: u64, to: u64, clients: u64) {
    const BATCH: u64 = 100;
    let next = Arc::new(std::sync::atomic::AtomicU64::new(from));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let store = store.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(BATCH, std::sync::atomic::Ordering::Relaxed);
                if n >= to {
                    break;
                }
                let batch: Vec<Value> = (n..(n + BATCH).min(to))
                    .map(|n| SHAPE.statement(n))
                    .collect();
                let prepared = tokio::task::spawn_blocking(move || prepare(&batch))
                    .await
                    .unwrap();
                store.insert_statements(prepared, Vec::new()).await.unwrap();
                if (n + BATCH) % 100_000 < BATCH {
                    let done = n + BATCH - from;
                    println!(
                        "seeded {} ({:.0} statements/s)",
                        n + BATCH,
                        done as f64 / started.elapsed().as_secs_f64()
                    );
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}
