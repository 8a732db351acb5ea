use std::time::Duration;

use serde_json::json;

use super::{common, setup::*};

#[tokio::test]
async fn prod_takes_the_newest_green_commit_and_supersedes_older_ones() {
    let s = setup().await;
    let (status, answer) = s.signed("push", "p-1", &push(&[C1, C2])).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(s.stage_of(C1).await, "pushed");
    // C1 passes first and starts deploying.
    let (status, _) = s
        .signed("workflow_run", "r-1", &run("main", C1, "success"))
        .await;
    assert_eq!(status, 201);
    s.until_tag("prod runs C1", "app-a-prod", "main-c1c1c1c")
        .await;
    s.until_stage("C1 is deploying", C1, "deploying").await;
    // C2, newer, passes while C1 is still in flight: it wins.
    s.signed("workflow_run", "r-2", &run("main", C2, "success"))
        .await;
    s.until_tag("prod runs C2", "app-a-prod", "main-c2c2c2c")
        .await;
    s.until_stage("C1 is superseded", C1, "superseded").await;
    let releases = s.server.json("/api/v1/releases/prod").await;
    let outcomes: Vec<&str> = releases["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["deploying", "superseded"]);
    // A late rebuild of C1 never goes back over C2.
    let ci = s.server.token("ci").await;
    let rebuild = json!({ "service": "app-a", "branch": "main", "sha": C1,
                          "image_tag": "main-c1c1c1c-rebuild", "result": "success" });
    s.server
        .send(
            reqwest::Method::POST,
            "/api/v1/builds",
            Some(&ci),
            Some(rebuild),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.tag_of("app-a-prod"), "main-c2c2c2c");
    // Argo CD reports C2 Healthy: deployed, with its lead time.
    s.report("app-a-prod", "main-c2c2c2c", "Healthy");
    s.until_stage("C2 is deployed", C2, "deployed").await;
    let newest = &s.server.json("/api/v1/releases/prod").await["releases"][0];
    assert_eq!(newest["outcome"], "deployed");
    assert!(newest["lead_time_secs"].as_i64().unwrap() > 0);

    // The pages say the same without JavaScript.
    let (status, page) = s.server.get("/prod").await;
    assert_eq!(status, 200);
    let row = |sha: &str| {
        let at = page.find(&format!("data-sha=\"{sha}\"")).unwrap();
        page[at..at + 600].to_string()
    };
    assert!(row(C2).contains("deployed"), "{}", row(C2));
    assert!(row(C1).contains("superseded by c2c2c2c"), "{}", row(C1));
    assert!(page.contains("Live now: <code>main-c2c2c2c</code>"));
    let dora = s.server.json("/api/v1/metrics/dora?days=30").await;
    assert_eq!(dora["deployments"], 1);
    assert!((dora["deployments_per_day"].as_f64().unwrap() - 1.0 / 30.0).abs() < 1e-9);
    assert_eq!(dora["lead_time_for_changes"]["count"], 1);
    let (status, page) = s.server.get("/releases?days=30&service=app-a").await;
    assert_eq!(status, 200);
    assert!(page.contains("<svg"), "{page}");
    assert!(page.contains("0.0 / day"));
    assert!(page.contains("1 prod deploys in 30 days"));
    let (status, _) = s.server.get("/api/v1/metrics/dora?days=7").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_failed_build_releases_nothing_and_a_green_build_waits_for_its_push() {
    let s = setup().await;
    s.signed("push", "p-1", &push(&[C1])).await;
    s.signed("workflow_run", "r-1", &run("main", C1, "failure"))
        .await;
    s.until_stage("C1 failed", C1, "failed").await;
    assert_eq!(s.tag_of("app-a-prod"), "old-0000000");
    // C2's build arrives before its push: it waits, then deploys.
    s.signed("workflow_run", "r-2", &run("main", C2, "success"))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.tag_of("app-a-prod"), "old-0000000");
    s.signed("push", "p-2", &push(&[C2])).await;
    s.until_tag("prod runs C2", "app-a-prod", "main-c2c2c2c")
        .await;
    // Degraded on its tag: the deploy failed.
    s.report("app-a-prod", "main-c2c2c2c", "Degraded");
    s.until_stage("C2's deploy failed", C2, "deploy_failed")
        .await;
}

/// A bare source repository whose `main` is `subjects`, oldest first;
/// their shas.
fn source_repository(dir: &std::path::Path, subjects: &[&str]) -> Vec<String> {
    let repo = dir.join("app-a.git");
    std::fs::create_dir_all(&repo).unwrap();
    common::git(
        &repo,
        &["init", "--quiet", "--bare", "--initial-branch=main"],
        &[],
    );
    let env = [
        ("GIT_AUTHOR_NAME", "Ann"),
        ("GIT_AUTHOR_EMAIL", "ann@example.com"),
        ("GIT_COMMITTER_NAME", "Ann"),
        ("GIT_COMMITTER_EMAIL", "ann@example.com"),
    ];
    let tree = common::git(&repo, &["hash-object", "-t", "tree", "-w", "--stdin"], &env);
    let mut shas: Vec<String> = Vec::new();
    for subject in subjects {
        let mut args = vec!["commit-tree", tree.as_str(), "-m", subject];
        let parent = shas.last().cloned();
        if let Some(parent) = &parent {
            args.extend(["-p", parent.as_str()]);
        }
        shas.push(common::git(&repo, &args, &env));
    }
    common::git(
        &repo,
        &["update-ref", "refs/heads/main", shas.last().unwrap()],
        &[],
    );
    shas
}

#[tokio::test]
async fn a_build_reported_without_a_push_finds_its_commit_in_the_source_repository() {
    let sources = tempfile::tempdir().unwrap();
    let shas = source_repository(sources.path(), &["One", "Two", "Three"]);
    let git_url = sources.path().join("app-a.git").display().to_string();
    let s = setup_edited("", |config| {
        config.services[0].git_url = Some(git_url);
    })
    .await;
    let ci = s.server.token("ci").await;
    let report = |sha: &str| {
        json!({ "service": "app-a", "branch": "main", "sha": sha,
                "image_tag": format!("main-{}", &sha[..7]), "result": "success" })
    };
    // The newest commit first: nothing was pushed, but git knows its place.
    let (status, _) = s
        .server
        .send(
            reqwest::Method::POST,
            "/api/v1/builds",
            Some(&ci),
            Some(report(&shas[2])),
        )
        .await;
    assert_eq!(status, 201);
    let newest = format!("main-{}", &shas[2][..7]);
    s.until_tag("prod runs the newest commit", "app-a-prod", &newest)
        .await;
    // An older commit's build, arriving later, never replaces it.
    s.server
        .send(
            reqwest::Method::POST,
            "/api/v1/builds",
            Some(&ci),
            Some(report(&shas[0])),
        )
        .await;
    s.until_stage("the older commit is superseded", &shas[0], "superseded")
        .await;
    assert_eq!(s.tag_of("app-a-prod"), newest);
    // A commit that is not on main is never deployed.
    let (status, _) = s
        .server
        .send(
            reqwest::Method::POST,
            "/api/v1/builds",
            Some(&ci),
            Some(report(&"d".repeat(40))),
        )
        .await;
    assert_eq!(status, 201);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.tag_of("app-a-prod"), newest);
    let pipeline = s.server.json("/api/v1/pipeline/app-a").await;
    let messages: Vec<&str> = pipeline["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["Three", "One"]);
}
