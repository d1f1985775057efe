//! Focused tests of the PostgreSQL backend. Each test runs in its own schema.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use lrs_core::auth::{Credential, Scope};
use lrs_core::ingest::{WriteContext, prepare_batch};
use lrs_core::store::{
    AttachmentData, CredentialStore, Document, DocumentKey, DocumentScope, DocumentStore, Expected,
    IndexKey, IndexKind, InsertOutcome, PreparedStatement, StatementFilter, StatementStore,
    StoreError,
};
use serde_json::{Value, json};
use uuid::Uuid;
use xapi_model::XapiVersion;

const VERB: &str = "http://adlnet.gov/expapi/verbs/completed";
const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

fn statement(id: Uuid, mbox: &str, activity: &str) -> Value {
    json!({
        "id": id.to_string(),
        "actor": {"mbox": format!("mailto:{mbox}")},
        "verb": {"id": VERB},
        "object": {"id": activity, "definition": {"name": {"en": "A"}}},
    })
}

fn voiding(id: Uuid, target: Uuid) -> Value {
    json!({
        "id": id.to_string(),
        "actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target.to_string()},
    })
}

fn referring(id: Uuid, target: Uuid, mbox: &str) -> Value {
    json!({
        "id": id.to_string(),
        "actor": {"mbox": format!("mailto:{mbox}")},
        "verb": {"id": "http://example.com/verbs/commented"},
        "object": {"objectType": "StatementRef", "id": target.to_string()},
    })
}

fn prepare_at(statements: &[Value], now: DateTime<Utc>) -> Vec<PreparedStatement> {
    let ctx = WriteContext {
        version: XapiVersion::V1_0_3,
        authority: json!({"objectType": "Agent", "account": {"homePage": "urn:lara:credential", "name": "k"}}),
        now,
    };
    prepare_batch(statements.to_vec(), Vec::new(), &ctx)
        .unwrap()
        .0
}

fn prepare(statements: &[Value]) -> Vec<PreparedStatement> {
    prepare_at(statements, Utc::now())
}

fn agent_key(mbox: &str) -> IndexKey {
    IndexKey {
        kind: IndexKind::Agent,
        value: format!("mbox:mailto:{mbox}"),
    }
}

fn key(kind: IndexKind, value: &str) -> IndexKey {
    IndexKey {
        kind,
        value: value.to_owned(),
    }
}

fn all(keys: Vec<IndexKey>) -> StatementFilter {
    StatementFilter {
        keys,
        limit: 1000,
        ascending: true,
        ..Default::default()
    }
}

async fn ids(store: &dyn StatementStore, filter: &StatementFilter) -> Vec<Uuid> {
    store
        .query_statements(filter)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

/// The IFI key the ingest code computes, so the tests do not hard-code its format.
async fn real_agent_key(mbox: &str) -> IndexKey {
    let p = prepare(&[statement(Uuid::new_v4(), mbox, "http://example.com/a")]);
    p[0].index
        .iter()
        .find(|k| k.kind == IndexKind::Agent)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn insert_get_and_exact_json() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    assert_eq!(s.max_seq().await.unwrap(), 0);
    let id = Uuid::new_v4();
    let prepared = prepare(&[statement(id, "a@example.com", "http://example.com/a")]);
    let expected_json = serde_json::to_string(&prepared[0].json).unwrap();
    let out = s.insert_statements(prepared, Vec::new()).await.unwrap();
    assert_eq!(out, vec![InsertOutcome::Inserted]);
    let got = s.get_statement(id).await.unwrap().unwrap();
    assert_eq!(got.json, expected_json);
    assert!(!got.voided);
    let v: Value = serde_json::from_str(&got.json).unwrap();
    assert_eq!(
        v["stored"].as_str().unwrap(),
        xapi_model::time::format_timestamp(got.stored)
    );
    assert_eq!(s.max_seq().await.unwrap(), got.seq);
    assert!(s.get_statement(Uuid::new_v4()).await.unwrap().is_none());
    db.cleanup().await;
}

#[tokio::test]
async fn migrations_run_once_per_schema() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let again = db.second_node().await;
    assert_eq!(again.max_seq().await.unwrap(), 0);
    db.cleanup().await;
}

