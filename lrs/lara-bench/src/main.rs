//! `lara-bench`: drives any xAPI LRS over HTTP and reports throughput and latency.
//!
//! Scenarios:
//! - `post-single`: single-statement POSTs from many concurrent clients;
//! - `post-batch`: POSTs of batches (default 100 statements);
//! - `seed`: fills the store to a target size with a realistic spread of agents, verbs,
//!   activities and registrations, printing the ingest rate per slice so that a drop with store
//!   size shows;
//! - `query`: filtered GETs (verb+activity, agent, registration; limit=100) over the seeded data;
//! - `all`: post-single, post-batch and query in turn;
//! - `import`: a large package over `POST /api/packages` (Lara only; an admin credential);
//! - `launch`: the player page's time to first byte (Lara only; an admin credential).
//!
//! Statements are generated deterministically from a number, so `query` can ask for values that
//! `seed` stored without any shared state.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use bench_data::{Shape, statement_id};
use clap::{Parser, Subcommand};

mod player;
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(name = "lara-bench", about = "Benchmark an xAPI LRS over HTTP")]
struct Cli {
    /// The LRS endpoint, e.g. http://127.0.0.1:8080/xapi
    #[arg(
        long,
        env = "LRS_ENDPOINT",
        default_value = "http://127.0.0.1:8080/xapi"
    )]
    endpoint: String,
    /// Basic auth user (key).
    #[arg(long, env = "LRS_USER")]
    user: String,
    /// Basic auth password (secret).
    #[arg(long, env = "LRS_PASSWORD")]
    password: String,
    /// X-Experience-API-Version to send.
    #[arg(long, default_value = "1.0.3")]
    xapi_version: String,
    /// Number of distinct agents, activities and registrations in generated data.
    #[arg(long, default_value_t = 10_000)]
    agents: u64,
    #[arg(long, default_value_t = 5_000)]
    activities: u64,
    #[arg(long, default_value_t = 100_000)]
    registrations: u64,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    PostSingle {
        #[arg(long, default_value_t = 32)]
        clients: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    PostBatch {
        #[arg(long, default_value_t = 100)]
        batch: usize,
        #[arg(long, default_value_t = 4)]
        clients: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    Seed {
        /// Store size to reach (statements already present are counted from --start).
        #[arg(long, default_value_t = 1_000_000)]
        total: u64,
        #[arg(long, default_value_t = 0)]
        start: u64,
        #[arg(long, default_value_t = 100)]
        batch: usize,
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Print the rate after each slice of this many statements.
        #[arg(long, default_value_t = 100_000)]
        report_every: u64,
    },
    Query {
        #[arg(long, default_value_t = 8)]
        clients: usize,
        #[arg(long, default_value_t = 15)]
        seconds: u64,
    },
    All {
        #[arg(long, default_value_t = 15)]
        seconds: u64,
    },
    Import {
        /// The package zip; without it, a package of --size-mb incompressible MB is made.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 500)]
        size_mb: u64,
        /// The server's process id, to report its peak memory (Linux).
        #[arg(long)]
        server_pid: Option<u32>,
    },
    Launch {
        /// The package to launch (its id from the import).
        #[arg(long)]
        package_id: String,
        #[arg(long, default_value_t = 200)]
        requests: usize,
    },
}

struct Target {
    client: reqwest::Client,
    endpoint: String,
    auth: String,
    version: String,
    shape: Shape,
    /// Distinguishes runs so repeated benchmarks never collide on ids.
    run: u128,
}

impl Target {
    /// POSTs a JSON body to the statements resource.
    async fn post(&self, body: Vec<u8>) -> anyhow::Result<Duration> {
        let start = Instant::now();
        let r = self
            .client
            .post(format!("{}/statements", self.endpoint))
            .header("Authorization", &self.auth)
            .header("X-Experience-API-Version", &self.version)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = r.status();
        let text = r.bytes().await?;
        if !status.is_success() {
            bail!(
                "POST /statements returned {status}: {}",
                String::from_utf8_lossy(&text)
            );
        }
        Ok(start.elapsed())
    }

    async fn get(&self, query: &str) -> anyhow::Result<(Duration, usize)> {
        let start = Instant::now();
        let r = self
            .client
            .get(format!("{}/statements?{query}", self.endpoint))
            .header("Authorization", &self.auth)
            .header("X-Experience-API-Version", &self.version)
            .send()
            .await?;
        let status = r.status();
        let body = r.bytes().await?;
        if !status.is_success() {
            bail!(
                "GET /statements?{query} returned {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let v: Value = serde_json::from_slice(&body)?;
        let n = v["statements"].as_array().map(Vec::len).unwrap_or(0);
        Ok((start.elapsed(), n))
    }
}

/// A JSON array of the statements numbered `range`, with ids from `id`.
fn batch_body(
    shape: &Shape,
    range: std::ops::Range<u64>,
    id: impl Fn(u64) -> uuid::Uuid,
) -> Vec<u8> {
    let mut body = Vec::with_capacity(1024 * (range.end - range.start) as usize);
    body.push(b'[');
    for k in range {
        if body.len() > 1 {
            body.push(b',');
        }
        shape.write_statement(k, id(k), &mut body);
    }
    body.push(b']');
    body
}

fn enc(s: &str) -> String {
    // Everything but RFC 3986 unreserved characters is escaped.
    const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, ESCAPED).to_string()
}

struct Report {
    name: String,
    latencies: Vec<Duration>,
    statements: u64,
    elapsed: Duration,
    extra: String,
}

impl Report {
    fn print(mut self) {
        self.latencies.sort();
        let pct = |p: f64| -> f64 {
            if self.latencies.is_empty() {
                return 0.0;
            }
            let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        let secs = self.elapsed.as_secs_f64();
        println!(
            "{:<28} {:>10.0} statements/s {:>9.0} requests/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests in {:.1} s){}",
            self.name,
            self.statements as f64 / secs,
            self.latencies.len() as f64 / secs,
            pct(0.50),
            pct(0.99),
            self.latencies.len(),
            secs,
            self.extra
        );
    }
}

/// Runs `clients` loops of `op(n)` for `seconds`, collecting latencies.
async fn timed<F, Fut>(
    clients: usize,
    seconds: u64,
    op: F,
) -> anyhow::Result<(Vec<Duration>, Duration)>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<Duration>> + Send,
{
    let op = Arc::new(op);
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let op = op.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                lat.push(op(n).await?);
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((all, start.elapsed()))
}

async fn post_single(t: Arc<Target>, clients: usize, seconds: u64) -> anyhow::Result<()> {
    let tt = t.clone();
    let (lat, elapsed) = timed(clients, seconds, move |n| {
        let t = tt.clone();
        async move {
            let mut body = Vec::with_capacity(1024);
            t.shape
                .write_statement(n, statement_id(t.run, n, 1), &mut body);
            t.post(body).await
        }
    })
    .await?;
    let statements = lat.len() as u64;
    Report {
        name: format!("POST single ({clients} clients)"),
        latencies: lat,
        statements,
        elapsed,
        extra: String::new(),
    }
    .print();
    Ok(())
}

async fn post_batch(
    t: Arc<Target>,
    batch: usize,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let tt = t.clone();
    let (lat, elapsed) = timed(clients, seconds, move |n| {
        let t = tt.clone();
        async move {
            let first = n * batch as u64;
            let body = batch_body(&t.shape, first..first + batch as u64, |k| {
                statement_id(t.run, k, 2)
            });
            t.post(body).await
        }
    })
    .await?;
    let statements = lat.len() as u64 * batch as u64;
    Report {
        name: format!("POST batch of {batch} ({clients} clients)"),
        latencies: lat,
        statements,
        elapsed,
        extra: String::new(),
    }
    .print();
    Ok(())
}

async fn seed(
    t: Arc<Target>,
    total: u64,
    start: u64,
    batch: usize,
    clients: usize,
    report_every: u64,
) -> anyhow::Result<()> {
    let mut done = start;
    println!("seeding from {start} to {total} statements");
    while done < total {
        let slice_end = (done + report_every).min(total);
        let next = Arc::new(AtomicU64::new(done));
        let slice_start = Instant::now();
        let mut tasks = Vec::new();
        let mut lats = Vec::new();
        for _ in 0..clients {
            let t = t.clone();
            let next = next.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let from = next.fetch_add(batch as u64, Ordering::Relaxed);
                    if from >= slice_end {
                        break;
                    }
                    let to = (from + batch as u64).min(slice_end);
                    let body = batch_body(&t.shape, from..to, |k| statement_id(0, k, 3));
                    lat.push(t.post(body).await?);
                }
                anyhow::Ok(lat)
            }));
        }
        for task in tasks {
            lats.extend(task.await??);
        }
        let n = slice_end - done;
        Report {
            name: format!("seed {:>8}..{:<8}", done, slice_end),
            latencies: lats,
            statements: n,
            elapsed: slice_start.elapsed(),
            extra: String::new(),
        }
        .print();
        done = slice_end;
    }
    Ok(())
}

