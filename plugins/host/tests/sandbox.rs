#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The sandbox, with a real plugin (`plugins/examples/probe`, built here for
//! wasm32-unknown-unknown as a WASI-free component): loops, unbounded allocation and traps end
//! the call with a clear error and leave the host working; undeclared capabilities are refused
//! without reaching the host's services; compiled plugins are cached.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use lara_plugin_host::{
    CapabilityKey, Document, HostError, HttpRequest, Limits, Person, PluginError, PluginHost,
    Services, StatementFilter, StoredStatement,
};

/// Builds the probe plugin once per test binary and returns its bytes.
fn probe() -> Vec<u8> {
    static WASM: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    WASM.get_or_init(|| {
        lara_plugin_host::build_workspace_plugin("lara-plugin-probe").expect("the probe plugin")
    })
    .clone()
}

/// Services that count the calls that reach them.
#[derive(Default)]
struct Counting {
    calls: AtomicUsize,
    /// How long each service takes.
    delay_ms: std::sync::atomic::AtomicU64,
}

impl Counting {
    fn hit<T>(&self, v: T) -> Result<T, HostError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(std::time::Duration::from_millis(
            self.delay_ms.load(Ordering::Relaxed),
        ));
        Ok(v)
    }
}

impl Services for Counting {
    fn query_statements(
        &self,
        _: &str,
        _: StatementFilter,
    ) -> Result<Vec<StoredStatement>, HostError> {
        self.hit(Vec::new())
    }
    fn emit_statements(
        &self,
        _: &str,
        _: &[String],
        s: Vec<String>,
    ) -> Result<Vec<String>, HostError> {
        self.hit(s)
    }
    fn get_document(&self, _: &str, _: &str) -> Result<Option<Document>, HostError> {
        self.hit(None)
    }
    fn put_document(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: Vec<u8>,
        _: Option<String>,
    ) -> Result<String, HostError> {
        self.hit(String::new())
    }
    fn delete_document(&self, _: &str, _: &str, _: Option<String>) -> Result<(), HostError> {
        self.hit(())
    }
    fn list_documents(&self, _: &str, _: &str) -> Result<Vec<String>, HostError> {
        self.hit(Vec::new())
    }
    fn people(&self, _: &str, _: Option<String>) -> Result<Vec<Person>, HostError> {
        self.hit(Vec::new())
    }
    fn now(&self) -> String {
        "2026-11-23T12:00:00Z".into()
    }
}

