//! Sharing environments: locks and freeze windows that stop every writer,
//! and the broken glass that let a write through anyway, as pages and the
//! JSON API show them.

use serde::{Deserialize, Serialize};

/// A lock on an environment (all of it, or one service): every write
/// there is refused with its reason until it is lifted or its end passes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    pub id: i64,
    pub environment: String,
    /// None: the whole environment.
    pub service: Option<String>,
    pub reason: String,
    pub by: String,
    pub since: i64,
    /// None: until someone lifts it.
    pub until: Option<i64>,
}

/// A freeze window: one-off or weekly, in a time zone's wall-clock time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Freeze {
    pub id: i64,
    /// None: every environment.
    pub environment: Option<String>,
    pub weekly: bool,
    /// `Fri 18:00` (weekly) or `2026-12-24 18:00` (one-off).
    pub starts: String,
    pub ends: String,
    pub time_zone: String,
    pub reason: String,
    pub by: String,
    pub created_at: i64,
    /// How the window reads: "Fri 18:00 – Mon 09:00 (Europe/Berlin)".
    pub window: String,
    /// The window in force now, as unix seconds [start, end).
    pub active: Option<(i64, i64)>,
    /// The next window to start.
    pub next: Option<(i64, i64)>,
}

/// A person's claim on Dev (all of it, or some services) for a purpose:
/// anyone else changing what it covers is asked to confirm first, and the
/// override is recorded. It ends by hand or when its time is up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub id: i64,
    pub environment: String,
    /// Empty: the whole environment.
    pub services: Vec<String>,
    pub purpose: String,
    pub by: String,
    pub since: i64,
    pub until: i64,
}

impl Claim {
    /// Whether a change to `services` (none: the whole environment)
    /// touches what this claim covers.
    pub fn covers(&self, services: &[String]) -> bool {
        self.services.is_empty()
            || services.is_empty()
            || services.iter().any(|s| self.services.contains(s))
    }

    /// "all of Dev" or "app-a, app-b".
    pub fn scope(&self) -> String {
        if self.services.is_empty() {
            format!("all of {}", self.environment)
        } else {
            self.services.join(", ")
        }
    }
}

/// Automation of one service in an environment paused (after a
/// rollback): newer green builds are listed but not deployed until
/// someone resumes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub environment: String,
    pub service: String,
    pub reason: String,
    pub by: String,
    pub since: i64,
}

/// A project's booking of a Stg environment for a range of days (both
/// inclusive, in the configured time zone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    pub id: i64,
    pub environment: String,
    pub project: String,
    /// The project's services and their branches.
    pub pairs: Vec<(String, String)>,
    /// `2026-12-07`.
    pub first_day: String,
    pub last_day: String,
    pub by: String,
    pub at: i64,
    /// The project's services at their default branches: what ending the
    /// booking offers to reset them to.
    #[serde(default)]
    pub defaults: Vec<(String, String)>,
}

/// A booking asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingForm {
    pub environment: String,
    pub project: String,
    /// `service=branch` pairs.
    pub pairs: Vec<(String, String)>,
    pub first_day: String,
    pub last_day: String,
}

/// A write an admin let through a lock or a freeze.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlassBreak {
    pub environment: String,
    pub by: String,
    pub reason: String,
    /// The write it let through, e.g. "promote api → feature-x".
    pub what: String,
    /// The lock or freeze it went around, as the refusal said it.
    pub held_by: String,
    pub at: i64,
}

/// Everything that holds one environment now, for its lane and pages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentHolds {
    pub environment: String,
    pub locks: Vec<Lock>,
    /// Freezes in force now.
    pub frozen: Vec<Freeze>,
    /// The next freeze to start, within a week.
    pub next_freeze: Option<Freeze>,
    /// Glass broken in the last 24 hours, newest first.
    pub glass_breaks: Vec<GlassBreak>,
    /// Claims in force.
    #[serde(default)]
    pub claims: Vec<Claim>,
    /// Services whose automation is paused.
    #[serde(default)]
    pub paused: Vec<Pause>,
    /// The booking of today, and the next one.
    #[serde(default)]
    pub booked: Option<Booking>,
    #[serde(default)]
    pub next_booking: Option<Booking>,
}

