//! The storage parity suite: every backend must pass every function here.
//!
//! Layout:
//! - [`Stmt`]: a builder of hand-made [`PreparedStatement`]s (JSON and index keys written out
//!   by hand, so the suite does not depend on the ingest code it is meant to support);
//! - one `pub async fn` per rule of the storage traits, each taking a fresh, empty store;
//! - [`parity_suite!`]: expands to one `#[tokio::test]` per function, so a backend's
//!   `tests/parity.rs` is a single line and a new rule added here runs on every backend.
//!
//! ```text
//! async fn fresh() -> (Arc<dyn Store>, impl Sized) { /* a new empty store and its guard */ }
//! lrs_store_tests::parity_suite!(fresh());
//! // or, when the database may be absent (None skips):
//! async fn fresh_pg() -> Option<(Arc<dyn Store>, impl Sized)> { /* … */ }
//! lrs_store_tests::parity_suite!(optional fresh_pg());
//! ```
//!
//! Times are whole milliseconds: `stored` is shown with millisecond precision, and backends
//! store document and credential times with at least microsecond precision.

// This crate is test code: a failed assertion is how it reports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod packages;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use lrs_core::auth::{Credential, Scope};
use lrs_core::store::{
    AttachmentData, Document, DocumentKey, DocumentScope, Expected, IndexKey, IndexKind,
    InsertOutcome, PreparedStatement, StatementFilter, Store, StoreError, StoredStatement,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// Expands to one `#[tokio::test]` per parity function.
///
/// `parity_suite!(open())`: `open()` is evaluated afresh for every test and yields a future of
/// `(Arc<dyn Store>, guard)`; the guard (a temporary directory, a schema to drop, or `()`)
/// lives until the test ends.
///
/// `parity_suite!(optional open())`: the future yields `Option<(Arc<dyn Store>, guard)>`, and
/// `None` skips the test (a backend whose database is not configured on this machine).
#[macro_export]
macro_rules! parity_suite {
    (optional $open:expr) => {
        $crate::parity_suite!(@list [optional] $open);
    };
    (@list [$mode:ident] $open:expr) => {
        $crate::parity_suite!(@tests [$mode] $open;
            insert_and_get_round_trip,
            stored_is_cut_to_the_millisecond_shown,
            resend_with_same_hash_is_already_present,
            different_hash_is_a_conflict,
            batch_is_atomic_after_a_conflict_mid_batch,
            empty_batch_stores_nothing,
            max_seq_follows_inserts,
            voiding_after_the_target,
            voiding_before_the_target,
            voiding_in_one_batch_both_orders,
            voiding_a_voiding_statement_does_nothing,
            voiding_statement_arriving_after_its_voider_is_not_voided,
            plain_statement_ref_does_not_void,
            statement_ref_inherits_from_stored_target,
            statement_ref_inherits_from_later_target,
            statement_ref_inheritance_is_transitive_in_any_order,
            filter_by_each_kind,
            filter_combinations,
            unknown_key_matches_nothing,
            voided_statements_are_not_queried,
            since_and_until,
            ascending_and_descending,
            limit_is_respected,
            paging_is_stable_with_after_seq_and_max_seq,
            paging_with_a_key_filter,
            queries_over_a_store_of_many_statements,
            stored_never_decreases_in_seq_order,
            concurrent_inserts_keep_order_and_stored_monotonic,
            concurrent_resends_of_one_statement,
            attachments_are_stored_once_per_sha2,
            activity_definitions_are_merged,
            activity_definitions_from_elsewhere_are_merged,
            document_swap_expecting_absent,
            document_swap_expecting_etag,
            document_keys_are_distinct,
            list_documents_with_since,
            delete_documents_in_scope,
            credentials_create_get_list_revoke,
        );
    };
    (@tests [$mode:ident] $open:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::parity_suite!(@body [$mode] $open, $name);
            }
        )*
    };
    (@body [required] $open:expr, $name:ident) => {
        let (store, _guard) = $open.await;
        $crate::$name(store).await;
    };
    (@body [optional] $open:expr, $name:ident) => {
        let Some((store, _guard)) = $open.await else { return };
        $crate::$name(store).await;
    };
    ($open:expr) => {
        $crate::parity_suite!(@list [required] $open);
    };
}

/// Expands to one `#[tokio::test]` per package-storage parity function ([`packages`]), like
/// [`parity_suite!`]: `package_parity_suite!(open())` where `open()` yields
/// `(Arc<dyn packages::PlayerStore>, guard)`, or `package_parity_suite!(optional open())`.
#[macro_export]
macro_rules! package_parity_suite {
    (optional $open:expr) => {
        $crate::package_parity_suite!(@list [optional] $open);
    };
    (@list [$mode:ident] $open:expr) => {
        $crate::package_parity_suite!(@tests [$mode] $open;
            chunks_are_content_addressed,
            versions_count_up_per_identifier,
            a_version_can_name_its_package,
            a_version_needs_its_files_stored,
            import_stores_files_once_and_adds_versions,
            registrations_launches_and_state,
            au_sessions_and_their_one_time_fetch,
            plugins_install_upgrade_and_move_their_cursor,
            plugin_leases_go_to_one_node_at_a_time,
            people_are_kept_and_listed_by_org_unit,
        );
    };
    (@tests [$mode:ident] $open:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::package_parity_suite!(@body [$mode] $open, $name);
            }
        )*
    };
    (@body [required] $open:expr, $name:ident) => {
        let (store, _guard) = $open.await;
        $crate::packages::$name(store).await;
    };
    (@body [optional] $open:expr, $name:ident) => {
        let Some((store, _guard)) = $open.await else { return };
        $crate::packages::$name(store).await;
    };
    ($open:expr) => {
        $crate::package_parity_suite!(@list [required] $open);
    };
}

pub const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

/// A point in time, `secs` after 2024-01-01T00:00:00Z, in whole milliseconds.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

pub fn verb(name: &str) -> String {
    format!("http://example.com/verbs/{name}")
}

pub fn activity(name: &str) -> String {
    format!("http://example.com/activities/{name}")
}

/// The IFI key of a test agent (opaque to the store).
pub fn agent(name: &str) -> String {
    format!("mbox:mailto:{name}@example.com")
}

fn agent_json(name: &str) -> Value {
    json!({ "objectType": "Agent", "mbox": format!("mailto:{name}@example.com") })
}

#[derive(Debug, Clone)]
enum Object {
    Activity(String),
    Agent(String),
    Ref(Uuid),
}

/// Builder of a [`PreparedStatement`] with its index keys written out the way ingest would.
#[derive(Debug, Clone)]
pub struct Stmt {
    id: Uuid,
    actor: String,
    verb: String,
    object: Object,
    stored: DateTime<Utc>,
    registration: Option<Uuid>,
    context_activities: Vec<String>,
    instructor: Option<String>,
    definition: Option<Value>,
    attachments: Vec<String>,
    /// Changes the comparison hash without changing the index (a "different content" resend).
    salt: String,
}

impl Stmt {
    /// `actor` did `verb` to the activity `object` (names, expanded by [`agent`], [`verb`],
    /// [`activity`]).
    pub fn new(actor: &str, verb_name: &str, object: &str) -> Stmt {
        Stmt {
            id: Uuid::new_v4(),
            actor: actor.to_owned(),
            verb: verb(verb_name),
            object: Object::Activity(activity(object)),
            stored: t(0),
            registration: None,
            context_activities: Vec::new(),
            instructor: None,
            definition: None,
            attachments: Vec::new(),
            salt: String::new(),
        }
    }

    /// A voiding statement by `actor`.
    pub fn voiding(actor: &str, target: Uuid) -> Stmt {
        let mut s = Stmt::new(actor, "x", "x");
        s.verb = VOIDED.to_owned();
        s.object = Object::Ref(target);
        s
    }

