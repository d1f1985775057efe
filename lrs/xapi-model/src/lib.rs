//! Pure xAPI data model: versions, validation, identifiers, time, formats.
//!
//! Layout:
//! - [`version`]: the xAPI versions this LRS speaks (1.0.3 and 2.0.0) and header parsing.
//! - [`problem`]: a validation problem with the JSON path it concerns.
//! - [`validate`]: statement, agent and document-parameter validation. It walks the JSON value
//!   itself (not typed structs) so that every problem is reported with its path and unknown
//!   properties are caught.
//! - [`ifi`]: inverse functional identifiers of agents and groups as comparable keys.
//! - [`time`]: ISO 8601 / RFC 3339 timestamps and ISO 8601 durations.
//! - [`format`]: the `ids` and `canonical` statement formats.
//! - [`compare`]: the statement comparison used to detect conflicting duplicates.
//! - [`signature`]: verification of signed statements (JWS, RS256/384/512).
//!
//! Nothing here performs I/O, so the crate builds for wasm32 and can be shared by the player
//! and plugins.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod compare;
pub mod format;
pub mod ifi;
pub mod problem;
pub mod signature;
pub mod time;
pub mod validate;
pub mod version;

pub use problem::Problem;
pub use version::XapiVersion;

/// The verb IRI that makes a statement a voiding statement.
pub const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";
/// `usageType` of the attachment that carries a statement signature.
pub const SIGNATURE_USAGE_TYPE: &str = "http://adlnet.gov/expapi/attachments/signature";