impl EnvironmentHolds {
    /// An environment nothing holds.
    pub fn free(environment: &str) -> EnvironmentHolds {
        EnvironmentHolds {
            environment: environment.into(),
            ..Default::default()
        }
    }

    /// Whether writes here are refused now (for the whole environment or
    /// some of its services).
    pub fn held(&self) -> bool {
        !self.locks.is_empty() || !self.frozen.is_empty()
    }

    /// A lock on the whole environment, or a freeze: nothing may change.
    pub fn whole(&self) -> bool {
        !self.frozen.is_empty() || self.locks.iter().any(|l| l.service.is_none())
    }

    /// What holds one service's cell, in a few words; None: nothing.
    pub fn cell_words(&self, service: &str) -> Option<String> {
        if let Some(freeze) = self.frozen.first() {
            return Some(format!("frozen: {}", freeze.reason));
        }
        if let Some(lock) = self.locks_of(service).next() {
            return Some(format!("locked by {}: {}", lock.by, lock.reason));
        }
        self.claims_of(service, None)
            .next()
            .map(|claim| format!("claimed by {}: {}", claim.by, claim.purpose))
    }

    /// The claims covering `service` (any service when None), held by
    /// someone other than `not_by` when given.
    pub fn claims_of<'a>(
        &'a self,
        service: &'a str,
        not_by: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Claim> + 'a {
        self.claims.iter().filter(move |c| {
            c.covers(&[service.to_string()]) && not_by.is_none_or(|who| c.by != who)
        })
    }

    /// The locks that hold `service` (its own, or the environment's).
    pub fn locks_of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a Lock> + 'a {
        self.locks
            .iter()
            .filter(move |l| l.service.as_deref().is_none_or(|s| s == service))
    }
}

/// The sharing page: every environment's holds, and every freeze window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SharingBoard {
    pub environments: Vec<EnvironmentHolds>,
    pub freezes: Vec<Freeze>,
    /// The time zone new freezes are written in unless another is named.
    pub time_zone: String,
    pub now: i64,
    /// The environments people claim (Dev).
    #[serde(default)]
    pub claimable: Vec<String>,
    /// The environments projects book (Stg).
    #[serde(default)]
    pub bookable: Vec<String>,
    /// Bookings not over yet, soonest first.
    #[serde(default)]
    pub bookings: Vec<Booking>,
    /// Today in the configured time zone (`2026-12-01`).
    #[serde(default)]
    pub today: String,
    /// The calendar's days, today first (four weeks).
    #[serde(default)]
    pub days: Vec<String>,
}

impl SharingBoard {
    pub fn holds(&self, environment: &str) -> Option<&EnvironmentHolds> {
        self.environments
            .iter()
            .find(|h| h.environment == environment)
    }
}

/// A claim asked for: Dev (all, or some services) for a purpose.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimForm {
    pub environment: String,
    /// Empty or absent: the whole environment.
    #[serde(default)]
    pub services: Vec<String>,
    pub purpose: String,
    /// How long, 2 hours when absent.
    #[serde(default)]
    pub hours: Option<u32>,
}

/// What a person says to write through what holds an environment: an
/// admin's reason to break the glass, or a confirmation to override
/// someone's claim.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    #[serde(default)]
    pub break_glass: Option<String>,
    #[serde(default)]
    pub override_claims: bool,
}

/// A lock asked for, from the form or the JSON API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockForm {
    pub environment: String,
    /// One service of the environment; the whole environment when absent.
    #[serde(default)]
    pub service: Option<String>,
    pub reason: String,
    /// Lifted by itself after this many hours; by hand when absent or 0.
    #[serde(default)]
    pub hours: Option<u32>,
}

/// A freeze window asked for: weekly `Fri 18:00` to `Mon 09:00`, or
/// one-off `2026-12-24 18:00` to `2026-12-27 09:00`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeForm {
    /// One environment; every environment when absent.
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub weekly: bool,
    pub starts: String,
    pub ends: String,
    /// The configured time zone when absent.
    #[serde(default)]
    pub time_zone: Option<String>,
    pub reason: String,
}
