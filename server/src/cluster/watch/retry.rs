//! How a failing watch waits before it tries again, and what tells that
//! it works again. A watch that resumes where it stopped says nothing
//! until something changes, so a small list (a probe) tells when the
//! cluster answers; but a cluster that answers lists may still refuse or
//! cut watches (RBAC with `list` but not `watch`, a proxy), so only the
//! watch itself, retried, may say it works.

use std::{fmt::Debug, time::Duration};

use kube::{
    api::ListParams,
    runtime::{utils::Backoff, watcher::DefaultBackoff},
    Api,
};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

/// How often a failing watch checks whether its cluster answers again.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// How long a watch retried right after a probe answered must run without
/// failing to count as working: the server has just answered, so a
/// refused watch fails well within this.
pub const TRIAL: Duration = Duration::from_secs(2);

pub struct Retry<K> {
    /// 0.8 s doubling to 30 s, as kube-runtime's own.
    backoff: DefaultBackoff,
    probe: Api<K>,
    /// Set when a watch on trial failed anyway: the cluster answers, its
    /// watch does not. Probing every few seconds would then only retry a
    /// refused watch that often, so the wait runs its full backoff.
    patient: bool,
}

impl<K: Clone + DeserializeOwned + Debug> Retry<K> {
    pub fn new(probe: Api<K>) -> Retry<K> {
        Retry {
            backoff: DefaultBackoff::default(),
            probe,
            patient: false,
        }
    }

    /// The watch works: the next failure starts from the shortest wait.
    pub fn worked(&mut self) {
        self.backoff.reset();
        self.patient = false;
    }

    /// A watch retried because the cluster answered failed anyway.
    pub fn refused(&mut self) {
        self.patient = true;
    }

    /// Waits before the watch tries again: the backoff, cut short when a
    /// probe answers. Returns whether the cluster answered a probe just
    /// before the retry, which puts the retried watch on trial.
    pub async fn wait(&mut self) -> bool {
        let delay = self.backoff.next().unwrap_or(Duration::from_secs(30));
        let deadline = Instant::now() + delay;
        let every = if self.patient { delay } else { PROBE_EVERY };
        loop {
            tokio::time::sleep_until(deadline.min(Instant::now() + every)).await;
            let one = ListParams::default().limit(1);
            if self.probe.list(&one).await.is_ok() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
        }
    }
}
