//! The audit log and API tokens: the write side's records.

use app::model::{ApiToken, AuditEntry, AuditQuery};
use sqlx::Row;

use super::{SessionStore, SqliteStore, StoreResult};

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

/// How much of each field a row keeps: enough to read what was tried,
/// never what a hostile request sent (a 1 MB name once made a 2.4 MB row).
const ACTOR_CHARS: usize = 100;
const VIA_CHARS: usize = 20;
const REMOTE_CHARS: usize = 64;
const ACTION_CHARS: usize = 200;
const TARGET_CHARS: usize = 300;
const DETAIL_CHARS: usize = 500;
const OUTCOME_CHARS: usize = 20;
const MESSAGE_CHARS: usize = 600;
const COMMIT_CHARS: usize = 64;

impl NewAuditEntry {
    /// The entry as it is stored: every field cut to its bound, marked `…`.
    pub fn bounded(self) -> NewAuditEntry {
        NewAuditEntry {
            actor: cut(&self.actor, ACTOR_CHARS),
            via: cut(&self.via, VIA_CHARS),
            remote: self.remote.map(|r| cut(&r, REMOTE_CHARS)),
            action: cut(&self.action, ACTION_CHARS),
            target: cut(&self.target, TARGET_CHARS),
            detail: cut(&self.detail, DETAIL_CHARS),
            outcome: cut(&self.outcome, OUTCOME_CHARS),
            message: cut(&self.message, MESSAGE_CHARS),
            commit: self.commit.map(|c| cut(&c, COMMIT_CHARS)),
        }
    }
}

/// `text` up to `max` characters; a longer one ends in `…` within them.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some(_) => {
            let end = text
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(0, |(i, _)| i);
            format!("{}…", &text[..end])
        }
    }
}

/// The person a token acts for.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenOwner {
    pub user: String,
    pub expires_at: Option<i64>,
    pub groups: Vec<String>,
}

#[async_trait::async_trait]
pub trait AccessStore: SessionStore + Send + Sync + 'static {
    /// Stores a row, every field bounded first (`NewAuditEntry::bounded`).
    async fn record_audit(&self, entry: NewAuditEntry, at: i64) -> StoreResult<i64>;
    /// Gives a row recorded as `accepted` the outcome of its write.
    async fn finish_audit(
        &self,
        id: i64,
        outcome: &str,
        message: &str,
        commit: Option<&str>,
    ) -> StoreResult<()>;
    /// Newest first, filtered, older than `query.before`: a page of
    /// `query.page_size()` rows plus the next row when there is one, so
    /// callers can tell whether an older page exists (`AuditLogPage::new`).
    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>>;
    async fn create_token(
        &self,
        user: &str,
        label: &str,
        hash: &str,
        groups: &[String],
        at: i64,
        expires: i64,
    ) -> StoreResult<i64>;
    /// The owner of a live (unrevoked, unexpired) token with this hash;
    /// marks it used.
    async fn token_owner(&self, hash: &str, at: i64) -> StoreResult<Option<TokenOwner>>;
    /// `user`'s live tokens, newest first.
    async fn tokens(&self, user: &str, at: i64) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of `user`'s tokens; false if there was none.
    async fn revoke_token(&self, user: &str, id: i64, at: i64) -> StoreResult<bool>;
}

#[async_trait::async_trait]
impl AccessStore for SqliteStore {
    async fn record_audit(&self, e: NewAuditEntry, at: i64) -> StoreResult<i64> {
        let e = e.bounded();
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

    async fn finish_audit(
        &self,
        id: i64,
        outcome: &str,
        message: &str,
        commit: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE audit_log SET outcome = ?, message = ?, commit_sha = ? WHERE id = ?")
            .bind(cut(outcome, OUTCOME_CHARS))
            .bind(cut(message, MESSAGE_CHARS))
            .bind(commit.map(|c| cut(c, COMMIT_CHARS)))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn audit(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        // Empty filters match everything, so one statement serves every
        // query; ids only grow, so `id < before` is a stable cursor.
        let rows = sqlx::query(
            "SELECT id, at, actor, via, remote, action, target, detail, outcome, message, commit_sha
             FROM audit_log
             WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action = ?2)
               AND (?3 IS NULL OR outcome = ?3) AND (?4 IS NULL OR target LIKE '%' || ?4 || '%')
               AND (?5 IS NULL OR id < ?5)
             ORDER BY id DESC LIMIT ?6",
        )
        .bind(non_empty(&q.actor))
        .bind(non_empty(&q.action))
        .bind(non_empty(&q.outcome))
        .bind(non_empty(&q.target))
        .bind(q.before)
        .bind(q.page_size() + 1)
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
        expires: i64,
    ) -> StoreResult<i64> {
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_name, label, token_hash, groups, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(user)
        .bind(label)
        .bind(hash)
        .bind(groups.join(","))
        .bind(at)
        .bind(expires)
        .fetch_one(self.pool())
        .await?;
        Ok(row.get(0))
    }

    async fn token_owner(&self, hash: &str, at: i64) -> StoreResult<Option<TokenOwner>> {
        let row = sqlx::query(
            "UPDATE api_tokens SET last_used_at = ?1
             WHERE token_hash = ?2 AND revoked_at IS NULL
               AND (expires_at IS NULL OR expires_at > ?1)
             RETURNING user_name, groups, expires_at",
        )
        .bind(at)
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| TokenOwner {
            user: r.get("user_name"),
            expires_at: r.get("expires_at"),
            groups: r
                .get::<String, _>("groups")
                .split(',')
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect(),
        }))
    }

    async fn tokens(&self, user: &str, at: i64) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, label, created_at, last_used_at, expires_at FROM api_tokens
             WHERE user_name = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
             ORDER BY id DESC",
        )
        .bind(user)
        .bind(at)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| ApiToken {
                id: r.get("id"),
                label: r.get("label"),
                created_at: r.get("created_at"),
                last_used_at: r.get("last_used_at"),
                expires_at: r.get("expires_at"),
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
