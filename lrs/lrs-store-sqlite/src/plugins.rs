//! Installed plugins (`lara_plugin_registry::PluginStore`). Grants are stored space separated.

use async_trait::async_trait;
use lara_plugin_registry::{InstalledPlugin, PluginStore};
use lrs_core::StoreError;
use rusqlite::{OptionalExtension, Row, params};

use crate::{SqliteStore, db, from_micros, micros};

const COLUMNS: &str =
    "name, version, wasm_sha256, wasm, description, granted, enabled, cursor, health, installed_us";
/// The same columns, with an empty component for listings.
const LISTED: &str =
    "name, version, wasm_sha256, x'', description, granted, enabled, cursor, health, installed_us";

type RawPlugin = (
    String,
    String,
    String,
    Vec<u8>,
    String,
    String,
    bool,
    i64,
    String,
    i64,
);

fn raw(r: &Row<'_>) -> rusqlite::Result<RawPlugin> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn decode(
    (name, version, wasm_sha256, wasm, description, granted, enabled, cursor, health, installed): RawPlugin,
) -> Result<InstalledPlugin, StoreError> {
    Ok(InstalledPlugin {
        name,
        version,
        wasm_sha256,
        wasm,
        description,
        granted: granted
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect(),
        enabled,
        cursor,
        health,
        installed: from_micros(installed)?,
    })
}

impl SqliteStore {
    /// Runs one UPDATE on the writer; true if it changed a row.
    async fn update_plugin(
        &self,
        sql: &'static str,
        args: Vec<rusqlite::types::Value>,
    ) -> Result<bool, StoreError> {
        self.writer()
            .write(move |w| {
                let n = w
                    .conn
                    .prepare_cached(sql)
                    .map_err(db)?
                    .execute(rusqlite::params_from_iter(args.iter()))
                    .map_err(db)?;
                Ok(n > 0)
            })
            .await
    }
}

#[async_trait]
impl PluginStore for SqliteStore {
    async fn install_plugin(&self, p: InstalledPlugin) -> Result<bool, StoreError> {
        self.writer()
            .write(move |w| {
                let n = w
                    .conn
                    .prepare_cached(&format!(
                        "INSERT INTO plugins ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                         ON CONFLICT (name) DO NOTHING"
                    ))
                    .map_err(db)?
                    .execute(params![
                        p.name,
                        p.version,
                        p.wasm_sha256,
                        p.wasm,
                        p.description,
                        p.granted.join(" "),
                        p.enabled,
                        p.cursor,
                        p.health,
                        micros(p.installed),
                    ])
                    .map_err(db)?;
                Ok(n > 0)
            })
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
        self.update_plugin(
            "UPDATE plugins SET version = ?2, wasm_sha256 = ?3, wasm = ?4, description = ?5 WHERE name = ?1",
            vec![
                name.to_owned().into(),
                version.to_owned().into(),
                wasm_sha256.to_owned().into(),
                wasm.into(),
                description.to_owned().into(),
            ],
        )
        .await
    }

    async fn plugin(&self, name: &str) -> Result<Option<InstalledPlugin>, StoreError> {
        let name = name.to_owned();
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!("SELECT {COLUMNS} FROM plugins WHERE name = ?1"))
                .map_err(db)?
                .query_row([&name], raw)
                .optional()
                .map_err(db)?;
            row.map(decode).transpose()
        })
        .await
    }

    async fn list_plugins(&self) -> Result<Vec<InstalledPlugin>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(&format!("SELECT {LISTED} FROM plugins ORDER BY name"))
                .map_err(db)?;
            let rows = stmt
                .query_map([], raw)
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            rows.into_iter().map(decode).collect()
        })
        .await
    }

    async fn remove_plugin(&self, name: &str) -> Result<bool, StoreError> {
        self.update_plugin(
            "DELETE FROM plugins WHERE name = ?1",
            vec![name.to_owned().into()],
        )
        .await
    }

    async fn set_plugin_enabled(&self, name: &str, enabled: bool) -> Result<bool, StoreError> {
        self.update_plugin(
            "UPDATE plugins SET enabled = ?2 WHERE name = ?1",
            vec![name.to_owned().into(), i64::from(enabled).into()],
        )
        .await
    }

    async fn set_plugin_grants(
        &self,
        name: &str,
        granted: Vec<String>,
    ) -> Result<bool, StoreError> {
        self.update_plugin(
            "UPDATE plugins SET granted = ?2 WHERE name = ?1",
            vec![name.to_owned().into(), granted.join(" ").into()],
        )
        .await
    }

    async fn advance_plugin_cursor(
        &self,
        name: &str,
        from: i64,
        to: i64,
    ) -> Result<bool, StoreError> {
        self.update_plugin(
            "UPDATE plugins SET cursor = ?3 WHERE name = ?1 AND cursor = ?2",
            vec![name.to_owned().into(), from.into(), to.into()],
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
        self.update_plugin(
            "UPDATE plugins SET cursor = ?3, health = ?4 WHERE name = ?1 AND cursor = ?2",
            vec![
                name.to_owned().into(),
                from.into(),
                to.into(),
                health.to_owned().into(),
            ],
        )
        .await
    }

    async fn set_plugin_health(&self, name: &str, health: &str) -> Result<bool, StoreError> {
        self.update_plugin(
            "UPDATE plugins SET health = ?2 WHERE name = ?1",
            vec![name.to_owned().into(), health.to_owned().into()],
        )
        .await
    }

    async fn lease_plugin(
        &self,
        name: &str,
        holder: &str,
        seconds: u32,
    ) -> Result<bool, StoreError> {
        let now = micros(chrono::Utc::now());
        let until = now.saturating_add(i64::from(seconds).saturating_mul(1_000_000));
        self.update_plugin(
            "UPDATE plugins SET lease_holder = ?2, lease_until_us = ?3 WHERE name = ?1 \
             AND (lease_holder IS NULL OR lease_holder = ?2 OR lease_until_us < ?4)",
            vec![
                name.to_owned().into(),
                holder.to_owned().into(),
                until.into(),
                now.into(),
            ],
        )
        .await
    }

    async fn release_plugin(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.update_plugin(
            "UPDATE plugins SET lease_holder = NULL, lease_until_us = NULL \
             WHERE name = ?1 AND lease_holder = ?2",
            vec![name.to_owned().into(), holder.to_owned().into()],
        )
        .await
        .map(drop)
    }
}
