//! Statements: inserts in commit order and indexed queries.
//!
//! Insert, in one transaction:
//! 1. (before the transaction) filter keys are upserted into the `index_keys` dictionary in
//!    their own autocommit statement: an unused key is harmless, and holding dictionary row
//!    locks while waiting for the statement lock would only add contention;
//! 2. attachment contents are inserted (`ON CONFLICT DO NOTHING`, sorted by sha2 so two batches
//!    cannot deadlock);
//! 3. `pg_advisory_xact_lock(STATEMENT_LOCK)` serializes every statement insert of every node.
//!    Seq values are drawn and committed under it, so a reader never sees seq N+1 committed
//!    while N is still to come, and the latest `stored` read under it is final;
//! 4. under the lock, one pipelined round trip reads what the batch needs (existing ids and
//!    hashes, the latest `stored`, stored voiding statements aimed at the batch, stored
//!    statements referring to it, stored activity definitions) and one pipelined round trip
//!    writes (statements + own postings, voided flags, activity definitions, and the copy of
//!    postings along StatementRefs). Activities are merged under the lock because every writer
//!    of that table holds it, so no row lock or retry is needed.
//!
//! Query: filter keys resolve to dictionary ids (an unknown key matches nothing); `since` and
//! `until` become seq bounds through `statements(stored, seq)`, valid because `stored` never
//! decreases with seq; the postings of the key with the fewest statements (kept approximately
//! in `index_keys.postings`) are walked in seq order with the other keys as `EXISTS` probes,
//! and statement rows are read only for postings that pass, so no more rows are read than the
//! page needs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use lrs_core::activities::merge_definition;
use lrs_core::store::{
    AttachmentData, IndexKey, IndexKind, InsertOutcome, PreparedStatement, StatementFilter,
    StatementStore, StoreError, StoredStatement,
};
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use crate::{PgStore, corrupt, pg};

/// Advisory lock key serializing statement inserts across all nodes. "lara-sts" in ASCII.
const STATEMENT_LOCK: i64 = 0x6c61_7261_2d73_7473;

type Param<'a> = (&'a (dyn ToSql + Sync), Type);

/// A statement of the batch after the work that can be done before taking the lock.
struct Pending {
    stmt: PreparedStatement,
    /// Proposed `stored` cut to the millisecond the JSON shows, so the column and the JSON agree.
    stored: DateTime<Utc>,
    json: String,
    key_ids: Vec<i64>,
}

/// Cuts an instant to whole milliseconds, the precision of `stored` in the JSON.
fn to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
}

fn render(json: &mut Value, stored: DateTime<Utc>) -> Result<String, StoreError> {
    if let Some(obj) = json.as_object_mut() {
        obj.insert(
            "stored".into(),
            Value::String(xapi_model::time::format_timestamp(stored)),
        );
    }
    serde_json::to_string(json)
        .map_err(|e| StoreError::Backend(format!("serializing a statement: {e}")))
}

