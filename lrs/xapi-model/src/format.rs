//! Statement formats for GET /statements: `exact` (as stored), `ids` and `canonical`.

use serde_json::Value;

/// The `ids` format: Agents, Groups (members too), Activities and Verbs reduced to their
/// identifying properties (objectType + IFI, `id`), recursively in sub-statements and context.
pub fn to_ids(statement: &Value) -> Value {
    todo!("{statement}")
}

/// The `canonical` format: every language map reduced to the single best entry for the
/// `Accept-Language` preferences (already parsed, best first, e.g. `["en-US", "en", "*"]`).
/// Activity definitions are left as stored here; the LRS substitutes its canonical definition
/// before calling this.
pub fn to_canonical(statement: &Value, languages: &[String]) -> Value {
    todo!("{statement} {languages:?}")
}
