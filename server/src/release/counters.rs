//! How webhook deliveries ended, counted since start: refusals are not
//! written anywhere else (a stranger's flood must not fill the database),
//! so these and the log are how they are seen.

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicI64, AtomicU64, Ordering},
};

use serde::Serialize;

#[derive(Default)]
pub struct HookCounters {
    accepted: AtomicU64,
    duplicate: AtomicU64,
    ignored: AtomicU64,
    /// Berth could not take it (its database failed): GitHub may redeliver.
    failed: AtomicU64,
    missing_signature: AtomicU64,
    malformed_signature: AtomicU64,
    bad_signature: AtomicU64,
    malformed_body: AtomicU64,
    too_large: AtomicU64,
    /// Too many bodies were being read at once.
    busy: AtomicU64,
    not_configured: AtomicU64,
    unknown_repository: AtomicU64,
    /// A build's tag already names another commit.
    conflict: AtomicU64,
    /// The second the last refusal was logged in, and how many were not
    /// logged since: a stranger's flood must not fill the log either.
    logged_at: AtomicI64,
    unlogged: AtomicU64,
}

#[derive(Serialize)]
pub struct CountersOut {
    pub accepted: u64,
    pub duplicate: u64,
    pub ignored: u64,
    pub failed: u64,
    pub refused: BTreeMap<&'static str, u64>,
}

impl HookCounters {
    /// Counts one delivery under `kind`; unknown kinds are a bug, counted
    /// as malformed rather than lost.
    pub fn count(&self, kind: &str) {
        self.slot(kind).fetch_add(1, Ordering::Relaxed);
    }

    fn slot(&self, kind: &str) -> &AtomicU64 {
        match kind {
            "accepted" => &self.accepted,
            "duplicate" => &self.duplicate,
            "ignored" => &self.ignored,
            "failed" => &self.failed,
            "missing_signature" => &self.missing_signature,
            "malformed_signature" => &self.malformed_signature,
            "bad_signature" => &self.bad_signature,
            "too_large" => &self.too_large,
            "busy" => &self.busy,
            "not_configured" => &self.not_configured,
            "unknown_repository" => &self.unknown_repository,
            "conflict" => &self.conflict,
            _ => &self.malformed_body,
        }
    }

    /// Whether a refusal at `now` (unix seconds) is logged: at most one a
    /// second; with it, how many were left out before it.
    pub fn log_refusal(&self, now: i64) -> Option<u64> {
        let last = self.logged_at.load(Ordering::Relaxed);
        if last >= now
            || self
                .logged_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            self.unlogged.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(self.unlogged.swap(0, Ordering::Relaxed))
    }

    pub fn snapshot(&self) -> CountersOut {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let refused = [
            ("missing_signature", &self.missing_signature),
            ("malformed_signature", &self.malformed_signature),
            ("bad_signature", &self.bad_signature),
            ("malformed_body", &self.malformed_body),
            ("too_large", &self.too_large),
            ("busy", &self.busy),
            ("not_configured", &self.not_configured),
            ("unknown_repository", &self.unknown_repository),
            ("conflict", &self.conflict),
        ]
        .into_iter()
        .map(|(k, c)| (k, get(c)))
        .collect();
        CountersOut {
            accepted: get(&self.accepted),
            duplicate: get(&self.duplicate),
            ignored: get(&self.ignored),
            failed: get(&self.failed),
            refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_logged_at_most_once_a_second() {
        let counters = HookCounters::default();
        assert_eq!(counters.log_refusal(100), Some(0));
        assert_eq!(counters.log_refusal(100), None);
        assert_eq!(counters.log_refusal(100), None);
        assert_eq!(counters.log_refusal(101), Some(2));
        assert_eq!(counters.log_refusal(101), None);
    }
}
