//! Data survives closing and reopening the file, and a process killed with SIGKILL right after
//! acknowledgments keeps every acknowledged write.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use lrs_core::store::{
    DocumentKey, DocumentScope, DocumentStore, Expected, IndexKind, InsertOutcome, StatementFilter,
    StatementStore, Store,
};
use lrs_store_sqlite::SqliteStore;
use lrs_store_tests::{Stmt, agent, doc, filter, query_ids, t};
use uuid::Uuid;

#[tokio::test]
async fn everything_is_there_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lara.db");
    let a = Stmt::new("alice", "did", "a").stored(t(100));
    let key = DocumentKey::AgentProfile {
        agent: agent("alice"),
        profile_id: "p".into(),
    };
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store
            .insert_statements(vec![a.build()], Vec::new())
            .await
            .unwrap();
        store
            .swap_document(&key, &Expected::Absent, Some(&doc("1", t(1))))
            .await
            .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let got = store.get_statement(a.id()).await.unwrap().unwrap();
    assert_eq!(got.stored, t(100));
    assert_eq!(
        store.get_document(&key).await.unwrap(),
        Some(doc("1", t(1)))
    );
    // Migrations ran once; a resend is recognised; seq and the stored floor carry on.
    let b = Stmt::new("alice", "did", "a").stored(t(50));
    let outcomes = store
        .insert_statements(vec![a.build(), b.build()], Vec::new())
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![InsertOutcome::AlreadyPresent, InsertOutcome::Inserted]
    );
    let got_b = store.get_statement(b.id()).await.unwrap().unwrap();
    assert!(got_b.seq > got.seq);
    assert_eq!(got_b.stored, t(100), "the stored floor survives a reopen");
    let ids = query_ids(&store, &filter(&[(IndexKind::Agent, &agent("alice"))])).await;
    assert_eq!(ids, vec![b.id(), a.id()]);
    let scope = DocumentScope::AgentProfile {
        agent: agent("alice"),
    };
    assert_eq!(store.list_documents(&scope, None).await.unwrap(), vec!["p"]);
}

#[tokio::test]
async fn the_temporary_store_works_and_cleans_up() {
    let store = SqliteStore::open_temporary().await.unwrap();
    let s = Stmt::new("alice", "did", "a");
    store
        .insert_statements(vec![s.build()], Vec::new())
        .await
        .unwrap();
    assert_eq!(
        query_ids(
            &store,
            &StatementFilter {
                limit: 10,
                ..Default::default()
            }
        )
        .await,
        vec![s.id()]
    );
}

const CHILD_ENV: &str = "LARA_SQLITE_CRASH_CHILD_DB";
const ACKS_BEFORE_KILL: usize = 300;

/// Not a test on its own: the child process of `acknowledged_writes_survive_sigkill`.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(Path::new(&path)).await.unwrap());
        let mut tasks = Vec::new();
        for task in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let batch: Vec<Stmt> = (0..3)
                        .map(|_| {
                            Stmt::new(&format!("agent{task}"), "did", "a")
                                .stored(chrono::Utc::now())
                        })
                        .collect();
                    store
                        .insert_statements(batch.iter().map(Stmt::build).collect(), Vec::new())
                        .await
                        .unwrap();
                    let key = DocumentKey::AgentProfile {
                        agent: agent("crash"),
                        profile_id: batch[0].id().to_string(),
                    };
                    store
                        .swap_document(&key, &Expected::Absent, Some(&doc("d", t(1))))
                        .await
                        .unwrap();
                    // Only now, after both writes were acknowledged, tell the parent.
                    let line: String = batch
                        .iter()
                        .map(|s| format!("acked {}\n", s.id()))
                        .collect();
                    print!("{line}");
                }
            }));
        }
        // Runs until the parent kills this process.
        drop(tasks);
        std::future::pending::<()>().await;
    });
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lara.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked: Vec<Uuid> = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(id) = line.strip_prefix("acked ") {
            acked.push(id.parse().unwrap());
            if acked.len() >= ACKS_BEFORE_KILL {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no checkpoint, writes in flight.
    child.wait().unwrap();
    assert!(acked.len() >= ACKS_BEFORE_KILL, "the child stopped early");

    let store = SqliteStore::open(&path).await.unwrap();
    for id in &acked {
        assert!(
            store.get_statement(*id).await.unwrap().is_some(),
            "acknowledged statement {id} was lost"
        );
        let key = DocumentKey::AgentProfile {
            agent: agent("crash"),
            profile_id: id.to_string(),
        };
        // Only the first statement of each batch names a document.
        let _ = store.get_document(&key).await.unwrap();
    }
    let listed = store
        .list_documents(
            &DocumentScope::AgentProfile {
                agent: agent("crash"),
            },
            None,
        )
        .await
        .unwrap();
    assert!(
        listed.len() * 3 >= acked.len(),
        "acknowledged documents were lost"
    );
    // The reopened store keeps working.
    let s = Stmt::new("alice", "did", "a");
    store
        .insert_statements(vec![s.build()], Vec::new())
        .await
        .unwrap();
}
