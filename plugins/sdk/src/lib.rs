//! The guest side of Lara's plugins: the `lara:plugin` bindings (`plugins/wit`) and helpers,
//! so that a plugin is a type implementing [`Guest`] and one macro call:
//!
//! ```ignore
//! use lara_plugin_sdk::{Description, Guest, HttpRequest, HttpResponse, StoredStatement};
//!
//! struct Hello;
//!
//! impl Guest for Hello {
//!     fn describe() -> Description {
//!         lara_plugin_sdk::description("hello", "0.1.0")
//!     }
//!     fn on_statements(_batch: Vec<StoredStatement>) -> Result<(), String> {
//!         Ok(())
//!     }
//!     fn handle_request(_request: HttpRequest) -> HttpResponse {
//!         lara_plugin_sdk::text(200, "hello")
//!     }
//!     fn on_schedule(_now: String) -> Result<(), String> {
//!         Ok(())
//!     }
//! }
//!
//! lara_plugin_sdk::export_plugin!(Hello);
//! ```
//!
//! Build it as a `cdylib` for `wasm32-unknown-unknown` (see `plugins/README.md`).

// The bindings take every WIT parameter as a Rust one.
#![allow(clippy::too_many_arguments)]

// The generated code names this crate by its path, also from inside it.
extern crate self as lara_plugin_sdk;

/// The runtime the generated code refers to, so that plugins need no wit-bindgen of their own.
#[doc(hidden)]
pub use wit_bindgen;

/// The generated bindings (re-exported below).
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "export_plugin",
        default_bindings_module: "lara_plugin_sdk::bindings",
        runtime_path: "lara_plugin_sdk::wit_bindgen::rt",
    });
}

pub use bindings::lara::plugin::host;
pub use bindings::lara::plugin::types::{
    Capability, Document, Error, Header, Level, Person, Route, StatementFilter,
};
pub use bindings::{Description, Guest, HttpRequest, HttpResponse, StoredStatement, export_plugin};

/// A filter that matches every statement (the plugin narrows it with struct update syntax).
pub fn every_statement() -> StatementFilter {
    StatementFilter {
        agent: None,
        verb: None,
        activity: None,
        registration: None,
        related_activities: false,
        related_agents: false,
        since: None,
        until: None,
        limit: 100,
        ascending: true,
    }
}

/// A description with no routes, subscriptions, capabilities or schedule yet.
pub fn description(name: &str, version: &str) -> Description {
    Description {
        name: name.to_owned(),
        version: version.to_owned(),
        routes: Vec::new(),
        subscriptions: Vec::new(),
        capabilities: Vec::new(),
        schedule_seconds: None,
    }
}

/// A route for `method` (or `*`) at `path` under `/plugins/<name>`.
pub fn route(method: &str, path: &str) -> Route {
    Route {
        method: method.to_owned(),
        path: path.to_owned(),
    }
}

/// A plain-text response.
pub fn text(status: u16, body: &str) -> HttpResponse {
    response(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}

/// A JSON response from JSON text.
pub fn json(status: u16, body: &str) -> HttpResponse {
    response(status, "application/json", body.as_bytes().to_vec())
}

pub fn response(status: u16, content_type: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![Header {
            name: "content-type".into(),
            value: content_type.to_owned(),
        }],
        body,
    }
}

/// Logs through Lara's log, tagged with the plugin's name.
pub fn log(level: Level, message: &str) {
    host::log(level, message);
}
