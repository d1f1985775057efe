//! Certification rules, as a Lara plugin.
//!
//! An administrator defines a certificate over the plugin's JSON API: the activities to
//! complete (successfully, where a result says so), the window they must all fall in, and how
//! long the certificate is valid. The plugin follows `completed` and `passed` statements,
//! emits `earned` (with the `valid-until` result extension) when a person qualifies, emits
//! `expired` when the validity runs out (on its schedule), and answers who holds what.
//!
//! Routes (under `/plugins/certification`):
//! - `PUT /certificates/{id}` with `{"name", "activities": [IRI...], "withinDays", "validMonths"}`;
//! - `GET /certificates/{id}`: the rule;
//! - `GET /certificates/{id}/holders`: who holds it now;
//! - `GET /holdings`: every holding, current or expired.
//!
//! Everything it knows is kept in its documents (`cert/…`, `progress/…`, `held/…`): a plugin
//! keeps nothing in memory between calls.

use chrono::{DateTime, Duration, Months, SecondsFormat, Utc};
use lara_plugin_sdk::{
    Capability, Description, Guest, HttpRequest, HttpResponse, Level, StatementFilter,
    StoredStatement, host, json, text,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Verb and extension of an earned certificate (the Tin Can registry's).
pub const EARNED: &str = "http://id.tincanapi.com/verb/earned";
pub const VALID_UNTIL: &str = "http://id.tincanapi.com/extension/valid-until";
/// Lara's verb for a certificate whose validity ran out.
pub const EXPIRED: &str = "urn:lara:verb:expired";
const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";

/// A certificate rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    pub activities: Vec<String>,
    pub within_days: u32,
    pub valid_months: u32,
}

/// A person's holding of a certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Holding {
    certificate: String,
    actor: Value,
    earned: String,
    valid_until: String,
    expired: bool,
}

/// When a person last completed each activity: activity → timestamp.
type Progress = std::collections::BTreeMap<String, String>;

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A key for a person: the actor's inverse functional identifier.
fn person_key(actor: &Value) -> Option<String> {
    if let Some(m) = actor.get("mbox").and_then(Value::as_str) {
        return Some(format!("mbox:{}", m.to_lowercase()));
    }
    if let Some(s) = actor.get("mbox_sha1sum").and_then(Value::as_str) {
        return Some(format!("sha1:{s}"));
    }
    if let Some(o) = actor.get("openid").and_then(Value::as_str) {
        return Some(format!("openid:{o}"));
    }
    let account = actor.get("account")?;
    Some(format!(
        "account:{}|{}",
        account.get("homePage")?.as_str()?,
        account.get("name")?.as_str()?
    ))
}

fn get_json<T: for<'de> Deserialize<'de>>(id: &str) -> Result<Option<(T, String)>, String> {
    match host::get_document(id).map_err(|e| format!("{e:?}"))? {
        Some(doc) => serde_json::from_slice(&doc.content)
            .map(|v| Some((v, doc.etag)))
            .map_err(|e| format!("document {id}: {e}")),
        None => Ok(None),
    }
}

fn put_json<T: Serialize>(id: &str, value: &T, etag: Option<String>) -> Result<(), String> {
    let body = serde_json::to_vec(value).map_err(|e| e.to_string())?;
    host::put_document(id, "application/json", &body, etag.as_deref())
        .map(drop)
        .map_err(|e| format!("{e:?}"))
}

/// The certificate's activity id.
fn certificate_iri(id: &str) -> String {
    format!("urn:lara:certificate:{id}")
}

/// Whether the person qualifies now for `rule`: every activity done, all within the window.
/// Returns the latest completion time (the certificate's date) if so.
fn qualifies(rule: &Rule, progress: &Progress) -> Option<DateTime<Utc>> {
    let times: Option<Vec<DateTime<Utc>>> = rule
        .activities
        .iter()
        .map(|a| progress.get(a).and_then(|t| parse_time(t)))
        .collect();
    let times = times?;
    let first = *times.iter().min()?;
    let last = *times.iter().max()?;
    (last - first <= Duration::days(i64::from(rule.within_days))).then_some(last)
}

fn statement(
    actor: &Value,
    verb: &str,
    certificate: &str,
    name: &str,
    result: Value,
    at: &str,
) -> String {
    json!({
        "actor": actor,
        "verb": {"id": verb, "display": {"en-US": if verb == EARNED { "earned" } else { "expired" }}},
        "object": {
            "objectType": "Activity",
            "id": certificate_iri(certificate),
            "definition": {
                "name": {"en-US": name},
                "type": "https://w3id.org/xapi/tla/activity-types/credential",
            },
        },
        "result": result,
        "timestamp": at,
    })
    .to_string()
}

