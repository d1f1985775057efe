//! Inverse functional identifiers.

use serde_json::Value;

/// A comparable key for the inverse functional identifier of an Agent or identified Group:
/// `mbox:mailto:a@b.c` (mailto scheme lower-cased), `mbox_sha1sum:<lowercase hex>`,
/// `openid:<uri>`, `account:<homePage> <name>`. `None` when the object carries no IFI
/// (e.g. an anonymous group).
pub fn ifi_key(agent: &Value) -> Option<String> {
    todo!("{agent}")
}
