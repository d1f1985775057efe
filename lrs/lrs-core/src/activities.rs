//! The canonical activity definition.
//!
//! xAPI lets the LRS keep one definition per activity id built from the statements it trusts.
//! Lara folds every definition it sees into the stored one: language maps gain or replace the
//! languages sent, extensions gain or replace keys, and every other property takes the latest
//! value sent. Nothing sent is lost, and a later, fuller definition wins.

use serde_json::{Map, Value};

const LANGUAGE_MAPS: [&str; 2] = ["name", "description"];

/// Merges a newly seen definition into the stored one.
pub fn merge_definition(stored: &Value, incoming: &Value) -> Value {
    let (Some(old), Some(new)) = (stored.as_object(), incoming.as_object()) else {
        return incoming.clone();
    };
    let mut merged: Map<String, Value> = old.clone();
    for (key, value) in new {
        let combined = match (merged.get(key), value) {
            (Some(Value::Object(a)), Value::Object(b))
                if LANGUAGE_MAPS.contains(&key.as_str()) || key == "extensions" =>
            {
                let mut m = a.clone();
                for (k, v) in b {
                    m.insert(k.clone(), v.clone());
                }
                Value::Object(m)
            }
            _ => value.clone(),
        };
        merged.insert(key.clone(), combined);
    }
    Value::Object(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn language_maps_are_unioned_and_scalars_replaced() {
        let old = json!({"name": {"en": "Old", "sv": "Gammal"}, "type": "http://a/t1"});
        let new = json!({"name": {"en": "New"}, "type": "http://a/t2", "moreInfo": "http://m"});
        assert_eq!(
            merge_definition(&old, &new),
            json!({"name": {"en": "New", "sv": "Gammal"}, "type": "http://a/t2", "moreInfo": "http://m"})
        );
    }

    #[test]
    fn extensions_are_merged_by_key() {
        let old = json!({"extensions": {"http://x/a": 1}});
        let new = json!({"extensions": {"http://x/b": 2}});
        assert_eq!(
            merge_definition(&old, &new),
            json!({"extensions": {"http://x/a": 1, "http://x/b": 2}})
        );
    }
}
