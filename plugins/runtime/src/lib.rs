//! Runs Lara's installed plugins inside `lara serve`.
//!
//! - **Delivery.** Each enabled plugin has a cursor in the registry: the `seq` of the last
//!   statement it was given. [`PluginRuntime::deliver`] reads the statements stored after it
//!   that match any of the plugin's subscriptions, in stored order, calls `on-statements` with
//!   them, and only when the plugin acknowledged the batch moves the cursor (compare-and-set).
//!   A crash between the call and the move delivers the batch again: at least once, in order.
//!   Statements that came through a plugin carry the plugins' names
//!   ([`lara_plugin_services::CHAIN_EXTENSION`]) and are never given back to those plugins.
//! - **Schedules.** `on-schedule` runs every `schedule-seconds`; the time of the last run is
//!   in the registry, so a restart does not run it early.
//! - **Failures.** A failed delivery or schedule call (trap, time or memory limit, or an error
//!   the plugin returned) is logged and recorded as the plugin's last error; the plugin is
//!   tried again after 1, 2, 4, … seconds, at most five minutes apart. Other plugins and the
//!   LRS are not held up.
//! - **Requests.** [`PluginRuntime::handle_request`] calls `handle-request` for a route the
//!   plugin declared.
//! - **Administration.** Install, upgrade, enable, disable, grants, and a status with health,
//!   counts and cursor lag, for `lara plugins` and the admin HTTP API alike.
//!
//! Everything a node knows is either in the registry or a cache of it (loaded components), so
//! several nodes on one database run the same plugins. One node at a time delivers to a
//! plugin and runs its schedule: it holds the plugin's lease in the registry, taken or renewed
//! whenever there is work, and another node takes over when a lease runs out
//! ([`LEASE_SECONDS`]) or is given up at shutdown. Requests are served by every node.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod health;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use lara_plugin_host::{
    Capability, CapabilityKey, Description, HttpRequest, HttpResponse, Limits, LoadedPlugin,
    PluginError, PluginHost, StoredStatement,
};
use lara_plugin_registry::{InstalledPlugin, PluginStore};
use lara_plugin_services::{CHAIN_EXTENSION, LrsServices, chain_of, query_params};
use lrs_core::directory::DirectoryStore;
use lrs_core::query::StatementRequest;
use lrs_core::store::Store;
use lrs_core::{Lrs, StoreError};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use crate::health::Health;
use crate::health::Pending;

/// The WIT names of the capabilities.
pub const CAPABILITIES: [&str; 4] = [
    "query-statements",
    "emit-statements",
    "documents",
    "directory",
];

#[derive(Debug, Error)]
pub enum RuntimeError {
    #[error("{0}")]
    NotFound(String),
    /// The administrator's input was refused.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// The plugin failed (trap, limit, or its own error).
    #[error("plugin {plugin}: {message}")]
    Plugin { plugin: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

pub fn capability_name(c: Capability) -> &'static str {
    match c {
        Capability::QueryStatements => "query-statements",
        Capability::EmitStatements => "emit-statements",
        Capability::Documents => "documents",
        Capability::Directory => "directory",
    }
}

fn capability_key(name: &str) -> Option<CapabilityKey> {
    Some(match name {
        "query-statements" => CapabilityKey::QueryStatements,
        "emit-statements" => CapabilityKey::EmitStatements,
        "documents" => CapabilityKey::Documents,
        "directory" => CapabilityKey::Directory,
        _ => return None,
    })
}

/// What `describe` answered, as stored in the registry and shown to administrators.
pub fn description_json(d: &Description) -> Value {
    json!({
        "name": d.name,
        "version": d.version,
        "routes": d.routes.iter().map(|r| json!({"method": r.method, "path": r.path})).collect::<Vec<_>>(),
        "subscriptions": d.subscriptions.iter().map(|f| json!({
            "agent": f.agent, "verb": f.verb, "activity": f.activity, "registration": f.registration,
            "relatedActivities": f.related_activities, "relatedAgents": f.related_agents,
            "since": f.since, "until": f.until,
        })).collect::<Vec<_>>(),
        "capabilities": d.capabilities.iter().map(|c| capability_name(*c)).collect::<Vec<_>>(),
        "scheduleSeconds": d.schedule_seconds,
    })
}

/// How long a node's delivery lease on a plugin lasts unless renewed.
pub const LEASE_SECONDS: u32 = 15;

/// Settings of the runtime.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// Bounds of each call into a plugin.
    pub limits: Limits,
    /// Most statements in one `on-statements` call.
    pub batch: u32,
    /// How often the delivery loop looks for new statements when it has caught up.
    pub poll: Duration,
    /// The share of time (0 to 1] a plugin's task may spend delivering while statements
    /// are waiting: after a round that took `t` it pauses `t × (1 − duty) / duty`, leaving
    /// the rest of the machine to the LRS's own requests while a plugin catches up.
    pub duty: f64,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            batch: 200,
            poll: Duration::from_millis(200),
            duty: 0.5,
        }
    }
}