    /// `actor` did `verb` to the statement `target` (a StatementRef that does not void).
    pub fn referring(actor: &str, verb_name: &str, target: Uuid) -> Stmt {
        let mut s = Stmt::new(actor, verb_name, "x");
        s.object = Object::Ref(target);
        s
    }

    pub fn with_id(mut self, id: Uuid) -> Stmt {
        self.id = id;
        self
    }
    pub fn stored(mut self, at: DateTime<Utc>) -> Stmt {
        self.stored = at;
        self
    }
    pub fn registration(mut self, r: Uuid) -> Stmt {
        self.registration = Some(r);
        self
    }
    pub fn context_activity(mut self, name: &str) -> Stmt {
        self.context_activities.push(activity(name));
        self
    }
    pub fn instructor(mut self, name: &str) -> Stmt {
        self.instructor = Some(name.to_owned());
        self
    }
    /// Makes the object the agent `name` instead of an activity.
    pub fn object_agent(mut self, name: &str) -> Stmt {
        self.object = Object::Agent(name.to_owned());
        self
    }
    pub fn definition(mut self, def: Value) -> Stmt {
        self.definition = Some(def);
        self
    }
    pub fn attachment(mut self, sha2: &str) -> Stmt {
        self.attachments.push(sha2.to_owned());
        self
    }
    /// Same id and index, different content.
    pub fn altered(mut self) -> Stmt {
        self.salt.push('!');
        self
    }

    pub fn id(&self) -> Uuid {
        self.id
    }

    pub fn build(&self) -> PreparedStatement {
        let mut index = BTreeSet::new();
        let mut key = |kind, value: &str| {
            index.insert(IndexKey {
                kind,
                value: value.to_owned(),
            });
        };
        key(IndexKind::Agent, &agent(&self.actor));
        key(IndexKind::AgentRelated, &agent(&self.actor));
        key(IndexKind::Verb, &self.verb);
        key(IndexKind::AgentRelated, &agent("authority"));
        let mut activities = Vec::new();
        let object = match &self.object {
            Object::Activity(id) => {
                key(IndexKind::Activity, id);
                key(IndexKind::ActivityRelated, id);
                let mut o = json!({ "objectType": "Activity", "id": id });
                if let Some(def) = &self.definition {
                    o["definition"] = def.clone();
                    activities.push((id.clone(), def.clone()));
                }
                o
            }
            Object::Agent(name) => {
                key(IndexKind::Agent, &agent(name));
                key(IndexKind::AgentRelated, &agent(name));
                agent_json(name)
            }
            Object::Ref(id) => json!({ "objectType": "StatementRef", "id": id.to_string() }),
        };
        let mut context = serde_json::Map::new();
        if let Some(r) = self.registration {
            key(IndexKind::Registration, &r.to_string());
            context.insert("registration".into(), json!(r.to_string()));
        }
        if !self.context_activities.is_empty() {
            for a in &self.context_activities {
                key(IndexKind::ActivityRelated, a);
            }
            let list: Vec<Value> = self
                .context_activities
                .iter()
                .map(|a| json!({ "id": a }))
                .collect();
            context.insert("contextActivities".into(), json!({ "other": list }));
        }
        if let Some(i) = &self.instructor {
            key(IndexKind::AgentRelated, &agent(i));
            context.insert("instructor".into(), agent_json(i));
        }
        let stamp = xapi_model::time::format_timestamp(self.stored);
        let mut statement = json!({
            "id": self.id.to_string(),
            "actor": agent_json(&self.actor),
            "verb": { "id": self.verb },
            "object": object,
            "timestamp": stamp,
            "stored": stamp,
            "authority": agent_json("authority"),
            "version": "1.0.0",
        });
        if !context.is_empty() {
            statement["context"] = Value::Object(context);
        }
        if !self.attachments.is_empty() {
            let list: Vec<Value> = self
                .attachments
                .iter()
                .map(|h| json!({ "usageType": "http://example.com/a", "display": {"en": "a"}, "contentType": "text/plain", "length": 1, "sha2": h }))
                .collect();
            statement["attachments"] = Value::Array(list);
        }
        let references = match &self.object {
            Object::Ref(id) => Some(*id),
            _ => None,
        };
        PreparedStatement {
            id: self.id,
            stored: self.stored,
            timestamp: self.stored,
            comparison_hash: format!(
                "{}|{}|{:?}|{}",
                self.actor, self.verb, self.object, self.salt
            ),
            json: statement,
            verb_id: self.verb.clone(),
            voids: references.filter(|_| self.verb == VOIDED),
            references,
            index: index.into_iter().collect(),
            activities,
            attachment_hashes: self.attachments.clone(),
        }
    }
}

// ---- helpers -----------------------------------------------------------------------------

pub async fn insert(store: &dyn Store, batch: &[&Stmt]) -> Vec<InsertOutcome> {
    store
        .insert_statements(batch.iter().map(|s| s.build()).collect(), Vec::new())
        .await
        .unwrap()
}

pub async fn insert_one(store: &dyn Store, s: &Stmt) {
    assert_eq!(insert(store, &[s]).await, vec![InsertOutcome::Inserted]);
}

pub async fn get(store: &dyn Store, id: Uuid) -> StoredStatement {
    store
        .get_statement(id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("statement {id} is not stored"))
}

pub fn filter(keys: &[(IndexKind, &str)]) -> StatementFilter {
    StatementFilter {
        keys: keys
            .iter()
            .map(|(kind, value)| IndexKey {
                kind: *kind,
                value: (*value).to_owned(),
            })
            .collect(),
        limit: 1000,
        ..StatementFilter::default()
    }
}

pub async fn query_ids(store: &dyn Store, f: &StatementFilter) -> Vec<Uuid> {
    store
        .query_statements(f)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect()
}

fn stored_in_json(s: &StoredStatement) -> DateTime<Utc> {
    let v: Value = serde_json::from_str(&s.json).unwrap();
    let text = v["stored"].as_str().unwrap();
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn ids(list: &[&Stmt]) -> Vec<Uuid> {
    list.iter().map(|s| s.id()).collect()
}

// ---- statements: insert and read back ------------------------------------------------------

pub async fn insert_and_get_round_trip(store: Arc<dyn Store>) {
    let s = Stmt::new("alice", "did", "a").stored(t(5));
    let prepared = s.build();
    insert_one(&*store, &s).await;
    let got = get(&*store, s.id()).await;
    assert_eq!(got.id, s.id());
    assert!(got.seq > 0);
    assert!(!got.voided);
    assert_eq!(got.stored, t(5));
    let json: Value = serde_json::from_str(&got.json).unwrap();
    assert_eq!(json, prepared.json, "the statement comes back as stored");
    assert!(got.attachment_hashes.is_empty());
    assert!(store.get_statement(Uuid::new_v4()).await.unwrap().is_none());
}

pub async fn stored_is_cut_to_the_millisecond_shown(store: Arc<dyn Store>) {
    let s = Stmt::new("alice", "did", "a").stored(t(7) + chrono::Duration::microseconds(123_456));
    insert_one(&*store, &s).await;
    let got = get(&*store, s.id()).await;
    assert_eq!(
        got.stored,
        stored_in_json(&got),
        "the stored column and the JSON agree"
    );
    assert_eq!(got.stored, t(7) + chrono::Duration::milliseconds(123));
}

pub async fn resend_with_same_hash_is_already_present(store: Arc<dyn Store>) {
    let s = Stmt::new("alice", "did", "a");
    let other = Stmt::new("bob", "did", "a");
    insert_one(&*store, &s).await;
    let seq = store.max_seq().await.unwrap();
    assert_eq!(
        insert(&*store, &[&s, &other]).await,
        vec![InsertOutcome::AlreadyPresent, InsertOutcome::Inserted]
    );
    assert_eq!(
        store.max_seq().await.unwrap(),
        seq + 1,
        "only the new statement was stored"
    );
    assert_eq!(query_ids(&*store, &filter(&[])).await, ids(&[&other, &s]));
}

pub async fn different_hash_is_a_conflict(store: Arc<dyn Store>) {
    let s = Stmt::new("alice", "did", "a");
    insert_one(&*store, &s).await;
    let before = get(&*store, s.id()).await;
    let err = store
        .insert_statements(vec![s.clone().altered().build()], Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(id) if id == s.id()),
        "{err:?}"
    );
    assert_eq!(get(&*store, s.id()).await.json, before.json);
}

