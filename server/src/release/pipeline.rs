//! Prod's pipeline per service: default-branch commits from pushes, their
//! builds, and deploys decided by `newest_wins`.
//!
//! A commit's place in first-parent history comes from the order GitHub
//! sends pushes in: each push of the default branch extends it. A green
//! build of a commit Berth has not seen pushed waits for that push, since
//! deploying a commit of unknown age could put an older one over a newer.

use app::model::{Build, BuildResult, EnvironmentKind, PipelineCommit, ReleaseOutcome, Stage};

use super::{
    github::Push,
    newest_wins::{after_build, on_green_build, Decision, Entry},
    short,
    updater::{Target, Trigger},
    Releases,
};
use crate::{clock::unix_now, store::StoreResult};

impl Releases {
    /// Adds the pushed commits of a service's default branch to its
    /// pipeline, newest last; then releases any green build that was
    /// waiting for them.
    pub(super) async fn on_push(&self, service: &str, push: &Push) -> StoreResult<usize> {
        let _service = self.lock(service).await;
        let newest = self.store.pipeline(service, 1).await?;
        let mut position = newest.first().map_or(0, |c| c.position);
        let now = unix_now();
        let mut added = Vec::new();
        // Commits a merge brought in were pushed before (to their branch)
        // and are not on the first-parent line; the head always is.
        let on_line = push
            .commits
            .iter()
            .filter(|c| c.distinct || c.sha == push.after);
        for commit in on_line {
            if self
                .store
                .pipeline_commit(service, &commit.sha)
                .await?
                .is_some()
            {
                continue;
            }
            position += 1;
            added.push(PipelineCommit {
                service: service.into(),
                sha: commit.sha.clone(),
                position,
                author: commit.author.clone(),
                message: commit.message.clone(),
                committed_at: commit.at,
                pushed_at: now,
                stage: Stage::Pushed,
                stage_at: now,
                built_at: None,
                deploy_started_at: None,
                deploy_ended_at: None,
                image_tag: None,
                note: String::new(),
            });
        }
        self.store.add_pipeline_commits(&added).await?;
        drop(_service);
        if !added.is_empty() {
            self.announce();
        }
        for commit in &added {
            if let Some(build) = self.store.green_build_of(service, &commit.sha).await? {
                self.on_default_branch_build(&build).await;
            }
        }
        Ok(added.len())
    }

    /// A build of the commit started: it is building.
    pub(super) async fn on_build_started(&self, service: &str, sha: &str) -> StoreResult<()> {
        let _service = self.lock(service).await;
        if let Some(commit) = self.store.pipeline_commit(service, sha).await? {
            if commit.stage == Stage::Pushed {
                self.store
                    .set_stage(service, sha, Stage::Building, unix_now(), None, "")
                    .await?;
                self.announce();
            }
        }
        Ok(())
    }

    /// A build of a default-branch commit finished: its stage, and with a
    /// green one, prod's newest-wins decision.
    pub(super) async fn on_default_branch_build(&self, build: &Build) {
        if let Err(err) = self.decide(build).await {
            tracing::error!(%err, service = %build.service, "the prod pipeline could not decide");
        }
        self.announce();
    }

    async fn decide(&self, build: &Build) -> StoreResult<()> {
        let service = build.service.as_str();
        let _service = self.lock(service).await;
        let Some(commit) = self.store.pipeline_commit(service, &build.sha).await? else {
            tracing::info!(service, sha = %build.sha, "a build of a commit not pushed yet waits for its push");
            return Ok(());
        };
        let green = build.result == BuildResult::Success;
        let stage = after_build(commit.stage, green);
        let now = unix_now();
        if stage == Stage::Failed {
            return self
                .store
                .set_stage(
                    service,
                    &build.sha,
                    stage,
                    now,
                    Some(&build.image_tag),
                    "the build failed",
                )
                .await;
        }
        if stage != Stage::Passed {
            return Ok(());
        }
        self.store
            .set_stage(service, &build.sha, stage, now, Some(&build.image_tag), "")
            .await?;
        if !self.config.releases.auto_deploy_prod {
            return Ok(());
        }
        let open = self.store.pipeline_open(service).await?;
        let entries: Vec<Entry<String>> = open
            .iter()
            .map(|c| Entry {
                key: c.sha.clone(),
                position: c.position as u64,
                stage: if c.sha == build.sha { stage } else { c.stage },
            })
            .collect();
        match on_green_build(&entries, commit.position as u64) {
            Decision::Hold(super::newest_wins::Hold::AlreadyStarted) => Ok(()),
            Decision::Hold(hold) => {
                self.store
                    .set_stage(
                        service,
                        &build.sha,
                        Stage::Superseded,
                        now,
                        Some(&build.image_tag),
                        hold.words(),
                    )
                    .await
            }
            Decision::Deploy { supersede } => {
                for sha in &supersede {
                    let note = format!("superseded by {}", short(&build.sha));
                    self.store
                        .set_stage(service, sha, Stage::Superseded, now, None, &note)
                        .await?;
                    self.supersede_release(service, sha).await?;
                }
                self.deploy(build, &commit).await
            }
        }
    }

    async fn supersede_release(&self, service: &str, sha: &str) -> StoreResult<()> {
        for release in self.store.open_releases().await? {
            if release.service == service
                && release.sha == sha
                && self.is_prod(&release.environment)
            {
                self.store
                    .finish_release(release.id, ReleaseOutcome::Superseded, unix_now())
                    .await?;
            }
        }
        Ok(())
    }

    pub(super) fn is_prod(&self, environment: &str) -> bool {
        self.config
            .environments
            .iter()
            .any(|e| e.name == environment && e.kind == EnvironmentKind::Prod)
    }

    /// Starts the prod deploy: the image patch, recorded as a release.
    async fn deploy(&self, build: &Build, commit: &PipelineCommit) -> StoreResult<()> {
        let Some(env) = self
            .config
            .environments
            .iter()
            .find(|e| e.kind == EnvironmentKind::Prod)
        else {
            return Ok(());
        };
        let service = build.service.as_str();
        self.store
            .set_stage(
                service,
                &build.sha,
                Stage::Deploying,
                unix_now(),
                Some(&build.image_tag),
                "",
            )
            .await?;
        let target = Target {
            environment: env.name.clone(),
            cluster: self.config.cluster_of(env).map(|c| c.name.clone()),
            application: self.config.application_name(env, service),
        };
        let trigger = Trigger {
            kind: "build",
            by: &build.reported_by,
        };
        if self
            .set_image(&target, build, Some(commit.committed_at), trigger)
            .await
            .is_none()
        {
            self.store
                .set_stage(
                    service,
                    &build.sha,
                    Stage::DeployFailed,
                    unix_now(),
                    None,
                    "the image could not be set; see the audit log",
                )
                .await?;
        }
        Ok(())
    }
}
