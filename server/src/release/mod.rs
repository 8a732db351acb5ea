//! The release engine: builds come in from CI (`POST /api/v1/builds`, or a
//! GitHub webhook), image tags go out to Argo CD Applications.
//!
//! - `builds`: a build report checked, stored once, and acted on;
//! - `updater`: Dev and Stg follow the newest green build of the branch
//!   their file names;
//! - `pipeline`: prod takes green default-branch builds, newest wins
//!   (`newest_wins` is the rule, pure);
//! - `watcher`: a release is deployed when its Application reports Synced
//!   and Healthy on its tag, failed when Degraded or too slow;
//! - `github`: webhook signatures and payloads.
//!
//! Every effect runs in a task of its own, so a client that hangs up
//! after its build was accepted cannot stop the release or its audit row.

mod backfill;
mod builds;
mod counters;
pub mod figures;
pub mod github;
mod hooks;
mod latency;
mod line;
mod markers;
pub mod newest_wins;
mod pipeline;
mod rollback;
mod updater;
mod views;
mod watcher;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use app::model::{AuditAction, AuditOutcome};
use tokio::sync::Notify;

pub use builds::{BuildReport, Reported};
pub use counters::HookCounters;
pub use figures::ReleaseIndex;
pub use hooks::{Answer, HookOutcome, HookRequest};

use crate::{
    cluster::Live,
    config::Config,
    readmodel::ReadModel,
    sharing::Sharing,
    store::{AccessStore, NewAuditEntry, ReleaseStore},
};

/// Webhook bodies being read at once may hold this many of the largest
/// body Berth takes: GitHub sends deliveries one by one per hook, and most
/// are a few kilobytes.
const HOOK_BODIES_OF_MAX_SIZE: usize = 4;

/// Changes this close together reach open pages as one.
const ANNOUNCE_GATHER: std::time::Duration = std::time::Duration::from_millis(200);

pub struct Releases {
    config: Arc<Config>,
    store: Arc<dyn ReleaseStore>,
    audit: Arc<dyn AccessStore>,
    live: Arc<Live>,
    read_model: Arc<ReadModel>,
    /// Locks and freezes: asked under the service's lock, just before an
    /// image is set.
    sharing: Arc<Sharing>,
    /// One decision at a time per service: two green builds arriving
    /// together must not both start a deploy.
    service_locks: KeyedLocks,
    /// One fetch at a time per service's source repository: git cannot
    /// update one ref from two fetches at once.
    source_locks: KeyedLocks,
    pub counters: HookCounters,
    /// Build report to image set, for Dev and Stg.
    pub image_set: latency::Latencies,
    /// The bytes of webhook bodies being read at once (before their
    /// signature can be checked), so strangers cannot hold much memory.
    pub hook_bodies: Arc<tokio::sync::Semaphore>,
    /// Finished prod releases, for the charts.
    pub index: ReleaseIndex,
    /// Told when builds, the pipeline or releases changed.
    changed: Notify,
}