/// A loaded component and what it was loaded from.
#[derive(Clone)]
struct Loaded {
    sha256: String,
    granted: Vec<String>,
    plugin: Arc<LoadedPlugin>,
}

/// What a plugin's round ([`PluginRuntime::step`]) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// More statements are waiting for the plugin.
    More,
    /// Nothing more to do now.
    Idle,
    /// The plugin is disabled or no longer installed.
    Gone,
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Statements handed to the plugin.
    pub delivered: usize,
    /// Whether more statements are waiting for the plugin now.
    pub more: bool,
}

/// The plugins of one `lara serve` process.
pub struct PluginRuntime {
    registry: Arc<dyn PluginStore>,
    store: Arc<dyn Store>,
    lrs: Lrs,
    host: Arc<PluginHost>,
    services: Arc<LrsServices>,
    settings: RuntimeSettings,
    loaded: Mutex<HashMap<String, Loaded>>,
    pending: Mutex<HashMap<String, Pending>>,
    /// This node's name in delivery leases.
    node: String,
    /// Per plugin, the batch size that fits its time limit: halved when a batch times out,
    /// doubled back (up to [`RuntimeSettings::batch`]) after each batch that does not.
    batch_sizes: Mutex<HashMap<String, u32>>,
}

impl PluginRuntime {
    /// A runtime over the registry and LRS of one database; compiled plugins are cached in
    /// `cache_dir`. Must be created inside a tokio runtime (plugins reach the LRS through it).
    pub fn new(
        registry: Arc<dyn PluginStore>,
        directory: Arc<dyn DirectoryStore>,
        lrs: Lrs,
        cache_dir: &Path,
        settings: RuntimeSettings,
    ) -> Result<Self, RuntimeError> {
        let host = PluginHost::new(cache_dir, settings.limits)
            .map_err(|e| RuntimeError::Internal(e.to_string()))?;
        let services = Arc::new(
            LrsServices::new(lrs.clone(), tokio::runtime::Handle::current())
                .with_directory(directory),
        );
        Ok(Self {
            registry,
            store: lrs.store().clone(),
            lrs,
            host: Arc::new(host),
            services,
            settings,
            loaded: Mutex::default(),
            pending: Mutex::default(),
            node: uuid::Uuid::new_v4().to_string(),
            batch_sizes: Mutex::default(),
        })
    }

    // ---- administration ----------------------------------------------------------------

    /// Loads a component in the sandbox and asks it to describe itself.
    async fn describe(&self, wasm: Vec<u8>) -> Result<Description, RuntimeError> {
        let host = self.host.clone();
        let services: Arc<dyn lara_plugin_host::Services> = self.services.clone();
        let plugin = tokio::task::spawn_blocking(move || host.load(&wasm, &[], services))
            .await
            .map_err(|e| RuntimeError::Internal(e.to_string()))?
            .map_err(|e| RuntimeError::Invalid(format!("the component was refused: {e}")))?;
        plugin
            .description()
            .cloned()
            .ok_or_else(|| RuntimeError::Internal("the plugin did not describe itself".into()))
    }

    /// Installs a plugin, granting those of `grants` that it declared.
    pub async fn install(
        &self,
        wasm: Vec<u8>,
        grants: &[String],
    ) -> Result<InstalledPlugin, RuntimeError> {
        check_grants(grants)?;
        let d = self.describe(wasm.clone()).await?;
        check_name(&d.name)?;
        let plugin = InstalledPlugin {
            name: d.name.clone(),
            version: d.version.clone(),
            wasm_sha256: hex::encode(Sha256::digest(&wasm)),
            wasm,
            description: description_json(&d).to_string(),
            granted: declared_grants(&d, grants),
            enabled: true,
            cursor: 0,
            health: "{}".into(),
            installed: Utc::now(),
        };
        if !self.registry.install_plugin(plugin.clone()).await? {
            return Err(RuntimeError::Conflict(format!(
                "a plugin named {:?} is installed already; upgrade it instead",
                plugin.name
            )));
        }
        Ok(InstalledPlugin {
            wasm: Vec::new(),
            ..plugin
        })
    }

