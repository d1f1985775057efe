//! Storage traits and the types that cross them.
//!
//! Backends are deliberately dumb: they keep rows, enforce uniqueness and atomicity, and answer
//! indexed lookups. Every xAPI rule (what conflicts, what voids, what a filter means) is decided
//! in this crate before or after the call.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::Credential;

/// A storage failure. Backends map their driver errors to these; no driver type leaks out.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A statement with this id is already stored with different content.
    #[error("statement {0} already exists with different content")]
    Conflict(Uuid),
    /// The database could not be reached or answered with an error.
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// Stored data could not be decoded (a bug or a corrupted database).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// What a filter index entry says about a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i16)]
pub enum IndexKind {
    /// The agent/group IFI is the actor or the object.
    Agent = 1,
    /// The IFI appears anywhere (actor, object, authority, instructor, team, members,
    /// sub-statement, context agents/groups). A superset of [`IndexKind::Agent`].
    AgentRelated = 2,
    Verb = 3,
    /// The activity is the object.
    Activity = 4,
    /// The activity appears anywhere (object, context activities, sub-statement).
    ActivityRelated = 5,
    Registration = 6,
    /// The statement's `authority` (its own, never inherited through a StatementRef): what
    /// `statements/read/mine` filters on.
    Authority = 7,
}

impl IndexKind {
    pub const ALL: [IndexKind; 7] = [
        IndexKind::Agent,
        IndexKind::AgentRelated,
        IndexKind::Verb,
        IndexKind::Activity,
        IndexKind::ActivityRelated,
        IndexKind::Registration,
        IndexKind::Authority,
    ];

    pub fn code(self) -> i16 {
        self as i16
    }

    pub fn from_code(code: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Which key drives a query when the keys' sizes tie: lower first, as the kinds are usually
    /// most selective in this order.
    pub fn selectivity_rank(self) -> u8 {
        match self {
            IndexKind::Registration => 0,
            IndexKind::Activity => 1,
            IndexKind::Agent => 2,
            IndexKind::ActivityRelated => 3,
            IndexKind::AgentRelated => 4,
            IndexKind::Verb => 5,
            IndexKind::Authority => 6,
        }
    }

    /// Whether a statement referring to another (StatementRef) is also posted under this key
    /// of its target, as the xAPI filters require. Only the authority is not inherited: a
    /// statement is "mine" because of who wrote it, not what it points at.
    pub fn inherited(self) -> bool {
        self != IndexKind::Authority
    }
}

/// One entry of the statement filter index: `(kind, value)` → statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexKey {
    pub kind: IndexKind,
    /// IFI key, verb IRI, activity IRI or hyphenated lower-case registration UUID.
    pub value: String,
}

/// A statement ready to be stored: validated, completed by the LRS, with its index entries.
#[derive(Debug, Clone)]
pub struct PreparedStatement {
    pub id: Uuid,
    /// Proposed `stored`; the store may move it forward so that `stored` never decreases in
    /// storage order, and then writes the final value into `json["stored"]`.
    pub stored: DateTime<Utc>,
    pub timestamp: DateTime<Utc>,
    /// The complete statement as it will be returned in the `exact` format.
    pub json: Value,
    /// [`xapi_model::compare::comparison_hash`] of the statement as received.
    pub comparison_hash: String,
    pub verb_id: String,
    /// For a voiding statement: the statement it voids.
    pub voids: Option<Uuid>,
    /// For a statement whose object is a StatementRef (voiding or not): the referenced id.
    /// Filters other than time and limit also match through this reference.
    pub references: Option<Uuid>,
    /// The statement's own index entries (without those inherited through `references`).
    pub index: Vec<IndexKey>,
    /// Activity definitions carried by the statement, to fold into the canonical definitions.
    pub activities: Vec<(String, Value)>,
    /// sha2 of the attachments the statement refers to that are stored by the LRS.
    pub attachment_hashes: Vec<String>,
}

/// Attachment content, stored once per sha2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentData {
    pub sha2: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// What happened to one statement of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted,
    /// Already stored with equivalent content; nothing changed.
    AlreadyPresent,
}

