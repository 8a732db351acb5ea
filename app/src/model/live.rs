//! What the clusters say runs, next to what git says should: the live half
//! of a grid cell or a sandbox, and the clusters' own state.

use serde::{Deserialize, Serialize};

/// One Argo CD Application as Berth last saw it, with what is wrong with
/// it in words.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub cluster: String,
    pub application: String,
    /// False when the cluster has no such Application.
    pub found: bool,
    /// `Synced`, `OutOfSync` or `Unknown`, as Argo CD says.
    pub sync: String,
    /// `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`.
    pub health: String,
    /// Image tags actually running.
    pub images: Vec<String>,
    /// The git revision Argo CD last synced.
    pub revision: Option<String>,
    pub synced_at: Option<i64>,
    /// Each thing that differs from what git says, as a sentence.
    pub drift: Vec<String>,
    /// Set while the cluster is away: this is the state as of then.
    pub stale_since: Option<i64>,
}

impl LiveStatus {
    /// Something an SRE should look at (not merely on its way).
    pub fn is_problem(&self) -> bool {
        !self.drift.is_empty()
    }

    /// The colour of the cell: `ok`, `progressing`, `problem`, `stale`, or
    /// `unknown` while its cluster has not been read.
    pub fn tone(&self) -> &'static str {
        if !self.found && self.drift.is_empty() {
            "unknown"
        } else if self.stale_since.is_some() {
            "stale"
        } else if self.is_problem() {
            "problem"
        } else if self.health == "Healthy" && self.sync == "Synced" {
            "ok"
        } else {
            "progressing"
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepState {
    Done,
    Waiting,
    Failed,
}

/// One step from a sandbox file to a sandbox someone can use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainStep {
    pub label: String,
    pub state: StepState,
    pub at: Option<i64>,
    /// Why it failed, in the cluster's own words (`ImagePullBackOff: …`),
    /// or what it produced (the Ingress host).
    pub detail: Option<String>,
}

/// A sandbox's live half: its Application and how far it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxLive {
    pub status: LiveStatus,
    pub chain: Vec<ChainStep>,
}

impl SandboxLive {
    /// Every step done: the developer can use it.
    pub fn ready(&self) -> bool {
        self.chain.iter().all(|s| s.state == StepState::Done)
    }
}

/// Whether Berth currently hears from a cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterStatus {
    pub name: String,
    /// `connecting`, `live`, `stale` or `unusable`.
    pub state: String,
    /// When it went stale.
    pub since: Option<i64>,
    /// Why, in a few words; details are in Berth's log.
    pub reason: Option<String>,
}

/// What the server pushes to open pages. Cells and sandboxes carry only
/// what changed; `git` is set when the repositories moved, and pages then
/// load their data again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveUpdate {
    /// The live state's version after this update. The first event on a
    /// stream carries only this, so a page can tell whether it missed
    /// something between being rendered and connecting.
    pub version: u64,
    pub clusters: Vec<ClusterStatus>,
    pub cells: Vec<CellUpdate>,
    pub sandboxes: Vec<SandboxUpdate>,
    pub git: bool,
    /// The page missed updates: it must forget what was pushed and load
    /// its data again.
    #[serde(default)]
    pub resync: bool,
    /// A build, deploy or release changed: pipeline and release pages
    /// load their data again.
    #[serde(default)]
    pub releases: bool,
}

impl LiveUpdate {
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
            && self.cells.is_empty()
            && self.sandboxes.is_empty()
            && !self.git
            && !self.resync
            && !self.releases
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellUpdate {
    pub environment: String,
    pub service: String,
    pub live: Option<LiveStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxUpdate {
    pub name: String,
    pub live: Option<SandboxLive>,
}
