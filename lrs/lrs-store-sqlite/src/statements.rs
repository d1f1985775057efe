//! Statements: inserts on the writer thread and indexed queries on the readers.
//!
//! Insert, as one writer job:
//! 1. every id is checked first: already stored (or earlier in the batch) with the same
//!    comparison hash is a resend, with another hash a conflict, which fails the batch before
//!    anything was written;
//!
//! then, for each new statement in batch order:
//! 2. `stored` moves forward to the latest stored so far, so `stored` never decreases in seq
//!    order and since/until can become seq bounds;
//! 3. the row and its postings are written: its own keys plus, when it refers to a stored
//!    statement, that statement's postings (which already hold what it inherits in turn);
//! 4. voiding is applied in both arrival orders, and statements stored earlier that refer to
//!    this one inherit its postings, transitively;
//! 5. activity definitions are merged with [`merge_definition`].
//!
//! Work that needs no database (rendering JSON, collecting keys) happens before the request
//! reaches the writer, since the writer thread is the bottleneck of the whole store.
//!
//! Query: filter keys resolve to dictionary ids (an unknown key matches nothing); since/until
//! become seq bounds through the `stored_us` index; the postings of the most selective key are
//! walked in seq order with the other keys as `EXISTS` probes, so a query reads about as many
//! rows as it returns (plus those the other keys or voiding reject).
//!
//! Postings are partitioned into segments of consecutive seqs (`postings.seg`, see migration
//! V2): inserts only touch the newest segment's pages, so their cost does not grow with the
//! store, and a query walks its segments in order, one seek each, in one SQL statement driven
//! by the `segments` table (migration V8, see [`keyed_query`]).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, VecDeque};

use async_trait::async_trait;
use lrs_core::activities::merge_definition;
use lrs_core::store::{
    AttachmentData, IndexKey, InsertOutcome, PreparedStatement, StatementFilter, StatementStore,
    StoreError, StoredStatement,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;
use uuid::Uuid;

use crate::writer::Writer;
use crate::{SqliteStore, corrupt, db, from_micros, micros, uuid_from};

/// A statement made ready for the writer.
pub(crate) struct Staged {
    id: Uuid,
    /// Proposed `stored` cut to the millisecond the JSON shows, so the column and the JSON agree.
    stored_us: i64,
    /// The JSON text with `stored` set. The parsed value is dropped here, on the caller's
    /// thread: freeing it on the writer thread cost measurable writer time.
    text: String,
    hash: String,
    voids: Option<Uuid>,
    refs: Option<Uuid>,
    keys: Vec<IndexKey>,
    activities: Vec<(String, Value)>,
    attachments: String,
}

fn stage(p: PreparedStatement) -> Result<Staged, StoreError> {
    let us = micros(p.stored);
    let stored_us = us - us.rem_euclid(1000);
    let mut json = p.json;
    let text = render(&mut json, stored_us)?;
    drop(json);
    let mut keys = p.index;
    keys.sort();
    keys.dedup();
    Ok(Staged {
        id: p.id,
        stored_us,
        text,
        hash: p.comparison_hash,
        voids: p.voids,
        refs: p.references,
        keys,
        activities: p.activities,
        attachments: p.attachment_hashes.join(" "),
    })
}

/// Writes `stored` into the statement and serializes it.
fn render(json: &mut Value, stored_us: i64) -> Result<String, StoreError> {
    let stored = from_micros(stored_us)?;
    if let Some(obj) = json.as_object_mut() {
        obj.insert(
            "stored".into(),
            Value::String(xapi_model::time::format_timestamp(stored)),
        );
    }
    serde_json::to_string(json)
        .map_err(|e| StoreError::Backend(format!("serializing a statement: {e}")))
}

fn parse_postings(text: &str) -> Result<BTreeSet<i64>, StoreError> {
    text.split_ascii_whitespace()
        .map(|n| {
            n.parse::<i64>()
                .map_err(|_| corrupt(format!("posting list {text:?}")))
        })
        .collect()
}

fn format_postings(keys: &BTreeSet<i64>) -> String {
    let mut out = String::with_capacity(keys.len() * 6);
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&k.to_string());
    }
    out
}

