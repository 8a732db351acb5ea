//! Turns a snapshot into what the pages and the JSON API show. Pure.

use std::collections::HashSet;

use app::model::*;

use super::snapshot::{RepoParts, Sandboxes, Snapshot};
use super::template::{fill_template, shell_quote, url_escape};
use crate::{
    config::{Config, EnvironmentConfig, ServiceConfig},
    gitops::files::{EnvironmentFile, Problem, SandboxFile},
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
    }
}

fn repo_of<'a>(
    config: &Config,
    snapshot: &'a Snapshot,
    env: &EnvironmentConfig,
) -> Option<&'a RepoParts> {
    snapshot.repo(&config.repository(env.repository.as_deref()).name)
}

type EnvData<'a> = Option<&'a (EnvironmentFile, std::collections::HashMap<String, Change>)>;

fn env_data<'a>(config: &Config, snapshot: &'a Snapshot, env: &EnvironmentConfig) -> EnvData<'a> {
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
    };
    if env.file.is_none() {
        summary.deployed = config.services.len();
        return summary;
    }
    let Some((file, latest)) = env_data(config, snapshot, env) else {
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
    created: Option<&Change>,
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
    }
}

/// The sandbox directory as read, if its repository was.
fn sandbox_dir<'a>(config: &Config, snapshot: &'a Snapshot) -> Option<&'a Sandboxes> {
    let repo = config.repository(config.sandboxes.repository.as_deref());
    snapshot.repo(&repo.name).and_then(|r| r.sandboxes.as_ref())
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
        .map(|(s, problems, created)| sandbox_summary(config, s, problems, created.as_ref()))
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
            .chain(s.sandboxes.iter().flat_map(|(_, problems, _)| problems))
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
            Some((file, latest)) => match file.branch_of(&service.name) {
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
    }
}

