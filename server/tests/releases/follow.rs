use serde_json::json;

use super::setup::*;

#[tokio::test]
async fn a_green_build_sets_the_image_of_exactly_the_environments_following_its_branch() {
    let s = setup().await;
    let build = feature_x_build();
    let (status, answer) = s.report_build(&build).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["environments"], json!(["stg-1"]));
    s.until_tag("Stg-1 runs the build", "app-a-stg-1", "feature-x-f1f1f1f")
        .await;
    for other in ["app-a-dev", "app-a-stg-2", "app-a-prod"] {
        assert_eq!(s.tag_of(other), "old-0000000", "{other} was patched");
    }
    // How long report → image set took is measured and shown.
    until("the image set is measured", || async {
        s.server.json("/api/v1/hooks/github").await["image_set"]["count"] == 1
    })
    .await;
    let (_, page) = s.server.get("/prod").await;
    assert!(page.contains("image set on the Dev and Stg Applications"));
    // The same report again is no news.
    let (status, answer) = s.report_build(&build).await;
    assert_eq!(
        (status, answer["stored"].as_str()),
        (200, Some("unchanged"))
    );
    // The release ends when Argo CD reports the tag Synced and Healthy.
    let releases = s.server.json("/api/v1/releases/stg-1").await;
    assert_eq!(releases["releases"][0]["outcome"], "deploying");
    s.report("app-a-stg-1", "feature-x-f1f1f1f", "Healthy");
    until("the Stg-1 release is deployed", || async {
        s.server.json("/api/v1/releases/stg-1").await["releases"][0]["outcome"] == "deployed"
    })
    .await;
    let audit = s
        .server
        .state
        .actions
        .store
        .audit(&Default::default())
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "set-image" && e.target == "stg-1/app-a"));
    assert!(audit
        .iter()
        .any(|e| e.action == "report-build" && e.actor == "ci"));
}

#[tokio::test]
async fn a_cell_waits_for_the_first_build_of_its_branch() {
    let s = setup().await;
    let drift = || async {
        let body = s.server.json("/api/v1/environments").await;
        let stg = body["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "stg-1")
            .unwrap()
            .clone();
        stg["live"]["app-a"]["drift"].to_string()
    };
    // Nothing reports builds of app-a yet: nothing to wait for.
    until("the cluster is read", || async { drift().await != "null" }).await;
    assert!(!drift().await.contains("waiting"), "{}", drift().await);
    // Once CI reports app-a's builds, Stg-1 (on `feature/x`) waits for one.
    s.signed("workflow_run", "r-1", &run("main", C1, "success"))
        .await;
    until("Stg-1 waits for feature/x", || async {
        drift()
            .await
            .contains("waiting for the first build of `feature/x`")
    })
    .await;
    s.signed("workflow_run", "r-2", &run("feature/x", F1, "success"))
        .await;
    until("Stg-1 stops waiting", || async {
        !drift().await.contains("waiting")
    })
    .await;
    s.until_tag("Stg-1 runs it", "app-a-stg-1", "feature-x-f1f1f1f")
        .await;
}

#[tokio::test]
async fn pointing_an_environment_at_a_built_branch_sets_its_newest_green_build() {
    let s = setup_edited("", |config| config.auth.admins = vec!["root".into()]).await;
    green_build_of_feature_x(&s).await;
    assert_eq!(s.tag_of("app-a-stg-2"), "old-0000000");
    // Stg-2 is pointed at feature/x: no new build, its newest green one.
    let root = s.server.token("root").await;
    let (status, answer) = s
        .server
        .send(
            reqwest::Method::POST,
            "/api/v1/environments/stg-2/services/app-a",
            Some(&root),
            Some(json!({ "branch": "feature/x" })),
        )
        .await;
    assert!(status < 300, "{status} {answer}");
    s.until_tag(
        "Stg-2 runs feature/x's build",
        "app-a-stg-2",
        "feature-x-f1f1f1f",
    )
    .await;
    assert_eq!(s.tag_of("app-a-dev"), "old-0000000", "Dev was patched");
}

#[tokio::test]
async fn a_deploy_that_never_turns_healthy_fails_after_the_timeout() {
    // `deploy_timeout_secs` replaces the setup's 30 s.
    let s = setup_edited("", |config| config.releases.deploy_timeout_secs = 2).await;
    green_build_of_feature_x(&s).await;
    s.until_tag("Stg-1 gets the image", "app-a-stg-1", "feature-x-f1f1f1f")
        .await;
    // Argo CD renders the tag but it stays Progressing.
    s.report("app-a-stg-1", "feature-x-f1f1f1f", "Progressing");
    until("the Stg-1 release failed", || async {
        s.server.json("/api/v1/releases/stg-1").await["releases"][0]["outcome"] == "failed"
    })
    .await;
}

#[tokio::test]
async fn an_older_build_reported_late_does_not_replace_a_newer_one() {
    let s = setup().await;
    let build = |sha: &str, finished: &str| {
        json!({ "service": "app-a", "branch": "main", "sha": sha,
                "image_tag": format!("main-{}", &sha[..7]), "result": "success",
                "finished_at": finished })
    };
    let (status, answer) = s.report_build(&build(C2, "2026-12-01T10:01:00Z")).await;
    assert_eq!(status, 201, "{answer}");
    s.until_tag("Dev runs the newer build", "app-a-dev", "main-c2c2c2c")
        .await;
    // The build that finished a minute before arrives now (GitHub does not
    // deliver in order): it is stored, not set.
    let (status, answer) = s.report_build(&build(C1, "2026-12-01T10:00:00Z")).await;
    assert_eq!(status, 201, "{answer}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(s.tag_of("app-a-dev"), "main-c2c2c2c");
    assert_eq!(s.builds_of("main").await.as_deref(), Some("main-c2c2c2c"));
}

/// A green build of feature/x (`feature-x-f1f1f1f`).
fn feature_x_build() -> serde_json::Value {
    json!({ "service": "app-a", "branch": "feature/x", "sha": F1,
            "image_tag": "feature-x-f1f1f1f", "result": "success" })
}

/// CI reports a green build of feature/x.
async fn green_build_of_feature_x(s: &Setup) {
    let (status, answer) = s.report_build(&feature_x_build()).await;
    assert_eq!(status, 201, "{answer}");
}
