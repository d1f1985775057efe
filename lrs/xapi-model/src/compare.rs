//! Statement comparison (xAPI "Statement Comparison Requirements").

use serde_json::Value;

/// A normal form of a statement such that two statements are "the same" for the conflict rules
/// exactly when their forms are equal: LRS-set properties (`stored`, `authority`, `version`)
/// removed, case-insensitive parts (UUIDs, mailto scheme, sha1 hex) folded, timestamps
/// normalised to one instant representation, group member order ignored, attachment order kept.
pub fn comparison_form(statement: &Value) -> Value {
    todo!("{statement}")
}

/// SHA-256 (hex) of the serialized [`comparison_form`]; stored beside each statement.
pub fn comparison_hash(statement: &Value) -> String {
    todo!("{statement}")
}
