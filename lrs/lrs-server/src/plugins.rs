//! `lara plugins`: installing and managing WASM plugins in the database.
//!
//! Installing asks the component to describe itself (in the sandbox), records what it is, and
//! grants it the capabilities an administrator names that it also declared.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use lara_plugin_host::{Capability, Description, Limits, PluginHost};
use lara_plugin_registry::InstalledPlugin;
use lrs_core::Lrs;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::db::Backend;

/// The WIT names of the capabilities.
pub const CAPABILITIES: [&str; 4] = [
    "query-statements",
    "emit-statements",
    "documents",
    "directory",
];

fn capability_name(c: Capability) -> &'static str {
    match c {
        Capability::QueryStatements => "query-statements",
        Capability::EmitStatements => "emit-statements",
        Capability::Documents => "documents",
        Capability::Directory => "directory",
    }
}

fn description_json(d: &Description) -> Value {
    json!({
        "name": d.name,
        "version": d.version,
        "routes": d.routes.iter().map(|r| json!({"method": r.method, "path": r.path})).collect::<Vec<_>>(),
        "subscriptions": d.subscriptions.iter().map(|f| json!({
            "agent": f.agent, "verb": f.verb, "activity": f.activity, "registration": f.registration,
            "relatedActivities": f.related_activities, "relatedAgents": f.related_agents,
        })).collect::<Vec<_>>(),
        "capabilities": d.capabilities.iter().map(|c| capability_name(*c)).collect::<Vec<_>>(),
        "scheduleSeconds": d.schedule_seconds,
    })
}

/// Loads the component in the sandbox and asks it to describe itself.
async fn describe(
    backend: &Arc<dyn Backend>,
    wasm: Vec<u8>,
    cache: &Path,
) -> anyhow::Result<Description> {
    let store: Arc<dyn lrs_core::store::Store> = backend.clone();
    let services = Arc::new(lara_plugin_services::LrsServices::new(
        Lrs::new(store),
        tokio::runtime::Handle::current(),
    ));
    let cache = cache.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Description> {
        let host = PluginHost::new(&cache, Limits::default())?;
        let plugin = host.load(&wasm, &[], services)?;
        Ok(plugin.describe()?)
    })
    .await
    .context("the plugin's describe call")?
}

/// Installs a plugin, granting those of `grants` that it declared.
pub async fn install(
    backend: &Arc<dyn Backend>,
    wasm: Vec<u8>,
    grants: &[String],
    cache: &Path,
) -> anyhow::Result<InstalledPlugin> {
    for g in grants {
        if !CAPABILITIES.contains(&g.as_str()) {
            bail!(
                "{g:?} is not a capability (one of {})",
                CAPABILITIES.join(", ")
            );
        }
    }
    let d = describe(backend, wasm.clone(), cache).await?;
    let declared: Vec<&str> = d.capabilities.iter().map(|c| capability_name(*c)).collect();
    let granted: Vec<String> = grants
        .iter()
        .filter(|g| declared.contains(&g.as_str()))
        .cloned()
        .collect();
    let plugin = InstalledPlugin {
        name: d.name.clone(),
        version: d.version.clone(),
        wasm_sha256: hex::encode(Sha256::digest(&wasm)),
        wasm,
        description: description_json(&d).to_string(),
        granted,
        enabled: true,
        cursor: 0,
        health: "{}".into(),
        installed: chrono::Utc::now(),
    };
    if !backend.install_plugin(plugin.clone()).await? {
        bail!(
            "a plugin named {:?} is installed already; use `lara plugins upgrade`",
            plugin.name
        );
    }
    Ok(InstalledPlugin {
        wasm: Vec::new(),
        ..plugin
    })
}

/// Replaces an installed plugin's component with a new version of it.
pub async fn upgrade(
    backend: &Arc<dyn Backend>,
    wasm: Vec<u8>,
    cache: &Path,
) -> anyhow::Result<InstalledPlugin> {
    let d = describe(backend, wasm.clone(), cache).await?;
    let sha = hex::encode(Sha256::digest(&wasm));
    if !backend
        .upgrade_plugin(
            &d.name,
            &d.version,
            &sha,
            wasm,
            &description_json(&d).to_string(),
        )
        .await?
    {
        bail!(
            "no plugin named {:?} is installed; use `lara plugins install`",
            d.name
        );
    }
    backend
        .plugin(&d.name)
        .await?
        .map(|p| InstalledPlugin {
            wasm: Vec::new(),
            ..p
        })
        .context("the upgraded plugin is gone")
}

/// A plugin for printing (no component).
pub fn summary(p: &InstalledPlugin) -> Value {
    json!({
        "name": p.name,
        "version": p.version,
        "sha256": p.wasm_sha256,
        "enabled": p.enabled,
        "granted": p.granted,
        "cursor": p.cursor,
        "health": serde_json::from_str::<Value>(&p.health).unwrap_or(Value::Null),
        "description": serde_json::from_str::<Value>(&p.description).unwrap_or(Value::Null),
        "installed": xapi_model::time::format_timestamp(p.installed),
    })
}
