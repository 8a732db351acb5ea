//! The live half of every page: for each (environment, service) cell and
//! each sandbox, what its cluster runs and how that differs from git.
//! Made once per change of either side, never per request, and diffed so
//! open pages receive only what changed.

mod index;
pub(crate) mod status;

use std::collections::HashMap;

use app::model::{
    CellUpdate, ClusterStatus, EnvironmentDetail, EnvironmentKind, Freshness, LiveStatus,
    LiveUpdate, Overview, SandboxLive, SandboxSummary, SandboxUpdate,
};

use super::BuiltBranches;
use crate::{
    cluster::{ClusterState, Live},
    config::Config,
};
use index::ClusterIndex;
use status::{Expect, Facts};

#[derive(Debug, Default, PartialEq)]
pub struct LiveView {
    pub clusters: Vec<ClusterStatus>,
    cells: HashMap<(String, String), LiveStatus>,
    sandboxes: HashMap<String, SandboxLive>,
}

/// A cluster's state in a few words fit for any reader: the full error,
/// which may name internal addresses, is in Berth's log.
pub fn cluster_status(name: &str, state: &ClusterState) -> ClusterStatus {
    let (word, since, reason) = match state {
        ClusterState::Connecting => ("connecting", None, None),
        ClusterState::Live => ("live", None, None),
        ClusterState::Stale { since, error } => ("stale", Some(*since), Some(public_reason(error))),
        ClusterState::Unusable { .. } => (
            "unusable",
            None,
            Some("Berth cannot use its kubeconfig for this cluster".to_string()),
        ),
    };
    ClusterStatus {
        name: name.to_string(),
        state: word.into(),
        since,
        reason,
    }
}

fn public_reason(error: &str) -> String {
    let lower = error.to_lowercase();
    let reason = if lower.contains("401") || lower.contains("unauthorized") {
        "the API server refused Berth's credentials"
    } else if lower.contains("403") || lower.contains("forbidden") {
        "Berth may not watch these resources (see deploy/rbac.yaml)"
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "the API server did not answer in time"
    } else if lower.contains("connect") || lower.contains("dns") || lower.contains("refused") {
        "the API server cannot be reached"
    } else {
        "the watch failed"
    };
    reason.into()
}

/// Which cluster index serves an environment or the sandboxes.
fn index_of<'a>(
    indexes: &'a [ClusterIndex],
    cluster: Option<&crate::config::ClusterConfig>,
) -> Option<&'a ClusterIndex> {
    let name = &cluster?.name;
    indexes.iter().find(|i| &i.name == name)
}

/// While a cluster has not been read yet (or cannot be), nothing is known
/// about its Applications; that is not the same as them missing.
fn unknown(index: &ClusterIndex, application: &str) -> LiveStatus {
    LiveStatus {
        cluster: index.name.clone(),
        application: application.to_string(),
        sync: "Unknown".into(),
        health: "Unknown".into(),
        ..LiveStatus::default()
    }
}

fn facts<'a>(index: &'a ClusterIndex, name: &'a str) -> Facts<'a> {
    Facts {
        cluster: &index.name,
        name,
        application: index.applications.get(name).map(|a| a.as_ref()),
        workloads: index.workloads.get(name),
        stale_since: match index.state {
            ClusterState::Stale { since, .. } => Some(since),
            _ => None,
        },
    }
}

fn known(index: &ClusterIndex) -> bool {
    matches!(index.state, ClusterState::Live | ClusterState::Stale { .. })
}

