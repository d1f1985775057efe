//! Domain errors. The HTTP layer maps each variant to its status code.

use xapi_model::Problem;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum LrsError {
    /// The input breaks an xAPI rule (400). Every problem found is listed.
    #[error("{}", format_problems(.0))]
    Invalid(Vec<Problem>),
    /// A statement id exists with different content (409).
    #[error("{0}")]
    Conflict(String),
    /// A concurrency precondition failed (412).
    #[error("{0}")]
    PreconditionFailed(String),
    /// A write to an existing document came without a precondition (409 per xAPI 1.0.3, 428 allowed).
    #[error("{0}")]
    PreconditionRequired(String),
    /// No or wrong credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's credential may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LrsError {
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        LrsError::Invalid(vec![Problem::new(path, message)])
    }
}

fn format_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}
