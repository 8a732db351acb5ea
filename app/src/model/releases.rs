//! Builds, the prod pipeline and release records, as pages and the JSON
//! API show them.

use serde::{Deserialize, Serialize};

/// Where a default-branch commit is on its way to prod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Pushed,
    Building,
    Passed,
    /// Its build failed.
    Failed,
    /// A newer commit started deploying before this one got there.
    Superseded,
    Deploying,
    Deployed,
    /// Its deploy went Degraded or did not finish in time.
    DeployFailed,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Stage::Pushed,
        Stage::Building,
        Stage::Passed,
        Stage::Failed,
        Stage::Superseded,
        Stage::Deploying,
        Stage::Deployed,
        Stage::DeployFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Pushed => "pushed",
            Stage::Building => "building",
            Stage::Passed => "passed",
            Stage::Failed => "failed",
            Stage::Superseded => "superseded",
            Stage::Deploying => "deploying",
            Stage::Deployed => "deployed",
            Stage::DeployFailed => "deploy_failed",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What CI said about one image of one commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildResult {
    Success,
    Failure,
}

impl BuildResult {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildResult::Success => "success",
            BuildResult::Failure => "failure",
        }
    }

    pub fn parse(text: &str) -> Option<BuildResult> {
        match text {
            "success" => Some(BuildResult::Success),
            "failure" => Some(BuildResult::Failure),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Build {
    pub service: String,
    pub branch: String,
    pub sha: String,
    pub image_tag: String,
    pub result: BuildResult,
    pub finished_at: i64,
    /// Who reported it: the API token's user, or `github`.
    pub reported_by: String,
}

/// A default-branch commit on the prod pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineCommit {
    pub service: String,
    pub sha: String,
    /// Its place in the default branch's first-parent history.
    pub position: i64,
    pub author: String,
    pub message: String,
    pub committed_at: i64,
    pub pushed_at: i64,
    pub stage: Stage,
    /// When it reached `stage`.
    pub stage_at: i64,
    pub built_at: Option<i64>,
    pub deploy_started_at: Option<i64>,
    /// When its deploy ended (deployed or failed).
    pub deploy_ended_at: Option<i64>,
    pub image_tag: Option<String>,
    /// Why it stopped where it is, in words, when that is not obvious.
    pub note: String,
}

/// How a release (one change of what runs) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseOutcome {
    Deploying,
    Deployed,
    Failed,
    Superseded,
}

impl ReleaseOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseOutcome::Deploying => "deploying",
            ReleaseOutcome::Deployed => "deployed",
            ReleaseOutcome::Failed => "failed",
            ReleaseOutcome::Superseded => "superseded",
        }
    }

    pub fn parse(text: &str) -> Option<ReleaseOutcome> {
        [
            ReleaseOutcome::Deploying,
            ReleaseOutcome::Deployed,
            ReleaseOutcome::Failed,
            ReleaseOutcome::Superseded,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

/// One change of the image an environment runs for a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    pub id: i64,
    pub service: String,
    pub environment: String,
    pub sha: String,
    pub image_tag: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub outcome: ReleaseOutcome,
    /// `build` (Berth released a green build), `person` or `backfill`.
    pub trigger: String,
    /// The person or build behind it.
    pub triggered_by: String,
    pub committed_at: Option<i64>,
    /// Commit time to deployed, in seconds.
    pub lead_time_secs: Option<i64>,
}

/// The prod page: each service's recent default-branch commits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProdPipeline {
    pub freshness: crate::model::Freshness,
    /// The prod environment's name, for live cells.
    pub environment: String,
    pub services: Vec<ServicePipeline>,
    /// Whether green builds go to prod by themselves.
    pub auto_deploy: bool,
    /// Deploy markers not sent, newest first.
    pub marker_problems: Vec<MarkerProblem>,
    /// Build report to image set on the Dev and Stg Applications that
    /// follow its branch, over the recent ones; None before the first.
    pub image_set: Option<SetLatency>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetLatency {
    pub count: u32,
    pub p50_ms: u32,
    pub p99_ms: u32,
    pub max_ms: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicePipeline {
    pub service: String,
    pub default_branch: String,
    /// Web address of the source repository, for commit links.
    pub repo_url: Option<String>,
    /// What the cluster runs now.
    pub live: Option<crate::model::LiveStatus>,
    /// The newest commit deployed by Berth.
    pub deployed: Option<PipelineCommit>,
    /// Newest first.
    pub commits: Vec<PipelineCommit>,
    /// Automation paused (after a rollback): newer green builds wait.
    #[serde(default)]
    pub paused: Option<crate::model::Pause>,
    /// Releases deployed before, one per image tag, newest first, not
    /// the one live now: where a rollback can go.
    #[serde(default)]
    pub rollback_to: Vec<Release>,
    /// The CI runs that built the commits shown, where CI said.
    #[serde(default)]
    pub runs: Vec<BuildRun>,
}

/// The CI run that built a commit: its page, and when it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BuildRun {
    pub sha: String,
    pub url: Option<String>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// A deploy marker that could not be sent (yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerProblem {
    /// The configured sink's name.
    pub sink: String,
    pub service: String,
    pub image_tag: String,
    pub attempts: u32,
    pub error: String,
    /// When it is tried again; `None` once given up.
    pub next_at: Option<i64>,
    pub created_at: i64,
}