    /// Replaces an installed plugin's component with a new version of it (the name it
    /// describes itself with picks the plugin, and must be `expected` when given). Grants,
    /// state, cursor and health stay.
    pub async fn upgrade(
        &self,
        wasm: Vec<u8>,
        expected: Option<&str>,
    ) -> Result<InstalledPlugin, RuntimeError> {
        let d = self.describe(wasm.clone()).await?;
        if let Some(expected) = expected
            && expected != d.name
        {
            return Err(RuntimeError::Invalid(format!(
                "the component describes itself as {:?}, not {expected:?}",
                d.name
            )));
        }
        let sha = hex::encode(Sha256::digest(&wasm));
        if !self
            .registry
            .upgrade_plugin(
                &d.name,
                &d.version,
                &sha,
                wasm,
                &description_json(&d).to_string(),
            )
            .await?
        {
            return Err(RuntimeError::NotFound(format!(
                "no plugin named {:?} is installed; install it first",
                d.name
            )));
        }
        // Grants of capabilities the new version no longer declares lapse.
        if let Some(p) = self.registry.plugin(&d.name).await? {
            let kept = declared_grants(&d, &p.granted);
            if kept != p.granted {
                self.registry.set_plugin_grants(&d.name, kept).await?;
            }
        }
        self.record(&d.name).await
    }

