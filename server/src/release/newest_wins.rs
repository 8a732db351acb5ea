//! Prod's one rule, newest wins: a green build of a default-branch commit
//! deploys only if that commit is newer, in the branch's first-parent
//! history, than every commit of the service already deployed or
//! deploying. Starting it supersedes older commits still in flight; an
//! older commit never replaces a newer one, and a failed build releases
//! nothing and blocks nothing after it.
//!
//! Pure: the caller keeps the entries and applies what is decided.

pub use app::model::Stage;

/// A deploy of a commit in this stage was started at some point; later
/// ones must be newer.
fn started(stage: Stage) -> bool {
    matches!(
        stage,
        Stage::Deploying | Stage::Deployed | Stage::DeployFailed
    )
}

/// Still on its way: a newer deploy makes it superseded.
fn in_flight(stage: Stage) -> bool {
    matches!(
        stage,
        Stage::Pushed | Stage::Building | Stage::Passed | Stage::Deploying
    )
}

/// One commit of a service's default branch. `position` is its place in
/// the branch's first-parent history: larger is newer.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<K> {
    pub key: K,
    pub position: u64,
    pub stage: Stage,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision<K> {
    /// Patch prod to this commit's image; the listed older commits are
    /// superseded.
    Deploy { supersede: Vec<K> },
    /// Not deployed, and why in words for the pipeline page.
    Hold(Hold),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// A newer commit (at `position`) is already deployed or deploying.
    Older { newer: u64 },
    /// This commit's deploy was already started.
    AlreadyStarted,
}

impl Hold {
    pub fn words(self) -> &'static str {
        match self {
            Hold::Older { .. } => "a newer commit is already deployed or deploying",
            Hold::AlreadyStarted => "this commit was already deployed",
        }
    }
}

/// What to do when the build of the commit at `position` passed.
pub fn on_green_build<K: Clone>(entries: &[Entry<K>], position: u64) -> Decision<K> {
    let newest_started = entries
        .iter()
        .filter(|e| started(e.stage))
        .map(|e| e.position)
        .max();
    match newest_started {
        Some(newest) if newest > position => return Decision::Hold(Hold::Older { newer: newest }),
        Some(newest) if newest == position => return Decision::Hold(Hold::AlreadyStarted),
        _ => {}
    }
    Decision::Deploy {
        supersede: entries
            .iter()
            .filter(|e| e.position < position && in_flight(e.stage))
            .map(|e| e.key.clone())
            .collect(),
    }
}

/// The stage a finished build gives its commit: a failed build is
/// `Failed`, a green one `Passed` until `on_green_build` decides. A
/// commit a newer one overtook stays superseded when its build passes,
/// but says so when it failed (main was red there); a commit whose deploy
/// started keeps its stage.
pub fn after_build(stage: Stage, green: bool) -> Stage {
    match stage {
        Stage::Pushed | Stage::Building | Stage::Passed | Stage::Failed => {
            if green {
                Stage::Passed
            } else {
                Stage::Failed
            }
        }
        Stage::Superseded if !green => Stage::Failed,
        other => other,
    }
}

/// The stage a deploy outcome gives: only a commit still deploying takes
/// it (a superseded deploy's late outcome is about a tag no longer set).
pub fn after_deploy(stage: Stage, healthy: bool) -> Stage {
    match (stage, healthy) {
        (Stage::Deploying, true) => Stage::Deployed,
        (Stage::Deploying, false) => Stage::DeployFailed,
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests;
