//! The shared storage parity suite, run against a fresh PostgreSQL schema per test.
//!
//! Skips (with a notice) when `LARA_TEST_POSTGRES_URL` is unset, unless
//! `LARA_TEST_REQUIRE_POSTGRES=1`, in which case every test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::Arc;

use lrs_core::store::Store;

/// A fresh store and the guard that drops its schema, or `None` to skip.
async fn fresh() -> Option<(Arc<dyn Store>, common::TestDb)> {
    let db = common::fresh().await?;
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    Some((store, db))
}

// The `return` leaves the generated test early when PostgreSQL is not configured.
lrs_store_tests::parity_suite!(match fresh().await {
    Some(opened) => std::future::ready(opened),
    None => return,
});

mod packages {
    use std::sync::Arc;

    use lrs_store_tests::packages::PlayerStore;

    use super::common;

    async fn fresh() -> Option<(Arc<dyn PlayerStore>, common::TestDb)> {
        let db = common::fresh().await?;
        let store: Arc<dyn PlayerStore> = Arc::new(db.store.clone());
        Some((store, db))
    }

    lrs_store_tests::package_parity_suite!(match fresh().await {
        Some(opened) => std::future::ready(opened),
        None => return,
    });
}