#[tokio::test]
async fn resend_is_already_present_and_conflict_stores_nothing() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    let a = Uuid::new_v4();
    s.insert_statements(
        prepare(&[statement(a, "a@example.com", "http://example.com/a")]),
        Vec::new(),
    )
    .await
    .unwrap();
    let b = Uuid::new_v4();
    let out = s
        .insert_statements(
            prepare(&[
                statement(b, "b@example.com", "http://example.com/b"),
                statement(a, "a@example.com", "http://example.com/a"),
            ]),
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![InsertOutcome::Inserted, InsertOutcome::AlreadyPresent]
    );

    let c = Uuid::new_v4();
    let err = s
        .insert_statements(
            prepare(&[
                statement(c, "c@example.com", "http://example.com/c"),
                statement(a, "someone-else@example.com", "http://example.com/a"),
            ]),
            Vec::new(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(id) if id == a),
        "{err:?}"
    );
    assert!(
        s.get_statement(c).await.unwrap().is_none(),
        "a conflicting batch stores nothing"
    );
    assert!(
        s.get_activity("http://example.com/c")
            .await
            .unwrap()
            .is_none()
    );
    db.cleanup().await;
}

#[tokio::test]
async fn voiding_in_both_arrival_orders() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    // target first
    let t1 = Uuid::new_v4();
    let v1 = Uuid::new_v4();
    s.insert_statements(
        prepare(&[statement(t1, "a@example.com", "http://example.com/a")]),
        Vec::new(),
    )
    .await
    .unwrap();
    s.insert_statements(prepare(&[voiding(v1, t1)]), Vec::new())
        .await
        .unwrap();
    // voiding statement first
    let t2 = Uuid::new_v4();
    let v2 = Uuid::new_v4();
    s.insert_statements(prepare(&[voiding(v2, t2)]), Vec::new())
        .await
        .unwrap();
    s.insert_statements(
        prepare(&[statement(t2, "a@example.com", "http://example.com/a")]),
        Vec::new(),
    )
    .await
    .unwrap();
    // both in one batch, voiding first
    let t3 = Uuid::new_v4();
    let v3 = Uuid::new_v4();
    s.insert_statements(
        prepare(&[
            voiding(v3, t3),
            statement(t3, "a@example.com", "http://example.com/a"),
        ]),
        Vec::new(),
    )
    .await
    .unwrap();
    // a voiding statement aimed at a voiding statement voids nothing
    let v4 = Uuid::new_v4();
    s.insert_statements(prepare(&[voiding(v4, v1)]), Vec::new())
        .await
        .unwrap();

    for t in [t1, t2, t3] {
        assert!(
            s.get_statement(t).await.unwrap().unwrap().voided,
            "{t} voided"
        );
    }
    for v in [v1, v2, v3, v4] {
        assert!(
            !s.get_statement(v).await.unwrap().unwrap().voided,
            "{v} not voided"
        );
    }
    let listed = ids(s, &all(vec![])).await;
    assert_eq!(listed, vec![v1, v2, v3, v4]);
    // The voided targets are never returned; the voiding statements match through their
    // StatementRef.
    let by_agent = ids(s, &all(vec![real_agent_key("a@example.com").await])).await;
    assert_eq!(by_agent, vec![v1, v2, v3, v4]);
    db.cleanup().await;
}

#[tokio::test]
async fn statement_refs_inherit_postings_in_both_orders_and_transitively() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    let target = Uuid::new_v4();
    let r1 = Uuid::new_v4();
    let r2 = Uuid::new_v4();
    // r2 → r1 → target, arriving referrers first.
    s.insert_statements(prepare(&[referring(r2, r1, "r2@example.com")]), Vec::new())
        .await
        .unwrap();
    s.insert_statements(
        prepare(&[referring(r1, target, "r1@example.com")]),
        Vec::new(),
    )
    .await
    .unwrap();
    let act = key(IndexKind::Activity, "http://example.com/t");
    assert!(ids(s, &all(vec![act.clone()])).await.is_empty());
    s.insert_statements(
        prepare(&[statement(target, "t@example.com", "http://example.com/t")]),
        Vec::new(),
    )
    .await
    .unwrap();
    assert_eq!(ids(s, &all(vec![act.clone()])).await, vec![r2, r1, target]);
    // r1's own agent reaches r2 too.
    let r1_agent = real_agent_key("r1@example.com").await;
    assert_eq!(ids(s, &all(vec![r1_agent])).await, vec![r2, r1]);

    // Target first, then a referrer: inherits at once.
    let r3 = Uuid::new_v4();
    s.insert_statements(prepare(&[referring(r3, r2, "r3@example.com")]), Vec::new())
        .await
        .unwrap();
    assert_eq!(
        ids(s, &all(vec![act.clone()])).await,
        vec![r2, r1, target, r3]
    );
    // AND of an inherited and an own key.
    let r3_agent = real_agent_key("r3@example.com").await;
    assert_eq!(ids(s, &all(vec![act, r3_agent])).await, vec![r3]);
    db.cleanup().await;
}

