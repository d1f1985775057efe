//! [`Lrs`]: the operations of the LRS, as the HTTP layer (and later the player and the plugin
//! host) call them.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;
use xapi_model::{XapiVersion, format, ifi};

use crate::auth::{Access, Credential, NewCredential, Scope};
use crate::binding::{self, LaunchRules};
use crate::documents::{self, BlindWrite, Preconditions};
use crate::error::LrsError;
use crate::ingest::{self, IncomingAttachment, WriteContext};
use crate::query::{self, Format, StatementQuery, StatementRequest};
use crate::store::{
    AttachmentData, Document, DocumentKey, DocumentScope, IndexKey, IndexKind, InsertOutcome,
    Store, StoredStatement,
};

/// Why a request is not authenticated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("unknown credential or wrong secret")]
    BadCredentials,
    #[error("the credential has been revoked or has expired")]
    Revoked,
}

/// A page of statements ready to serialize.
#[derive(Debug, Default)]
pub struct StatementPage {
    /// Each statement as JSON text in the requested format.
    pub statements: Vec<String>,
    pub more: Option<String>,
    pub attachments: Vec<AttachmentData>,
    /// The latest `stored` among the returned statements.
    pub last_modified: Option<DateTime<Utc>>,
}

/// One statement read by id.
#[derive(Debug)]
pub struct SingleStatement {
    pub json: String,
    pub stored: DateTime<Utc>,
    pub attachments: Vec<AttachmentData>,
}

#[derive(Clone)]
pub struct Lrs {
    store: Arc<dyn Store>,
    rules: Option<Arc<dyn LaunchRules>>,
}