pub async fn batch_is_atomic_after_a_conflict_mid_batch(store: Arc<dyn Store>) {
    let first = Stmt::new("alice", "did", "a").definition(json!({"name": {"en": "A"}}));
    insert_one(&*store, &first).await;
    let seq = store.max_seq().await.unwrap();

    let target = Stmt::new("carol", "did", "c");
    insert_one(&*store, &target).await;
    let seq = seq.max(store.max_seq().await.unwrap());

    let new1 = Stmt::new("bob", "did", "b").definition(json!({"name": {"en": "changed"}}));
    let conflicting = first.clone().altered();
    let voider = Stmt::voiding("bob", target.id());
    let new2 = Stmt::new("bob", "did", "a").definition(json!({"name": {"en": "changed too"}}));
    let batch = vec![
        new1.build(),
        voider.build(),
        conflicting.build(),
        new2.build(),
    ];
    let data = vec![AttachmentData {
        sha2: "ab".repeat(32),
        content_type: "text/plain".into(),
        data: b"x".to_vec(),
    }];
    let err = store.insert_statements(batch, data).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(id) if id == first.id()),
        "{err:?}"
    );

    assert!(store.get_statement(new1.id()).await.unwrap().is_none());
    assert!(store.get_statement(voider.id()).await.unwrap().is_none());
    assert!(store.get_statement(new2.id()).await.unwrap().is_none());
    assert!(
        !get(&*store, target.id()).await.voided,
        "the voiding of a failed batch is undone"
    );
    assert_eq!(store.max_seq().await.unwrap(), seq);
    assert_eq!(store.get_activity(&activity("b")).await.unwrap(), None);
    assert_eq!(
        store.get_activity(&activity("a")).await.unwrap(),
        Some(json!({"name": {"en": "A"}}))
    );
    assert!(
        store
            .get_attachments(&["ab".repeat(32)])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        query_ids(&*store, &filter(&[(IndexKind::Agent, &agent("bob"))])).await,
        Vec::<Uuid>::new()
    );

    // The same batch without the conflict goes through whole.
    let outcomes = insert(&*store, &[&new1, &voider, &first, &new2]).await;
    assert_eq!(
        outcomes,
        vec![
            InsertOutcome::Inserted,
            InsertOutcome::Inserted,
            InsertOutcome::AlreadyPresent,
            InsertOutcome::Inserted
        ]
    );
}

pub async fn empty_batch_stores_nothing(store: Arc<dyn Store>) {
    assert!(
        store
            .insert_statements(Vec::new(), Vec::new())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.max_seq().await.unwrap(), 0);
    assert!(query_ids(&*store, &filter(&[])).await.is_empty());
}

pub async fn max_seq_follows_inserts(store: Arc<dyn Store>) {
    assert_eq!(store.max_seq().await.unwrap(), 0);
    let a = Stmt::new("alice", "did", "a");
    let b = Stmt::new("alice", "did", "b");
    insert(&*store, &[&a, &b]).await;
    let (sa, sb) = (
        get(&*store, a.id()).await.seq,
        get(&*store, b.id()).await.seq,
    );
    assert!(sa < sb, "seq follows batch order");
    assert_eq!(store.max_seq().await.unwrap(), sb);
}

// ---- voiding -----------------------------------------------------------------------------

pub async fn voiding_after_the_target(store: Arc<dyn Store>) {
    let target = Stmt::new("alice", "did", "a");
    let voider = Stmt::voiding("bob", target.id());
    insert_one(&*store, &target).await;
    insert_one(&*store, &voider).await;
    assert!(
        get(&*store, target.id()).await.voided,
        "get returns voided statements, marked"
    );
    assert!(!get(&*store, voider.id()).await.voided);
    assert_eq!(query_ids(&*store, &filter(&[])).await, ids(&[&voider]));
    // The voiding statement matches the filters of the statement it voids.
    assert_eq!(
        query_ids(&*store, &filter(&[(IndexKind::Activity, &activity("a"))])).await,
        ids(&[&voider])
    );
}

pub async fn voiding_before_the_target(store: Arc<dyn Store>) {
    let target = Stmt::new("alice", "did", "a");
    let voider = Stmt::voiding("bob", target.id());
    insert_one(&*store, &voider).await;
    insert_one(&*store, &target).await;
    assert!(
        get(&*store, target.id()).await.voided,
        "a statement already voided is stored voided"
    );
    assert!(!get(&*store, voider.id()).await.voided);
    assert_eq!(query_ids(&*store, &filter(&[])).await, ids(&[&voider]));
    assert_eq!(
        query_ids(&*store, &filter(&[(IndexKind::Agent, &agent("alice"))])).await,
        ids(&[&voider])
    );
}

pub async fn voiding_in_one_batch_both_orders(store: Arc<dyn Store>) {
    let t1 = Stmt::new("alice", "did", "a");
    let v1 = Stmt::voiding("bob", t1.id());
    insert(&*store, &[&t1, &v1]).await;
    let t2 = Stmt::new("alice", "did", "b");
    let v2 = Stmt::voiding("bob", t2.id());
    insert(&*store, &[&v2, &t2]).await;
    assert!(get(&*store, t1.id()).await.voided);
    assert!(get(&*store, t2.id()).await.voided);
    assert_eq!(query_ids(&*store, &filter(&[])).await, ids(&[&v2, &v1]));
}

pub async fn voiding_a_voiding_statement_does_nothing(store: Arc<dyn Store>) {
    let target = Stmt::new("alice", "did", "a");
    let v1 = Stmt::voiding("bob", target.id());
    let v2 = Stmt::voiding("carol", v1.id());
    insert_one(&*store, &target).await;
    insert_one(&*store, &v1).await;
    insert_one(&*store, &v2).await;
    assert!(get(&*store, target.id()).await.voided);
    assert!(
        !get(&*store, v1.id()).await.voided,
        "a voiding statement cannot be voided"
    );
    assert!(!get(&*store, v2.id()).await.voided);
    assert_eq!(query_ids(&*store, &filter(&[])).await, ids(&[&v2, &v1]));
}

pub async fn voiding_statement_arriving_after_its_voider_is_not_voided(store: Arc<dyn Store>) {
    let target = Stmt::new("alice", "did", "a");
    let v1 = Stmt::voiding("bob", target.id());
    let v2 = Stmt::voiding("carol", v1.id());
    insert_one(&*store, &v2).await;
    insert_one(&*store, &v1).await;
    insert_one(&*store, &target).await;
    assert!(!get(&*store, v1.id()).await.voided);
    assert!(get(&*store, target.id()).await.voided);
}

pub async fn plain_statement_ref_does_not_void(store: Arc<dyn Store>) {
    let target = Stmt::new("alice", "did", "a");
    let r = Stmt::referring("bob", "liked", target.id());
    insert_one(&*store, &target).await;
    insert_one(&*store, &r).await;
    assert!(!get(&*store, target.id()).await.voided);
    assert_eq!(query_ids(&*store, &filter(&[])).await, ids(&[&r, &target]));
}

// ---- StatementRef inheritance ----------------------------------------------------------------