/// The insert job, run on the writer thread inside the group transaction. Every conflict is
/// found before anything is written, so a conflicting batch leaves the transaction untouched
/// (see [`crate::writer::WriterHandle::write`]).
fn insert(
    w: &mut Writer,
    batch: &[Staged],
    attachments: &[AttachmentData],
) -> Result<Vec<InsertOutcome>, StoreError> {
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut in_batch: HashMap<Uuid, &str> = HashMap::with_capacity(batch.len());
    for s in batch {
        let known = match in_batch.get(&s.id) {
            Some(hash) => Some((*hash).to_owned()),
            None => w
                .conn
                .prepare_cached("SELECT hash FROM statements WHERE id = ?1")
                .map_err(db)?
                .query_row([s.id.as_bytes().as_slice()], |r| r.get::<_, String>(0))
                .optional()
                .map_err(db)?,
        };
        outcomes.push(match known {
            Some(h) if h == s.hash => InsertOutcome::AlreadyPresent,
            Some(_) => return Err(StoreError::Conflict(s.id)),
            None => InsertOutcome::Inserted,
        });
        in_batch.insert(s.id, &s.hash);
    }
    for (s, outcome) in batch.iter().zip(&outcomes) {
        if *outcome == InsertOutcome::Inserted {
            insert_one(w, s)?;
        }
    }
    let mut add = w
        .conn
        .prepare_cached(
            "INSERT OR IGNORE INTO attachments (sha2, content_type, data) VALUES (?1, ?2, ?3)",
        )
        .map_err(db)?;
    for a in attachments {
        add.execute(params![a.sha2, a.content_type, a.data])
            .map_err(db)?;
    }
    Ok(outcomes)
}

