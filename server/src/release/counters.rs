//! How webhook deliveries ended, counted since start: refusals are not
//! written anywhere else (a stranger's flood must not fill the database),
//! so these and the log are how they are seen.

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicU64, Ordering},
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
    not_configured: AtomicU64,
    unknown_repository: AtomicU64,
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
            "not_configured" => &self.not_configured,
            "unknown_repository" => &self.unknown_repository,
            _ => &self.malformed_body,
        }
    }

    pub fn snapshot(&self) -> CountersOut {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let refused = [
            ("missing_signature", &self.missing_signature),
            ("malformed_signature", &self.malformed_signature),
            ("bad_signature", &self.bad_signature),
            ("malformed_body", &self.malformed_body),
            ("too_large", &self.too_large),
            ("not_configured", &self.not_configured),
            ("unknown_repository", &self.unknown_repository),
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
