//! A release ends when its Application says so: deployed once it is
//! Synced and Healthy with the release's tag rendered, failed when it goes
//! Degraded with that tag or is not there within `deploy_timeout_secs`.
//! A prod release moves its pipeline commit along.

use std::{sync::Arc, time::Duration};

use app::model::{Release, ReleaseOutcome, Stage};

use super::{newest_wins::after_deploy, Releases};
use crate::{clock::unix_now, cluster::Application, readmodel::live::status::split_image};

const CHECK_EVERY: Duration = Duration::from_millis(500);

/// What an Application says about a release of `tag`.
pub(super) fn verdict(app: &Application, image: Option<&str>, tag: &str) -> Option<ReleaseOutcome> {
    let status = app.status.as_ref()?;
    let rendered = status.summary.as_ref().is_some_and(|s| {
        s.images.iter().any(|i| match split_image(i) {
            (repo, Some(t)) => t == tag && image.is_none_or(|r| r == repo),
            _ => false,
        })
    });
    if !rendered {
        return None;
    }
    let synced = status.sync.as_ref().is_some_and(|s| s.status == "Synced");
    match status.health.as_ref().map(|h| h.status.as_str()) {
        Some("Healthy") if synced => Some(ReleaseOutcome::Deployed),
        Some("Degraded") => Some(ReleaseOutcome::Failed),
        _ => None,
    }
}

impl Releases {
    async fn check_open(&self) {
        let open = match self.store.open_releases().await {
            Ok(open) => open,
            Err(err) => {
                tracing::warn!(%err, "cannot read open releases");
                return;
            }
        };
        let now = unix_now();
        for release in open {
            let outcome = self.outcome_of(&release).or_else(|| {
                (now - release.started_at >= self.config.releases.deploy_timeout_secs as i64)
                    .then_some(ReleaseOutcome::Failed)
            });
            if let Some(outcome) = outcome {
                self.finish(&release, outcome, now).await;
            }
        }
    }

    fn outcome_of(&self, release: &Release) -> Option<ReleaseOutcome> {
        let env = self
            .config
            .environments
            .iter()
            .find(|e| e.name == release.environment)?;
        let cluster = self.live.cluster(&self.config.cluster_of(env)?.name)?;
        let app = cluster.application(&self.config.application_name(env, &release.service))?;
        let image = self
            .config
            .services
            .iter()
            .find(|s| s.name == release.service)
            .and_then(|s| s.image.as_deref());
        verdict(&app, image, &release.image_tag)
    }

    async fn finish(&self, release: &Release, outcome: ReleaseOutcome, now: i64) {
        let _service = self.lock(&release.service).await;
        match self.store.finish_release(release.id, outcome, now).await {
            Ok(true) => {}
            // Superseded while its verdict was read, or ended by another
            // Berth process: no marker again, but this process's charts
            // learn how the other one ended it.
            Ok(false) => {
                self.learn_ended(release.id).await;
                return;
            }
            Err(err) => {
                tracing::error!(%err, "could not record a release's end");
                return;
            }
        }
        tracing::info!(service = %release.service, environment = %release.environment, tag = %release.image_tag, outcome = outcome.as_str(), "release ended");
        self.announce();
        if !self.is_prod(&release.environment) {
            return;
        }
        let deployed = outcome == ReleaseOutcome::Deployed;
        let ended = Release {
            finished_at: Some(now),
            outcome,
            lead_time_secs: release.committed_at.filter(|_| deployed).map(|c| now - c),
            ..release.clone()
        };
        self.index.add(&ended);
        if deployed {
            self.mark(&ended).await;
        }
        let Ok(Some(commit)) = self
            .store
            .pipeline_commit(&release.service, &release.sha)
            .await
        else {
            return;
        };
        let stage = after_deploy(commit.stage, outcome == ReleaseOutcome::Deployed);
        if stage == commit.stage {
            return;
        }
        let note = match stage {
            Stage::DeployFailed
                if now - release.started_at >= self.config.releases.deploy_timeout_secs as i64 =>
            {
                format!(
                    "not Synced and Healthy within {} s",
                    self.config.releases.deploy_timeout_secs
                )
            }
            Stage::DeployFailed => "the Application went Degraded".to_string(),
            _ => String::new(),
        };
        if let Err(err) = self
            .store
            .set_stage(&release.service, &release.sha, stage, now, None, &note)
            .await
        {
            tracing::error!(%err, "could not move a pipeline commit along");
        }
    }
}

impl Releases {
    /// A prod release another process ended goes into this one's index.
    async fn learn_ended(&self, id: i64) {
        match self.store.release(id).await {
            Ok(Some(ended)) if self.is_prod(&ended.environment) => {
                if matches!(
                    ended.outcome,
                    ReleaseOutcome::Deployed | ReleaseOutcome::Failed
                ) {
                    self.index.add(&ended);
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "cannot read a release another process ended"),
        }
    }
}

pub(super) fn spawn(releases: Arc<Releases>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            releases.check_open().await;
        }
    });
}
