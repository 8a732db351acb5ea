//! The SQL of the audit log: recording, finishing and reading rows.

use app::model::{AuditEntry, AuditQuery};
use sqlx::{Row, SqlitePool};

use crate::store::{audit::AuditOutcome, NewAuditEntry, StoreResult};

pub(super) async fn record(pool: &SqlitePool, e: NewAuditEntry, at: i64) -> StoreResult<i64> {
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
    .fetch_one(pool)
    .await?;
    Ok(row.get(0))
}

pub(super) async fn finish(
    pool: &SqlitePool,
    id: i64,
    outcome: &str,
    message: &str,
    commit: Option<&str>,
) -> StoreResult<()> {
    let done = AuditOutcome::bounded(outcome, message, commit);
    sqlx::query("UPDATE audit_log SET outcome = ?, message = ?, commit_sha = ? WHERE id = ?")
        .bind(&done.outcome)
        .bind(&done.message)
        .bind(&done.commit)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn page(pool: &SqlitePool, q: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
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
    .fetch_all(pool)
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

/// A filter's value, or none when it is blank.
fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}