/// Ids of the given keys in the dictionary, creating the missing ones.
async fn ensure_keys(
    client: &tokio_postgres::Client,
    keys: &BTreeSet<(i16, &str)>,
) -> Result<HashMap<(i16, String), i64>, StoreError> {
    let mut ids = HashMap::with_capacity(keys.len());
    if keys.is_empty() {
        return Ok(ids);
    }
    let mut missing: Vec<(i16, &str)> = keys.iter().copied().collect();
    // Two passes normally suffice: look up, insert what is missing. A key a concurrent batch
    // inserted (and committed) between the two is neither returned by our insert nor visible
    // to its snapshot, so the next lookup finds it.
    for _ in 0..4 {
        let kinds: Vec<i16> = missing.iter().map(|k| k.0).collect();
        let values: Vec<&str> = missing.iter().map(|k| k.1).collect();
        let params: [Param; 2] = [(&kinds, Type::INT2_ARRAY), (&values, Type::TEXT_ARRAY)];
        let rows = client
            .query_typed(
                "SELECT k.id, k.kind, k.value FROM unnest($1::smallint[], $2::text[]) AS i(kind, value) \
                 CROSS JOIN LATERAL (SELECT k.id, k.kind, k.value FROM index_keys k \
                                     WHERE k.kind = i.kind AND k.value = i.value LIMIT 1) k",
                &params,
            )
            .await
            .map_err(pg)?;
        collect_keys(&rows, &mut ids)?;
        missing.retain(|(k, v)| !ids.contains_key(&(*k, (*v).to_owned())));
        if missing.is_empty() {
            return Ok(ids);
        }
        let kinds: Vec<i16> = missing.iter().map(|k| k.0).collect();
        let values: Vec<&str> = missing.iter().map(|k| k.1).collect();
        let params: [Param; 2] = [(&kinds, Type::INT2_ARRAY), (&values, Type::TEXT_ARRAY)];
        // Sorted, so concurrent inserters take the unique-index slots in one order.
        let rows = client
            .query_typed(
                "INSERT INTO index_keys (kind, value) \
                 SELECT kind, value FROM unnest($1::smallint[], $2::text[]) AS i(kind, value) \
                 ORDER BY kind, value ON CONFLICT DO NOTHING RETURNING id, kind, value",
                &params,
            )
            .await
            .map_err(pg)?;
        collect_keys(&rows, &mut ids)?;
        missing.retain(|(k, v)| !ids.contains_key(&(*k, (*v).to_owned())));
        if missing.is_empty() {
            return Ok(ids);
        }
    }
    Err(StoreError::Backend(
        "could not register statement filter keys".into(),
    ))
}

/// Adds to `index_keys.postings`. Its own transaction commits asynchronously: durability of a
/// statistic is not worth a second WAL flush per batch. Rows are locked in key id order (the
/// sorted input drives the join), so nodes updating the same hot keys queue rather than
/// deadlock; should PostgreSQL still report one, the caller just drops this update.
async fn add_posting_counts(
    client: &mut deadpool_postgres::Object,
    counts: &BTreeMap<i64, i64>,
) -> Result<(), tokio_postgres::Error> {
    if counts.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = counts.keys().copied().collect();
    let ns: Vec<i64> = counts.values().copied().collect();
    let params: [Param; 2] = [(&ids, Type::INT8_ARRAY), (&ns, Type::INT8_ARRAY)];
    let tx = client.transaction().await?;
    tx.batch_execute("SET LOCAL synchronous_commit = off")
        .await?;
    tx.query_typed(
        "UPDATE index_keys k SET postings = k.postings + c.n \
         FROM (SELECT * FROM unnest($1::bigint[], $2::bigint[]) ORDER BY 1) AS c(id, n) \
         WHERE k.id = c.id",
        &params,
    )
    .await?;
    tx.commit().await
}

fn collect_keys(rows: &[Row], ids: &mut HashMap<(i16, String), i64>) -> Result<(), StoreError> {
    for r in rows {
        let id: i64 = r.try_get(0).map_err(pg)?;
        let kind: i16 = r.try_get(1).map_err(pg)?;
        let value: String = r.try_get(2).map_err(pg)?;
        ids.insert((kind, value), id);
    }
    Ok(())
}

fn stored_statement(row: &Row) -> Result<StoredStatement, StoreError> {
    Ok(StoredStatement {
        seq: row.try_get("seq").map_err(pg)?,
        id: row.try_get("id").map_err(pg)?,
        stored: row.try_get("stored").map_err(pg)?,
        voided: row.try_get("voided").map_err(pg)?,
        json: row.try_get("json").map_err(pg)?,
        attachment_hashes: row.try_get("attachments").map_err(pg)?,
    })
}

const STATEMENT_COLUMNS: &str = "s.seq, s.id, s.stored, s.voided, s.json, s.attachments";

