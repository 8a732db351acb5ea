//! Turns a snapshot into what the pages and the JSON API show. Pure.

use std::collections::HashSet;

use app::model::*;

use super::snapshot::{EnvironmentState, RepoParts, Sandboxes, Snapshot};
use super::template::{fill_template, shell_quote, url_escape};
use crate::{
    config::{Config, EnvironmentConfig, ServiceConfig},
    gitops::files::{Problem, SandboxFile},
    store::EnvironmentChange,
};

fn problem(p: &Problem) -> FileProblem {
    FileProblem {
        file: p.file.clone(),
        line: p.line,
        message: p.message.clone(),
    }
}

/// Problems one page lists at most. Anyone with push access can commit
/// 25,000 small bad files; listed in full they made the overview 8 MB,
/// too large for the page cache, so every request rendered it again. The
/// freshness bar still counts them all (`Freshness::problem_count`).
pub const MAX_PROBLEMS_PER_PAGE: usize = 50;

/// `first` and then `rest`, in that order, cut to `MAX_PROBLEMS_PER_PAGE`
/// with one last line counting what was left out. `rest` is only counted
/// past the cut, never copied.
fn capped<'a>(
    mut first: Vec<FileProblem>,
    rest: impl Iterator<Item = &'a Problem>,
) -> Vec<FileProblem> {
    let mut more = first.len().saturating_sub(MAX_PROBLEMS_PER_PAGE);
    first.truncate(MAX_PROBLEMS_PER_PAGE);
    for p in rest {
        if first.len() < MAX_PROBLEMS_PER_PAGE {
            first.push(problem(p));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        first.push(FileProblem {
            file: String::new(),
            line: None,
            message: format!("… and {more} more problems"),
        });
    }
    first
}

pub fn freshness(config: &Config, snapshot: &Snapshot, now: i64) -> Freshness {
    let sources = snapshot
        .repos
        .iter()
        .map(|r| Source {
            repository: r.name.clone(),
            branch: r.branch.clone(),
            commit: r.commit.clone(),
            fetched_at: r.fetched_at,
            error: r.error.clone(),
        })
        .collect();
    Freshness {
        now,
        banner: config.banner.clone(),
        sources,
        problem_count: problem_count(config, snapshot),
        clusters: Vec::new(),
        live_version: 0,
    }
}

fn repo_of<'a>(
    config: &Config,
    snapshot: &'a Snapshot,
    env: &EnvironmentConfig,
) -> Option<&'a RepoParts> {
    snapshot.repo(&config.repository(env.repository.as_deref()).name)
}

fn env_data<'a>(
    config: &Config,
    snapshot: &'a Snapshot,
    env: &EnvironmentConfig,
) -> Option<&'a EnvironmentState> {
    repo_of(config, snapshot, env)?.environments.get(&env.name)
}

fn branch_url(config: &Config, service: &ServiceConfig, branch: &str) -> Option<String> {
    let repo_url = service.repo_url.as_deref()?;
    Some(
        config
            .branch_url_template
            .replace("{repo_url}", repo_url.trim_end_matches('/'))
            .replace("{branch}", branch)
            .replace("{service}", &service.name),
    )
}

fn summary(config: &Config, snapshot: &Snapshot, env: &EnvironmentConfig) -> EnvironmentSummary {
    let mut summary = EnvironmentSummary {
        name: env.name.clone(),
        title: env.title(),
        kind: env.kind,
        file: env.file.clone(),
        deployed: 0,
        off_default: 0,
        unknown: Vec::new(),
        last_change: None,
        problems: Vec::new(),
        live_problems: 0,
        holds: Default::default(),
    };
    if env.file.is_none() {
        summary.deployed = config.services.len();
        return summary;
    }
    let Some(EnvironmentState { file, latest }) = env_data(config, snapshot, env) else {
        let repo = config.repository(env.repository.as_deref());
        summary.problems.push(FileProblem {
            file: env.file.clone().unwrap_or_default(),
            line: None,
            message: format!("the repository `{}` has not been read yet", repo.name),
        });
        return summary;
    };
    for entry in &file.entries {
        match config.services.iter().find(|s| s.name == entry.service) {
            Some(service) => {
                summary.deployed += 1;
                if entry.branch != service.default_branch {
                    summary.off_default += 1;
                }
            }
            None => summary.unknown.push(entry.service.clone()),
        }
    }
    summary.last_change = latest.values().max_by_key(|c| c.at).cloned();
    summary.problems = file.problems.iter().map(problem).collect();
    summary
}

