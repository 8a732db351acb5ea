//! The audit log and API tokens: the write side's records.

use app::model::{ApiToken, AuditEntry, AuditQuery};
use sqlx::Row;

use super::{SqliteStore, StoreResult};

/// One write attempt, as it is recorded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewAuditEntry {
    pub actor: String,
    pub via: String,
    pub remote: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub outcome: String,
    pub message: String,
    pub commit: Option<String>,
}

/// The person a token acts for.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenOwner {
    pub user: String,
    pub groups: Vec<String>,
}

#[async_trait::async_trait]
pub trait AccessStore: Send + Sync + 'static {
    async fn record_audit(&self, entry: NewAuditEntry, at: i64) -> StoreResult<i64>;
    /// Newest first, filtered.
    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>>;
    async fn create_token(
        &self,
        user: &str,
        label: &str,
        hash: &str,
        groups: &[String],
        at: i64,
    ) -> StoreResult<i64>;
    /// The owner of a live token with this hash; marks it used.
    async fn token_owner(&self, hash: &str, at: i64) -> StoreResult<Option<TokenOwner>>;
    async fn tokens(&self, user: &str) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of `user`'s tokens; false if there was none.
    async fn revoke_token(&self, user: &str, id: i64, at: i64) -> StoreResult<bool>;
}

const MAX_AUDIT_ROWS: i64 = 500;

#[async_trait::async_trait]
impl AccessStore for SqliteStore {
    async fn record_audit(&self, e: NewAuditEntry, at: i64) -> StoreResult<i64> {
        let row = sqlx::query(
            "INSERT INTO audit_log (at, actor, via, remote, action, target, detail, outcome, message, commit_sha)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(at)
        .bind(&e.actor)
        .bind(&e.via)
        .bind(&e.remote)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.detail)
        .bind(&e.outcome)
        .bind(&e.message)
        .bind(&e.commit)
        .fetch_one(self.pool())
        .await?;
        Ok(row.get(0))
    }

    async fn audit(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        // Empty filters match everything, so one statement serves every query.
        let rows = sqlx::query(
            "SELECT id, at, actor, via, remote, action, target, detail, outcome, message, commit_sha
             FROM audit_log
             WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action = ?2)
               AND (?3 IS NULL OR outcome = ?3) AND (?4 IS NULL OR target LIKE '%' || ?4 || '%')
             ORDER BY id DESC LIMIT ?5",
        )
        .bind(non_empty(&q.actor))
        .bind(non_empty(&q.action))
        .bind(non_empty(&q.outcome))
        .bind(non_empty(&q.target))
        .bind(q.limit.unwrap_or(100).clamp(1, MAX_AUDIT_ROWS))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                id: r.get("id"),
                at: r.get("at"),
                actor: r.get("actor"),
                via: r.get("via"),
                remote: r.get("remote"),
                action: r.get("action"),
                target: r.get("target"),
                detail: r.get("detail"),
                outcome: r.get("outcome"),
                message: r.get("message"),
                commit: r.get("commit_sha"),
            })
            .collect())
    }

    async fn create_token(
        &self,
        user: &str,
        label: &str,
        hash: &str,
        groups: &[String],
        at: i64,
    ) -> StoreResult<i64> {
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_name, label, token_hash, groups, created_at)
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(user)
        .bind(label)
        .bind(hash)
        .bind(groups.join(","))
        .bind(at)
        .fetch_one(self.pool())
        .await?;
        Ok(row.get(0))
    }

    async fn token_owner(&self, hash: &str, at: i64) -> StoreResult<Option<TokenOwner>> {
        let row = sqlx::query(
            "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? AND revoked_at IS NULL
             RETURNING user_name, groups",
        )
        .bind(at)
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| TokenOwner {
            user: r.get("user_name"),
            groups: r
                .get::<String, _>("groups")
                .split(',')
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect(),
        }))
    }

    async fn tokens(&self, user: &str) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, label, created_at, last_used_at FROM api_tokens
             WHERE user_name = ? AND revoked_at IS NULL ORDER BY id DESC",
        )
        .bind(user)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| ApiToken {
                id: r.get("id"),
                label: r.get("label"),
                created_at: r.get("created_at"),
                last_used_at: r.get("last_used_at"),
            })
            .collect())
    }

    async fn revoke_token(&self, user: &str, id: i64, at: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_name = ? AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(user)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}
