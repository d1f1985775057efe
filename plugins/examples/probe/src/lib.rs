//! A plugin that exercises the host for Lara's tests, written with `lara-plugin-sdk`.
//!
//! It declares the `documents` and `emit-statements` capabilities (not `directory`) and
//! subscribes to every statement. Given statements, it
//! - appends their ids, in the order given, to its document `received` (when it has the
//!   `documents` capability; without it, it still accepts the batch);
//! - refuses the batch if one has the verb `urn:lara:test:refuse`, traps if one has
//!   `urn:lara:test:trap`, and works a few milliseconds for each `urn:lara:test:slow`;
//! - for each statement whose verb starts with `urn:lara:test:echo`, emits an "echoed" one
//!   about the same actor: without the host's loop guard it would feed itself for ever.
//!
//! Its routes:
//! - `GET /hello`: its name and the host's clock;
//! - `GET /count`: how many statements this instance was given (every call gets a fresh
//!   instance, so always 0);
//! - `GET /received`: the document of ids received;
//! - `POST /emit`: stores the body as a statement;
//! - `GET /people`: asks for the directory, which it did not declare (the host must refuse);
//! - `GET /loop`: loops forever; `GET /alloc`: allocates without end; `GET /trap`: panics.
#![allow(clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};

use lara_plugin_sdk::{
    Capability, Description, Guest, HttpRequest, HttpResponse, Level, StoredStatement, host, json,
    text,
};
use serde_json::{Value, json};

static SEEN: AtomicUsize = AtomicUsize::new(0);

const RECEIVED: &str = "received";

struct Probe;

/// Appends ids to the `received` document; false if the plugin may not keep documents.
fn record(ids: &[String]) -> Result<bool, String> {
    let current = match host::get_document(RECEIVED) {
        Ok(d) => d,
        Err(lara_plugin_sdk::Error::NotPermitted(_)) => return Ok(false),
        Err(e) => return Err(format!("{e:?}")),
    };
    let (mut list, etag) = match current {
        Some(d) => (
            serde_json::from_slice::<Vec<String>>(&d.content).map_err(|e| e.to_string())?,
            Some(d.etag),
        ),
        None => (Vec::new(), None),
    };
    list.extend(ids.iter().cloned());
    let body = serde_json::to_vec(&list).map_err(|e| e.to_string())?;
    host::put_document(RECEIVED, "application/json", &body, etag.as_deref())
        .map_err(|e| format!("{e:?}"))?;
    Ok(true)
}

impl Guest for Probe {
    fn describe() -> Description {
        Description {
            routes: vec![lara_plugin_sdk::route("*", "/*")],
            subscriptions: vec![lara_plugin_sdk::every_statement()],
            capabilities: vec![Capability::Documents, Capability::EmitStatements],
            ..lara_plugin_sdk::description("probe", "0.1.0")
        }
    }

    fn on_statements(batch: Vec<StoredStatement>) -> Result<(), String> {
        SEEN.fetch_add(batch.len(), Ordering::Relaxed);
        lara_plugin_sdk::log(Level::Info, &format!("received {} statements", batch.len()));
        let mut echoes = Vec::new();
        for s in &batch {
            let v: Value = serde_json::from_str(&s.json).unwrap_or(Value::Null);
            let verb = v.pointer("/verb/id").and_then(Value::as_str).unwrap_or("");
            match verb {
                "urn:lara:test:refuse" => return Err(format!("statement {} is refused", s.id)),
                "urn:lara:test:trap" => panic!("statement {} makes the probe trap", s.id),
                "urn:lara:test:slow" => {
                    // A few milliseconds of work: large batches of these exceed the limit.
                    let mut n: u64 = 1;
                    for i in 0..3_000_000u64 {
                        n = std::hint::black_box(
                            n.wrapping_mul(6364136223846793005).wrapping_add(i),
                        );
                    }
                }
                v if v.starts_with("urn:lara:test:echo") => echoes.push(
                    json!({
                        "actor": v_actor(&s.json),
                        "verb": {"id": "urn:lara:test:echoed"},
                        "object": {"id": format!("urn:lara:test:echo-of:{}", s.id)},
                    })
                    .to_string(),
                ),
                _ => {}
            }
        }
        let ids: Vec<String> = batch.iter().map(|s| s.id.clone()).collect();
        record(&ids)?;
        if !echoes.is_empty() {
            host::emit_statements(&echoes).map_err(|e| format!("{e:?}"))?;
        }
        Ok(())
    }

    fn handle_request(request: HttpRequest) -> HttpResponse {
        match request.path.as_str() {
            "/hello" => text(200, &format!("probe at {}", host::now())),
            "/count" => text(200, &SEEN.load(Ordering::Relaxed).to_string()),
            "/received" => match host::get_document(RECEIVED) {
                Ok(Some(d)) => json(200, &String::from_utf8_lossy(&d.content)),
                Ok(None) => json(200, "[]"),
                Err(e) => text(500, &format!("{e:?}")),
            },
            "/emit" => {
                let statement = String::from_utf8_lossy(&request.body).into_owned();
                match host::emit_statements(&[statement]) {
                    Ok(ids) => text(200, &ids.join(",")),
                    Err(e) => text(403, &format!("{e:?}")),
                }
            }
            "/people" => match host::people(None) {
                Ok(people) => text(200, &people.len().to_string()),
                Err(e) => text(403, &format!("{e:?}")),
            },
            "/loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "/alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "/trap" => panic!("the probe was asked to trap"),
            _ => text(404, "no such route"),
        }
    }

    fn on_schedule(_now: String) -> Result<(), String> {
        Ok(())
    }
}

/// The actor of a statement's JSON.
fn v_actor(statement: &str) -> Value {
    serde_json::from_str::<Value>(statement)
        .ok()
        .and_then(|v| v.get("actor").cloned())
        .unwrap_or(Value::Null)
}

lara_plugin_sdk::export_plugin!(Probe);
