//! The directory of people (`lrs_core::directory::DirectoryStore`). Roles are stored space
//! separated.

use async_trait::async_trait;
use lrs_core::StoreError;
use lrs_core::directory::{DirectoryStore, Person};
use rusqlite::{OptionalExtension, Row, params};

use crate::{SqliteStore, db, from_micros, micros};

const COLUMNS: &str = "id, name, email, org_unit, manager, roles, updated_us";

type RawPerson = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i64,
);

fn raw(r: &Row<'_>) -> rusqlite::Result<RawPerson> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn decode(
    (id, name, email, org_unit, manager, roles, updated): RawPerson,
) -> Result<Person, StoreError> {
    Ok(Person {
        id,
        name,
        email,
        org_unit,
        manager,
        roles: roles.split_ascii_whitespace().map(str::to_owned).collect(),
        updated: from_micros(updated)?,
    })
}

#[async_trait]
impl DirectoryStore for SqliteStore {
    async fn upsert_people(&self, people: Vec<Person>) -> Result<(), StoreError> {
        self.writer()
            .write(move |w| {
                let mut stmt = w
                    .conn
                    .prepare_cached(&format!(
                        "INSERT INTO people ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                         email = excluded.email, org_unit = excluded.org_unit, \
                         manager = excluded.manager, roles = excluded.roles, \
                         updated_us = excluded.updated_us"
                    ))
                    .map_err(db)?;
                for p in &people {
                    stmt.execute(params![
                        p.id,
                        p.name,
                        p.email,
                        p.org_unit,
                        p.manager,
                        p.roles.join(" "),
                        micros(p.updated),
                    ])
                    .map_err(db)?;
                }
                Ok(())
            })
            .await
    }

    async fn person(&self, id: &str) -> Result<Option<Person>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM people WHERE id = ?1"))
                .map_err(db)?
                .query_row([&id], raw)
                .optional()
                .map_err(db)?
                .map(decode)
                .transpose()
        })
        .await
    }

    async fn list_people(&self, org_unit: Option<&str>) -> Result<Vec<Person>, StoreError> {
        let org_unit = org_unit.map(str::to_owned);
        self.read(move |conn| {
            let rows = match &org_unit {
                Some(unit) => conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM people WHERE org_unit = ?1 ORDER BY id"
                    ))
                    .map_err(db)?
                    .query_map([unit], raw)
                    .map_err(db)?
                    .collect::<Result<Vec<_>, _>>(),
                None => conn
                    .prepare_cached(&format!("SELECT {COLUMNS} FROM people ORDER BY id"))
                    .map_err(db)?
                    .query_map([], raw)
                    .map_err(db)?
                    .collect::<Result<Vec<_>, _>>(),
            }
            .map_err(db)?;
            rows.into_iter().map(decode).collect()
        })
        .await
    }

    async fn delete_person(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.writer()
            .write(move |w| {
                let n = w
                    .conn
                    .prepare_cached("DELETE FROM people WHERE id = ?1")
                    .map_err(db)?
                    .execute([&id])
                    .map_err(db)?;
                Ok(n > 0)
            })
            .await
    }
}
