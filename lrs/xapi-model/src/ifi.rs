//! Inverse functional identifiers.

use serde_json::Value;

/// A comparable key for the inverse functional identifier of an Agent or identified Group:
/// `mbox:mailto:a@b.c` (mailto scheme lower-cased), `mbox_sha1sum:<lowercase hex>`,
/// `openid:<uri>`, `account:<homePage> <name>`. `None` when the object carries no IFI
/// (e.g. an anonymous group).
pub fn ifi_key(agent: &Value) -> Option<String> {
    let obj = agent.as_object()?;
    if let Some(mbox) = obj.get("mbox").and_then(Value::as_str) {
        return Some(format!("mbox:{}", normalize_mbox(mbox)));
    }
    if let Some(sha) = obj.get("mbox_sha1sum").and_then(Value::as_str) {
        return Some(format!("mbox_sha1sum:{}", sha.to_ascii_lowercase()));
    }
    if let Some(openid) = obj.get("openid").and_then(Value::as_str) {
        return Some(format!("openid:{openid}"));
    }
    let account = obj.get("account")?.as_object()?;
    let home_page = account.get("homePage")?.as_str()?;
    let name = account.get("name")?.as_str()?;
    Some(format!("account:{home_page} {name}"))
}

/// `mbox` with its scheme lower-cased: URI schemes are case-insensitive, while the local part
/// of an address is not, so only the scheme is folded.
pub fn normalize_mbox(mbox: &str) -> String {
    match mbox.split_once(':') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("mailto") => format!("mailto:{rest}"),
        _ => mbox.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(input: Value, expected: Option<&str>) {
        assert_eq!(ifi_key(&input).as_deref(), expected, "{input}");
    }

    #[test]
    fn keys() {
        check(json!({"mbox": "mailto:a@b.c"}), Some("mbox:mailto:a@b.c"));
        check(json!({"mbox": "MAILTO:A@b.c"}), Some("mbox:mailto:A@b.c"));
        check(
            json!({"objectType": "Group", "mbox": "mailto:g@b.c", "member": []}),
            Some("mbox:mailto:g@b.c"),
        );
        check(
            json!({"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"}),
            Some("mbox_sha1sum:cd9b00a5611f94eaa7b1661edab976068e364975"),
        );
        check(
            json!({"openid": "http://openid.example.org/1"}),
            Some("openid:http://openid.example.org/1"),
        );
        check(
            json!({"account": {"homePage": "http://example.com", "name": "bob"}}),
            Some("account:http://example.com bob"),
        );
        check(json!({"account": {"homePage": "http://example.com"}}), None);
        check(
            json!({"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}),
            None,
        );
        check(json!({"mbox": 12}), None);
        check(json!("mailto:a@b.c"), None);
        check(json!(null), None);
    }
}