/// Writes one statement known to be new.
fn insert_one(w: &mut Writer, s: &Staged) -> Result<(), StoreError> {
    let id = s.id.as_bytes().to_vec();
    let (stored_us, text) = if s.stored_us < w.last_stored_us {
        // Rare (concurrent requests committing out of clock order): parse again and rewrite.
        let mut json: Value = serde_json::from_str(&s.text)
            .map_err(|e| StoreError::Backend(format!("re-reading a statement: {e}")))?;
        (
            w.last_stored_us,
            Cow::Owned(render(&mut json, w.last_stored_us)?),
        )
    } else {
        (s.stored_us, Cow::Borrowed(s.text.as_str()))
    };

    // A voiding statement is never voided; anything else is when a stored statement voids it.
    let voided = s.voids.is_none()
        && w.conn
            .prepare_cached("SELECT 1 FROM statements WHERE voids = ?1 LIMIT 1")
            .map_err(db)?
            .exists([&id])
            .map_err(db)?;

    // `postings`: the keys a statement referring to this one inherits (kept in the row);
    // `own`: keys posted for this statement only.
    let mut postings: BTreeSet<i64> = BTreeSet::new();
    let mut own: Vec<i64> = Vec::new();
    for k in &s.keys {
        let id = w.key_id(k.kind, &k.value)?;
        if k.kind.inherited() {
            postings.insert(id);
        } else {
            own.push(id);
        }
    }
    if let Some(target) = s.refs {
        let inherited: Option<String> = w
            .conn
            .prepare_cached("SELECT postings FROM statements WHERE id = ?1")
            .map_err(db)?
            .query_row([target.as_bytes().as_slice()], |r| r.get(0))
            .optional()
            .map_err(db)?;
        if let Some(text) = inherited {
            postings.extend(parse_postings(&text)?);
        }
    }

    w.conn
        .prepare_cached(
            "INSERT INTO statements (id, stored_us, voided, voids, refs, hash, json, attachments, postings) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(db)?
        .execute(params![
            id,
            stored_us,
            voided,
            s.voids.map(|u| u.as_bytes().to_vec()),
            s.refs.map(|u| u.as_bytes().to_vec()),
            s.hash,
            text.as_ref(),
            s.attachments,
            format_postings(&postings),
        ])
        .map_err(db)?;
    let seq = w.conn.last_insert_rowid();
    w.last_stored_us = stored_us;
    if w.segment_recorded != Some(segment(seq)) {
        w.conn
            .prepare_cached("INSERT OR IGNORE INTO segments (seg) VALUES (?1)")
            .map_err(db)?
            .execute([segment(seq)])
            .map_err(db)?;
        w.segment_recorded = Some(segment(seq));
    }
    {
        let mut post = w
            .conn
            .prepare_cached("INSERT INTO postings (seg, key_id, seq) VALUES (?1, ?2, ?3)")
            .map_err(db)?;
        for k in postings.iter().chain(&own) {
            post.execute(params![segment(seq), k, seq]).map_err(db)?;
        }
    }

    if let Some(target) = s.voids {
        w.conn
            .prepare_cached(
                "UPDATE statements SET voided = 1 WHERE id = ?1 AND voids IS NULL AND voided = 0",
            )
            .map_err(db)?
            .execute([target.as_bytes().as_slice()])
            .map_err(db)?;
    }

    propagate(&w.conn, s.id, &postings)?;

    for (activity, incoming) in &s.activities {
        merge_activity(w, activity, incoming)?;
    }
    Ok(())
}

/// Gives `added` postings of statement `origin` to every stored statement referring to it,
/// and onwards to statements referring to those. Posting sets only grow and are finite, so
/// the walk ends even on a cycle of references.
fn propagate(conn: &Connection, origin: Uuid, added: &BTreeSet<i64>) -> Result<(), StoreError> {
    let mut referrers = conn
        .prepare_cached("SELECT seq, id, postings FROM statements WHERE refs = ?1")
        .map_err(db)?;
    let mut queue: VecDeque<(Uuid, BTreeSet<i64>)> = VecDeque::new();
    queue.push_back((origin, added.clone()));
    while let Some((target, add)) = queue.pop_front() {
        let rows: Vec<(i64, Vec<u8>, String)> = referrers
            .query_map([target.as_bytes().as_slice()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?;
        for (seq, rid, text) in rows {
            let mut have = parse_postings(&text)?;
            let new: BTreeSet<i64> = add.difference(&have).copied().collect();
            if new.is_empty() {
                continue;
            }
            let mut post = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO postings (seg, key_id, seq) VALUES (?1, ?2, ?3)",
                )
                .map_err(db)?;
            for k in &new {
                post.execute(params![segment(seq), k, seq]).map_err(db)?;
            }
            have.extend(new.iter().copied());
            conn.prepare_cached("UPDATE statements SET postings = ?1 WHERE seq = ?2")
                .map_err(db)?
                .execute(params![format_postings(&have), seq])
                .map_err(db)?;
            queue.push_back((uuid_from(&rid)?, new));
        }
    }
    Ok(())
}

fn merge_activity(w: &mut Writer, activity: &str, incoming: &Value) -> Result<(), StoreError> {
    let merged = match w.activities.get(activity) {
        // Most statements resend the definition already stored: no read, no write.
        Some(old) => {
            let merged = merge_definition(old, incoming);
            if merged == *old {
                return Ok(());
            }
            merged
        }
        None => {
            let text: Option<String> = w
                .conn
                .prepare_cached("SELECT definition FROM activities WHERE id = ?1")
                .map_err(db)?
                .query_row([activity], |r| r.get(0))
                .optional()
                .map_err(db)?;
            match text {
                Some(text) => {
                    let old: Value = serde_json::from_str(&text)
                        .map_err(|e| corrupt(format!("definition of {activity}: {e}")))?;
                    let merged = merge_definition(&old, incoming);
                    if merged == old {
                        w.remember_activity(activity, old);
                        return Ok(());
                    }
                    merged
                }
                None => incoming.clone(),
            }
        }
    };
    let text = serde_json::to_string(&merged).map_err(|e| StoreError::Backend(e.to_string()))?;
    w.conn
        .prepare_cached(
            "INSERT INTO activities (id, definition) VALUES (?1, ?2) \
             ON CONFLICT (id) DO UPDATE SET definition = excluded.definition",
        )
        .map_err(db)?
        .execute(params![activity, text])
        .map_err(db)?;
    w.remember_activity(activity, merged);
    Ok(())
}

const COLUMNS: &str = "s.seq, s.id, s.stored_us, s.voided, s.json, s.attachments";

fn stored_statement(r: &Row<'_>) -> rusqlite::Result<(i64, Vec<u8>, i64, bool, String, String)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn decode(
    (seq, id, stored_us, voided, json, attachments): (i64, Vec<u8>, i64, bool, String, String),
) -> Result<StoredStatement, StoreError> {
    Ok(StoredStatement {
        seq,
        id: uuid_from(&id)?,
        stored: from_micros(stored_us)?,
        voided,
        json,
        attachment_hashes: attachments
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect(),
    })
}

/// Postings counted per key to pick the driving key. Counting stops here, so picking costs at
/// most this many index entries per key whatever the store's size.
const PROBE_LIMIT: i64 = 2000;

/// The largest seq stored at or before `t` (µs), 0 if none.
fn last_seq_at_or_before(conn: &Connection, us: i64) -> Result<i64, StoreError> {
    let seq: Option<i64> = conn
        .prepare_cached("SELECT seq FROM statements WHERE stored_us <= ?1 ORDER BY stored_us DESC, seq DESC LIMIT 1")
        .map_err(db)?
        .query_row([us], |r| r.get(0))
        .optional()
        .map_err(db)?;
    Ok(seq.unwrap_or(0))
}

/// Statements per postings segment, as a power of two. Migration V2 computes `seq >> 14`.
const SEGMENT_BITS: u32 = 14;

/// The postings segment of a statement.
fn segment(seq: i64) -> i64 {
    seq >> SEGMENT_BITS
}

/// The segments holding seqs in `(lo, hi]`, in the query's order.
fn segments(lo: i64, hi: i64, ascending: bool) -> Box<dyn Iterator<Item = i64>> {
    let range = segment(lo.saturating_add(1))..=segment(hi);
    if ascending {
        Box::new(range)
    } else {
        Box::new(range.rev())
    }
}

/// Segments whose postings are counted per key to pick the driving key.
const PROBE_SEGMENTS: usize = 4;

/// Orders the keys of a query so that the first one is the best to walk: the one with the
/// fewest postings in the first segments the walk will visit (counting at most
/// [`PROBE_LIMIT`] per key), the key kind's usual selectivity breaking ties.
fn pick_driving_key(
    tx: &Connection,
    keys: Vec<(u8, i64)>,
    lo: i64,
    hi: i64,
    ascending: bool,
) -> Result<Vec<(u8, i64)>, StoreError> {
    if keys.len() < 2 {
        return Ok(keys);
    }
    let mut count = tx
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM postings \
             WHERE seg = ?1 AND key_id = ?2 AND seq > ?3 AND seq <= ?4 LIMIT ?5)",
        )
        .map_err(db)?;
    let mut sized = Vec::with_capacity(keys.len());
    for (rank, id) in keys {
        let mut n: i64 = 0;
        for seg in segments(lo, hi, ascending).take(PROBE_SEGMENTS) {
            n += count
                .query_row(params![seg, id, lo, hi, PROBE_LIMIT - n], |r| {
                    r.get::<_, i64>(0)
                })
                .map_err(db)?;
            if n >= PROBE_LIMIT {
                break;
            }
        }
        sized.push((n, rank, id));
    }
    sized.sort_unstable();
    Ok(sized.into_iter().map(|(_, rank, id)| (rank, id)).collect())
}

