//! Validation of statements and of the JSON parameters of the xAPI resources.

use serde_json::Value;

use crate::{Problem, XapiVersion};

/// Validates one statement as received from a client (before the LRS adds `stored`,
/// `authority` etc.). Returns every problem found; an empty vector means valid.
/// Paths are relative to the statement and start with `prefix` (e.g. `statement[3]` gives
/// `statement[3].result.score.scaled`; an empty prefix gives `result.score.scaled`).
pub fn validate_statement(statement: &Value, version: XapiVersion, prefix: &str) -> Vec<Problem> {
    todo!("{statement} {version:?} {prefix}")
}

/// Validates an Agent or identified Group given as a query parameter (`agent=` of the statement,
/// state and agent-profile resources). Groups are allowed only where `allow_group`.
pub fn validate_agent_param(agent: &Value, version: XapiVersion, allow_group: bool) -> Vec<Problem> {
    todo!("{agent} {version:?} {allow_group}")
}

/// Is `s` an absolute IRI as xAPI requires (scheme + ':' + rest, no spaces …)?
pub fn is_iri(s: &str) -> bool {
    todo!("{s}")
}
