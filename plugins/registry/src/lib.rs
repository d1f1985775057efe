//! The installed plugins, stored in the database so that every `lara serve` on one PostgreSQL
//! runs the same plugins and shares their delivery cursors.
//!
//! A plugin is its component (the wasm bytes and their SHA-256), what it said of itself at
//! install (`describe`, as JSON), the capabilities an administrator granted, whether it is
//! enabled, the `seq` of the last statement delivered to it, and its health (JSON: failures,
//! last error, when to retry, call counts). The cursor only moves by compare-and-set, so two
//! nodes never both deliver past the same point, and a lease names the one node that delivers
//! to a plugin at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lrs_core::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledPlugin {
    /// The name the plugin gave in `describe`: its routes live under `/plugins/<name>/`.
    pub name: String,
    pub version: String,
    /// SHA-256 (hex) of the component.
    pub wasm_sha256: String,
    /// The component. Empty in listings.
    pub wasm: Vec<u8>,
    /// What `describe` answered, as JSON.
    pub description: String,
    /// Capabilities granted by an administrator (their WIT names, e.g. `emit-statements`).
    pub granted: Vec<String>,
    pub enabled: bool,
    /// The `seq` of the last statement delivered (0: none yet).
    pub cursor: i64,
    /// Health and counters, as JSON.
    pub health: String,
    pub installed: DateTime<Utc>,
}

#[async_trait]
pub trait PluginStore: Send + Sync {
    /// Installs a new plugin; false if one of that name is installed already.
    async fn install_plugin(&self, plugin: InstalledPlugin) -> Result<bool, StoreError>;

    /// Replaces a plugin's component, version and description, keeping its grants, state,
    /// cursor and health; false if there is no such plugin.
    async fn upgrade_plugin(
        &self,
        name: &str,
        version: &str,
        wasm_sha256: &str,
        wasm: Vec<u8>,
        description: &str,
    ) -> Result<bool, StoreError>;

    /// One plugin with its component.
    async fn plugin(&self, name: &str) -> Result<Option<InstalledPlugin>, StoreError>;

    /// Every plugin, by name, without components.
    async fn list_plugins(&self) -> Result<Vec<InstalledPlugin>, StoreError>;

    /// Removes a plugin with its cursor, lease and health; false if there was none.
    async fn remove_plugin(&self, name: &str) -> Result<bool, StoreError>;

    /// Enables or disables; false if there is no such plugin.
    async fn set_plugin_enabled(&self, name: &str, enabled: bool) -> Result<bool, StoreError>;

    /// Replaces the granted capabilities; false if there is no such plugin.
    async fn set_plugin_grants(&self, name: &str, granted: Vec<String>)
    -> Result<bool, StoreError>;

    /// Moves the cursor from `from` to `to`; false (and no change) if it is not at `from`.
    async fn advance_plugin_cursor(
        &self,
        name: &str,
        from: i64,
        to: i64,
    ) -> Result<bool, StoreError>;

    /// Moves the cursor from `from` to `to` and replaces the health JSON in one write (a
    /// delivered batch and its counts); false (and no change) if the cursor is not at `from`.
    async fn acknowledge_plugin_batch(
        &self,
        name: &str,
        from: i64,
        to: i64,
        health: &str,
    ) -> Result<bool, StoreError>;

    /// Replaces the health JSON; false if there is no such plugin.
    async fn set_plugin_health(&self, name: &str, health: &str) -> Result<bool, StoreError>;

    /// Takes or renews the delivery lease of a plugin for `holder` (a node) for `seconds`:
    /// true if `holder` has it now, false if another holder's lease is still running (or
    /// there is no such plugin). Only the lease holder delivers statements and schedules, so
    /// nodes of one database do not call a plugin with the same batch at once.
    async fn lease_plugin(
        &self,
        name: &str,
        holder: &str,
        seconds: u32,
    ) -> Result<bool, StoreError>;

    /// Gives up `holder`'s lease of a plugin (at shutdown), so another node takes over at once.
    async fn release_plugin(&self, name: &str, holder: &str) -> Result<(), StoreError>;
}
