//! From client statements to [`PreparedStatement`]s.
//!
//! Order of work for a request: validate every statement (collecting every problem with its
//! `statement[i]` path), check attachments against the parts received, then complete each
//! statement with the properties the LRS owns (`id`, `stored`, `authority`, `version`,
//! `timestamp`) and compute its index entries. Nothing is stored here.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use xapi_model::{Problem, XapiVersion, compare, ifi, signature, time, validate};

use crate::error::LrsError;
use crate::store::{AttachmentData, IndexKey, IndexKind, PreparedStatement};

/// An attachment part of a `multipart/mixed` request.
#[derive(Debug, Clone)]
pub struct IncomingAttachment {
    pub content_type: String,
    /// The `X-Experience-API-Hash` header of the part.
    pub declared_sha2: String,
    pub data: Vec<u8>,
}

/// The caller and clock of a write.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub version: XapiVersion,
    pub authority: Value,
    pub now: DateTime<Utc>,
}

/// Validates and prepares a batch. `statements` is the request body already parsed as JSON
/// (one statement or an array). Returns the prepared statements in request order and the
/// attachment data to store.
pub fn prepare_batch(
    statements: Vec<Value>,
    attachments: Vec<IncomingAttachment>,
    ctx: &WriteContext,
) -> Result<(Vec<PreparedStatement>, Vec<AttachmentData>), LrsError> {
    let single = statements.len() == 1;
    let prefix = |i: usize| {
        if single {
            "statement".to_owned()
        } else {
            format!("statement[{i}]")
        }
    };

    let mut problems: Vec<Problem> = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        problems.extend(validate::validate_statement(s, ctx.version, &prefix(i)));
    }
    if !problems.is_empty() {
        return Err(LrsError::Invalid(problems));
    }

    let parts = check_parts(&statements, attachments, &prefix)?;

    let mut seen_ids: HashSet<Uuid> = HashSet::new();
    let mut prepared = Vec::with_capacity(statements.len());
    for (i, s) in statements.into_iter().enumerate() {
        let p = prepare_one(s, ctx, &prefix(i), &parts)?;
        if !seen_ids.insert(p.id) {
            return Err(LrsError::invalid(
                format!("{}.id", prefix(i)),
                format!("statement id {} appears more than once in the batch", p.id),
            ));
        }
        prepared.push(p);
    }
    let data = parts.into_values().collect();
    Ok((prepared, data))
}

