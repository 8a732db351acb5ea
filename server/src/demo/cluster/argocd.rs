//! A simulated Argo CD, with the ApplicationSet that generates its
//! Applications, for the demo cluster: it reads the GitOps repository and
//! keeps Applications, Deployments, Pods and Ingresses in the store the
//! way the real controllers would, so Berth's live pages have something
//! true to show.
//!
//! - Git: every second it reads the head of each repository the cluster's
//!   environments and sandboxes come from, and does work only when a head
//!   moved. Each environment on the cluster gets an Application per
//!   configured service in its file (prod: every service, on its default
//!   branch); sandboxes, when they run on this cluster, one per valid
//!   sandbox file. A file that cannot be read is logged and its
//!   Applications stay as they were (a failing generator changes nothing).
//! - Images: a service's image tag is `{branch_slug}-{sha7}` of its
//!   branch's head in the service's source repository, looked up when the
//!   Application's branch changes. A branch the source repository lacks
//!   has no build: its Pod ends in `ImagePullBackOff`. An `image.tag`
//!   someone else patches into an Application (Berth does) is synced like
//!   a commit; a deleted Application is generated again.
//! - Start-up: what git holds appears at once, settled: Synced, Healthy,
//!   one history entry dated after the commit that last changed its file.
//! - Later, per Application touched, one step a second: OutOfSync, then
//!   Progressing with the sync operation Running and a new Pod being
//!   created, then Synced (for a service the operation Succeeded and a
//!   history entry is added), then the new Pod is ready, the old one goes
//!   and a service is Healthy; a sandbox's Ingress then gets its address,
//!   and the sandbox is Healthy with its operation Succeeded. A Pod that
//!   cannot run makes the rollout miss its 20 s progress deadline:
//!   Degraded (a sandbox's sync operation then fails with a `SyncError`).
//!   A removed service or sandbox loses its Ingress, Pods, Deployment and
//!   Application at once.
//! - Standing faults, chosen when git is first read so every start shows
//!   the same ones: the Stg Application whose name sorts first crash-loops
//!   (Pod `CrashLoopBackOff`, Deployment `ProgressDeadlineExceeded`,
//!   Degraded yet Synced), and the sandbox Application whose name sorts
//!   first cannot pull its image (Pod `ImagePullBackOff`, Degraded, its
//!   operation Failed with a `SyncError` condition). Each fault belongs to
//!   the image it started with: deploying another image there heals it.
//! - Spikes: an image built from a `spike-*` branch crash-loops once
//!   deployed, so promoting the demo's spike branches shows a cell going
//!   bad as it would after a bad release.

mod application;
mod desired;
mod live;
mod objects;
mod others;
mod past;
mod read;
mod rollout;
mod workloads;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
    time::Duration,
};

use tokio::{sync::broadcast::error::RecvError, time::Instant};

use self::{
    desired::{Desired, Image, Plan},
    objects::Written,
    read::Reader,
    rollout::{App, STEP},
};
use super::store::ObjectStore;
use crate::{
    clock::unix_now,
    config::{ClusterConfig, Config},
};

/// How often the GitOps repositories' heads are read.
const POLL: Duration = Duration::from_secs(1);

/// Reconciles the GitOps repository into `objects` for the environments
/// and sandboxes that `config` puts on the cluster named `cluster`.
pub fn spawn(
    objects: Arc<ObjectStore>,
    config: Arc<Config>,
    cluster: String,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Some(cluster) = config.clusters.iter().find(|c| c.name == cluster).cloned() else {
            tracing::warn!(%cluster, "the demo Argo CD has no such cluster in the config");
            return;
        };
        Controller {
            reader: Reader::new(Arc::clone(&config), &cluster.name),
            objects,
            config,
            cluster,
            heads: None,
            apps: BTreeMap::new(),
            due: BTreeSet::new(),
        }
        .run()
        .await;
    })
}

