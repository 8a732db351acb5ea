use std::collections::HashMap;

use super::*;
use crate::{
    gitops::{
        files::{EnvironmentFile, MappingEntry},
        ssh::parse_public_key,
    },
    readmodel::snapshot::{EnvironmentState, SandboxState, Sandboxes},
};

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICHkiJMaAu2E4lSfp/fEW37t2quCNbFlSEpQg6Hq1D/7 kohbis@laptop";
const T0: i64 = 1_790_000_000;

mod sandboxes;

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

fn change(author: &str, at: i64) -> CommitSummary {
    CommitSummary {
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
            .map(|(i, (service, branch))| MappingEntry {
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
        expires: None,
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
            SandboxState {
                file: sandbox("ann", Some("ann"), 1),
                problems: Vec::new(),
                created: Some(change("ann", T0)),
            },
            SandboxState {
                file: sandbox("zed", None, 0),
                problems: vec![file_problem("sandboxes/zed.yaml", 1, "`owner` is missing")],
                created: None,
            },
            SandboxState {
                file: sandbox("eve", Some("x; RM -rf ~ #"), 1),
                problems: Vec::new(),
                created: Some(change("eve", T0 + 50)),
            },
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
                (
                    "dev".to_string(),
                    EnvironmentState {
                        file: dev,
                        latest: dev_latest,
                    },
                ),
                (
                    "stg-1".to_string(),
                    EnvironmentState {
                        file: stg_1,
                        latest: HashMap::new(),
                    },
                ),
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
