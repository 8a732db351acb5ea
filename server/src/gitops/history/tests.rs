//! How versions of environment files turn into history rows, and what an
//! unreadable version does to them.

use super::*;

fn m(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(s, b)| (s.to_string(), b.to_string()))
        .collect()
}

#[test]
fn diff_reports_changed_added_and_removed_services() {
    let before = m(&[("a", "main"), ("b", "x"), ("c", "main")]);
    let after = m(&[("a", "main"), ("b", "y"), ("d", "z")]);
    let got: Vec<_> = diff("f", "s", &before, &after)
        .into_iter()
        .map(|c| (c.service, c.from, c.to))
        .collect();
    assert_eq!(
        got,
        [
            ("b".into(), Some("x".into()), Some("y".into())),
            ("d".into(), None, Some("z".into())),
            ("c".into(), Some("main".into()), None),
        ]
    );
}

#[test]
fn only_direct_yaml_children_are_sandboxes() {
    assert_eq!(
        sandbox_action(Some("sandboxes"), 'A', "sandboxes/ann.yaml"),
        Some(SandboxAction::Created)
    );
    assert_eq!(
        sandbox_action(Some("sandboxes/"), 'D', "sandboxes/ann.yaml"),
        Some(SandboxAction::Deleted)
    );
    assert_eq!(
        sandbox_action(Some("sandboxes"), 'A', "sandboxes/README.md"),
        None
    );
    assert_eq!(
        sandbox_action(Some("sandboxes"), 'A', "sandboxes/x/y.yaml"),
        None
    );
    assert_eq!(
        sandbox_action(Some("sandboxes"), 'A', "sandboxes-old/y.yaml"),
        None
    );
    assert_eq!(sandbox_action(None, 'A', "sandboxes/y.yaml"), None);
}

fn commit(sha: &str, status: char) -> CommitInfo {
    CommitInfo {
        sha: sha.into(),
        author_name: "Ann".into(),
        author_email: "ann@x".into(),
        at: 0,
        subject: sha.into(),
        changes: vec![(status, "dev.yaml".into())],
    }
}

#[test]
fn versions_that_cannot_be_read_keep_the_previous_reading() {
    let text = |t: &str| Blob::Text(t.into());
    let versions = [
        ('A', text("a: x\nb: main\n")),
        ('M', Blob::TooLarge { size: 1 << 30 }),
        ('M', text("a: z\nb: main\n")),
        ('M', text("a: [z\n")),
        ('M', text("a: z\n# x\u{2028}b: evil\n")),
        ('M', text("- a\n")),
        ('D', Blob::Missing),
    ];
    let commits: Vec<CommitInfo> = versions
        .iter()
        .enumerate()
        .map(|(i, (status, _))| commit(&format!("c{i}"), *status))
        .collect();
    let contents: HashMap<(usize, &str), Blob> = versions
        .into_iter()
        .enumerate()
        .map(|(i, (_, blob))| ((i, "dev.yaml"), blob))
        .collect();
    let previous = HashMap::from([("dev.yaml", Vec::new())]);
    let batch = fold(&commits, &contents, previous, None);
    let got: Vec<_> = batch
        .environment_changes
        .iter()
        .map(|c| {
            (
                c.sha.as_str(),
                c.service.as_str(),
                c.from.as_deref(),
                c.to.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("c0", "a", None, Some("x")),
            ("c0", "b", None, Some("main")),
            ("c2", "a", Some("x"), Some("z")),
            ("c6", "a", Some("z"), None),
            ("c6", "b", Some("main"), None),
        ]
    );
    assert_eq!(batch.commits.len(), 7, "every commit is still listed");
}

#[tokio::test]
async fn an_unreadable_file_at_the_indexed_head_reads_as_its_last_readable_version() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(["-c", "user.name=Ann", "-c", "user.email=ann@x"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    run(&["init", "--quiet"]);
    let commit = |text: &str| {
        std::fs::write(dir.path().join("dev.yaml"), text).unwrap();
        run(&["add", "dev.yaml"]);
        run(&["commit", "--quiet", "-m", "edit"]);
        run(&["rev-parse", "HEAD"])
    };
    commit("a: x\n");
    commit("a: w\n");
    commit(&format!("a: z\n{}", "# padding\n".repeat(30_000)));
    let head = commit("a: [broken\n");
    let git = Git::new(dir.path(), Default::default());
    let known = last_readable(&git, &head, "dev.yaml").await.unwrap();
    assert_eq!(known, [("a".to_string(), "w".to_string())]);
}
