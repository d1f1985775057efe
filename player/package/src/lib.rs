//! Reading e-learning packages safely.
//!
//! A vendor's zip is untrusted input. This crate is pure (no HTTP, no database): given a
//! reader over the uploaded file it checks the archive ([`archive`]) before any file is
//! extracted. Manifest parsing (SCORM 1.2, SCORM 2004, cmi5, xAPI `tincan.xml`) builds on the
//! checked [`archive::Archive`].

pub mod archive;

pub use archive::{Archive, ArchiveError, Entry, Limits};
