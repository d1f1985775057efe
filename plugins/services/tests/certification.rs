#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The certification plugin (`plugins/certification`) on the real host and services over a
//! SQLite LRS: a rule defined over its API, completions that qualify, the `earned` statement
//! with its validity, the holders, and `expired` when the validity runs out.

use std::sync::Arc;

use lara_plugin_host::{CapabilityKey, HttpRequest, Limits, PluginHost, Services, StatementFilter};
use lara_plugin_services::LrsServices;
use lrs_core::Lrs;
use lrs_core::store::Store;
use serde_json::{Value, json};

fn request(method: &str, path: &str, body: &str) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        query: String::new(),
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

fn all() -> StatementFilter {
    StatementFilter::everything(100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_is_earned_and_expires() {
    let store: Arc<dyn Store> = Arc::new(
        lrs_store_sqlite::SqliteStore::open_temporary()
            .await
            .unwrap(),
    );
    let services = Arc::new(LrsServices::new(
        Lrs::new(store),
        tokio::runtime::Handle::current(),
    ));
    tokio::task::spawn_blocking(move || {
        let wasm = lara_plugin_host::build_workspace_plugin("lara-plugin-certification").unwrap();
        let cache = tempfile::tempdir().unwrap();
        let host = PluginHost::new(cache.path(), Limits::default()).unwrap();
        let plugin = host
            .load(
                &wasm,
                &[CapabilityKey::EmitStatements, CapabilityKey::Documents],
                services.clone(),
            )
            .unwrap();
        assert_eq!(plugin.name(), "certification");

        // The rule: both courses, within 90 days, valid for 24 months.
        let rule = json!({
            "name": "Medication handling",
            "activities": ["https://courses.example/medication", "https://courses.example/hygiene"],
            "withinDays": 90,
            "validMonths": 24,
        });
        let r = plugin
            .handle_request(&request(
                "PUT",
                "/certificates/medication",
                &rule.to_string(),
            ))
            .unwrap();
        assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
        let r = plugin
            .handle_request(&request("PUT", "/certificates/bad", r#"{"name": 1}"#))
            .unwrap();
        assert_eq!(r.status, 400);

        // Completions arrive as stored statements (as the delivery will hand them over).
        let s = services.as_ref();
        let done = |activity: &str, at: &str, success: bool| {
            json!({
                "actor": {"objectType": "Agent", "name": "Ola", "mbox": "mailto:ola@example.com"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": activity},
                "result": {"success": success, "completion": true},
                "timestamp": at,
            })
            .to_string()
        };
        s.emit_statements(
            "lms",
            &[],
            vec![
                done(
                    "https://courses.example/medication",
                    "2026-01-10T10:00:00Z",
                    true,
                ),
                // A failed attempt does not count.
                done(
                    "https://courses.example/hygiene",
                    "2026-01-11T10:00:00Z",
                    false,
                ),
            ],
        )
        .unwrap();
        let batch = s.query_statements("lms", all()).unwrap();
        assert_eq!(plugin.on_statements(&batch).unwrap(), Ok(()));
        let holders = |plugin: &lara_plugin_host::LoadedPlugin| -> Value {
            let r = plugin
                .handle_request(&request("GET", "/certificates/medication/holders", ""))
                .unwrap();
            serde_json::from_slice(&r.body).unwrap()
        };
        // (The clock of the services is now, and nothing is earned yet.)
        assert_eq!(holders(&plugin), json!([]));

        s.emit_statements(
            "lms",
            &[],
            vec![done(
                "https://courses.example/hygiene",
                "2026-02-01T09:00:00Z",
                true,
            )],
        )
        .unwrap();
        let mut f = all();
        f.since = Some(batch.last().unwrap().stored.clone());
        let newer = s.query_statements("lms", f).unwrap();
        assert_eq!(newer.len(), 1);
        assert_eq!(plugin.on_statements(&newer).unwrap(), Ok(()));

        // Earned: a statement by the plugin, valid 24 months from the last completion.
        let mut earned = all();
        earned.verb = Some("http://id.tincanapi.com/verb/earned".into());
        let found = s.query_statements("lms", earned.clone()).unwrap();
        assert_eq!(found.len(), 1);
        let st: Value = serde_json::from_str(&found[0].json).unwrap();
        assert_eq!(st["actor"]["mbox"], "mailto:ola@example.com");
        assert_eq!(st["object"]["id"], "urn:lara:certificate:medication");
        assert_eq!(st["authority"]["account"]["name"], "certification");
        assert_eq!(
            st["result"]["extensions"]["http://id.tincanapi.com/extension/valid-until"],
            "2028-02-01T09:00:00.000Z"
        );
        // Delivering the same statements again (at least once) earns nothing twice.
        assert_eq!(plugin.on_statements(&newer).unwrap(), Ok(()));
        assert_eq!(s.query_statements("lms", earned).unwrap().len(), 1);
        // Still valid today (2026-11 < 2028-02).
        let h = holders(&plugin);
        assert_eq!(h.as_array().unwrap().len(), 1, "{h}");
        assert_eq!(h[0]["validUntil"], "2028-02-01T09:00:00.000Z");

        // The schedule after the validity: expired, once.
        assert_eq!(plugin.on_schedule("2028-03-01T00:00:00Z").unwrap(), Ok(()));
        assert_eq!(plugin.on_schedule("2028-03-02T00:00:00Z").unwrap(), Ok(()));
        let mut expired = all();
        expired.verb = Some("urn:lara:verb:expired".into());
        let found = s.query_statements("lms", expired).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(holders(&plugin), json!([]));
        let r = plugin
            .handle_request(&request("GET", "/holdings", ""))
            .unwrap();
        let all_holdings: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(all_holdings[0]["expired"], true);
    })
    .await
    .unwrap();
}
