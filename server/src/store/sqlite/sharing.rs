//! `SharingStore` for `SqliteStore`.

use app::model::{GlassBreak, Lock};
use sqlx::{sqlite::SqliteRow, Row};

use super::SqliteStore;
use crate::store::{FreezeRow, NewLock, SharingStore, StoreResult};

const LOCK_COLUMNS: &str = "id, environment, service, reason, created_by, created_at, ends_at";
const FREEZE_COLUMNS: &str =
    "id, environment, weekly, starts, ends, time_zone, reason, created_by, created_at";

fn lock_from(row: &SqliteRow) -> Lock {
    Lock {
        id: row.get("id"),
        environment: row.get("environment"),
        service: row.get("service"),
        reason: row.get("reason"),
        by: row.get("created_by"),
        since: row.get("created_at"),
        until: row.get("ends_at"),
    }
}

fn freeze_from(row: &SqliteRow) -> FreezeRow {
    FreezeRow {
        id: row.get("id"),
        environment: row.get("environment"),
        weekly: row.get("weekly"),
        starts: row.get("starts"),
        ends: row.get("ends"),
        time_zone: row.get("time_zone"),
        reason: row.get("reason"),
        by: row.get("created_by"),
        created_at: row.get("created_at"),
    }
}

#[async_trait::async_trait]
impl SharingStore for SqliteStore {
    async fn add_lock(&self, lock: &NewLock) -> StoreResult<i64> {
        let row = sqlx::query(
            "INSERT INTO locks (environment, service, reason, created_by, created_at, ends_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&lock.environment)
        .bind(&lock.service)
        .bind(&lock.reason)
        .bind(&lock.by)
        .bind(lock.at)
        .bind(lock.until)
        .fetch_one(self.pool())
        .await?;
        Ok(row.get("id"))
    }

    async fn lift_lock(&self, id: i64, by: &str, at: i64) -> StoreResult<Option<Lock>> {
        // One statement: two people lifting at once, one of them lifts.
        let row = sqlx::query(&format!(
            "UPDATE locks SET lifted_by = ?, lifted_at = ?
             WHERE id = ? AND lifted_at IS NULL AND (ends_at IS NULL OR ends_at > ?)
             RETURNING {LOCK_COLUMNS}"
        ))
        .bind(by)
        .bind(at)
        .bind(id)
        .bind(at)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(lock_from))
    }

    async fn locks_in_force(&self, now: i64) -> StoreResult<Vec<Lock>> {
        let rows = sqlx::query(&format!(
            "SELECT {LOCK_COLUMNS} FROM locks
             WHERE lifted_at IS NULL AND (ends_at IS NULL OR ends_at > ?)
             ORDER BY created_at, id"
        ))
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(lock_from).collect())
    }

    async fn add_freeze(&self, freeze: &FreezeRow) -> StoreResult<i64> {
        let row = sqlx::query(
            "INSERT INTO freezes (environment, weekly, starts, ends, time_zone, reason, created_by, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&freeze.environment)
        .bind(freeze.weekly)
        .bind(&freeze.starts)
        .bind(&freeze.ends)
        .bind(&freeze.time_zone)
        .bind(&freeze.reason)
        .bind(&freeze.by)
        .bind(freeze.created_at)
        .fetch_one(self.pool())
        .await?;
        Ok(row.get("id"))
    }

    async fn lift_freeze(&self, id: i64, by: &str, at: i64) -> StoreResult<Option<FreezeRow>> {
        let row = sqlx::query(&format!(
            "UPDATE freezes SET lifted_by = ?, lifted_at = ?
             WHERE id = ? AND lifted_at IS NULL RETURNING {FREEZE_COLUMNS}"
        ))
        .bind(by)
        .bind(at)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(freeze_from))
    }

    async fn freezes(&self) -> StoreResult<Vec<FreezeRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {FREEZE_COLUMNS} FROM freezes WHERE lifted_at IS NULL ORDER BY id"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(freeze_from).collect())
    }

    async fn record_glass_break(&self, glass: &GlassBreak) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO glass_breaks (environment, actor, reason, what, held_by, at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&glass.environment)
        .bind(&glass.by)
        .bind(&glass.reason)
        .bind(&glass.what)
        .bind(&glass.held_by)
        .bind(glass.at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn glass_breaks_since(&self, since: i64) -> StoreResult<Vec<GlassBreak>> {
        let rows = sqlx::query(
            "SELECT environment, actor, reason, what, held_by, at FROM glass_breaks
             WHERE at >= ? ORDER BY at DESC, id DESC LIMIT 200",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|row| GlassBreak {
                environment: row.get("environment"),
                by: row.get("actor"),
                reason: row.get("reason"),
                what: row.get("what"),
                held_by: row.get("held_by"),
                at: row.get("at"),
            })
            .collect())
    }
}
