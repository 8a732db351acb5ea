//! Whether Berth currently hears from a cluster. Each watch reports in;
//! the cluster is stale from the first failure of any of them until all
//! of them work again, and its last known state stays on the page.

use std::sync::Mutex;

use serde::Serialize;

use crate::clock::unix_now;

/// What a page says about a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClusterState {
    /// Still reading the cluster for the first time.
    Connecting,
    Live,
    /// Not heard from since `since` (unix seconds); `error` says why.
    Stale {
        since: i64,
        error: String,
    },
    /// Berth could not even build a client (a bad kubeconfig).
    Unusable {
        error: String,
    },
}

pub struct Connection {
    slots: Mutex<Slots>,
}

struct Slots {
    listed: Vec<bool>,
    failing: Vec<Option<(i64, String)>>,
    unusable: Option<String>,
}

impl Connection {
    pub fn new(watches: usize) -> Connection {
        Connection {
            slots: Mutex::new(Slots {
                listed: vec![false; watches],
                failing: vec![None; watches],
                unusable: None,
            }),
        }
    }

    /// Returns whether this watch was failing until now.
    pub fn working(&self, slot: usize, listed: bool) -> bool {
        let mut slots = self.lock();
        let healed = slots
            .failing
            .get_mut(slot)
            .and_then(|failing| failing.take())
            .is_some();
        if listed {
            if let Some(done) = slots.listed.get_mut(slot) {
                *done = true;
            }
        }
        healed
    }

    /// Returns whether this is the watch's first failure in a row.
    pub fn failing(&self, slot: usize, error: String) -> bool {
        let mut slots = self.lock();
        let Some(failing) = slots.failing.get_mut(slot) else {
            return false;
        };
        // The first failure dates the outage; later ones refresh the reason.
        let first = failing.is_none();
        let since = failing
            .as_ref()
            .map(|(since, _)| *since)
            .unwrap_or_else(unix_now);
        *failing = Some((since, error));
        first
    }

    pub fn unusable(&self, error: String) {
        self.lock().unusable = Some(error);
    }

    pub fn state(&self) -> ClusterState {
        let slots = self.lock();
        if let Some(error) = &slots.unusable {
            return ClusterState::Unusable {
                error: error.clone(),
            };
        }
        let oldest = slots
            .failing
            .iter()
            .flatten()
            .min_by_key(|(since, _)| *since);
        match oldest {
            Some((since, error)) => ClusterState::Stale {
                since: *since,
                error: error.clone(),
            },
            None if slots.listed.iter().all(|done| *done) => ClusterState::Live,
            None => ClusterState::Connecting,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_is_live_once_every_watch_has_listed_and_stale_from_the_first_failure() {
        let connection = Connection::new(2);
        assert_eq!(connection.state(), ClusterState::Connecting);
        connection.working(0, true);
        assert_eq!(connection.state(), ClusterState::Connecting);
        connection.working(1, true);
        assert_eq!(connection.state(), ClusterState::Live);

        connection.failing(1, "connection refused".into());
        let ClusterState::Stale { since, error } = connection.state() else {
            panic!("expected stale, got {:?}", connection.state());
        };
        assert_eq!(error, "connection refused");
        // A later failure keeps the time the outage began.
        connection.failing(1, "timed out".into());
        assert_eq!(
            connection.state(),
            ClusterState::Stale {
                since,
                error: "timed out".into()
            }
        );
        connection.working(1, false);
        assert_eq!(connection.state(), ClusterState::Live);
    }
}
