//! Statement comparison (xAPI "Statement Comparison Requirements").

use std::io::{self, Write};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::XapiVersion;
use crate::ifi::normalize_mbox;
use crate::time::{is_duration, parse_timestamp};

/// A normal form of a statement such that two statements are "the same" for the conflict rules
/// exactly when their forms are equal: LRS-set properties (`stored`, `authority`, `version`)
/// removed, case-insensitive parts (UUIDs, mailto scheme, sha1 hex) folded, timestamps
/// normalised to one instant representation, group member order ignored, attachment order kept.
pub fn comparison_form(statement: &Value) -> Value {
    let mut bytes = Vec::new();
    // Writing into memory cannot fail, and the bytes are JSON that serde_json wrote itself;
    // were either ever to fail, the statement itself is the (stricter) form.
    match write_comparison_form(statement, &mut bytes) {
        Ok(()) => serde_json::from_slice(&bytes).unwrap_or_else(|_| statement.clone()),
        Err(_) => statement.clone(),
    }
}

/// SHA-256 (hex) of the serialized [`comparison_form`]; stored beside each statement.
///
/// The form is never built: the statement is written in canonical order with each
/// normalisation applied as its part is written (see [`write_comparison_form`]), which spares
/// a deep copy of every statement on the ingest path. Hashes are stored, so these bytes must
/// never change (a test pins the hashes of a set of statements).
pub fn comparison_hash(statement: &Value) -> String {
    let mut hasher = HashWriter(Sha256::new());
    // Writing into a hasher cannot fail; serde_json only errors for non-string map keys,
    // which a `Value` cannot have.
    let _ = write_comparison_form(statement, &mut hasher);
    hex::encode(hasher.0.finalize())
}

/// Writes the comparison form of a statement as canonical JSON (keys in byte order), applying
/// each normalisation to its part while writing: the top-level LRS-set properties are left
/// out, ids, registrations and sha1/sha2 hex are lower-cased, `mailto:` schemes folded,
/// timestamps written as their UTC instant with nanoseconds, durations cut to hundredths,
/// score numbers written as floats, a lone context activity written as a one-element list,
/// and group members sorted by their own bytes.
fn write_comparison_form<W: Write>(statement: &Value, out: &mut W) -> io::Result<()> {
    match statement {
        Value::Object(map) => write_statement(map, &["stored", "authority", "version"], out),
        other => write_canonical(other, out),
    }
}

fn write_statement<W: Write>(
    map: &Map<String, Value>,
    skip: &[&str],
    out: &mut W,
) -> io::Result<()> {
    write_object(map, skip, out, |key, value, out| match key {
        "id" => write_lowercase(value, out),
        "timestamp" => write_timestamp(value, out),
        "actor" => write_actor(value, out),
        "object" => match value.get("objectType").and_then(Value::as_str) {
            Some("Agent" | "Group") => write_actor(value, out),
            Some("StatementRef") => write_with_lowercase_id(value, out),
            Some("SubStatement") => match value {
                Value::Object(sub) => write_statement(sub, &[], out),
                other => write_canonical(other, out),
            },
            _ => write_canonical(value, out),
        },
        "result" => write_result(value, out),
        "context" => write_context(value, out),
        "attachments" => match value {
            Value::Array(items) => write_array(items, out, |item, out| match item {
                Value::Object(a) => write_object(a, &[], out, |k, v, out| match k {
                    "sha2" => write_lowercase(v, out),
                    _ => write_canonical(v, out),
                }),
                other => write_canonical(other, out),
            }),
            other => write_canonical(other, out),
        },
        _ => write_canonical(value, out),
    })
}

fn write_result<W: Write>(result: &Value, out: &mut W) -> io::Result<()> {
    let Value::Object(map) = result else {
        return write_canonical(result, out);
    };
    write_object(map, &[], out, |key, value, out| match (key, value) {
        // `1`, `1.0` and `1e0` are the same score to xAPI.
        ("score", Value::Object(score)) => write_object(score, &[], out, |_, v, out| {
            match v.as_f64().and_then(serde_json::Number::from_f64) {
                Some(n) => write_canonical(&Value::Number(n), out),
                None => write_canonical(v, out),
            }
        }),
        ("duration", Value::String(d)) => write_str(&normalize_duration(d), out),
        _ => write_canonical(value, out),
    })
}

