//! Prod's pipeline per service: default-branch commits from pushes, their
//! builds, and deploys decided by `newest_wins`.
//!
//! A commit's place in first-parent history comes from the service's
//! source repository when it has a `git_url` (`line.rs`); without one,
//! from the order GitHub sends pushes in, each push of the default branch
//! extending it. A green build of a commit whose place is unknown (not on
//! the line, not pushed yet) waits, since deploying a commit of unknown
//! age could put an older one over a newer.

use app::model::{Build, BuildResult, PipelineCommit, ReleaseOutcome, Stage};

use std::collections::HashMap;

use super::{
    github::Push,
    line::LineCommit,
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
    pub(super) async fn on_push(&self, service: &str, push: &Push) -> Result<usize, String> {
        let config = self.config.services.iter().find(|s| s.name == service);
        let line = match config {
            Some(config) => self.first_parent_line(config).await,
            None => None,
        };
        if line.is_none() && config.is_some_and(|c| c.git_url.is_some()) {
            // Placing these commits by arrival would mix two orders on one
            // pipeline; a redelivery (or the commit's build) finds them.
            return Err(format!(
                "the default branch of {service} cannot be read from its source repository; deliver it again later"
            ));
        }
        self.add_pushed(service, push, line.as_ref())
            .await
            .map_err(|err| err.to_string())
    }

    async fn add_pushed(
        &self,
        service: &str,
        push: &Push,
        line: Option<&HashMap<String, LineCommit>>,
    ) -> StoreResult<usize> {
        let _service = self.lock(service).await;
        let newest = self.store.pipeline(service, 1).await?;
        let mut position = newest.first().map_or(0, |c| c.position);
        let now = unix_now();
        let mut added = Vec::new();
        for commit in &push.commits {
            if self
                .store
                .pipeline_commit(service, &commit.sha)
                .await?
                .is_some()
            {
                continue;
            }
            let (position, author, message, at) = match line {
                // A commit a merge brought in is not on the line.
                Some(line) => match line.get(&commit.sha) {
                    Some(on) => (on.position, on.author.clone(), on.subject.clone(), on.at),
                    None => continue,
                },
                // Commits a merge brought in were pushed before (to their
                // branch); the head always is on the line.
                None if commit.distinct || commit.sha == push.after => {
                    position += 1;
                    (
                        position,
                        commit.author.clone(),
                        commit.message.clone(),
                        commit.at,
                    )
                }
                None => continue,
            };
            added.push(pushed(
                service,
                &commit.sha,
                position,
                author,
                message,
                at,
                now,
            ));
        }
        self.store.add_pipeline_commits(&added).await?;
        drop(_service);
        if !added.is_empty() {
            self.announce();
        }
        self.decide_waiting(service).await?;
        Ok(added.len())
    }

    /// Commits still waiting for a build whose green build of the default
    /// branch is already in: decided now, newest first (the older ones are
    /// then superseded, not deployed in turn). Not only the commits this
    /// push added: a redelivery after a handling that failed half-way
    /// finds its commits stored but undecided.
    async fn decide_waiting(&self, service: &str) -> StoreResult<()> {
        let Some(config) = self.config.services.iter().find(|s| s.name == service) else {
            return Ok(());
        };
        let mut waiting: Vec<PipelineCommit> = self
            .store
            .pipeline_open(service)
            .await?
            .into_iter()
            .filter(|c| matches!(c.stage, Stage::Pushed | Stage::Building))
            .collect();
        waiting.sort_by_key(|c| std::cmp::Reverse(c.position));
        for commit in &waiting {
            if let Some(build) = self
                .store
                .green_build_of(service, &config.default_branch, &commit.sha)
                .await?
            {
                self.on_default_branch_build(&build).await;
            }
        }
        Ok(())
    }

    /// A commit the pipeline has not seen, from the default branch's line
    /// in the source repository (a build reported without a push).
    async fn commit_on_line(
        &self,
        service: &str,
        sha: &str,
    ) -> StoreResult<Option<PipelineCommit>> {
        let Some(config) = self.config.services.iter().find(|s| s.name == service) else {
            return Ok(None);
        };
        let Some(on) = self
            .first_parent_line(config)
            .await
            .and_then(|mut line| line.remove(sha))
        else {
            return Ok(None);
        };
        let commit = pushed(
            service,
            sha,
            on.position,
            on.author,
            on.subject,
            on.at,
            unix_now(),
        );
        self.store
            .add_pipeline_commits(std::slice::from_ref(&commit))
            .await?;
        Ok(Some(commit))
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
        let commit = match self.store.pipeline_commit(service, &build.sha).await? {
            Some(commit) => commit,
            None => match self.commit_on_line(service, &build.sha).await? {
                Some(commit) => commit,
                None => {
                    tracing::info!(service, sha = %build.sha, "a build of a commit not pushed yet waits for its push");
                    return Ok(());
                }
            },
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
        let open = self.without_rewritten(service, &commit, open).await?;
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
                // Held: the commit stays passed, saying why, and nothing
                // is superseded; when the hold ends the newest passed
                // commit goes (`resume_prod`).
                if let Some(env) = self.config.prod_environment() {
                    if let Some(why) = self.sharing.automation_held(&env.name, service).await {
                        let note = format!("held: {why}");
                        // Said in the audit log once, when the build
                        // arrives; a resume that is still held says nothing.
                        if commit.stage != Stage::Passed {
                            let target = self.target(env, service);
                            let trigger = Trigger {
                                kind: "build",
                                by: &build.reported_by,
                            };
                            self.held(&target, build, &trigger, &why).await;
                        }
                        return self
                            .store
                            .set_stage(
                                service,
                                &build.sha,
                                stage,
                                now,
                                Some(&build.image_tag),
                                &note,
                            )
                            .await;
                    }
                }
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

    /// Commits a force-push took off the default branch no longer count:
    /// a started commit at or past `candidate`'s place that the branch's
    /// first-parent line no longer holds (while it holds `candidate`) is
    /// marked superseded and left out. Read only when such a commit would
    /// hold `candidate` back, so the usual deploy fetches nothing more.
    async fn without_rewritten(
        &self,
        service: &str,
        candidate: &PipelineCommit,
        open: Vec<PipelineCommit>,
    ) -> StoreResult<Vec<PipelineCommit>> {
        let blocking = |c: &PipelineCommit| {
            c.sha != candidate.sha
                && c.position >= candidate.position
                && matches!(
                    c.stage,
                    Stage::Deploying | Stage::Deployed | Stage::DeployFailed
                )
        };
        if !open.iter().any(blocking) {
            return Ok(open);
        }
        let Some(config) = self.config.services.iter().find(|s| s.name == service) else {
            return Ok(open);
        };
        let Some(line) = self.first_parent_line(config).await else {
            return Ok(open);
        };
        if !line.contains_key(&candidate.sha) {
            return Ok(open);
        }
        let mut kept = Vec::with_capacity(open.len());
        for c in open {
            if blocking(&c) && !line.contains_key(&c.sha) {
                let note = format!(
                    "no longer on {}: its history was rewritten",
                    config.default_branch
                );
                self.store
                    .set_stage(service, &c.sha, Stage::Superseded, unix_now(), None, &note)
                    .await?;
                self.supersede_release(service, &c.sha).await?;
                continue;
            }
            kept.push(c);
        }
        Ok(kept)
    }

    /// After a lock or freeze ended: each service's newest passed commit,
    /// if newest-wins still lets it, deploys now.
    pub(super) async fn resume_prod(&self) {
        if !self.config.releases.auto_deploy_prod {
            return;
        }
        for service in &self.config.services {
            let newest_passed = match self.store.pipeline_open(&service.name).await {
                Ok(open) => open
                    .into_iter()
                    .filter(|c| c.stage == Stage::Passed)
                    .max_by_key(|c| c.position),
                Err(err) => {
                    tracing::error!(%err, service = %service.name, "cannot read the pipeline to resume it");
                    continue;
                }
            };
            let Some(commit) = newest_passed else {
                continue;
            };
            match self
                .store
                .green_build_of(&service.name, &service.default_branch, &commit.sha)
                .await
            {
                Ok(Some(build)) => self.on_default_branch_build(&build).await,
                Ok(None) => {}
                Err(err) => {
                    tracing::error!(%err, service = %service.name, "cannot read a build to resume")
                }
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
            .prod_environment()
            .is_some_and(|e| e.name == environment)
    }

    /// Where an image of `service` goes in `env`.
    pub(super) fn target(&self, env: &crate::config::EnvironmentConfig, service: &str) -> Target {
        Target {
            environment: env.name.clone(),
            cluster: self.config.cluster_of(env).map(|c| c.name.clone()),
            application: self.config.application_name(env, service),
        }
    }

    /// Starts the prod deploy: the image patch, recorded as a release.
    async fn deploy(&self, build: &Build, commit: &PipelineCommit) -> StoreResult<()> {
        let Some(env) = self.config.prod_environment() else {
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
        let target = self.target(env, service);
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

/// A commit just seen on the default branch.
pub(super) fn pushed(
    service: &str,
    sha: &str,
    position: i64,
    author: String,
    message: String,
    committed_at: i64,
    now: i64,
) -> PipelineCommit {
    PipelineCommit {
        service: service.into(),
        sha: sha.into(),
        position,
        author,
        message,
        // A commit's time is what its author's clock said: one from the
        // future would make a negative lead time.
        committed_at: committed_at.min(now),
        pushed_at: now,
        stage: Stage::Pushed,
        stage_at: now,
        built_at: None,
        deploy_started_at: None,
        deploy_ended_at: None,
        image_tag: None,
        note: String::new(),
    }
}
