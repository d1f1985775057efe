//! Delivery throughput through the real runtime: statements stored in a SQLite LRS, read
//! after a plugin's cursor, handed to the plugin and acknowledged, as `lara serve` does.
//!
//! ```sh
//! cargo run --release -p lara-plugin-runtime --example delivery_bench -- PLUGIN.wasm [N] [BATCH]
//! ```
//!
//! PLUGIN.wasm must subscribe to every statement (the probe does:
//! `cargo build --release --target wasm32-unknown-unknown -p lara-plugin-probe`). N statements
//! (default 100,000) are stored first; the bench then drains them in batches of BATCH
//! (default 200) and prints statements/s and the time per batch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use lara_plugin_runtime::{PluginRuntime, RuntimeSettings};
use lrs_core::Lrs;
use lrs_core::auth::{Credential, Scope};
use lrs_core::store::Store;
use serde_json::json;
use xapi_model::XapiVersion;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let wasm = std::fs::read(
        args.get(1)
            .expect("usage: delivery_bench PLUGIN.wasm [N] [BATCH]"),
    )
    .expect("reading the plugin");
    let n: usize = args.get(2).map_or(100_000, |a| a.parse().expect("N"));
    let batch: u32 = args.get(3).map_or(200, |a| a.parse().expect("BATCH"));

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        lrs_store_sqlite::SqliteStore::open(&dir.path().join("lara.db"))
            .await
            .unwrap(),
    );
    let dyn_store: Arc<dyn Store> = store.clone();
    let lrs = Lrs::new(dyn_store);
    let cred = Credential::internal(
        "bench",
        "bench",
        vec![Scope::All],
        json!({"objectType": "Agent", "mbox": "mailto:bench@example.com"}),
        Utc::now(),
    );
    let t = Instant::now();
    for chunk in 0..n.div_ceil(500) {
        let statements = (0..500.min(n - chunk * 500))
            .map(|i| {
                json!({
                    "actor": {"objectType": "Agent", "name": "Learner",
                              "mbox": format!("mailto:learner{}@example.com", (chunk * 500 + i) % 5000)},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed",
                             "display": {"en-US": "completed"}},
                    "object": {"id": format!("https://courses.example/course/{}", i % 50),
                               "definition": {"name": {"en-US": "A course"}}},
                    "result": {"completion": true, "success": true, "score": {"scaled": 0.9}},
                    "context": {"registration": uuid::Uuid::new_v4().to_string()},
                })
            })
            .collect();
        lrs.store_statements(&cred, XapiVersion::V2_0_0, statements, Vec::new(), None)
            .await
            .unwrap();
    }
    eprintln!(
        "stored {n} statements in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let runtime = PluginRuntime::new(
        store.clone(),
        store.clone(),
        lrs,
        &dir.path().join("cache"),
        RuntimeSettings {
            batch,
            ..RuntimeSettings::default()
        },
    )
    .unwrap();
    let t = Instant::now();
    let installed = runtime.install(wasm, &[]).await.unwrap();
    eprintln!(
        "installed {} (compiled) in {:.0} ms",
        installed.name,
        t.elapsed().as_secs_f64() * 1000.0
    );
    // The first delivery loads the component from the compile cache.
    let t = Instant::now();
    let mut delivered = 0;
    let mut batches = 0;
    loop {
        let d = runtime.deliver(&installed.name).await.unwrap();
        delivered += d.delivered;
        batches += 1;
        if !d.more {
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(delivered, n, "every statement was delivered");
    println!(
        "delivered {delivered} statements in {batches} batches of up to {batch}: {:.0} statements/s, {:.2} ms per batch",
        delivered as f64 / secs,
        secs * 1000.0 / batches as f64
    );
}
