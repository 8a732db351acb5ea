//! What the prod and releases pages show: `ReleaseViews` for `Releases`.

use app::{
    error::BerthError,
    model::{ProdPipeline, ReleaseFigures, ServicePipeline, Stage, RANGES},
    ports::ReleaseViews,
};

use super::Releases;
use crate::clock::unix_now;

/// Commits each service shows on the prod page.
const COMMITS_SHOWN: u32 = 12;
/// Failing deploy markers the prod page lists.
const MARKER_PROBLEMS_SHOWN: u32 = 10;
/// Problems older than a week are history (the log keeps them).
const MARKER_PROBLEMS_FOR_SECS: i64 = 7 * 86_400;

fn unavailable(err: crate::store::StoreError) -> BerthError {
    BerthError::Unavailable(err.to_string())
}

/// Releases offered to roll a service back to.
const ROLLBACK_CHOICES: u32 = 5;

#[async_trait::async_trait]
impl ReleaseViews for Releases {
    async fn pipeline(&self) -> Result<ProdPipeline, BerthError> {
        let prod = self
            .config
            .prod_environment()
            .ok_or_else(|| BerthError::NotFound("no prod environment is configured".into()))?;
        let detail = self.read_model.environment_mapping(prod)?;
        let mut services = Vec::with_capacity(self.config.services.len());
        for service in &self.config.services {
            let commits = self
                .store
                .pipeline(&service.name, COMMITS_SHOWN)
                .await
                .map_err(unavailable)?;
            let deployed = match commits.iter().find(|c| c.stage == Stage::Deployed) {
                Some(commit) => Some(commit.clone()),
                None => self
                    .store
                    .newest_deployed(&service.name)
                    .await
                    .map_err(unavailable)?,
            };
            // What runs (a release still deploying, else the newest
            // deployed); the deployed ones before it are the way back.
            let releases = self
                .store
                .deployed_releases(&service.name, &prod.name, ROLLBACK_CHOICES + 1)
                .await
                .map_err(unavailable)?;
            let deploying = self
                .deploying(&service.name, &prod.name)
                .await
                .map_err(unavailable)?;
            let live_tag = deploying
                .as_ref()
                .or(releases.first())
                .map(|r| r.image_tag.clone());
            let rollback_to = releases
                .into_iter()
                .filter(|r| Some(&r.image_tag) != live_tag.as_ref())
                .take(ROLLBACK_CHOICES as usize)
                .collect();
            let paused = self
                .read_model
                .holds
                .of(&prod.name)
                .paused
                .into_iter()
                .find(|p| p.service == service.name);
            let shas: Vec<String> = commits.iter().map(|c| c.sha.clone()).collect();
            let runs = self
                .store
                .runs_of(&service.name, &shas)
                .await
                .map_err(unavailable)?;
            services.push(ServicePipeline {
                paused,
                rollback_to,
                runs,
                service: service.name.clone(),
                default_branch: service.default_branch.clone(),
                repo_url: service.repo_url.clone(),
                live: detail
                    .entries
                    .iter()
                    .find(|e| e.service == service.name)
                    .and_then(|e| e.live.clone()),
                deployed,
                commits,
            });
        }
        Ok(ProdPipeline {
            freshness: detail.freshness,
            environment: prod.name.clone(),
            services,
            auto_deploy: self.config.releases.auto_deploy_prod,
            image_set: self.image_set.summary(),
            marker_problems: self
                .store
                .marker_problems(
                    crate::clock::unix_now() - MARKER_PROBLEMS_FOR_SECS,
                    MARKER_PROBLEMS_SHOWN,
                )
                .await
                .map_err(unavailable)?,
        })
    }

    async fn release_figures(
        &self,
        days: u32,
        service: Option<String>,
    ) -> Result<ReleaseFigures, BerthError> {
        if !RANGES.contains(&days) {
            return Err(BerthError::Invalid(format!(
                "the range is one of {RANGES:?} days, not {days}"
            )));
        }
        let service = service.filter(|s| !s.is_empty());
        if let Some(name) = &service {
            if !self.config.services.iter().any(|s| &s.name == name) {
                return Err(BerthError::NotFound(format!(
                    "`{}` is not a configured service",
                    name.chars().take(64).collect::<String>()
                )));
            }
        }
        Ok(self.index.figures(days, service.as_deref(), unix_now()))
    }
}
