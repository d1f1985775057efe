//! GET /statements parameters, their rules, and the `more` cursor.
//!
//! A cursor is self-contained (the query's parameters, the last `seq` returned and the largest
//! `seq` visible when the first page was read), so any node can continue any query and pages
//! never shift when statements arrive meanwhile.

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use xapi_model::{XapiVersion, ifi, time, validate};

use crate::error::LrsError;
use crate::store::{IndexKey, IndexKind, StatementFilter};

/// Most statements one page returns; also what `limit=0` means.
pub const MAX_LIMIT: u32 = 1000;
/// Page size when no `limit` is given.
pub const DEFAULT_LIMIT: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Exact,
    Ids,
    Canonical,
}

/// A parsed GET /statements request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementRequest {
    /// `statementId` (voided = false) or `voidedStatementId` (voided = true).
    Single {
        id: Uuid,
        voided: bool,
        format: Format,
        attachments: bool,
    },
    Query(StatementQuery),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementQuery {
    pub filter: StatementFilter,
    pub format: Format,
    pub attachments: bool,
    /// The filter parameters as given, to carry in the `more` cursor.
    pub params: BTreeMap<String, String>,
}

const SINGLE_PARAMS: [&str; 2] = ["statementId", "voidedStatementId"];
const QUERY_PARAMS: [&str; 13] = [
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "more",
];

/// Parses the query parameters of GET /statements (duplicates already rejected by the caller).
pub fn parse(
    params: &BTreeMap<String, String>,
    version: XapiVersion,
) -> Result<StatementRequest, LrsError> {
    for k in params.keys() {
        if !SINGLE_PARAMS.contains(&k.as_str()) && !QUERY_PARAMS.contains(&k.as_str()) {
            return Err(LrsError::invalid(
                k.clone(),
                "is not a parameter of the statements resource",
            ));
        }
    }
    let format = parse_format(params.get("format"))?;
    let attachments = parse_bool(params, "attachments")?.unwrap_or(false);

    let single = SINGLE_PARAMS
        .iter()
        .find_map(|k| params.get(*k).map(|v| (*k, v)));
    if let Some((name, value)) = single {
        if let Some(other) = params
            .keys()
            .find(|k| !matches!(k.as_str(), "format" | "attachments") && *k != name)
        {
            return Err(LrsError::invalid(
                other.clone(),
                format!("cannot be combined with {name} (only format and attachments can)"),
            ));
        }
        let id = Uuid::parse_str(value).map_err(|_| LrsError::invalid(name, "must be a UUID"))?;
        return Ok(StatementRequest::Single {
            id,
            voided: name == "voidedStatementId",
            format,
            attachments,
        });
    }
    if let Some(token) = params.get("more") {
        if params.len() > 1 {
            return Err(LrsError::invalid(
                "more",
                "a more token carries the whole query; send it alone",
            ));
        }
        return decode_cursor(token, version);
    }
    parse_query(params.clone(), version, None, None).map(StatementRequest::Query)
}

fn parse_query(
    params: BTreeMap<String, String>,
    version: XapiVersion,
    after_seq: Option<i64>,
    max_seq: Option<i64>,
) -> Result<StatementQuery, LrsError> {
    let related_agents = parse_bool(&params, "related_agents")?.unwrap_or(false);
    let related_activities = parse_bool(&params, "related_activities")?.unwrap_or(false);
    let mut keys = Vec::new();
    if let Some(a) = params.get("agent") {
        let v = parse_agent_param(a, version, true)?;
        let key = ifi::ifi_key(&v)
            .ok_or_else(|| LrsError::invalid("agent", "must identify an Agent or Group"))?;
        let kind = if related_agents {
            IndexKind::AgentRelated
        } else {
            IndexKind::Agent
        };
        keys.push(IndexKey { kind, value: key });
    }
    if let Some(v) = params.get("verb") {
        if !validate::is_iri(v) {
            return Err(LrsError::invalid("verb", "must be an IRI"));
        }
        keys.push(IndexKey {
            kind: IndexKind::Verb,
            value: v.clone(),
        });
    }
    if let Some(a) = params.get("activity") {
        if !validate::is_iri(a) {
            return Err(LrsError::invalid("activity", "must be an IRI"));
        }
        let kind = if related_activities {
            IndexKind::ActivityRelated
        } else {
            IndexKind::Activity
        };
        keys.push(IndexKey {
            kind,
            value: a.clone(),
        });
    }
    if let Some(r) = params.get("registration") {
        let u =
            Uuid::parse_str(r).map_err(|_| LrsError::invalid("registration", "must be a UUID"))?;
        keys.push(IndexKey {
            kind: IndexKind::Registration,
            value: u.to_string(),
        });
    }
    let since = parse_time(&params, "since", version)?;
    let until = parse_time(&params, "until", version)?;
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<u32>() {
            Ok(0) => MAX_LIMIT,
            Ok(n) => n.min(MAX_LIMIT),
            Err(_) => return Err(LrsError::invalid("limit", "must be a non-negative integer")),
        },
    };
    let ascending = parse_bool(&params, "ascending")?.unwrap_or(false);
    let format = parse_format(params.get("format"))?;
    let attachments = parse_bool(&params, "attachments")?.unwrap_or(false);
    Ok(StatementQuery {
        filter: StatementFilter {
            keys,
            since,
            until,
            ascending,
            after_seq,
            max_seq,
            limit,
        },
        format,
        attachments,
        params,
    })
}