#[async_trait]
impl StatementStore for PgStore {
    async fn insert_statements(
        &self,
        statements: Vec<PreparedStatement>,
        attachments: Vec<AttachmentData>,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let mut client = self.client().await?;

        // ---- everything that needs no lock ----
        let keys: BTreeSet<(i16, &str)> = statements
            .iter()
            .flat_map(|s| s.index.iter().map(|k| (k.kind.code(), k.value.as_str())))
            .collect();
        let key_ids = ensure_keys(&client, &keys).await?;
        let mut pending = Vec::with_capacity(statements.len());
        for mut stmt in statements {
            let stored = to_millis(stmt.stored);
            let json = render(&mut stmt.json, stored)?;
            let mut ids = Vec::with_capacity(stmt.index.len());
            for k in &stmt.index {
                let id = key_ids
                    .get(&(k.kind.code(), k.value.clone()))
                    .ok_or_else(|| StoreError::Backend("a filter key was not registered".into()))?;
                ids.push(*id);
            }
            ids.sort_unstable();
            ids.dedup();
            pending.push(Pending {
                stmt,
                stored,
                json,
                key_ids: ids,
            });
        }
        let ids: Vec<Uuid> = pending.iter().map(|p| p.stmt.id).collect();
        let activity_ids: Vec<&str> = {
            let set: BTreeSet<&str> = pending
                .iter()
                .flat_map(|p| p.stmt.activities.iter().map(|(id, _)| id.as_str()))
                .collect();
            set.into_iter().collect()
        };
        let mut attachments = attachments;
        attachments.sort_by(|a, b| a.sha2.cmp(&b.sha2));
        attachments.dedup_by(|a, b| a.sha2 == b.sha2);

        let tx = client.transaction().await.map_err(pg)?;
        if !attachments.is_empty() {
            let sha2: Vec<&str> = attachments.iter().map(|a| a.sha2.as_str()).collect();
            let types: Vec<&str> = attachments
                .iter()
                .map(|a| a.content_type.as_str())
                .collect();
            let data: Vec<&[u8]> = attachments.iter().map(|a| a.data.as_slice()).collect();
            let params: [Param; 3] = [
                (&sha2, Type::TEXT_ARRAY),
                (&types, Type::TEXT_ARRAY),
                (&data, Type::BYTEA_ARRAY),
            ];
            tx.query_typed(
                "INSERT INTO attachments (sha2, content_type, data) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) ORDER BY 1 \
                 ON CONFLICT DO NOTHING",
                &params,
            )
            .await
            .map_err(pg)?;
        }

        // ---- under the lock: one pipelined round trip of reads ----
        // Lookups by a list of values are written as one LATERAL ... LIMIT 1 probe per value:
        // that plan cannot become a hash join over a sequential scan, which a planner without
        // fresh statistics (autovacuum off, a freshly loaded table) may otherwise pick for
        // `= ANY` on a non-unique column — inside the lock, that would stall every node.
        let lock_params: [Param; 1] = [(&STATEMENT_LOCK, Type::INT8)];
        let id_params: [Param; 1] = [(&ids, Type::UUID_ARRAY)];
        let act_params: [Param; 1] = [(&activity_ids, Type::TEXT_ARRAY)];
        let (_, existing, latest, voiders, referred, stored_defs) = futures::try_join!(
            tx.query_typed("SELECT pg_advisory_xact_lock($1)", &lock_params),
            tx.query_typed(
                "SELECT id, hash FROM statements WHERE id = ANY($1)",
                &id_params
            ),
            tx.query_typed(
                "SELECT stored FROM statements ORDER BY seq DESC LIMIT 1",
                &[]
            ),
            tx.query_typed(
                "SELECT i.id FROM unnest($1::uuid[]) AS i(id) CROSS JOIN LATERAL \
                 (SELECT 1 FROM statements s WHERE s.voids = i.id LIMIT 1) x",
                &id_params
            ),
            tx.query_typed(
                "SELECT i.id FROM unnest($1::uuid[]) AS i(id) CROSS JOIN LATERAL \
                 (SELECT 1 FROM statements s WHERE s.refs = i.id LIMIT 1) x",
                &id_params
            ),
            tx.query_typed(
                "SELECT id, definition FROM activities WHERE id = ANY($1)",
                &act_params
            ),
        )
        .map_err(pg)?;

        let mut hashes: HashMap<Uuid, String> = HashMap::with_capacity(existing.len());
        for r in &existing {
            hashes.insert(r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?);
        }
        let mut outcomes = Vec::with_capacity(pending.len());
        for p in &pending {
            match hashes.get(&p.stmt.id) {
                Some(h) if *h == p.stmt.comparison_hash => {
                    outcomes.push(InsertOutcome::AlreadyPresent)
                }
                Some(_) => {
                    tx.rollback().await.map_err(pg)?;
                    return Err(StoreError::Conflict(p.stmt.id));
                }
                None => outcomes.push(InsertOutcome::Inserted),
            }
        }
        let mut fresh: Vec<Pending> = pending
            .into_iter()
            .filter(|p| !hashes.contains_key(&p.stmt.id))
            .collect();
        if fresh.is_empty() {
            tx.commit().await.map_err(pg)?;
            return Ok(outcomes);
        }

        // `stored` never decreases in seq order, across nodes whose clocks differ too.
        let mut floor: Option<DateTime<Utc>> = match latest.first() {
            Some(r) => Some(r.try_get(0).map_err(pg)?),
            None => None,
        };
        for p in &mut fresh {
            if let Some(f) = floor.filter(|f| *f > p.stored) {
                p.stored = f;
                p.json = render(&mut p.stmt.json, f)?;
            }
            floor = Some(p.stored);
        }

        // Voided targets: by stored voiding statements or by any voiding statement of the batch.
        let mut void_targets: HashSet<Uuid> = HashSet::new();
        for r in &voiders {
            void_targets.insert(r.try_get(0).map_err(pg)?);
        }
        void_targets.extend(fresh.iter().filter_map(|p| p.stmt.voids));
        let newly_voiding: Vec<Uuid> = fresh.iter().filter_map(|p| p.stmt.voids).collect();

        // Activity definitions, folded in batch order onto the stored ones.
        let mut defs = stored_definitions(&stored_defs)?;
        let touched = fold_definitions(
            &mut defs,
            fresh
                .iter()
                .flat_map(|p| p.stmt.activities.iter().map(|(id, d)| (id, d))),
        );
        let (def_ids, def_texts) = definition_rows(&defs, &touched)?;

        // StatementRef inheritance is needed when a new statement refers to another or is
        // referred to by a stored one; otherwise its own postings are complete.
        let mut has_referrers: HashSet<Uuid> = HashSet::new();
        for r in &referred {
            has_referrers.insert(r.try_get(0).map_err(pg)?);
        }
        let linked: Vec<Uuid> = fresh
            .iter()
            .filter(|p| p.stmt.references.is_some() || has_referrers.contains(&p.stmt.id))
            .map(|p| p.stmt.id)
            .collect();

        let new_ids: Vec<Uuid> = fresh.iter().map(|p| p.stmt.id).collect();
        let stored: Vec<DateTime<Utc>> = fresh.iter().map(|p| p.stored).collect();
        let voided: Vec<bool> = fresh
            .iter()
            .map(|p| p.stmt.voids.is_none() && void_targets.contains(&p.stmt.id))
            .collect();
        let voids: Vec<Option<Uuid>> = fresh.iter().map(|p| p.stmt.voids).collect();
        let refs: Vec<Option<Uuid>> = fresh.iter().map(|p| p.stmt.references).collect();
        let hash: Vec<&str> = fresh
            .iter()
            .map(|p| p.stmt.comparison_hash.as_str())
            .collect();
        let json: Vec<&str> = fresh.iter().map(|p| p.json.as_str()).collect();
        // sha2 values are hex, so a space-joined list splits back exactly; unnest cannot take
        // a ragged two-dimensional array.
        let atts: Vec<String> = fresh
            .iter()
            .map(|p| p.stmt.attachment_hashes.join(" "))
            .collect();
        let mut posting_ids: Vec<Uuid> = Vec::new();
        let mut posting_keys: Vec<i64> = Vec::new();
        for p in &fresh {
            for k in &p.key_ids {
                posting_ids.push(p.stmt.id);
                posting_keys.push(*k);
            }
        }

        // ---- under the lock: one pipelined round trip of writes ----
        let insert_params: [Param; 10] = [
            (&new_ids, Type::UUID_ARRAY),
            (&stored, Type::TIMESTAMPTZ_ARRAY),
            (&voided, Type::BOOL_ARRAY),
            (&voids, Type::UUID_ARRAY),
            (&refs, Type::UUID_ARRAY),
            (&hash, Type::TEXT_ARRAY),
            (&json, Type::TEXT_ARRAY),
            (&atts, Type::TEXT_ARRAY),
            (&posting_ids, Type::UUID_ARRAY),
            (&posting_keys, Type::INT8_ARRAY),
        ];
        let insert = tx.query_typed(
            "WITH ins AS ( \
               INSERT INTO statements (id, stored, voided, voids, refs, hash, json, attachments) \
               SELECT id, stored, voided, voids, refs, hash, json, string_to_array(att, ' ') \
               FROM unnest($1::uuid[], $2::timestamptz[], $3::bool[], $4::uuid[], $5::uuid[], \
                           $6::text[], $7::text[], $8::text[]) \
                    WITH ORDINALITY AS t(id, stored, voided, voids, refs, hash, json, att, ord) \
               ORDER BY ord \
               RETURNING seq, id), \
             postings AS ( \
               INSERT INTO statement_index (key_id, seq) \
               SELECT p.key_id, ins.seq FROM unnest($9::uuid[], $10::bigint[]) AS p(id, key_id) \
               JOIN ins ON ins.id = p.id) \
             SELECT seq, id FROM ins",
            &insert_params,
        );
        let void_params: [Param; 1] = [(&newly_voiding, Type::UUID_ARRAY)];
        // Voiding statements are never voided themselves (`voids IS NULL`).
        let void_update = async {
            if newly_voiding.is_empty() {
                return Ok(());
            }
            tx.query_typed(
                "UPDATE statements SET voided = true WHERE id = ANY($1) AND voids IS NULL AND NOT voided",
                &void_params,
            )
            .await
            .map(drop)
        };
        let def_params: [Param; 2] = [(&def_ids, Type::TEXT_ARRAY), (&def_texts, Type::TEXT_ARRAY)];
        let def_upsert = async {
            if def_ids.is_empty() {
                return Ok(());
            }
            tx.query_typed(
                "INSERT INTO activities (id, definition) SELECT * FROM unnest($1::text[], $2::text[]) \
                 ON CONFLICT (id) DO UPDATE SET definition = excluded.definition",
                &def_params,
            )
            .await
            .map(drop)
        };
        // The one kind a referring statement does not inherit (see `IndexKind::inherited`).
        let own_only = IndexKind::Authority.code();
        let link_params: [Param; 2] = [(&linked, Type::UUID_ARRAY), (&own_only, Type::INT2)];
        // Every statement reachable downwards (through `refs`) from a new one gives its postings
        // to every statement reachable upwards (referrers, transitively). UNION keeps cycles
        // of references finite; the LATERAL ... OFFSET 0 steps pin index probes (see above).
        let inherit = async {
            if linked.is_empty() {
                return Ok(());
            }
            tx.query_typed(
                "WITH RECURSIVE \
                 new AS (SELECT seq, id, refs FROM statements WHERE id = ANY($1)), \
                 down(origin, seq, refs) AS ( \
                   SELECT seq, seq, refs FROM new \
                   UNION \
                   SELECT d.origin, t.seq, t.refs FROM down d CROSS JOIN LATERAL \
                     (SELECT t.seq, t.refs FROM statements t WHERE t.id = d.refs OFFSET 0) t), \
                 up(origin, seq, id) AS ( \
                   SELECT seq, seq, id FROM new \
                   UNION \
                   SELECT u.origin, r.seq, r.id FROM up u CROSS JOIN LATERAL \
                     (SELECT r.seq, r.id FROM statements r WHERE r.refs = u.id OFFSET 0) r) \
                 INSERT INTO statement_index (key_id, seq) \
                 SELECT DISTINCT si.key_id, u.seq \
                 FROM down d JOIN up u ON u.origin = d.origin CROSS JOIN LATERAL \
                   (SELECT si.key_id FROM statement_index si JOIN index_keys k ON k.id = si.key_id \
                    WHERE si.seq = d.seq AND k.kind <> $2 OFFSET 0) si \
                 WHERE d.seq <> u.seq \
                 ON CONFLICT DO NOTHING",
                &link_params,
            )
            .await
            .map(drop)
        };
        let (inserted, (), (), ()) =
            futures::try_join!(insert, void_update, def_upsert, inherit).map_err(pg)?;

        // The seq order must be the batch order the `stored` floor was computed in.
        let mut seq_of: HashMap<Uuid, i64> = HashMap::with_capacity(inserted.len());
        for r in &inserted {
            seq_of.insert(r.try_get(1).map_err(pg)?, r.try_get(0).map_err(pg)?);
        }
        let seqs: Vec<Option<&i64>> = new_ids.iter().map(|id| seq_of.get(id)).collect();
        if seqs.iter().any(Option::is_none)
            || seqs
                .windows(2)
                .any(|w| matches!(w, [Some(a), Some(b)] if a >= b))
        {
            tx.rollback().await.map_err(pg)?;
            return Err(StoreError::Backend(
                "statements were not numbered in batch order".into(),
            ));
        }
        tx.commit().await.map_err(pg)?;

        // Posting counts only steer the choice of driving key, so they are kept outside the
        // statement transaction and the lock: a lost update costs a slightly worse plan, never
        // a wrong answer.
        let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
        for p in &fresh {
            for k in &p.key_ids {
                *counts.entry(*k).or_default() += 1;
            }
        }
        if let Err(e) = add_posting_counts(&mut client, &counts).await {
            tracing::debug!(error = %crate::describe(&e), "updating posting counts");
        }
        Ok(outcomes)
    }