/// Records a qualifying statement and grants what it completes.
fn follow(s: &StoredStatement) -> Result<(), String> {
    let v: Value = serde_json::from_str(&s.json).map_err(|e| e.to_string())?;
    let verb = v
        .pointer("/verb/id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if verb != COMPLETED && verb != PASSED {
        return Ok(());
    }
    if v.pointer("/result/success") == Some(&Value::Bool(false)) {
        return Ok(());
    }
    let (Some(actor), Some(activity)) = (
        v.get("actor"),
        v.pointer("/object/id").and_then(Value::as_str),
    ) else {
        return Ok(());
    };
    let Some(person) = person_key(actor) else {
        return Ok(());
    };
    let at = v
        .get("timestamp")
        .and_then(Value::as_str)
        .unwrap_or(&s.stored)
        .to_owned();
    let progress_id = format!("progress/{person}");
    let (mut progress, etag) = get_json::<Progress>(&progress_id)?.unwrap_or_default();
    let newer = progress
        .get(activity)
        .and_then(|t| parse_time(t))
        .is_none_or(|old| parse_time(&at).is_some_and(|new| new > old));
    if newer {
        progress.insert(activity.to_owned(), at.clone());
        put_json(&progress_id, &progress, (!etag.is_empty()).then_some(etag))?;
    }
    for cert_doc in host::list_documents("cert/").map_err(|e| format!("{e:?}"))? {
        let Some(id) = cert_doc.strip_prefix("cert/") else {
            continue;
        };
        let Some((rule, _)) = get_json::<Rule>(&cert_doc)? else {
            continue;
        };
        if !rule.activities.iter().any(|a| a == activity) {
            continue;
        }
        let Some(date) = qualifies(&rule, &progress) else {
            continue;
        };
        let held_id = format!("held/{id}/{person}");
        let current = get_json::<Holding>(&held_id)?;
        if let Some((h, _)) = &current
            && !h.expired
            && parse_time(&h.earned).is_some_and(|e| e >= date)
        {
            continue;
        }
        let valid_until = date
            .checked_add_months(Months::new(rule.valid_months))
            .unwrap_or(date);
        let holding = Holding {
            certificate: id.to_owned(),
            actor: actor.clone(),
            earned: format_time(date),
            valid_until: format_time(valid_until),
            expired: false,
        };
        host::emit_statements(&[statement(
            actor,
            EARNED,
            id,
            &rule.name,
            json!({"success": true, "completion": true, "extensions": {VALID_UNTIL: holding.valid_until}}),
            &holding.earned,
        )])
        .map_err(|e| format!("{e:?}"))?;
        put_json(&held_id, &holding, current.map(|(_, etag)| etag))?;
        lara_plugin_sdk::log(Level::Info, &format!("{person} earned {id}"));
    }
    Ok(())
}

fn holdings(prefix: &str) -> Result<Vec<Holding>, String> {
    let mut out = Vec::new();
    for id in host::list_documents(prefix).map_err(|e| format!("{e:?}"))? {
        if let Some((h, _)) = get_json::<Holding>(&id)? {
            out.push(h);
        }
    }
    Ok(out)
}

fn respond(result: Result<HttpResponse, String>) -> HttpResponse {
    result.unwrap_or_else(|e| text(500, &e))
}

struct Certification;

impl Guest for Certification {
    fn describe() -> Description {
        let verb = |v: &str| StatementFilter {
            verb: Some(v.to_owned()),
            ..lara_plugin_sdk::every_statement()
        };
        Description {
            routes: vec![
                lara_plugin_sdk::route("*", "/certificates/*"),
                lara_plugin_sdk::route("GET", "/holdings"),
            ],
            subscriptions: vec![verb(COMPLETED), verb(PASSED)],
            capabilities: vec![Capability::EmitStatements, Capability::Documents],
            schedule_seconds: Some(3600),
            ..lara_plugin_sdk::description("certification", "0.1.0")
        }
    }

    fn on_statements(batch: Vec<StoredStatement>) -> Result<(), String> {
        batch.iter().try_for_each(follow)
    }

    fn handle_request(request: HttpRequest) -> HttpResponse {
        let parts: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        respond(match (request.method.as_str(), parts.as_slice()) {
            ("PUT", ["certificates", id]) => match serde_json::from_slice::<Rule>(&request.body) {
                Ok(rule) if !rule.activities.is_empty() => {
                    put_json(&format!("cert/{id}"), &rule, None).map(|()| text(204, ""))
                }
                Ok(_) => Ok(text(400, "activities: at least one is needed")),
                Err(e) => Ok(text(400, &format!("not a certificate rule: {e}"))),
            },
            ("GET", ["certificates", id]) => {
                get_json::<Rule>(&format!("cert/{id}")).map(|r| match r {
                    Some((rule, _)) => json(200, &serde_json::to_string(&rule).unwrap_or_default()),
                    None => text(404, "no such certificate"),
                })
            }
            ("GET", ["certificates", id, "holders"]) => {
                let now = parse_time(&host::now()).unwrap_or(DateTime::<Utc>::MIN_UTC);
                holdings(&format!("held/{id}/")).map(|list| {
                    let current: Vec<&Holding> = list
                        .iter()
                        .filter(|h| {
                            !h.expired && parse_time(&h.valid_until).is_some_and(|u| u > now)
                        })
                        .collect();
                    json(200, &serde_json::to_string(&current).unwrap_or_default())
                })
            }
            ("GET", ["holdings"]) => holdings("held/")
                .map(|list| json(200, &serde_json::to_string(&list).unwrap_or_default())),
            _ => Ok(text(404, "no such route")),
        })
    }

    fn on_schedule(now: String) -> Result<(), String> {
        let Some(now_t) = parse_time(&now) else {
            return Err(format!("not a time: {now}"));
        };
        for id in host::list_documents("held/").map_err(|e| format!("{e:?}"))? {
            let Some((mut h, etag)) = get_json::<Holding>(&id)? else {
                continue;
            };
            if h.expired || parse_time(&h.valid_until).is_none_or(|u| u > now_t) {
                continue;
            }
            let name = get_json::<Rule>(&format!("cert/{}", h.certificate))?
                .map(|(r, _)| r.name)
                .unwrap_or_else(|| h.certificate.clone());
            host::emit_statements(&[statement(
                &h.actor,
                EXPIRED,
                &h.certificate,
                &name,
                json!({}),
                &h.valid_until,
            )])
            .map_err(|e| format!("{e:?}"))?;
            h.expired = true;
            put_json(&id, &h, Some(etag))?;
        }
        Ok(())
    }
}

lara_plugin_sdk::export_plugin!(Certification);
