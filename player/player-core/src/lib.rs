//! The content player's domain: packages imported into content-addressed storage.
//!
//! - [`store`]: the storage trait each database backend implements.
//! - [`import`]: checking an uploaded zip (with `lara-package`) and storing its files and
//!   a new version of the package.
//! - [`activities`]: the course structure as xAPI activity definitions for the LRS.
//! - [`launch`]: registrations and launch tokens.
//! - [`au_launch`]: launching cmi5 AUs and xAPI packages, and cmi5's rules and satisfaction.
//! - [`scorm_xapi`]: SCORM run-time events as statements and documents (xAPI SCORM profile),
//!   and [`sco_session`], which records them.
//! - [`sequencing`]: a SCORM 2004 organization as the sequencing engine's activity tree, and
//!   [`sco_sequencing`], a registration's sequencing state, reports and navigation requests.

pub mod activities;
pub mod au_launch;
pub mod import;
pub mod launch;
pub mod sco_sequencing;
pub mod sco_session;
pub mod scorm_xapi;
pub mod sequencing;
pub mod store;

pub use activities::{activity_definitions, publish_activities};
pub use import::{ImportFailure, ImportOptions, Imported, import_file};
pub use launch::{Launch, LaunchError, start_launch};
pub use store::{
    AuSession, CHUNK_BYTES, FetchClaim, LaunchStore, NewVersion, PackageStore, PackageVersion,
    Registration, VersionFile,
};