pub fn environment(
    config: &Config,
    snapshot: &Snapshot,
    env: &EnvironmentConfig,
    history: Vec<(EnvironmentChange, Change)>,
    freshness: Freshness,
) -> EnvironmentDetail {
    let summary = summary(config, snapshot, env);
    let entries: Vec<EnvEntry> = if env.file.is_none() {
        config
            .services
            .iter()
            .map(|s| EnvEntry {
                service: s.name.clone(),
                branch: s.default_branch.clone(),
                branch_url: branch_url(config, s, &s.default_branch),
                known: true,
                is_default: true,
                last_change: None,
            })
            .collect()
    } else {
        env_data(config, snapshot, env)
            .map(|(file, latest)| {
                file.entries
                    .iter()
                    .map(|e| {
                        let service = config.services.iter().find(|s| s.name == e.service);
                        EnvEntry {
                            service: e.service.clone(),
                            branch: e.branch.clone(),
                            branch_url: service.and_then(|s| branch_url(config, s, &e.branch)),
                            known: service.is_some(),
                            is_default: service.is_some_and(|s| s.default_branch == e.branch),
                            last_change: latest.get(&e.service).cloned(),
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
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::{
        gitops::{files::EnvEntry as FileEntry, ssh::parse_public_key},
        readmodel::snapshot::Sandboxes,
    };

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICHkiJMaAu2E4lSfp/fEW37t2quCNbFlSEpQg6Hq1D/7 kohbis@laptop";
    const T0: i64 = 1_790_000_000;

    /// Prod, Stg-1, Stg-2 and Dev (the default environments) over three
    /// services, one with a source repository for branch links.
    fn config() -> Config {
        Config::from_toml(
            r#"
banner = "Demo data"
branch_url_template = "{repo_url}/-/tree/{branch}?of={service}"

[[repositories]]
name = "gitops"
url = "/nowhere/gitops.git"

[[services]]
name = "app-a"
repo_url = "https://git.example.com/acme/app-a/"

[[services]]
name = "app-b"
default_branch = "master"

[[services]]
name = "app-c"

[sandboxes]
domain = "sb.example.com"
url_template = "https://{name}.{domain}/?by={owner}"
ssh_command_template = "ssh {owner}@{name}.{domain}"
"#,
        )
        .unwrap()
    }

    fn change(author: &str, at: i64) -> Change {
        Change {
            commit: format!("{author}-sha"),
            author: author.into(),
            email: format!("{author}@example.com"),
            at,
            subject: format!("change by {author}"),
        }
    }

    fn file_problem(file: &str, line: usize, message: &str) -> Problem {
        Problem {
            file: file.into(),
            line: Some(line),
            message: message.into(),
        }
    }

    fn env_file(entries: &[(&str, &str)], problems: Vec<Problem>) -> EnvironmentFile {
        EnvironmentFile {
            entries: entries
                .iter()
                .enumerate()
                .map(|(i, (service, branch))| FileEntry {
                    service: service.to_string(),
                    branch: branch.to_string(),
                    line: i + 1,
                })
                .collect(),
            problems,
        }
    }

    fn sandbox(name: &str, owner: Option<&str>, keys: usize) -> SandboxFile {
        SandboxFile {
            name: name.into(),
            file: format!("sandboxes/{name}.yaml"),
            owner: owner.map(str::to_string),
            keys: (0..keys).map(|_| parse_public_key(KEY).unwrap()).collect(),
        }
    }

    /// Dev runs app-a off its default and a service nobody configured,
    /// with one problem; Stg-1 runs app-a's default; Stg-2's file is not
    /// in the snapshot; three sandboxes, one without owner, plus a file
    /// in the sandbox directory that is no sandbox.
    fn snapshot() -> Snapshot {
        let dev = env_file(
            &[
                ("app-a", "feature-x"),
                ("app-b", "master"),
                ("legacy", "old"),
            ],
            vec![file_problem(
                "environments/dev.yaml",
                4,
                "the branch of `app-c` must be a string, not a number; quote it",
            )],
        );
        let dev_latest = HashMap::from([
            ("app-a".to_string(), change("bob", T0 + 300)),
            ("app-b".to_string(), change("ann", T0 + 100)),
        ]);
        let stg_1 = env_file(&[("app-a", "main")], Vec::new());
        let sandboxes = Sandboxes {
            sandboxes: vec![
                (
                    sandbox("ann", Some("ann"), 1),
                    Vec::new(),
                    Some(change("ann", T0)),
                ),
                (
                    sandbox("zed", None, 0),
                    vec![file_problem("sandboxes/zed.yaml", 1, "`owner` is missing")],
                    None,
                ),
                (
                    sandbox("eve", Some("x; RM -rf ~ #"), 1),
                    Vec::new(),
                    Some(change("eve", T0 + 50)),
                ),
            ],
            problems: vec![Problem {
                file: "sandboxes/Bad_Name.yaml".into(),
                line: None,
                message: "not a sandbox name".into(),
            }],
        };
        Snapshot {
            repos: vec![RepoParts {
                name: "gitops".into(),
                branch: "main".into(),
                commit: "c0ffee".into(),
                fetched_at: T0 + 1_000,
                error: Some("fetch timed out".into()),
                environments: HashMap::from([
                    ("dev".to_string(), (dev, dev_latest)),
                    ("stg-1".to_string(), (stg_1, HashMap::new())),
                ]),
                sandboxes: Some(sandboxes),
            }],
            loaded: true,
            overview: None,
        }
    }

    fn env<'a>(config: &'a Config, name: &str) -> &'a EnvironmentConfig {
        config.environments.iter().find(|e| e.name == name).unwrap()
    }

    fn lane<'a>(overview: &'a Overview, name: &str) -> &'a EnvironmentSummary {
        overview
            .environments
            .iter()
            .find(|e| e.name == name)
            .unwrap()
    }

    fn places(problems: &[FileProblem]) -> Vec<(&str, Option<usize>)> {
        problems.iter().map(|p| (p.file.as_str(), p.line)).collect()
    }

    #[test]
    fn freshness_counts_every_problem_and_says_where_the_data_is_from() {
        let config = config();
        let freshness = freshness(&config, &snapshot(), T0 + 2_000);
        assert_eq!(freshness.now, T0 + 2_000);
        assert_eq!(freshness.banner.as_deref(), Some("Demo data"));
        assert_eq!(
            freshness.sources,
            [Source {
                repository: "gitops".into(),
                branch: "main".into(),
                commit: "c0ffee".into(),
                fetched_at: T0 + 1_000,
                error: Some("fetch timed out".into()),
            }]
        );
        assert_eq!(
            freshness.problem_count, 4,
            "dev's file, stg-2 not read, the bad sandbox file and zed's owner"
        );
    }

    #[test]
    fn lanes_count_deployed_off_default_and_unknown_services() {
        let config = config();
        let overview = overview(&config, &snapshot(), Freshness::default());
        let names: Vec<_> = overview.environments.iter().map(|e| &e.name).collect();
        assert_eq!(names, ["prod", "stg-1", "stg-2", "dev"]);

        let dev = lane(&overview, "dev");
        assert_eq!(
            (dev.title.as_str(), dev.kind),
            ("Dev", EnvironmentKind::Dev)
        );
        assert_eq!(dev.file.as_deref(), Some("environments/dev.yaml"));
        assert_eq!(dev.deployed, 2, "legacy names no configured service");
        assert_eq!(dev.off_default, 1, "app-a runs feature-x, app-b master");
        assert_eq!(dev.unknown, ["legacy"]);
        assert_eq!(
            dev.last_change.as_ref().map(|c| c.author.as_str()),
            Some("bob"),
            "the newest change of any service"
        );
        assert_eq!(places(&dev.problems), [("environments/dev.yaml", Some(4))]);

        let stg_1 = lane(&overview, "stg-1");
        assert_eq!((stg_1.deployed, stg_1.off_default), (1, 0));
        assert!(stg_1.unknown.is_empty() && stg_1.problems.is_empty());
        assert_eq!(stg_1.last_change, None);

        let prod = lane(&overview, "prod");
        assert_eq!(prod.deployed, 3, "prod runs every service");
        assert_eq!(prod.off_default, 0);
        assert_eq!((prod.file.as_ref(), prod.problems.len()), (None, 0));
    }

    #[test]
    fn an_environment_missing_from_the_snapshot_is_a_problem_not_a_blank() {
        let config = config();
        let overview = overview(&config, &snapshot(), Freshness::default());
        let stg_2 = lane(&overview, "stg-2");
        assert_eq!(stg_2.deployed, 0);
        assert_eq!(
            stg_2.problems,
            [FileProblem {
                file: "environments/stg-2.yaml".into(),
                line: None,
                message: "the repository `gitops` has not been read yet".into(),
            }]
        );
        let empty = overview_of_nothing(&config);
        assert_eq!(
            lane(&empty, "dev").problems[0].message,
            "the repository `gitops` has not been read yet"
        );
        assert_eq!(empty.sandboxes.count, 0);
        assert_eq!(
            places(&empty.problems),
            [
                ("environments/stg-1.yaml", None),
                ("environments/stg-2.yaml", None),
                ("environments/dev.yaml", None)
            ],
            "prod has no file to miss"
        );
    }

    fn overview_of_nothing(config: &Config) -> Overview {
        overview(config, &Snapshot::default(), Freshness::default())
    }

    #[test]
    fn grid_cells_show_each_services_branch_per_environment() {
        let config = config();
        let overview = overview(&config, &snapshot(), Freshness::default());
        assert_eq!(overview.total_services, 3);
        let services: Vec<_> = overview.rows.iter().map(|r| &r.service).collect();
        assert_eq!(services, ["app-a", "app-b", "app-c"], "legacy gets no row");
        let cells = |service: &str| -> Vec<(&str, Option<&str>, bool)> {
            overview
                .rows
                .iter()
                .find(|r| r.service == service)
                .unwrap()
                .cells
                .iter()
                .map(|c| (c.environment.as_str(), c.branch.as_deref(), c.is_default))
                .collect()
        };
        assert_eq!(
            cells("app-a"),
            [
                ("prod", Some("main"), true),
                ("stg-1", Some("main"), true),
                ("stg-2", None, false),
                ("dev", Some("feature-x"), false),
            ]
        );
        assert_eq!(
            cells("app-b"),
            [
                ("prod", Some("master"), true),
                ("stg-1", None, false),
                ("stg-2", None, false),
                ("dev", Some("master"), true),
            ]
        );
        let app_a = &overview.rows[0].cells;
        assert_eq!(
            app_a[3].branch_url.as_deref(),
            Some("https://git.example.com/acme/app-a/-/tree/feature-x?of=app-a"),
            "the template is filled, without the repo URL's trailing slash"
        );
        assert_eq!(app_a[3].last_change, Some(change("bob", T0 + 300)));
        assert_eq!(app_a[0].last_change, None, "prod has no file history");
        assert_eq!(
            overview.rows[1].cells[0].branch_url, None,
            "app-b has no source repository"
        );
    }

    #[test]
    fn the_sandbox_lane_counts_owners_and_lists_the_newest_first() {
        let config = config();
        let page = overview(&config, &snapshot(), Freshness::default());
        let lane = &page.sandboxes;
        assert_eq!(lane.count, 3);
        assert_eq!(lane.owners, 2, "zed has no owner");
        let newest: Vec<_> = lane.newest.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(newest, ["eve", "ann", "zed"], "unknown creation last");
        assert_eq!(
            places(&page.problems),
            [
                ("environments/stg-2.yaml", None),
                ("environments/dev.yaml", Some(4)),
                ("sandboxes/Bad_Name.yaml", None),
                ("sandboxes/zed.yaml", Some(1)),
            ]
        );

        let mut many = snapshot();
        let list = &mut many.repos[0].sandboxes.as_mut().unwrap().sandboxes;
        for i in 0..6 {
            let name = format!("s{i}");
            list.push((
                sandbox(&name, Some("ann"), 0),
                Vec::new(),
                Some(change(&name, T0 + 1_000 + i)),
            ));
        }
        let lane = overview(&config, &many, Freshness::default()).sandboxes;
        assert_eq!((lane.count, lane.owners), (9, 2));
        let newest: Vec<_> = lane.newest.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(newest, ["s5", "s4", "s3", "s2", "s1"], "five at most");
    }

    #[test]
    fn sandbox_url_and_ssh_command_are_filled_and_escaped() {
        let config = config();
        let list = sandboxes(&config, &snapshot(), "", Freshness::default());
        let by_name = |name: &str| list.sandboxes.iter().find(|s| s.name == name).unwrap();

        let ann = by_name("ann");
        assert_eq!(ann.url, "https://ann.sb.example.com/?by=ann");
        assert_eq!(ann.ssh, "ssh ann@ann.sb.example.com");
        assert_eq!(ann.file, "sandboxes/ann.yaml");
        assert_eq!(ann.owner.as_deref(), Some("ann"));
        assert_eq!(ann.created, Some(change("ann", T0)));
        assert_eq!(
            ann.keys.iter().map(|k| k.line.as_str()).collect::<Vec<_>>(),
            ["256 SHA256:dCH7EbLNVqPyDJ3XrgaIMwdx7zuGFwRFOu8Y2Fm7OsQ kohbis@laptop (ED25519)"]
        );

        let zed = by_name("zed");
        assert_eq!(zed.owner, None);
        assert_eq!(
            (zed.url.as_str(), zed.ssh.as_str()),
            (
                "https://zed.sb.example.com/?by=zed",
                "ssh zed@zed.sb.example.com"
            ),
            "without an owner the sandbox's name is the login"
        );
        assert_eq!(places(&zed.problems), [("sandboxes/zed.yaml", Some(1))]);

        let eve = by_name("eve");
        assert_eq!(eve.ssh, "ssh 'x; RM -rf ~ #'@eve.sb.example.com");
        assert_eq!(
            eve.url,
            "https://eve.sb.example.com/?by=x%3B%20RM%20-rf%20~%20%23"
        );
    }

    #[test]
    fn sandbox_search_matches_name_or_owner_and_keeps_the_total() {
        let config = config();
        let snapshot = snapshot();
        let names = |query: &str| -> (Vec<String>, usize) {
            let list = sandboxes(&config, &snapshot, query, Freshness::default());
            (
                list.sandboxes.into_iter().map(|s| s.name).collect(),
                list.total,
            )
        };
        assert_eq!(
            names(""),
            (vec!["ann".into(), "zed".into(), "eve".into()], 3)
        );
        assert_eq!(names(" ZE "), (vec!["zed".into()], 3), "trimmed, any case");
        assert_eq!(
            names("rm -RF"),
            (vec!["eve".into()], 3),
            "owners match too, in any case"
        );
        assert_eq!(names("nobody"), (Vec::new(), 3));
        let list = sandboxes(&config, &snapshot, "", Freshness::default());
        assert_eq!(
            places(&list.problems),
            [("sandboxes/Bad_Name.yaml", None)],
            "the list's own problems are the directory's"
        );
    }

    #[test]
    fn an_environment_page_lists_entries_unknown_keys_and_what_is_missing() {
        let config = config();
        let history = vec![(
            EnvironmentChange {
                file: "environments/dev.yaml".into(),
                service: "app-a".into(),
                from: Some("main".into()),
                to: Some("feature-x".into()),
                sha: "bob-sha".into(),
            },
            change("bob", T0 + 300),
        )];
        let dev = environment(
            &config,
            &snapshot(),
            env(&config, "dev"),
            history,
            Freshness::default(),
        );
        let entries: Vec<_> = dev
            .entries
            .iter()
            .map(|e| (e.service.as_str(), e.branch.as_str(), e.known, e.is_default))
            .collect();
        assert_eq!(
            entries,
            [
                ("app-a", "feature-x", true, false),
                ("app-b", "master", true, true),
                ("legacy", "old", false, false),
            ]
        );
        assert_eq!(
            dev.entries[0].branch_url.as_deref(),
            Some("https://git.example.com/acme/app-a/-/tree/feature-x?of=app-a")
        );
        assert_eq!(dev.entries[2].branch_url, None);
        assert_eq!(dev.entries[1].last_change, Some(change("ann", T0 + 100)));
        assert_eq!(dev.not_deployed, ["app-c"]);
        assert_eq!(dev.summary.unknown, ["legacy"]);
        assert_eq!(
            dev.history,
            [EnvHistoryEntry {
                change: change("bob", T0 + 300),
                service: "app-a".into(),
                from: Some("main".into()),
                to: Some("feature-x".into()),
            }]
        );
    }

    #[test]
    fn prod_follows_every_services_default_branch() {
        let config = config();
        let prod = environment(
            &config,
            &snapshot(),
            env(&config, "prod"),
            Vec::new(),
            Freshness::default(),
        );
        let entries: Vec<_> = prod
            .entries
            .iter()
            .map(|e| (e.service.as_str(), e.branch.as_str(), e.known, e.is_default))
            .collect();
        assert_eq!(
            entries,
            [
                ("app-a", "main", true, true),
                ("app-b", "master", true, true),
                ("app-c", "main", true, true),
            ]
        );
        assert_eq!(
            prod.entries[0].branch_url.as_deref(),
            Some("https://git.example.com/acme/app-a/-/tree/main?of=app-a")
        );
        assert!(prod.not_deployed.is_empty());

        let stg_2 = environment(
            &config,
            &snapshot(),
            env(&config, "stg-2"),
            Vec::new(),
            Freshness::default(),
        );
        assert!(stg_2.entries.is_empty());
        assert_eq!(stg_2.not_deployed, ["app-a", "app-b", "app-c"]);
    }
}
