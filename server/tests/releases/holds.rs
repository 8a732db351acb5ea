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
