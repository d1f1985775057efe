//! Harness for Lara's own xAPI conformance tests.
//!
//! Every test runs against a live server (the real router on a real socket at `127.0.0.1:0`)
//! on both backends: SQLite always, PostgreSQL when `LARA_TEST_POSTGRES_URL` is set. When
//! `LARA_TEST_REQUIRE_POSTGRES=1` (CI) a missing PostgreSQL URL fails the PostgreSQL variant
//! instead of skipping it. Each server gets its own empty database (a temp file, or a fresh
//! PostgreSQL schema), so tests are independent and may run in parallel.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

pub mod browser;

use base64::Engine;
use lrs_core::Lrs as Core;
use lrs_core::auth::Scope;
use lrs_core::store::Store;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running LRS with an `all` credential.
pub struct TestLrs {
    pub base: String,
    /// The content origin, e.g. `http://127.0.0.1:PORT` (package files under `/content/`).
    pub content_base: String,
    pub key: String,
    pub secret: String,
    pub client: reqwest::Client,
    pub core: Core,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL store and its private schema, dropped by [`TestLrs::cleanup`].
    pg: Option<(Arc<lrs_store_postgres::PgStore>, String)>,
}

impl Drop for TestLrs {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The PostgreSQL URL for tests, or `None` (skip) — panics when PostgreSQL is required.
pub fn postgres_url() -> Option<String> {
    match std::env::var("LARA_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("LARA_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("LARA_TEST_REQUIRE_POSTGRES=1 but LARA_TEST_POSTGRES_URL is not set");
            }
            eprintln!("skipping the PostgreSQL variant: LARA_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

impl TestLrs {
    /// Starts a server; `None` when the backend is not available (and not required).
    pub async fn start(backend: Backend) -> Option<TestLrs> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("lara.db");
                let store = lrs_store_sqlite::SqliteStore::open(&path).await.unwrap();
                Some(Self::serve(Arc::new(store), Some(dir)).await)
            }
            Backend::Postgres => {
                let url = postgres_url()?;
                let schema = format!("lara_ct_{}", uuid::Uuid::new_v4().simple());
                let options = lrs_store_postgres::PgOptions {
                    schema: Some(schema.clone()),
                    ..Default::default()
                };
                let store = Arc::new(
                    lrs_store_postgres::PgStore::connect(&url, options)
                        .await
                        .unwrap(),
                );
                let mut lrs = Self::serve(store.clone(), None).await;
                lrs.pg = Some((store, schema));
                Some(lrs)
            }
        }
    }

    /// Removes the test's PostgreSQL schema (SQLite temp files go with the value).
    pub async fn cleanup(mut self) {
        if let Some((store, schema)) = self.pg.take() {
            store.drop_schema(&schema).await.unwrap();
        }
    }

    pub async fn serve(
        backend: Arc<dyn lara_server::db::Backend>,
        dir: Option<tempfile::TempDir>,
    ) -> TestLrs {
        let store: Arc<dyn Store> = backend.clone();
        let core = Core::new(store);
        let cred = core
            .create_credential("conformance", vec![Scope::All])
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let content_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let content_addr = content_listener.local_addr().unwrap();
        let config = lrs_http::HttpConfig {
            // `localhost`, as `lara serve` does by default: another host than Lara's 127.0.0.1,
            // so browsers keep Lara's cookies from the content origin.
            content_base_url: format!("http://localhost:{}", content_addr.port()),
            public_url: format!("http://{addr}"),
            ..lrs_http::HttpConfig::default()
        };
        // Plugins as `lara serve` runs them, with a compile cache shared by the tests.
        let cache = std::env::temp_dir().join("lara-conformance-plugin-cache");
        let plugins = lara_server::plugins::runtime(&backend, &cache).unwrap();
        let (app, content) = lara_server::apps_with_plugins(backend, config, Some(plugins.clone()));
        let (stop_content, content_stopped) = tokio::sync::oneshot::channel::<()>();
        let (stop_plugins, plugins_stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(plugins.run(async move {
            let _ = plugins_stopped.await;
        }));
        tokio::spawn(async move {
            let _ = lara_server::run(listener, app, async move {
                let _ = rx.await;
                let _ = stop_content.send(());
                let _ = stop_plugins.send(());
            })
            .await;
        });
        tokio::spawn(async move {
            let _ = lara_server::run(content_listener, content, async move {
                let _ = content_stopped.await;
            })
            .await;
        });
        TestLrs {
            base: format!("http://{addr}/xapi"),
            content_base: format!("http://localhost:{}", content_addr.port()),
            key: cred.credential.key,
            secret: cred.secret,
            client: reqwest::Client::new(),
            core,
            shutdown: Some(tx),
            _dir: dir,
            pg: None,
        }
    }

    pub fn auth_header(&self) -> String {
        basic(&self.key, &self.secret)
    }

    /// A request with this LRS's credential and `X-Experience-API-Version: 1.0.3`.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.req_v("1.0.3", method, path)
    }

