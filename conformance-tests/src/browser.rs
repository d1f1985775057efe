//! Helpers for the browser tests: Debian's Chromium driven by playwright-core scripts in
//! `player/browser-tests`. They skip with a notice when Chromium, Node.js or the npm packages
//! are missing, except when `LARA_TEST_REQUIRE_BROWSER=1` (CI), where that is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::Method;
use serde_json::Value;

use crate::TestLrs;

/// The folder of the browser test scripts.
pub fn browser_tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../player/browser-tests")
}

/// Whether the browser tests can run here; a notice (or a panic in CI) when not.
pub fn browser_available() -> bool {
    let required = std::env::var("LARA_TEST_REQUIRE_BROWSER").as_deref() == Ok("1");
    let chromium = Command::new("sh")
        .args(["-c", "command -v chromium"])
        .output()
        .is_ok_and(|o| o.status.success());
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let modules = browser_tests_dir()
        .join("node_modules/playwright-core")
        .is_dir();
    if chromium && node && modules {
        return true;
    }
    let why = format!(
        "browser tests need chromium ({chromium}), node ({node}) and `npm ci --prefix player/browser-tests` ({modules})"
    );
    assert!(!required, "LARA_TEST_REQUIRE_BROWSER=1 but {why}");
    eprintln!("skipping: {why}");
    false
}

/// Runs one test script with arguments (blocking): the JSON result it prints last. Panics with
/// its output when the script fails.
pub fn node(script: &str, args: &[&str]) -> Value {
    let out = Command::new("node")
        .arg(browser_tests_dir().join(script))
        .args(args)
        .current_dir(browser_tests_dir())
        .output()
        .expect("running node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("a JSON result")
}

/// The statements of a registration, oldest first.
pub async fn registration_statements(lrs: &TestLrs, registration: &str) -> Vec<Value> {
    let r = lrs
        .req(Method::GET, "/statements")
        .query(&[
            ("registration", registration),
            ("ascending", "true"),
            ("limit", "500"),
        ])
        .send()
        .await
        .expect("querying statements");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("a statement result");
    body.get("statements")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The last segment of a statement's verb id (`initialized`, `completed`...).
pub fn verb(s: &Value) -> &str {
    s.pointer("/verb/id")
        .and_then(Value::as_str)
        .and_then(|id| id.rsplit('/').next())
        .unwrap_or_default()
}
