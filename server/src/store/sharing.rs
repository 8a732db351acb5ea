//! Locks, freeze windows and broken glass: `SharingStore`. Every check of
//! a write reads here, so several Berth processes agree on what holds.

use app::model::{Booking, Claim, GlassBreak, Lock, Pause};

use super::StoreResult;

/// A lock about to be placed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLock {
    pub environment: String,
    pub service: Option<String>,
    pub reason: String,
    pub by: String,
    pub at: i64,
    pub until: Option<i64>,
}

/// A freeze window as stored: wall-clock text in its time zone, read by
/// `sharing::rules`.
#[derive(Debug, Clone, PartialEq)]
pub struct FreezeRow {
    pub id: i64,
    pub environment: Option<String>,
    pub weekly: bool,
    pub starts: String,
    pub ends: String,
    pub time_zone: String,
    pub reason: String,
    pub by: String,
    pub created_at: i64,
}

/// A claim about to be made.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClaim {
    pub environment: String,
    pub services: Vec<String>,
    pub purpose: String,
    pub by: String,
    pub at: i64,
    pub until: i64,
}

#[async_trait::async_trait]
pub trait SharingStore: Send + Sync + 'static {
    async fn add_lock(&self, lock: &NewLock) -> StoreResult<i64>;
    /// Lifts a lock still in force; false when there is none with that id.
    async fn lift_lock(&self, id: i64, by: &str, at: i64) -> StoreResult<Option<Lock>>;
    /// Locks not lifted whose end has not passed at `now`.
    async fn locks_in_force(&self, now: i64) -> StoreResult<Vec<Lock>>;
    /// Stores a freeze (`id` is ignored) and returns its id.
    async fn add_freeze(&self, freeze: &FreezeRow) -> StoreResult<i64>;
    async fn lift_freeze(&self, id: i64, by: &str, at: i64) -> StoreResult<Option<FreezeRow>>;
    /// Freezes not lifted (past one-off windows included: the rules know).
    async fn freezes(&self) -> StoreResult<Vec<FreezeRow>>;
    /// Stores the claim unless a claim in force by someone else covers
    /// any of it: then that claim. Checked and stored in one transaction,
    /// so two people claiming at once cannot both get it.
    async fn add_claim(&self, claim: &NewClaim) -> StoreResult<Result<Claim, Claim>>;
    /// Claims not ended whose end has not passed at `now`.
    async fn claims_in_force(&self, now: i64) -> StoreResult<Vec<Claim>>;
    /// Moves the end of a claim in force; None when there is none.
    async fn extend_claim(&self, id: i64, until: i64, now: i64) -> StoreResult<Option<Claim>>;
    async fn end_claim(&self, id: i64, by: &str, at: i64) -> StoreResult<Option<Claim>>;
    /// Pauses a service's automation; false when it already is.
    async fn pause(&self, pause: &Pause) -> StoreResult<bool>;
    /// Resumes it; the pause that ended, None when there was none.
    async fn resume(
        &self,
        environment: &str,
        service: &str,
        by: &str,
        at: i64,
    ) -> StoreResult<Option<Pause>>;
    async fn pauses(&self) -> StoreResult<Vec<Pause>>;
    /// Stores the booking unless one not cancelled shares a day with it on
    /// the same environment: then that one. One transaction.
    async fn add_booking(&self, booking: &Booking) -> StoreResult<Result<Booking, Booking>>;
    /// Bookings not cancelled whose last day is `from` or later.
    async fn bookings_from(&self, from: &str) -> StoreResult<Vec<Booking>>;
    async fn cancel_booking(&self, id: i64, by: &str, at: i64) -> StoreResult<Option<Booking>>;
    /// Queues a notification (a marker row with no release) unless one
    /// with the same sink and key was queued before: every Berth process
    /// sees a freeze start, one message goes out.
    async fn enqueue_notice(&self, notice: &crate::store::NewMarker, at: i64) -> StoreResult<bool>;
    async fn record_glass_break(&self, glass: &GlassBreak) -> StoreResult<()>;
    /// Glass broken at or after `since`, newest first.
    async fn glass_breaks_since(&self, since: i64) -> StoreResult<Vec<GlassBreak>>;
}
