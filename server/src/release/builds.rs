//! A build report: checked, stored once per (service, sha, image tag), and
//! when it is new and green, released in a task of its own.

use std::sync::Arc;

use app::{
    error::BerthError,
    model::{AuditAction, AuditOutcome, Build, BuildResult},
};
use serde::{Deserialize, Serialize};

use super::{github::check_sha, short, Audited, Releases};
use crate::{
    clock::unix_now, cluster::image_patch::validate_tag, gitops::names::check_branch_name,
    store::BuildStored,
};

/// `POST /api/v1/builds`, as CI sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildReport {
    pub service: String,
    pub branch: String,
    pub sha: String,
    pub image_tag: String,
    pub result: BuildResult,
    /// Unix seconds or RFC 3339; now when left out.
    #[serde(default)]
    pub finished_at: Option<When>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum When {
    Unix(i64),
    Text(String),
}

/// What Berth did with a report.
#[derive(Debug, Clone, Serialize)]
pub struct Reported {
    /// `new`, `changed` (a re-run's newer result) or `unchanged`.
    pub stored: &'static str,
    /// Environments that follow this branch and get the image.
    pub environments: Vec<String>,
    /// Whether the prod pipeline takes it (a green default-branch build).
    pub prod: bool,
}

/// A day of clock difference between CI and Berth is tolerated.
const MAX_FUTURE_SECS: i64 = 86_400;

impl BuildReport {
    /// The build, or every problem with the report in one sentence.
    pub fn check(self, releases: &Releases, reported_by: &str) -> Result<Build, BerthError> {
        let mut problems = Vec::new();
        let service = self.service.trim();
        if !releases.config.services.iter().any(|s| s.name == service) {
            problems.push(format!(
                "`{}` is not a configured service",
                service.chars().take(64).collect::<String>()
            ));
        }
        if let Err(why) = check_branch_name(&self.branch) {
            problems.push(why);
        }
        let sha = self.sha.trim().to_ascii_lowercase();
        if let Err(why) = check_sha(self.sha.trim()) {
            problems.push(why);
        }
        if let Err(why) = validate_tag(&self.image_tag) {
            problems.push(why.to_string());
        }
        let now = unix_now();
        let finished_at = match self.finished_at {
            None => Ok(now),
            Some(When::Unix(at)) => Ok(at),
            Some(When::Text(text)) => text
                .parse::<k8s_openapi::jiff::Timestamp>()
                .map(|t| t.as_second())
                .map_err(|_| "`finished_at` must be unix seconds or an RFC 3339 time".to_string()),
        };
        match &finished_at {
            Ok(at) if (0..=now + MAX_FUTURE_SECS).contains(at) => {}
            Ok(_) => problems.push("`finished_at` is in the future".into()),
            Err(why) => problems.push(why.clone()),
        }
        if !problems.is_empty() {
            return Err(BerthError::Invalid(problems.join("; ")));
        }
        Ok(Build {
            service: service.to_string(),
            branch: self.branch,
            sha,
            image_tag: self.image_tag,
            result: self.result,
            finished_at: finished_at.unwrap_or(now),
            reported_by: reported_by.to_string(),
        })
    }
}

impl Releases {
    /// Stores a checked build and, when it is new news and green, starts
    /// its releases. `via` says how it came: `token` or `github`.
    pub async fn report_build(
        self: &Arc<Self>,
        build: Build,
        via: &str,
    ) -> Result<Reported, BerthError> {
        let stored = self
            .store
            .record_build(&build, unix_now())
            .await
            .map_err(|e| BerthError::Unavailable(e.to_string()))?;
        let (stored_words, outcome) = match stored {
            BuildStored::New => ("new", AuditOutcome::Committed),
            BuildStored::Changed => ("changed", AuditOutcome::Committed),
            BuildStored::Unchanged => ("unchanged", AuditOutcome::Unchanged),
        };
        let green = build.result == BuildResult::Success;
        let default_branch = self
            .config
            .services
            .iter()
            .find(|s| s.name == build.service)
            .is_some_and(|s| s.default_branch == build.branch);
        let environments = if green {
            self.following(&build.service, &build.branch)
        } else {
            Vec::new()
        };
        let reported = Reported {
            stored: stored_words,
            environments: environments.iter().map(|(env, _, _)| env.clone()).collect(),
            prod: default_branch && green && self.config.releases.auto_deploy_prod,
        };
        let target = format!("build/{}@{}", build.service, short(&build.sha));
        let detail = format!(
            "{} {} on {}",
            build.image_tag,
            build.result.as_str(),
            build.branch
        );
        let row = Audited {
            actor: &build.reported_by,
            via,
            action: AuditAction::ReportBuild,
            target,
            detail,
        };
        self.audit(row, outcome, "").await;
        // A cell waiting for this branch's first build stops waiting.
        if green && self.read_model.built.record(&build.service, &build.branch) {
            self.live.changed.notify_one();
        }
        if stored != BuildStored::Unchanged {
            self.announce();
            let releases = Arc::clone(self);
            tokio::spawn(async move {
                if green {
                    releases.update_followers(&build, environments).await;
                }
                if default_branch {
                    releases.on_default_branch_build(&build).await;
                }
            });
        }
        Ok(reported)
    }
}