/// A statement as read back from storage.
#[derive(Debug, Clone)]
pub struct StoredStatement {
    /// Position in storage order; strictly increasing with insertion.
    pub seq: i64,
    pub id: Uuid,
    pub stored: DateTime<Utc>,
    pub voided: bool,
    /// The stored JSON text (exact format).
    pub json: String,
    pub attachment_hashes: Vec<String>,
}

/// A statement query after all parameter rules were applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementFilter {
    /// All must match (AND). At most one key per kind.
    pub keys: Vec<IndexKey>,
    /// `stored > since`.
    pub since: Option<DateTime<Utc>>,
    /// `stored <= until`.
    pub until: Option<DateTime<Utc>>,
    pub ascending: bool,
    /// Continue after this `seq` (exclusive, in the query's direction).
    pub after_seq: Option<i64>,
    /// Never return statements with a larger `seq` (keeps pages of one query stable).
    pub max_seq: Option<i64>,
    /// Maximum number of rows to return.
    pub limit: u32,
}

impl StatementFilter {
    /// The `seq` window that `max_seq` and `after_seq` allow, as (exclusive lower bound,
    /// inclusive upper bound).
    pub fn seq_bounds(&self) -> (i64, i64) {
        let mut lo: i64 = 0;
        let mut hi: i64 = i64::MAX;
        if let Some(m) = self.max_seq {
            hi = hi.min(m);
        }
        if let Some(a) = self.after_seq {
            if self.ascending {
                lo = lo.max(a);
            } else {
                hi = hi.min(a.saturating_sub(1));
            }
        }
        (lo, hi)
    }
}

/// Statement storage.
#[async_trait]
pub trait StatementStore: Send + Sync {
    /// Stores a batch atomically: either every statement is stored (or found already present
    /// with the same `comparison_hash`) or nothing is, and [`StoreError::Conflict`] names the
    /// first id that exists with a different hash. Within one transaction the store also
    /// - marks statements voided when a stored or incoming voiding statement targets them and
    ///   they are not voiding statements themselves,
    /// - copies the index entries of referenced statements (`references`, transitively) to the
    ///   referencing statements, in both arrival orders,
    /// - merges activity definitions with [`crate::activities::merge_definition`],
    /// - stores attachment data not stored yet.
    async fn insert_statements(
        &self,
        statements: Vec<PreparedStatement>,
        attachments: Vec<AttachmentData>,
    ) -> Result<Vec<InsertOutcome>, StoreError>;

    /// A statement by id, voided or not.
    async fn get_statement(&self, id: Uuid) -> Result<Option<StoredStatement>, StoreError>;

    /// Non-voided statements matching the filter, in `seq` order (descending unless
    /// `ascending`), at most `limit`.
    async fn query_statements(
        &self,
        filter: &StatementFilter,
    ) -> Result<Vec<StoredStatement>, StoreError>;

    /// The largest `seq` stored, 0 for an empty store.
    async fn max_seq(&self) -> Result<i64, StoreError>;

    /// Attachment contents by sha2; unknown hashes are left out.
    async fn get_attachments(&self, sha2: &[String]) -> Result<Vec<AttachmentData>, StoreError>;

    /// The canonical definition of an activity, if any statement mentioned it.
    async fn get_activity(&self, activity_id: &str) -> Result<Option<Value>, StoreError>;

    /// Merges activity definitions known from elsewhere than a statement (an imported
    /// package's course structure) into the canonical ones, exactly as a statement carrying
    /// them would ([`crate::activities::merge_definition`]).
    async fn merge_activity_definitions(
        &self,
        definitions: Vec<(String, Value)>,
    ) -> Result<(), StoreError>;
}

/// Which document resource and which document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocumentKey {
    State {
        activity_id: String,
        agent: String,
        registration: Option<Uuid>,
        state_id: String,
    },
    ActivityProfile {
        activity_id: String,
        profile_id: String,
    },
    AgentProfile {
        agent: String,
        profile_id: String,
    },
}

/// A set of documents: the ids listed by a GET without an id, or deleted by a state DELETE
/// without `stateId`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocumentScope {
    State {
        activity_id: String,
        agent: String,
        registration: Option<Uuid>,
    },
    ActivityProfile {
        activity_id: String,
    },
    AgentProfile {
        agent: String,
    },
}