fn query(
    conn: &mut Connection,
    filter: &StatementFilter,
) -> Result<Vec<StoredStatement>, StoreError> {
    if filter.limit == 0 {
        return Ok(Vec::new());
    }
    // One snapshot for the key lookups, the bounds and the walk.
    let tx = conn.transaction().map_err(db)?;

    let mut keys: Vec<(u8, i64)> = Vec::with_capacity(filter.keys.len());
    for k in &filter.keys {
        let id: Option<i64> = tx
            .prepare_cached("SELECT id FROM index_keys WHERE kind = ?1 AND value = ?2")
            .map_err(db)?
            .query_row(params![k.kind.code(), k.value], |r| r.get(0))
            .optional()
            .map_err(db)?;
        // A key never seen cannot match any statement.
        let Some(id) = id else { return Ok(Vec::new()) };
        keys.push((k.kind.selectivity_rank(), id));
    }
    keys.sort_unstable();
    keys.dedup_by_key(|k| k.1);

    // Bounds on seq: `lo` exclusive, `hi` inclusive.
    let (mut lo, mut hi) = filter.seq_bounds();
    // `stored > since` ⇔ seq above the last seq stored at or before `since`;
    // `stored <= until` ⇔ seq at most the last seq stored at or before `until`.
    if let Some(since) = filter.since {
        lo = lo.max(last_seq_at_or_before(&tx, micros(since))?);
    }
    if let Some(until) = filter.until {
        hi = hi.min(last_seq_at_or_before(&tx, micros(until))?);
    }
    if lo >= hi {
        return Ok(Vec::new());
    }

    // Without a cursor `hi` is unbounded: the newest seq bounds the walk over segments.
    let newest: i64 = tx
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM statements")
        .map_err(db)?
        .query_row([], |r| r.get(0))
        .map_err(db)?;
    hi = hi.min(newest);
    if lo >= hi {
        return Ok(Vec::new());
    }
    let limit = usize::try_from(filter.limit).unwrap_or(usize::MAX);
    let order = if filter.ascending { "ASC" } else { "DESC" };

    let keys = pick_driving_key(&tx, keys, lo, hi, filter.ascending)?;
    let Some((&(_, driving), others)) = keys.split_first() else {
        let sql = format!(
            "SELECT {COLUMNS} FROM statements s WHERE s.seq > ?1 AND s.seq <= ?2 AND s.voided = 0 \
             ORDER BY s.seq {order} LIMIT ?3"
        );
        let mut stmt = tx.prepare_cached(&sql).map_err(db)?;
        let rows = stmt
            .query_map(params![lo, hi, limit], stored_statement)
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        return rows.into_iter().map(decode).collect();
    };

    let (sql, values) = keyed_query(driving, others, lo, hi, limit, filter.ascending);
    let mut stmt = tx.prepare_cached(&sql).map_err(db)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(&values), stored_statement)
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    drop(stmt);
    rows.into_iter().map(decode).collect()
}

