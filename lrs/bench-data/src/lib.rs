//! Synthetic xAPI statements for Lara's benchmark programs (`lara-bench` over HTTP, and the
//! store-level `store_bench` and `pg_bench` examples), so that every figure is measured on the
//! same data.
//!
//! Statement `n` is a pure function of `n` and the [`Shape`]: a benchmark that seeds a store
//! and one that queries it later agree on which agents, activities and registrations exist.
//! Values cycle with different periods, so keys have different selectivities: 8 verbs, a few
//! thousand agents and activities, many registrations.

pub mod package;

use serde_json::{Value, json};
use uuid::Uuid;

/// The verbs statements cycle through.
pub const VERBS: [&str; 8] = [
    "http://adlnet.gov/expapi/verbs/experienced",
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/initialized",
    "http://adlnet.gov/expapi/verbs/terminated",
];

/// How many distinct agents, activities and registrations the statements use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub agents: u64,
    pub activities: u64,
    pub registrations: u64,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            agents: 10_000,
            activities: 5_000,
            registrations: 100_000,
        }
    }
}

impl Shape {
    /// The verb of statement `n`.
    pub fn verb(&self, n: u64) -> &'static str {
        VERBS
            .get(usize::try_from(n % VERBS.len() as u64).unwrap_or(0))
            .copied()
            .unwrap_or(VERBS[0])
    }

    /// The actor's mbox of statement `n`.
    pub fn mbox(&self, n: u64) -> String {
        format!("mailto:learner{}@bench.example.org", n % self.agents.max(1))
    }

    /// The actor's name of statement `n`.
    pub fn agent_name(&self, n: u64) -> String {
        format!("Learner {}", n % self.agents.max(1))
    }

    /// The actor of statement `n`.
    pub fn agent(&self, n: u64) -> Value {
        json!({
            "objectType": "Agent",
            "name": self.agent_name(n),
            "mbox": self.mbox(n),
        })
    }

    /// The scaled score of statement `n`.
    pub fn score(&self, n: u64) -> f64 {
        (n % 100) as f64 / 100.0
    }

    /// Activity number `n` (modulo the number of activities).
    pub fn activity_id(&self, n: u64) -> String {
        format!(
            "http://bench.example.org/activities/{}",
            n % self.activities.max(1)
        )
    }

    /// The object activity of statement `n`.
    pub fn object_id(&self, n: u64) -> String {
        self.activity_id(n.wrapping_mul(7).wrapping_add(3))
    }

    /// The parent context activity of statement `n` (one of 50).
    pub fn parent_id(&self, n: u64) -> String {
        self.activity_id(n % 50)
    }

    /// The registration of statement `n`.
    pub fn registration(&self, n: u64) -> String {
        format!(
            "00000000-0000-4000-8000-{:012x}",
            n % self.registrations.max(1)
        )
    }

    /// Statement `n`, without an id (see [`statement_id`]).
    pub fn statement(&self, n: u64) -> Value {
        let verb = self.verb(n);
        json!({
            "actor": self.agent(n),
            "verb": {"id": verb, "display": {"en-US": verb.rsplit('/').next().unwrap_or("verb")}},
            "object": {
                "objectType": "Activity",
                "id": self.object_id(n),
                "definition": {
                    "name": {"en-US": "Bench activity"},
                    "type": "http://adlnet.gov/expapi/activities/lesson"
                }
            },
            "result": {
                "score": {"scaled": self.score(n)},
                "completion": true,
                "duration": "PT5M"
            },
            "context": {
                "registration": self.registration(n),
                "contextActivities": {"parent": [{"id": self.parent_id(n)}]}
            },
            "timestamp": "2026-01-01T12:00:00.000Z"
        })
    }

    /// Appends statement `n` with `id` as JSON to `out`: the same bytes as serializing
    /// [`Shape::statement`] with `"id"` added last, without building the JSON tree. The load
    /// generator shares the machine with the LRS it measures, so it should cost as little as
    /// possible (building and freeing the tree took most of its time).
    pub fn write_statement(&self, n: u64, id: Uuid, out: &mut Vec<u8>) {
        let verb = self.verb(n);
        out.extend_from_slice(br#"{"actor":{"objectType":"Agent","name":"#);
        json_str(out, &self.agent_name(n));
        out.extend_from_slice(br#","mbox":"#);
        json_str(out, &self.mbox(n));
        out.extend_from_slice(br#"},"verb":{"id":"#);
        json_str(out, verb);
        out.extend_from_slice(br#","display":{"en-US":"#);
        json_str(out, verb.rsplit('/').next().unwrap_or("verb"));
        out.extend_from_slice(br#"}},"object":{"objectType":"Activity","id":"#);
        json_str(out, &self.object_id(n));
        out.extend_from_slice(
            br#","definition":{"name":{"en-US":"Bench activity"},"type":"http://adlnet.gov/expapi/activities/lesson"}},"result":{"score":{"scaled":"#,
        );
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &self.score(n));
        out.extend_from_slice(
            br#"},"completion":true,"duration":"PT5M"},"context":{"registration":"#,
        );
        json_str(out, &self.registration(n));
        out.extend_from_slice(br#","contextActivities":{"parent":[{"id":"#);
        json_str(out, &self.parent_id(n));
        out.extend_from_slice(br#"}]}},"timestamp":"2026-01-01T12:00:00.000Z","id":"#);
        json_str(out, &id.to_string());
        out.push(b'}');
    }
}

/// Appends `s` as a JSON string.
fn json_str(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A statement id that is the same for the same `(run, n, kind)` and spread over the whole id
/// space like the random (version 4) ids real clients send. Ids sharing their high bits would
/// make any LRS's id index look append-only and flatter its figures.
pub fn statement_id(run: u128, n: u64, kind: u8) -> Uuid {
    let seed = (run as u64) ^ ((run >> 64) as u64) ^ (u64::from(kind) << 56);
    let hi = mix(n ^ seed);
    let lo = mix(hi ^ n.rotate_left(32));
    uuid::Builder::from_random_bytes(((u128::from(hi) << 64) | u128::from(lo)).to_be_bytes())
        .into_uuid()
}

/// The splitmix64 finalizer: a bijection on u64 that scatters consecutive inputs.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_are_stable_distinct_and_scattered() {
        assert_eq!(statement_id(7, 1, 2), statement_id(7, 1, 2));
        assert_ne!(statement_id(7, 1, 2), statement_id(7, 2, 2));
        assert_ne!(statement_id(7, 1, 2), statement_id(7, 1, 3));
        assert_ne!(statement_id(7, 1, 2), statement_id(8, 1, 2));
        // Consecutive numbers differ in their first byte most of the time.
        let first: std::collections::HashSet<u8> = (0..64)
            .map(|n| {
                statement_id(1, n, 0)
                    .as_bytes()
                    .first()
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        assert!(first.len() > 32, "{first:?}");
        assert_eq!(statement_id(1, 5, 0).get_version_num(), 4);
    }

    #[test]
    fn written_statements_are_the_serialized_trees() {
        for shape in [
            Shape::default(),
            Shape {
                agents: 3,
                activities: 7,
                registrations: 1,
            },
        ] {
            for n in (0..3_000).chain([u64::MAX - 1, 1 << 40]) {
                let id = statement_id(9, n, 2);
                let mut tree = shape.statement(n);
                tree["id"] = serde_json::json!(id);
                let mut written = Vec::new();
                shape.write_statement(n, id, &mut written);
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    serde_json::to_string(&tree).unwrap(),
                    "statement {n}"
                );
            }
        }
    }

    #[test]
    fn statements_cycle_through_the_shape() {
        let shape = Shape {
            agents: 3,
            activities: 10,
            registrations: 4,
        };
        assert_eq!(shape.mbox(1), shape.mbox(4));
        assert_ne!(shape.mbox(1), shape.mbox(2));
        assert_eq!(shape.registration(2), shape.registration(6));
        let s = shape.statement(9);
        assert_eq!(s["verb"]["id"], VERBS[1]);
        assert_eq!(s["object"]["id"], shape.object_id(9));
        assert_eq!(s["context"]["registration"], shape.registration(9));
    }
}
