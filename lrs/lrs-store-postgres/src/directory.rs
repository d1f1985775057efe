//! The directory of people (`lrs_core::directory::DirectoryStore`).

use async_trait::async_trait;
use lrs_core::StoreError;
use lrs_core::directory::{DirectoryStore, Person};
use tokio_postgres::Row;

use crate::{PgStore, pg};

const COLUMNS: &str = "id, name, email, org_unit, manager, roles, updated";

fn decode(r: &Row) -> Result<Person, StoreError> {
    Ok(Person {
        id: r.try_get("id").map_err(pg)?,
        name: r.try_get("name").map_err(pg)?,
        email: r.try_get("email").map_err(pg)?,
        org_unit: r.try_get("org_unit").map_err(pg)?,
        manager: r.try_get("manager").map_err(pg)?,
        roles: r.try_get("roles").map_err(pg)?,
        updated: r.try_get("updated").map_err(pg)?,
    })
}

#[async_trait]
impl DirectoryStore for PgStore {
    async fn upsert_people(&self, people: Vec<Person>) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        let stmt = tx
            .prepare_cached(&format!(
                "INSERT INTO people ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, \
                 org_unit = excluded.org_unit, manager = excluded.manager, \
                 roles = excluded.roles, updated = excluded.updated"
            ))
            .await
            .map_err(pg)?;
        for p in &people {
            tx.execute(
                &stmt,
                &[
                    &p.id,
                    &p.name,
                    &p.email,
                    &p.org_unit,
                    &p.manager,
                    &p.roles,
                    &p.updated,
                ],
            )
            .await
            .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)
    }

    async fn person(&self, id: &str) -> Result<Option<Person>, StoreError> {
        let client = self.client().await?;
        client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM people WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(pg)?
            .as_ref()
            .map(decode)
            .transpose()
    }

    async fn list_people(&self, org_unit: Option<&str>) -> Result<Vec<Person>, StoreError> {
        let client = self.client().await?;
        let rows = match org_unit {
            Some(unit) => client
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM people WHERE org_unit = $1 ORDER BY id COLLATE \"C\""
                    ),
                    &[&unit],
                )
                .await
                .map_err(pg)?,
            None => client
                .query(
                    &format!("SELECT {COLUMNS} FROM people ORDER BY id COLLATE \"C\""),
                    &[],
                )
                .await
                .map_err(pg)?,
        };
        rows.iter().map(decode).collect()
    }

    async fn delete_person(&self, id: &str) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let n = client
            .execute("DELETE FROM people WHERE id = $1", &[&id])
            .await
            .map_err(pg)?;
        Ok(n > 0)
    }
}
