//! The history index: heads, commits, environment and sandbox changes.

use std::collections::HashMap;

use app::model::CommitSummary;

use super::fresh;
use crate::store::{
    EnvironmentChange, HistoryBatch, IndexedCommit, SandboxAction, SandboxChange, Store,
};

const REPO: &str = "gitops";
const T0: i64 = 1_800_000_000;

/// Commit `sha`, made at `T0 + n`; its details are derived from both.
fn commit(sha: &str, n: i64) -> IndexedCommit {
    IndexedCommit {
        sha: sha.into(),
        author_name: format!("author {sha}"),
        author_email: format!("{sha}@example.com"),
        at: T0 + n,
        subject: format!("subject {sha}"),
    }
}

/// The `CommitSummary` the store reads back for `commit(sha, n)`.
fn change(sha: &str, n: i64) -> CommitSummary {
    let c = commit(sha, n);
    CommitSummary {
        commit: c.sha,
        author: c.author_name,
        email: c.author_email,
        at: c.at,
        subject: c.subject,
    }
}

fn env(
    file: &str,
    service: &str,
    from: Option<&str>,
    to: Option<&str>,
    sha: &str,
) -> EnvironmentChange {
    EnvironmentChange {
        file: file.into(),
        service: service.into(),
        from: from.map(Into::into),
        to: to.map(Into::into),
        sha: sha.into(),
    }
}

fn sandbox(file: &str, action: SandboxAction, sha: &str) -> SandboxChange {
    SandboxChange {
        file: file.into(),
        action,
        sha: sha.into(),
    }
}

fn batch(
    commits: Vec<IndexedCommit>,
    environment_changes: Vec<EnvironmentChange>,
    sandbox_changes: Vec<SandboxChange>,
) -> HistoryBatch {
    HistoryBatch {
        commits,
        environment_changes,
        sandbox_changes,
    }
}

