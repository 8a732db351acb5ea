//! Tests of the SQLite backend, each in a fresh database of its own.
//!
//! Opened by `SqliteStore::connect`, so with the real options and every
//! migration applied.

mod audit;
mod history;
mod releases;
mod sessions;
mod tokens;

use std::ops::Deref;

use tempfile::TempDir;

use super::SqliteStore;
use crate::store::Store;

/// A store on a database file of its own, deleted when dropped.
pub(super) struct TestDb {
    store: SqliteStore,
    _dir: TempDir,
}

impl Deref for TestDb {
    type Target = SqliteStore;

    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

impl TestDb {
    /// One integer a query returns, to look at what the traits do not show.
    pub(super) async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.pool())
            .await
            .unwrap()
    }

    pub(super) async fn execute(&self, sql: &str) {
        sqlx::query(sql).execute(self.pool()).await.unwrap();
    }
}

pub(super) async fn fresh() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("berth.db").display());
    TestDb {
        store: SqliteStore::connect(&url).await.unwrap(),
        _dir: dir,
    }
}

#[tokio::test]
async fn connect_applies_every_migration_and_reopening_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("berth.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store.ping().await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "api_tokens",
            "audit_log",
            "automation_pauses",
            "bookings",
            "build_runs",
            "builds",
            "claims",
            "commits",
            "deploy_markers",
            "environment_changes",
            "freezes",
            "glass_breaks",
            "locks",
            "pipeline_commits",
            "releases",
            "repository_heads",
            "sandbox_changes",
            "sessions",
            "webhook_deliveries",
        ]
    );
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    store
        .record_history("r", "h1", Default::default(), false)
        .await
        .unwrap();
    store.pool().close().await;

    let again = SqliteStore::connect(&url).await.unwrap();
    assert_eq!(
        again.indexed_head("r").await.unwrap().as_deref(),
        Some("h1")
    );
}