/// Where a document or a scope of documents sits in a backend's single documents table:
/// the resource (`kind`: 1 state, 2 activity profile, 3 agent profile), then the activity id,
/// the agent's IFI key, the registration and the document id, each empty where the resource
/// (or, for a scope, the listing) has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentColumns {
    pub kind: i16,
    pub activity_id: String,
    pub agent: String,
    pub registration: String,
    pub doc_id: String,
}

impl DocumentScope {
    pub fn columns(&self) -> DocumentColumns {
        let registration_text = |r: &Option<Uuid>| r.map(|u| u.to_string()).unwrap_or_default();
        match self {
            DocumentScope::State {
                activity_id,
                agent,
                registration,
            } => DocumentColumns {
                kind: 1,
                activity_id: activity_id.clone(),
                agent: agent.clone(),
                registration: registration_text(registration),
                doc_id: String::new(),
            },
            DocumentScope::ActivityProfile { activity_id } => DocumentColumns {
                kind: 2,
                activity_id: activity_id.clone(),
                agent: String::new(),
                registration: String::new(),
                doc_id: String::new(),
            },
            DocumentScope::AgentProfile { agent } => DocumentColumns {
                kind: 3,
                activity_id: String::new(),
                agent: agent.clone(),
                registration: String::new(),
                doc_id: String::new(),
            },
        }
    }
}

impl DocumentKey {
    /// The scope this document is listed in.
    pub fn scope(&self) -> DocumentScope {
        match self {
            DocumentKey::State {
                activity_id,
                agent,
                registration,
                ..
            } => DocumentScope::State {
                activity_id: activity_id.clone(),
                agent: agent.clone(),
                registration: *registration,
            },
            DocumentKey::ActivityProfile { activity_id, .. } => DocumentScope::ActivityProfile {
                activity_id: activity_id.clone(),
            },
            DocumentKey::AgentProfile { agent, .. } => DocumentScope::AgentProfile {
                agent: agent.clone(),
            },
        }
    }

    pub fn id(&self) -> &str {
        match self {
            DocumentKey::State { state_id, .. } => state_id,
            DocumentKey::ActivityProfile { profile_id, .. }
            | DocumentKey::AgentProfile { profile_id, .. } => profile_id,
        }
    }

    pub fn columns(&self) -> DocumentColumns {
        DocumentColumns {
            doc_id: self.id().to_owned(),
            ..self.scope().columns()
        }
    }
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub content_type: String,
    pub content: Vec<u8>,
    /// Quoted-less strong entity tag (hex SHA-1 of the content).
    pub etag: String,
    pub updated: DateTime<Utc>,
}

/// The state a compare-and-swap expects to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Absent,
    Etag(String),
}

/// Document storage: plain compare-and-swap; the xAPI rules live in [`crate::documents`].
#[async_trait]
pub trait DocumentStore: Send + Sync {
    async fn get_document(&self, key: &DocumentKey) -> Result<Option<Document>, StoreError>;

    /// Replaces (or with `None` deletes) the document if its current state is `expected`.
    /// Returns `false`, changing nothing, when it is not.
    async fn swap_document(
        &self,
        key: &DocumentKey,
        expected: &Expected,
        new: Option<&Document>,
    ) -> Result<bool, StoreError>;

    /// Ids of the documents in the scope updated after `since` (all when `None`).
    async fn list_documents(
        &self,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>, StoreError>;

    /// Deletes every document in the scope.
    async fn delete_documents(&self, scope: &DocumentScope) -> Result<(), StoreError>;
}

/// Credential storage.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    async fn create_credential(&self, credential: &Credential) -> Result<(), StoreError>;
    /// A credential by its public key (the Basic auth user name), revoked ones included.
    async fn credential_by_key(&self, key: &str) -> Result<Option<Credential>, StoreError>;
    async fn list_credentials(&self) -> Result<Vec<Credential>, StoreError>;
    /// Marks the credential revoked; `false` if no such key.
    async fn revoke_credential(&self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
}

/// A backend implements all three.
pub trait Store: StatementStore + DocumentStore + CredentialStore {}
impl<T: StatementStore + DocumentStore + CredentialStore> Store for T {}