/// Parses and validates the JSON `agent` parameter of the statement, state, agent profile and
/// agents resources; problems are reported under `agent`.
pub fn parse_agent_param(
    raw: &str,
    version: XapiVersion,
    allow_group: bool,
) -> Result<Value, LrsError> {
    let v: Value = serde_json::from_str(raw)
        .map_err(|e| LrsError::invalid("agent", format!("is not JSON: {e}")))?;
    let problems = validate::validate_agent_param(&v, version, allow_group);
    if !problems.is_empty() {
        return Err(LrsError::Invalid(
            problems
                .into_iter()
                .map(|p| {
                    let path = if p.path.is_empty() {
                        "agent".to_owned()
                    } else {
                        format!("agent.{}", p.path)
                    };
                    xapi_model::Problem::new(path, p.message)
                })
                .collect(),
        ));
    }
    Ok(v)
}

fn parse_format(v: Option<&String>) -> Result<Format, LrsError> {
    match v.map(String::as_str) {
        None | Some("exact") => Ok(Format::Exact),
        Some("ids") => Ok(Format::Ids),
        Some("canonical") => Ok(Format::Canonical),
        Some(_) => Err(LrsError::invalid(
            "format",
            "must be ids, exact or canonical",
        )),
    }
}

fn parse_bool(params: &BTreeMap<String, String>, name: &str) -> Result<Option<bool>, LrsError> {
    match params.get(name).map(String::as_str) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(LrsError::invalid(name, "must be true or false")),
    }
}

fn parse_time(
    params: &BTreeMap<String, String>,
    name: &str,
    version: XapiVersion,
) -> Result<Option<DateTime<Utc>>, LrsError> {
    params
        .get(name)
        .map(|s| time::parse_timestamp(s, version).map_err(|m| LrsError::invalid(name, m)))
        .transpose()
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    p: BTreeMap<String, String>,
    a: i64,
    m: i64,
}

/// The `more` token continuing `query` after the row with `last_seq`.
pub fn encode_cursor(query: &StatementQuery, last_seq: i64, max_seq: i64) -> String {
    let c = Cursor {
        p: query.params.clone(),
        a: last_seq,
        m: max_seq,
    };
    let json = serde_json::to_vec(&c).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode_cursor(token: &str, version: XapiVersion) -> Result<StatementRequest, LrsError> {
    let bad = || LrsError::invalid("more", "is not a more token issued by this LRS");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let c: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if c.p.contains_key("more") {
        return Err(bad());
    }
    parse_query(c.p, version, Some(c.a), Some(c.m)).map(StatementRequest::Query)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn statement_id_cannot_be_combined_with_filters() {
        let id = Uuid::new_v4().to_string();
        let err = parse(
            &params(&[("statementId", &id), ("verb", "http://v")]),
            XapiVersion::V1_0_3,
        );
        assert!(matches!(err, Err(LrsError::Invalid(_))));
        let ok = parse(
            &params(&[("statementId", &id), ("format", "ids")]),
            XapiVersion::V1_0_3,
        )
        .unwrap();
        assert!(matches!(
            ok,
            StatementRequest::Single {
                voided: false,
                format: Format::Ids,
                ..
            }
        ));
    }

    #[test]
    fn unknown_parameters_are_rejected() {
        assert!(parse(&params(&[("foo", "1")]), XapiVersion::V1_0_3).is_err());
    }

    #[test]
    fn limit_zero_means_server_maximum() {
        let StatementRequest::Query(q) =
            parse(&params(&[("limit", "0")]), XapiVersion::V1_0_3).unwrap()
        else {
            panic!("expected a query")
        };
        assert_eq!(q.filter.limit, MAX_LIMIT);
    }

    #[test]
    fn cursor_round_trips() {
        let StatementRequest::Query(q) = parse(
            &params(&[("verb", "http://example.com/v"), ("limit", "2")]),
            XapiVersion::V1_0_3,
        )
        .unwrap() else {
            panic!("expected a query")
        };
        let token = encode_cursor(&q, 42, 99);
        let StatementRequest::Query(next) =
            parse(&params(&[("more", &token)]), XapiVersion::V1_0_3).unwrap()
        else {
            panic!("expected a query")
        };
        assert_eq!(next.filter.after_seq, Some(42));
        assert_eq!(next.filter.max_seq, Some(99));
        assert_eq!(next.filter.keys, q.filter.keys);
    }

    #[test]
    fn forged_cursor_is_rejected() {
        assert!(parse(&params(&[("more", "not-a-token")]), XapiVersion::V1_0_3).is_err());
    }
}
