//! A build report: checked, stored once per (service, sha, image tag), and
//! when it is new and green, released in a task of its own.

use std::sync::Arc;

use app::{
    error::BerthError,
    model::{AuditAction, AuditOutcome, Build, BuildResult, BuildRun},
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
    /// When the CI run started (unix seconds or RFC 3339), for how long
    /// the build took on `/prod`.
    #[serde(default)]
    pub started_at: Option<When>,
    /// The CI run's page, linked from `/prod`.
    #[serde(default)]
    pub url: Option<String>,
}

/// A link to a CI run as Berth shows it: http(s), one visible word, at
/// most 500 bytes; anything else is no link.
pub fn run_url(text: &str) -> Option<String> {
    let text = text.trim();
    let web = text.starts_with("https://") || text.starts_with("http://");
    let plain = !text
        .chars()
        .any(|c| crate::gitops::names::is_hidden(c) || matches!(c, '"' | '<' | '>' | '\\'));
    (web && plain && text.len() <= 500).then(|| text.to_string())
}

impl When {
    fn seconds(&self) -> Result<i64, String> {
        match self {
            When::Unix(at) => Ok(*at),
            When::Text(text) => text
                .parse::<k8s_openapi::jiff::Timestamp>()
                .map(|t| t.as_second())
                .map_err(|_| "times must be unix seconds or RFC 3339".to_string()),
        }
    }
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

/// Longer branch names are refused (GitHub's webhooks cut them here too).
const MAX_BRANCH_BYTES: usize = 255;

/// A day of clock difference between CI and Berth is tolerated.
const MAX_FUTURE_SECS: i64 = 86_400;

impl BuildReport {
    /// The build and the CI run it tells of (if it says anything of it),
    /// or every problem with the report in one sentence.
    pub fn check(
        self,
        releases: &Releases,
        reported_by: &str,
    ) -> Result<(Build, Option<BuildRun>), BerthError> {
        let mut problems = Vec::new();
        let service = self.service.trim();
        if !releases.config.services.iter().any(|s| s.name == service) {
            problems.push(format!(
                "`{}` is not a configured service",
                service.chars().take(64).collect::<String>()
            ));
        }
        if self.branch.len() > MAX_BRANCH_BYTES {
            problems.push(format!(
                "the branch name is longer than {MAX_BRANCH_BYTES} bytes"
            ));
        } else if let Err(why) = check_branch_name(&self.branch) {
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
        let finished_at = self.finished_at.as_ref().map_or(Ok(now), When::seconds);
        match &finished_at {
            Ok(at) if (0..=now + MAX_FUTURE_SECS).contains(at) => {}
            Ok(_) => problems.push("`finished_at` is in the future".into()),
            Err(why) => problems.push(format!("`finished_at`: {why}")),
        }
        // A start after the finish is a CI clock ahead of Berth's (the
        // finish is clamped to now): the run's start is only shown, so it is
        // clamped too rather than costing the build.
        let started_at = match self.started_at.as_ref().map(When::seconds).transpose() {
            Err(why) => {
                problems.push(format!("`started_at`: {why}"));
                None
            }
            Ok(Some(start)) if start < 0 => {
                problems.push("`started_at` must be a time after 1970".into());
                None
            }
            Ok(start) => start,
        };
        let url = self.url.as_deref().map(run_url);
        if url.as_ref().is_some_and(Option::is_none) {
            problems.push("`url` must be an http(s) address of at most 500 bytes".into());
        }
        if !problems.is_empty() {
            return Err(BerthError::Invalid(problems.join("; ")));
        }
        let url = url.flatten();
        let run = (url.is_some() || started_at.is_some()).then(|| BuildRun {
            sha: sha.clone(),
            url,
            started_at,
            finished_at: None,
        });
        let build = Build {
            service: service.to_string(),
            branch: self.branch,
            sha,
            image_tag: self.image_tag,
            result: self.result,
            // A CI clock ahead of Berth's must not make its build "newer"
            // than builds reported after it.
            finished_at: finished_at.map_or(now, |at| at.min(now)),
            reported_by: reported_by.to_string(),
        };
        Ok((build, run))
    }
}

impl Releases {
    /// Two commits under one tag (seven hex digits do collide): the second
    /// image would overwrite the first in the registry, and setting the tag
    /// again would change nothing in the cluster.
    async fn tag_refused(&self, build: &Build, other: &str, via: &str) -> BerthError {
        let why = format!(
            "the image tag {} of {} already names commit {}; use a tag that names one commit (a longer sha)",
            build.image_tag,
            build.service,
            short(other)
        );
        let row = Audited {
            actor: &build.reported_by,
            via,
            action: AuditAction::ReportBuild,
            target: format!("build/{}@{}", build.service, short(&build.sha)),
            detail: build.image_tag.clone(),
        };
        self.audit(row, AuditOutcome::Refused, &why).await;
        BerthError::Conflict(why)
    }

    /// Stores a checked build and, when it is new news and green, starts
    /// its releases. `via` says how it came: `token` or `github`.
    pub async fn report_build(
        self: &Arc<Self>,
        build: Build,
        run: Option<BuildRun>,
        via: &str,
    ) -> Result<Reported, BerthError> {
        let received = std::time::Instant::now();
        let stored = self
            .store
            .record_build(&build, unix_now())
            .await
            .map_err(|e| BerthError::Unavailable(e.to_string()))?;
        let (stored_words, outcome) = match &stored {
            BuildStored::New => ("new", AuditOutcome::Committed),
            BuildStored::Changed => ("changed", AuditOutcome::Committed),
            BuildStored::Unchanged => ("unchanged", AuditOutcome::Unchanged),
            BuildStored::TagTaken(other) => return Err(self.tag_refused(&build, other, via).await),
        };
        let green = build.result == BuildResult::Success;
        let default_branch = self
            .config
            .services
            .iter()
            .find(|s| s.name == build.service)
            .is_some_and(|s| s.default_branch == build.branch);
        // The run is shown on /prod, which lists default-branch commits.
        if let Some(run) = run.filter(|_| default_branch) {
            let run = BuildRun {
                started_at: run.started_at.map(|at| at.min(build.finished_at)),
                finished_at: Some(build.finished_at),
                ..run
            };
            if let Err(err) = self
                .store
                .record_run(&build.service, &run, unix_now())
                .await
            {
                tracing::warn!(%err, "cannot record a build's run");
            }
        }
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
                    releases
                        .update_followers(&build, environments, received)
                        .await;
                }
                if default_branch {
                    releases.on_default_branch_build(&build).await;
                }
            });
        }
        Ok(reported)
    }
}
