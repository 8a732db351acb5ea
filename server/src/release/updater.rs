//! Dev and Stg follow the branches their files name: a green build of
//! (service, branch) sets the image tag of every Application whose
//! environment maps that service to that branch, and when a file points a
//! service at another branch, that branch's newest green build is set.

use std::{sync::Arc, time::Duration};

use app::model::{AuditAction, AuditOutcome, Build, EnvironmentKind, ReleaseOutcome};

use super::{ended, short, Audited, Releases};
use crate::{clock::unix_now, cluster::image_patch::set_image_tag, store::NewRelease};

/// How often the files are checked for a service pointed at a new branch;
/// a read of the snapshot in memory, nothing more, unless it changed.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// Where an image goes: an environment's Application on its cluster.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub environment: String,
    pub cluster: Option<String>,
    pub application: String,
}

/// Who asked for a release, for its record and the audit log.
pub(super) struct Trigger<'a> {
    pub kind: &'static str,
    pub by: &'a str,
}

/// How long an image patch may take, retries included.
const PATCH_WITHIN: Duration = Duration::from_secs(30);

impl Releases {
    /// The Dev and Stg environments whose file maps `service` to `branch`:
    /// (environment, cluster, Application).
    pub(super) fn following(
        &self,
        service: &str,
        branch: &str,
    ) -> Vec<(String, Option<String>, String)> {
        let snapshot = self.read_model.snapshot();
        self.config
            .environments
            .iter()
            .filter(|env| env.kind != EnvironmentKind::Prod)
            .filter(|env| {
                let repo = &self.config.repository(env.repository.as_deref()).name;
                snapshot
                    .repo(repo)
                    .and_then(|r| r.environments.get(&env.name))
                    .and_then(|state| state.file.branch_of(service))
                    == Some(branch)
            })
            .map(|env| {
                (
                    env.name.clone(),
                    self.config.cluster_of(env).map(|c| c.name.clone()),
                    self.config.application_name(env, service),
                )
            })
            .collect()
    }

    pub(super) async fn update_followers(
        &self,
        build: &Build,
        environments: Vec<(String, Option<String>, String)>,
        received: std::time::Instant,
    ) {
        for (environment, cluster, application) in environments {
            let target = Target {
                environment,
                cluster,
                application,
            };
            let trigger = Trigger {
                kind: "build",
                by: &build.reported_by,
            };
            if self.follow(&target, build, trigger).await {
                self.image_set.record(received.elapsed());
            }
        }
    }

    /// `set_image` unless the last release of this environment and service
    /// already set this tag (and did not fail): a build and a file change
    /// arriving together release once. Only the branch's newest green
    /// build is set: two builds reported close together may reach this
    /// lock in either order, and the older must not be set last.
    /// Whether the image was set now.
    async fn follow(&self, target: &Target, build: &Build, trigger: Trigger<'_>) -> bool {
        let _service = self.lock(&build.service).await;
        match self
            .store
            .newest_green_build(&build.service, &build.branch)
            .await
        {
            Ok(Some(newest)) if newest.sha != build.sha || newest.image_tag != build.image_tag => {
                tracing::info!(service = %build.service, branch = %build.branch, tag = %build.image_tag, newer = %newest.image_tag, "not setting a build a newer one replaced");
                return false;
            }
            Ok(_) => {}
            Err(err) => {
                tracing::error!(%err, "cannot read builds; not releasing");
                return false;
            }
        }
        match self
            .store
            .latest_release(&build.service, &target.environment)
            .await
        {
            Ok(Some(last))
                if last.image_tag == build.image_tag && last.outcome != ReleaseOutcome::Failed =>
            {
                false
            }
            // Asked only when there is something to release, so a held
            // environment costs nothing on every refresh.
            Ok(_) => match self
                .sharing
                .automation_held(&target.environment, &build.service)
                .await
            {
                Some(why) => {
                    self.held(target, build, &trigger, &why).await;
                    false
                }
                None => self.set_image(target, build, None, trigger).await.is_some(),
            },
            Err(err) => {
                tracing::error!(%err, "cannot read releases; not releasing");
                false
            }
        }
    }