#[tokio::test]
async fn reference_cycles_terminate() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    let a = Uuid::new_v4();
    let b = Uuid::new_v4();
    s.insert_statements(prepare(&[referring(a, b, "a@example.com")]), Vec::new())
        .await
        .unwrap();
    s.insert_statements(prepare(&[referring(b, a, "b@example.com")]), Vec::new())
        .await
        .unwrap();
    let ka = real_agent_key("a@example.com").await;
    let kb = real_agent_key("b@example.com").await;
    assert_eq!(ids(s, &all(vec![ka])).await, vec![a, b]);
    assert_eq!(ids(s, &all(vec![kb])).await, vec![a, b]);
    db.cleanup().await;
}

#[tokio::test]
async fn query_filters_bounds_and_order() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    let mut all_ids = Vec::new();
    for i in 0..10 {
        let id = Uuid::new_v4();
        let who = if i % 2 == 0 {
            "even@example.com"
        } else {
            "odd@example.com"
        };
        let act = format!("http://example.com/act{}", i % 3);
        s.insert_statements(
            prepare_at(&[statement(id, who, &act)], t0() + Duration::seconds(i)),
            Vec::new(),
        )
        .await
        .unwrap();
        all_ids.push(id);
    }
    let even = real_agent_key("even@example.com").await;
    let act0 = key(IndexKind::Activity, "http://example.com/act0");
    let verb = key(IndexKind::Verb, VERB);

    assert_eq!(ids(s, &all(vec![])).await, all_ids);
    let evens: Vec<Uuid> = all_ids.iter().step_by(2).copied().collect();
    assert_eq!(ids(s, &all(vec![even.clone()])).await, evens);
    // act0 is i = 0, 3, 6, 9; even and act0: 0, 6.
    assert_eq!(
        ids(s, &all(vec![even.clone(), act0.clone(), verb.clone()])).await,
        vec![all_ids[0], all_ids[6]]
    );
    assert!(
        ids(
            s,
            &all(vec![even.clone(), key(IndexKind::Verb, "http://nope")])
        )
        .await
        .is_empty()
    );
    assert!(
        ids(s, &all(vec![agent_key("nobody@example.com")]))
            .await
            .is_empty()
    );

    // Descending with limit and cursor.
    let mut f = all(vec![even.clone()]);
    f.ascending = false;
    f.limit = 2;
    let page1 = s.query_statements(&f).await.unwrap();
    assert_eq!(
        page1.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![all_ids[8], all_ids[6]]
    );
    f.after_seq = Some(page1[1].seq);
    assert_eq!(ids(s, &f).await, vec![all_ids[4], all_ids[2]]);
    // Ascending cursor.
    let mut f = all(vec![]);
    f.limit = 3;
    let p = s.query_statements(&f).await.unwrap();
    f.after_seq = Some(p[2].seq);
    assert_eq!(ids(s, &f).await, all_ids[3..6].to_vec());
    // max_seq hides later statements.
    let mut f = all(vec![]);
    f.max_seq = Some(p[1].seq);
    assert_eq!(ids(s, &f).await, all_ids[0..2].to_vec());

    // since is exclusive, until inclusive.
    let mut f = all(vec![]);
    f.since = Some(t0() + Duration::seconds(3));
    f.until = Some(t0() + Duration::seconds(6));
    assert_eq!(ids(s, &f).await, all_ids[4..7].to_vec());
    f.keys = vec![act0];
    assert_eq!(ids(s, &f).await, vec![all_ids[6]]);
    let mut f = all(vec![]);
    f.until = t0().checked_sub_signed(Duration::seconds(1));
    assert!(ids(s, &f).await.is_empty());
    let mut f = all(vec![verb]);
    f.since = Some(t0() + Duration::seconds(100));
    assert!(ids(s, &f).await.is_empty());
    db.cleanup().await;
}