fn sandbox_summary(
    config: &Config,
    sandbox: &SandboxFile,
    problems: &[Problem],
    created: Option<&CommitSummary>,
) -> SandboxSummary {
    let values = [
        ("name", sandbox.name.as_str()),
        ("owner", sandbox.owner.as_deref().unwrap_or(&sandbox.name)),
        ("domain", config.sandboxes.domain.as_str()),
    ];
    SandboxSummary {
        name: sandbox.name.clone(),
        owner: sandbox.owner.clone(),
        file: sandbox.file.clone(),
        url: fill_template(&config.sandboxes.url_template, &values, url_escape),
        ssh: fill_template(&config.sandboxes.ssh_command_template, &values, shell_quote),
        keys: sandbox
            .keys
            .iter()
            .map(|k| KeyFingerprint {
                line: k.fingerprint_line.clone(),
            })
            .collect(),
        created: created.cloned(),
        problems: problems.iter().map(problem).collect(),
        live: None,
        expires: sandbox.expires.map(|day| day.to_string()),
        days_left: None,
        expiring: false,
    }
}

/// The sandbox directory as read, if its repository was.
fn sandbox_dir<'a>(config: &Config, snapshot: &'a Snapshot) -> Option<&'a Sandboxes> {
    let repo = config.repository(config.sandboxes.repository.as_deref());
    snapshot.repo(&repo.name).and_then(|r| r.sandboxes.as_ref())
}

/// Every sandbox's name and when its file was committed: all the live view
/// needs, without making each sandbox's page data.
pub fn sandbox_commits(config: &Config, snapshot: &Snapshot) -> Vec<(String, Option<i64>)> {
    sandbox_dir(config, snapshot)
        .map(|dir| {
            dir.sandboxes
                .iter()
                .map(|s| (s.file.name.clone(), s.created.as_ref().map(|c| c.at)))
                .collect()
        })
        .unwrap_or_default()
}

/// Every sandbox, and the directory's own problems (files that cannot be a
/// sandbox), capped for one page.
fn all_sandboxes(config: &Config, snapshot: &Snapshot) -> (Vec<SandboxSummary>, Vec<FileProblem>) {
    let Some(sandboxes) = sandbox_dir(config, snapshot) else {
        return (Vec::new(), Vec::new());
    };
    let list = sandboxes
        .sandboxes
        .iter()
        .map(|s| sandbox_summary(config, &s.file, &s.problems, s.created.as_ref()))
        .collect();
    (list, capped(Vec::new(), sandboxes.problems.iter()))
}

/// The problems of every environment file (each already capped per file),
/// in configuration order.
fn environment_problems(config: &Config, snapshot: &Snapshot) -> Vec<FileProblem> {
    config
        .environments
        .iter()
        .flat_map(|e| summary(config, snapshot, e).problems)
        .collect()
}

/// The sandbox directory's problems, then each sandbox's, by name.
fn sandbox_problems<'a>(
    config: &Config,
    snapshot: &'a Snapshot,
) -> impl Iterator<Item = &'a Problem> {
    sandbox_dir(config, snapshot).into_iter().flat_map(|s| {
        s.problems
            .iter()
            .chain(s.sandboxes.iter().flat_map(|s| &s.problems))
    })
}

/// Every problem in file order, capped for one page.
fn all_problems(config: &Config, snapshot: &Snapshot) -> Vec<FileProblem> {
    capped(
        environment_problems(config, snapshot),
        sandbox_problems(config, snapshot),
    )
}

/// How many problems there are in all, listed or not.
fn problem_count(config: &Config, snapshot: &Snapshot) -> usize {
    environment_problems(config, snapshot).len() + sandbox_problems(config, snapshot).count()
}