    async fn get_statement(&self, id: Uuid) -> Result<Option<StoredStatement>, StoreError> {
        let client = self.client().await?;
        let params: [Param; 1] = [(&id, Type::UUID)];
        let row = client
            .query_typed_opt(
                &format!("SELECT {STATEMENT_COLUMNS} FROM statements s WHERE s.id = $1"),
                &params,
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(stored_statement).transpose()
    }

    async fn query_statements(
        &self,
        filter: &StatementFilter,
    ) -> Result<Vec<StoredStatement>, StoreError> {
        if filter.limit == 0 {
            return Ok(Vec::new());
        }
        let client = self.client().await?;

        // (posting count, kind rank, key id): the first drives the walk.
        let mut key_ids: Vec<(i64, u8, i64)> = Vec::with_capacity(filter.keys.len());
        if !filter.keys.is_empty() {
            let wanted: BTreeSet<&IndexKey> = filter.keys.iter().collect();
            let kinds: Vec<i16> = wanted.iter().map(|k| k.kind.code()).collect();
            let values: Vec<&str> = wanted.iter().map(|k| k.value.as_str()).collect();
            let params: [Param; 2] = [(&kinds, Type::INT2_ARRAY), (&values, Type::TEXT_ARRAY)];
            let rows = client
                .query_typed(
                    "SELECT k.kind, k.id, k.postings \
                     FROM unnest($1::smallint[], $2::text[]) AS i(kind, value) \
                     CROSS JOIN LATERAL (SELECT k.kind, k.id, k.postings FROM index_keys k \
                                         WHERE k.kind = i.kind AND k.value = i.value LIMIT 1) k",
                    &params,
                )
                .await
                .map_err(pg)?;
            // A key never seen cannot match any statement.
            if rows.len() < wanted.len() {
                return Ok(Vec::new());
            }
            for r in &rows {
                let code: i16 = r.try_get(0).map_err(pg)?;
                let kind = IndexKind::from_code(code)
                    .ok_or_else(|| corrupt(format!("index kind {code}")))?;
                let id: i64 = r.try_get(1).map_err(pg)?;
                let postings: i64 = r.try_get(2).map_err(pg)?;
                key_ids.push((postings, kind.selectivity_rank(), id));
            }
            // Walk the key with the fewest statements; the kind breaks ties.
            key_ids.sort_unstable();
        }

        // Bounds on seq: `lo` exclusive, `hi` inclusive.
        let (lo, hi) = filter.seq_bounds();
        let limit = i64::from(filter.limit);

        let mut params: Vec<Param> =
            vec![(&lo, Type::INT8), (&hi, Type::INT8), (&limit, Type::INT8)];
        let mut conditions: Vec<String> = Vec::new();
        let col = if key_ids.is_empty() { "s.seq" } else { "d.seq" };
        conditions.push(format!("{col} > $1 AND {col} <= $2"));
        // `stored > since` ⇔ seq above the last seq stored at or before `since`;
        // `stored <= until` ⇔ seq at most the last seq stored at or before `until`.
        let last_at_or_before = |n: usize| {
            format!(
                "coalesce((SELECT b.seq FROM statements b WHERE b.stored <= ${n} \
                 ORDER BY b.stored DESC, b.seq DESC LIMIT 1), 0)"
            )
        };
        if let Some(since) = &filter.since {
            params.push((since, Type::TIMESTAMPTZ));
            conditions.push(format!("{col} > {}", last_at_or_before(params.len())));
        }
        if let Some(until) = &filter.until {
            params.push((until, Type::TIMESTAMPTZ));
            conditions.push(format!("{col} <= {}", last_at_or_before(params.len())));
        }
        let order = if filter.ascending { "ASC" } else { "DESC" };

        let sql = match key_ids.split_first() {
            None => format!(
                "SELECT {STATEMENT_COLUMNS} FROM statements s WHERE {} AND NOT s.voided \
                 ORDER BY s.seq {order} LIMIT $3",
                conditions.join(" AND ")
            ),
            Some(((_, _, driving), others)) => {
                params.push((driving, Type::INT8));
                conditions.push(format!("d.key_id = ${}", params.len()));
                for (_, _, other) in others {
                    params.push((other, Type::INT8));
                    conditions.push(format!(
                        "EXISTS (SELECT 1 FROM statement_index o WHERE o.key_id = ${} AND o.seq = d.seq)",
                        params.len()
                    ));
                }
                // The LATERAL subquery (kept apart by OFFSET 0) makes the plan walk the driving
                // postings in seq order, probe the other keys, and only then read the statement
                // row: a posting that fails a probe costs no statement read, and the plan does
                // not depend on table statistics being present.
                format!(
                    "SELECT {STATEMENT_COLUMNS} FROM statement_index d \
                     CROSS JOIN LATERAL (SELECT {STATEMENT_COLUMNS} FROM statements s \
                                         WHERE s.seq = d.seq AND NOT s.voided OFFSET 0) s \
                     WHERE {} ORDER BY d.seq {order} LIMIT $3",
                    conditions.join(" AND ")
                )
            }
        };
        let rows = client.query_typed(&sql, &params).await.map_err(pg)?;
        rows.iter().map(stored_statement).collect()
    }

    async fn max_seq(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_typed_one("SELECT coalesce(max(seq), 0) FROM statements", &[])
            .await
            .map_err(pg)?;
        row.try_get(0).map_err(pg)
    }

    async fn get_attachments(&self, sha2: &[String]) -> Result<Vec<AttachmentData>, StoreError> {
        if sha2.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let params: [Param; 1] = [(&sha2, Type::TEXT_ARRAY)];
        let rows = client
            .query_typed(
                "SELECT sha2, content_type, data FROM attachments WHERE sha2 = ANY($1) ORDER BY sha2",
                &params,
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                Ok(AttachmentData {
                    sha2: r.try_get(0).map_err(pg)?,
                    content_type: r.try_get(1).map_err(pg)?,
                    data: r.try_get(2).map_err(pg)?,
                })
            })
            .collect()
    }

