//! Plugin dispatch benchmark (not a test): how fast the host hands statements to a plugin.
//!
//! `cargo run --release -p lara-plugin-host --example dispatch_bench -- PLUGIN.wasm [POOLED]`
//! (build the probe first: `cargo build --release --target wasm32-unknown-unknown -p
//! lara-plugin-probe`). Reports compile and cached-load time, the cost of one call (a fresh
//! instance each time) and `on-statements` throughput for batches of 100 and 1,000 statements
//! of realistic size.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;
use std::time::Instant;

use lara_plugin_host::{
    Document, HostError, Limits, Person, PluginHost, Services, StatementFilter, StoredStatement,
};

struct Nothing;

impl Services for Nothing {
    fn query_statements(
        &self,
        _: &str,
        _: StatementFilter,
    ) -> Result<Vec<StoredStatement>, HostError> {
        Err(HostError::Failed("not in this benchmark".into()))
    }
    fn emit_statements(
        &self,
        _: &str,
        _: &[String],
        _: Vec<String>,
    ) -> Result<Vec<String>, HostError> {
        Err(HostError::Failed("not in this benchmark".into()))
    }
    fn get_document(&self, _: &str, _: &str) -> Result<Option<Document>, HostError> {
        Err(HostError::Failed("not in this benchmark".into()))
    }
    fn put_document(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: Vec<u8>,
        _: Option<String>,
    ) -> Result<String, HostError> {
        Err(HostError::Failed("not in this benchmark".into()))
    }
    fn delete_document(&self, _: &str, _: &str, _: Option<String>) -> Result<(), HostError> {
        Err(HostError::Failed("not in this benchmark".into()))
    }
    fn list_documents(&self, _: &str, _: &str) -> Result<Vec<String>, HostError> {
        Err(HostError::Failed("not in this benchmark".into()))
    }
    fn people(&self, _: &str, _: Option<String>) -> Result<Vec<Person>, HostError> {
        Err(HostError::Failed("not in this benchmark".into()))
    }
    fn now(&self) -> String {
        "2026-11-23T12:00:00Z".into()
    }
}

fn statement(i: usize) -> StoredStatement {
    let id = format!("{:08x}-0000-4000-8000-{:012x}", i, i);
    StoredStatement {
        id: id.clone(),
        stored: "2026-11-23T12:00:00.000Z".into(),
        json: format!(
            r#"{{"id":"{id}","actor":{{"objectType":"Agent","name":"Learner {i}","account":{{"homePage":"https://hr.example","name":"e-{i}"}}}},"verb":{{"id":"http://adlnet.gov/expapi/verbs/completed","display":{{"en-US":"completed"}}}},"object":{{"objectType":"Activity","id":"https://lara.example/courses/{}","definition":{{"name":{{"en-US":"Course {}"}}}}}},"result":{{"completion":true,"success":true,"score":{{"scaled":0.9}}}},"context":{{"registration":"{id}"}},"timestamp":"2026-11-23T12:00:00.000Z","stored":"2026-11-23T12:00:00.000Z","authority":{{"objectType":"Agent","account":{{"homePage":"urn:lara:credential","name":"bench"}}}},"version":"1.0.3"}}"#,
            i % 50,
            i % 50
        ),
    }
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: dispatch_bench PLUGIN.wasm [POOLED_INSTANCES]");
    let pooled_instances = std::env::args()
        .nth(2)
        .map_or(0, |n| n.parse().expect("a number of pooled instances"));
    let wasm = std::fs::read(&path).expect("reading the plugin");
    let cache = tempfile::tempdir().unwrap();
    let limits = Limits {
        pooled_instances,
        ..Limits::default()
    };
    println!("pooled instances: {pooled_instances}");
    let host = PluginHost::new(cache.path(), limits).unwrap();
    let services: Arc<dyn Services> = Arc::new(Nothing);

    let t = Instant::now();
    host.load(&wasm, &[], services.clone()).unwrap();
    println!(
        "load, compiling:      {:8.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let plugin = host.load(&wasm, &[], services).unwrap();
    println!(
        "load, from the cache: {:8.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    let calls = 2_000;
    let t = Instant::now();
    for _ in 0..calls {
        plugin.on_statements(&[]).unwrap().unwrap();
    }
    println!(
        "one call (fresh instance, empty batch): {:.1} µs",
        t.elapsed().as_secs_f64() * 1e6 / calls as f64
    );

    for batch_size in [100usize, 1_000] {
        let batch: Vec<StoredStatement> = (0..batch_size).map(statement).collect();
        let bytes: usize = batch.iter().map(|s| s.json.len()).sum();
        let rounds = 200_000 / batch_size;
        let t = Instant::now();
        for _ in 0..rounds {
            plugin.on_statements(&batch).unwrap().unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        let n = (rounds * batch_size) as f64;
        println!(
            "batches of {batch_size:>5}: {:>9.0} statements/s, {:.2} µs each ({} bytes of JSON per statement)",
            n / secs,
            secs * 1e6 / n,
            bytes / batch_size
        );
    }
}