#[tokio::test]
async fn stored_never_decreases_and_json_follows() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    let late = Uuid::new_v4();
    s.insert_statements(
        prepare_at(
            &[statement(late, "a@example.com", "http://example.com/a")],
            t0() + Duration::hours(1),
        ),
        Vec::new(),
    )
    .await
    .unwrap();
    // A node whose clock is an hour behind.
    let early = Uuid::new_v4();
    s.insert_statements(
        prepare_at(
            &[statement(early, "a@example.com", "http://example.com/a")],
            t0(),
        ),
        Vec::new(),
    )
    .await
    .unwrap();
    let a = s.get_statement(late).await.unwrap().unwrap();
    let b = s.get_statement(early).await.unwrap().unwrap();
    assert!(b.seq > a.seq);
    assert_eq!(b.stored, a.stored);
    let v: Value = serde_json::from_str(&b.json).unwrap();
    assert_eq!(
        v["stored"],
        json!(xapi_model::time::format_timestamp(a.stored))
    );
    db.cleanup().await;
}

#[tokio::test]
async fn activity_definitions_are_merged() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    let with_def = |def: Value| {
        json!({
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": VERB},
            "object": {"id": "http://example.com/act", "definition": def},
        })
    };
    s.insert_statements(
        prepare(&[with_def(json!({"name": {"en": "Old", "sv": "Gammal"}}))]),
        Vec::new(),
    )
    .await
    .unwrap();
    s.insert_statements(
        prepare(&[
            with_def(json!({"name": {"en": "New"}})),
            with_def(json!({"description": {"en": "D"}, "type": "http://example.com/t"})),
        ]),
        Vec::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        s.get_activity("http://example.com/act")
            .await
            .unwrap()
            .unwrap(),
        json!({"name": {"en": "New", "sv": "Gammal"}, "description": {"en": "D"}, "type": "http://example.com/t"})
    );
    assert!(
        s.get_activity("http://example.com/none")
            .await
            .unwrap()
            .is_none()
    );
    db.cleanup().await;
}

#[tokio::test]
async fn attachments_are_stored_once() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    let data = AttachmentData {
        sha2: "ab".repeat(32),
        content_type: "text/plain".into(),
        data: b"hello".to_vec(),
    };
    let mut p = prepare(&[statement(
        Uuid::new_v4(),
        "a@example.com",
        "http://example.com/a",
    )]);
    p[0].attachment_hashes = vec![data.sha2.clone()];
    s.insert_statements(p, vec![data.clone()]).await.unwrap();
    let mut p = prepare(&[statement(
        Uuid::new_v4(),
        "a@example.com",
        "http://example.com/a",
    )]);
    p[0].attachment_hashes = vec![data.sha2.clone()];
    let other = AttachmentData {
        data: b"ignored".to_vec(),
        ..data.clone()
    };
    s.insert_statements(p, vec![other]).await.unwrap();
    assert_eq!(
        s.get_attachments(std::slice::from_ref(&data.sha2))
            .await
            .unwrap(),
        vec![data.clone()]
    );
    assert!(
        s.get_attachments(&["00".repeat(32)])
            .await
            .unwrap()
            .is_empty()
    );
    let rows = s.query_statements(&all(vec![])).await.unwrap();
    assert!(
        rows.iter()
            .all(|r| r.attachment_hashes == vec![data.sha2.clone()])
    );
    db.cleanup().await;
}

fn doc(content: &str, updated: DateTime<Utc>) -> Document {
    lrs_core::documents::new_document("application/json", content.as_bytes().to_vec(), updated)
}

