//! The page-wide cap on listed problems: thousands of bad files committed
//! by hand must not make every page carry thousands of lines.

use std::collections::HashMap;

use super::*;
use crate::{gitops::files::EnvironmentFile, readmodel::snapshot::Sandboxes};

fn config() -> Config {
    Config::from_toml(
        r#"
[[repositories]]
name = "gitops"
url = "/nowhere/gitops.git"

[[services]]
name = "app-a"
"#,
    )
    .unwrap()
}

fn bad_file(i: usize) -> Problem {
    Problem {
        file: format!("sandboxes/Bad_{i}.yaml"),
        line: None,
        message: format!("`Bad_{i}` is not a valid sandbox name"),
    }
}

/// Every environment file read, dev's with two problems, and `bad` files
/// in the sandbox directory that cannot be sandboxes.
fn snapshot(bad: usize) -> Snapshot {
    let env = |problems: Vec<Problem>| {
        let file = EnvironmentFile {
            entries: Vec::new(),
            problems,
        };
        EnvironmentState {
            file,
            latest: HashMap::new(),
        }
    };
    let dev_problem = |line| Problem {
        file: "environments/dev.yaml".into(),
        line: Some(line),
        message: "bad".into(),
    };
    let environments = HashMap::from([
        ("stg-1".to_string(), env(Vec::new())),
        ("stg-2".to_string(), env(Vec::new())),
        ("dev".to_string(), env(vec![dev_problem(1), dev_problem(2)])),
    ]);
    Snapshot {
        repos: vec![RepoParts {
            name: "gitops".into(),
            branch: "main".into(),
            commit: "c0ffee".into(),
            fetched_at: 0,
            error: None,
            environments,
            sandboxes: Some(Sandboxes {
                sandboxes: Vec::new(),
                problems: (0..bad).map(bad_file).collect(),
            }),
        }],
        loaded: true,
        overview: None,
    }
}

#[test]
fn the_overview_lists_the_first_problems_and_counts_the_rest() {
    let config = config();
    let snapshot = snapshot(3_000);
    let freshness = freshness(&config, &snapshot, 0);
    assert_eq!(freshness.problem_count, 3_002, "the true total");
    let page = overview(&config, &snapshot, freshness);
    assert_eq!(page.problems.len(), MAX_PROBLEMS_PER_PAGE + 1);
    let files: Vec<&str> = page.problems[..3].iter().map(|p| p.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "environments/dev.yaml",
            "environments/dev.yaml",
            "sandboxes/Bad_0.yaml"
        ],
        "in file order"
    );
    assert_eq!(page.problems[49].file, "sandboxes/Bad_47.yaml");
    assert_eq!(
        page.problems[50],
        FileProblem {
            file: String::new(),
            line: None,
            message: "… and 2952 more problems".into(),
        }
    );
}

#[test]
fn the_sandbox_list_caps_the_directorys_problems() {
    let config = config();
    let list = sandboxes(&config, &snapshot(3_000), "", Freshness::default());
    assert_eq!(list.problems.len(), MAX_PROBLEMS_PER_PAGE + 1);
    assert_eq!(list.problems[0].file, "sandboxes/Bad_0.yaml");
    assert_eq!(list.problems[50].message, "… and 2950 more problems");
}

#[test]
fn up_to_the_cap_every_problem_is_listed_and_nothing_is_added() {
    let config = config();
    let page = overview(&config, &snapshot(48), Freshness::default());
    assert_eq!(page.problems.len(), 50);
    assert!(page.problems.iter().all(|p| !p.file.is_empty()));
    let list = sandboxes(&config, &snapshot(50), "", Freshness::default());
    assert_eq!(list.problems.len(), 50);
    assert_eq!(list.problems[49].file, "sandboxes/Bad_49.yaml");
}
