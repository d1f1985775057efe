//! Optional cross-check against statements expanded from the ADL conformance suite's
//! config-driven tests. Set `XAPI_SUITE_DUMP_V1` / `XAPI_SUITE_DUMP_V2` to JSON files holding
//! `[{"name": ..., "expect": [status], "statement": {...}}]` (see `tools/expand-suite.js`);
//! the tests are ignored by default and fail when run without them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use xapi_model::XapiVersion;
use xapi_model::validate::validate_statement;

fn run(var: &str, version: XapiVersion) {
    let path = std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} must name a file made by tests/tools/expand-suite.js"));
    let text = std::fs::read_to_string(&path).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut failures = Vec::new();
    for case in &cases {
        let expect = case["expect"][0].as_u64().unwrap();
        let problems = validate_statement(&case["statement"], version, "");
        let rejected = !problems.is_empty();
        if rejected != (expect == 400) {
            failures.push(format!(
                "[{expect}] {} / {}: {}\n    {}",
                case["file"].as_str().unwrap_or_default(),
                case["name"],
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
                case["statement"]
            ));
        }
    }
    eprintln!("{var}: {} cases checked", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
#[ignore = "needs a local copy of the ADL suite; run with --ignored and XAPI_SUITE_DUMP_V1"]
fn suite_v1_0_3() {
    run("XAPI_SUITE_DUMP_V1", XapiVersion::V1_0_3);
}

#[test]
#[ignore = "needs a local copy of the ADL suite; run with --ignored and XAPI_SUITE_DUMP_V2"]
fn suite_v2_0_0() {
    run("XAPI_SUITE_DUMP_V2", XapiVersion::V2_0_0);
}