impl LiveView {
    /// `overview` is git's side (which branch each cell should run);
    /// `sandboxes` every sandbox by name, with when its file was committed.
    pub fn build(
        config: &Config,
        live: &Live,
        overview: &Overview,
        sandboxes: &[(String, Option<i64>)],
        built: &BuiltBranches,
    ) -> LiveView {
        let indexes: Vec<ClusterIndex> = live
            .clusters
            .iter()
            .filter_map(|c| {
                let cluster = config.clusters.iter().find(|k| k.name == c.name)?;
                Some(ClusterIndex::build(c, cluster))
            })
            .collect();
        let mut view = LiveView {
            clusters: indexes
                .iter()
                .map(|i| cluster_status(&i.name, &i.state))
                .collect(),
            ..LiveView::default()
        };
        // Looked up once per cell: a scan of the service list each time
        // made a remake with 1,250 services take 50 ms.
        let images: HashMap<&str, Option<&str>> = config
            .services
            .iter()
            .map(|s| (s.name.as_str(), s.image.as_deref()))
            .collect();
        for env in &config.environments {
            let Some(index) = index_of(&indexes, config.cluster_of(env)) else {
                continue;
            };
            for row in &overview.rows {
                let Some(cell) = row.cells.iter().find(|c| c.environment == env.name) else {
                    continue;
                };
                let name = config.application_name(env, &row.service);
                let facts = facts(index, &name);
                if cell.branch.is_none() && facts.application.is_none() {
                    continue;
                }
                let expect = Expect {
                    branch: cell.branch.as_deref(),
                    image: images.get(row.service.as_str()).copied().flatten(),
                };
                let mut live = match known(index) {
                    true => status::status(&facts, &expect),
                    false => unknown(index, &name),
                };
                // Dev and Stg follow their branches' builds; prod follows
                // the default branch's. An image of the branch already
                // running (built before Berth heard of builds) is no wait.
                let follows = env.kind != EnvironmentKind::Prod;
                if let Some(branch) = cell.branch.as_deref().filter(|_| follows) {
                    if built.waiting(&row.service, branch)
                        && !status::runs_branch(branch, &live.images)
                    {
                        live.drift
                            .insert(0, format!("waiting for the first build of `{branch}`"));
                    }
                }
                view.cells
                    .insert((env.name.clone(), row.service.clone()), live);
            }
        }
        if let Some(index) = index_of(&indexes, config.sandbox_cluster()) {
            for (sandbox, committed) in sandboxes {
                let name = config.sandbox_application_name(sandbox);
                let facts = facts(index, &name);
                let expect = Expect {
                    branch: None,
                    image: None,
                };
                let mut live = match known(index) {
                    true => status::status(&facts, &expect),
                    false => unknown(index, &name),
                };
                // A sandbox has no branch: "not deployed by the file" does
                // not apply, a missing Application does.
                live.drift
                    .retain(|d| !d.starts_with("Argo CD still runs it"));
                if known(index) && !live.found {
                    live.drift.push(format!(
                        "Argo CD has no Application `{name}` in cluster `{}` yet",
                        index.name
                    ));
                }
                let chain = status::chain(*committed, &live, &facts);
                view.sandboxes.insert(
                    sandbox.clone(),
                    SandboxLive {
                        status: live,
                        chain,
                    },
                );
            }
        }
        view
    }

    pub fn cell(&self, environment: &str, service: &str) -> Option<LiveStatus> {
        self.cells
            .get(&(environment.to_string(), service.to_string()))
            .cloned()
    }

    pub fn sandbox(&self, name: &str) -> Option<SandboxLive> {
        self.sandboxes.get(name).cloned()
    }

    /// What changed from `self` to `next`, for open pages.
    pub fn diff(&self, next: &LiveView) -> LiveUpdate {
        let mut update = LiveUpdate::default();
        if self.clusters != next.clusters {
            update.clusters = next.clusters.clone();
        }
        for (key, live) in &next.cells {
            if self.cells.get(key) != Some(live) {
                update.cells.push(CellUpdate {
                    environment: key.0.clone(),
                    service: key.1.clone(),
                    live: Some(live.clone()),
                });
            }
        }
        for key in self.cells.keys().filter(|k| !next.cells.contains_key(*k)) {
            update.cells.push(CellUpdate {
                environment: key.0.clone(),
                service: key.1.clone(),
                live: None,
            });
        }
        for (name, live) in &next.sandboxes {
            if self.sandboxes.get(name) != Some(live) {
                update.sandboxes.push(SandboxUpdate {
                    name: name.clone(),
                    live: Some(live.clone()),
                });
            }
        }
        for name in self
            .sandboxes
            .keys()
            .filter(|k| !next.sandboxes.contains_key(*k))
        {
            update.sandboxes.push(SandboxUpdate {
                name: name.clone(),
                live: None,
            });
        }
        update
    }

    pub fn freshness(&self, freshness: &mut Freshness) {
        freshness.clusters = self.clusters.clone();
    }

    pub fn overview(&self, overview: &mut Overview) {
        self.freshness(&mut overview.freshness);
        for row in &mut overview.rows {
            for cell in &mut row.cells {
                cell.live = self.cell(&cell.environment, &row.service);
            }
        }
        for env in &mut overview.environments {
            env.live_problems = self
                .cells
                .iter()
                .filter(|((e, _), live)| e == &env.name && live.is_problem())
                .count();
        }
        overview.sandboxes.live_problems = self
            .sandboxes
            .values()
            .filter(|s| s.status.is_problem())
            .count();
        for sandbox in &mut overview.sandboxes.newest {
            sandbox.live = self.sandbox(&sandbox.name);
        }
    }

    pub fn environment(&self, detail: &mut EnvironmentDetail) {
        self.freshness(&mut detail.freshness);
        let env = detail.summary.name.clone();
        for entry in &mut detail.entries {
            entry.live = self.cell(&env, &entry.service);
        }
        detail.summary.live_problems = detail
            .entries
            .iter()
            .filter(|e| e.live.as_ref().is_some_and(LiveStatus::is_problem))
            .count();
    }

    pub fn sandboxes(&self, sandboxes: &mut [SandboxSummary]) {
        for sandbox in sandboxes {
            sandbox.live = self.sandbox(&sandbox.name);
        }
    }
}