/// Matches multipart parts to the attachments the statements declare: every part must be
/// declared by some statement and carry its true SHA-256; every declared attachment without a
/// `fileUrl` must have a part.
fn check_parts(
    statements: &[Value],
    attachments: Vec<IncomingAttachment>,
    prefix: &dyn Fn(usize) -> String,
) -> Result<HashMap<String, AttachmentData>, LrsError> {
    let mut parts: HashMap<String, AttachmentData> = HashMap::new();
    for (n, part) in attachments.into_iter().enumerate() {
        let actual = hex::encode(Sha256::digest(&part.data));
        if !actual.eq_ignore_ascii_case(part.declared_sha2.trim()) {
            return Err(LrsError::invalid(
                format!("attachment part {}", n + 1),
                format!(
                    "X-Experience-API-Hash {} does not match the SHA-256 of the part ({actual})",
                    part.declared_sha2
                ),
            ));
        }
        parts.insert(
            actual.clone(),
            AttachmentData {
                sha2: actual,
                content_type: part.content_type,
                data: part.data,
            },
        );
    }

    let mut declared: HashSet<String> = HashSet::new();
    let mut problems = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        for (j, a) in attachment_list(s).iter().enumerate() {
            let sha2 = a
                .get("sha2")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase();
            declared.insert(sha2.clone());
            let has_url = a.get("fileUrl").is_some();
            if !has_url && !parts.contains_key(&sha2) {
                problems.push(Problem::new(
                    format!("{}.attachments[{j}].sha2", prefix(i)),
                    "no attachment part with this SHA-256 was sent and the attachment has no fileUrl",
                ));
            }
        }
    }
    for sha2 in parts.keys() {
        if !declared.contains(sha2) {
            problems.push(Problem::new(
                "attachments",
                format!("the part with SHA-256 {sha2} is not declared by any statement"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(LrsError::Invalid(problems));
    }
    Ok(parts)
}

fn attachment_list(s: &Value) -> &[Value] {
    s.get("attachments")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn prepare_one(
    received: Value,
    ctx: &WriteContext,
    prefix: &str,
    parts: &HashMap<String, AttachmentData>,
) -> Result<PreparedStatement, LrsError> {
    // Signatures and the comparison hash concern the statement exactly as received.
    verify_signatures(&received, prefix, parts)?;
    let comparison_hash = compare::comparison_hash(&received);
    let mut obj: Map<String, Value> = match received {
        Value::Object(map) => map,
        _ => Map::new(),
    };

    let id = match obj.get("id").and_then(Value::as_str) {
        Some(s) => Uuid::parse_str(s)
            .map_err(|_| LrsError::invalid(format!("{prefix}.id"), "must be a UUID"))?,
        None => Uuid::new_v4(),
    };

    let stored = ctx.now;
    let timestamp = match obj.get("timestamp").and_then(Value::as_str) {
        Some(ts) => {
            let t = time::parse_timestamp(ts, ctx.version)
                .map_err(|m| LrsError::invalid(format!("{prefix}.timestamp"), m))?;
            if ctx.version == XapiVersion::V2_0_0 {
                obj.insert(
                    "timestamp".into(),
                    Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
                );
            }
            t
        }
        None => {
            obj.insert(
                "timestamp".into(),
                Value::String(time::format_timestamp(stored)),
            );
            stored
        }
    };
    normalize_context_activities(&mut obj);
    obj.insert("id".into(), Value::String(id.to_string()));
    obj.insert(
        "stored".into(),
        Value::String(time::format_timestamp(stored)),
    );
    obj.insert("authority".into(), ctx.authority.clone());
    if !obj.contains_key("version") {
        let v = match ctx.version {
            XapiVersion::V1_0_3 => "1.0.0",
            XapiVersion::V2_0_0 => "2.0.0",
        };
        obj.insert("version".into(), Value::String(v.into()));
    }
    let json = Value::Object(obj);

    let verb_id = json
        .pointer("/verb/id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let object = json.get("object");
    let references = object
        .filter(|o| o.get("objectType").and_then(Value::as_str) == Some("StatementRef"))
        .and_then(|o| o.get("id"))
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok());
    let voids = references.filter(|_| verb_id == xapi_model::VOIDED_VERB);

    let mut index = BTreeSet::new();
    let mut activities = Vec::new();
    collect_index(&json, true, &mut index, &mut activities);
    index.insert(IndexKey {
        kind: IndexKind::Verb,
        value: verb_id.clone(),
    });
    if let Some(reg) = json
        .pointer("/context/registration")
        .and_then(Value::as_str)
        && let Ok(u) = Uuid::parse_str(reg)
    {
        index.insert(IndexKey {
            kind: IndexKind::Registration,
            value: u.to_string(),
        });
    }
    if let Some(k) = json.get("authority").and_then(ifi::ifi_key) {
        index.insert(IndexKey {
            kind: IndexKind::AgentRelated,
            value: k.clone(),
        });
        index.insert(IndexKey {
            kind: IndexKind::Authority,
            value: k,
        });
    }

    let attachment_hashes = attachment_list(&json)
        .iter()
        .filter_map(|a| a.get("sha2").and_then(Value::as_str))
        .map(str::to_ascii_lowercase)
        .filter(|h| parts.contains_key(h))
        .collect();

    Ok(PreparedStatement {
        id,
        stored,
        timestamp,
        json,
        comparison_hash,
        verb_id,
        voids,
        references,
        index: index.into_iter().collect(),
        activities,
        attachment_hashes,
    })
}

/// xAPI lets a client send a single context activity as an object; the LRS returns every
/// context activity list as an array.
fn normalize_context_activities(statement: &mut Map<String, Value>) {
    if let Some(Value::Object(sub)) = statement.get_mut("object")
        && sub.get("objectType").and_then(Value::as_str) == Some("SubStatement")
    {
        normalize_context_activities(sub);
    }
    let Some(Value::Object(ctx)) = statement.get_mut("context") else {
        return;
    };
    let Some(Value::Object(lists)) = ctx.get_mut("contextActivities") else {
        return;
    };
    for list in lists.values_mut() {
        if list.is_object() {
            let single = list.take();
            *list = Value::Array(vec![single]);
        }
    }
}

fn verify_signatures(
    received: &Value,
    prefix: &str,
    parts: &HashMap<String, AttachmentData>,
) -> Result<(), LrsError> {
    for (j, a) in attachment_list(received).iter().enumerate() {
        if a.get("usageType").and_then(Value::as_str) != Some(xapi_model::SIGNATURE_USAGE_TYPE) {
            continue;
        }
        let path = format!("{prefix}.attachments[{j}]");
        let sha2 = a
            .get("sha2")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(part) = parts.get(&sha2) else {
            return Err(LrsError::invalid(
                path,
                "a signature attachment must be sent as a part, not by fileUrl",
            ));
        };
        let ct = a
            .get("contentType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if ct != "application/octet-stream" {
            return Err(LrsError::invalid(
                format!("{path}.contentType"),
                "a signature attachment must have contentType application/octet-stream",
            ));
        }
        signature::verify_signed_statement(received, &part.data)
            .map_err(|e| LrsError::invalid(path, e.to_string()))?;
    }
    Ok(())
}

/// Walks a statement (or sub-statement) and records agents and activities.
fn collect_index(
    s: &Value,
    top: bool,
    index: &mut BTreeSet<IndexKey>,
    activities: &mut Vec<(String, Value)>,
) {
    if let Some(actor) = s.get("actor") {
        add_agent(actor, top, index);
    }
    if let Some(object) = s.get("object") {
        match object
            .get("objectType")
            .and_then(Value::as_str)
            .unwrap_or("Activity")
        {
            "Agent" | "Group" => add_agent(object, top, index),
            "SubStatement" => collect_index(object, false, index, activities),
            "StatementRef" => {}
            _ => add_activity(object, top, index, activities),
        }
    }
    if let Some(ctx) = s.get("context") {
        for key in ["instructor", "team"] {
            if let Some(a) = ctx.get(key) {
                add_agent(a, false, index);
            }
        }
        if let Some(ca) = ctx.get("contextActivities").and_then(Value::as_object) {
            for list in ca.values() {
                match list {
                    Value::Array(items) => {
                        for a in items {
                            add_activity(a, false, index, activities);
                        }
                    }
                    Value::Object(_) => add_activity(list, false, index, activities),
                    _ => {}
                }
            }
        }
        for (key, field) in [("contextAgents", "agent"), ("contextGroups", "group")] {
            for entry in ctx
                .get(key)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                if let Some(a) = entry.get(field) {
                    add_agent(a, false, index);
                }
            }
        }
    }
}

fn add_agent(agent: &Value, direct: bool, index: &mut BTreeSet<IndexKey>) {
    if let Some(k) = ifi::ifi_key(agent) {
        if direct {
            index.insert(IndexKey {
                kind: IndexKind::Agent,
                value: k.clone(),
            });
        }
        index.insert(IndexKey {
            kind: IndexKind::AgentRelated,
            value: k,
        });
    }
    for m in agent
        .get("member")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        if let Some(k) = ifi::ifi_key(m) {
            index.insert(IndexKey {
                kind: IndexKind::AgentRelated,
                value: k,
            });
        }
    }
}

fn add_activity(
    activity: &Value,
    direct: bool,
    index: &mut BTreeSet<IndexKey>,
    activities: &mut Vec<(String, Value)>,
) {
    let Some(id) = activity.get("id").and_then(Value::as_str) else {
        return;
    };
    if direct {
        index.insert(IndexKey {
            kind: IndexKind::Activity,
            value: id.to_owned(),
        });
    }
    index.insert(IndexKey {
        kind: IndexKind::ActivityRelated,
        value: id.to_owned(),
    });
    if let Some(def) = activity.get("definition") {
        activities.push((id.to_owned(), def.clone()));
    }
}
