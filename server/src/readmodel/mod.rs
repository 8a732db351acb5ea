//! The read model: the last good snapshot of every GitOps repository,
//! refreshed on an interval and on demand.

mod built;
mod holds;
pub(crate) mod live;
mod publish;
mod snapshot;
mod template;
mod views;

use std::{
    sync::{Arc, RwLock},
    time::Duration,
};

use app::{error::BerthError, model::*, ports::Dashboard};

use crate::{
    clock::unix_now,
    config::{Config, EnvironmentConfig},
    store::Store,
};
pub use built::BuiltBranches;
pub use holds::HoldBoard;
pub use live::{cluster_status, LiveView};
pub use snapshot::{RepoParts, Snapshot};

pub struct ReadModel {
    config: Arc<Config>,
    store: Arc<dyn Store>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// One refresh at a time, whether from the interval or a button.
    refreshing: tokio::sync::Mutex<()>,
    /// Bumped by every refresh, so caches of rendered pages know to drop.
    generation: std::sync::atomic::AtomicU64,
    /// Bumped when a refresh starts (under `refreshing`).
    started: std::sync::atomic::AtomicU64,
    /// When a fetch caused by pressing Refresh finished (set under
    /// `refreshing`).
    last_press: std::sync::Mutex<Option<std::time::Instant>>,
    /// What the clusters run, made by the live publisher.
    live: RwLock<Arc<LiveView>>,
    /// Bumped whenever `live` changed what a page shows.
    live_generation: std::sync::atomic::AtomicU64,
    /// Told after every refresh, so the live view follows git too.
    git_changed: tokio::sync::Notify,
    /// Changes pushed to open pages.
    updates: tokio::sync::broadcast::Sender<Arc<LiveUpdate>>,
    /// Branches with a green build (kept by the release engine).
    pub built: BuiltBranches,
    /// Locks, freezes and broken glass (kept by the sharing rules).
    pub holds: HoldBoard,
}

/// The shortest time between two fetches caused by pressing Refresh.
pub const PRESS_INTERVAL: Duration = Duration::from_secs(5);

impl ReadModel {
    pub fn new(config: Arc<Config>, store: Arc<dyn Store>) -> Arc<ReadModel> {
        Arc::new(ReadModel {
            config,
            store,
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            refreshing: tokio::sync::Mutex::new(()),
            generation: std::sync::atomic::AtomicU64::new(0),
            started: std::sync::atomic::AtomicU64::new(0),
            last_press: std::sync::Mutex::new(None),
            live: RwLock::new(Arc::new(LiveView::default())),
            live_generation: std::sync::atomic::AtomicU64::new(0),
            git_changed: tokio::sync::Notify::new(),
            updates: tokio::sync::broadcast::channel(publish::BACKLOG).0,
            built: BuiltBranches::default(),
            holds: HoldBoard::default(),
        })
    }

    pub fn live(&self) -> Arc<LiveView> {
        self.live.read().expect("live lock").clone()
    }

    /// Each sandbox's days left, counted in the configured time zone.
    fn days_left(&self, sandboxes: &mut [SandboxSummary]) {
        let today = self.config.day_at(crate::clock::unix_now());
        for sandbox in sandboxes {
            let Some(day) = sandbox
                .expires
                .as_deref()
                .and_then(crate::gitops::files::parse_day)
            else {
                continue;
            };
            let left = i64::from((day - today).get_days());
            sandbox.days_left = Some(left);
            sandbox.expiring = left <= i64::from(self.config.sandboxes.warn_days);
        }
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("snapshot lock").clone()
    }