async fn check_inheritance(store: &dyn Store, target: &Stmt, referrer: &Stmt) {
    // Both match the target's activity and actor; only the referrer matches its own actor.
    let by_activity = query_ids(store, &filter(&[(IndexKind::Activity, &activity("a"))])).await;
    assert_eq!(
        BTreeSet::from_iter(by_activity),
        BTreeSet::from([target.id(), referrer.id()])
    );
    let by_alice = query_ids(store, &filter(&[(IndexKind::Agent, &agent("alice"))])).await;
    assert_eq!(
        BTreeSet::from_iter(by_alice),
        BTreeSet::from([target.id(), referrer.id()])
    );
    assert_eq!(
        query_ids(store, &filter(&[(IndexKind::Agent, &agent("bob"))])).await,
        vec![referrer.id()]
    );
    // Own and inherited keys combine.
    let both = filter(&[
        (IndexKind::Verb, &verb("liked")),
        (IndexKind::Activity, &activity("a")),
    ]);
    assert_eq!(query_ids(store, &both).await, vec![referrer.id()]);
    let reg = target.registration.unwrap().to_string();
    let both = filter(&[
        (IndexKind::Registration, &reg),
        (IndexKind::AgentRelated, &agent("bob")),
    ]);
    assert_eq!(query_ids(store, &both).await, vec![referrer.id()]);
}

pub async fn statement_ref_inherits_from_stored_target(store: Arc<dyn Store>) {
    let target = Stmt::new("alice", "did", "a").registration(Uuid::new_v4());
    let referrer = Stmt::referring("bob", "liked", target.id());
    insert_one(&*store, &target).await;
    insert_one(&*store, &referrer).await;
    check_inheritance(&*store, &target, &referrer).await;
}

pub async fn statement_ref_inherits_from_later_target(store: Arc<dyn Store>) {
    let target = Stmt::new("alice", "did", "a").registration(Uuid::new_v4());
    let referrer = Stmt::referring("bob", "liked", target.id());
    insert_one(&*store, &referrer).await;
    assert_eq!(
        query_ids(&*store, &filter(&[(IndexKind::Activity, &activity("a"))])).await,
        Vec::<Uuid>::new()
    );
    insert_one(&*store, &target).await;
    check_inheritance(&*store, &target, &referrer).await;
}

pub async fn statement_ref_inheritance_is_transitive_in_any_order(store: Arc<dyn Store>) {
    // c refers to b, b refers to a; every arrival order, batched and not.
    let orders: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for (n, order) in orders.iter().enumerate() {
        let act = format!("chain{n}");
        let a = Stmt::new("alice", "did", &act);
        let b = Stmt::referring("bob", "liked", a.id());
        let c = Stmt::referring("carol", "shared", b.id());
        let all = [&a, &b, &c];
        if n % 2 == 0 {
            for i in order {
                insert_one(&*store, all[*i]).await;
            }
        } else {
            let batch: Vec<&Stmt> = order.iter().map(|i| all[*i]).collect();
            insert(&*store, &batch).await;
        }
        let by_activity =
            query_ids(&*store, &filter(&[(IndexKind::Activity, &activity(&act))])).await;
        assert_eq!(
            BTreeSet::from_iter(by_activity),
            BTreeSet::from([a.id(), b.id(), c.id()]),
            "order {order:?}"
        );
        let carol_alice = filter(&[
            (IndexKind::Agent, &agent("carol")),
            (IndexKind::ActivityRelated, &activity(&act)),
        ]);
        assert_eq!(
            query_ids(&*store, &carol_alice).await,
            vec![c.id()],
            "order {order:?}"
        );
        let bob_liked = filter(&[
            (IndexKind::Agent, &agent("bob")),
            (IndexKind::Verb, &verb("liked")),
        ]);
        assert!(
            query_ids(&*store, &bob_liked).await.contains(&c.id()),
            "order {order:?}"
        );
    }
}

// ---- filters -------------------------------------------------------------------------------

struct Dataset {
    s1: Stmt,
    s2: Stmt,
    s3: Stmt,
    s4: Stmt,
    s5: Stmt,
    r1: Uuid,
    r2: Uuid,
}

async fn dataset(store: &dyn Store) -> Dataset {
    let (r1, r2) = (Uuid::new_v4(), Uuid::new_v4());
    let d = Dataset {
        s1: Stmt::new("alice", "v1", "act1").registration(r1),
        s2: Stmt::new("bob", "v1", "act2").context_activity("act1"),
        s3: Stmt::new("carol", "v2", "x").object_agent("alice"),
        s4: Stmt::new("alice", "v2", "act2")
            .registration(r2)
            .context_activity("act3"),
        s5: Stmt::new("dave", "v3", "act3").instructor("alice"),
        r1,
        r2,
    };
    insert(store, &[&d.s1, &d.s2, &d.s3]).await;
    insert(store, &[&d.s4, &d.s5]).await;
    d
}

async fn check(store: &dyn Store, keys: &[(IndexKind, &str)], expected: &[&Stmt]) {
    let mut want = ids(expected);
    want.reverse(); // descending seq
    assert_eq!(
        query_ids(store, &filter(keys)).await,
        want,
        "filter {keys:?}"
    );
}

pub async fn filter_by_each_kind(store: Arc<dyn Store>) {
    let d = dataset(&*store).await;
    let s = &*store;
    check(s, &[], &[&d.s1, &d.s2, &d.s3, &d.s4, &d.s5]).await;
    check(
        s,
        &[(IndexKind::Agent, &agent("alice"))],
        &[&d.s1, &d.s3, &d.s4],
    )
    .await;
    check(
        s,
        &[(IndexKind::AgentRelated, &agent("alice"))],
        &[&d.s1, &d.s3, &d.s4, &d.s5],
    )
    .await;
    check(s, &[(IndexKind::Verb, &verb("v1"))], &[&d.s1, &d.s2]).await;
    check(s, &[(IndexKind::Activity, &activity("act1"))], &[&d.s1]).await;
    check(
        s,
        &[(IndexKind::ActivityRelated, &activity("act1"))],
        &[&d.s1, &d.s2],
    )
    .await;
    check(
        s,
        &[(IndexKind::ActivityRelated, &activity("act3"))],
        &[&d.s4, &d.s5],
    )
    .await;
    check(s, &[(IndexKind::Registration, &d.r1.to_string())], &[&d.s1]).await;
    check(s, &[(IndexKind::Registration, &d.r2.to_string())], &[&d.s4]).await;
}

pub async fn filter_combinations(store: Arc<dyn Store>) {
    let d = dataset(&*store).await;
    let s = &*store;
    check(
        s,
        &[
            (IndexKind::Agent, &agent("alice")),
            (IndexKind::Verb, &verb("v2")),
        ],
        &[&d.s3, &d.s4],
    )
    .await;
    check(
        s,
        &[
            (IndexKind::Activity, &activity("act2")),
            (IndexKind::Registration, &d.r2.to_string()),
        ],
        &[&d.s4],
    )
    .await;
    check(
        s,
        &[
            (IndexKind::ActivityRelated, &activity("act1")),
            (IndexKind::Agent, &agent("bob")),
        ],
        &[&d.s2],
    )
    .await;
    check(
        s,
        &[
            (IndexKind::AgentRelated, &agent("alice")),
            (IndexKind::ActivityRelated, &activity("act3")),
            (IndexKind::Verb, &verb("v3")),
        ],
        &[&d.s5],
    )
    .await;
    check(
        s,
        &[
            (IndexKind::Agent, &agent("alice")),
            (IndexKind::Verb, &verb("v1")),
            (IndexKind::Registration, &d.r2.to_string()),
        ],
        &[],
    )
    .await;
    // Every key kind at once.
    check(
        s,
        &[
            (IndexKind::Agent, &agent("alice")),
            (IndexKind::AgentRelated, &agent("alice")),
            (IndexKind::Verb, &verb("v2")),
            (IndexKind::Activity, &activity("act2")),
            (IndexKind::ActivityRelated, &activity("act3")),
            (IndexKind::Registration, &d.r2.to_string()),
        ],
        &[&d.s4],
    )
    .await;
}