async fn query(t: Arc<Target>, clients: usize, seconds: u64) -> anyhow::Result<()> {
    type Q = fn(&Target, u64) -> String;
    let kinds: [(&str, Q); 3] = [
        ("GET verb+activity", |t, n| {
            // The object of statement n: matches every statement k with the same verb and
            // object, i.e. k = n modulo the activity count.
            format!(
                "verb={}&activity={}&limit=100",
                enc(t.shape.verb(n)),
                enc(&t.shape.object_id(n))
            )
        }),
        ("GET agent", |t, n| {
            format!("agent={}&limit=100", enc(&t.shape.agent(n).to_string()))
        }),
        ("GET registration", |t, n| {
            format!("registration={}&limit=100", t.shape.registration(n))
        }),
    ];
    for (name, q) in kinds {
        let rows = Arc::new(AtomicU64::new(0));
        let tt = t.clone();
        let rr = rows.clone();
        let (lat, elapsed) = timed(clients, seconds, move |n| {
            let t = tt.clone();
            let rows = rr.clone();
            async move {
                let query = q(&t, n.wrapping_mul(2_654_435_761));
                let (d, got) = t.get(&query).await?;
                rows.fetch_add(got as u64, Ordering::Relaxed);
                Ok(d)
            }
        })
        .await?;
        let requests = lat.len() as u64;
        let returned = rows.load(Ordering::Relaxed);
        let extra = format!(
            ", {:.1} statements/response",
            returned as f64 / requests.max(1) as f64
        );
        Report {
            name: format!("{name} ({clients} clients)"),
            latencies: lat,
            statements: returned,
            elapsed,
            extra,
        }
        .print();
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", cli.user, cli.password))
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .context("http client")?;
    let run = u128::from(std::process::id()) << 64 | chrono::Utc::now().timestamp_micros() as u128;
    let t = Arc::new(Target {
        client,
        endpoint: cli.endpoint.trim_end_matches('/').to_owned(),
        auth,
        version: cli.xapi_version,
        shape: Shape {
            agents: cli.agents,
            activities: cli.activities,
            registrations: cli.registrations,
        },
        run,
    });
    match cli.scenario {
        Scenario::PostSingle { clients, seconds } => post_single(t, clients, seconds).await,
        Scenario::PostBatch {
            batch,
            clients,
            seconds,
        } => post_batch(t, batch, clients, seconds).await,
        Scenario::Seed {
            total,
            start,
            batch,
            clients,
            report_every,
        } => seed(t, total, start, batch, clients, report_every).await,
        Scenario::Query { clients, seconds } => query(t, clients, seconds).await,
        Scenario::Import {
            file,
            size_mb,
            server_pid,
        } => player::import(&t, file, size_mb, server_pid).await,
        Scenario::Launch {
            package_id,
            requests,
        } => player::launch(&t, &package_id, requests).await,
        Scenario::All { seconds } => {
            post_single(t.clone(), 32, seconds).await?;
            post_batch(t.clone(), 100, 4, seconds).await?;
            query(t, 8, seconds).await
        }
    }
}