    /// Uninstalls a plugin: its record, cursor and health go, and its documents too unless
    /// `keep_documents` (then a plugin of the same name installed later finds them again).
    /// Statements it emitted stay: they are part of the record.
    pub async fn remove(&self, name: &str, keep_documents: bool) -> Result<(), RuntimeError> {
        if !self.registry.remove_plugin(name).await? {
            return Err(not_installed(name));
        }
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.remove(name);
        }
        if !keep_documents {
            let scope = lrs_core::store::DocumentScope::ActivityProfile {
                activity_id: lara_plugin_services::documents_activity(name),
            };
            self.store.delete_documents(&scope).await?;
        }
        Ok(())
    }

    pub async fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), RuntimeError> {
        if self.registry.set_plugin_enabled(name, enabled).await? {
            Ok(())
        } else {
            Err(not_installed(name))
        }
    }

    /// Replaces the grants with those of `grants` that the plugin declared.
    pub async fn set_grants(&self, name: &str, grants: &[String]) -> Result<(), RuntimeError> {
        check_grants(grants)?;
        let p = self
            .registry
            .plugin(name)
            .await?
            .ok_or_else(|| not_installed(name))?;
        let declared = declared_in(&p.description);
        let kept: Vec<String> = grants
            .iter()
            .filter(|g| declared.contains(g.as_str()))
            .cloned()
            .collect();
        self.registry.set_plugin_grants(name, kept).await?;
        Ok(())
    }

    /// Every installed plugin, without components.
    pub async fn list(&self) -> Result<Vec<InstalledPlugin>, RuntimeError> {
        Ok(self.registry.list_plugins().await?)
    }

    /// A plugin's record without its component (cheap: delivery reads it every round).
    async fn record(&self, name: &str) -> Result<InstalledPlugin, RuntimeError> {
        self.registry
            .list_plugins()
            .await?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| not_installed(name))
    }

    /// A plugin's record with its health and how far its cursor trails the newest statement.
    pub async fn status(&self, name: &str) -> Result<Value, RuntimeError> {
        let p = self.record(name).await?;
        let newest = self.store.max_seq().await?;
        Ok(summary(&p, Some(newest)))
    }

    /// Every plugin's status.
    pub async fn statuses(&self) -> Result<Vec<Value>, RuntimeError> {
        let newest = self.store.max_seq().await?;
        Ok(self
            .list()
            .await?
            .iter()
            .map(|p| summary(p, Some(newest)))
            .collect())
    }

    // ---- calls -------------------------------------------------------------------------

    /// The loaded component of a plugin, loading it when it is new, upgraded or regranted.
    async fn load(&self, record: &InstalledPlugin) -> Result<Arc<LoadedPlugin>, RuntimeError> {
        if let Some(l) = self.loaded_entry(&record.name)
            && l.sha256 == record.wasm_sha256
            && l.granted == record.granted
        {
            return Ok(l.plugin.clone());
        }
        let full = self
            .registry
            .plugin(&record.name)
            .await?
            .ok_or_else(|| not_installed(&record.name))?;
        let granted: Vec<CapabilityKey> = full
            .granted
            .iter()
            .filter_map(|g| capability_key(g))
            .collect();
        let host = self.host.clone();
        let services: Arc<dyn lara_plugin_host::Services> = self.services.clone();
        let wasm = full.wasm;
        let plugin = tokio::task::spawn_blocking(move || host.load(&wasm, &granted, services))
            .await
            .map_err(|e| RuntimeError::Internal(e.to_string()))?
            .map_err(|e| plugin_error(&record.name, &e))?;
        if plugin.name() != record.name {
            return Err(RuntimeError::Plugin {
                plugin: record.name.clone(),
                message: format!(
                    "the component now calls itself {:?}; it was installed as {:?}",
                    plugin.name(),
                    record.name
                ),
            });
        }
        let plugin = Arc::new(plugin);
        if let Ok(mut map) = self.loaded.lock() {
            map.insert(
                record.name.clone(),
                Loaded {
                    sha256: full.wasm_sha256,
                    granted: full.granted,
                    plugin: plugin.clone(),
                },
            );
        }
        Ok(plugin)
    }

    fn loaded_entry(&self, name: &str) -> Option<Loaded> {
        self.loaded.lock().ok()?.get(name).cloned()
    }

    /// Calls `handle-request` of an enabled plugin for a route it declared. `path` is
    /// relative to `/plugins/<name>` and starts with `/`.
    pub async fn handle_request(
        &self,
        name: &str,
        request: HttpRequest,
    ) -> Result<HttpResponse, RuntimeError> {
        let record = self
            .record(name)
            .await
            .ok()
            .filter(|p| p.enabled)
            .ok_or_else(|| RuntimeError::NotFound(format!("no enabled plugin named {name:?}")))?;
        let plugin = self.load(&record).await?;
        let declared = plugin
            .description()
            .is_some_and(|d| routes_match(d, &request.method, &request.path));
        if !declared {
            return Err(RuntimeError::NotFound(format!(
                "the plugin {name:?} has no route {} {}",
                request.method, request.path
            )));
        }
        let result = tokio::task::spawn_blocking(move || plugin.handle_request(&request))
            .await
            .map_err(|e| RuntimeError::Internal(e.to_string()))?;
        let mut pending = self.pending.lock().map_err(|_| poisoned())?;
        let entry = pending.entry(name.to_owned()).or_default();
        entry.requests = entry.requests.saturating_add(1);
        match result {
            Ok(response) => Ok(response),
            Err(e) => {
                let error = plugin_error(name, &e);
                tracing::error!(plugin = name, error = %e, "a plugin request failed");
                entry.request_errors = entry.request_errors.saturating_add(1);
                entry.last_request_error = Some((Utc::now(), error.to_string()));
                Err(error)
            }
        }
    }

    /// Gives a plugin the next batch of matching statements after its cursor, then moves the
    /// cursor. Does nothing for a disabled plugin or one waiting after failures.
    pub async fn deliver(&self, name: &str) -> Result<Delivery, RuntimeError> {
        let record = self.record(name).await?;
        let newest = self.store.max_seq().await?;
        self.deliver_from(record, newest).await
    }

    /// [`PluginRuntime::deliver`] with the plugin's record and the newest `seq` just read.
    async fn deliver_from(
        &self,
        record: InstalledPlugin,
        newest: i64,
    ) -> Result<Delivery, RuntimeError> {
        let name = record.name.as_str();
        let mut health = Health::parse(&record.health);
        let now = Utc::now();
        if !record.enabled || health.backing_off(now) {
            return Ok(Delivery::default());
        }
        if record.cursor >= newest {
            return Ok(Delivery::default());
        }
        let plugin = match self.load(&record).await {
            Ok(p) => p,
            Err(e) => return self.fail(&record, health, e).await,
        };
        let subscriptions = plugin
            .description()
            .map(|d| d.subscriptions.clone())
            .unwrap_or_default();
        if subscriptions.is_empty() {
            return Ok(Delivery::default());
        }
        let limit = self.batch_size(name);
        let (batch, upto) = match self
            .next_batch(name, &subscriptions, record.cursor, newest, limit)
            .await
        {
            Ok(b) => b,
            Err(e) => return self.fail(&record, health, e).await,
        };
        let mut chain = BTreeSet::new();
        let mut statements = Vec::with_capacity(batch.len());
        for row in batch {
            // Only statements that came through a plugin name the extension; parse just those.
            if row.json.contains(CHAIN_EXTENSION) {
                let v: Value = serde_json::from_str(&row.json)
                    .map_err(|e| StoreError::Corrupt(format!("statement {}: {e}", row.id)))?;
                let through = chain_of(&v);
                if through.iter().any(|n| n == name) {
                    continue;
                }
                chain.extend(through);
            }
            statements.push(StoredStatement {
                id: row.id.to_string(),
                stored: xapi_model::time::format_timestamp(row.stored),
                json: row.json,
            });
        }
        let delivered = statements.len();
        if delivered > 0 {
            let chain: Vec<String> = chain.into_iter().collect();
            let result =
                tokio::task::spawn_blocking(move || plugin.on_statements_from(&statements, &chain))
                    .await
                    .map_err(|e| RuntimeError::Internal(e.to_string()))?;
            let error = match result {
                Ok(Ok(())) => None,
                Ok(Err(refusal)) => Some(RuntimeError::Plugin {
                    plugin: name.to_owned(),
                    message: format!("the plugin did not accept the batch: {refusal}"),
                }),
                Err(e) => {
                    if matches!(e, PluginError::TimedOut(_)) {
                        // Smaller batches may fit; a single statement that does not is an
                        // error like any other.
                        self.resize_batch(name, limit / 2);
                    }
                    Some(plugin_error(name, &e))
                }
            };
            health.calls.on_statements = health.calls.on_statements.saturating_add(1);
            if let Some(e) = error {
                return self.fail(&record, health, e).await;
            }
            self.resize_batch(name, limit.saturating_mul(2));
            health.delivered = health.delivered.saturating_add(delivered as u64);
            health.last_delivery = Some(Utc::now());
        }
        // Only now that the plugin has the batch: a crash before this line delivers it again.
        // The cursor and the counts move in one write.
        let moved = if delivered > 0 || health.failures > 0 {
            health.succeeded();
            self.registry
                .acknowledge_plugin_batch(name, record.cursor, upto, &health.to_json())
                .await?
        } else {
            self.registry
                .advance_plugin_cursor(name, record.cursor, upto)
                .await?
        };
        if !moved {
            tracing::warn!(
                plugin = name,
                "the cursor had moved on meanwhile; this batch may have been delivered twice"
            );
        }
        Ok(Delivery {
            delivered,
            more: upto < newest,
        })
    }

    /// The statements after `cursor` (up to `newest`) matching any subscription, in stored
    /// order and at most one batch, and the `seq` the batch covers up to: every matching
    /// statement up to it is in the batch.
    async fn next_batch(
        &self,
        name: &str,
        subscriptions: &[lara_plugin_host::StatementFilter],
        cursor: i64,
        newest: i64,
        limit: u32,
    ) -> Result<(Vec<lrs_core::store::StoredStatement>, i64), RuntimeError> {
        let limit = limit.max(1);
        let mut upto = newest;
        let mut rows = Vec::new();
        for (i, subscription) in subscriptions.iter().enumerate() {
            let request = self
                .lrs
                .parse_statement_request(
                    &query_params(subscription),
                    xapi_model::XapiVersion::V2_0_0,
                )
                .map_err(|e| RuntimeError::Plugin {
                    plugin: name.to_owned(),
                    message: format!("subscription {i} is not a valid statement query: {e}"),
                })?;
            let StatementRequest::Query(query) = request else {
                return Err(RuntimeError::Internal(format!(
                    "subscription {i} is not a statement query"
                )));
            };
            let mut filter = query.filter;
            filter.ascending = true;
            filter.after_seq = Some(cursor);
            filter.max_seq = Some(newest);
            filter.limit = limit;
            let found = self.store.query_statements(&filter).await?;
            if found.len() >= limit as usize
                && let Some(last) = found.last()
            {
                upto = upto.min(last.seq);
            }
            rows.extend(found);
        }
        rows.retain(|r| r.seq <= upto);
        rows.sort_by_key(|r| r.seq);
        rows.dedup_by_key(|r| r.seq);
        Ok((rows, upto))
    }

    /// The batch size for a plugin now.
    fn batch_size(&self, name: &str) -> u32 {
        self.batch_sizes
            .lock()
            .ok()
            .and_then(|m| m.get(name).copied())
            .unwrap_or(self.settings.batch)
            .clamp(1, self.settings.batch.max(1))
    }

    fn resize_batch(&self, name: &str, size: u32) {
        let size = size.clamp(1, self.settings.batch.max(1));
        if let Ok(mut m) = self.batch_sizes.lock() {
            if m.get(name) != Some(&size) && size < self.settings.batch {
                tracing::info!(plugin = name, size, "plugin batch size adjusted");
            }
            m.insert(name.to_owned(), size);
        }
    }

    /// Calls `on-schedule` if the plugin has a schedule and its time has come, or at once
    /// with `now` (an administrator's request); returns whether it was called.
    pub async fn run_schedule(&self, name: &str, at_once: bool) -> Result<bool, RuntimeError> {
        let record = self.record(name).await?;
        let mut health = Health::parse(&record.health);
        let now = Utc::now();
        if !record.enabled || (!at_once && health.backing_off(now)) {
            return Ok(false);
        }
        let plugin = match self.load(&record).await {
            Ok(p) => p,
            Err(e) => return self.fail(&record, health, e).await,
        };
        let Some(every) = plugin.description().and_then(|d| d.schedule_seconds) else {
            return Ok(false);
        };
        if !at_once
            && health
                .last_schedule
                .is_some_and(|t| now < t + chrono::Duration::seconds(i64::from(every.max(1))))
        {
            return Ok(false);
        }
        let stamp = xapi_model::time::format_timestamp(now);
        let result = tokio::task::spawn_blocking(move || plugin.on_schedule(&stamp))
            .await
            .map_err(|e| RuntimeError::Internal(e.to_string()))?;
        health.calls.on_schedule = health.calls.on_schedule.saturating_add(1);
        let error = match result {
            Ok(Ok(())) => None,
            Ok(Err(refusal)) => Some(RuntimeError::Plugin {
                plugin: name.to_owned(),
                message: format!("on-schedule failed: {refusal}"),
            }),
            Err(e) => Some(plugin_error(name, &e)),
        };
        if let Some(e) = error {
            return self.fail(&record, health, e).await;
        }
        health.last_schedule = Some(now);
        health.succeeded();
        self.write_health(name, health).await?;
        Ok(true)
    }

    /// Records a failed call (logged, counted, backoff) and returns its error.
    async fn fail<T>(
        &self,
        record: &InstalledPlugin,
        mut health: Health,
        error: RuntimeError,
    ) -> Result<T, RuntimeError> {
        let text = error.to_string();
        health.failed(&text, Utc::now());
        tracing::error!(
            plugin = %record.name,
            error = %text,
            failures = health.failures,
            retry_at = ?health.retry_at,
            "plugin call failed; it will be retried"
        );
        self.write_health(&record.name, health).await?;
        Err(error)
    }

    /// Writes health, adding the request counts gathered on this node.
    async fn write_health(&self, name: &str, mut health: Health) -> Result<(), RuntimeError> {
        let pending = self
            .pending
            .lock()
            .map_err(|_| poisoned())?
            .remove(name)
            .unwrap_or_default();
        health.absorb(&pending);
        if !self
            .registry
            .set_plugin_health(name, &health.to_json())
            .await?
        {
            return Err(not_installed(name));
        }
        Ok(())
    }

    /// Writes the request counts of one plugin gathered on this node since the last write.
    async fn flush_counts_of(&self, name: &str) -> Result<(), RuntimeError> {
        let waiting = self
            .pending
            .lock()
            .map_err(|_| poisoned())?
            .get(name)
            .is_some_and(|p| !p.is_empty());
        if waiting && let Ok(record) = self.record(name).await {
            self.write_health(name, Health::parse(&record.health))
                .await?;
        }
        Ok(())
    }

    /// Writes the request counts gathered on this node since the last write.
    pub async fn flush_counts(&self) -> Result<(), RuntimeError> {
        let names: Vec<String> = {
            let pending = self.pending.lock().map_err(|_| poisoned())?;
            pending
                .iter()
                .filter(|(_, p)| !p.is_empty())
                .map(|(n, _)| n.clone())
                .collect()
        };
        for name in names {
            self.flush_counts_of(&name).await?;
        }
        Ok(())
    }

    /// One round for one plugin on this node: if it is enabled and this node holds or takes
    /// its lease, a batch of statements and its schedule if due; then this node's request
    /// counts for it are written.
    pub async fn step(&self, name: &str) -> Result<Step, RuntimeError> {
        let record = match self.record(name).await {
            Ok(r) => r,
            Err(RuntimeError::NotFound(_)) => return Ok(Step::Gone),
            Err(e) => return Err(e),
        };
        if !record.enabled {
            return Ok(Step::Gone);
        }
        let mut more = false;
        // The lease is taken (a write) only when there is something to do: new statements, or
        // the schedule's time, and the plugin is not waiting after failures.
        let now = Utc::now();
        let newest = self.store.max_seq().await?;
        let work = !Health::parse(&record.health).backing_off(now)
            && (record.cursor < newest || schedule_due(&record, now));
        if work
            && self
                .registry
                .lease_plugin(name, &self.node, LEASE_SECONDS)
                .await?
        {
            // The lease changes neither cursor nor health: the record just read is current.
            match self.deliver_from(record, newest).await {
                Ok(d) => more = d.more,
                Err(e) => tracing::debug!(plugin = name, error = %e, "delivery failed"),
            }
            if let Err(e) = self.run_schedule(name, false).await {
                tracing::debug!(plugin = name, error = %e, "schedule failed");
            }
        }
        self.flush_counts_of(name).await?;
        Ok(if more { Step::More } else { Step::Idle })
    }

    /// One round over every plugin, one after the other (tests; `run` gives each plugin a
    /// task of its own). Returns whether a plugin has more statements waiting.
    pub async fn tick(&self) -> Result<bool, RuntimeError> {
        let mut busy = false;
        for p in self.registry.list_plugins().await? {
            busy |= self.step(&p.name).await? == Step::More;
        }
        Ok(busy)
    }

    /// Runs every enabled plugin until `shutdown` resolves, each in a task of its own so that
    /// a slow plugin does not hold up the others: a plugin's task delivers at once while
    /// statements are waiting, and every [`RuntimeSettings::poll`] otherwise. Plugins
    /// installed or enabled meanwhile are picked up within a poll.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut tasks: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
        loop {
            match self.registry.list_plugins().await {
                Ok(plugins) => {
                    for p in plugins.into_iter().filter(|p| p.enabled) {
                        if tasks.get(&p.name).is_some_and(|t| !t.is_finished()) {
                            continue;
                        }
                        let task =
                            tokio::spawn(self.clone().follow(p.name.clone(), stopped.clone()));
                        tasks.insert(p.name, task);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "listing plugins failed"),
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(self.settings.poll) => {}
            }
        }
        let _ = stop.send(true);
        for (_, task) in tasks {
            let _ = task.await;
        }
        if let Err(e) = self.flush_counts().await {
            tracing::warn!(error = %e, "writing plugin counts at shutdown failed");
        }
        self.release_leases().await;
    }

    /// One plugin's task: steps until the plugin is disabled or removed, or the runtime stops.
    async fn follow(self: Arc<Self>, name: String, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                break;
            }
            let began = std::time::Instant::now();
            let more = match self.step(&name).await {
                Ok(Step::Gone) => break,
                Ok(Step::More) => true,
                Ok(Step::Idle) => false,
                Err(e) => {
                    tracing::warn!(plugin = %name, error = %e, "plugin round failed");
                    false
                }
            };
            let pause = if more {
                let duty = self.settings.duty.clamp(0.01, 1.0);
                began
                    .elapsed()
                    .mul_f64((1.0 - duty) / duty)
                    .min(Duration::from_secs(1))
            } else {
                self.settings.poll
            };
            if !pause.is_zero() {
                tokio::select! {
                    _ = stop.changed() => break,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }

    /// Gives up this node's leases, so that another node carries on at once.
    pub async fn release_leases(&self) {
        let Ok(plugins) = self.registry.list_plugins().await else {
            return;
        };
        for p in plugins {
            if let Err(e) = self.registry.release_plugin(&p.name, &self.node).await {
                tracing::warn!(plugin = %p.name, error = %e, "releasing a delivery lease failed");
            }
        }
    }
}

