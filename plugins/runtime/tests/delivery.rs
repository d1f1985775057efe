#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Delivery of stored statements to a real plugin (`plugins/examples/probe`) over a SQLite
//! LRS, as `lara serve` runs it: stored order, at least once across a crash between the
//! plugin's call and the cursor's move, backoff after failures without holding up other
//! plugins, and no plugin fed its own statements.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::Utc;
use lara_plugin_host::{HttpRequest, Limits};
use lara_plugin_registry::{InstalledPlugin, PluginStore};
use lara_plugin_runtime::{Health, PluginRuntime, RuntimeSettings};
use lrs_core::auth::{Credential, Scope};
use lrs_core::store::{StatementStore, Store};
use lrs_core::{Lrs, StoreError};
use lrs_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use xapi_model::XapiVersion;

fn probe() -> Vec<u8> {
    static WASM: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    WASM.get_or_init(|| lara_plugin_host::build_workspace_plugin("lara-plugin-probe").unwrap())
        .clone()
}

fn certification() -> Vec<u8> {
    lara_plugin_host::build_workspace_plugin("lara-plugin-certification").unwrap()
}

/// A registry that passes everything to SQLite, except that the `crash_at`-th cursor move
/// fails as if the process died between the plugin's call and the move.
struct Crashing {
    inner: Arc<SqliteStore>,
    moves: AtomicUsize,
    crash_at: usize,
}

#[async_trait]
impl PluginStore for Crashing {
    async fn install_plugin(&self, p: InstalledPlugin) -> Result<bool, StoreError> {
        self.inner.install_plugin(p).await
    }
    async fn upgrade_plugin(
        &self,
        name: &str,
        version: &str,
        sha: &str,
        wasm: Vec<u8>,
        description: &str,
    ) -> Result<bool, StoreError> {
        self.inner
            .upgrade_plugin(name, version, sha, wasm, description)
            .await
    }
    async fn plugin(&self, name: &str) -> Result<Option<InstalledPlugin>, StoreError> {
        self.inner.plugin(name).await
    }
    async fn list_plugins(&self) -> Result<Vec<InstalledPlugin>, StoreError> {
        self.inner.list_plugins().await
    }
    async fn remove_plugin(&self, name: &str) -> Result<bool, StoreError> {
        self.inner.remove_plugin(name).await
    }
    async fn set_plugin_enabled(&self, name: &str, enabled: bool) -> Result<bool, StoreError> {
        self.inner.set_plugin_enabled(name, enabled).await
    }
    async fn set_plugin_grants(&self, name: &str, g: Vec<String>) -> Result<bool, StoreError> {
        self.inner.set_plugin_grants(name, g).await
    }
    async fn advance_plugin_cursor(
        &self,
        name: &str,
        from: i64,
        to: i64,
    ) -> Result<bool, StoreError> {
        if self.moves.fetch_add(1, Ordering::SeqCst) + 1 == self.crash_at {
            return Err(StoreError::Backend("simulated crash".into()));
        }
        self.inner.advance_plugin_cursor(name, from, to).await
    }
    async fn acknowledge_plugin_batch(
        &self,
        name: &str,
        from: i64,
        to: i64,
        health: &str,
    ) -> Result<bool, StoreError> {
        if self.moves.fetch_add(1, Ordering::SeqCst) + 1 == self.crash_at {
            return Err(StoreError::Backend("simulated crash".into()));
        }
        self.inner
            .acknowledge_plugin_batch(name, from, to, health)
            .await
    }
    async fn set_plugin_health(&self, name: &str, health: &str) -> Result<bool, StoreError> {
        self.inner.set_plugin_health(name, health).await
    }
    async fn lease_plugin(&self, name: &str, holder: &str, s: u32) -> Result<bool, StoreError> {
        self.inner.lease_plugin(name, holder, s).await
    }
    async fn release_plugin(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.inner.release_plugin(name, holder).await
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    lrs: Lrs,
    cache: std::path::PathBuf,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&dir.path().join("lara.db"))
            .await
            .unwrap(),
    );
    let dyn_store: Arc<dyn Store> = store.clone();
    Fixture {
        cache: dir.path().join("cache"),
        _dir: dir,
        lrs: Lrs::new(dyn_store),
        store,
    }
}

fn settings(batch: u32) -> RuntimeSettings {
    RuntimeSettings {
        limits: Limits::default(),
        batch,
        poll: std::time::Duration::from_millis(10),
        duty: 1.0,
    }
}

impl Fixture {
    fn runtime(&self, registry: Arc<dyn PluginStore>, batch: u32) -> PluginRuntime {
        PluginRuntime::new(
            registry,
            self.store.clone(),
            self.lrs.clone(),
            &self.cache,
            settings(batch),
        )
        .unwrap()
    }