pub async fn unknown_key_matches_nothing(store: Arc<dyn Store>) {
    let _d = dataset(&*store).await;
    let s = &*store;
    check(s, &[(IndexKind::Agent, &agent("nobody"))], &[]).await;
    check(
        s,
        &[
            (IndexKind::Verb, &verb("v1")),
            (IndexKind::Activity, &activity("nothing")),
        ],
        &[],
    )
    .await;
    // A value known under another kind is not a match.
    check(s, &[(IndexKind::Verb, &activity("act1"))], &[]).await;
    check(
        s,
        &[
            (IndexKind::Activity, &activity("act1")),
            (IndexKind::Agent, &agent("dave")),
        ],
        &[],
    )
    .await;
    check(
        s,
        &[(IndexKind::Registration, &Uuid::new_v4().to_string())],
        &[],
    )
    .await;
}

pub async fn voided_statements_are_not_queried(store: Arc<dyn Store>) {
    let d = dataset(&*store).await;
    let v = Stmt::voiding("eve", d.s4.id());
    insert_one(&*store, &v).await;
    let s = &*store;
    check(
        s,
        &[(IndexKind::Agent, &agent("alice"))],
        &[&d.s1, &d.s3, &v],
    )
    .await;
    check(s, &[(IndexKind::Registration, &d.r2.to_string())], &[&v]).await;
    check(s, &[(IndexKind::Agent, &agent("eve"))], &[&v]).await;
    check(s, &[], &[&d.s1, &d.s2, &d.s3, &d.s5, &v]).await;
}

// ---- time, order, paging ------------------------------------------------------------------------

pub async fn since_and_until(store: Arc<dyn Store>) {
    let a = Stmt::new("alice", "did", "a").stored(t(10));
    let b = Stmt::new("alice", "did", "a").stored(t(20));
    let c = Stmt::new("alice", "did", "a").stored(t(30));
    insert(&*store, &[&a, &b]).await;
    insert_one(&*store, &c).await;
    for keys in [vec![], vec![(IndexKind::Agent, agent("alice"))]] {
        let window = |since: Option<i64>, until: Option<i64>| StatementFilter {
            keys: keys
                .iter()
                .map(|(kind, value)| IndexKey {
                    kind: *kind,
                    value: value.clone(),
                })
                .collect(),
            since: since.map(t),
            until: until.map(t),
            limit: 100,
            ..StatementFilter::default()
        };
        let s = &*store;
        assert_eq!(
            query_ids(s, &window(Some(10), None)).await,
            ids(&[&c, &b]),
            "since is exclusive"
        );
        assert_eq!(
            query_ids(s, &window(Some(9), None)).await,
            ids(&[&c, &b, &a])
        );
        assert_eq!(
            query_ids(s, &window(None, Some(20))).await,
            ids(&[&b, &a]),
            "until is inclusive"
        );
        assert_eq!(query_ids(s, &window(None, Some(19))).await, ids(&[&a]));
        assert_eq!(query_ids(s, &window(Some(10), Some(20))).await, ids(&[&b]));
        assert_eq!(query_ids(s, &window(Some(15), Some(25))).await, ids(&[&b]));
        assert!(query_ids(s, &window(Some(30), None)).await.is_empty());
        assert!(query_ids(s, &window(None, Some(5))).await.is_empty());
        assert!(query_ids(s, &window(Some(20), Some(10))).await.is_empty());
    }
}

pub async fn ascending_and_descending(store: Arc<dyn Store>) {
    let list: Vec<Stmt> = (0..5)
        .map(|i| Stmt::new("alice", "did", "a").stored(t(i)))
        .collect();
    for s in &list {
        insert_one(&*store, s).await;
    }
    let refs: Vec<&Stmt> = list.iter().collect();
    let mut f = filter(&[]);
    f.ascending = true;
    assert_eq!(query_ids(&*store, &f).await, ids(&refs));
    f.keys = vec![IndexKey {
        kind: IndexKind::Verb,
        value: verb("did"),
    }];
    assert_eq!(query_ids(&*store, &f).await, ids(&refs));
    f.ascending = false;
    let mut desc = ids(&refs);
    desc.reverse();
    assert_eq!(query_ids(&*store, &f).await, desc);
}

pub async fn limit_is_respected(store: Arc<dyn Store>) {
    let list: Vec<Stmt> = (0..7).map(|_| Stmt::new("alice", "did", "a")).collect();
    insert(&*store, &list.iter().collect::<Vec<_>>()).await;
    for keys in [vec![], vec![(IndexKind::Activity, activity("a"))]] {
        let mut f = filter(
            &keys
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        );
        f.limit = 3;
        assert_eq!(
            query_ids(&*store, &f).await,
            vec![list[6].id(), list[5].id(), list[4].id()]
        );
        f.ascending = true;
        assert_eq!(
            query_ids(&*store, &f).await,
            vec![list[0].id(), list[1].id(), list[2].id()]
        );
        f.limit = 1;
        assert_eq!(query_ids(&*store, &f).await, vec![list[0].id()]);
    }
}

/// Reads every page of `f` (with `limit` per page) following `after_seq`, inserting `interleave`
/// statements after the first page.
async fn read_pages(store: &dyn Store, mut f: StatementFilter, interleave: &[Stmt]) -> Vec<Uuid> {
    f.max_seq = Some(store.max_seq().await.unwrap());
    let mut out = Vec::new();
    let mut first = true;
    loop {
        let page = store.query_statements(&f).await.unwrap();
        assert!(page.len() <= f.limit as usize);
        out.extend(page.iter().map(|s| s.id));
        if first {
            for s in interleave {
                insert_one(store, s).await;
            }
            first = false;
        }
        match page.last() {
            Some(last) if page.len() == f.limit as usize => f.after_seq = Some(last.seq),
            _ => return out,
        }
    }
}

pub async fn paging_is_stable_with_after_seq_and_max_seq(store: Arc<dyn Store>) {
    let list: Vec<Stmt> = (0..10).map(|_| Stmt::new("alice", "did", "a")).collect();
    insert(&*store, &list.iter().collect::<Vec<_>>()).await;
    let all = ids(&list.iter().collect::<Vec<_>>());
    let later: Vec<Stmt> = (0..4).map(|_| Stmt::new("alice", "did", "a")).collect();
    let later2: Vec<Stmt> = (0..4).map(|_| Stmt::new("alice", "did", "a")).collect();

    let mut f = filter(&[]);
    f.limit = 3;
    let mut desc = all.clone();
    desc.reverse();
    assert_eq!(
        read_pages(&*store, f.clone(), &later).await,
        desc,
        "descending pages ignore later statements"
    );
    f.ascending = true;
    assert_eq!(read_pages(&*store, f.clone(), &later2).await, {
        let mut asc = all.clone();
        asc.extend(ids(&later.iter().collect::<Vec<_>>()));
        asc
    });
    // after_seq alone (no max_seq) continues from that point in the query's direction.
    let s5 = get(&*store, list[5].id()).await.seq;
    let mut g = filter(&[]);
    g.after_seq = Some(s5);
    g.limit = 2;
    assert_eq!(
        query_ids(&*store, &g).await,
        vec![list[4].id(), list[3].id()]
    );
    g.ascending = true;
    assert_eq!(
        query_ids(&*store, &g).await,
        vec![list[6].id(), list[7].id()]
    );
}

pub async fn paging_with_a_key_filter(store: Arc<dyn Store>) {
    let mut mine = Vec::new();
    for i in 0..12 {
        let s = if i % 3 == 0 {
            Stmt::new("bob", "did", "a")
        } else {
            Stmt::new("alice", "did", "a")
        };
        insert_one(&*store, &s).await;
        if i % 3 != 0 {
            mine.push(s.id());
        }
    }
    let mut f = filter(&[
        (IndexKind::Agent, &agent("alice")),
        (IndexKind::Verb, &verb("did")),
    ]);
    f.limit = 3;
    f.ascending = true;
    let interleave = vec![Stmt::new("alice", "did", "a")];
    assert_eq!(read_pages(&*store, f.clone(), &interleave).await, mine);
    f.ascending = false;
    let mut desc = mine.clone();
    desc.push(interleave[0].id());
    desc.reverse();
    assert_eq!(read_pages(&*store, f, &[]).await, desc);
}