/// Whether a plugin's schedule may be due (from its stored description and health; the
/// loaded component decides).
fn schedule_due(record: &InstalledPlugin, now: chrono::DateTime<Utc>) -> bool {
    let every = serde_json::from_str::<Value>(&record.description)
        .ok()
        .and_then(|d| d.get("scheduleSeconds").and_then(Value::as_u64));
    let Some(every) = every else {
        return false;
    };
    let health = Health::parse(&record.health);
    !health.backing_off(now)
        && health.last_schedule.is_none_or(|t| {
            now >= t + chrono::Duration::seconds(i64::try_from(every.max(1)).unwrap_or(i64::MAX))
        })
}

fn poisoned() -> RuntimeError {
    RuntimeError::Internal("a plugin runtime lock was poisoned".into())
}

fn not_installed(name: &str) -> RuntimeError {
    RuntimeError::NotFound(format!("no plugin named {name:?} is installed"))
}

fn plugin_error(name: &str, e: &PluginError) -> RuntimeError {
    RuntimeError::Plugin {
        plugin: name.to_owned(),
        message: e.to_string(),
    }
}

fn check_grants(grants: &[String]) -> Result<(), RuntimeError> {
    for g in grants {
        if capability_key(g).is_none() {
            return Err(RuntimeError::Invalid(format!(
                "{g:?} is not a capability (one of {})",
                CAPABILITIES.join(", ")
            )));
        }
    }
    Ok(())
}