impl Releases {
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn ReleaseStore>,
        audit: Arc<dyn AccessStore>,
        live: Arc<Live>,
        read_model: Arc<ReadModel>,
        sharing: Arc<Sharing>,
    ) -> Arc<Releases> {
        Arc::new(Releases {
            sharing,
            store,
            audit,
            live,
            read_model,
            service_locks: KeyedLocks::default(),
            source_locks: KeyedLocks::default(),
            counters: HookCounters::default(),
            image_set: latency::Latencies::default(),
            hook_bodies: Arc::new(tokio::sync::Semaphore::new(
                config
                    .releases
                    .max_webhook_bytes
                    .saturating_mul(HOOK_BODIES_OF_MAX_SIZE)
                    .min(tokio::sync::Semaphore::MAX_PERMITS),
            )),
            index: ReleaseIndex::new(config.services.iter().map(|s| s.name.clone()).collect()),
            changed: Notify::new(),
            config,
        })
    }

    /// Starts what runs on its own: releases resolved from the clusters,
    /// and Dev and Stg following their files when those change.
    pub fn spawn(self: &Arc<Self>) {
        if self.config.releases.auto_deploy_prod && self.config.prod_environment().is_some() {
            for service in self.config.services.iter().filter(|s| s.git_url.is_none()) {
                tracing::warn!(service = %service.name, "no git_url: prod orders this service's commits as their pushes arrive, and GitHub does not promise an order; set git_url so its first-parent history decides");
            }
        }
        let secret = matches!(self.config.releases.webhook_secret(), Ok(Some(_)));
        if secret && self.config.releases.build_workflows.is_empty() {
            tracing::warn!("GitHub webhooks are set up but [releases] build_workflows is empty: no workflow run counts as a build until it names the build workflows");
        }
        watcher::spawn(Arc::clone(self));
        updater::spawn(Arc::clone(self));
        markers::spawn(Arc::clone(self));
        let releases = Arc::clone(self);
        tokio::spawn(async move {
            match releases.store.green_branches().await {
                Ok(branches) => {
                    for (service, branch) in branches {
                        releases.read_model.built.record(&service, &branch);
                    }
                    releases.live.changed.notify_one();
                }
                Err(err) => tracing::error!(%err, "cannot read which branches were built"),
            }
            releases.backfill().await;
            if let Some(prod) = releases.prod_environment() {
                let started = std::time::Instant::now();
                match releases.index.load(releases.store.as_ref(), &prod).await {
                    Ok(count) => {
                        tracing::info!(count, took = ?started.elapsed(), "release index loaded")
                    }
                    Err(err) => {
                        tracing::error!(%err, "cannot load the release index; charts start empty")
                    }
                }
            }
            // Pages hear of changes at most every 200 ms.
            loop {
                releases.changed.notified().await;
                tokio::time::sleep(ANNOUNCE_GATHER).await;
                releases.read_model.announce_releases();
            }
        });
    }

    /// Open pipeline and release pages load their data again, soon.
    fn announce(&self) {
        self.changed.notify_one();
    }

    /// The name of the prod environment, if one is configured.
    pub fn prod_environment(&self) -> Option<String> {
        self.config.prod_environment().map(|e| e.name.clone())
    }

    pub fn store(&self) -> &Arc<dyn ReleaseStore> {
        &self.store
    }

    async fn lock(&self, service: &str) -> tokio::sync::OwnedMutexGuard<()> {
        self.service_locks.lock(service).await
    }

    /// An audit row for a build reported or an image set.
    async fn audit(&self, row: Audited<'_>, outcome: AuditOutcome, message: &str) {
        let entry = NewAuditEntry {
            actor: row.actor.into(),
            via: row.via.into(),
            remote: None,
            action: row.action.as_str().into(),
            target: row.target,
            detail: row.detail,
            outcome: outcome.as_str().into(),
            message: message.into(),
            commit: None,
        };
        if let Err(err) = self
            .audit
            .record_audit(entry, crate::clock::unix_now())
            .await
        {
            tracing::error!(%err, "could not write the audit log");
        }
    }
}

/// An async lock per name, made when first asked for.
#[derive(Default)]
struct KeyedLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl KeyedLocks {
    async fn lock(&self, name: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.0.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(locks.entry(name.to_string()).or_default())
        };
        lock.lock_owned().await
    }
}

/// What an audit row of the release engine is about.
struct Audited<'a> {
    actor: &'a str,
    via: &'a str,
    action: AuditAction,
    target: String,
    detail: String,
}

/// A release as it ended, for the index.
fn ended(
    release: &crate::store::NewRelease,
    id: i64,
    outcome: app::model::ReleaseOutcome,
    at: i64,
) -> app::model::Release {
    let deployed = outcome == app::model::ReleaseOutcome::Deployed;
    app::model::Release {
        id,
        service: release.service.clone(),
        environment: release.environment.clone(),
        sha: release.sha.clone(),
        image_tag: release.image_tag.clone(),
        started_at: release.started_at,
        finished_at: Some(at),
        outcome,
        trigger: release.trigger.clone(),
        triggered_by: release.triggered_by.clone(),
        committed_at: release.committed_at,
        lead_time_secs: release.committed_at.filter(|_| deployed).map(|c| at - c),
    }
}

/// Seven characters of a sha, for messages.
fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}