fn get(path: &str) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path: path.into(),
        query: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn body(r: &lara_plugin_host::HttpResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

#[test]
fn a_plugin_runs_sandboxed_and_misbehaviour_stops_only_its_call() {
    let cache = tempfile::tempdir().unwrap();
    let host = PluginHost::new(cache.path(), Limits::default()).unwrap();
    let services = Arc::new(Counting::default());
    // The administrator grants the directory, which the plugin never declared, and nothing
    // else.
    let plugin = host
        .load(&probe(), &[CapabilityKey::Directory], services.clone())
        .unwrap();
    assert_eq!(plugin.name(), "probe");
    assert!(plugin.granted().is_empty());
    let d = plugin.describe().unwrap();
    assert_eq!(d.version, "0.1.0");
    assert_eq!(d.routes[0].path, "/*");

    let r = plugin.handle_request(&get("/hello")).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(body(&r), "probe at 2026-11-23T12:00:00Z");

    // Without the capability the host refuses, and its services are never reached.
    let mut emit = get("/emit");
    emit.method = "POST".into();
    emit.body = br#"{"actor": {"mbox": "mailto:a@example.com"}}"#.to_vec();
    let r = plugin.handle_request(&emit).unwrap();
    assert_eq!(r.status, 403, "{}", body(&r));
    assert!(body(&r).contains("NotPermitted"), "{}", body(&r));
    let r = plugin.handle_request(&get("/people")).unwrap();
    assert_eq!(r.status, 403, "{}", body(&r));
    assert!(body(&r).contains("NotPermitted"), "{}", body(&r));
    assert_eq!(services.calls.load(Ordering::Relaxed), 0);

    // An endless loop is stopped at the time limit.
    let t = Instant::now();
    let e = plugin
        .handle_request(&get("/loop"))
        .expect_err("the loop ended");
    assert!(matches!(e, PluginError::TimedOut(100)), "{e}");
    let took = t.elapsed();
    assert!(took.as_millis() < 1000, "stopped after {took:?}");

    // Allocation without end is stopped at the memory cap.
    let e = plugin
        .handle_request(&get("/alloc"))
        .expect_err("the allocation ended");
    assert!(matches!(e, PluginError::OutOfMemory(_)), "{e}");

    // A panic is a trap.
    let e = plugin
        .handle_request(&get("/trap"))
        .expect_err("the trap returned");
    assert!(matches!(e, PluginError::Trapped(_)), "{e}");

    // The plugin still works: each call has an instance of its own.
    let batch: Vec<StoredStatement> = (0..3)
        .map(|i| StoredStatement {
            id: format!("00000000-0000-4000-8000-00000000000{i}"),
            stored: "2026-11-23T12:00:00Z".into(),
            json: "{}".into(),
        })
        .collect();
    assert_eq!(plugin.on_statements(&batch).unwrap(), Ok(()));
    assert_eq!(body(&plugin.handle_request(&get("/count")).unwrap()), "0");
    assert_eq!(plugin.handle_request(&get("/hello")).unwrap().status, 200);
    assert_eq!(plugin.on_schedule("2026-11-23T12:00:00Z").unwrap(), Ok(()));
}

#[test]
fn compiled_plugins_are_cached_by_content() {
    let cache = tempfile::tempdir().unwrap();
    let host = PluginHost::new(cache.path(), Limits::default()).unwrap();
    let wasm = probe();
    let services: Arc<dyn Services> = Arc::new(Counting::default());
    let t = Instant::now();
    host.load(&wasm, &[], services.clone()).unwrap();
    let first = t.elapsed();
    let files: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with(".cwasm"));
    let t = Instant::now();
    let again = host.load(&wasm, &[], services).unwrap();
    let second = t.elapsed();
    assert_eq!(again.name(), "probe");
    assert!(
        second < first,
        "loading from the cache ({second:?}) was not faster than compiling ({first:?})"
    );
    // Not a component at all.
    let e = host
        .load(b"not wasm", &[], Arc::new(Counting::default()))
        .err()
        .expect("garbage loaded");
    assert!(matches!(e, PluginError::Invalid(_)), "{e}");
}

#[test]
fn time_spent_in_host_calls_does_not_count_against_the_plugin() {
    let cache = tempfile::tempdir().unwrap();
    let host = PluginHost::new(cache.path(), Limits::default()).unwrap();
    let services = Arc::new(Counting::default());
    services.delay_ms.store(250, Ordering::Relaxed);
    let plugin = host
        .load(&probe(), &[CapabilityKey::EmitStatements], services.clone())
        .unwrap();
    let mut emit = get("/emit");
    emit.method = "POST".into();
    emit.body = br#"{"actor": {"mbox": "mailto:a@example.com"}}"#.to_vec();
    let t = Instant::now();
    let r = plugin.handle_request(&emit).unwrap();
    assert_eq!(r.status, 200, "{}", body(&r));
    assert!(t.elapsed().as_millis() >= 250);
    assert_eq!(services.calls.load(Ordering::Relaxed), 1);

    // A call's total time is bounded all the same.
    let host = PluginHost::new(
        cache.path(),
        Limits {
            wall_millis: 150,
            ..Limits::default()
        },
    )
    .unwrap();
    let plugin = host
        .load(&probe(), &[CapabilityKey::EmitStatements], services)
        .unwrap();
    // The host call itself cannot be interrupted; the plugin is stopped when it returns.
    let e = plugin.handle_request(&emit).expect_err("the call ended");
    assert!(matches!(e, PluginError::TimedOut(_)), "{e}");
}