#[tokio::test]
async fn documents_compare_and_swap() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    let reg = Uuid::new_v4();
    let state = |id: &str, registration: Option<Uuid>| DocumentKey::State {
        activity_id: "http://example.com/a".into(),
        agent: "mbox::mailto:a@example.com".into(),
        registration,
        state_id: id.into(),
    };
    let d1 = doc("{\"a\":1}", t0());
    assert!(
        s.swap_document(&state("s1", None), &Expected::Absent, Some(&d1))
            .await
            .unwrap()
    );
    assert!(
        !s.swap_document(&state("s1", None), &Expected::Absent, Some(&d1))
            .await
            .unwrap()
    );
    assert_eq!(
        s.get_document(&state("s1", None)).await.unwrap(),
        Some(d1.clone())
    );
    assert!(
        s.get_document(&state("s1", Some(reg)))
            .await
            .unwrap()
            .is_none()
    );

    let d2 = doc("{\"a\":2}", t0() + Duration::seconds(10));
    assert!(
        !s.swap_document(
            &state("s1", None),
            &Expected::Etag("nope".into()),
            Some(&d2)
        )
        .await
        .unwrap()
    );
    assert!(
        s.swap_document(
            &state("s1", None),
            &Expected::Etag(d1.etag.clone()),
            Some(&d2)
        )
        .await
        .unwrap()
    );
    assert_eq!(
        s.get_document(&state("s1", None)).await.unwrap(),
        Some(d2.clone())
    );

    assert!(
        s.swap_document(&state("s2", None), &Expected::Absent, Some(&d1))
            .await
            .unwrap()
    );
    assert!(
        s.swap_document(&state("s3", Some(reg)), &Expected::Absent, Some(&d1))
            .await
            .unwrap()
    );
    let scope = |registration| DocumentScope::State {
        activity_id: "http://example.com/a".into(),
        agent: "mbox::mailto:a@example.com".into(),
        registration,
    };
    assert_eq!(
        s.list_documents(&scope(None), None).await.unwrap(),
        vec!["s1", "s2"]
    );
    assert_eq!(
        s.list_documents(&scope(None), Some(t0())).await.unwrap(),
        vec!["s1"]
    );
    assert_eq!(
        s.list_documents(&scope(Some(reg)), None).await.unwrap(),
        vec!["s3"]
    );

    // Delete by etag, then the absent-delete check.
    assert!(
        !s.swap_document(&state("s2", None), &Expected::Etag("nope".into()), None)
            .await
            .unwrap()
    );
    assert!(
        s.swap_document(&state("s2", None), &Expected::Etag(d1.etag.clone()), None)
            .await
            .unwrap()
    );
    assert!(
        s.swap_document(&state("s2", None), &Expected::Absent, None)
            .await
            .unwrap()
    );

    s.delete_documents(&scope(None)).await.unwrap();
    assert!(
        s.list_documents(&scope(None), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.list_documents(&scope(Some(reg)), None).await.unwrap(),
        vec!["s3"]
    );

    let ap = DocumentKey::ActivityProfile {
        activity_id: "http://example.com/a".into(),
        profile_id: "p".into(),
    };
    let gp = DocumentKey::AgentProfile {
        agent: "mbox::mailto:a@example.com".into(),
        profile_id: "p".into(),
    };
    assert!(
        s.swap_document(&ap, &Expected::Absent, Some(&d1))
            .await
            .unwrap()
    );
    assert!(
        s.swap_document(&gp, &Expected::Absent, Some(&d2))
            .await
            .unwrap()
    );
    assert_eq!(s.get_document(&ap).await.unwrap(), Some(d1));
    assert_eq!(s.get_document(&gp).await.unwrap(), Some(d2));
    let aps = DocumentScope::ActivityProfile {
        activity_id: "http://example.com/a".into(),
    };
    assert_eq!(s.list_documents(&aps, None).await.unwrap(), vec!["p"]);
    db.cleanup().await;
}

