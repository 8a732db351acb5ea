//! Locks and freezes hold builds too: a green build for a locked Stg
//! patches nothing, a green default-branch build does not deploy to a
//! locked prod, and both go out once the lock is lifted.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::setup::*;

async fn locked(s: &Setup, environment: &str) -> (String, i64) {
    let root = s.server.token("root").await;
    let lock = json!({ "environment": environment, "reason": "incident 4711" });
    let (status, answer) = s
        .server
        .send(Method::POST, "/api/v1/locks", Some(&root), Some(lock))
        .await;
    assert_eq!(status, 201, "{answer}");
    (root, answer["id"].as_i64().unwrap())
}

async fn lift(s: &Setup, root: &str, id: i64) {
    let path = format!("/api/v1/locks/{id}");
    let (status, answer) = s.server.send(Method::DELETE, &path, Some(root), None).await;
    assert_eq!(status, 200, "{answer}");
}

async fn admin_setup() -> Setup {
    setup_edited("", |config| config.auth.admins = vec!["root".into()]).await
}

#[tokio::test]
async fn a_build_for_a_locked_environment_patches_nothing_until_the_lock_is_lifted() {
    let s = admin_setup().await;
    let (root, id) = locked(&s, "stg-1").await;
    let ci = s.server.token("ci").await;
    let build = json!({ "service": "app-a", "branch": "feature/x", "sha": F1,
                        "image_tag": "feature-x-f1f1f1f", "result": "success" });
    let (status, answer) = s
        .server
        .send(Method::POST, "/api/v1/builds", Some(&ci), Some(build))
        .await;
    // The build is stored (CI did its part); the release is held.
    assert_eq!(status, 201, "{answer}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(s.tag_of("app-a-stg-1"), "old-0000000");
    let audit = s
        .server
        .state
        .actions
        .store
        .audit(&Default::default())
        .await
        .unwrap();
    let held = audit
        .iter()
        .find(|e| e.action == "set-image" && e.target == "stg-1/app-a")
        .expect("the held image update is in the audit log");
    assert_eq!(held.outcome, "refused");
    assert!(held.message.contains("incident 4711"), "{}", held.message);
    // Lifted: the newest green build of the branch goes out by itself.
    lift(&s, &root, id).await;
    s.until_tag(
        "Stg-1 runs the build once lifted",
        "app-a-stg-1",
        "feature-x-f1f1f1f",
    )
    .await;
}

#[tokio::test]
async fn a_locked_prod_keeps_a_green_commit_passed_and_deploys_it_when_lifted() {
    let s = admin_setup().await;
    let (root, id) = locked(&s, "prod").await;
    let (status, answer) = s.signed("push", "p-1", &push(&[C1])).await;
    assert_eq!(status, 200, "{answer}");
    s.signed("workflow_run", "r-1", &run("main", C1, "success"))
        .await;
    s.until_stage("C1 passed", C1, "passed").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(s.stage_of(C1).await, "passed");
    assert_eq!(s.tag_of("app-a-prod"), "old-0000000");
    let pipeline = s.server.json("/api/v1/pipeline/app-a").await;
    let note = pipeline.to_string();
    assert!(note.contains("held: prod is locked by root"), "{note}");
    lift(&s, &root, id).await;
    s.until_tag("prod runs C1 once lifted", "app-a-prod", "main-c1c1c1c")
        .await;
    s.until_stage("C1 is deploying", C1, "deploying").await;
}

const C3: &str = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";

/// Pushes and builds `sha` green, and has Argo CD report it Healthy.
async fn deployed(s: &Setup, sha: &str, n: u32) {
    let tag = format!("main-{}", &sha[..7]);
    s.signed("push", &format!("p-{n}"), &push(&[sha])).await;
    s.signed(
        "workflow_run",
        &format!("r-{n}"),
        &run("main", sha, "success"),
    )
    .await;
    s.until_tag("prod runs the commit", "app-a-prod", &tag)
        .await;
    s.report("app-a-prod", &tag, "Healthy");
    s.until_stage("the commit is deployed", sha, "deployed")
        .await;
}

#[tokio::test]
async fn a_rollback_goes_back_pauses_automation_and_counts_for_time_to_restore() {
    let s = admin_setup().await;
    deployed(&s, C1, 1).await;
    deployed(&s, C2, 2).await;
    let releases = s.server.json("/api/v1/releases/prod").await;
    let c1 = releases["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["image_tag"] == "main-c1c1c1c")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let root = s.server.token("root").await;
    let dave = s.server.token("dave").await;
    let path = "/api/v1/pipeline/app-a/rollback";
    let body = json!({ "release": c1, "reason": "checkout errors since c2" });
    // Developers do not roll prod back; a reason is needed.
    let (status, _) = s
        .server
        .send(Method::POST, path, Some(&dave), Some(body.clone()))
        .await;
    assert_eq!(status, 403);
    let (status, _) = s
        .server
        .send(
            Method::POST,
            path,
            Some(&root),
            Some(json!({ "release": c1, "reason": " " })),
        )
        .await;
    assert_eq!(status, 400);
    let (status, answer) = s
        .server
        .send(Method::POST, path, Some(&root), Some(body))
        .await;
    assert_eq!(status, 201, "{answer}");
    s.until_tag("prod runs C1 again", "app-a-prod", "main-c1c1c1c")
        .await;
    let newest = &s.server.json("/api/v1/releases/prod").await["releases"];
    assert_eq!(newest[0]["trigger"], "rollback");
    assert_eq!(newest[0]["triggered_by"], "root");
    assert_eq!(newest[1]["image_tag"], "main-c2c2c2c");
    assert_eq!(newest[1]["outcome"], "failed");
    assert_eq!(s.stage_of(C2).await, "deploy_failed");
    // Rolling back to what runs now is refused.
    let (status, _) = s
        .server
        .send(
            Method::POST,
            path,
            Some(&root),
            Some(json!({ "release": c1, "reason": "again" })),
        )
        .await;
    assert_eq!(status, 400);

    // The rollback deployed: the failure is restored, in the figures.
    s.report("app-a-prod", "main-c1c1c1c", "Healthy");
    until("the rollback is deployed", || async {
        s.server.json("/api/v1/releases/prod").await["releases"][0]["outcome"] == "deployed"
    })
    .await;
    let dora = s.server.json("/api/v1/metrics/dora?days=30").await;
    assert!(dora["time_to_restore"].is_object(), "{dora}");
    assert!(
        dora["change_failure_rate"].as_f64().unwrap() > 0.0,
        "{dora}"
    );

    // Paused: a newer green commit is listed, not deployed, and says why.
    s.signed("push", "p-3", &push(&[C3])).await;
    s.signed("workflow_run", "r-3", &run("main", C3, "success"))
        .await;
    s.until_stage("C3 passed", C3, "passed").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(s.tag_of("app-a-prod"), "main-c1c1c1c");
    let pipeline = s.server.json("/api/v1/pipeline/app-a").await.to_string();
    assert!(pipeline.contains("paused by root"), "{pipeline}");
    let holds = s.server.json("/api/v1/holds").await;
    let prod = holds["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["environment"] == "prod")
        .unwrap();
    assert_eq!(prod["paused"][0]["service"], "app-a");
    // Resumed, the newest green commit goes out.
    let (status, _) = s
        .server
        .send(
            Method::POST,
            "/api/v1/pipeline/app-a/resume",
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 204);
    s.until_tag("prod runs C3 once resumed", "app-a-prod", "main-c3c3c3c")
        .await;
    let audit = s
        .server
        .state
        .actions
        .store
        .audit(&Default::default())
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.action == "rollback"
        && e.outcome == "committed"
        && e.message == "checkout errors since c2"));
    assert!(audit
        .iter()
        .any(|e| e.action == "resume-automation" && e.actor == "root"));
}

#[tokio::test]
async fn a_rollback_while_a_deploy_is_in_flight_undoes_that_deploy() {
    let s = admin_setup().await;
    deployed(&s, C1, 1).await;
    deployed(&s, C2, 2).await;
    // C3 starts deploying and never turns healthy (a crash loop shows as
    // Progressing until the deploy timeout).
    s.signed("push", "p-3", &push(&[C3])).await;
    s.signed("workflow_run", "r-3", &run("main", C3, "success"))
        .await;
    s.until_tag("prod runs C3", "app-a-prod", "main-c3c3c3c")
        .await;
    s.until_stage("C3 is deploying", C3, "deploying").await;
    let prod = s.server.json("/api/v1/releases/prod").await;
    let releases = prod["releases"].as_array().unwrap();
    let c2 = releases
        .iter()
        .find(|r| r["image_tag"] == "main-c2c2c2c")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    // C2, the newest deployed, is the way back: C3's image is already set.
    let root = s.server.token("root").await;
    let body = json!({ "release": c2, "reason": "C3 crash-loops" });
    let (status, answer) = s
        .server
        .send(
            Method::POST,
            "/api/v1/pipeline/app-a/rollback",
            Some(&root),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    s.until_tag("prod runs C2 again", "app-a-prod", "main-c2c2c2c")
        .await;
    // The deploy it undid failed at once; C2's own release stays deployed.
    let newest = &s.server.json("/api/v1/releases/prod").await["releases"];
    assert_eq!(newest[0]["trigger"], "rollback");
    assert_eq!(newest[1]["image_tag"], "main-c3c3c3c");
    assert_eq!(newest[1]["outcome"], "failed");
    assert_eq!(newest[2]["image_tag"], "main-c2c2c2c");
    assert_eq!(newest[2]["outcome"], "deployed");
    assert_eq!(s.stage_of(C3).await, "deploy_failed");
}