/// Statements in [`queries_over_a_store_of_many_statements`]: enough for a backend that
/// partitions its index by ranges of seq (SQLite: 16,384 statements per segment) to spread every
/// key over several partitions.
pub const MANY: usize = 40_000;

/// Filters over a store large enough that matches are spread thinly over many statements: a
/// rare key, two keys together, limits, paging, ascending and since/until, each checked against
/// the list computed from what was inserted.
pub async fn queries_over_a_store_of_many_statements(store: Arc<dyn Store>) {
    let rare = Uuid::new_v4();
    let mut all: Vec<(usize, Stmt)> = Vec::with_capacity(MANY);
    for chunk in (0..MANY).collect::<Vec<_>>().chunks(2_000) {
        let batch: Vec<Stmt> = chunk
            .iter()
            .map(|&i| {
                let actor = format!("p{}", i % 7);
                let verb_name = format!("v{}", i % 3);
                let mut s = Stmt::new(&actor, &verb_name, &format!("a{}", i % 11))
                    .stored(t(i64::try_from(i / 10).unwrap()));
                if i % 9_001 == 17 {
                    s = s.registration(rare);
                }
                s
            })
            .collect();
        insert(&*store, &batch.iter().collect::<Vec<_>>()).await;
        all.extend(chunk.iter().copied().zip(batch));
    }
    let expect = |pred: &dyn Fn(usize) -> bool, ascending: bool, limit: usize| -> Vec<Uuid> {
        let mut list: Vec<Uuid> = all
            .iter()
            .filter(|(i, _)| pred(*i))
            .map(|(_, s)| s.id())
            .collect();
        if !ascending {
            list.reverse();
        }
        list.truncate(limit);
        list
    };

    // A key found only in a few statements far apart.
    let reg = rare.to_string();
    let mut f = filter(&[(IndexKind::Registration, &reg)]);
    let rare_pred = |i: usize| i % 9_001 == 17;
    assert_eq!(
        query_ids(&*store, &f).await,
        expect(&rare_pred, false, 1000)
    );
    f.ascending = true;
    assert_eq!(query_ids(&*store, &f).await, expect(&rare_pred, true, 1000));
    f.limit = 2;
    assert_eq!(query_ids(&*store, &f).await, expect(&rare_pred, true, 2));

    // Two keys together, newest first, limited.
    let p3 = agent("p3");
    let v1 = verb("v1");
    let mut f = filter(&[(IndexKind::Agent, &p3), (IndexKind::Verb, &v1)]);
    f.limit = 50;
    let both = |i: usize| i % 7 == 3 && i % 3 == 1;
    assert_eq!(query_ids(&*store, &f).await, expect(&both, false, 50));
    // A key with every other key of its kind: the rare one drives, whatever the order given.
    let mut f = filter(&[(IndexKind::Verb, &v1), (IndexKind::Registration, &reg)]);
    let rare_v1 = |i: usize| rare_pred(i) && i % 3 == 1;
    assert_eq!(query_ids(&*store, &f).await, expect(&rare_v1, false, 1000));
    f.ascending = true;
    assert_eq!(query_ids(&*store, &f).await, expect(&rare_v1, true, 1000));

    // Paging through one agent's statements, both ways, pages crossing any partition bounds.
    let p5 = agent("p5");
    let mut f = filter(&[(IndexKind::Agent, &p5)]);
    f.limit = 997;
    let p5_pred = |i: usize| i % 7 == 5;
    assert_eq!(
        read_pages(&*store, f.clone(), &[]).await,
        expect(&p5_pred, false, MANY)
    );
    f.ascending = true;
    assert_eq!(
        read_pages(&*store, f, &[]).await,
        expect(&p5_pred, true, MANY)
    );

    // since/until cut out a window in the middle (stored = i / 10 seconds).
    let a4 = activity("a4");
    let mut f = filter(&[(IndexKind::Activity, &a4)]);
    f.since = Some(t(1_500));
    f.until = Some(t(2_100));
    f.limit = 1000;
    let window = |i: usize| i % 11 == 4 && i / 10 > 1_500 && i / 10 <= 2_100;
    assert_eq!(query_ids(&*store, &f).await, expect(&window, false, 1000));
    f.ascending = true;
    assert_eq!(query_ids(&*store, &f).await, expect(&window, true, 1000));
    // And without keys.
    let mut f = filter(&[]);
    f.since = Some(t(3_000));
    f.limit = 10;
    f.ascending = true;
    let after = |i: usize| i / 10 > 3_000;
    assert_eq!(query_ids(&*store, &f).await, expect(&after, true, 10));
}

pub async fn stored_never_decreases_in_seq_order(store: Arc<dyn Store>) {
    let a = Stmt::new("alice", "did", "a").stored(t(100));
    let b = Stmt::new("alice", "did", "a").stored(t(50));
    let c = Stmt::new("alice", "did", "a").stored(t(120));
    let d = Stmt::new("alice", "did", "a").stored(t(110));
    insert_one(&*store, &a).await;
    insert_one(&*store, &b).await;
    insert(&*store, &[&c, &d]).await;
    let gb = get(&*store, b.id()).await;
    assert_eq!(
        gb.stored,
        t(100),
        "stored moved forward to the latest stored so far"
    );
    assert_eq!(stored_in_json(&gb), t(100), "and the JSON says so");
    let gd = get(&*store, d.id()).await;
    assert_eq!(gd.stored, t(120));
    assert_eq!(stored_in_json(&gd), t(120));
    let mut f = filter(&[]);
    f.since = Some(t(99));
    f.until = Some(t(100));
    assert_eq!(query_ids(&*store, &f).await, ids(&[&b, &a]));
}

pub async fn concurrent_inserts_keep_order_and_stored_monotonic(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for task in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..8 {
                // Proposed `stored` values arrive out of order across tasks.
                let at = t(1000 + ((task * 7 + n * 13) % 50));
                let batch: Vec<Stmt> = (0..5)
                    .map(|_| Stmt::new(&format!("agent{task}"), "did", "a").stored(at))
                    .collect();
                let outcomes = insert(&*store, &batch.iter().collect::<Vec<_>>()).await;
                assert_eq!(outcomes, vec![InsertOutcome::Inserted; 5]);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut f = filter(&[]);
    f.ascending = true;
    let rows = store.query_statements(&f).await.unwrap();
    assert_eq!(rows.len(), 16 * 8 * 5);
    for pair in rows.windows(2) {
        assert!(pair[0].seq < pair[1].seq);
        assert!(
            pair[0].stored <= pair[1].stored,
            "stored decreased between seq {} and {}",
            pair[0].seq,
            pair[1].seq
        );
    }
    for r in &rows {
        assert_eq!(r.stored, stored_in_json(r));
    }
    let f = filter(&[(IndexKind::Agent, &agent("agent3"))]);
    assert_eq!(query_ids(&*store, &f).await.len(), 40);
}

pub async fn concurrent_resends_of_one_statement(store: Arc<dyn Store>) {
    let s = Stmt::new("alice", "did", "a");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, s) = (store.clone(), s.clone());
        tasks.push(tokio::spawn(async move { insert(&*store, &[&s]).await }));
    }
    let mut inserted = 0;
    for t in tasks {
        let outcome = t.await.unwrap();
        inserted += outcome
            .iter()
            .filter(|o| **o == InsertOutcome::Inserted)
            .count();
    }
    assert_eq!(inserted, 1);
    assert_eq!(query_ids(&*store, &filter(&[])).await, vec![s.id()]);
}

// ---- attachments and activities ------------------------------------------------------------------

