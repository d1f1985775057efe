//! A fresh schema per test on the PostgreSQL named by `LARA_TEST_POSTGRES_URL`.
#![allow(dead_code)]

use lrs_store_postgres::{PgOptions, PgStore};

/// One test's database namespace, dropped with it (also when the test fails).
pub struct TestDb {
    pub url: String,
    pub schema: String,
    pub store: PgStore,
}

/// The URL, or `None` with a skip notice; panics when `LARA_TEST_REQUIRE_POSTGRES=1`.
pub fn url() -> Option<String> {
    match std::env::var("LARA_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("LARA_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("LARA_TEST_REQUIRE_POSTGRES=1 but LARA_TEST_POSTGRES_URL is not set");
            }
            eprintln!("skipping: LARA_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

pub async fn fresh() -> Option<TestDb> {
    let url = url()?;
    let schema = format!("lara_test_{}", uuid::Uuid::new_v4().simple());
    let store = node(&url, &schema).await;
    Some(TestDb { url, schema, store })
}

/// Another pool on the same schema: a second `lara serve` process.
pub async fn node(url: &str, schema: &str) -> PgStore {
    let options = PgOptions {
        schema: Some(schema.to_owned()),
        pool_size: 4,
    };
    PgStore::connect(url, options)
        .await
        .expect("connect to the test database")
}

impl TestDb {
    pub async fn second_node(&self) -> PgStore {
        node(&self.url, &self.schema).await
    }

    /// Drops the schema now (the same happens on drop, this just makes it visible).
    pub async fn cleanup(self) {
        drop(self);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on; a short-lived
        // thread with its own runtime and connection does the work.
        let url = self.url.clone();
        let schema = self.schema.clone();
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                let driver = tokio::spawn(conn);
                client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await
                    .unwrap();
                drop(client);
                let _ = driver.await;
            });
        });
        if done.join().is_err() {
            eprintln!("could not drop test schema {}", self.schema);
        }
    }
}
