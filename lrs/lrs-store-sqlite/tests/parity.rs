//! The shared storage parity suite, run against fresh temporary-file SQLite stores.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use lrs_core::store::Store;
use lrs_store_sqlite::SqliteStore;

async fn fresh() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("lara.db"))
        .await
        .unwrap();
    (Arc::new(store), dir)
}

lrs_store_tests::parity_suite!(fresh());

mod packages {
    use std::sync::Arc;

    use lrs_store_sqlite::SqliteStore;
    use lrs_store_tests::packages::PlayerStore;

    async fn fresh() -> (Arc<dyn PlayerStore>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("lara.db"))
            .await
            .unwrap();
        (Arc::new(store), dir)
    }

    lrs_store_tests::package_parity_suite!(fresh());
}