    /// How many refreshes have swapped in a new snapshot.
    pub fn refreshes(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Changes whenever a refresh swapped in a new snapshot, or the live
    /// state or the holds changed what a page shows.
    pub fn generation(&self) -> u64 {
        use std::sync::atomic::Ordering::SeqCst;
        self.generation.load(SeqCst) + self.live_generation.load(SeqCst) + self.holds.generation()
    }

    /// Whether every repository has been read at least once (for `/readyz`).
    pub fn is_ready(&self) -> bool {
        let snapshot = self.snapshot();
        snapshot.loaded && snapshot.repos.iter().all(|r| !r.commit.is_empty())
    }

    /// Fetches every repository and swaps in a new snapshot. A repository
    /// that cannot be fetched keeps its last good data, marked with the error.
    pub async fn refresh(&self) {
        let guard = self.refreshing.lock().await;
        self.refresh_locked(&guard).await;
    }

    /// Returns once a refresh that started after this call has finished, so
    /// a commit Berth just pushed is on the next page. Many callers at once
    /// share one refresh instead of queueing one each.
    pub async fn refresh_to_include_now(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let seen = self.started.load(SeqCst);
        let guard = self.refreshing.lock().await;
        // Holding the lock, every refresh counted after `seen` started after
        // this call and has finished.
        if self.started.load(SeqCst) > seen {
            return;
        }
        self.refresh_locked(&guard).await;
    }

    /// A person pressed Refresh. Presses while a refresh is running wait
    /// for it, and the first of them fetches once more if that refresh had
    /// started before they pressed. A press within `PRESS_INTERVAL` of the
    /// last press-driven fetch returns without fetching, so a held-down
    /// button or a script cannot keep Berth fetching every repository back
    /// to back. The interval and Berth's own post-commit refreshes do not
    /// count: a press just after them must still see a commit pushed since.
    pub async fn refresh_pressed(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let seen = self.started.load(SeqCst);
        let guard = self.refreshing.lock().await;
        if self.started.load(SeqCst) > seen {
            return;
        }
        let last_press = *self.last_press.lock().expect("press lock");
        if last_press.is_some_and(|at| at.elapsed() < PRESS_INTERVAL) {
            return;
        }
        self.refresh_locked(&guard).await;
        // Still under `refreshing`, so the next press in line sees it.
        *self.last_press.lock().expect("press lock") = Some(std::time::Instant::now());
    }

    async fn refresh_locked(&self, _guard: &tokio::sync::MutexGuard<'_, ()>) {
        self.started
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let previous = self.snapshot();
        let mut repos = Vec::with_capacity(self.config.repositories.len());
        for (i, repo) in self.config.repositories.iter().enumerate() {
            let parts = match snapshot::load_repository(&self.config, repo, self.store.as_ref())
                .await
            {
                Ok(parts) => parts,
                Err(error) => {
                    tracing::warn!(repository = %repo.name, kind = error.label(), "refresh failed; keeping the last good snapshot");
                    error.log_details();
                    let mut kept = previous
                        .repos
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| RepoParts::empty(repo));
                    kept.error = Some(error.public_message());
                    kept
                }
            };
            repos.push(parts);
        }
        let mut next = Snapshot {
            repos,
            loaded: true,
            overview: None,
        };
        let freshness = views::freshness(&self.config, &next, 0);
        next.overview = Some(views::overview(&self.config, &next, freshness));
        *self.snapshot.write().expect("snapshot lock") = Arc::new(next);
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.git_changed.notify_one();
    }

    /// Refreshes now and then every `refresh_interval_secs`, forever.
    pub fn spawn_refresh_loop(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let model = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick =
                tokio::time::interval(Duration::from_secs(model.config.refresh_interval_secs));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                model.refresh().await;
            }
        })
    }

    fn freshness(&self, snapshot: &Snapshot) -> Freshness {
        let mut freshness = match &snapshot.overview {
            Some(overview) => Freshness {
                now: unix_now(),
                ..overview.freshness.clone()
            },
            None => views::freshness(&self.config, snapshot, unix_now()),
        };
        self.live().freshness(&mut freshness);
        freshness.live_version = self.live_version();
        freshness
    }

    /// An environment's current mapping without its history: what the JSON
    /// API lists, so listing environments never queries the database.
    pub fn environment_mapping(
        &self,
        env: &EnvironmentConfig,
    ) -> Result<EnvironmentDetail, BerthError> {
        let snapshot = self.ready_snapshot()?;
        let mut detail = views::environment(
            &self.config,
            &snapshot,
            env,
            Vec::new(),
            self.freshness(&snapshot),
        );
        self.live().environment(&mut detail);
        Ok(detail)
    }

    fn ready_snapshot(&self) -> Result<Arc<Snapshot>, BerthError> {
        let snapshot = self.snapshot();
        if !snapshot.loaded {
            return Err(BerthError::Unavailable(
                "Berth is still reading the GitOps repositories; try again in a moment".into(),
            ));
        }
        Ok(snapshot)
    }
}

