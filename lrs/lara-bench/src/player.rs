//! Player scenarios: importing a large package over HTTP, and the launch page's
//! time to first byte.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::Target;

impl Target {
    /// Lara's administration API next to the xAPI endpoint.
    fn api(&self, path: &str) -> String {
        format!("{}/api{path}", self.endpoint.trim_end_matches("/xapi"))
    }
}

/// Imports a package (`file`, or a generated one of `size_mb` MB) with `POST /api/packages`
/// and reports the time; with `server_pid`, also the server's peak memory before and after.
pub async fn import(
    t: &Target,
    file: Option<PathBuf>,
    size_mb: u64,
    server_pid: Option<u32>,
) -> anyhow::Result<()> {
    let path = match file {
        Some(f) => f,
        None => {
            let p = std::env::temp_dir().join(format!("lara-bench-{size_mb}mb.zip"));
            if !p.exists() {
                let t0 = Instant::now();
                bench_data::package::write_large_package(&p, size_mb)
                    .context("writing the package")?;
                println!(
                    "built {} in {:.1} s",
                    p.display(),
                    t0.elapsed().as_secs_f64()
                );
            }
            p
        }
    };
    let body = tokio::fs::read(&path)
        .await
        .with_context(|| format!("reading {}", path.display()))?;
    let bytes = body.len();
    let peak = |pid: Option<u32>| {
        pid.and_then(|p| bench_data::package::peak_rss_mb(&p.to_string()))
            .map_or_else(|| "-".to_owned(), |mb| format!("{mb} MB"))
    };
    let before = peak(server_pid);
    let start = Instant::now();
    let r = t
        .client
        .post(t.api("/packages"))
        .header("Authorization", &t.auth)
        .header("Content-Type", "application/zip")
        .body(body)
        .send()
        .await?;
    let status = r.status();
    let answer: Value = r.json().await.unwrap_or(Value::Null);
    let secs = start.elapsed().as_secs_f64();
    if !status.is_success() {
        bail!("import answered {status}: {answer}");
    }
    println!(
        "import of {} MB over HTTP: {:.1} s ({:.0} MB/s), {} MB new; server peak memory {} before, {} after",
        bytes >> 20,
        secs,
        bytes as f64 / secs / 1e6,
        answer["newBytes"].as_u64().unwrap_or(0) >> 20,
        before,
        peak(server_pid),
    );
    Ok(())
}

/// Registers a learner for `package_id`, then requests the launch page `requests` times and
/// reports the time to the response headers (first byte), and to the whole page.
pub async fn launch(t: &Target, package_id: &str, requests: usize) -> anyhow::Result<()> {
    let r = t
        .client
        .post(t.api("/registrations"))
        .header("Authorization", &t.auth)
        .json(&json!({
            "actor": {"objectType": "Agent", "name": "Bench Learner",
                      "account": {"homePage": "https://bench.example", "name": format!("b-{}", t.run)}},
            "packageId": package_id,
        }))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("registering answered {}: {}", r.status(), r.text().await?);
    }
    let launch: Value = r.json().await?;
    let url = launch["launchUrl"]
        .as_str()
        .context("no launchUrl in the answer")?
        .to_owned();
    let mut first_byte = Vec::with_capacity(requests);
    let mut whole = Vec::with_capacity(requests);
    let started = Instant::now();
    for _ in 0..requests {
        let t0 = Instant::now();
        let r = t.client.get(&url).send().await?;
        first_byte.push(t0.elapsed());
        if !r.status().is_success() {
            bail!("the launch page answered {}", r.status());
        }
        r.bytes().await?;
        whole.push(t0.elapsed());
    }
    let elapsed = started.elapsed().as_secs_f64();
    for (name, mut latencies) in [("first byte", first_byte), ("whole page", whole)] {
        latencies.sort();
        let pct = |p: f64| {
            let i = ((latencies.len().saturating_sub(1)) as f64 * p).round() as usize;
            latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "launch page, {name:<11} p50 {:>6.2} ms   p99 {:>6.2} ms   ({requests} sequential requests, {:.0}/s)",
            pct(0.5),
            pct(0.99),
            requests as f64 / elapsed,
        );
    }
    Ok(())
}
