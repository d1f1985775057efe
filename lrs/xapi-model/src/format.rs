//! Statement formats for GET /statements: `exact` (as stored), `ids` and `canonical`.

use serde_json::{Map, Value};

/// The `ids` format: Agents, Groups (members too), Activities and Verbs reduced to their
/// identifying properties (objectType + IFI, `id`), recursively in sub-statements and context.
pub fn to_ids(statement: &Value) -> Value {
    let Value::Object(map) = statement else {
        return statement.clone();
    };
    let mut out = map.clone();
    for key in ["actor", "authority"] {
        if let Some(actor) = out.get_mut(key) {
            *actor = agent_ids(actor);
        }
    }
    if let Some(verb) = out.get_mut("verb") {
        *verb = keep(verb, &["id"]);
    }
    if let Some(object) = out.get_mut("object") {
        *object = object_ids(object);
    }
    if let Some(context) = out.get_mut("context") {
        *context = context_ids(context);
    }
    Value::Object(out)
}

fn object_ids(object: &Value) -> Value {
    match object.get("objectType").and_then(Value::as_str) {
        Some("Agent" | "Group") => agent_ids(object),
        Some("SubStatement") => to_ids(object),
        Some("StatementRef") => object.clone(),
        // An Activity is identified by its id alone; objectType defaults to Activity anyway.
        _ => keep(object, &["id"]),
    }
}