pub fn overview(config: &Config, snapshot: &Snapshot, freshness: Freshness) -> Overview {
    let environments: Vec<EnvironmentSummary> = config
        .environments
        .iter()
        .map(|e| summary(config, snapshot, e))
        .collect();
    let rows = config
        .services
        .iter()
        .map(|service| ServiceRow {
            service: service.name.clone(),
            cells: config
                .environments
                .iter()
                .map(|env| cell(config, snapshot, env, service))
                .collect(),
        })
        .collect();
    let (mut sandboxes, _) = all_sandboxes(config, snapshot);
    let owners: HashSet<_> = sandboxes.iter().filter_map(|s| s.owner.clone()).collect();
    let count = sandboxes.len();
    sandboxes.sort_by_key(|s| std::cmp::Reverse(s.created.as_ref().map(|c| c.at).unwrap_or(0)));
    sandboxes.truncate(5);
    Overview {
        environments,
        sandboxes: SandboxLane {
            count,
            owners: owners.len(),
            live_problems: 0,
            newest: sandboxes,
        },
        rows,
        total_services: config.services.len(),
        problems: all_problems(config, snapshot),
        freshness,
    }
}

fn cell(
    config: &Config,
    snapshot: &Snapshot,
    env: &EnvironmentConfig,
    service: &ServiceConfig,
) -> Cell {
    let (branch, last_change) = if env.file.is_none() {
        (Some(service.default_branch.clone()), None)
    } else {
        match env_data(config, snapshot, env) {
            Some(EnvironmentState { file, latest }) => match file.branch_of(&service.name) {
                Some(branch) => (Some(branch.to_string()), latest.get(&service.name).cloned()),
                None => (None, None),
            },
            None => (None, None),
        }
    };
    Cell {
        environment: env.name.clone(),
        branch_url: branch
            .as_deref()
            .and_then(|b| branch_url(config, service, b)),
        is_default: branch.as_deref() == Some(service.default_branch.as_str()),
        branch,
        last_change,
        live: None,
        held: None,
    }
}

pub fn environment(
    config: &Config,
    snapshot: &Snapshot,
    env: &EnvironmentConfig,
    history: Vec<(EnvironmentChange, CommitSummary)>,
    freshness: Freshness,
) -> EnvironmentDetail {
    let summary = summary(config, snapshot, env);
    let entries: Vec<EnvironmentEntry> = if env.file.is_none() {
        config
            .services
            .iter()
            .map(|s| EnvironmentEntry {
                service: s.name.clone(),
                branch: s.default_branch.clone(),
                branch_url: branch_url(config, s, &s.default_branch),
                known: true,
                is_default: true,
                last_change: None,
                live: None,
            })
            .collect()
    } else {
        env_data(config, snapshot, env)
            .map(|EnvironmentState { file, latest }| {
                file.entries
                    .iter()
                    .map(|e| {
                        let service = config.services.iter().find(|s| s.name == e.service);
                        EnvironmentEntry {
                            service: e.service.clone(),
                            branch: e.branch.clone(),
                            branch_url: service.and_then(|s| branch_url(config, s, &e.branch)),
                            known: service.is_some(),
                            is_default: service.is_some_and(|s| s.default_branch == e.branch),
                            last_change: latest.get(&e.service).cloned(),
                            live: None,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let not_deployed = config
        .services
        .iter()
        .filter(|s| !entries.iter().any(|e| e.service == s.name))
        .map(|s| s.name.clone())
        .collect();
    let history = history
        .into_iter()
        .map(|(c, change)| EnvHistoryEntry {
            change,
            service: c.service,
            from: c.from,
            to: c.to,
        })
        .collect();
    EnvironmentDetail {
        freshness,
        summary,
        entries,
        not_deployed,
        history,
    }
}

pub fn sandboxes(
    config: &Config,
    snapshot: &Snapshot,
    query: &str,
    freshness: Freshness,
) -> SandboxList {
    let (all, problems) = all_sandboxes(config, snapshot);
    let total = all.len();
    let needle = query.trim().to_lowercase();
    let sandboxes = all
        .into_iter()
        .filter(|s| {
            needle.is_empty()
                || s.name.contains(&needle)
                || s.owner
                    .as_deref()
                    .is_some_and(|o| o.to_lowercase().contains(&needle))
        })
        .collect();
    SandboxList {
        freshness,
        sandboxes,
        total,
        problems,
    }
}

#[cfg(test)]
mod problem_cap_tests;

#[cfg(test)]
mod tests;