pub async fn attachments_are_stored_once_per_sha2(store: Arc<dyn Store>) {
    let h1 = "1a".repeat(32);
    let h2 = "2b".repeat(32);
    let data = |h: &str, body: &[u8]| AttachmentData {
        sha2: h.to_owned(),
        content_type: "text/plain".into(),
        data: body.to_vec(),
    };
    let s1 = Stmt::new("alice", "did", "a").attachment(&h1);
    let s2 = Stmt::new("alice", "did", "a")
        .attachment(&h1)
        .attachment(&h2);
    store
        .insert_statements(vec![s1.build()], vec![data(&h1, b"one")])
        .await
        .unwrap();
    store
        .insert_statements(vec![s2.build()], vec![data(&h1, b"one"), data(&h2, b"two")])
        .await
        .unwrap();
    assert_eq!(
        get(&*store, s1.id()).await.attachment_hashes,
        vec![h1.clone()]
    );
    assert_eq!(
        get(&*store, s2.id()).await.attachment_hashes,
        vec![h1.clone(), h2.clone()]
    );
    let mut got = store
        .get_attachments(&[h2.clone(), h1.clone(), h1.clone(), "ff".repeat(32)])
        .await
        .unwrap();
    got.sort_by(|a, b| a.sha2.cmp(&b.sha2));
    assert_eq!(
        got,
        vec![data(&h1, b"one"), data(&h2, b"two")],
        "once per sha2, unknown left out"
    );
    assert!(store.get_attachments(&[]).await.unwrap().is_empty());
    let rows = store.query_statements(&filter(&[])).await.unwrap();
    assert_eq!(rows[0].attachment_hashes, vec![h1.clone(), h2.clone()]);
}

pub async fn activity_definitions_are_merged(store: Arc<dyn Store>) {
    assert_eq!(store.get_activity(&activity("a")).await.unwrap(), None);
    let s1 = Stmt::new("alice", "did", "a")
        .definition(json!({"name": {"en": "A"}, "type": "http://t/1"}));
    let s2 = Stmt::new("alice", "did", "a").definition(
        json!({"name": {"sv": "B"}, "description": {"en": "d"}, "extensions": {"http://x/a": 1}}),
    );
    let s3 = Stmt::new("alice", "did", "a")
        .definition(json!({"type": "http://t/2", "extensions": {"http://x/b": 2}}));
    insert_one(&*store, &s1).await;
    insert(&*store, &[&s2, &s3]).await;
    assert_eq!(
        store.get_activity(&activity("a")).await.unwrap(),
        Some(json!({
            "name": {"en": "A", "sv": "B"},
            "description": {"en": "d"},
            "type": "http://t/2",
            "extensions": {"http://x/a": 1, "http://x/b": 2},
        }))
    );
    // A resend changes nothing, even with a definition the stored one does not have.
    let resend = s1
        .clone()
        .definition(json!({"name": {"en": "A"}, "type": "http://t/1"}));
    assert_eq!(
        insert(&*store, &[&resend]).await,
        vec![InsertOutcome::AlreadyPresent]
    );
    assert_eq!(
        store.get_activity(&activity("a")).await.unwrap().unwrap()["type"],
        json!("http://t/2")
    );
    // Seen without a definition: no definition stored.
    insert_one(&*store, &Stmt::new("alice", "did", "plain")).await;
    assert_eq!(store.get_activity(&activity("plain")).await.unwrap(), None);
}

pub async fn activity_definitions_from_elsewhere_are_merged(store: Arc<dyn Store>) {
    // A course structure defines two activities; one of them was defined by a statement too.
    let s = Stmt::new("alice", "did", "a")
        .definition(json!({"name": {"en": "From a statement"}, "extensions": {"http://x/a": 1}}));
    insert_one(&*store, &s).await;
    store
        .merge_activity_definitions(vec![
            (
                activity("a"),
                json!({"name": {"sv": "Från kursen"}, "type": "http://t/lesson"}),
            ),
            (
                activity("b"),
                json!({"name": {"en": "B"}, "type": "http://t/course"}),
            ),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.get_activity(&activity("a")).await.unwrap(),
        Some(json!({
            "name": {"en": "From a statement", "sv": "Från kursen"},
            "type": "http://t/lesson",
            "extensions": {"http://x/a": 1},
        }))
    );
    assert_eq!(
        store.get_activity(&activity("b")).await.unwrap(),
        Some(json!({"name": {"en": "B"}, "type": "http://t/course"}))
    );
    // A later statement merges on top, as ever.
    let later = Stmt::new("alice", "did", "b").definition(json!({"description": {"en": "d"}}));
    insert_one(&*store, &later).await;
    assert_eq!(
        store.get_activity(&activity("b")).await.unwrap(),
        Some(json!({"name": {"en": "B"}, "type": "http://t/course", "description": {"en": "d"}}))
    );
    store.merge_activity_definitions(Vec::new()).await.unwrap();
}

// ---- documents ---------------------------------------------------------------------------------------

pub fn doc(body: &str, at: DateTime<Utc>) -> Document {
    Document {
        content_type: "application/json".into(),
        content: body.as_bytes().to_vec(),
        etag: format!("etag-{body}"),
        updated: at,
    }
}

fn state(state_id: &str, registration: Option<Uuid>) -> DocumentKey {
    DocumentKey::State {
        activity_id: activity("a"),
        agent: agent("alice"),
        registration,
        state_id: state_id.into(),
    }
}

pub async fn document_swap_expecting_absent(store: Arc<dyn Store>) {
    let key = state("s1", None);
    assert_eq!(store.get_document(&key).await.unwrap(), None);
    assert!(
        store
            .swap_document(&key, &Expected::Absent, Some(&doc("1", t(1))))
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_document(&key).await.unwrap(),
        Some(doc("1", t(1)))
    );
    assert!(
        !store
            .swap_document(&key, &Expected::Absent, Some(&doc("2", t(2))))
            .await
            .unwrap(),
        "exists now"
    );
    assert_eq!(
        store.get_document(&key).await.unwrap(),
        Some(doc("1", t(1)))
    );
    // Deleting something absent, expecting absent, is a successful no-op.
    let other = state("s2", None);
    assert!(
        store
            .swap_document(&other, &Expected::Absent, None)
            .await
            .unwrap()
    );
    assert_eq!(store.get_document(&other).await.unwrap(), None);
}

pub async fn document_swap_expecting_etag(store: Arc<dyn Store>) {
    let key = DocumentKey::ActivityProfile {
        activity_id: activity("a"),
        profile_id: "p".into(),
    };
    assert!(
        !store
            .swap_document(
                &key,
                &Expected::Etag("etag-1".into()),
                Some(&doc("1", t(1)))
            )
            .await
            .unwrap()
    );
    assert_eq!(store.get_document(&key).await.unwrap(), None);
    assert!(
        store
            .swap_document(&key, &Expected::Absent, Some(&doc("1", t(1))))
            .await
            .unwrap()
    );
    assert!(
        !store
            .swap_document(
                &key,
                &Expected::Etag("etag-x".into()),
                Some(&doc("2", t(2)))
            )
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_document(&key).await.unwrap(),
        Some(doc("1", t(1)))
    );
    assert!(
        store
            .swap_document(
                &key,
                &Expected::Etag("etag-1".into()),
                Some(&doc("2", t(2)))
            )
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_document(&key).await.unwrap(),
        Some(doc("2", t(2)))
    );
    assert!(
        !store
            .swap_document(&key, &Expected::Etag("etag-1".into()), None)
            .await
            .unwrap(),
        "stale etag"
    );
    assert!(
        store
            .swap_document(&key, &Expected::Etag("etag-2".into()), None)
            .await
            .unwrap()
    );
    assert_eq!(store.get_document(&key).await.unwrap(), None);
}

pub async fn document_keys_are_distinct(store: Arc<dyn Store>) {
    let r = Uuid::new_v4();
    let keys = [
        state("same", None),
        state("same", Some(r)),
        state("same", Some(Uuid::new_v4())),
        DocumentKey::State {
            activity_id: activity("b"),
            agent: agent("alice"),
            registration: None,
            state_id: "same".into(),
        },
        DocumentKey::State {
            activity_id: activity("a"),
            agent: agent("bob"),
            registration: None,
            state_id: "same".into(),
        },
        DocumentKey::ActivityProfile {
            activity_id: activity("a"),
            profile_id: "same".into(),
        },
        DocumentKey::AgentProfile {
            agent: agent("alice"),
            profile_id: "same".into(),
        },
    ];
    for (i, key) in keys.iter().enumerate() {
        assert!(
            store
                .swap_document(key, &Expected::Absent, Some(&doc(&i.to_string(), t(1))))
                .await
                .unwrap()
        );
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            store.get_document(key).await.unwrap(),
            Some(doc(&i.to_string(), t(1))),
            "{key:?}"
        );
    }
}

