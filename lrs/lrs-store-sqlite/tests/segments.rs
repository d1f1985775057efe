//! Queries over a store that spans several postings segments (16,384 statements each): every
//! filter, in both orders, with limits, cursors, time bounds and voided statements, against
//! the answer worked out from how the statements were generated.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use chrono::{DateTime, Utc};
use lrs_core::store::{IndexKey, IndexKind, PreparedStatement, StatementFilter, StatementStore};
use lrs_store_sqlite::SqliteStore;
use lrs_store_tests::t;
use serde_json::json;
use uuid::Uuid;

/// Just over three segments, so that walks cross segment boundaries in both directions.
const TOTAL: u64 = 3 * 16_384 + 1_000;

fn verb(n: u64) -> String {
    format!("http://example.com/verbs/{}", n % 4)
}

/// Only a few statements, far apart: most segments hold none of them.
fn rare(n: u64) -> Option<&'static str> {
    (n % 9_973 == 17).then_some("00000000-0000-4000-8000-00000000000a")
}

fn agent(n: u64) -> String {
    format!("mbox:mailto:a{}@example.com", n % 3)
}

fn stored(n: u64) -> DateTime<Utc> {
    // Ten statements per second.
    t(i64::try_from(n / 10).unwrap())
}

fn id(n: u64) -> Uuid {
    Uuid::from_u64_pair(0x5e65_0000_0000_4000, 0x8000_0000_0000_0000 | n)
}

fn statement(n: u64) -> PreparedStatement {
    let mut index = vec![
        IndexKey {
            kind: IndexKind::Verb,
            value: verb(n),
        },
        IndexKey {
            kind: IndexKind::Agent,
            value: agent(n),
        },
    ];
    if let Some(r) = rare(n) {
        index.push(IndexKey {
            kind: IndexKind::Registration,
            value: r.to_owned(),
        });
    }
    let json = json!({"id": id(n).to_string(), "verb": {"id": verb(n)}, "n": n});
    PreparedStatement {
        id: id(n),
        stored: stored(n),
        timestamp: stored(n),
        json,
        comparison_hash: format!("h{n}"),
        verb_id: verb(n),
        voids: None,
        references: None,
        index,
        activities: Vec::new(),
        attachment_hashes: Vec::new(),
    }
}

/// Statement `n` voids statement `n - 1` when `n % 1_000 == 999`.
fn voiding(n: u64) -> Option<u64> {
    (n % 1_000 == 999).then(|| n - 1)
}

fn with_voiding(n: u64) -> PreparedStatement {
    let mut p = statement(n);
    if let Some(target) = voiding(n) {
        let v = "http://adlnet.gov/expapi/verbs/voided".to_owned();
        p.voids = Some(id(target));
        p.references = Some(id(target));
        p.verb_id = v.clone();
        p.index.retain(|k| k.kind != IndexKind::Verb);
        p.index.push(IndexKey {
            kind: IndexKind::Verb,
            value: v,
        });
    }
    p
}

fn verb_of(n: u64) -> String {
    if voiding(n).is_some() {
        "http://adlnet.gov/expapi/verbs/voided".to_owned()
    } else {
        verb(n)
    }
}

fn is_voided(n: u64) -> bool {
    voiding(n + 1).is_some()
}

/// The statement numbers `filter` must return, from the generation rules.
fn expected(filter: &StatementFilter, seq_of: &[i64]) -> Vec<u64> {
    let (lo, hi) = filter.seq_bounds();
    let mut matching: Vec<u64> = (0..TOTAL)
        .filter(|&n| {
            let seq = seq_of[usize::try_from(n).unwrap()];
            seq > lo
                && seq <= hi
                && !is_voided(n)
                && filter.since.is_none_or(|s| stored(n) > s)
                && filter.until.is_none_or(|u| stored(n) <= u)
                && filter.keys.iter().all(|k| {
                    // A statement referring to another one is also posted under that one's
                    // keys, so a voiding statement matches what its target matched.
                    let own = |m: u64| match k.kind {
                        IndexKind::Verb => verb_of(m) == k.value,
                        IndexKind::Agent => agent(m) == k.value,
                        IndexKind::Registration => rare(m) == Some(k.value.as_str()),
                        _ => false,
                    };
                    own(n) || voiding(n).is_some_and(own)
                })
        })
        .collect();
    if !filter.ascending {
        matching.reverse();
    }
    matching.truncate(filter.limit as usize);
    matching
}

fn key(kind: IndexKind, value: &str) -> IndexKey {
    IndexKey {
        kind,
        value: value.to_owned(),
    }
}

#[tokio::test]
async fn queries_walk_every_segment_in_order() {
    let store = SqliteStore::open_temporary().await.unwrap();
    let numbers: Vec<u64> = (0..TOTAL).collect();
    for chunk in numbers.chunks(2_000) {
        store
            .insert_statements(chunk.iter().map(|&n| with_voiding(n)).collect(), Vec::new())
            .await
            .unwrap();
    }
    // The seq of each statement, read back: inserts happen in number order.
    let mut seq_of = Vec::with_capacity(numbers.len());
    for &n in &numbers {
        seq_of.push(store.get_statement(id(n)).await.unwrap().unwrap().seq);
    }
    assert!(seq_of.windows(2).all(|w| w[0] < w[1]));
    assert!(
        *seq_of.last().unwrap() >> 14 >= 3,
        "the store spans four segments"
    );

    let rare_value = rare(17).unwrap();
    let key_sets: Vec<Vec<IndexKey>> = vec![
        vec![key(IndexKind::Registration, rare_value)],
        vec![key(IndexKind::Verb, &verb(1))],
        vec![
            key(IndexKind::Verb, &verb(2)),
            key(IndexKind::Agent, &agent(1)),
        ],
        vec![
            key(IndexKind::Registration, rare_value),
            key(IndexKind::Agent, &agent(17)),
        ],
        vec![
            key(IndexKind::Registration, rare_value),
            key(IndexKind::Agent, &agent(18)),
        ],
        vec![key(
            IndexKind::Verb,
            "http://adlnet.gov/expapi/verbs/voided",
        )],
    ];
    let middle = seq_of[usize::try_from(TOTAL / 2).unwrap()];
    let mut checked = 0;
    for keys in &key_sets {
        for ascending in [false, true] {
            for limit in [1, 7, 100, 20_000] {
                for (after_seq, max_seq) in [
                    (None, None),
                    (Some(middle), None),
                    (None, Some(middle)),
                    (Some(seq_of[16_384]), Some(seq_of[40_000])),
                ] {
                    for (since, until) in
                        [(None, None), (Some(stored(10_000)), Some(stored(45_000)))]
                    {
                        let filter = StatementFilter {
                            keys: keys.clone(),
                            since,
                            until,
                            ascending,
                            after_seq,
                            max_seq,
                            limit,
                        };
                        let got: Vec<u64> = store
                            .query_statements(&filter)
                            .await
                            .unwrap()
                            .iter()
                            .map(|s| {
                                let v: serde_json::Value = serde_json::from_str(&s.json).unwrap();
                                v["n"].as_u64().unwrap()
                            })
                            .collect();
                        assert_eq!(got, expected(&filter, &seq_of), "{filter:?}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 6 * 2 * 4 * 4 * 2);
}