struct Controller {
    objects: Arc<ObjectStore>,
    config: Arc<Config>,
    cluster: ClusterConfig,
    reader: Reader,
    /// The repository heads last read; `None` until git was read once.
    heads: Option<HashMap<String, String>>,
    apps: BTreeMap<String, Tracked>,
    /// When each Application's next step is due; an entry whose time is
    /// not the Application's `due` any more is stale and skipped.
    due: BTreeSet<(Instant, String)>,
}

struct Tracked {
    app: App,
    due: Option<Instant>,
    written: Written,
}

impl Controller {
    async fn run(mut self) {
        let mut events = self.objects.subscribe();
        let mut next_poll = Instant::now();
        loop {
            let wake = match self.due.first() {
                Some((at, _)) => (*at).min(next_poll),
                None => next_poll,
            };
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                event = events.recv() => {
                    match event {
                        Ok(event) => self.on_event(event),
                        // Missed events: look at the Applications themselves.
                        Err(RecvError::Lagged(_)) => self.resync(),
                        Err(RecvError::Closed) => return,
                    }
                    continue;
                }
            }
            if Instant::now() >= next_poll {
                self.poll().await;
                next_poll = Instant::now() + POLL;
            }
            self.run_due(Instant::now());
        }
    }

    async fn poll(&mut self) {
        let heads = self.reader.heads().await;
        if heads.is_empty() || self.heads.as_ref() == Some(&heads) {
            return;
        }
        let reading = self.reader.read(&heads).await;
        let plan = desired::plan(&self.config, &self.cluster.name, &reading);
        let first = self.heads.replace(heads.clone()).is_none();
        let images = self.images(&plan).await;
        if first {
            self.start(plan, images, &heads).await;
        } else {
            self.apply(plan, images);
        }
    }

    /// Looks up the image of each Application whose target is new.
    async fn images(&mut self, plan: &Plan) -> HashMap<String, Image> {
        let mut branches = HashMap::new();
        let mut images = HashMap::new();
        for app in &plan.apps {
            let known = self.apps.get(&app.name);
            if known.is_some_and(|t| t.app.desired.target == app.target) {
                continue;
            }
            let service = app.component().to_string();
            if !app.is_sandbox() && !branches.contains_key(&service) {
                let found = self.reader.branches(&service).await;
                branches.insert(service.clone(), found);
            }
            let found = branches.get(&service).and_then(Option::as_ref);
            let image = desired::image_of(&self.config, &app.target, found);
            images.insert(app.name.clone(), image);
        }
        images
    }

    /// Git as first read: everything in it, settled.
    async fn start(
        &mut self,
        plan: Plan,
        mut images: HashMap<String, Image>,
        heads: &HashMap<String, String>,
    ) {
        let changes = self.reader.changes(heads).await;
        let faults = desired::standing_faults(&self.config, &plan.apps);
        let now = unix_now();
        for desired in unique(plan.apps) {
            let Some(image) = images.remove(&desired.name) else {
                continue;
            };
            let fault = faults
                .iter()
                .find(|(name, _)| *name == desired.name)
                .map(|(_, f)| *f);
            let revision = self.revision(&desired);
            let (commit, mut at) = changes.of(&desired);
            let commit = commit.to_string();
            let past = self.prod_past(&desired, &revision, &mut at, now).await;
            let mut app = App::settled(desired, image, fault, revision, (&commit, at), now);
            if let Some(past) = past {
                app.remember(past, past::PROD_HISTORY_LIMIT);
            }
            self.track(app, None);
        }
        tracing::info!(
            cluster = %self.cluster.name,
            applications = self.apps.len(),
            "the demo Argo CD is running"
        );
    }

    /// A later commit: only Applications that changed are touched.
    fn apply(&mut self, plan: Plan, mut images: HashMap<String, Image>) {
        let wanted = unique(plan.apps.iter().cloned());
        let names: BTreeSet<&str> = wanted.iter().map(|d| d.name.as_str()).collect();
        let gone: Vec<String> = self
            .apps
            .iter()
            .filter(|(name, t)| !names.contains(name.as_str()) && !plan.keeps(&t.app.desired))
            .map(|(name, _)| name.clone())
            .collect();
        for name in gone {
            if let Some(tracked) = self.apps.remove(&name) {
                objects::remove(&self.objects, &self.cluster, &tracked.app, &tracked.written);
            }
        }
        let now = unix_now();
        let later = Instant::now() + STEP;
        for desired in wanted {
            let revision = self.revision(&desired);
            let name = desired.name.clone();
            match self.apps.get_mut(&name) {
                None => {
                    let Some(image) = images.remove(&name) else {
                        continue;
                    };
                    self.track(App::created(desired, image, revision, now), Some(later));
                }
                Some(tracked) if tracked.app.desired != desired => {
                    let image = images
                        .remove(&name)
                        .unwrap_or_else(|| tracked.app.image.clone());
                    tracked.app.retarget(desired, image, revision, now);
                    self.write(&name);
                    self.schedule(&name, later);
                }
                Some(_) => {}
            }
        }
    }

    /// A prod Application's syncs before its current one, and (in `at`)
    /// when that one happened: after its head commit. `None` for others.
    async fn prod_past(
        &mut self,
        desired: &Desired,
        revision: &str,
        at: &mut i64,
        now: i64,
    ) -> Option<Vec<live::Deploy>> {
        let desired::Target::Service {
            env,
            service,
            branch,
        } = &desired.target
        else {
            return None;
        };
        let prod = self
            .config
            .environments
            .iter()
            .any(|e| &e.name == env && e.kind == crate::config::EnvironmentKind::Prod);
        if !prod {
            return None;
        }
        let commits = self.reader.first_parent(service, branch).await;
        let (_, head_at) = commits.last()?;
        *at = (*at).max(head_at + 20 * 60).min(now - 120);
        // One service (the first by name) once rolled a release back.
        let first = self.config.services.iter().map(|s| &s.name).min();
        let rollback = first == Some(service);
        let slug = crate::gitops::names::branch_slug(branch);
        Some(past::past_deploys(
            &commits,
            &slug,
            revision,
            rollback,
            *at - 120,
        ))
    }

    fn revision(&self, desired: &Desired) -> String {
        self.heads
            .as_ref()
            .and_then(|heads| heads.get(&desired.repo))
            .cloned()
            .unwrap_or_default()
    }

    fn track(&mut self, app: App, due: Option<Instant>) {
        let name = app.desired.name.clone();
        let tracked = Tracked {
            app,
            due: None,
            written: Written::default(),
        };
        self.apps.insert(name.clone(), tracked);
        self.write(&name);
        if let Some(at) = due {
            self.schedule(&name, at);
        }
    }

    fn write(&mut self, name: &str) {
        if let Some(tracked) = self.apps.get_mut(name) {
            objects::write(
                &self.objects,
                &self.cluster,
                &tracked.app,
                &mut tracked.written,
            );
        }
    }

    fn schedule(&mut self, name: &str, at: Instant) {
        if let Some(tracked) = self.apps.get_mut(name) {
            tracked.due = Some(at);
            self.due.insert((at, name.to_string()));
        }
    }

    fn run_due(&mut self, now: Instant) {
        while let Some((at, name)) = self.due.first().cloned() {
            if at > now {
                break;
            }
            self.due.pop_first();
            let Some(tracked) = self.apps.get_mut(&name) else {
                continue;
            };
            if tracked.due != Some(at) {
                continue;
            }
            tracked.due = None;
            let next = tracked.app.advance(unix_now());
            self.write(&name);
            if let Some(delay) = next {
                self.schedule(&name, now + delay);
            }
        }
    }
}

/// The first Application of each name: two environments whose templates
/// give the same name cannot both have it.
fn unique(apps: impl IntoIterator<Item = Desired>) -> Vec<Desired> {
    let mut seen = BTreeSet::new();
    apps.into_iter()
        .filter(|app| {
            let new = seen.insert(app.name.clone());
            if !new {
                tracing::warn!(application = %app.name, "two Applications would have this name; keeping the first");
            }
            new
        })
        .collect()
}
