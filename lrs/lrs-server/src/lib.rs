//! The `lara` binary as a library: configuration, backend selection and the server loop, so
//! that tests can run the exact server in-process on `127.0.0.1:0`.
//!
//! Layout:
//! - [`db`]: which backend a database URL names ([`db::DatabaseUrl`]) and opening it.
//! - [`run`]: serve a router on a listener until a shutdown future completes.
//! - [`bootstrap_admin`]: the admin credential created and printed on first start.
//! - [`demo`]: the demo course imported on first start.
//! - [`plugins`]: installing and managing WASM plugins (`lara plugins`).
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod db;
pub mod demo;
pub mod plugins;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use lrs_core::Lrs;
use lrs_core::auth::{NewCredential, Scope};
use lrs_core::store::Store;
use tokio::net::TcpListener;

/// The default address of `lara serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default address of the content origin (package files). Browsers treat `localhost` and
/// `127.0.0.1` as different sites, so a local setup opens content at `http://localhost:8081`
/// and Lara at `http://127.0.0.1:8080`.
pub const DEFAULT_CONTENT_LISTEN: &str = "127.0.0.1:8081";
/// The default database: an embedded SQLite file under `./lara-data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://lara-data/lara.db";

/// Builds Lara's application (not the content origin's) for a database with default settings.
pub fn app(backend: Arc<dyn db::Backend>) -> axum::Router {
    apps(backend, lrs_http::HttpConfig::default()).0
}

/// Builds the two applications of one Lara process over one database: Lara's own origin
/// (xAPI, administration) and the content origin (package files, the player, and the xAPI
/// endpoint of launched content). They share the launcher of cmi5 and xAPI content, whose
/// rules hold for launch credentials on both.
pub fn apps(
    backend: Arc<dyn db::Backend>,
    config: lrs_http::HttpConfig,
) -> (axum::Router, axum::Router) {
    apps_with_plugins(backend, config, None)
}

/// [`apps`] with plugin routes and administration served by `plugins`.
pub fn apps_with_plugins(
    backend: Arc<dyn db::Backend>,
    config: lrs_http::HttpConfig,
    plugins: Option<Arc<lara_plugin_runtime::PluginRuntime>>,
) -> (axum::Router, axum::Router) {
    let store: Arc<dyn Store> = backend.clone();
    let packages: Arc<dyn player_core::PackageStore> = backend.clone();
    let launches: Arc<dyn player_core::LaunchStore> = backend.clone();
    let directory: Arc<dyn lrs_core::directory::DirectoryStore> = backend;
    let launcher = Arc::new(player_core::au_launch::AuLauncher {
        lrs: Lrs::new(store.clone()),
        launches: launches.clone(),
        packages: packages.clone(),
        content_base: config.content_base_url.clone(),
        activity_base: config.activity_base().to_owned(),
        locks: Arc::default(),
    });
    let lrs = Lrs::new(store).with_launch_rules(launcher.clone());
    let main = lrs_http::router(
        lrs.clone(),
        packages.clone(),
        launches.clone(),
        launcher.clone(),
        directory,
        plugins.map(|p| Arc::new(plugins::Gateway(p)) as Arc<dyn lrs_http::plugins::PluginGateway>),
        config.clone(),
    );
    let content = lrs_http::content_router(lrs, packages, launches, launcher, config)
        .layer(tower_http::trace::TraceLayer::new_for_http());
    (main, content)
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn run(
    listener: TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("http server failed")
}

/// Creates an administrator credential if the store has none, returning it so the caller can
/// show the secret (which is not stored) exactly once.
pub async fn bootstrap_admin(store: &Arc<dyn Store>) -> anyhow::Result<Option<NewCredential>> {
    let existing = store
        .list_credentials()
        .await
        .context("reading credentials")?;
    if existing
        .iter()
        .any(|c| c.is_active(chrono::Utc::now()) && c.has(Scope::Admin))
    {
        return Ok(None);
    }
    let lrs = Lrs::new(store.clone());
    let new = lrs
        .create_credential("admin", vec![Scope::All, Scope::Admin])
        .await
        .context("creating the admin credential")?;
    Ok(Some(new))
}