fn write_context<W: Write>(context: &Value, out: &mut W) -> io::Result<()> {
    let Value::Object(map) = context else {
        return write_canonical(context, out);
    };
    write_object(map, &[], out, |key, value, out| match (key, value) {
        ("registration", _) => write_lowercase(value, out),
        ("statement", _) => write_with_lowercase_id(value, out),
        ("instructor" | "team", _) => write_actor(value, out),
        ("contextActivities", Value::Object(activities)) => {
            // A lone activity and a one-element array mean the same thing.
            write_object(activities, &[], out, |_, v, out| {
                if v.is_object() {
                    write_array(std::slice::from_ref(v), out, write_canonical)
                } else {
                    write_canonical(v, out)
                }
            })
        }
        ("contextAgents" | "contextGroups", Value::Array(items)) => {
            let inner = if key == "contextAgents" {
                "agent"
            } else {
                "group"
            };
            write_array(items, out, |item, out| match item {
                Value::Object(m) => write_object(m, &[], out, |k, v, out| {
                    if k == inner {
                        write_actor(v, out)
                    } else {
                        write_canonical(v, out)
                    }
                }),
                other => write_canonical(other, out),
            })
        }
        _ => write_canonical(value, out),
    })
}

fn write_actor<W: Write>(actor: &Value, out: &mut W) -> io::Result<()> {
    let Value::Object(map) = actor else {
        return write_canonical(actor, out);
    };
    write_object(map, &[], out, |key, value, out| match (key, value) {
        ("member", Value::Array(members)) => {
            // Member order does not matter: members are written sorted by their own bytes.
            let mut written: Vec<Vec<u8>> = Vec::with_capacity(members.len());
            for m in members {
                let mut bytes = Vec::new();
                match m {
                    Value::Object(m) => write_ifi_object(m, &mut bytes)?,
                    other => write_canonical(other, &mut bytes)?,
                }
                written.push(bytes);
            }
            written.sort_unstable();
            out.write_all(b"[")?;
            for (i, bytes) in written.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(bytes)?;
            }
            out.write_all(b"]")
        }
        _ => write_ifi_field(key, value, out),
    })
}

fn write_ifi_object<W: Write>(map: &Map<String, Value>, out: &mut W) -> io::Result<()> {
    write_object(map, &[], out, write_ifi_field)
}

fn write_ifi_field<W: Write>(key: &str, value: &Value, out: &mut W) -> io::Result<()> {
    match (key, value) {
        ("mbox", Value::String(mbox)) => write_str(&normalize_mbox(mbox), out),
        ("mbox_sha1sum", _) => write_lowercase(value, out),
        _ => write_canonical(value, out),
    }
}

fn write_with_lowercase_id<W: Write>(value: &Value, out: &mut W) -> io::Result<()> {
    match value {
        Value::Object(map) => write_object(map, &[], out, |k, v, out| {
            if k == "id" {
                write_lowercase(v, out)
            } else {
                write_canonical(v, out)
            }
        }),
        other => write_canonical(other, out),
    }
}

fn write_lowercase<W: Write>(value: &Value, out: &mut W) -> io::Result<()> {
    match value {
        Value::String(s) => write_str(&s.to_ascii_lowercase(), out),
        other => write_canonical(other, out),
    }
}

/// A timestamp as its instant in UTC with full precision, so that equal instants in different
/// offsets or spellings compare equal.
fn write_timestamp<W: Write>(value: &Value, out: &mut W) -> io::Result<()> {
    match value {
        // The looser 1.0.3 grammar accepts every form 2.0.0 accepts.
        Value::String(s) => match parse_timestamp(s, XapiVersion::V1_0_3) {
            Ok(t) => write_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true), out),
            Err(_) => write_str(s, out),
        },
        other => write_canonical(other, out),
    }
}

