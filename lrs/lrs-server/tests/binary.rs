//! Black-box tests of the `lara` binary: first start, CLI, crash durability.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const LARA: &str = env!("CARGO_BIN_EXE_lara");

struct Server {
    child: Child,
    base: String,
    first_lines: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `lara serve` on a free port in `dir`, returning once it listens.
fn serve(dir: &std::path::Path, db_url: Option<&str>) -> Server {
    let port = free_port();
    let mut cmd = Command::new(LARA);
    cmd.arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--content-listen", "127.0.0.1:0"])
        .current_dir(dir);
    cmd.env_remove("LARA_DATABASE_URL")
        .env_remove("LARA_LISTEN")
        .env_remove("LARA_CONTENT_LISTEN");
    if let Some(u) = db_url {
        cmd.arg("--database-url").arg(u);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut first_lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("lara serve exited early; output: {first_lines:?}");
        }
        first_lines.push(line.trim_end().to_owned());
        if line.contains("listening on") {
            break;
        }
        assert!(Instant::now() < deadline, "lara serve did not start");
    }
    Server {
        child,
        base: format!("http://127.0.0.1:{port}/xapi"),
        first_lines,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn field(lines: &[String], name: &str) -> Option<String> {
    lines.iter().find_map(|l| {
        l.trim()
            .strip_prefix(&format!("{name}:"))
            .map(|v| v.trim().to_owned())
    })
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::new()
}

#[test]
fn first_start_prints_an_admin_credential_once_and_it_works() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), None);
    let key = field(&server.first_lines, "key").expect("key printed");
    let secret = field(&server.first_lines, "secret").expect("secret printed");
    assert!(
        dir.path().join("lara-data/lara.db").exists(),
        "default database under ./lara-data/"
    );
    let r = client()
        .post(format!("{}/statements", server.base))
        .basic_auth(&key, Some(&secret))
        .header("X-Experience-API-Version", "1.0.3")
        .json(&json!({
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": "http://example.com/a"}
        }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);

    // The demo course was imported, and its files are served on the content origin.
    assert!(
        server
            .first_lines
            .iter()
            .any(|l| l.contains("Imported the demo course")),
        "{:?}",
        server.first_lines
    );
    let packages: Value = client()
        .get(server.base.replace("/xapi", "/api/packages"))
        .basic_auth(&key, Some(&secret))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(packages[0]["identifier"], "org.lara.demo.hand-hygiene");
    assert_eq!(packages[0]["standard"], "scorm12");
    let content = server
        .first_lines
        .iter()
        .find_map(|l| l.strip_prefix("Package content served on "))
        .expect("content origin printed")
        .to_owned();
    let page = client()
        .get(format!(
            "{content}{}/index.html",
            packages[0]["versionId"].as_str().unwrap()
        ))
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().unwrap().contains("Hand hygiene in home care"));

    drop(server);
    let again = serve(dir.path(), None);
    assert!(
        field(&again.first_lines, "secret").is_none(),
        "the secret is printed only on first start"
    );
    assert!(
        !again.first_lines.iter().any(|l| l.contains("demo course")),
        "the demo course is imported only on first start"
    );
}

#[test]
fn unrecognised_database_url_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(LARA)
        .args(["serve", "--database-url", "postgress://typo@localhost/db"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognised database url"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created"
    );
}

#[test]
fn credentials_create_json_list_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = Command::new(LARA)
        .args([
            "credentials",
            "create",
            "--name",
            "reporting",
            "--scopes",
            "statements/read,state",
            "--json",
            "--database-url",
            &db,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["scopes"], json!(["statements/read", "state"]));
    let key = created["key"].as_str().unwrap();
    let list = Command::new(LARA)
        .args(["credentials", "list", "--json", "--database-url", &db])
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed[0]["key"], key);
    assert!(listed[0].get("secret").is_none());
    let rev = Command::new(LARA)
        .args(["credentials", "revoke", key, "--database-url", &db])
        .output()
        .unwrap();
    assert!(
        rev.status.success(),
        "{}",
        String::from_utf8_lossy(&rev.stderr)
    );
    let bad = Command::new(LARA)
        .args([
            "credentials",
            "create",
            "--name",
            "x",
            "--scopes",
            "everything",
            "--database-url",
            &db,
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn acknowledged_statements_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(dir.path(), None);
    let key = field(&server.first_lines, "key").unwrap();
    let secret = field(&server.first_lines, "secret").unwrap();
    let c = client();
    let mut acknowledged = Vec::new();
    for i in 0..50 {
        let r = c
            .post(format!("{}/statements", server.base))
            .basic_auth(&key, Some(&secret))
            .header("X-Experience-API-Version", "1.0.3")
            .json(&json!({
                "actor": {"mbox": format!("mailto:learner{i}@example.com")},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {"id": "http://example.com/a"}
            }))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        let ids: Vec<String> = r.json().unwrap();
        acknowledged.extend(ids);
    }
    // SIGKILL: no graceful shutdown, no flush.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let again = serve(dir.path(), None);
    for id in &acknowledged {
        let r = c
            .get(format!("{}/statements?statementId={id}", again.base))
            .basic_auth(&key, Some(&secret))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "statement {id} lost after kill -9");
    }
}