/// An Agent or Group as objectType + IFI; an anonymous Group keeps its (reduced) members
/// because they are all that identifies it.
fn agent_ids(agent: &Value) -> Value {
    let Value::Object(map) = agent else {
        return agent.clone();
    };
    let mut out = Map::new();
    for key in ["objectType", "mbox", "mbox_sha1sum", "openid", "account"] {
        if let Some(v) = map.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    let identified = ["mbox", "mbox_sha1sum", "openid", "account"]
        .iter()
        .any(|k| map.contains_key(*k));
    if !identified && let Some(Value::Array(members)) = map.get("member") {
        out.insert(
            "member".to_owned(),
            Value::Array(members.iter().map(agent_ids).collect()),
        );
    }
    Value::Object(out)
}

fn context_ids(context: &Value) -> Value {
    let Value::Object(map) = context else {
        return context.clone();
    };
    let mut out = map.clone();
    for key in ["instructor", "team"] {
        if let Some(v) = out.get_mut(key) {
            *v = agent_ids(v);
        }
    }
    if let Some(Value::Object(activities)) = out.get_mut("contextActivities") {
        for value in activities.values_mut() {
            let reduced = match &*value {
                Value::Array(items) => {
                    Value::Array(items.iter().map(|a| keep(a, &["id"])).collect())
                }
                other => keep(other, &["id"]),
            };
            *value = reduced;
        }
    }
    for (list, inner) in [("contextAgents", "agent"), ("contextGroups", "group")] {
        if let Some(Value::Array(items)) = out.get_mut(list) {
            for item in items.iter_mut() {
                if let Some(v) = item.get_mut(inner) {
                    *v = agent_ids(v);
                }
            }
        }
    }
    Value::Object(out)
}

/// Only the listed properties of an object; other values are returned unchanged.
fn keep(value: &Value, keys: &[&str]) -> Value {
    let Value::Object(map) = value else {
        return value.clone();
    };
    Value::Object(
        map.iter()
            .filter(|(k, _)| keys.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// The `canonical` format: every language map reduced to the single best entry for the
/// `Accept-Language` preferences (already parsed, best first, e.g. `["en-US", "en", "*"]`).
/// Activity definitions are left as stored here; the LRS substitutes its canonical definition
/// before calling this.
pub fn to_canonical(statement: &Value, languages: &[String]) -> Value {
    let mut out = statement.clone();
    canonical_statement(&mut out, languages);
    out
}

fn canonical_statement(statement: &mut Value, languages: &[String]) {
    if let Some(display) = statement.pointer_mut("/verb/display") {
        reduce_language_map(display, languages);
    }
    if let Some(object) = statement.get_mut("object") {
        match object.get("objectType").and_then(Value::as_str) {
            Some("SubStatement") => canonical_statement(object, languages),
            None | Some("Activity") => canonical_activity(object, languages),
            _ => {}
        }
    }
    if let Some(Value::Object(activities)) = statement.pointer_mut("/context/contextActivities") {
        for value in activities.values_mut() {
            match value {
                Value::Array(items) => items
                    .iter_mut()
                    .for_each(|a| canonical_activity(a, languages)),
                other => canonical_activity(other, languages),
            }
        }
    }
    if let Some(Value::Array(attachments)) = statement.get_mut("attachments") {
        for attachment in attachments {
            for key in ["display", "description"] {
                if let Some(map) = attachment.get_mut(key) {
                    reduce_language_map(map, languages);
                }
            }
        }
    }
}

fn canonical_activity(activity: &mut Value, languages: &[String]) {
    let Some(definition) = activity.get_mut("definition") else {
        return;
    };
    for key in ["name", "description"] {
        if let Some(map) = definition.get_mut(key) {
            reduce_language_map(map, languages);
        }
    }
    for list in ["choices", "scale", "source", "target", "steps"] {
        if let Some(Value::Array(components)) = definition.get_mut(list) {
            for component in components {
                if let Some(map) = component.get_mut("description") {
                    reduce_language_map(map, languages);
                }
            }
        }
    }
}

fn reduce_language_map(map: &mut Value, languages: &[String]) {
    let Value::Object(entries) = map else {
        return;
    };
    if entries.len() <= 1 {
        return;
    }
    if let Some(key) = best_language(entries, languages) {
        let chosen: Map<String, Value> = entries
            .iter()
            .filter(|(k, _)| **k == key)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        *entries = chosen;
    }
}

/// RFC 4647 lookup over the map's tags: for each preference in order, an exact
/// (case-insensitive) match, then a tag of which the preference is a prefix, then the
/// preference truncated subtag by subtag. `*` accepts anything. When nothing matches, the
/// first entry is kept so that exactly one remains.
fn best_language(entries: &Map<String, Value>, languages: &[String]) -> Option<String> {
    let keys: Vec<&String> = entries.keys().collect();
    for pref in languages {
        let pref = pref.trim();
        if pref == "*" {
            return keys.first().map(|k| (*k).clone());
        }
        if let Some(k) = keys.iter().find(|k| k.eq_ignore_ascii_case(pref)) {
            return Some((*k).clone());
        }
        let lower = pref.to_ascii_lowercase();
        if let Some(k) = keys
            .iter()
            .find(|k| k.to_ascii_lowercase().starts_with(&format!("{lower}-")))
        {
            return Some((*k).clone());
        }
        let mut truncated = lower.as_str();
        while let Some((head, _)) = truncated.rsplit_once('-') {
            truncated = head;
            if let Some(k) = keys.iter().find(|k| k.eq_ignore_ascii_case(truncated)) {
                return Some((*k).clone());
            }
        }
    }
    keys.first().map(|k| (*k).clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check_ids(input: Value, expected: Value) {
        assert_eq!(to_ids(&input), expected);
    }

    #[test]
    fn ids_reduces_agents_verbs_activities() {
        check_ids(
            json!({
                "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
                "actor": {"objectType": "Agent", "name": "Bob", "mbox": "mailto:bob@example.com"},
                "verb": {"id": "http://example.com/v", "display": {"en-US": "did"}},
                "object": {"id": "http://example.com/a", "definition": {"name": {"en": "A"}}},
                "authority": {"objectType": "Group", "member": [
                    {"name": "App", "account": {"homePage": "http://e.com", "name": "app"}},
                    {"name": "Bob", "mbox": "mailto:bob@example.com"}
                ]},
                "stored": "2024-01-01T00:00:00.000Z"
            }),
            json!({
                "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
                "actor": {"objectType": "Agent", "mbox": "mailto:bob@example.com"},
                "verb": {"id": "http://example.com/v"},
                "object": {"id": "http://example.com/a"},
                "authority": {"objectType": "Group", "member": [
                    {"account": {"homePage": "http://e.com", "name": "app"}},
                    {"mbox": "mailto:bob@example.com"}
                ]},
                "stored": "2024-01-01T00:00:00.000Z"
            }),
        );
    }

    #[test]
    fn ids_recurses_into_substatement_and_context() {
        check_ids(
            json!({
                "actor": {"objectType": "Group", "name": "G", "openid": "http://o.example/g",
                          "member": [{"mbox": "mailto:a@b.c"}]},
                "verb": {"id": "http://example.com/v"},
                "object": {"objectType": "SubStatement",
                    "actor": {"name": "X", "mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"},
                    "verb": {"id": "http://example.com/w", "display": {"en": "w"}},
                    "object": {"objectType": "Agent", "name": "Y", "mbox": "mailto:y@b.c"},
                    "context": {"instructor": {"name": "I", "mbox": "mailto:i@b.c"}}},
                "context": {
                    "contextActivities": {"parent": {"id": "http://example.com/p", "definition": {}},
                                          "other": [{"objectType": "Activity", "id": "http://example.com/o",
                                                     "definition": {"type": "http://t"}}]},
                    "team": {"objectType": "Group", "name": "T", "member": [{"name": "M", "mbox": "mailto:m@b.c"}]},
                    "contextAgents": [{"objectType": "contextAgent", "agent": {"name": "Q", "mbox": "mailto:q@b.c"}}],
                    "platform": "p"
                }
            }),
            json!({
                "actor": {"objectType": "Group", "openid": "http://o.example/g"},
                "verb": {"id": "http://example.com/v"},
                "object": {"objectType": "SubStatement",
                    "actor": {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"},
                    "verb": {"id": "http://example.com/w"},
                    "object": {"objectType": "Agent", "mbox": "mailto:y@b.c"},
                    "context": {"instructor": {"mbox": "mailto:i@b.c"}}},
                "context": {
                    "contextActivities": {"parent": {"id": "http://example.com/p"},
                                          "other": [{"id": "http://example.com/o"}]},
                    "team": {"objectType": "Group", "member": [{"mbox": "mailto:m@b.c"}]},
                    "contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:q@b.c"}}],
                    "platform": "p"
                }
            }),
        );
    }

    #[test]
    fn ids_activity_is_just_its_id() {
        let input = json!({
            "actor": {"mbox": "mailto:a@b.c"},
            "verb": {"id": "http://v"},
            "object": {"objectType": "SubStatement",
                "actor": {"objectType": "Group", "name": "G", "mbox": "mailto:g@b.c",
                          "member": [{"mbox": "mailto:m@b.c"}]},
                "verb": {"id": "http://w", "display": {"en": "w"}},
                "object": {"objectType": "Activity", "id": "http://x", "definition": {"name": {"en": "x"}}}}
        });
        let out = to_ids(&input);
        assert_eq!(out["object"]["object"], json!({"id": "http://x"}));
        assert_eq!(
            out["object"]["actor"],
            json!({"objectType": "Group", "mbox": "mailto:g@b.c"})
        );
        assert_eq!(out["object"]["verb"], json!({"id": "http://w"}));
        assert_eq!(to_ids(&json!("not a statement")), json!("not a statement"));
    }

    fn check_canonical(map: Value, prefs: &[&str], expected: Value) {
        let statement = json!({"verb": {"id": "http://v", "display": map}});
        let prefs: Vec<String> = prefs.iter().map(|s| (*s).to_owned()).collect();
        let out = to_canonical(&statement, &prefs);
        assert_eq!(out["verb"]["display"], expected, "prefs {prefs:?}");
    }

    #[test]
    fn canonical_language_choice() {
        let map = json!({"en-GB": "colour", "en-US": "color", "fr": "couleur"});
        check_canonical(map.clone(), &["en-US"], json!({"en-US": "color"}));
        check_canonical(map.clone(), &["EN-us"], json!({"en-US": "color"}));
        check_canonical(map.clone(), &["fr-CA", "en"], json!({"fr": "couleur"}));
        check_canonical(map.clone(), &["de", "en"], json!({"en-GB": "colour"}));
        check_canonical(map.clone(), &["de"], json!({"en-GB": "colour"}));
        check_canonical(map.clone(), &[], json!({"en-GB": "colour"}));
        check_canonical(map.clone(), &["*"], json!({"en-GB": "colour"}));
        check_canonical(json!({"de": "Farbe"}), &["en"], json!({"de": "Farbe"}));
        check_canonical(json!({}), &["en"], json!({}));
    }

    #[test]
    fn canonical_covers_all_language_maps() {
        let statement = json!({
            "verb": {"id": "http://v", "display": {"en": "a", "fr": "b"}},
            "object": {"objectType": "SubStatement",
                "verb": {"id": "http://w", "display": {"en": "a", "fr": "b"}},
                "object": {"id": "http://x", "definition": {
                    "name": {"en": "a", "fr": "b"}, "description": {"en": "a", "fr": "b"},
                    "interactionType": "choice",
                    "choices": [{"id": "c", "description": {"en": "a", "fr": "b"}}]}}},
            "context": {"contextActivities": {"parent": [{"id": "http://p", "definition": {"name": {"en": "a", "fr": "b"}}}]}},
            "attachments": [{"display": {"en": "a", "fr": "b"}, "description": {"en": "a", "fr": "b"}}]
        });
        let out = to_canonical(&statement, &["fr".to_owned()]);
        let text = out.to_string();
        assert!(!text.contains("\"en\""), "{text}");
        assert_eq!(text.matches("\"fr\"").count(), 8, "{text}");
    }
}
