//! The SQL of API tokens: creating, looking up, listing and revoking.
//!
//! Only a token's hash is stored; its groups as one comma-joined column.

use app::model::ApiToken;
use sqlx::{Row, SqlitePool};

use crate::store::{StoreResult, TokenOwner};

pub(super) async fn create(
    pool: &SqlitePool,
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
    .fetch_one(pool)
    .await?;
    Ok(row.get(0))
}

pub(super) async fn owner(
    pool: &SqlitePool,
    hash: &str,
    at: i64,
) -> StoreResult<Option<TokenOwner>> {
    let row = sqlx::query(
        "UPDATE api_tokens SET last_used_at = ?1
         WHERE token_hash = ?2 AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > ?1)
         RETURNING user_name, groups, expires_at",
    )
    .bind(at)
    .bind(hash)
    .fetch_optional(pool)
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

pub(super) async fn live_of(pool: &SqlitePool, user: &str, at: i64) -> StoreResult<Vec<ApiToken>> {
    let rows = sqlx::query(
        "SELECT id, label, created_at, last_used_at, expires_at FROM api_tokens
         WHERE user_name = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
         ORDER BY id DESC",
    )
    .bind(user)
    .bind(at)
    .fetch_all(pool)
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

pub(super) async fn revoke(pool: &SqlitePool, user: &str, id: i64, at: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_name = ? AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .bind(user)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