fn write_zip(path: &std::path::Path, files: &[(&str, &str)]) {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, text) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap();
}

const TINCAN: &str = r#"<?xml version="1.0"?>
<tincan><activities><activity id="https://example.org/lifting" type="http://adlnet.gov/expapi/activities/course">
<name lang="en-US">Safe lifting</name><launch>index.html</launch></activity></activities></tincan>"#;

#[test]
fn import_stores_a_package_and_refuses_a_broken_one_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let good = dir.path().join("good.zip");
    write_zip(
        &good,
        &[("tincan.xml", TINCAN), ("index.html", "<html></html>")],
    );
    let out = Command::new(LARA)
        .args([
            "import",
            good.to_str().unwrap(),
            "--json",
            "--database-url",
            &db,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let imported: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(imported["standard"], "xapi");
    assert_eq!(imported["title"], "Safe lifting");
    assert_eq!(imported["version"], 1);
    assert_eq!(imported["files"], 2);

    // Without --json: a readable summary; the same package becomes version 2.
    let out = Command::new(LARA)
        .args(["import", good.to_str().unwrap(), "--database-url", &db])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("as version 2"), "{text}");

    // The launch file is missing: non-zero exit and the problem with its manifest path.
    let bad = dir.path().join("bad.zip");
    write_zip(&bad, &[("tincan.xml", TINCAN)]);
    let out = Command::new(LARA)
        .args(["import", bad.to_str().unwrap(), "--database-url", &db])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tincan.xml: tincan/activities/activity/launch") && err.contains("index.html"),
        "{err}"
    );

    // Not a file at all.
    let out = Command::new(LARA)
        .args(["import", "/nonexistent.zip", "--database-url", &db])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a file"));
}

