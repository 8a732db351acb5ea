//! `SharingStore` for `SqliteStore`.

use app::model::{Booking, Claim, GlassBreak, Lock, Pause};
use sqlx::{sqlite::SqliteRow, Row};

use super::SqliteStore;
use crate::{
    gitops::files::parse_day,
    sharing::rules::dates_overlap,
    store::{FreezeRow, NewClaim, NewLock, SharingStore, StoreResult},
};

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

const CLAIM_COLUMNS: &str = "id, environment, services, purpose, claimed_by, claimed_at, ends_at";

fn claim_from(row: &SqliteRow) -> Claim {
    let services: String = row.get("services");
    Claim {
        id: row.get("id"),
        environment: row.get("environment"),
        services: services
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        purpose: row.get("purpose"),
        by: row.get("claimed_by"),
        since: row.get("claimed_at"),
        until: row.get("ends_at"),
    }
}

fn pause_from(row: &SqliteRow) -> Pause {
    Pause {
        environment: row.get("environment"),
        service: row.get("service"),
        reason: row.get("reason"),
        by: row.get("paused_by"),
        since: row.get("paused_at"),
    }
}

const BOOKING_COLUMNS: &str =
    "id, environment, project, pairs, first_day, last_day, booked_by, booked_at";

fn booking_from(row: &SqliteRow) -> Booking {
    let pairs: String = row.get("pairs");
    Booking {
        id: row.get("id"),
        environment: row.get("environment"),
        project: row.get("project"),
        pairs: pairs
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(s, b)| (s.to_string(), b.to_string()))
            .collect(),
        first_day: row.get("first_day"),
        last_day: row.get("last_day"),
        by: row.get("booked_by"),
        at: row.get("booked_at"),
        defaults: Vec::new(),
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

    async fn add_claim(&self, claim: &NewClaim) -> StoreResult<Result<Claim, Claim>> {
        // BEGIN IMMEDIATE takes the write lock first: a second claim at the
        // same moment waits, then sees the first.
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let open = sqlx::query(&format!(
            "SELECT {CLAIM_COLUMNS} FROM claims
             WHERE environment = ? AND ended_at IS NULL AND ends_at > ?"
        ))
        .bind(&claim.environment)
        .bind(claim.at)
        .fetch_all(&mut *tx)
        .await?;
        if let Some(taken) = open
            .iter()
            .map(claim_from)
            .find(|c| c.by != claim.by && c.covers(&claim.services))
        {
            return Ok(Err(taken));
        }
        let row = sqlx::query(&format!(
            "INSERT INTO claims (environment, services, purpose, claimed_by, claimed_at, ends_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING {CLAIM_COLUMNS}"
        ))
        .bind(&claim.environment)
        .bind(claim.services.join(","))
        .bind(&claim.purpose)
        .bind(&claim.by)
        .bind(claim.at)
        .bind(claim.until)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(claim_from(&row)))
    }

    async fn claims_in_force(&self, now: i64) -> StoreResult<Vec<Claim>> {
        let rows = sqlx::query(&format!(
            "SELECT {CLAIM_COLUMNS} FROM claims
             WHERE ended_at IS NULL AND ends_at > ? ORDER BY claimed_at, id"
        ))
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(claim_from).collect())
    }

    async fn extend_claim(&self, id: i64, until: i64, now: i64) -> StoreResult<Option<Claim>> {
        let row = sqlx::query(&format!(
            "UPDATE claims SET ends_at = ?
             WHERE id = ? AND ended_at IS NULL AND ends_at > ? RETURNING {CLAIM_COLUMNS}"
        ))
        .bind(until)
        .bind(id)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(claim_from))
    }

    async fn end_claim(&self, id: i64, by: &str, at: i64) -> StoreResult<Option<Claim>> {
        let row = sqlx::query(&format!(
            "UPDATE claims SET ended_by = ?, ended_at = ?
             WHERE id = ? AND ended_at IS NULL AND ends_at > ? RETURNING {CLAIM_COLUMNS}"
        ))
        .bind(by)
        .bind(at)
        .bind(id)
        .bind(at)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(claim_from))
    }

    async fn pause(&self, pause: &Pause) -> StoreResult<bool> {
        // The unique index on open pauses: a second pause is no new row.
        let done = sqlx::query(
            "INSERT INTO automation_pauses (environment, service, reason, paused_by, paused_at)
             VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&pause.environment)
        .bind(&pause.service)
        .bind(&pause.reason)
        .bind(&pause.by)
        .bind(pause.since)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn resume(
        &self,
        environment: &str,
        service: &str,
        by: &str,
        at: i64,
    ) -> StoreResult<Option<Pause>> {
        let row = sqlx::query(
            "UPDATE automation_pauses SET resumed_by = ?, resumed_at = ?
             WHERE environment = ? AND service = ? AND resumed_at IS NULL
             RETURNING environment, service, reason, paused_by, paused_at",
        )
        .bind(by)
        .bind(at)
        .bind(environment)
        .bind(service)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(pause_from))
    }

    async fn pauses(&self) -> StoreResult<Vec<Pause>> {
        let rows = sqlx::query(
            "SELECT environment, service, reason, paused_by, paused_at FROM automation_pauses
             WHERE resumed_at IS NULL ORDER BY paused_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(pause_from).collect())
    }

    async fn add_booking(&self, booking: &Booking) -> StoreResult<Result<Booking, Booking>> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        // Days are `YYYY-MM-DD`, so text order is day order.
        let open = sqlx::query(&format!(
            "SELECT {BOOKING_COLUMNS} FROM bookings
             WHERE environment = ? AND cancelled_at IS NULL AND last_day >= ?
             ORDER BY first_day"
        ))
        .bind(&booking.environment)
        .bind(&booking.first_day)
        .fetch_all(&mut *tx)
        .await?;
        let days = |b: &Booking| Some((parse_day(&b.first_day)?, parse_day(&b.last_day)?));
        if let Some(wanted) = days(booking) {
            if let Some(taken) = open
                .iter()
                .map(booking_from)
                .find(|b| days(b).is_some_and(|held| dates_overlap(wanted, held)))
            {
                return Ok(Err(taken));
            }
        }
        let pairs: String = booking
            .pairs
            .iter()
            .map(|(s, b)| format!("{s}={b}\n"))
            .collect();
        let row = sqlx::query(&format!(
            "INSERT INTO bookings (environment, project, pairs, first_day, last_day, booked_by, booked_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {BOOKING_COLUMNS}"
        ))
        .bind(&booking.environment)
        .bind(&booking.project)
        .bind(pairs)
        .bind(&booking.first_day)
        .bind(&booking.last_day)
        .bind(&booking.by)
        .bind(booking.at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(booking_from(&row)))
    }

    async fn bookings_from(&self, from: &str) -> StoreResult<Vec<Booking>> {
        let rows = sqlx::query(&format!(
            "SELECT {BOOKING_COLUMNS} FROM bookings
             WHERE cancelled_at IS NULL AND last_day >= ? ORDER BY first_day, id LIMIT 500"
        ))
        .bind(from)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(booking_from).collect())
    }

    async fn cancel_booking(&self, id: i64, by: &str, at: i64) -> StoreResult<Option<Booking>> {
        let row = sqlx::query(&format!(
            "UPDATE bookings SET cancelled_by = ?, cancelled_at = ?
             WHERE id = ? AND cancelled_at IS NULL RETURNING {BOOKING_COLUMNS}"
        ))
        .bind(by)
        .bind(at)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(booking_from))
    }

    async fn enqueue_notice(&self, notice: &crate::store::NewMarker, at: i64) -> StoreResult<bool> {
        // One statement: two processes queueing the same notice, one row.
        let done = sqlx::query(
            "INSERT INTO deploy_markers (release_id, sink, service, image_tag, payload, state, next_at, created_at)
             SELECT 0, ?, ?, ?, ?, 'pending', ?, ?
             WHERE NOT EXISTS (SELECT 1 FROM deploy_markers WHERE release_id = 0 AND sink = ? AND image_tag = ?)",
        )
        .bind(&notice.sink)
        .bind(&notice.service)
        .bind(&notice.image_tag)
        .bind(&notice.payload)
        .bind(at)
        .bind(at)
        .bind(&notice.sink)
        .bind(&notice.image_tag)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
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
