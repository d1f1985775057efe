//! WASM plugins in the server: the runtime over the server's database, the gateway the HTTP
//! layer calls it through, and the operations of `lara plugins`.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use lara_plugin_host::{Header, HttpRequest};
use lara_plugin_registry::InstalledPlugin;
use lara_plugin_runtime::{PluginRuntime, RuntimeError, RuntimeSettings};
use lrs_core::Lrs;
use lrs_http::plugins::{GatewayError, PluginCall, PluginGateway, PluginReply};
use serde_json::Value;

use crate::db::Backend;

pub use lara_plugin_runtime::summary;

/// The plugin runtime of one process over `backend`, caching compiled plugins in `cache`.
/// Must be called inside a tokio runtime.
pub fn runtime(backend: &Arc<dyn Backend>, cache: &Path) -> anyhow::Result<Arc<PluginRuntime>> {
    runtime_with(backend, cache, RuntimeSettings::default())
}

/// [`runtime`] with settings of its own.
pub fn runtime_with(
    backend: &Arc<dyn Backend>,
    cache: &Path,
    settings: RuntimeSettings,
) -> anyhow::Result<Arc<PluginRuntime>> {
    let store: Arc<dyn lrs_core::store::Store> = backend.clone();
    let registry: Arc<dyn lara_plugin_registry::PluginStore> = backend.clone();
    let directory: Arc<dyn lrs_core::directory::DirectoryStore> = backend.clone();
    Ok(Arc::new(PluginRuntime::new(
        registry,
        directory,
        Lrs::new(store),
        cache,
        settings,
    )?))
}

/// Installs a plugin, granting those of `grants` that it declared.
pub async fn install(
    backend: &Arc<dyn Backend>,
    wasm: Vec<u8>,
    grants: &[String],
    cache: &Path,
) -> anyhow::Result<InstalledPlugin> {
    Ok(runtime(backend, cache)?.install(wasm, grants).await?)
}

/// Replaces an installed plugin's component with a new version of it.
pub async fn upgrade(
    backend: &Arc<dyn Backend>,
    wasm: Vec<u8>,
    cache: &Path,
) -> anyhow::Result<InstalledPlugin> {
    Ok(runtime(backend, cache)?.upgrade(wasm, None).await?)
}

/// The runtime as the HTTP layer sees it.
pub struct Gateway(pub Arc<PluginRuntime>);

fn gateway_error(e: RuntimeError) -> GatewayError {
    match e {
        RuntimeError::NotFound(m) => GatewayError::NotFound(m),
        RuntimeError::Invalid(m) => GatewayError::Invalid(m),
        RuntimeError::Conflict(m) => GatewayError::Conflict(m),
        e @ RuntimeError::Plugin { .. } => GatewayError::Unavailable(e.to_string()),
        e => GatewayError::Failed(e.to_string()),
    }
}

#[async_trait]
impl PluginGateway for Gateway {
    async fn list(&self) -> Result<Vec<Value>, GatewayError> {
        self.0.statuses().await.map_err(gateway_error)
    }

    async fn status(&self, name: &str) -> Result<Value, GatewayError> {
        self.0.status(name).await.map_err(gateway_error)
    }

    async fn install(&self, wasm: Vec<u8>, grants: Vec<String>) -> Result<Value, GatewayError> {
        let p = self.0.install(wasm, &grants).await.map_err(gateway_error)?;
        self.status(&p.name).await
    }

    async fn upgrade(&self, name: &str, wasm: Vec<u8>) -> Result<Value, GatewayError> {
        let p = self
            .0
            .upgrade(wasm, Some(name))
            .await
            .map_err(gateway_error)?;
        self.status(&p.name).await
    }

    async fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), GatewayError> {
        self.0
            .set_enabled(name, enabled)
            .await
            .map_err(gateway_error)
    }

    async fn set_grants(&self, name: &str, grants: Vec<String>) -> Result<(), GatewayError> {
        self.0
            .set_grants(name, &grants)
            .await
            .map_err(gateway_error)
    }

    async fn remove(&self, name: &str, keep_documents: bool) -> Result<(), GatewayError> {
        self.0
            .remove(name, keep_documents)
            .await
            .map_err(gateway_error)
    }

    async fn run_schedule(&self, name: &str) -> Result<bool, GatewayError> {
        self.0.run_schedule(name, true).await.map_err(gateway_error)
    }

    async fn call(&self, name: &str, call: PluginCall) -> Result<PluginReply, GatewayError> {
        let request = HttpRequest {
            method: call.method,
            path: call.path,
            query: call.query,
            headers: call
                .headers
                .into_iter()
                .map(|(name, value)| Header { name, value })
                .collect(),
            body: call.body,
        };
        let response = self
            .0
            .handle_request(name, request)
            .await
            .map_err(gateway_error)?;
        Ok(PluginReply {
            status: response.status,
            headers: response
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect(),
            body: response.body,
        })
    }
}