pub async fn list_documents_with_since(store: Arc<dyn Store>) {
    let r = Uuid::new_v4();
    for (id, at) in [("b", 10), ("a", 20), ("c", 30)] {
        store
            .swap_document(&state(id, None), &Expected::Absent, Some(&doc(id, t(at))))
            .await
            .unwrap();
    }
    store
        .swap_document(
            &state("with-reg", Some(r)),
            &Expected::Absent,
            Some(&doc("r", t(40))),
        )
        .await
        .unwrap();
    let other_agent = DocumentKey::State {
        activity_id: activity("a"),
        agent: agent("bob"),
        registration: None,
        state_id: "z".into(),
    };
    store
        .swap_document(&other_agent, &Expected::Absent, Some(&doc("z", t(40))))
        .await
        .unwrap();

    let scope = DocumentScope::State {
        activity_id: activity("a"),
        agent: agent("alice"),
        registration: None,
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(store.list_documents(&scope, None).await.unwrap()),
        vec!["a", "b", "c"]
    );
    assert_eq!(
        sorted(store.list_documents(&scope, Some(t(20))).await.unwrap()),
        vec!["c"],
        "strictly after since"
    );
    assert_eq!(
        sorted(store.list_documents(&scope, Some(t(19))).await.unwrap()),
        vec!["a", "c"]
    );
    assert!(
        store
            .list_documents(&scope, Some(t(30)))
            .await
            .unwrap()
            .is_empty()
    );
    let reg_scope = DocumentScope::State {
        activity_id: activity("a"),
        agent: agent("alice"),
        registration: Some(r),
    };
    assert_eq!(
        store.list_documents(&reg_scope, None).await.unwrap(),
        vec!["with-reg"]
    );

    let ap = DocumentKey::ActivityProfile {
        activity_id: activity("a"),
        profile_id: "p1".into(),
    };
    let gp = DocumentKey::AgentProfile {
        agent: agent("alice"),
        profile_id: "g1".into(),
    };
    store
        .swap_document(&ap, &Expected::Absent, Some(&doc("p", t(5))))
        .await
        .unwrap();
    store
        .swap_document(&gp, &Expected::Absent, Some(&doc("g", t(5))))
        .await
        .unwrap();
    let ap_scope = DocumentScope::ActivityProfile {
        activity_id: activity("a"),
    };
    assert_eq!(
        store.list_documents(&ap_scope, None).await.unwrap(),
        vec!["p1"]
    );
    assert!(
        store
            .list_documents(&ap_scope, Some(t(5)))
            .await
            .unwrap()
            .is_empty()
    );
    let gp_scope = DocumentScope::AgentProfile {
        agent: agent("alice"),
    };
    assert_eq!(
        store.list_documents(&gp_scope, Some(t(4))).await.unwrap(),
        vec!["g1"]
    );
    let none = DocumentScope::AgentProfile {
        agent: agent("nobody"),
    };
    assert!(store.list_documents(&none, None).await.unwrap().is_empty());
}

pub async fn delete_documents_in_scope(store: Arc<dyn Store>) {
    let r = Uuid::new_v4();
    let keep = [
        state("x", Some(r)),
        DocumentKey::State {
            activity_id: activity("a"),
            agent: agent("bob"),
            registration: None,
            state_id: "x".into(),
        },
        DocumentKey::ActivityProfile {
            activity_id: activity("a"),
            profile_id: "x".into(),
        },
        DocumentKey::AgentProfile {
            agent: agent("alice"),
            profile_id: "x".into(),
        },
    ];
    let gone = [state("x", None), state("y", None)];
    for key in keep.iter().chain(gone.iter()) {
        store
            .swap_document(key, &Expected::Absent, Some(&doc("d", t(1))))
            .await
            .unwrap();
    }
    // A state scope without registration is the documents stored without one.
    let scope = DocumentScope::State {
        activity_id: activity("a"),
        agent: agent("alice"),
        registration: None,
    };
    store.delete_documents(&scope).await.unwrap();
    for key in &gone {
        assert_eq!(store.get_document(key).await.unwrap(), None, "{key:?}");
    }
    for key in &keep {
        assert!(store.get_document(key).await.unwrap().is_some(), "{key:?}");
    }
    let reg_scope = DocumentScope::State {
        activity_id: activity("a"),
        agent: agent("alice"),
        registration: Some(r),
    };
    store.delete_documents(&reg_scope).await.unwrap();
    assert_eq!(store.get_document(&keep[0]).await.unwrap(), None);
    store
        .delete_documents(&DocumentScope::ActivityProfile {
            activity_id: activity("a"),
        })
        .await
        .unwrap();
    assert_eq!(store.get_document(&keep[2]).await.unwrap(), None);
    store
        .delete_documents(&DocumentScope::AgentProfile {
            agent: agent("alice"),
        })
        .await
        .unwrap();
    assert_eq!(store.get_document(&keep[3]).await.unwrap(), None);
    assert!(store.get_document(&keep[1]).await.unwrap().is_some());
    // Deleting an empty scope is fine.
    store.delete_documents(&scope).await.unwrap();
}

// ---- credentials -----------------------------------------------------------------------------------

pub async fn credentials_create_get_list_revoke(store: Arc<dyn Store>) {
    let mut a = Credential::generate("first", vec![Scope::All, Scope::Admin], t(1)).credential;
    let mut b = Credential::generate(
        "second",
        vec![Scope::StatementsReadMine, Scope::State],
        t(2),
    )
    .credential;
    a.created = t(1);
    b.created = t(2);
    store.create_credential(&a).await.unwrap();
    store.create_credential(&b).await.unwrap();
    assert_eq!(
        store.credential_by_key(&a.key).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.credential_by_key("nope").await.unwrap(), None);
    let mut listed = store.list_credentials().await.unwrap();
    listed.sort_by_key(|c| c.created);
    assert_eq!(listed, vec![a.clone(), b.clone()]);

    assert!(store.revoke_credential(&b.key, t(3)).await.unwrap());
    assert!(!store.revoke_credential("nope", t(3)).await.unwrap());
    let revoked = store.credential_by_key(&b.key).await.unwrap().unwrap();
    assert_eq!(revoked.revoked, Some(t(3)));
    assert!(!revoked.is_active(chrono::Utc::now()));
    assert!(
        store
            .credential_by_key(&a.key)
            .await
            .unwrap()
            .unwrap()
            .is_active(chrono::Utc::now())
    );
    // A duplicate key is refused.
    let mut dup = Credential::generate("dup", vec![Scope::All], t(4)).credential;
    dup.key = a.key.clone();
    assert!(store.create_credential(&dup).await.is_err());
    // A launch credential keeps its binding and expiry, and is not listed with the others.
    let binding = lrs_core::auth::Binding {
        agent: serde_json::json!({"mbox": "mailto:l@example.com"}),
        agent_key: "mbox:mailto:l@example.com".into(),
        registration: uuid::Uuid::from_u128(5),
        session: uuid::Uuid::from_u128(6),
    };
    let bound = Credential::generate_bound("launch", binding, t(5), t(6)).credential;
    store.create_credential(&bound).await.unwrap();
    assert_eq!(
        store.credential_by_key(&bound.key).await.unwrap(),
        Some(bound.clone())
    );
    assert!(bound.is_active(t(5)) && !bound.is_active(t(6)));
    assert_eq!(store.list_credentials().await.unwrap().len(), 2);
}
