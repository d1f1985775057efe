//! Fixture statements under `tests/data/{valid,invalid}`: each file names the versions it
//! applies to and, for invalid ones, the exact set of problem paths expected.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use serde_json::Value;
use xapi_model::XapiVersion;
use xapi_model::validate::validate_statement;

fn fixtures(dir: &str) -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir);
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

fn versions(fixture: &Value) -> Vec<XapiVersion> {
    fixture["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| XapiVersion::from_header(v.as_str().unwrap()).unwrap())
        .collect()
}

fn check(name: &str, fixture: &Value) {
    let mut expected: Vec<String> = fixture
        .get("problems")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|p| p.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    expected.sort();
    for version in versions(fixture) {
        let problems = validate_statement(&fixture["statement"], version, "");
        let mut paths: Vec<String> = problems.iter().map(|p| p.path.clone()).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths, expected, "{name} under {version:?}: {problems:#?}");
    }
}

#[test]
fn valid_fixtures_have_no_problems() {
    for (name, fixture) in fixtures("valid") {
        assert!(
            fixture.get("problems").is_none(),
            "{name}: valid fixtures list no problems"
        );
        check(&name, &fixture);
    }
}

#[test]
fn invalid_fixtures_report_expected_paths() {
    for (name, fixture) in fixtures("invalid") {
        assert!(
            fixture.get("problems").is_some(),
            "{name}: invalid fixtures must list problems"
        );
        check(&name, &fixture);
    }
}
