#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The plugin services over a real LRS (SQLite): statements are validated and stored with the
//! plugin as authority and found again with xAPI filters; documents keep their entity tags and
//! refuse a stale `if-match`; one plugin cannot see another's documents.

use std::sync::Arc;

use lara_plugin_host::{HostError, Services, StatementFilter};
use lara_plugin_services::{LrsServices, PLUGIN_HOMEPAGE};
use lrs_core::Lrs;
use lrs_core::store::Store;
use serde_json::{Value, json};

fn filter() -> StatementFilter {
    StatementFilter::everything(10)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_and_documents_through_the_lrs() {
    let store: Arc<dyn Store> = Arc::new(
        lrs_store_sqlite::SqliteStore::open_temporary()
            .await
            .unwrap(),
    );
    let services = Arc::new(LrsServices::new(
        Lrs::new(store),
        tokio::runtime::Handle::current(),
    ));
    // Plugins call the host from a thread of their own.
    tokio::task::spawn_blocking(move || {
        let s = services.as_ref();
        let earned = json!({
            "actor": {"mbox": "mailto:ola@example.com"},
            "verb": {"id": "http://id.tincanapi.com/verb/earned"},
            "object": {"id": "https://lara.example/certificates/hygiene"},
        });
        let ids = s.emit_statements("certs", &[], vec![earned.to_string()]).unwrap();
        assert_eq!(ids.len(), 1);
        let mut f = filter();
        f.verb = Some("http://id.tincanapi.com/verb/earned".into());
        let found = s.query_statements("certs", f.clone()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, ids[0]);
        let stored: Value = serde_json::from_str(&found[0].json).unwrap();
        assert_eq!(stored["authority"]["account"]["homePage"], PLUGIN_HOMEPAGE);
        assert_eq!(stored["authority"]["account"]["name"], "certs");
        assert!(!found[0].stored.is_empty());
        // The statement names the plugin it came through, and those before it.
        assert_eq!(
            stored["context"]["extensions"][lara_plugin_services::CHAIN_EXTENSION],
            json!(["certs"])
        );
        let later = json!({
            "actor": {"mbox": "mailto:ola@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": "https://lara.example/certificates/hygiene"},
            "context": {"extensions": {"https://x.example/keep": 1}},
        });
        let ids = s
            .emit_statements("paths", &["certs".into()], vec![later.to_string()])
            .unwrap();
        let mut g = filter();
        g.verb = Some("http://adlnet.gov/expapi/verbs/experienced".into());
        let found = s.query_statements("paths", g).unwrap();
        assert_eq!(found[0].id, ids[0]);
        let stored: Value = serde_json::from_str(&found[0].json).unwrap();
        assert_eq!(
            stored["context"]["extensions"],
            json!({"https://x.example/keep": 1, "urn:lara:extension:plugin-chain": ["certs", "paths"]})
        );

        // A statement xAPI refuses is refused with its path; nothing of the batch is stored.
        let bad = json!({"actor": {"mbox": "not-a-mailbox"}, "verb": {"id": "http://x.example/v"}, "object": {"id": "https://x.example/a"}});
        let e = s
            .emit_statements("certs", &[], vec![earned.to_string(), bad.to_string()])
            .expect_err("an invalid statement was stored");
        assert!(matches!(&e, HostError::Invalid(m) if m.contains("actor.mbox")), "{e:?}");
        let e = s.emit_statements("certs", &[], vec!["{".into()]).expect_err("not JSON");
        assert!(matches!(e, HostError::Invalid(_)));
        assert_eq!(s.query_statements("certs", f).unwrap().len(), 1);

        // Documents with optimistic concurrency.
        let etag = s
            .put_document("certs", "rules/hygiene", "application/json", b"{\"months\":24}".to_vec(), None)
            .unwrap();
        let doc = s.get_document("certs", "rules/hygiene").unwrap().unwrap();
        assert_eq!(doc.etag, etag);
        assert_eq!(doc.content, b"{\"months\":24}");
        let newer = s
            .put_document("certs", "rules/hygiene", "application/json", b"{\"months\":12}".to_vec(), Some(etag.clone()))
            .unwrap();
        let e = s
            .put_document("certs", "rules/hygiene", "application/json", b"{}".to_vec(), Some(etag))
            .expect_err("a stale if-match was accepted");
        assert!(matches!(e, HostError::Conflict(_)), "{e:?}");
        s.put_document("certs", "holders/ola", "application/json", b"[]".to_vec(), None)
            .unwrap();
        assert_eq!(
            s.list_documents("certs", "rules/").unwrap(),
            vec!["rules/hygiene".to_owned()]
        );
        // Another plugin does not see them.
        assert!(s.get_document("other", "rules/hygiene").unwrap().is_none());
        assert!(s.list_documents("other", "").unwrap().is_empty());
        s.delete_document("certs", "rules/hygiene", Some(newer)).unwrap();
        assert!(s.get_document("certs", "rules/hygiene").unwrap().is_none());
        // No directory yet: an explicit failure, not an empty list.
        assert!(matches!(s.people("certs", None), Err(HostError::Failed(_))));
    })
    .await
    .unwrap();
}