    async fn merge_activity_definitions(
        &self,
        definitions: Vec<(String, Value)>,
    ) -> Result<(), StoreError> {
        if definitions.is_empty() {
            return Ok(());
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        // Statement inserts merge definitions under this lock too: one merge at a time.
        let lock_params: [Param; 1] = [(&STATEMENT_LOCK, Type::INT8)];
        tx.query_typed("SELECT pg_advisory_xact_lock($1)", &lock_params)
            .await
            .map_err(pg)?;
        let ids: Vec<&str> = definitions.iter().map(|(id, _)| id.as_str()).collect();
        let id_params: [Param; 1] = [(&ids, Type::TEXT_ARRAY)];
        let stored = tx
            .query_typed(
                "SELECT id, definition FROM activities WHERE id = ANY($1)",
                &id_params,
            )
            .await
            .map_err(pg)?;
        let mut defs = stored_definitions(&stored)?;
        let touched = fold_definitions(&mut defs, definitions.iter().map(|(id, d)| (id, d)));
        let (ids, texts) = definition_rows(&defs, &touched)?;
        let params: [Param; 2] = [(&ids, Type::TEXT_ARRAY), (&texts, Type::TEXT_ARRAY)];
        tx.query_typed(
            "INSERT INTO activities (id, definition) SELECT * FROM unnest($1::text[], $2::text[]) \
             ON CONFLICT (id) DO UPDATE SET definition = excluded.definition",
            &params,
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn get_activity(&self, activity_id: &str) -> Result<Option<Value>, StoreError> {
        let client = self.client().await?;
        let params: [Param; 1] = [(&activity_id, Type::TEXT)];
        let row = client
            .query_typed_opt("SELECT definition FROM activities WHERE id = $1", &params)
            .await
            .map_err(pg)?;
        let Some(row) = row else { return Ok(None) };
        let text: String = row.try_get(0).map_err(pg)?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| corrupt(format!("definition of {activity_id}: {e}")))
    }
}

/// Stored definitions from `SELECT id, definition` rows.
fn stored_definitions(rows: &[tokio_postgres::Row]) -> Result<BTreeMap<String, Value>, StoreError> {
    let mut defs = BTreeMap::new();
    for r in rows {
        let id: String = r.try_get(0).map_err(pg)?;
        let text: String = r.try_get(1).map_err(pg)?;
        let def =
            serde_json::from_str(&text).map_err(|e| corrupt(format!("definition of {id}: {e}")))?;
        defs.insert(id, def);
    }
    Ok(defs)
}

/// Merges incoming definitions, in order, onto `defs`; returns the ids touched.
fn fold_definitions<'a>(
    defs: &mut BTreeMap<String, Value>,
    incoming: impl Iterator<Item = (&'a String, &'a Value)>,
) -> BTreeSet<String> {
    let mut touched = BTreeSet::new();
    for (id, def) in incoming {
        let merged = match defs.get(id) {
            Some(old) => merge_definition(old, def),
            None => def.clone(),
        };
        defs.insert(id.clone(), merged);
        touched.insert(id.clone());
    }
    touched
}

/// The touched definitions as parallel id and JSON text arrays for an upsert.
fn definition_rows<'a>(
    defs: &'a BTreeMap<String, Value>,
    touched: &'a BTreeSet<String>,
) -> Result<(Vec<&'a str>, Vec<String>), StoreError> {
    let mut ids = Vec::with_capacity(touched.len());
    let mut texts = Vec::with_capacity(touched.len());
    for id in touched {
        if let Some(d) = defs.get(id) {
            ids.push(id.as_str());
            texts.push(serde_json::to_string(d).map_err(|e| StoreError::Backend(e.to_string()))?);
        }
    }
    Ok((ids, texts))
}