impl Lrs {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, rules: None }
    }

    /// Adds the rules of the component that issues launch credentials (see [`LaunchRules`]).
    pub fn with_launch_rules(mut self, rules: Arc<dyn LaunchRules>) -> Self {
        self.rules = Some(rules);
        self
    }

    /// Refuses document access a launch credential does not have (see [`crate::binding`]).
    pub fn check_documents(
        &self,
        cred: &Credential,
        scope: &DocumentScope,
        state_id: Option<&str>,
        write: bool,
    ) -> Result<(), LrsError> {
        match &cred.binding {
            Some(b) => binding::check_documents(b, self.rules.as_deref(), scope, state_id, write),
            None => Ok(()),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    // ---- credentials -------------------------------------------------------------------

    pub async fn authenticate(&self, key: &str, secret: &str) -> Result<Credential, LrsError> {
        let cred = self.store.credential_by_key(key).await?;
        match cred {
            Some(c) if c.verify_secret(secret) => {
                if !c.is_active(chrono::Utc::now()) {
                    return Err(LrsError::Unauthorized(AuthError::Revoked.to_string()));
                }
                // A browser session lives only as long as the credential it was opened with.
                if let Some(parent) = c.session_of() {
                    let parent = self.store.credential_by_key(parent).await?;
                    if !parent.is_some_and(|p| p.is_active(Utc::now())) {
                        return Err(LrsError::Unauthorized(AuthError::Revoked.to_string()));
                    }
                }
                Ok(c)
            }
            _ => Err(LrsError::Unauthorized(
                AuthError::BadCredentials.to_string(),
            )),
        }
    }

    /// Opens a browser session for an active credential: a credential of its own with the
    /// same scopes, which expires at `expires` (its secret is shown once, in the cookie).
    pub async fn open_session(
        &self,
        of: &Credential,
        expires: DateTime<Utc>,
    ) -> Result<NewCredential, LrsError> {
        let new = Credential::generate_session(of, Utc::now(), expires);
        self.store.create_credential(&new.credential).await?;
        Ok(new)
    }

    /// Authenticates a browser session (see [`Lrs::authenticate`]): a session credential only.
    pub async fn authenticate_session(
        &self,
        key: &str,
        secret: &str,
    ) -> Result<Credential, LrsError> {
        let session = self.authenticate(key, secret).await?;
        if session.session_of().is_none() {
            return Err(LrsError::Unauthorized("not a session".into()));
        }
        Ok(session)
    }

    pub fn require(&self, cred: &Credential, access: Access) -> Result<(), LrsError> {
        if cred.allows(access) {
            Ok(())
        } else {
            Err(LrsError::Forbidden(format!(
                "the credential's scopes do not allow {access:?}"
            )))
        }
    }

    pub async fn create_credential(
        &self,
        name: &str,
        scopes: Vec<Scope>,
    ) -> Result<NewCredential, LrsError> {
        let new = Credential::generate(name, scopes, Utc::now());
        self.store.create_credential(&new.credential).await?;
        Ok(new)
    }

    // ---- statements --------------------------------------------------------------------

    /// Stores statements from POST (`put_id` = None) or PUT. Returns the ids in request order.
    /// For PUT, `Ok` with an already present equal statement is the spec's 204 as well.
    pub async fn store_statements(
        &self,
        cred: &Credential,
        version: XapiVersion,
        mut statements: Vec<Value>,
        attachments: Vec<IncomingAttachment>,
        put_id: Option<Uuid>,
    ) -> Result<Vec<Uuid>, LrsError> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(id) = put_id {
            let [statement] = statements.as_mut_slice() else {
                return Err(LrsError::invalid(
                    "statement",
                    "PUT takes exactly one statement",
                ));
            };
            match statement.get("id") {
                None => {
                    if let Some(o) = statement.as_object_mut() {
                        o.insert("id".into(), Value::String(id.to_string()));
                    }
                }
                Some(Value::String(s)) if Uuid::parse_str(s).ok() == Some(id) => {}
                Some(_) => {
                    return Err(LrsError::invalid(
                        "statement.id",
                        "differs from the statementId parameter",
                    ));
                }
            }
        }
        let ctx = WriteContext {
            version,
            authority: cred.authority.clone(),
            now: Utc::now(),
        };
        let (prepared, data) = ingest::prepare_batch(statements, attachments, &ctx)?;
        let ids: Vec<Uuid> = prepared.iter().map(|p| p.id).collect();
        // A launch credential's statements: its learner's only, then the issuer's rules, with
        // the session held until they are stored.
        let mut bound = None;
        if let Some(b) = &cred.binding {
            let written: Vec<Value> = prepared.iter().map(|p| p.json.clone()).collect();
            let refs: Vec<&Value> = written.iter().collect();
            binding::check_statements(b, &refs)?;
            let guard = match &self.rules {
                Some(rules) => {
                    let guard = rules.session_lock(b).await;
                    rules.check(b, &refs).await?;
                    Some(guard)
                }
                None => None,
            };
            bound = Some((b, written, guard));
        }
        let outcomes = self
            .store
            .insert_statements(prepared, data)
            .await
            .map_err(|e| match e {
                crate::StoreError::Conflict(id) => LrsError::Conflict(format!(
                    "statement {id} already exists with different content"
                )),
                other => other.into(),
            })?;
        if let (Some((b, written, _guard)), Some(rules)) = (&bound, &self.rules) {
            let refs: Vec<&Value> = written.iter().collect();
            rules.stored(b, &refs).await?;
        }
        tracing::debug!(
            inserted = outcomes
                .iter()
                .filter(|o| **o == InsertOutcome::Inserted)
                .count(),
            total = outcomes.len(),
            "stored statements"
        );
        Ok(ids)
    }

    pub async fn get_statement(
        &self,
        cred: &Credential,
        id: Uuid,
        voided: bool,
        format: Format,
        attachments: bool,
        languages: &[String],
    ) -> Result<Option<SingleStatement>, LrsError> {
        let Some(s) = self.store.get_statement(id).await? else {
            return Ok(None);
        };
        if s.voided != voided || !self.may_read(cred, &s)? {
            return Ok(None);
        }
        let attachments = if attachments {
            self.store.get_attachments(&s.attachment_hashes).await?
        } else {
            Vec::new()
        };
        Ok(Some(SingleStatement {
            stored: s.stored,
            json: self.render(s.json, format, languages).await?,
            attachments,
        }))
    }

    pub fn parse_statement_request(
        &self,
        params: &BTreeMap<String, String>,
        version: XapiVersion,
    ) -> Result<StatementRequest, LrsError> {
        query::parse(params, version)
    }

    pub async fn query_statements(
        &self,
        cred: &Credential,
        mut q: StatementQuery,
        languages: &[String],
    ) -> Result<StatementPage, LrsError> {
        if let Some(b) = &cred.binding {
            // Content reads only what concerns its learner.
            q.filter.keys.push(IndexKey {
                kind: IndexKind::Agent,
                value: b.agent_key.clone(),
            });
        }
        if cred.reads_only_own() {
            // A credential whose agent has no IFI (never made by Lara) can own nothing.
            let Some(k) = ifi::ifi_key(&cred.authority) else {
                return Ok(StatementPage::default());
            };
            q.filter.keys.push(IndexKey {
                kind: IndexKind::Authority,
                value: k,
            });
        }
        let max_seq = match q.filter.max_seq {
            Some(m) => m,
            None => self.store.max_seq().await?,
        };
        let limit = q.filter.limit;
        let mut filter = q.filter.clone();
        filter.max_seq = Some(max_seq);
        filter.limit = limit.saturating_add(1);
        let mut rows = self.store.query_statements(&filter).await?;
        let more = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last()
                .map(|last| query::encode_cursor(&q, last.seq, max_seq))
        } else {
            None
        };
        let last_modified = rows.iter().map(|r| r.stored).max();
        let mut statements = Vec::with_capacity(rows.len());
        let mut hashes = Vec::new();
        for r in rows {
            if q.attachments {
                hashes.extend(r.attachment_hashes);
            }
            statements.push(self.render(r.json, q.format, languages).await?);
        }
        hashes.sort();
        hashes.dedup();
        let attachments = if hashes.is_empty() {
            Vec::new()
        } else {
            self.store.get_attachments(&hashes).await?
        };
        Ok(StatementPage {
            statements,
            more,
            attachments,
            last_modified,
        })
    }

    fn may_read(&self, cred: &Credential, s: &StoredStatement) -> Result<bool, LrsError> {
        if !cred.reads_only_own() && cred.binding.is_none() {
            return Ok(true);
        }
        let v: Value =
            serde_json::from_str(&s.json).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        if let Some(b) = &cred.binding
            && !binding::concerns_learner(b, &v)
        {
            return Ok(false);
        }
        Ok(!cred.reads_only_own()
            || v.get("authority").and_then(ifi::ifi_key) == ifi::ifi_key(&cred.authority))
    }

    /// The stored JSON text in the requested format; `exact` is the text itself, unparsed.
    async fn render(
        &self,
        json: String,
        format: Format,
        languages: &[String],
    ) -> Result<String, LrsError> {
        if format == Format::Exact {
            return Ok(json);
        }
        let v: Value =
            serde_json::from_str(&json).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        let out = match format {
            Format::Ids => format::to_ids(&v),
            Format::Canonical => {
                let with_defs = self.substitute_definitions(v).await?;
                format::to_canonical(&with_defs, languages)
            }
            Format::Exact => v,
        };
        serde_json::to_string(&out).map_err(|e| crate::StoreError::Corrupt(e.to_string()).into())
    }

    /// Replaces the activity definitions in a statement by the canonical ones.
    async fn substitute_definitions(&self, mut v: Value) -> Result<Value, LrsError> {
        let mut ids = Vec::new();
        collect_activity_ids(&v, &mut ids);
        ids.sort();
        ids.dedup();
        let mut defs = BTreeMap::new();
        for id in ids {
            if let Some(d) = self.store.get_activity(&id).await? {
                defs.insert(id, d);
            }
        }
        replace_definitions(&mut v, &defs);
        Ok(v)
    }

    // ---- activities and agents ----------------------------------------------------------

    /// The Activity object with its canonical definition; an activity never seen gets only its id.
    pub async fn activity(&self, activity_id: &str) -> Result<Value, LrsError> {
        let mut obj = Map::new();
        obj.insert("objectType".into(), json!("Activity"));
        obj.insert("id".into(), json!(activity_id));
        if let Some(def) = self.store.get_activity(activity_id).await? {
            obj.insert("definition".into(), def);
        }
        Ok(Value::Object(obj))
    }

    /// The Person object for an agent: every identifier known for it. Lara does not link
    /// identities across IFIs, so this is the agent's own IFI and name.
    pub fn person(&self, agent: &Value) -> Value {
        let mut p = Map::new();
        p.insert("objectType".into(), json!("Person"));
        if let Some(n) = agent.get("name") {
            p.insert("name".into(), json!([n]));
        }
        for k in ["mbox", "mbox_sha1sum", "openid", "account"] {
            if let Some(v) = agent.get(k) {
                p.insert(k.into(), json!([v]));
            }
        }
        Value::Object(p)
    }

    // ---- documents ----------------------------------------------------------------------

    pub async fn get_document(&self, key: &DocumentKey) -> Result<Option<Document>, LrsError> {
        Ok(self.store.get_document(key).await?)
    }

    pub async fn list_documents(
        &self,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>, LrsError> {
        Ok(self.store.list_documents(scope, since).await?)
    }

    pub async fn put_document(
        &self,
        key: &DocumentKey,
        content_type: &str,
        content: Vec<u8>,
        pre: &Preconditions,
        version: XapiVersion,
    ) -> Result<(), LrsError> {
        let blind = match (key, version) {
            (DocumentKey::State { .. }, XapiVersion::V1_0_3) => BlindWrite::Allow,
            (_, XapiVersion::V1_0_3) => BlindWrite::RequirePreconditions,
            _ => BlindWrite::Conflict,
        };
        let doc = documents::new_document(content_type, content, Utc::now());
        documents::put(self.store.as_ref(), key, doc, pre, blind).await
    }

    pub async fn post_document(
        &self,
        key: &DocumentKey,
        content_type: &str,
        content: Vec<u8>,
        pre: &Preconditions,
    ) -> Result<(), LrsError> {
        let now = Utc::now();
        if documents::is_json(content_type) {
            let v: Value = serde_json::from_slice(&content)
                .map_err(|e| LrsError::invalid("document", format!("is not valid JSON: {e}")))?;
            if !v.is_object() {
                return Err(LrsError::invalid(
                    "document",
                    "a JSON document sent by POST must be an object",
                ));
            }
        }
        let doc = documents::new_document(content_type, content, now);
        documents::post(self.store.as_ref(), key, doc, pre, now).await
    }

    pub async fn delete_document(
        &self,
        key: &DocumentKey,
        pre: &Preconditions,
    ) -> Result<(), LrsError> {
        documents::delete(self.store.as_ref(), key, pre).await
    }

    pub async fn delete_documents(&self, scope: &DocumentScope) -> Result<(), LrsError> {
        Ok(self.store.delete_documents(scope).await?)
    }
}

/// The id of an object that is an Activity (explicitly, or by having no other objectType and
/// neither an actor nor an mbox, which would make it a sub-statement or an agent).
fn activity_id(o: &Map<String, Value>) -> Option<&str> {
    let untyped_or_activity = o
        .get("objectType")
        .and_then(Value::as_str)
        .is_none_or(|t| t == "Activity");
    if untyped_or_activity && !o.contains_key("actor") && !o.contains_key("mbox") {
        o.get("id").and_then(Value::as_str)
    } else {
        None
    }
}

fn collect_activity_ids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(id) = activity_id(o) {
                out.push(id.to_owned());
            }
            for (k, child) in o {
                if k != "definition" && k != "extensions" {
                    collect_activity_ids(child, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| collect_activity_ids(c, out)),
        _ => {}
    }
}

fn replace_definitions(v: &mut Value, defs: &BTreeMap<String, Value>) {
    match v {
        Value::Object(o) => {
            if let Some(d) = activity_id(o).and_then(|id| defs.get(id)) {
                o.insert("definition".into(), d.clone());
            }
            for (k, child) in o.iter_mut() {
                if k != "definition" && k != "extensions" {
                    replace_definitions(child, defs);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| replace_definitions(c, defs)),
        _ => {}
    }
}
