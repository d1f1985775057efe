//! Measures the CPU cost of validating and preparing statements (no storage, no HTTP):
//! `cargo run --release -p lrs-core --example ingest_cost`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Instant;

use chrono::Utc;
use lrs_core::ingest::{WriteContext, prepare_batch};
use serde_json::{Value, json};
use xapi_model::XapiVersion;

fn statement(n: u64) -> Value {
    json!({
        "actor": {"objectType": "Agent", "name": format!("Learner {n}"), "mbox": format!("mailto:learner{n}@bench.example.org")},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": format!("http://bench.example.org/activities/{n}"),
                   "definition": {"name": {"en-US": "Bench activity"}, "type": "http://adlnet.gov/expapi/activities/lesson"}},
        "result": {"score": {"scaled": 0.5}, "completion": true, "duration": "PT5M"},
        "context": {"registration": "00000000-0000-4000-8000-000000000001",
                    "contextActivities": {"parent": [{"id": "http://bench.example.org/activities/course"}]}},
        "timestamp": "2026-01-01T12:00:00.000Z"
    })
}

fn main() {
    let batch: Vec<Value> = (0..100).map(statement).collect();
    let ctx = WriteContext {
        version: XapiVersion::V1_0_3,
        authority: json!({"objectType": "Agent", "account": {"homePage": "urn:x", "name": "k"}}),
        now: Utc::now(),
    };
    let rounds = 200;
    let start = Instant::now();
    for _ in 0..rounds {
        let (p, _) = prepare_batch(batch.clone(), Vec::new(), &ctx).unwrap();
        std::hint::black_box(p);
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / (rounds * batch.len()) as f64;
    println!("prepare_batch: {per:.1} µs per statement");

    let time = |name: &str, f: &dyn Fn(&Value)| {
        let start = Instant::now();
        for _ in 0..rounds {
            for s in &batch {
                f(s);
            }
        }
        let per = start.elapsed().as_secs_f64() * 1e6 / (rounds * batch.len()) as f64;
        println!("{name:<14} {per:.1} µs per statement");
    };
    time("validate:", &|s| {
        std::hint::black_box(xapi_model::validate::validate_statement(
            s,
            XapiVersion::V1_0_3,
            "statement",
        ));
    });
    time("compare hash:", &|s| {
        std::hint::black_box(xapi_model::compare::comparison_hash(s));
    });
    time("ifi key:", &|s| {
        std::hint::black_box(xapi_model::ifi::ifi_key(&s["actor"]));
    });
    time("clone:", &|s| {
        std::hint::black_box(s.clone());
    });

    let text = serde_json::to_string(&batch).unwrap();
    let start = Instant::now();
    for _ in 0..rounds {
        let v: Value = serde_json::from_str(&text).unwrap();
        std::hint::black_box(v);
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / (rounds * batch.len()) as f64;
    println!("JSON parse:    {per:.1} µs per statement");
}