fn store_error(err: crate::store::StoreError) -> BerthError {
    crate::error::Error::from(err).into()
}

#[async_trait::async_trait]
impl Dashboard for ReadModel {
    async fn overview(&self) -> Result<Overview, BerthError> {
        let snapshot = self.ready_snapshot()?;
        let freshness = self.freshness(&snapshot);
        let mut overview = match &snapshot.overview {
            Some(overview) => Overview {
                freshness,
                ..overview.clone()
            },
            None => views::overview(&self.config, &snapshot, freshness),
        };
        self.live().overview(&mut overview);
        let board = self.holds.current();
        for lane in &mut overview.environments {
            lane.holds = self.holds.of(&lane.name);
        }
        for row in &mut overview.rows {
            for cell in &mut row.cells {
                cell.held = board
                    .holds(&cell.environment)
                    .and_then(|holds| holds.cell_words(&row.service));
            }
        }
        Ok(overview)
    }

    async fn environment(&self, name: &str) -> Result<EnvironmentDetail, BerthError> {
        let snapshot = self.ready_snapshot()?;
        let env = self
            .config
            .environments
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| {
                BerthError::NotFound(format!("there is no environment named `{name}`"))
            })?;
        let history = match &env.file {
            Some(file) => {
                let repo = self.config.repository(env.repository.as_deref());
                self.store
                    .environment_history(&repo.name, file, 500)
                    .await
                    .map_err(store_error)?
            }
            None => Vec::new(),
        };
        let mut detail = views::environment(
            &self.config,
            &snapshot,
            env,
            history,
            self.freshness(&snapshot),
        );
        self.live().environment(&mut detail);
        Ok(detail)
    }

    async fn sandboxes(&self, query: &str) -> Result<SandboxList, BerthError> {
        let snapshot = self.ready_snapshot()?;
        let mut list = views::sandboxes(&self.config, &snapshot, query, self.freshness(&snapshot));
        self.live().sandboxes(&mut list.sandboxes);
        self.days_left(&mut list.sandboxes);
        Ok(list)
    }

    async fn sandbox(&self, name: &str) -> Result<SandboxDetail, BerthError> {
        let snapshot = self.ready_snapshot()?;
        let mut sandbox = views::sandboxes(&self.config, &snapshot, "", Freshness::default())
            .sandboxes
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| BerthError::NotFound(format!("there is no sandbox named `{name}`")))?;
        sandbox.live = self.live().sandbox(name);
        self.days_left(std::slice::from_mut(&mut sandbox));
        let repo = self
            .config
            .repository(self.config.sandboxes.repository.as_deref());
        let history = self
            .store
            .sandbox_history(&repo.name, &sandbox.file)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(|(_, change)| change)
            .collect();
        Ok(SandboxDetail {
            freshness: self.freshness(&snapshot),
            sandbox,
            history,
        })
    }

    async fn refresh(&self) -> Result<Freshness, BerthError> {
        self.refresh_pressed().await;
        let snapshot = self.snapshot();
        Ok(self.freshness(&snapshot))
    }

    async fn sharing(&self) -> Result<SharingBoard, BerthError> {
        let mut board = (*self.holds.current()).clone();
        board.now = crate::clock::unix_now();
        Ok(board)
    }
}