fn write_str<W: Write>(s: &str, out: &mut W) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::from)
}

/// An object with its keys in byte order, leaving out `skip`; `field` writes each value.
fn write_object<W: Write>(
    map: &Map<String, Value>,
    skip: &[&str],
    out: &mut W,
    mut field: impl FnMut(&str, &Value, &mut W) -> io::Result<()>,
) -> io::Result<()> {
    let mut entries: Vec<(&String, &Value)> = map
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .collect();
    if !entries.is_sorted_by(|a, b| a.0 <= b.0) {
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    }
    out.write_all(b"{")?;
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_str(k, out)?;
        out.write_all(b":")?;
        field(k, v, out)?;
    }
    out.write_all(b"}")
}

fn write_array<W: Write>(
    items: &[Value],
    out: &mut W,
    mut item: impl FnMut(&Value, &mut W) -> io::Result<()>,
) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        item(v, out)?;
    }
    out.write_all(b"]")
}

/// Seconds truncated to hundredths, the precision xAPI requires LRSs to keep; digits beyond it
/// must not make two statements differ. Trailing zeros are dropped so `0.10S` equals `0.1S`.
pub fn normalize_duration(duration: &str) -> String {
    let Some(body) = duration.strip_suffix('S') else {
        return duration.to_owned();
    };
    if !is_duration(duration) {
        return duration.to_owned();
    }
    let start = body
        .rfind(|c: char| c.is_ascii_alphabetic())
        .map_or(0, |i| i + 1);
    let (head, seconds) = body.split_at(start);
    let Some((whole, fraction)) = seconds.split_once(['.', ',']) else {
        return duration.to_owned();
    };
    let kept: String = fraction.chars().take(2).collect();
    let kept = kept.trim_end_matches('0');
    if kept.is_empty() {
        format!("{head}{whole}S")
    } else {
        format!("{head}{whole}.{kept}S")
    }
}

/// Writes the value as JSON with object keys in byte order, whatever order the map keeps
/// (serde_json's `preserve_order` feature may be on in the build), straight into `out`.
fn write_canonical<W: Write>(value: &Value, out: &mut W) -> io::Result<()> {
    match value {
        Value::Object(map) => write_object(map, &[], out, |_, v, out| write_canonical(v, out)),
        Value::Array(items) => write_array(items, out, write_canonical),
        scalar => serde_json::to_writer(&mut *out, scalar).map_err(io::Error::from),
    }
}

