//! Storage of imported packages, implemented by each database backend.
//!
//! Package files live in the database, not on a node's disk, so that several `lara serve`
//! processes on one PostgreSQL serve the same content. They are content-addressed twice over:
//! a file is the list of its chunks (at most [`CHUNK_BYTES`] each, so a 1 GB video fits both
//! backends' value limits and is served without loading it whole), and a chunk is stored once
//! by its SHA-256, so files repeated across packages and versions cost nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lrs_core::StoreError;
use uuid::Uuid;

/// Largest chunk of a stored file.
pub const CHUNK_BYTES: usize = 1 << 20;

/// A file of a package version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFile {
    /// Path inside the package.
    pub path: String,
    /// SHA-256 (hex) of the whole file.
    pub sha256: String,
    pub size: u64,
}

/// What an import adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    /// The package's identity across versions: the SCORM manifest identifier, the cmi5 course
    /// IRI or the xAPI activity IRI.
    pub identifier: String,
    /// Add the version to this package rather than to the one `identifier` names (for
    /// authoring tools that reuse one identifier across different courses). It must exist.
    pub package_id: Option<Uuid>,
    /// `Standard::name()`: `scorm12`, `scorm2004-4`, `cmi5`, `xapi`.
    pub standard: String,
    pub title: String,
    /// The parsed manifest (`lara_package::Manifest`) as JSON.
    pub manifest: String,
    /// The import report (`lara_package::Report`) as JSON.
    pub report: String,
    pub files: Vec<VersionFile>,
    pub created: DateTime<Utc>,
}

/// A stored version of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageVersion {
    pub package_id: Uuid,
    pub version_id: Uuid,
    pub identifier: String,
    /// 1 for the first import of an identifier, then 2, 3...
    pub version: i64,
    pub standard: String,
    pub title: String,
    pub manifest: String,
    pub report: String,
    pub created: DateTime<Utc>,
}

#[async_trait]
pub trait PackageStore: Send + Sync {
    /// The chunk hashes among `sha256` that are not stored yet.
    async fn missing_chunks(&self, sha256: Vec<String>) -> Result<Vec<String>, StoreError>;

    /// Stores chunks as (SHA-256 hex, bytes). A chunk already stored is left as it is.
    async fn put_chunks(&self, chunks: Vec<(String, Vec<u8>)>) -> Result<(), StoreError>;

    /// Records a file as the ordered list of its chunks. Every chunk must be stored already.
    /// Recording a file already known does nothing.
    async fn put_file(
        &self,
        sha256: String,
        size: u64,
        chunks: Vec<String>,
    ) -> Result<(), StoreError>;

    /// The chunk list of a stored file.
    async fn file_chunks(&self, sha256: &str) -> Result<Option<Vec<String>>, StoreError>;

    /// One chunk's bytes.
    async fn read_chunk(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Whether a package exists.
    async fn package_exists(&self, package_id: Uuid) -> Result<bool, StoreError>;

    /// Creates the package on its first import, and its next version, in one transaction.
    /// Every file must be stored already. With `package_id`, the package must exist (checked
    /// by the caller with [`PackageStore::package_exists`]; a missing one is a backend error).
    async fn add_version(&self, version: NewVersion) -> Result<PackageVersion, StoreError>;

    async fn get_version(&self, version_id: Uuid) -> Result<Option<PackageVersion>, StoreError>;

    /// The newest version of each package, by identifier.
    async fn list_packages(&self) -> Result<Vec<PackageVersion>, StoreError>;

    /// A file of a version, by its path in the package.
    async fn version_file(
        &self,
        version_id: Uuid,
        path: &str,
    ) -> Result<Option<VersionFile>, StoreError>;
}

/// A learner's registration for a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: Uuid,
    pub package_id: Uuid,
    /// The version the registration started on; it keeps it when newer versions arrive.
    pub version_id: Uuid,
    /// The learner as an xAPI agent (JSON text).
    pub actor: String,
    /// The learner's IFI key.
    pub actor_key: String,
    pub created: DateTime<Utc>,
}

/// One launch of a cmi5 AU or an xAPI package: a session with its one-time fetch URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuSession {
    pub id: Uuid,
    pub registration_id: Uuid,
    /// The AU's id in the course structure (cmi5), or the launched activity (xAPI).
    pub au: String,
    /// SHA-256 of the secret part of the fetch URL.
    pub fetch_hash: String,
    /// When the fetch URL was used (it works once).
    pub fetched: Option<DateTime<Utc>>,
    /// The session's progress (JSON, see `au_launch::SessionState`).
    pub state: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

/// What using a fetch URL found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchClaim {
    /// First use: the session it belongs to.
    Claimed(AuSession),
    /// Used before, or the session has expired.
    Spent,
    Unknown,
}

/// Registrations, launches and run-time state.
#[async_trait]
pub trait LaunchStore: Send + Sync {
    /// The learner's newest registration for the package, if any.
    async fn latest_registration(
        &self,
        actor_key: &str,
        package_id: Uuid,
    ) -> Result<Option<Registration>, StoreError>;

    async fn get_registration(&self, id: Uuid) -> Result<Option<Registration>, StoreError>;

    /// Stores a new registration (its id chosen by the caller).
    async fn add_registration(&self, registration: Registration) -> Result<(), StoreError>;

    /// Records a launch token (its SHA-256) for a registration until `expires`.
    async fn add_launch(
        &self,
        token_hash: String,
        registration_id: Uuid,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The registration a launch token opens, if the token exists and has not expired at `now`.
    async fn launch(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError>;

    /// Saves one item's run-time state (replacing the previous one).
    async fn save_state(
        &self,
        registration_id: Uuid,
        item: &str,
        state: String,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    async fn load_state(
        &self,
        registration_id: Uuid,
        item: &str,
    ) -> Result<Option<String>, StoreError>;

    /// Records a new AU session.
    async fn add_au_session(&self, session: AuSession) -> Result<(), StoreError>;

    /// Uses a fetch URL: marks it used at `now`, once, if its session has not expired.
    async fn claim_fetch(
        &self,
        fetch_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<FetchClaim, StoreError>;

    async fn au_session(&self, id: Uuid) -> Result<Option<AuSession>, StoreError>;

    /// The sessions of one AU in a registration, oldest first.
    async fn au_sessions(
        &self,
        registration_id: Uuid,
        au: &str,
    ) -> Result<Vec<AuSession>, StoreError>;

    /// Replaces a session's progress.
    async fn update_au_session(&self, id: Uuid, state: String) -> Result<(), StoreError>;
}
