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
    // CI's run pages are linked from /prod, plain web addresses only.
    let mut first = run("main", C1, "success");
    first["workflow_run"]["html_url"] = json!("javascript:alert(1)");
    let (status, _) = s.signed("workflow_run", "r-1", &first).await;
    assert_eq!(status, 201);
    s.until_tag("prod runs C1", "app-a-prod", "main-c1c1c1c")
        .await;
    s.until_stage("C1 is deploying", C1, "deploying").await;
    // C2, newer, passes while C1 is still in flight: it wins.
    let mut second = run("main", C2, "success");
    second["workflow_run"]["html_url"] = json!("https://github.com/acme/app-a/actions/runs/2");
    second["workflow_run"]["run_started_at"] = json!("2026-12-01T09:56:00Z");
    s.signed("workflow_run", "r-2", &second).await;
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
    // C2's build ran four minutes (09:56 to 10:00), linked to its run.
    let link = page
        .find("href=\"https://github.com/acme/app-a/actions/runs/2\"")
        .expect("the run of C2 is linked");
    assert!(
        page[link..link + 120].contains("4 min"),
        "{}",
        &page[link..link + 120]
    );
    assert!(!page.contains("javascript:"));
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
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let dated: Vec<(&str, i64)> = subjects.iter().map(|s| (*s, now)).collect();
    common::source_repository(&dir.join("app-a.git"), &dated)
}

#[tokio::test]
async fn prod_deploys_only_builds_of_the_default_branch() {
    let s = setup().await;
    // C1 was built on feature/x (Stg-1 takes it) before main was
    // fast-forwarded to it: that image is not a build of main.
    let (status, answer) = s
        .signed("workflow_run", "r-f", &run("feature/x", C1, "success"))
        .await;
    assert_eq!(status, 201, "{answer}");
    s.until_tag(
        "Stg-1 runs the feature build",
        "app-a-stg-1",
        "feature-x-c1c1c1c",
    )
    .await;
    s.signed("push", "p-1", &push(&[C1])).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.stage_of(C1).await, "pushed");
    assert_eq!(s.tag_of("app-a-prod"), "old-0000000");
    // main's own build of C1 deploys.
    s.signed("workflow_run", "r-m", &run("main", C1, "success"))
        .await;
    s.until_tag("prod runs main's build", "app-a-prod", "main-c1c1c1c")
        .await;
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
    // The newest commit first: nothing was pushed, but git knows its place.
    let (status, _) = s.report_build(&green_main(&shas[2])).await;
    assert_eq!(status, 201);
    let newest = format!("main-{}", &shas[2][..7]);
    s.until_tag("prod runs the newest commit", "app-a-prod", &newest)
        .await;
    // An older commit's build, arriving later, never replaces it.
    s.report_build(&green_main(&shas[0])).await;
    s.until_stage("the older commit is superseded", &shas[0], "superseded")
        .await;
    assert_eq!(s.tag_of("app-a-prod"), newest);
    // A commit that is not on main is never deployed.
    let (status, _) = s.report_build(&green_main(&"d".repeat(40))).await;
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

#[tokio::test]
async fn a_first_start_reads_past_releases_from_argo_cd_and_the_merges_before() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let day = 86_400;
    let sources = tempfile::tempdir().unwrap();
    // Two merges before the oldest sync Argo CD remembers, then the one it
    // deployed (three hours after its commit).
    let shas = common::source_repository(
        &sources.path().join("app-a.git"),
        &[
            ("One", now - 10 * day),
            ("Two", now - 5 * day),
            ("Three", now - 2 * day - 3 * 3600),
        ],
    );
    let git_url = sources.path().join("app-a.git").display().to_string();
    let tag = format!("main-{}", &shas[2][..7]);
    let time = |at: i64| {
        k8s_openapi::jiff::Timestamp::from_second(at)
            .unwrap()
            .to_string()
    };
    let s = setup_prepared(
        "",
        |config| config.services[0].git_url = Some(git_url),
        |cluster| {
            let mut app = application("app-a-prod", &tag);
            app["status"]["history"] = json!([{
                "id": 0, "revision": "abc",
                "deployStartedAt": time(now - 2 * day - 60), "deployedAt": time(now - 2 * day),
                "source": { "helm": { "parameters": [{ "name": "image.tag", "value": tag }] } },
                "initiatedBy": { "username": "admin" }
            }]);
            cluster
                .objects()
                .put(berth::demo::cluster::APPLICATION, app);
        },
    )
    .await;
    until("the history is read", || async {
        s.server.json("/api/v1/metrics/dora?days=30").await["deployments"] == 3
    })
    .await;
    // Not more: the commit Argo CD deployed is not also counted as a merge.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dora = s.server.json("/api/v1/metrics/dora?days=30").await;
    assert_eq!(dora["deployments"], 3, "{dora}");
    // Only the deploy Argo CD remembers has a lead time: the merges are
    // estimates.
    assert_eq!(dora["lead_time_for_changes"]["count"], 1, "{dora}");
    assert_eq!(dora["lead_time_for_changes"]["median_secs"], 3 * 3600);
    assert_eq!(s.stage_of(&shas[0]).await, "deployed");
    let releases = s.server.json("/api/v1/releases?days=30").await;
    assert_eq!(releases["dora"], dora);
}

#[tokio::test]
async fn a_commit_a_force_push_replaced_does_not_hold_its_replacement_back() {
    let sources = tempfile::tempdir().unwrap();
    let repo = sources.path().join("app-a.git");
    let shas = source_repository(sources.path(), &["One", "Two"]);
    let git_url = repo.display().to_string();
    let s = setup_edited("", |config| {
        config.services[0].git_url = Some(git_url);
    })
    .await;
    let send = |sha: String| {
        let s = &s;
        async move {
            let (status, answer) = s.report_build(&green_main(&sha)).await;
            assert_eq!(status, 201, "{answer}");
        }
    };
    send(shas[1].clone()).await;
    let two = format!("main-{}", &shas[1][..7]);
    s.until_tag("prod runs Two", "app-a-prod", &two).await;
    // Two is force-pushed away: main is One, then "Two, fixed" in its place.
    common::git(&repo, &["update-ref", "refs/heads/main", &shas[0]], &[]);
    let fixed = common::source_repository(&repo, &[("Two, fixed", common::T0)]).remove(0);
    send(fixed.clone()).await;
    let replacement = format!("main-{}", &fixed[..7]);
    s.until_tag("prod runs the replacement", "app-a-prod", &replacement)
        .await;
    s.until_stage("Two is superseded", &shas[1], "superseded")
        .await;
}
