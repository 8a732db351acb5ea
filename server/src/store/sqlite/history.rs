//! The SQL of the history index: `Store` for `SqliteStore`.

use std::collections::HashMap;

use app::model::CommitSummary;
use sqlx::{sqlite::SqliteRow, Row};

use super::SqliteStore;
use crate::store::{EnvironmentChange, HistoryBatch, SandboxAction, Store, StoreResult};

const CHANGE_COLUMNS: &str = "c.sha, c.author_name, c.author_email, c.committed_at, c.subject";

fn change_from(row: &SqliteRow) -> CommitSummary {
    CommitSummary {
        commit: row.get("sha"),
        author: row.get("author_name"),
        email: row.get("author_email"),
        at: row.get("committed_at"),
        subject: row.get("subject"),
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn indexed_head(&self, repository: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT head FROM repository_heads WHERE repository = ?")
            .bind(repository)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.get("head")))
    }

    async fn record_history(
        &self,
        repository: &str,
        head: &str,
        batch: HistoryBatch,
        replace: bool,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        if replace {
            for table in ["commits", "environment_changes", "sandbox_changes"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE repository = ?"))
                    .bind(repository)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for c in &batch.commits {
            sqlx::query(
                "INSERT OR IGNORE INTO commits (repository, sha, author_name, author_email, committed_at, subject)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(repository)
            .bind(&c.sha)
            .bind(&c.author_name)
            .bind(&c.author_email)
            .bind(c.at)
            .bind(&c.subject)
            .execute(&mut *tx)
            .await?;
        }
        for e in &batch.environment_changes {
            sqlx::query(
                "INSERT INTO environment_changes (repository, file, service, from_branch, to_branch, sha)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(repository)
            .bind(&e.file)
            .bind(&e.service)
            .bind(&e.from)
            .bind(&e.to)
            .bind(&e.sha)
            .execute(&mut *tx)
            .await?;
        }
        for s in &batch.sandbox_changes {
            sqlx::query(
                "INSERT INTO sandbox_changes (repository, file, action, sha) VALUES (?, ?, ?, ?)",
            )
            .bind(repository)
            .bind(&s.file)
            .bind(s.action.as_str())
            .bind(&s.sha)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO repository_heads (repository, head, indexed_at) VALUES (?, ?, strftime('%s','now'))
             ON CONFLICT (repository) DO UPDATE SET head = excluded.head, indexed_at = excluded.indexed_at",
        )
        .bind(repository)
        .bind(head)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn latest_environment_changes(
        &self,
        repository: &str,
        file: &str,
    ) -> StoreResult<HashMap<String, CommitSummary>> {
        let rows = sqlx::query(&format!(
            "SELECT e.service, {CHANGE_COLUMNS} FROM environment_changes e
             JOIN commits c ON c.repository = e.repository AND c.sha = e.sha
             WHERE e.id IN (SELECT MAX(id) FROM environment_changes
                            WHERE repository = ? AND file = ? GROUP BY service)"
        ))
        .bind(repository)
        .bind(file)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("service"), change_from(r)))
            .collect())
    }

    async fn environment_history(
        &self,
        repository: &str,
        file: &str,
        limit: i64,
    ) -> StoreResult<Vec<(EnvironmentChange, CommitSummary)>> {
        let rows = sqlx::query(&format!(
            "SELECT e.file, e.service, e.from_branch, e.to_branch, {CHANGE_COLUMNS} FROM environment_changes e
             JOIN commits c ON c.repository = e.repository AND c.sha = e.sha
             WHERE e.repository = ? AND e.file = ? ORDER BY e.id DESC LIMIT ?"
        ))
        .bind(repository)
        .bind(file)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let change = EnvironmentChange {
                    file: r.get("file"),
                    service: r.get("service"),
                    from: r.get("from_branch"),
                    to: r.get("to_branch"),
                    sha: r.get("sha"),
                };
                (change, change_from(r))
            })
            .collect())
    }

    async fn sandbox_creations(
        &self,
        repository: &str,
        dir: &str,
    ) -> StoreResult<HashMap<String, CommitSummary>> {
        let rows = sqlx::query(&format!(
            "SELECT s.file, {CHANGE_COLUMNS} FROM sandbox_changes s
             JOIN commits c ON c.repository = s.repository AND c.sha = s.sha
             WHERE s.id IN (SELECT MAX(id) FROM sandbox_changes
                            WHERE repository = ? AND action = 'created' AND file LIKE ? GROUP BY file)"
        ))
        .bind(repository)
        .bind(format!("{}/%", dir.trim_end_matches('/')))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("file"), change_from(r)))
            .collect())
    }

    async fn sandbox_history(
        &self,
        repository: &str,
        file: &str,
    ) -> StoreResult<Vec<(SandboxAction, CommitSummary)>> {
        let rows = sqlx::query(&format!(
            "SELECT s.action, {CHANGE_COLUMNS} FROM sandbox_changes s
             JOIN commits c ON c.repository = s.repository AND c.sha = s.sha
             WHERE s.repository = ? AND s.file = ? ORDER BY s.id DESC"
        ))
        .bind(repository)
        .bind(file)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let action = SandboxAction::parse(r.get::<&str, _>("action"));
                (action, change_from(r))
            })
            .collect())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }
}