/// `lara plugins`: install (with grants limited to what the plugin declares), list, disable,
/// enable, upgrade, and refusals with their reasons.
#[test]
fn plugins_install_list_disable_and_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/lara.db", dir.path().display());
    let wasm = lara_plugin_host::build_workspace_plugin("lara-plugin-probe").unwrap();
    let file = dir.path().join("probe.wasm");
    std::fs::write(&file, &wasm).unwrap();
    let cache = dir.path().join("cache");
    let lara = |args: &[&str]| {
        Command::new(LARA)
            .args(args)
            .args(["--database-url", &db])
            .env("LARA_PLUGIN_CACHE", &cache)
            .output()
            .unwrap()
    };
    let out = lara(&[
        "plugins",
        "install",
        file.to_str().unwrap(),
        "--grant",
        "directory,documents",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(installed["name"], "probe");
    assert_eq!(installed["version"], "0.1.0");
    // Only what the probe declares is granted: documents, not the directory.
    assert_eq!(installed["granted"], serde_json::json!(["documents"]));
    assert_eq!(installed["description"]["routes"][0]["path"], "/*");
    // Once only; an unknown capability is refused by name.
    let again = lara(&["plugins", "install", file.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("installed already"));
    let bad = lara(&[
        "plugins",
        "install",
        file.to_str().unwrap(),
        "--grant",
        "filesystem",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("\"filesystem\" is not a capability"));
    // Not a component.
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"junk").unwrap();
    assert!(
        !lara(&["plugins", "install", junk.to_str().unwrap()])
            .status
            .success()
    );

    assert!(lara(&["plugins", "disable", "probe"]).status.success());
    assert!(!lara(&["plugins", "disable", "nope"]).status.success());
    let listed: serde_json::Value =
        serde_json::from_slice(&lara(&["plugins", "list", "--json"]).stdout).unwrap();
    assert_eq!(listed[0]["name"], "probe");
    assert_eq!(listed[0]["enabled"], false);
    assert!(lara(&["plugins", "enable", "probe"]).status.success());
    // Grants change later, still limited to what the plugin declares.
    let out = lara(&["plugins", "grant", "probe", "emit-statements,directory"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !lara(&["plugins", "grant", "probe", "files"])
            .status
            .success()
    );
    let listed: serde_json::Value =
        serde_json::from_slice(&lara(&["plugins", "list", "--json"]).stdout).unwrap();
    assert_eq!(listed[0]["granted"], serde_json::json!(["emit-statements"]));
    assert_eq!(listed[0]["lag"], 0);
    assert_eq!(listed[0]["status"], "healthy");
    let text = String::from_utf8(lara(&["plugins", "list"]).stdout).unwrap();
    assert!(
        text.starts_with("probe 0.1.0 enabled healthy lag 0"),
        "{text}"
    );
    let out = lara(&["plugins", "upgrade", file.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let upgraded: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(upgraded["enabled"], true);

    assert!(lara(&["plugins", "remove", "probe"]).status.success());
    assert!(!lara(&["plugins", "remove", "probe"]).status.success());
    let listed: serde_json::Value =
        serde_json::from_slice(&lara(&["plugins", "list", "--json"]).stdout).unwrap();
    assert_eq!(listed, serde_json::json!([]));
}

/// The plugin platform's "done when", on the real binary: the certification plugin is built,
/// installed into a running `lara serve` over the admin API, given a rule over its own JSON
/// API, and follows posted completions; the certificate is granted, and expires once its
/// validity has run out.
#[test]
fn a_certification_plugin_in_a_running_server_grants_and_expires_certificates() {
    use chrono::{Months, SecondsFormat, Utc};
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), None);
    let key = field(&server.first_lines, "key").unwrap();
    let secret = field(&server.first_lines, "secret").unwrap();
    let root = server.base.trim_end_matches("/xapi").to_owned();
    let admin = |method: reqwest::Method, path: &str| {
        client()
            .request(method, format!("{root}{path}"))
            .basic_auth(&key, Some(&secret))
    };

    let wasm = lara_plugin_host::build_workspace_plugin("lara-plugin-certification").unwrap();
    let r = admin(
        reqwest::Method::POST,
        "/api/plugins?grant=documents,emit-statements,directory",
    )
    .header("content-type", "application/wasm")
    .body(wasm.clone())
    .send()
    .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let installed: Value = r.json().unwrap();
    assert_eq!(installed["name"], "certification");
    // The directory was not declared, so it is not granted.
    assert_eq!(
        installed["granted"],
        json!(["documents", "emit-statements"])
    );
    let again = admin(reqwest::Method::POST, "/api/plugins")
        .body(wasm.clone())
        .send()
        .unwrap();
    assert_eq!(again.status(), 409);
    let junk = admin(reqwest::Method::POST, "/api/plugins")
        .body("not wasm")
        .send()
        .unwrap();
    assert_eq!(junk.status(), 400);

    // The rule, over the plugin's own API.
    let rule = json!({
        "name": "Medication handling",
        "activities": ["https://courses.example/medication", "https://courses.example/hygiene"],
        "withinDays": 90,
        "validMonths": 24,
    });
    let r = admin(
        reqwest::Method::PUT,
        "/plugins/certification/certificates/medication",
    )
    .json(&rule)
    .send()
    .unwrap();
    assert_eq!(r.status(), 204);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );

    // Completions: Kari's today; Ola's 24 months ago, so his certificate lapses in seconds.
    let now = Utc::now();
    let lapsing = now.checked_sub_months(Months::new(24)).unwrap() + chrono::Duration::seconds(12);
    let at = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let done = |who: &str, course: &str, t: chrono::DateTime<Utc>| {
        json!({
            "actor": {"objectType": "Agent", "mbox": format!("mailto:{who}@example.com")},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": format!("https://courses.example/{course}")},
            "result": {"completion": true, "success": true},
            "timestamp": at(t),
        })
    };
    let r = admin(reqwest::Method::POST, "/xapi/statements")
        .header("X-Experience-API-Version", "2.0.0")
        .json(&json!([
            done("kari", "medication", now),
            done("kari", "hygiene", now),
            done("ola", "medication", lapsing - chrono::Duration::days(2)),
            done("ola", "hygiene", lapsing),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);

    let holders = || -> Vec<String> {
        let r = admin(
            reqwest::Method::GET,
            "/plugins/certification/certificates/medication/holders",
        )
        .send()
        .unwrap();
        assert_eq!(r.status(), 200);
        let list: Value = r.json().unwrap();
        let mut who: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["actor"]["mbox"].as_str().unwrap().to_owned())
            .collect();
        who.sort();
        who
    };
    // Delivery is asynchronous: wait for it.
    let deadline = Instant::now() + Duration::from_secs(8);
    while holders().len() < 2 {
        assert!(Instant::now() < deadline, "no certificates granted");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        holders(),
        ["mailto:kari@example.com", "mailto:ola@example.com"]
    );
    let statements = |verb: &str| -> Vec<Value> {
        let r: Value = admin(reqwest::Method::GET, "/xapi/statements")
            .header("X-Experience-API-Version", "2.0.0")
            .query(&[("verb", verb)])
            .send()
            .unwrap()
            .json()
            .unwrap();
        r["statements"].as_array().unwrap().clone()
    };
    let earned = statements("http://id.tincanapi.com/verb/earned");
    assert_eq!(earned.len(), 2);
    for s in &earned {
        assert_eq!(s["object"]["id"], "urn:lara:certificate:medication");
        assert_eq!(s["authority"]["account"]["name"], "certification");
        assert!(
            s["result"]["extensions"]["http://id.tincanapi.com/extension/valid-until"].is_string()
        );
    }

    // Who may see and change what the plugin serves.
    let hr: Value = admin(reqwest::Method::POST, "/api/credentials")
        .json(&json!({"name": "hr", "scopes": ["all/read"]}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let as_hr = |method: reqwest::Method, path: &str| {
        client()
            .request(method, format!("{root}{path}"))
            .basic_auth(hr["key"].as_str().unwrap(), hr["secret"].as_str())
    };
    let path = "/plugins/certification/certificates/medication/holders";
    assert_eq!(
        as_hr(reqwest::Method::GET, path).send().unwrap().status(),
        200
    );
    let head = as_hr(reqwest::Method::HEAD, path).send().unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "application/json");
    let put = as_hr(
        reqwest::Method::PUT,
        "/plugins/certification/certificates/x",
    )
    .json(&rule)
    .send()
    .unwrap();
    assert_eq!(put.status(), 403);
    let anonymous = client().get(format!("{root}{path}")).send().unwrap();
    assert_eq!(anonymous.status(), 401);
    let undeclared = admin(reqwest::Method::GET, "/plugins/certification/secret")
        .send()
        .unwrap();
    assert_eq!(undeclared.status(), 404);
    let nobody = admin(reqwest::Method::GET, "/plugins/nobody/x")
        .send()
        .unwrap();
    assert_eq!(nobody.status(), 404);

    // Ola's validity runs out; the schedule (run now by the administrator) records it.
    while Utc::now() < lapsing + chrono::Months::new(24) + chrono::Duration::seconds(1) {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(holders(), ["mailto:kari@example.com"]);
    let r = admin(reqwest::Method::POST, "/api/plugins/certification/schedule")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let expired = statements("urn:lara:verb:expired");
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["actor"]["mbox"], "mailto:ola@example.com");

    // The administrator sees health, counts and lag.
    let status: Value = admin(reqwest::Method::GET, "/api/plugins/certification")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(status["status"], "healthy");
    assert_eq!(status["enabled"], true);
    assert_eq!(status["health"]["delivered"], 4);
    assert!(status["health"]["calls"]["onSchedule"].as_u64().unwrap() >= 2);
    let list: Value = admin(reqwest::Method::GET, "/api/plugins")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list[0]["name"], "certification");

    // Disabled, its routes are gone; enabled again, they are back.
    let r = admin(reqwest::Method::POST, "/api/plugins/certification/disable")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        as_hr(reqwest::Method::GET, path).send().unwrap().status(),
        404
    );
    admin(reqwest::Method::POST, "/api/plugins/certification/enable")
        .send()
        .unwrap();
    assert_eq!(
        as_hr(reqwest::Method::GET, path).send().unwrap().status(),
        200
    );
    // Upgrading under another plugin's name is refused.
    let probe = lara_plugin_host::build_workspace_plugin("lara-plugin-probe").unwrap();
    let r = admin(reqwest::Method::PUT, "/api/plugins/certification")
        .body(probe)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = admin(reqwest::Method::PUT, "/api/plugins/certification")
        .body(wasm)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);

    // Uninstalled: its routes and documents are gone, the statements it emitted stay.
    let documents = || -> Value {
        admin(reqwest::Method::GET, "/xapi/activities/profile")
            .header("X-Experience-API-Version", "2.0.0")
            .query(&[("activityId", "urn:lara:plugin:certification")])
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    assert!(!documents().as_array().unwrap().is_empty());
    let r = admin(reqwest::Method::DELETE, "/api/plugins/certification")
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        as_hr(reqwest::Method::GET, path).send().unwrap().status(),
        404
    );
    assert_eq!(documents(), json!([]));
    assert_eq!(statements("http://id.tincanapi.com/verb/earned").len(), 2);
    let r = admin(reqwest::Method::DELETE, "/api/plugins/certification")
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
}
