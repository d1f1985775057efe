//! The LRS domain: everything between an HTTP request and a database row that is neither.
//!
//! Layout:
//! - [`store`]: the storage traits ([`StatementStore`], [`DocumentStore`], [`CredentialStore`])
//!   and the plain types that cross them. The SQLite and PostgreSQL crates implement them.
//! - [`ingest`]: turning validated client statements into [`store::PreparedStatement`]s
//!   (ids, `stored`, `authority`, `version`, index keys, voiding, attachment checks).
//! - [`query`]: statement query parameters, their rules, and the `more` cursor.
//! - [`documents`]: state / activity profile / agent profile semantics (ETags, JSON merge,
//!   preconditions) over compare-and-swap storage.
//! - [`activities`]: the canonical activity definition kept from statements.
//! - [`auth`]: scopes, credentials and the authority a credential stands for.
//! - [`directory`]: people, org units, managers and roles, as plugins read them.
//! - [`service`]: [`service::Lrs`], the façade the HTTP layer calls.
//!
//! Nothing here knows HTTP status codes or SQL; errors are domain words ([`error::LrsError`]).
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod activities;
pub mod auth;
pub mod binding;
pub mod directory;
pub mod documents;
pub mod error;
pub mod ingest;
pub mod query;
pub mod service;
pub mod store;

pub use error::LrsError;
pub use service::Lrs;
pub use store::{CredentialStore, DocumentStore, StatementStore, StoreError};