/// A name that is one segment of a URL path (`/plugins/<name>/`) and of a URN.
fn check_name(name: &str) -> Result<(), RuntimeError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name.as_bytes().first().is_some_and(u8::is_ascii_lowercase);
    if ok {
        Ok(())
    } else {
        Err(RuntimeError::Invalid(format!(
            "the plugin calls itself {name:?}; a plugin name is 1 to 64 characters of a-z, 0-9, \
             '-' and '_', starting with a letter"
        )))
    }
}

fn declared_grants(d: &Description, grants: &[String]) -> Vec<String> {
    let declared: Vec<&str> = d.capabilities.iter().map(|c| capability_name(*c)).collect();
    grants
        .iter()
        .filter(|g| declared.contains(&g.as_str()))
        .cloned()
        .collect()
}

/// The capabilities in a stored description.
fn declared_in(description: &str) -> BTreeSet<String> {
    serde_json::from_str::<Value>(description)
        .ok()
        .and_then(|d| d.get("capabilities").cloned())
        .and_then(|c| serde_json::from_value::<Vec<String>>(c).ok())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// Whether a declared route takes `method path`.
pub fn routes_match(d: &Description, method: &str, path: &str) -> bool {
    d.routes.iter().any(|r| {
        let method_ok = r.method == "*" || r.method.eq_ignore_ascii_case(method);
        let path_ok = match r.path.strip_suffix("/*") {
            Some(prefix) => path == prefix || path.starts_with(&format!("{prefix}/")),
            None => r.path == path,
        };
        method_ok && path_ok
    })
}

/// A plugin for administrators: no component; with `newest` (the largest stored `seq`), how
/// many statements were stored after its cursor.
pub fn summary(p: &InstalledPlugin, newest: Option<i64>) -> Value {
    let health = Health::parse(&p.health);
    let mut v = json!({
        "name": p.name,
        "version": p.version,
        "sha256": p.wasm_sha256,
        "enabled": p.enabled,
        "granted": p.granted,
        "cursor": p.cursor,
        "status": health.status(),
        "health": serde_json::to_value(&health).unwrap_or(Value::Null),
        "description": serde_json::from_str::<Value>(&p.description).unwrap_or(Value::Null),
        "installed": xapi_model::time::format_timestamp(p.installed),
    });
    if let (Some(newest), Some(obj)) = (newest, v.as_object_mut()) {
        obj.insert("lag".into(), json!((newest - p.cursor).max(0)));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use lara_plugin_host::Route;

    fn with_routes(routes: &[(&str, &str)]) -> Description {
        Description {
            name: "x".into(),
            version: "1".into(),
            routes: routes
                .iter()
                .map(|(m, p)| Route {
                    method: (*m).into(),
                    path: (*p).into(),
                })
                .collect(),
            subscriptions: Vec::new(),
            capabilities: Vec::new(),
            schedule_seconds: None,
        }
    }

    #[test]
    fn routes_match_methods_exact_paths_and_prefixes() {
        let d = with_routes(&[("GET", "/holdings"), ("*", "/certificates/*")]);
        assert!(routes_match(&d, "GET", "/holdings"));
        assert!(routes_match(&d, "get", "/holdings"));
        assert!(!routes_match(&d, "POST", "/holdings"));
        assert!(!routes_match(&d, "GET", "/holdings/x"));
        assert!(routes_match(&d, "PUT", "/certificates/a"));
        assert!(routes_match(&d, "GET", "/certificates/a/holders"));
        assert!(routes_match(&d, "GET", "/certificates"));
        assert!(!routes_match(&d, "GET", "/certificatesX"));
    }

    #[test]
    fn names_are_url_safe() {
        assert!(check_name("certification").is_ok());
        assert!(check_name("a-1_b").is_ok());
        for bad in ["", "Cert", "1a", "a/b", "a b", "a.b", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_schedule_is_due_when_its_interval_has_passed() {
        let now = Utc::now();
        let record = |every: Option<u32>, last: Option<i64>| InstalledPlugin {
            name: "x".into(),
            version: "1".into(),
            wasm_sha256: String::new(),
            wasm: Vec::new(),
            description: json!({"scheduleSeconds": every}).to_string(),
            granted: Vec::new(),
            enabled: true,
            cursor: 0,
            health: Health {
                last_schedule: last.map(|s| now - chrono::Duration::seconds(s)),
                ..Health::default()
            }
            .to_json(),
            installed: now,
        };
        assert!(schedule_due(&record(Some(60), None), now));
        assert!(!schedule_due(&record(Some(60), Some(30)), now));
        assert!(schedule_due(&record(Some(60), Some(61)), now));
        assert!(!schedule_due(&record(None, None), now));
    }

    #[test]
    fn grants_must_name_capabilities() {
        assert!(check_grants(&["documents".into()]).is_ok());
        assert!(check_grants(&["files".into()]).is_err());
    }
}