    /// Records a release and patches the Application's image tag. Returns
    /// the release id, or `None` when it could not even start (no cluster,
    /// the patch refused): then the release is recorded as failed.
    pub(super) async fn set_image(
        &self,
        target: &Target,
        build: &Build,
        committed_at: Option<i64>,
        trigger: Trigger<'_>,
    ) -> Option<i64> {
        let now = unix_now();
        let release = NewRelease {
            service: build.service.clone(),
            environment: target.environment.clone(),
            sha: build.sha.clone(),
            image_tag: build.image_tag.clone(),
            started_at: now,
            trigger: trigger.kind.into(),
            triggered_by: trigger.by.into(),
            committed_at,
        };
        let id = match self.store.start_release(&release).await {
            Ok(id) => id,
            Err(err) => {
                tracing::error!(%err, "could not record a release; not releasing");
                return None;
            }
        };
        let api = target
            .cluster
            .as_deref()
            .and_then(|name| self.live.cluster(name))
            .and_then(|cluster| cluster.applications_api());
        let result: Result<Option<String>, String> = match api {
            None => Err("no cluster is configured for this environment".to_string()),
            // The service's lock is held meanwhile: a cluster that hangs
            // must not hold a rollback of the same service for minutes.
            Some(api) => match tokio::time::timeout(
                PATCH_WITHIN,
                set_image_tag(
                    &api,
                    &target.application,
                    &self.config.releases.image_field,
                    &build.image_tag,
                ),
            )
            .await
            {
                Ok(set) => set.map(|_| None).map_err(|err| err.to_string()),
                // The patch may have landed: the release stays open and
                // the watcher ends it by what the Application reports (or
                // by the deploy timeout).
                Err(_) => Ok(Some(format!(
                    "the cluster did not answer within {} s; the Application will tell whether the image was set",
                    PATCH_WITHIN.as_secs()
                ))),
            },
        };
        let row = Audited {
            actor: trigger.by,
            via: trigger.kind,
            action: AuditAction::SetImage,
            target: format!("{}/{}", target.environment, build.service),
            detail: format!(
                "{} ({}) on {}",
                build.image_tag,
                short(&build.sha),
                target.application
            ),
        };
        self.announce();
        match result {
            Ok(unsure) => {
                let message = unsure.unwrap_or_default();
                tracing::info!(environment = %target.environment, service = %build.service, tag = %build.image_tag, %message, "image set");
                self.audit(row, AuditOutcome::Committed, &message).await;
                Some(id)
            }
            Err(why) => {
                tracing::warn!(environment = %target.environment, service = %build.service, %why, "could not set the image");
                let now = unix_now();
                match self
                    .store
                    .finish_release(id, ReleaseOutcome::Failed, now)
                    .await
                {
                    Ok(true) if self.is_prod(&target.environment) => {
                        self.index
                            .add(&ended(&release, id, ReleaseOutcome::Failed, now))
                    }
                    Ok(_) => {}
                    Err(err) => tracing::error!(%err, "could not record a failed release"),
                }
                self.audit(row, AuditOutcome::Failed, &why).await;
                None
            }
        }
    }

    /// An image update a lock or freeze holds: said in the log, and for a
    /// build in the audit log too. When the hold ends, the files are
    /// followed again and the newest green build goes out then.
    pub(super) async fn held(
        &self,
        target: &Target,
        build: &Build,
        trigger: &Trigger<'_>,
        why: &str,
    ) {
        tracing::info!(environment = %target.environment, service = %build.service, tag = %build.image_tag, %why, "image update held");
        // A file change is followed again on every snapshot; only a build
        // arriving is news worth a row each time.
        if trigger.kind != "build" {
            return;
        }
        let row = Audited {
            actor: trigger.by,
            via: trigger.kind,
            action: AuditAction::SetImage,
            target: format!("{}/{}", target.environment, build.service),
            detail: format!(
                "{} ({}) on {}",
                build.image_tag,
                short(&build.sha),
                target.application
            ),
        };
        self.audit(row, AuditOutcome::Refused, why).await;
    }

    /// Sets the newest green build of each mapped branch where the last
    /// release of that environment and service had another tag.
    async fn follow_files(&self) {
        let snapshot = self.read_model.snapshot();
        for env in self
            .config
            .environments
            .iter()
            .filter(|e| e.kind != EnvironmentKind::Prod)
        {
            let repo = &self.config.repository(env.repository.as_deref()).name;
            let Some(state) = snapshot
                .repo(repo)
                .and_then(|r| r.environments.get(&env.name))
            else {
                continue;
            };
            for entry in &state.file.entries {
                if !self.config.services.iter().any(|s| s.name == entry.service) {
                    continue;
                }
                let newest = self
                    .store
                    .newest_green_build(&entry.service, &entry.branch)
                    .await;
                let Ok(Some(build)) = newest else {
                    continue;
                };
                let target = Target {
                    environment: env.name.clone(),
                    cluster: self.config.cluster_of(env).map(|c| c.name.clone()),
                    application: self.config.application_name(env, &entry.service),
                };
                let trigger = Trigger {
                    kind: "file",
                    by: "berth",
                };
                self.follow(&target, &build, trigger).await;
            }
        }
    }
}

/// Follows the files: whenever the snapshot of the repositories changed.
pub(super) fn spawn(releases: Arc<Releases>) {
    tokio::spawn(async move {
        let mut seen: Option<Arc<crate::readmodel::Snapshot>> = None;
        let mut tick = tokio::time::interval(FOLLOW_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Pending until the snapshot is loaded; a first pass resumes too,
        // since a hold may have ended while Berth was down.
        let mut lifted = true;
        loop {
            // A lock or freeze ending: what it held goes out now.
            tokio::select! {
                _ = tick.tick() => {}
                _ = releases.sharing.lifted.notified() => lifted = true,
            }
            let snapshot = releases.read_model.snapshot();
            if !snapshot.loaded {
                continue;
            }
            if std::mem::take(&mut lifted) {
                releases.resume_prod().await;
            } else if seen.as_ref().is_some_and(|s| Arc::ptr_eq(s, &snapshot)) {
                continue;
            }
            seen = Some(snapshot);
            releases.follow_files().await;
        }
    });
}