    /// Stores statements as an ordinary client would; returns their ids in stored order.
    async fn post(&self, verbs: &[&str]) -> Vec<String> {
        let cred = Credential::internal(
            "client",
            "client",
            vec![Scope::All],
            json!({"objectType": "Agent", "mbox": "mailto:client@example.com"}),
            Utc::now(),
        );
        let statements = verbs
            .iter()
            .enumerate()
            .map(|(i, v)| {
                json!({
                    "actor": {"objectType": "Agent", "mbox": format!("mailto:p{i}@example.com")},
                    "verb": {"id": v},
                    "object": {"id": format!("https://courses.example/{i}")},
                })
            })
            .collect();
        self.lrs
            .store_statements(&cred, XapiVersion::V2_0_0, statements, Vec::new(), None)
            .await
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

async fn received(runtime: &PluginRuntime) -> Vec<String> {
    let r = runtime
        .handle_request(
            "probe",
            HttpRequest {
                method: "GET".into(),
                path: "/received".into(),
                query: String::new(),
                headers: Vec::new(),
                body: Vec::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    serde_json::from_slice(&r.body).unwrap()
}

/// Delivers until the plugin has caught up (or fails).
async fn drain(runtime: &PluginRuntime, name: &str) -> usize {
    let mut total = 0;
    loop {
        let d = runtime.deliver(name).await.unwrap();
        total += d.delivered;
        if !d.more {
            return total;
        }
    }
}

async fn health(store: &SqliteStore, name: &str) -> (Health, i64) {
    let p = store.plugin(name).await.unwrap().unwrap();
    (Health::parse(&p.health), p.cursor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_arrive_in_stored_order_and_again_after_a_crash() {
    let f = fixture().await;
    let grants = ["documents".to_owned()];
    let crashing = Arc::new(Crashing {
        inner: f.store.clone(),
        moves: AtomicUsize::new(0),
        crash_at: 2,
    });
    let runtime = f.runtime(crashing, 100);
    runtime.install(probe(), &grants).await.unwrap();
    let mut ids = Vec::new();
    // Several posts, so that stored order is not one batch's order only.
    for _ in 0..5 {
        ids.extend(
            f.post(&["http://adlnet.gov/expapi/verbs/experienced"; 50])
                .await,
        );
    }
    // First batch delivered and acknowledged; the second delivered, then the "crash".
    assert_eq!(runtime.deliver("probe").await.unwrap().delivered, 100);
    let e = runtime.deliver("probe").await.unwrap_err();
    assert!(e.to_string().contains("simulated crash"), "{e}");
    assert_eq!(
        health(&f.store, "probe").await.1,
        100,
        "only the first batch was acknowledged"
    );
    drop(runtime);

    // A restart: a new runtime over the same database carries on from the stored cursor.
    let runtime = f.runtime(f.store.clone(), 100);
    assert_eq!(drain(&runtime, "probe").await, 150);
    let got = received(&runtime).await;
    let mut expected: Vec<String> = ids[..200].to_vec();
    expected.extend_from_slice(&ids[100..]);
    assert_eq!(got.len(), 350);
    assert_eq!(
        got, expected,
        "the batch in flight at the crash comes again, in order"
    );
    let (h, cursor) = health(&f.store, "probe").await;
    assert_eq!(cursor, f.store.max_seq().await.unwrap());
    assert_eq!(h.failures, 0);
    assert_eq!(h.delivered, 250, "100 before the crash, 150 after");
    assert_eq!(runtime.status("probe").await.unwrap()["lag"], 0);

    // Only statements after the cursor come next.
    let more = f
        .post(&["http://adlnet.gov/expapi/verbs/experienced"; 3])
        .await;
    assert_eq!(drain(&runtime, "probe").await, 3);
    assert_eq!(received(&runtime).await[350..], more[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_plugin_backs_off_and_the_others_keep_their_pace() {
    let f = fixture().await;
    let runtime = f.runtime(f.store.clone(), 100);
    runtime
        .install(probe(), &["documents".to_owned()])
        .await
        .unwrap();
    runtime
        .install(
            certification(),
            &["documents".to_owned(), "emit-statements".to_owned()],
        )
        .await
        .unwrap();
    let ok = f.post(&["http://adlnet.gov/expapi/verbs/completed"]).await;
    let bad = f.post(&["urn:lara:test:refuse"]).await;

    // The probe refuses its batch: nothing is acknowledged, the error is kept, and it waits.
    let e = runtime.deliver("probe").await.unwrap_err();
    assert!(e.to_string().contains("refused"), "{e}");
    let (h, cursor) = health(&f.store, "probe").await;
    assert_eq!(cursor, 0);
    assert_eq!(h.failures, 1);
    assert_eq!(h.status(), "failing");
    assert!(h.last_error.unwrap().contains(&bad[0]));
    assert!(h.retry_at.is_some());
    // While it waits, no call is made.
    assert_eq!(runtime.deliver("probe").await.unwrap().delivered, 0);
    assert_eq!(health(&f.store, "probe").await.0.calls.on_statements, 1);

    // The certification plugin is not held up.
    runtime.tick().await.unwrap();
    let (h, cursor) = health(&f.store, "certification").await;
    assert_eq!(cursor, f.store.max_seq().await.unwrap());
    assert_eq!((h.failures, h.delivered), (0, 1));

    // The bad statement is voided; after the wait the probe gets the rest and recovers.
    let cred = Credential::internal(
        "client",
        "client",
        vec![Scope::All],
        json!({"objectType": "Agent", "mbox": "mailto:client@example.com"}),
        Utc::now(),
    );
    f.lrs
        .store_statements(
            &cred,
            XapiVersion::V2_0_0,
            vec![json!({
                "actor": {"objectType": "Agent", "mbox": "mailto:client@example.com"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                "object": {"objectType": "StatementRef", "id": bad[0]},
            })],
            Vec::new(),
            None,
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(drain(&runtime, "probe").await, 2);
    let got = received(&runtime).await;
    assert_eq!(got[0], ok[0]);
    assert_eq!(got.len(), 2, "the original and the voiding statement");
    let (h, _) = health(&f.store, "probe").await;
    assert_eq!(h.status(), "healthy");
    assert_eq!(h.errors, 1);

    // A trap is a failure like any other.
    f.post(&["urn:lara:test:trap"]).await;
    let e = runtime.deliver("probe").await.unwrap_err();
    assert!(e.to_string().contains("trapped"), "{e}");
    let (h, _) = health(&f.store, "probe").await;
    assert!(h.last_error.unwrap().contains("trapped"));
    assert_eq!(h.failures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_is_not_fed_its_own_statements() {
    let f = fixture().await;
    let runtime = f.runtime(f.store.clone(), 100);
    runtime
        .install(
            probe(),
            &["documents".to_owned(), "emit-statements".to_owned()],
        )
        .await
        .unwrap();
    let echo = f.post(&["urn:lara:test:echo"]).await;
    for _ in 0..5 {
        runtime.tick().await.unwrap();
    }
    // The probe echoed once; its echo was stored but not given back to it (it would have
    // echoed that too, for ever).
    assert_eq!(received(&runtime).await, echo);
    let all = f
        .store
        .query_statements(&lrs_core::store::StatementFilter {
            ascending: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let echoed: Value = serde_json::from_str(&all[1].json).unwrap();
    assert_eq!(echoed["verb"]["id"], "urn:lara:test:echoed");
    assert_eq!(
        echoed["context"]["extensions"][lara_plugin_services::CHAIN_EXTENSION],
        json!(["probe"])
    );
    assert_eq!(echoed["authority"]["account"]["name"], "probe");
    let (h, cursor) = health(&f.store, "probe").await;
    assert_eq!(cursor, 2, "the cursor moved past the echo");
    assert_eq!(h.calls.on_statements, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_reach_declared_routes_of_enabled_plugins_only() {
    let f = fixture().await;
    let runtime = f.runtime(f.store.clone(), 100);
    runtime.install(probe(), &[]).await.unwrap();
    let get = |path: &str| HttpRequest {
        method: "GET".into(),
        path: path.into(),
        query: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let r = runtime
        .handle_request("probe", get("/hello"))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    // A loop is stopped at the limit and counted as an error; the plugin still answers.
    let e = runtime
        .handle_request("probe", get("/loop"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("time limit"), "{e}");
    assert!(runtime.handle_request("nope", get("/hello")).await.is_err());
    runtime.set_enabled("probe", false).await.unwrap();
    assert!(
        runtime
            .handle_request("probe", get("/hello"))
            .await
            .is_err()
    );
    runtime.set_enabled("probe", true).await.unwrap();
    assert_eq!(
        runtime
            .handle_request("probe", get("/hello"))
            .await
            .unwrap()
            .status,
        200
    );
    runtime.flush_counts().await.unwrap();
    let (h, _) = health(&f.store, "probe").await;
    assert_eq!(h.calls.handle_request, 3);
    assert_eq!(h.errors, 1);
    assert!(h.last_error.unwrap().contains("time limit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_reads_the_directory_only_when_granted() {
    use lrs_core::directory::{DirectoryStore, Person};
    let f = fixture().await;
    let person = |id: &str, unit: &str, email: &str| Person {
        id: id.into(),
        name: format!("Person {id}"),
        email: Some(email.into()),
        org_unit: Some(unit.into()),
        manager: Some("boss".into()),
        roles: vec!["nurse".into()],
        updated: Utc::now(),
    };
    f.store
        .upsert_people(vec![
            person("e1", "north", "p0@example.com"),
            person("e2", "north", "p9@example.com"),
            person("e3", "south", "p1@example.com"),
        ])
        .await
        .unwrap();
    // `post` gives statement i the actor p<i>.
    f.post(&[
        "http://adlnet.gov/expapi/verbs/completed",
        "http://adlnet.gov/expapi/verbs/completed",
    ])
    .await;
    let runtime = f.runtime(f.store.clone(), 100);
    let wasm = lara_plugin_host::build_workspace_plugin("lara-plugin-team-progress").unwrap();
    runtime
        .install(wasm, &["query-statements".to_owned()])
        .await
        .unwrap();
    let get = |path: &str| HttpRequest {
        method: "GET".into(),
        path: path.into(),
        query: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    // Declared but not granted: refused.
    let r = runtime
        .handle_request("team-progress", get("/units/north"))
        .await
        .unwrap();
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("NotPermitted"));

    runtime
        .set_grants(
            "team-progress",
            &["query-statements".to_owned(), "directory".to_owned()],
        )
        .await
        .unwrap();
    let r = runtime
        .handle_request("team-progress", get("/units/north"))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let team: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(team.as_array().unwrap().len(), 2);
    assert_eq!(team[0]["id"], "e1");
    assert_eq!(team[0]["manager"], "boss");
    assert_eq!(
        team[0]["completed"][0]["activity"],
        "https://courses.example/0"
    );
    assert_eq!(team[1]["completed"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_shrink_until_they_fit_the_time_limit() {
    let f = fixture().await;
    let runtime = f.runtime(f.store.clone(), 200);
    runtime.install(probe(), &[]).await.unwrap();
    f.post(&["urn:lara:test:slow"; 200]).await;
    let mut timeouts = 0;
    let mut delivered = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while delivered < 200 {
        assert!(std::time::Instant::now() < deadline, "never caught up");
        match runtime.deliver("probe").await {
            Ok(d) => delivered += d.delivered,
            Err(e) => {
                assert!(e.to_string().contains("time limit"), "{e}");
                timeouts += 1;
                // Wait out the backoff.
                let retry = health(&f.store, "probe").await.0.retry_at.unwrap();
                let wait = (retry - Utc::now()).to_std().unwrap_or_default();
                tokio::time::sleep(wait + std::time::Duration::from_millis(20)).await;
            }
        }
    }
    assert!(timeouts >= 1, "200 slow statements fit in one call");
    let (h, cursor) = health(&f.store, "probe").await;
    assert_eq!(cursor, f.store.max_seq().await.unwrap());
    assert_eq!(h.delivered, 200);
    assert_eq!(h.status(), "healthy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_a_plugin_emits_feed_the_other_plugins() {
    let f = fixture().await;
    let runtime = f.runtime(f.store.clone(), 100);
    runtime
        .install(
            certification(),
            &["documents".to_owned(), "emit-statements".to_owned()],
        )
        .await
        .unwrap();
    runtime
        .install(probe(), &["documents".to_owned()])
        .await
        .unwrap();
    let rule = json!({"name": "C", "activities": ["https://courses.example/0"], "withinDays": 1, "validMonths": 12});
    let r = runtime
        .handle_request(
            "certification",
            HttpRequest {
                method: "PUT".into(),
                path: "/certificates/c1".into(),
                query: String::new(),
                headers: Vec::new(),
                body: rule.to_string().into_bytes(),
            },
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    let done = f.post(&["http://adlnet.gov/expapi/verbs/completed"]).await;
    assert_eq!(drain(&runtime, "certification").await, 1);
    // The probe takes every statement: the completion, and the certificate it earned.
    assert_eq!(drain(&runtime, "probe").await, 2);
    let got = received(&runtime).await;
    assert_eq!(got[0], done[0]);
    let earned = f
        .lrs
        .store()
        .get_statement(got[1].parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let earned: Value = serde_json::from_str(&earned.json).unwrap();
    assert_eq!(earned["verb"]["id"], "http://id.tincanapi.com/verb/earned");
    assert_eq!(
        earned["context"]["extensions"][lara_plugin_services::CHAIN_EXTENSION],
        json!(["certification"])
    );
}
