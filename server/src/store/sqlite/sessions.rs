//! The SQL of sign-in sessions: `SessionStore` for `SqliteStore`.

use sqlx::Row;

use super::SqliteStore;
use crate::store::{SessionStore, StoreResult};

#[async_trait::async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(
        &self,
        id_hash: &str,
        user: &str,
        at: i64,
        expires: i64,
    ) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(at)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id_hash)
        .bind(user)
        .bind(at)
        .bind(expires)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn session_user(&self, id_hash: &str, at: i64) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "SELECT user_name FROM sessions
             WHERE id_hash = ? AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(id_hash)
        .bind(at)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.get("user_name")))
    }

    async fn end_session(&self, id_hash: &str, at: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(id_hash)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn end_sessions_of(&self, user: &str, at: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = ?
             WHERE user_name = ? AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(at)
        .bind(user)
        .bind(at)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}