/// The SQL and parameters of a query on `driving` (plus `others`) over seqs in `(lo, hi]`.
///
/// One statement walks every segment of the range: `segments` is the outer loop, read in the
/// query's order, and the driving key's postings of each segment the inner loop, read in the
/// same order; the other keys are point probes into the same segment. Both loops deliver rows
/// in `seq` order, so SQLite needs no sort and stops at the LIMIT. A segment without postings
/// of the key costs one index seek, with no statement started per segment (that was most of
/// the cost of a key with few postings on a large store).
fn keyed_query(
    driving: i64,
    others: &[(u8, i64)],
    lo: i64,
    hi: i64,
    limit: usize,
    ascending: bool,
) -> (String, Vec<i64>) {
    let order = if ascending { "ASC" } else { "DESC" };
    let mut sql = format!(
        "SELECT {COLUMNS} FROM segments g \
         CROSS JOIN postings d ON d.seg = g.seg AND d.key_id = ?3 AND d.seq > ?4 AND d.seq <= ?5 \
         CROSS JOIN statements s ON s.seq = d.seq \
         WHERE g.seg >= ?1 AND g.seg <= ?2 AND s.voided = 0"
    );
    let mut values: Vec<i64> = vec![
        segment(lo.saturating_add(1)),
        segment(hi),
        driving,
        lo,
        hi,
        i64::try_from(limit).unwrap_or(i64::MAX),
    ];
    for (_, other) in others {
        values.push(*other);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM postings o WHERE o.seg = g.seg AND o.key_id = ?{} AND o.seq = d.seq)",
            values.len()
        ));
    }
    sql.push_str(&format!(" ORDER BY g.seg {order}, d.seq {order} LIMIT ?6"));
    (sql, values)
}

#[async_trait]
impl StatementStore for SqliteStore {
    async fn insert_statements(
        &self,
        statements: Vec<PreparedStatement>,
        attachments: Vec<AttachmentData>,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let batch = statements
            .into_iter()
            .map(stage)
            .collect::<Result<Vec<_>, _>>()?;
        self.writer()
            .write(move |w| insert(w, &batch, &attachments))
            .await
    }

