//! The types that cross the wire between the server and the browser.

use serde::{Deserialize, Serialize};

mod figures;
mod live;
mod releases;
mod sharing;
mod writes;
pub use figures::*;
pub use live::*;
pub use releases::*;
pub use sharing::*;
pub use writes::*;

/// What every page shows at the top: how fresh the data is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Freshness {
    /// Server time when the page data was made, so ages render the same on
    /// both sides of hydration.
    pub now: i64,
    pub banner: Option<String>,
    pub sources: Vec<Source>,
    pub problem_count: usize,
    /// The configured clusters; empty when live state is not configured.
    pub clusters: Vec<ClusterStatus>,
    /// Which live state the page shows; an open page compares it with the
    /// server's when it starts following changes.
    pub live_version: u64,
}

/// One GitOps repository as last read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub repository: String,
    pub branch: String,
    pub commit: String,
    pub fetched_at: i64,
    /// Set when the latest refresh failed; the data shown is then older.
    pub error: Option<String>,
}

/// A commit that changed something, as indexed from git history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitSummary {
    pub commit: String,
    pub author: String,
    pub email: String,
    pub at: i64,
    pub subject: String,
}

/// Something wrong in a GitOps file, shown next to everything that works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileProblem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// What an environment is for; `kind = "stg"` in berth.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentKind {
    Prod,
    Stg,
    Dev,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentSummary {
    pub name: String,
    pub title: String,
    pub kind: EnvironmentKind,
    pub file: Option<String>,
    pub deployed: usize,
    /// Services running something else than their default branch.
    pub off_default: usize,
    /// Keys of the file that name no configured service.
    pub unknown: Vec<String>,
    pub last_change: Option<CommitSummary>,
    pub problems: Vec<FileProblem>,
    /// Cells of this environment whose live state is a problem.
    pub live_problems: usize,
    /// Locks, freezes and broken glass: what stops a write here now.
    #[serde(default)]
    pub holds: EnvironmentHolds,
}

/// One service in one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub environment: String,
    pub branch: Option<String>,
    pub branch_url: Option<String>,
    pub is_default: bool,
    pub last_change: Option<CommitSummary>,
    /// None when no cluster is configured for the environment.
    pub live: Option<LiveStatus>,
    /// What holds this cell now ("locked by quinn: release tests",
    /// "frozen: weekend"), so a green cell is never read as "go".
    #[serde(default)]
    pub held: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRow {
    pub service: String,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxLane {
    pub count: usize,
    pub owners: usize,
    /// Sandboxes whose live state is a problem.
    pub live_problems: usize,
    pub newest: Vec<SandboxSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub freshness: Freshness,
    pub environments: Vec<EnvironmentSummary>,
    pub sandboxes: SandboxLane,
    pub rows: Vec<ServiceRow>,
    pub total_services: usize,
    pub problems: Vec<FileProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentEntry {
    pub service: String,
    pub branch: String,
    pub branch_url: Option<String>,
    /// False when the key names no configured service.
    pub known: bool,
    pub is_default: bool,
    pub last_change: Option<CommitSummary>,
    pub live: Option<LiveStatus>,
}

/// One line of an environment file's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvHistoryEntry {
    pub change: CommitSummary,
    pub service: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentDetail {
    pub freshness: Freshness,
    pub summary: EnvironmentSummary,
    pub entries: Vec<EnvironmentEntry>,
    pub not_deployed: Vec<String>,
    pub history: Vec<EnvHistoryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyFingerprint {
    /// Exactly as `ssh-keygen -lf` prints it.
    pub line: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxSummary {
    pub name: String,
    pub owner: Option<String>,
    pub file: String,
    pub url: String,
    pub ssh: String,
    pub keys: Vec<KeyFingerprint>,
    pub created: Option<CommitSummary>,
    pub problems: Vec<FileProblem>,
    /// None when no cluster is configured for sandboxes.
    pub live: Option<SandboxLive>,
    /// Its last day (`2026-12-31`); Berth deletes it the day after.
    #[serde(default)]
    pub expires: Option<String>,
    /// Days until it is deleted, counted where the time zone says: 0 on
    /// its last day.
    #[serde(default)]
    pub days_left: Option<i64>,
    /// Whether its end is near enough to warn about.
    #[serde(default)]
    pub expiring: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxList {
    pub freshness: Freshness,
    pub sandboxes: Vec<SandboxSummary>,
    pub total: usize,
    pub problems: Vec<FileProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxDetail {
    pub freshness: Freshness,
    pub sandbox: SandboxSummary,
    pub history: Vec<CommitSummary>,
}