#[tokio::test]
async fn credentials_round_trip() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let s = &db.store;
    let mut c = Credential::generate("tester", vec![Scope::All, Scope::Admin], t0()).credential;
    s.create_credential(&c).await.unwrap();
    assert_eq!(s.credential_by_key(&c.key).await.unwrap(), Some(c.clone()));
    assert!(s.credential_by_key("nope").await.unwrap().is_none());
    assert!(
        s.revoke_credential(&c.key, t0() + Duration::days(1))
            .await
            .unwrap()
    );
    assert!(!s.revoke_credential("nope", t0()).await.unwrap());
    c.revoked = Some(t0() + Duration::days(1));
    assert_eq!(s.list_credentials().await.unwrap(), vec![c]);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_see_each_other_and_keep_seq_and_stored_in_order() {
    let Some(db) = common::fresh().await else {
        return;
    };
    let a: Arc<dyn StatementStore> = Arc::new(db.store.clone());
    let b: Arc<dyn StatementStore> = Arc::new(db.second_node().await);

    let id = Uuid::new_v4();
    a.insert_statements(
        prepare(&[statement(id, "a@example.com", "http://example.com/a")]),
        Vec::new(),
    )
    .await
    .unwrap();
    assert!(
        b.get_statement(id).await.unwrap().is_some(),
        "node b sees node a's write at once"
    );
    let v = Uuid::new_v4();
    b.insert_statements(prepare(&[voiding(v, id)]), Vec::new())
        .await
        .unwrap();
    assert!(a.get_statement(id).await.unwrap().unwrap().voided);

    // Concurrent writers on both nodes; node b's clock runs 5 s behind.
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = if n % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            for i in 0..15 {
                let skew = if n % 2 == 0 {
                    Duration::zero()
                } else {
                    Duration::seconds(-5)
                };
                let batch: Vec<Value> = (0..3)
                    .map(|j| {
                        statement(
                            Uuid::new_v4(),
                            &format!("w{n}@example.com"),
                            &format!("http://e.com/{i}/{j}"),
                        )
                    })
                    .collect();
                store
                    .insert_statements(prepare_at(&batch, Utc::now() + skew), Vec::new())
                    .await
                    .unwrap();
            }
        }));
    }
    // A reader paging by seq while the writers run must never find a gap filled later.
    let reader = {
        let store = b.clone();
        tokio::spawn(async move {
            let mut seen: Vec<i64> = Vec::new();
            for _ in 0..50 {
                let max = store.max_seq().await.unwrap();
                let mut f = all(vec![]);
                f.max_seq = Some(max);
                let rows = store.query_statements(&f).await.unwrap();
                let now: Vec<i64> = rows.iter().map(|r| r.seq).collect();
                assert!(
                    now.starts_with(&seen),
                    "a statement appeared below an already seen seq"
                );
                seen = now;
                tokio::task::yield_now().await;
            }
        })
    };
    for t in tasks {
        t.await.unwrap();
    }
    reader.await.unwrap();

    let rows = a.query_statements(&all(vec![])).await.unwrap();
    assert_eq!(rows.len(), 8 * 15 * 3 + 1);
    for w in rows.windows(2) {
        assert!(w[0].seq < w[1].seq);
        assert!(
            w[0].stored <= w[1].stored,
            "stored decreased between seq {} and {}",
            w[0].seq,
            w[1].seq
        );
    }
    for r in &rows {
        let v: Value = serde_json::from_str(&r.json).unwrap();
        assert_eq!(
            v["stored"],
            json!(xapi_model::time::format_timestamp(r.stored))
        );
    }
    db.cleanup().await;
}

/// `url` with one more query parameter.
fn with_param(url: &str, param: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{param}")
}

/// Connects without creating a schema of its own (the server's search_path is used only for
/// the migration lock, then the pool).
async fn connect_only(url: &str) -> Result<lrs_store_postgres::PgStore, StoreError> {
    let schema = format!("lara_test_{}", Uuid::new_v4().simple());
    let store = lrs_store_postgres::PgStore::connect(
        url,
        lrs_store_postgres::PgOptions {
            pool_size: 1,
            schema: Some(schema.clone()),
        },
    )
    .await?;
    let encrypted = store.tls_in_use().await;
    store.drop_schema(&schema).await?;
    encrypted.map(|_| store)
}

#[tokio::test]
async fn sslmode_follows_libpq() {
    let Some(url) = common::url() else { return };
    let plain = connect_only(&with_param(&url, "sslmode=disable"))
        .await
        .unwrap();
    assert!(!plain.tls_in_use().await.unwrap());

    // This machine's PostgreSQL (Debian's default) offers TLS with a self-signed certificate.
    let encrypted = connect_only(&with_param(&url, "sslmode=require"))
        .await
        .unwrap();
    assert!(
        encrypted.tls_in_use().await.unwrap(),
        "sslmode=require must encrypt (is ssl off on the test server?)"
    );

    // verify-full checks the certificate: the system's roots do not vouch for a self-signed
    // one, so the connection is refused rather than silently unauthenticated.
    let Err(e) = connect_only(&with_param(&url, "sslmode=verify-full")).await else {
        panic!("verify-full must refuse a certificate no trusted root signed");
    };
    let text = e.to_string().to_lowercase();
    assert!(text.contains("certificate") || text.contains("tls"), "{e}");

    // A mode libpq does not know is refused by name.
    let Err(e) = connect_only(&with_param(&url, "sslmode=always")).await else {
        panic!("an unknown sslmode must be refused");
    };
    assert!(e.to_string().contains("always"), "{e}");
}
