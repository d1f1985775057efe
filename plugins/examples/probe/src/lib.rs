//! A plugin that exercises the host for Lara's tests, written with `lara-plugin-sdk`. Its routes:
//!
//! - `GET /hello`: answers with its name and the host's clock;
//! - `GET /count`: how many statements this instance was given (every call gets a fresh
//!   instance, so always 0);
//! - `POST /emit`: asks the host to store the body as a statement (it declares no capability,
//!   so the host must refuse);
//! - `GET /loop`: loops forever; `GET /alloc`: allocates without end; `GET /trap`: panics.
#![allow(clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};

use lara_plugin_sdk::{
    Description, Guest, HttpRequest, HttpResponse, Level, StoredStatement, host, text,
};

static SEEN: AtomicUsize = AtomicUsize::new(0);

struct Probe;

impl Guest for Probe {
    fn describe() -> Description {
        Description {
            routes: vec![lara_plugin_sdk::route("*", "/*")],
            subscriptions: vec![lara_plugin_sdk::every_statement()],
            ..lara_plugin_sdk::description("probe", "0.1.0")
        }
    }

    fn on_statements(batch: Vec<StoredStatement>) -> Result<(), String> {
        SEEN.fetch_add(batch.len(), Ordering::Relaxed);
        lara_plugin_sdk::log(Level::Info, &format!("received {} statements", batch.len()));
        Ok(())
    }

    fn handle_request(request: HttpRequest) -> HttpResponse {
        match request.path.as_str() {
            "/hello" => text(200, &format!("probe at {}", host::now())),
            "/count" => text(200, &SEEN.load(Ordering::Relaxed).to_string()),
            "/emit" => {
                let statement = String::from_utf8_lossy(&request.body).into_owned();
                match host::emit_statements(&[statement]) {
                    Ok(ids) => text(200, &ids.join(",")),
                    Err(e) => text(403, &format!("{e:?}")),
                }
            }
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

lara_plugin_sdk::export_plugin!(Probe);
