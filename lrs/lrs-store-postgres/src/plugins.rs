//! Installed plugins (`lara_plugin_registry::PluginStore`).

use async_trait::async_trait;
use lara_plugin_registry::{InstalledPlugin, PluginStore};
use lrs_core::StoreError;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::{PgStore, pg};

const COLUMNS: &str =
    "name, version, wasm_sha256, wasm, description, granted, enabled, cursor, health, installed";
/// The same columns, with an empty component for listings.
const LISTED: &str = "name, version, wasm_sha256, ''::bytea AS wasm, description, granted, enabled, cursor, health, installed";

fn decode(r: &Row) -> Result<InstalledPlugin, StoreError> {
    Ok(InstalledPlugin {
        name: r.try_get("name").map_err(pg)?,
        version: r.try_get("version").map_err(pg)?,
        wasm_sha256: r.try_get("wasm_sha256").map_err(pg)?,
        wasm: r.try_get("wasm").map_err(pg)?,
        description: r.try_get("description").map_err(pg)?,
        granted: r.try_get("granted").map_err(pg)?,
        enabled: r.try_get("enabled").map_err(pg)?,
        cursor: r.try_get("cursor").map_err(pg)?,
        health: r.try_get("health").map_err(pg)?,
        installed: r.try_get("installed").map_err(pg)?,
    })
}

impl PgStore {
    /// Runs one statement; true if it changed a row.
    async fn change_plugin(
        &self,
        sql: &str,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let n = client.execute(sql, args).await.map_err(pg)?;
        Ok(n > 0)
    }
}

#[async_trait]
impl PluginStore for PgStore {
    async fn install_plugin(&self, p: InstalledPlugin) -> Result<bool, StoreError> {
        self.change_plugin(
            &format!(
                "INSERT INTO plugins ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (name) DO NOTHING"
            ),
            &[
                &p.name,
                &p.version,
                &p.wasm_sha256,
                &p.wasm,
                &p.description,
                &p.granted,
                &p.enabled,
                &p.cursor,
                &p.health,
                &p.installed,
            ],
        )
        .await
    }

    async fn upgrade_plugin(
        &self,
        name: &str,
        version: &str,
        wasm_sha256: &str,
        wasm: Vec<u8>,
        description: &str,
    ) -> Result<bool, StoreError> {
        self.change_plugin(
            "UPDATE plugins SET version = $2, wasm_sha256 = $3, wasm = $4, description = $5 WHERE name = $1",
            &[&name, &version, &wasm_sha256, &wasm, &description],
        )
        .await
    }

    async fn plugin(&self, name: &str) -> Result<Option<InstalledPlugin>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM plugins WHERE name = $1"),
                &[&name],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(decode).transpose()
    }

    async fn list_plugins(&self) -> Result<Vec<InstalledPlugin>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(&format!("SELECT {LISTED} FROM plugins ORDER BY name"), &[])
            .await
            .map_err(pg)?;
        rows.iter().map(decode).collect()
    }

    async fn set_plugin_enabled(&self, name: &str, enabled: bool) -> Result<bool, StoreError> {
        self.change_plugin(
            "UPDATE plugins SET enabled = $2 WHERE name = $1",
            &[&name, &enabled],
        )
        .await
    }

    async fn set_plugin_grants(
        &self,
        name: &str,
        granted: Vec<String>,
    ) -> Result<bool, StoreError> {
        self.change_plugin(
            "UPDATE plugins SET granted = $2 WHERE name = $1",
            &[&name, &granted],
        )
        .await
    }

    async fn advance_plugin_cursor(
        &self,
        name: &str,
        from: i64,
        to: i64,
    ) -> Result<bool, StoreError> {
        self.change_plugin(
            "UPDATE plugins SET cursor = $3 WHERE name = $1 AND cursor = $2",
            &[&name, &from, &to],
        )
        .await
    }

    async fn acknowledge_plugin_batch(
        &self,
        name: &str,
        from: i64,
        to: i64,
        health: &str,
    ) -> Result<bool, StoreError> {
        self.change_plugin(
            "UPDATE plugins SET cursor = $3, health = $4 WHERE name = $1 AND cursor = $2",
            &[&name, &from, &to, &health],
        )
        .await
    }

    async fn remove_plugin(&self, name: &str) -> Result<bool, StoreError> {
        self.change_plugin("DELETE FROM plugins WHERE name = $1", &[&name])
            .await
    }

    async fn set_plugin_health(&self, name: &str, health: &str) -> Result<bool, StoreError> {
        self.change_plugin(
            "UPDATE plugins SET health = $2 WHERE name = $1",
            &[&name, &health],
        )
        .await
    }

    async fn lease_plugin(
        &self,
        name: &str,
        holder: &str,
        seconds: u32,
    ) -> Result<bool, StoreError> {
        // The database's clock, so nodes whose clocks differ agree on when a lease ends.
        let seconds = f64::from(seconds);
        self.change_plugin(
            "UPDATE plugins SET lease_holder = $2, lease_until = now() + make_interval(secs => $3) \
             WHERE name = $1 AND (lease_holder IS NULL OR lease_holder = $2 OR lease_until < now())",
            &[&name, &holder, &seconds],
        )
        .await
    }

    async fn release_plugin(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.change_plugin(
            "UPDATE plugins SET lease_holder = NULL, lease_until = NULL \
             WHERE name = $1 AND lease_holder = $2",
            &[&name, &holder],
        )
        .await
        .map(drop)
    }
}
