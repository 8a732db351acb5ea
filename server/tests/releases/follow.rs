use serde_json::json;

use super::setup::*;

#[tokio::test]
async fn a_green_build_sets_the_image_of_exactly_the_environments_following_its_branch() {
    let s = setup().await;
    let ci = s.server.token("ci").await;
    let build = json!({ "service": "app-a", "branch": "feature/x", "sha": F1,
                        "image_tag": "feature-x-f1f1f1f", "result": "success" });
    let (status, answer) = s
        .server
        .send(
            reqwest::Method::POST,
            "/api/v1/builds",
            Some(&ci),
            Some(build.clone()),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["environments"], json!(["stg-1"]));
    s.until_tag("Stg-1 runs the build", "app-a-stg-1", "feature-x-f1f1f1f")
        .await;
    for other in ["app-a-dev", "app-a-stg-2", "app-a-prod"] {
        assert_eq!(s.tag_of(other), "old-0000000", "{other} was patched");
    }
    // The same report again is no news.
    let (status, answer) = s
        .server
        .send(
            reqwest::Method::POST,
            "/api/v1/builds",
            Some(&ci),
            Some(build),
        )
        .await;
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
