//! The live publisher: one task that remakes the live view when a cluster
//! or git changed, and pushes what differs to open pages.

use std::{
    sync::{atomic::Ordering::SeqCst, Arc},
    time::Duration,
};

use app::model::LiveUpdate;
use tokio::sync::broadcast;

use super::{live::LiveView, views, ReadModel};
use crate::cluster::Live;

/// Updates an open page may fall behind by before it must reload.
pub const BACKLOG: usize = 64;

/// Changes arriving this close together are shown together: a rollout
/// touches a Deployment, a ReplicaSet and Pods within milliseconds.
const GATHER: Duration = Duration::from_millis(10);

/// The least time between two remakes, so a cluster with thousands of
/// Pods changing costs a bounded share of one core.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

impl ReadModel {
    /// Pages that want changes as they happen subscribe here.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveUpdate>> {
        self.updates.subscribe()
    }

    /// Which live state pages now show (see `Freshness::live_version`).
    pub fn live_version(&self) -> u64 {
        self.live_generation.load(SeqCst)
    }

    /// Tells open pages that builds or releases changed.
    pub fn announce_releases(&self) {
        let update = LiveUpdate {
            version: self.live_version(),
            releases: true,
            ..LiveUpdate::default()
        };
        let _ = self.updates.send(Arc::new(update));
    }

    /// Tells open pages that a lock, a freeze or broken glass changed:
    /// they load their data again, as after a commit.
    pub fn announce_holds(&self) {
        let update = LiveUpdate {
            version: self.live_version(),
            git: true,
            ..LiveUpdate::default()
        };
        let _ = self.updates.send(Arc::new(update));
    }

    /// Starts remaking the live view on every change, forever.
    pub fn spawn_live(self: &Arc<Self>, live: Arc<Live>) -> tokio::task::JoinHandle<()> {
        let model = Arc::clone(self);
        tokio::spawn(async move {
            // Refreshes happen every interval; pages reload their data only
            // when a repository's head actually moved.
            let mut heads = model.heads();
            loop {
                tokio::select! {
                    _ = live.changed.notified() => {}
                    _ = model.git_changed.notified() => {}
                }
                tokio::time::sleep(GATHER).await;
                let started = tokio::time::Instant::now();
                let now = model.heads();
                let git_moved = now != heads;
                heads = now;
                model.publish(&live, git_moved);
                tokio::time::sleep_until(started + MIN_INTERVAL).await;
            }
        })
    }

    fn heads(&self) -> Vec<String> {
        self.snapshot()
            .repos
            .iter()
            .map(|r| r.commit.clone())
            .collect()
    }

    /// Remakes the live view now and tells open pages what changed.
    pub fn publish(&self, live: &Live, git_moved: bool) {
        let snapshot = self.snapshot();
        if !snapshot.loaded {
            return;
        }
        let made;
        let overview = match &snapshot.overview {
            Some(overview) => overview,
            None => {
                made = views::overview(&self.config, &snapshot, Default::default());
                &made
            }
        };
        let sandboxes = views::sandbox_commits(&self.config, &snapshot);
        let next = LiveView::build(&self.config, live, overview, &sandboxes, &self.built);
        let mut update = self.live().diff(&next);
        // Only a changed live view is a new version (and empties the page
        // cache); git moving alone already did that through its refresh.
        update.version = if update.is_empty() {
            self.live_version()
        } else {
            *self.live.write().expect("live lock") = Arc::new(next);
            self.live_generation.fetch_add(1, SeqCst) + 1
        };
        update.git = git_moved;
        if update.is_empty() {
            return;
        }
        // No page listening is fine.
        let _ = self.updates.send(Arc::new(update));
    }
}