    async fn get_statement(&self, id: Uuid) -> Result<Option<StoredStatement>, StoreError> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM statements s WHERE s.id = ?1"
                ))
                .map_err(db)?
                .query_row([id.as_bytes().as_slice()], stored_statement)
                .optional()
                .map_err(db)?;
            row.map(decode).transpose()
        })
        .await
    }

    async fn query_statements(
        &self,
        filter: &StatementFilter,
    ) -> Result<Vec<StoredStatement>, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| query(conn, &filter)).await
    }

    async fn max_seq(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT coalesce(max(seq), 0) FROM statements")
                .map_err(db)?
                .query_row([], |r| r.get(0))
                .map_err(db)
        })
        .await
    }

    async fn get_attachments(&self, sha2: &[String]) -> Result<Vec<AttachmentData>, StoreError> {
        if sha2.is_empty() {
            return Ok(Vec::new());
        }
        let mut wanted = sha2.to_vec();
        wanted.sort();
        wanted.dedup();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT sha2, content_type, data FROM attachments WHERE sha2 = ?1")
                .map_err(db)?;
            let mut out = Vec::with_capacity(wanted.len());
            for h in &wanted {
                let row = stmt
                    .query_row([h], |r| {
                        Ok(AttachmentData {
                            sha2: r.get(0)?,
                            content_type: r.get(1)?,
                            data: r.get(2)?,
                        })
                    })
                    .optional()
                    .map_err(db)?;
                out.extend(row);
            }
            Ok(out)
        })
        .await
    }

    async fn merge_activity_definitions(
        &self,
        definitions: Vec<(String, Value)>,
    ) -> Result<(), StoreError> {
        if definitions.is_empty() {
            return Ok(());
        }
        self.writer()
            .write(move |w| {
                for (id, definition) in &definitions {
                    merge_activity(w, id, definition)?;
                }
                Ok(())
            })
            .await
    }

    async fn get_activity(&self, activity_id: &str) -> Result<Option<Value>, StoreError> {
        let activity_id = activity_id.to_owned();
        self.read(move |conn| {
            let text: Option<String> = conn
                .prepare_cached("SELECT definition FROM activities WHERE id = ?1")
                .map_err(db)?
                .query_row([&activity_id], |r| r.get(0))
                .optional()
                .map_err(db)?;
            text.map(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| corrupt(format!("definition of {activity_id}: {e}")))
            })
            .transpose()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn migrated(target: Option<i32>) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        let runner = crate::embedded::migrations::runner();
        let runner = match target {
            Some(v) => runner.set_target(refinery::Target::Version(v)),
            None => runner,
        };
        runner.run(&mut conn).unwrap();
        conn
    }

    /// The walk over segments must come out of SQLite in order: a sort would read every
    /// posting of the key before returning the first row.
    #[test]
    fn a_keyed_query_is_one_ordered_walk_without_a_sort() {
        let conn = migrated(None);
        for others in [vec![], vec![(2, 7)], vec![(2, 7), (3, 8)]] {
            for ascending in [false, true] {
                let (sql, values) = keyed_query(5, &others, 0, 100_000, 100, ascending);
                let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
                let plan: Vec<String> = stmt
                    .query_map(rusqlite::params_from_iter(&values), |r| r.get(3))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                let plan = plan.join("\n");
                assert!(!plan.contains("TEMP B-TREE"), "{plan}");
                assert!(
                    plan.contains("SEARCH g USING INTEGER PRIMARY KEY"),
                    "{plan}"
                );
                assert!(
                    plan.contains(
                        "SEARCH d USING PRIMARY KEY (seg=? AND key_id=? AND seq>? AND seq<?)"
                    ),
                    "{plan}"
                );
                assert!(
                    plan.contains("SEARCH s USING INTEGER PRIMARY KEY (rowid=?)"),
                    "{plan}"
                );
            }
        }
    }

    #[test]
    fn the_migration_lists_the_segments_of_a_store_that_has_statements() {
        let conn = migrated(Some(7));
        for seq in [1_i64, 20_000, 40_000] {
            conn.execute(
                "INSERT INTO statements (seq, id, stored_us, hash, json) VALUES (?1, ?2, 0, '', '{}')",
                params![seq, seq.to_be_bytes().to_vec()],
            )
            .unwrap();
        }
        let mut conn = conn;
        crate::embedded::migrations::runner()
            .run(&mut conn)
            .unwrap();
        let segs: Vec<i64> = conn
            .prepare("SELECT seg FROM segments ORDER BY seg")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(segs, vec![0, 1, 2]);
    }
}