/// Feeds written bytes to a hash without buffering the serialization.
struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": "http://example.com/v"},
            "object": {"id": "http://example.com/a"},
            "timestamp": "2024-05-01T12:00:00.000Z"
        })
    }

    fn with(mut v: Value, pointer: &str, new: Value) -> Value {
        *v.pointer_mut(pointer).unwrap() = new;
        v
    }

    fn check(a: &Value, b: &Value, same: bool) {
        assert_eq!(
            comparison_form(a) == comparison_form(b),
            same,
            "{a}\nvs\n{b}"
        );
        assert_eq!(
            comparison_hash(a) == comparison_hash(b),
            same,
            "hash {a}\nvs\n{b}"
        );
    }

    #[test]
    fn equivalent_statements() {
        let b = base();
        check(&b, &b, true);
        check(
            &b,
            &with(
                b.clone(),
                "/id",
                json!("6690E6C9-3EF0-4ED3-8B37-7F3964730BEE"),
            ),
            true,
        );
        check(
            &b,
            &with(b.clone(), "/timestamp", json!("2024-05-01T14:00:00+02:00")),
            true,
        );
        check(
            &b,
            &with(b.clone(), "/actor/mbox", json!("MAILTO:a@example.com")),
            true,
        );
        let mut extra = b.clone();
        extra["stored"] = json!("2024-06-01T00:00:00Z");
        extra["version"] = json!("1.0.0");
        extra["authority"] = json!({"mbox": "mailto:lrs@example.com"});
        check(&b, &extra, true);
        let g1 = with(
            b.clone(),
            "/actor",
            json!({"objectType": "Group", "member": [{"mbox": "mailto:x@e.com"}, {"mbox": "mailto:y@e.com"}]}),
        );
        let g2 = with(
            b.clone(),
            "/actor",
            json!({"objectType": "Group", "member": [{"mbox": "mailto:y@e.com"}, {"mbox": "mailto:x@e.com"}]}),
        );
        check(&g1, &g2, true);
        let s1 = with(
            b.clone(),
            "/object",
            json!({"objectType": "StatementRef", "id": "AAAAAAAA-9383-4934-8543-0F91A7A02836"}),
        );
        let s2 = with(
            b.clone(),
            "/object",
            json!({"objectType": "StatementRef", "id": "aaaaaaaa-9383-4934-8543-0f91a7a02836"}),
        );
        check(&s1, &s2, true);
        let mut r1 = b.clone();
        r1["result"] = json!({"score": {"raw": 1}});
        let mut r2 = b.clone();
        r2["result"] = json!({"score": {"raw": 1.0}});
        check(&r1, &r2, true);
        let mut c1 = b.clone();
        c1["context"] = json!({"contextActivities": {"parent": {"id": "http://p"}}});
        let mut c2 = b.clone();
        c2["context"] = json!({"contextActivities": {"parent": [{"id": "http://p"}]}});
        check(&c1, &c2, true);
    }

    #[test]
    fn different_statements() {
        let b = base();
        check(
            &b,
            &with(b.clone(), "/verb/id", json!("http://example.com/other")),
            false,
        );
        check(
            &b,
            &with(b.clone(), "/timestamp", json!("2024-05-01T12:00:00.001Z")),
            false,
        );
        check(
            &b,
            &with(b.clone(), "/actor/mbox", json!("mailto:A@example.com")),
            false,
        );
        let mut a1 = b.clone();
        a1["attachments"] = json!([{"sha2": "aa"}, {"sha2": "bb"}]);
        let mut a2 = b.clone();
        a2["attachments"] = json!([{"sha2": "bb"}, {"sha2": "aa"}]);
        check(&a1, &a2, false);
        let mut r = b.clone();
        r["result"] = json!({"success": true});
        check(&b, &r, false);
    }

    #[test]
    fn durations_compare_to_hundredths() {
        for (input, expected) in [
            ("P1DT12H36M0.1237S", "P1DT12H36M0.12S"),
            ("P1DT12H36M0.12S", "P1DT12H36M0.12S"),
            ("PT0.10S", "PT0.1S"),
            ("PT5.009S", "PT5S"),
            ("PT5,129S", "PT5.12S"),
            ("PT5S", "PT5S"),
            ("PT1H", "PT1H"),
            ("P4W", "P4W"),
            ("not a duration S", "not a duration S"),
        ] {
            assert_eq!(normalize_duration(input), expected, "{input}");
        }
        let mut a = base();
        a["result"] = json!({"duration": "P1DT12H36M0.1237S"});
        let mut b = base();
        b["result"] = json!({"duration": "P1DT12H36M0.12S"});
        check(&a, &b, true);
        b["result"] = json!({"duration": "P1DT12H36M0.13S"});
        check(&a, &b, false);
    }

    /// Hashes are stored beside statements: a change to the comparison form would turn every
    /// resend of an earlier statement into a conflict.
    #[test]
    fn comparison_hashes_stay_those_already_stored() {
        let actor = json!({"objectType": "Group", "name": "G", "mbox": "MAILTO:g@e.com",
            "member": [{"mbox": "MailTo:z@e.com", "name": "Z"}, {"mbox_sha1sum": "ABCDEF"},
                       {"account": {"homePage": "http://h", "name": "n"}}, "odd", 3,
                       {"mbox": "mailto:a@e.com", "member": [{"mbox": "MAILTO:q@e.com"}]}]});
        let activity = json!({"objectType": "Activity", "id": "http://A/B",
            "definition": {"name": {"en-US": "N", "de": "M"}, "type": "http://t",
                           "choices": [{"id": "b"}, {"id": "a"}], "extensions": {"http://x": {"b": 1, "a": [2.5, 1e3]}}}});
        let mut statements = vec![
            base(),
            json!("not an object"),
            json!([1, 2]),
            json!({"id": 5, "timestamp": 7, "actor": "me", "object": [], "result": [], "context": "c", "attachments": {}}),
            json!({"timestamp": "not a time", "stored": "x", "authority": {"mbox": "MAILTO:x@e.com"}, "version": "2.0.0"}),
        ];
        let variants = [
            ("/actor", actor.clone()),
            ("/object", actor.clone()),
            (
                "/object",
                json!({"objectType": "Agent", "mbox": "MAILTO:B@e.com", "mbox_sha1sum": 3}),
            ),
            (
                "/object",
                json!({"objectType": "StatementRef", "id": "AAAAAAAA-9383-4934-8543-0F91A7A02836"}),
            ),
            ("/object", json!({"objectType": "StatementRef", "id": 12})),
            (
                "/object",
                json!({"objectType": "SubStatement", "id": "ABC", "stored": "kept", "version": "kept",
                "actor": actor.clone(), "verb": {"id": "http://v", "display": {"en": "V"}},
                "object": {"objectType": "StatementRef", "id": "BBBB"},
                "timestamp": "2024-05-01T14:00:00.123456+02:00",
                "result": {"score": {"raw": 1, "max": 10.0, "scaled": 0.10}, "duration": "PT1.239S"},
                "context": {"registration": "CCCC", "contextActivities": {"parent": {"id": "http://P"}}}}),
            ),
            ("/object", activity.clone()),
            ("/object", json!({"objectType": "Activity"})),
            (
                "/result",
                json!({"score": {"raw": 1, "min": -5, "max": 1e2, "scaled": 1.0, "other": "x"},
                "duration": "P1DT12H36M0.1237S", "success": true, "response": "Ab", "extensions": {"z": null, "a": 1}}),
            ),
            ("/result", json!({"score": 7, "duration": 3})),
            ("/result", json!({"duration": "PT5,129S"})),
            (
                "/context",
                json!({"registration": "AAAAAAAA-9383-4934-8543-0F91A7A02836",
                "instructor": {"mbox": "MAILTO:i@e.com"}, "team": actor.clone(),
                "statement": {"objectType": "StatementRef", "id": "DDDD-EEEE"},
                "contextActivities": {"parent": {"id": "http://p"}, "grouping": [{"id": "http://g"}, activity.clone()],
                                      "category": [], "other": "odd"},
                "contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "MAILTO:c@e.com"}, "relevantTypes": ["http://r"]}, 4],
                "contextGroups": [{"objectType": "contextGroup", "group": actor.clone()}],
                "language": "en-US", "platform": "P", "revision": "R",
                "extensions": {"http://e": {"mbox": "MAILTO:untouched@e.com"}}}),
            ),
            (
                "/context",
                json!({"registration": 1, "statement": "x", "instructor": 2, "contextActivities": [], "contextAgents": {}, "contextGroups": "g"}),
            ),
            (
                "/attachments",
                json!([{"sha2": "ABCDEF", "usageType": "http://u", "display": {"en": "d"}, "contentType": "text/plain", "length": 3},
                {"sha2": 17}, "odd", {"fileUrl": "http://f"}]),
            ),
            ("/timestamp", json!("2024-05-01T14:00:00+02:00")),
            ("/timestamp", json!("2024-05-01T12:00:00.1234567Z")),
            ("/id", json!("6690E6C9-3EF0-4ED3-8B37-7F3964730BEE")),
            (
                "/verb",
                json!({"id": "http://V", "display": {"sv-SE": "gjorde", "en-US": "did"}}),
            ),
        ];
        for (pointer, value) in variants {
            let mut s = base();
            s[pointer.trim_start_matches('/')] = value;
            statements.push(s);
        }
        // Everything at once, plus the properties the LRS sets.
        let mut all = base();
        all["actor"] = actor;
        all["object"] = activity;
        all["result"] = json!({"score": {"raw": 3}, "duration": "PT0.10S"});
        all["context"] =
            json!({"registration": "ABCD", "contextActivities": {"parent": {"id": "http://p"}}});
        all["attachments"] = json!([{"sha2": "FF"}]);
        all["stored"] = json!("2024-06-01T00:00:00Z");
        all["authority"] = json!({"mbox": "mailto:lrs@example.com"});
        statements.push(all);

        // Computed by the implementation that normalised a copy of the statement before
        // serializing it, which is what stored hashes come from.
        let expected = [
            "1df556cda02747a43ffd658dd05d0b8cd42c07b16468f928bb36295e044504ab",
            "a4f14cf4b688620f7b1381c1206b998fc3accc0157e34d60a355cb25a2125abf",
            "49a64717d5d4cb19952e6eac2946415cf6879adacf9908e7d872332d32c6e684",
            "c70ac85844daa8c6c773d5c1e200e542cbf0abdc2e0ffe373feb69d275300669",
            "2539260b6728689ff1722cac96ad1537da6f7ba404e461e181900d6ccba188f3",
            "c70d9d2ae68662a030443cbb8851d641be85ef2910a4312913704fef69a6c271",
            "75814809af112b42ef73056f4fd694300ea37b0685c9d9cc8e5843d8482521b2",
            "f8da7f5890fb9276e0c7f4c3ca0a35243b5141ea2f9f9edad8f4bd04f6ea8291",
            "798a0172ec1f4d0c4142aeabd4b69e240e8634827c7de5a2ab732c6d8ad0aee1",
            "909f74d3b3074c5da86cf9f273b7392d8a50866909926180c21d7d3d4bda426c",
            "565da7d8510fe18d6f99a12f61c3297165fd9fadb97ffe7fe8540e1fce0cc7bf",
            "4735280ce629b3e394a078e1f98edc9f1a1a25b1ed17b9de9541f3c000b686d1",
            "5b5d24b55dec1d3347b501441238a8a351a59f01e7646c60de460734d527d271",
            "685066a1055d2cebafcb787c5045aa0a7cf5e041a9c19356d8255e817966a2a7",
            "e9eebe30f39139bb02f13e250f001828bd132fced860b2f34cd130f47b134000",
            "ce292c83d03331f5b7cd2e3317d7dade9e77288e491db9fe7f7526c3924e457e",
            "368d2f167b879df00d301b28a9baac9ab9e03ca9fdd7eff4ee8ccdac6a556bf7",
            "5f447d1595ef676454763fa712a099baaae29dde5fae06145b8ee27fd51b4f2e",
            "a631d0ffd36c4bc35099629fe017083a0c7ff080937b8c149d4b0b5c1240406e",
            "1df556cda02747a43ffd658dd05d0b8cd42c07b16468f928bb36295e044504ab",
            "3707f0045e8650c0c77eb70d3a9290758cdfc87b8716cc21fec1c5ae3d895f25",
            "1df556cda02747a43ffd658dd05d0b8cd42c07b16468f928bb36295e044504ab",
            "3b12b498d9faa7c70bae9e41f3861c0a0799abe928de48c09744deabe19d6bb1",
            "342d10d1995aa2f254d879dea5593bae9a04bef7bae814c2e7b1306f41963307",
        ];
        assert_eq!(statements.len(), expected.len());
        for (s, hash) in statements.iter().zip(expected) {
            assert_eq!(comparison_hash(s), hash, "{s}");
        }
    }

    #[test]
    fn canonical_serialization_sorts_keys() {
        let mut s = Vec::new();
        write_canonical(&json!({"b": [1, {"d": 1, "c": "x"}], "a": null}), &mut s).unwrap();
        assert_eq!(
            String::from_utf8(s).unwrap(),
            r#"{"a":null,"b":[1,{"c":"x","d":1}]}"#
        );
    }
}