    pub fn req_v(&self, version: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .header("Authorization", self.auth_header())
            .header("X-Experience-API-Version", version)
    }

    /// A credential with other scopes, as (key, secret).
    pub async fn credential(&self, scopes: Vec<Scope>) -> (String, String) {
        let c = self.core.create_credential("scoped", scopes).await.unwrap();
        (c.credential.key, c.secret)
    }

    pub async fn post_statement(&self, statement: &Value) -> reqwest::Response {
        self.req(Method::POST, "/statements")
            .json(statement)
            .send()
            .await
            .unwrap()
    }

    /// Posts and asserts success, returning the ids.
    pub async fn store(&self, statements: &Value) -> Vec<String> {
        let r = self
            .req(Method::POST, "/statements")
            .json(statements)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, 200, "POST /statements failed: {body}");
        serde_json::from_str(&body).unwrap()
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.req(Method::GET, path).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// Percent-encodes a query parameter value.
pub fn url_encode(s: &str) -> String {
    // Everything but RFC 3986 unreserved characters is escaped.
    const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, ESCAPED).to_string()
}

pub fn basic(key: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
    )
}

/// A minimal valid statement.
pub fn statement() -> Value {
    json!({
        "actor": { "objectType": "Agent", "name": "Test Learner", "mbox": "mailto:learner@example.com" },
        "verb": { "id": "http://adlnet.gov/expapi/verbs/completed", "display": { "en-US": "completed" } },
        "object": { "id": "http://example.com/activities/course-1", "objectType": "Activity",
                    "definition": { "name": { "en-US": "Course 1" } } }
    })
}

pub fn with(mut base: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        &mut base
    } else {
        base.pointer_mut(parent).unwrap()
    };
    target
        .as_object_mut()
        .unwrap()
        .insert(key.to_owned(), value);
    base
}

/// Runs `async fn $name(lrs: &TestLrs)` against both backends, as the tests
/// `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let lrs = $crate::TestLrs::start($crate::Backend::Sqlite).await.expect("sqlite");
                super::$name(&lrs).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(lrs) = $crate::TestLrs::start($crate::Backend::Postgres).await {
                    super::$name(&lrs).await;
                    lrs.cleanup().await;
                }
            }
        }
        )*
    };
}

/// A folder of `content-packages` as a zip.
pub fn package_zip(folder: &str) -> Vec<u8> {
    fn walk(
        root: &std::path::Path,
        dir: &std::path::Path,
        w: &mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>,
    ) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(root, &path, w);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                w.start_file(name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                std::io::Write::write_all(w, &std::fs::read(&path).unwrap()).unwrap();
            }
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../content-packages")
        .join(folder);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    walk(&dir, &dir, &mut w);
    w.finish().unwrap().into_inner()
}

impl TestLrs {
    /// Imports a package zip over the admin API, which must accept it: the import answer
    /// (`packageId`, `report`...).
    pub async fn import_package(&self, zip: Vec<u8>) -> Value {
        let (key, secret) = self.credential(vec![Scope::Admin]).await;
        let r = self
            .client
            .post(self.base.replace("/xapi", "/api/packages"))
            .header("Authorization", basic(&key, &secret))
            .body(zip)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let imported: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{imported}");
        imported
    }

    /// Registers a learner (`actor`) for an imported package, with the registration id given
    /// if any: (launch URL, registration id).
    pub async fn register_learner(
        &self,
        package_id: &Value,
        actor: Value,
        registration: Option<&str>,
    ) -> (String, String) {
        let (key, secret) = self.credential(vec![Scope::Admin]).await;
        let launch: Value = self
            .client
            .post(self.base.replace("/xapi", "/api/registrations"))
            .header("Authorization", basic(&key, &secret))
            .json(&json!({"actor": actor, "packageId": package_id, "registration": registration}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            launch["launchUrl"].as_str().unwrap().to_owned(),
            launch["registration"].as_str().unwrap().to_owned(),
        )
    }
}