#[tokio::test]
async fn the_indexed_head_moves_with_each_batch_per_repository() {
    let db = fresh().await;
    assert_eq!(db.indexed_head(REPO).await.unwrap(), None);
    db.record_history(REPO, "h1", HistoryBatch::default(), false)
        .await
        .unwrap();
    db.record_history("other", "o1", HistoryBatch::default(), false)
        .await
        .unwrap();
    db.record_history(REPO, "h2", HistoryBatch::default(), false)
        .await
        .unwrap();
    assert_eq!(db.indexed_head(REPO).await.unwrap().as_deref(), Some("h2"));
    assert_eq!(
        db.indexed_head("other").await.unwrap().as_deref(),
        Some("o1")
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM repository_heads").await, 2);
}

#[tokio::test]
async fn a_commit_indexed_twice_is_kept_once_as_first_seen() {
    let db = fresh().await;
    let file = "envs/staging.yaml";
    let first = batch(
        vec![commit("a", 1)],
        vec![env(file, "api", None, Some("main"), "a")],
        vec![],
    );
    db.record_history(REPO, "a", first, false).await.unwrap();
    let mut again = commit("a", 99);
    again.subject = "rewritten".into();
    let overlap = batch(
        vec![again, commit("b", 2)],
        vec![env(file, "api", Some("main"), Some("x"), "b")],
        vec![],
    );
    db.record_history(REPO, "b", overlap, false).await.unwrap();

    assert_eq!(db.count("SELECT COUNT(*) FROM commits").await, 2);
    let history = db.environment_history(REPO, file, 10).await.unwrap();
    assert_eq!(history[1].1, change("a", 1));
}

#[tokio::test]
async fn replacing_forgets_that_repositorys_history_only() {
    let db = fresh().await;
    let file = "envs/staging.yaml";
    for repo in [REPO, "other"] {
        let old = batch(
            vec![commit("old", 1)],
            vec![env(file, "api", None, Some("old"), "old")],
            vec![sandbox("sandboxes/x.yaml", SandboxAction::Created, "old")],
        );
        db.record_history(repo, "old", old, false).await.unwrap();
    }
    let rewritten = batch(
        vec![commit("new", 2)],
        vec![env(file, "web", None, Some("new"), "new")],
        vec![],
    );
    db.record_history(REPO, "new", rewritten, true)
        .await
        .unwrap();

    assert_eq!(db.indexed_head(REPO).await.unwrap().as_deref(), Some("new"));
    assert_eq!(
        db.latest_environment_changes(REPO, file).await.unwrap(),
        HashMap::from([("web".to_string(), change("new", 2))])
    );
    assert_eq!(
        db.sandbox_creations(REPO, "sandboxes").await.unwrap(),
        HashMap::new()
    );
    assert_eq!(
        db.sandbox_history(REPO, "sandboxes/x.yaml").await.unwrap(),
        []
    );
    assert_eq!(
        db.latest_environment_changes("other", file).await.unwrap(),
        HashMap::from([("api".to_string(), change("old", 1))])
    );
    assert_eq!(
        db.sandbox_history("other", "sandboxes/x.yaml")
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_latest_change_of_each_service_is_the_last_indexed_in_that_file() {
    let db = fresh().await;
    let file = "envs/staging.yaml";
    // Commit times are not the order: "b" is older by the clock but was
    // indexed later, so it is the newer change.
    let first = batch(
        vec![commit("a", 10), commit("b", 5)],
        vec![
            env(file, "api", None, Some("main"), "a"),
            env(file, "web", None, Some("main"), "a"),
            env(file, "api", Some("main"), Some("feat"), "b"),
        ],
        vec![],
    );
    db.record_history(REPO, "b", first, false).await.unwrap();
    let elsewhere = batch(
        vec![commit("c", 20)],
        vec![env("envs/prod.yaml", "api", None, Some("x"), "c")],
        vec![],
    );
    db.record_history(REPO, "c", elsewhere, false)
        .await
        .unwrap();
    db.record_history(
        "other",
        "d",
        batch(
            vec![commit("d", 30)],
            vec![env(file, "api", None, None, "d")],
            vec![],
        ),
        false,
    )
    .await
    .unwrap();

    assert_eq!(
        db.latest_environment_changes(REPO, file).await.unwrap(),
        HashMap::from([
            ("api".to_string(), change("b", 5)),
            ("web".to_string(), change("a", 10)),
        ])
    );
    assert_eq!(
        db.latest_environment_changes(REPO, "envs/none.yaml")
            .await
            .unwrap(),
        HashMap::new()
    );
}

#[tokio::test]
async fn a_files_history_is_newest_first_and_bounded_by_the_limit() {
    let db = fresh().await;
    let file = "envs/staging.yaml";
    let changes = batch(
        vec![commit("a", 1), commit("b", 2), commit("c", 3)],
        vec![
            env(file, "api", None, Some("main"), "a"),
            env("envs/prod.yaml", "api", None, Some("main"), "a"),
            env(file, "web", Some("main"), None, "b"),
            env(file, "api", Some("main"), Some("feat"), "c"),
        ],
        vec![],
    );
    db.record_history(REPO, "c", changes, false).await.unwrap();

    let all = db.environment_history(REPO, file, 10).await.unwrap();
    assert_eq!(
        all,
        [
            (
                env(file, "api", Some("main"), Some("feat"), "c"),
                change("c", 3)
            ),
            (env(file, "web", Some("main"), None, "b"), change("b", 2)),
            (env(file, "api", None, Some("main"), "a"), change("a", 1)),
        ]
    );
    assert_eq!(db.environment_history(REPO, file, 3).await.unwrap(), all);
    assert_eq!(
        db.environment_history(REPO, file, 2).await.unwrap(),
        all[..2]
    );
    assert_eq!(db.environment_history("other", file, 10).await.unwrap(), []);
}

#[tokio::test]
async fn a_sandbox_was_created_by_its_newest_creation_in_that_directory() {
    let db = fresh().await;
    let changes = batch(
        vec![
            commit("a", 1),
            commit("b", 2),
            commit("c", 3),
            commit("d", 4),
        ],
        vec![],
        vec![
            sandbox("sandboxes/x.yaml", SandboxAction::Created, "a"),
            sandbox("sandboxes/y.yaml", SandboxAction::Created, "a"),
            sandbox("sandboxes/x.yaml", SandboxAction::Deleted, "b"),
            sandbox("sandboxes/x.yaml", SandboxAction::Created, "c"),
            sandbox("sandboxes/x.yaml", SandboxAction::Updated, "d"),
            sandbox("sandboxes/z.yaml", SandboxAction::Updated, "d"),
            sandbox("sandboxes-old/w.yaml", SandboxAction::Created, "d"),
            sandbox("envs/v.yaml", SandboxAction::Created, "d"),
        ],
    );
    db.record_history(REPO, "d", changes, false).await.unwrap();

    let expected = HashMap::from([
        ("sandboxes/x.yaml".to_string(), change("c", 3)),
        ("sandboxes/y.yaml".to_string(), change("a", 1)),
    ]);
    assert_eq!(
        db.sandbox_creations(REPO, "sandboxes").await.unwrap(),
        expected
    );
    assert_eq!(
        db.sandbox_creations(REPO, "sandboxes/").await.unwrap(),
        expected
    );
    assert_eq!(
        db.sandbox_creations("other", "sandboxes").await.unwrap(),
        HashMap::new()
    );
}

#[tokio::test]
async fn a_sandboxs_history_is_its_own_commits_newest_first() {
    let db = fresh().await;
    let changes = batch(
        vec![commit("a", 1), commit("b", 2), commit("c", 3)],
        vec![],
        vec![
            sandbox("sandboxes/x.yaml", SandboxAction::Created, "a"),
            sandbox("sandboxes/y.yaml", SandboxAction::Created, "b"),
            sandbox("sandboxes/x.yaml", SandboxAction::Updated, "b"),
            sandbox("sandboxes/x.yaml", SandboxAction::Deleted, "c"),
        ],
    );
    db.record_history(REPO, "c", changes, false).await.unwrap();

    assert_eq!(
        db.sandbox_history(REPO, "sandboxes/x.yaml").await.unwrap(),
        [
            (SandboxAction::Deleted, change("c", 3)),
            (SandboxAction::Updated, change("b", 2)),
            (SandboxAction::Created, change("a", 1)),
        ]
    );
    assert_eq!(
        db.sandbox_history(REPO, "sandboxes/none.yaml")
            .await
            .unwrap(),
        []
    );
}
