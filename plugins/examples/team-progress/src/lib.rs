//! An example plugin that reads the directory: what the people of an org unit have
//! completed, for their manager.
//!
//! `GET /units/{org-unit}` answers, for each person of the unit, the activities they
//! completed (newest first, as the LRS has them), found by their e-mail address:
//!
//! ```json
//! [{"id": "e1001", "name": "Kari", "completed": [{"activity": "https://…", "at": "…"}]}]
//! ```
//!
//! It subscribes to no statements and keeps nothing: it asks the host each time, with the
//! `directory` and `query-statements` capabilities.

use lara_plugin_sdk::{
    Capability, Description, Guest, HttpRequest, HttpResponse, StatementFilter, StoredStatement,
    host, json, text,
};
use serde_json::{Value, json};

const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";

struct TeamProgress;

/// The completions of one person, by e-mail address.
fn completions(email: &str) -> Result<Vec<Value>, String> {
    let filter = StatementFilter {
        agent: Some(json!({"mbox": format!("mailto:{email}")}).to_string()),
        verb: Some(COMPLETED.to_owned()),
        limit: 100,
        ascending: false,
        ..lara_plugin_sdk::every_statement()
    };
    let found = host::query_statements(&filter).map_err(|e| format!("{e:?}"))?;
    Ok(found
        .iter()
        .filter_map(|s| {
            let v: Value = serde_json::from_str(&s.json).ok()?;
            Some(json!({
                "activity": v.pointer("/object/id")?,
                "at": v.get("timestamp").cloned().unwrap_or(Value::Null),
            }))
        })
        .collect())
}

fn unit(org_unit: &str) -> Result<Value, String> {
    let people = host::people(Some(org_unit)).map_err(|e| format!("{e:?}"))?;
    let mut out = Vec::with_capacity(people.len());
    for p in people {
        let completed = match &p.email {
            Some(email) => completions(email)?,
            None => Vec::new(),
        };
        out.push(json!({"id": p.id, "name": p.name, "manager": p.manager, "completed": completed}));
    }
    Ok(Value::Array(out))
}

impl Guest for TeamProgress {
    fn describe() -> Description {
        Description {
            routes: vec![lara_plugin_sdk::route("GET", "/units/*")],
            capabilities: vec![Capability::Directory, Capability::QueryStatements],
            ..lara_plugin_sdk::description("team-progress", "0.1.0")
        }
    }

    fn on_statements(_batch: Vec<StoredStatement>) -> Result<(), String> {
        Ok(())
    }

    fn handle_request(request: HttpRequest) -> HttpResponse {
        match request.path.strip_prefix("/units/") {
            Some(org_unit) if !org_unit.is_empty() && !org_unit.contains('/') => {
                match unit(org_unit) {
                    Ok(v) => json(200, &v.to_string()),
                    Err(e) if e.contains("NotPermitted") => text(403, &e),
                    Err(e) => text(500, &e),
                }
            }
            _ => text(404, "GET /units/{org-unit}"),
        }
    }

    fn on_schedule(_now: String) -> Result<(), String> {
        Ok(())
    }
}

lara_plugin_sdk::export_plugin!(TeamProgress);
