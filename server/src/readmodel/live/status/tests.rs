use std::sync::Arc;

use serde_json::json;

use super::*;

fn app(status: serde_json::Value) -> Application {
    serde_json::from_value(json!({
        "metadata": { "name": "app-a-stg-1", "namespace": "argocd", "creationTimestamp": "2026-12-01T08:00:00Z" },
        "spec": {},
        "status": status,
    }))
    .unwrap()
}

fn pod(status: serde_json::Value) -> Arc<Pod> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": { "name": "app-a-5d8f-x2k9q", "namespace": "stg-1" },
            "spec": { "containers": [{ "name": "app", "image": "registry.example/app-a:main-1a2b3c4" }] },
            "status": status,
        }))
        .unwrap(),
    )
}

fn facts<'a>(application: Option<&'a Application>, workloads: Option<&'a Workloads>) -> Facts<'a> {
    Facts {
        cluster: "nonprod",
        name: "app-a-stg-1",
        application,
        workloads,
        stale_since: None,
    }
}

const MAIN: Expect = Expect {
    branch: Some("main"),
    image: Some("registry.example/app-a"),
};

fn healthy(tag: &str) -> serde_json::Value {
    json!({
        "sync": { "status": "Synced", "revision": "9f8e7d6" },
        "health": { "status": "Healthy" },
        "summary": { "images": [format!("registry.example/app-a:{tag}"), "registry.example/envoy:1.30"] },
        "operationState": { "phase": "Succeeded", "finishedAt": "2026-12-01T08:05:00Z" },
    })
}

#[test]
fn a_synced_healthy_application_on_the_right_branch_is_fine() {
    let app = app(healthy("main-1a2b3c4"));
    let live = status(&facts(Some(&app), None), &MAIN);
    assert_eq!(live.drift, Vec::<String>::new());
    assert_eq!(live.tone(), "ok");
    // Only the service's own image counts, not a sidecar's.
    assert_eq!(live.images, ["main-1a2b3c4"]);
    assert_eq!(live.revision.as_deref(), Some("9f8e7d6"));
    assert_eq!(live.synced_at, Some(1_796_112_300));
}

#[test]
fn an_image_built_from_another_branch_is_drift_in_words() {
    let app = app(healthy("feature-login-1a2b3c4"));
    let expect = Expect {
        branch: Some("feature/Login"),
        ..MAIN
    };
    assert!(status(&facts(Some(&app), None), &expect).drift.is_empty());
    let live = status(&facts(Some(&app), None), &MAIN);
    assert_eq!(
        live.drift,
        ["the file says `main`, but the running image `feature-login-1a2b3c4` was built from `feature-login`"]
    );
    assert_eq!(live.tone(), "problem");
}

#[test]
fn degraded_says_why_from_the_pods_when_argo_cd_does_not() {
    let app = app(json!({
        "sync": { "status": "Synced" },
        "health": { "status": "Degraded", "message": "" },
        "summary": { "images": ["registry.example/app-a:main-1a2b3c4"] },
    }));
    let workloads = Workloads {
        pods: vec![pod(json!({
            "containerStatuses": [{
                "name": "app", "image": "registry.example/app-a:main-1a2b3c4", "imageID": "", "ready": false, "restartCount": 7,
                "state": { "waiting": { "reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=app" } }
            }]
        }))],
        ..Workloads::default()
    };
    let live = status(&facts(Some(&app), Some(&workloads)), &MAIN);
    assert_eq!(
        live.drift,
        ["Degraded: CrashLoopBackOff: back-off 5m0s restarting failed container=app"]
    );
}

#[test]
fn out_of_sync_and_missing_applications_are_named() {
    let app = app(json!({ "sync": { "status": "OutOfSync" }, "health": { "status": "Healthy" } }));
    let live = status(&facts(Some(&app), None), &MAIN);
    assert_eq!(live.drift, ["OutOfSync: the cluster does not match git"]);
    let missing = status(&facts(None, None), &MAIN);
    assert!(!missing.found);
    assert_eq!(
        missing.drift,
        ["the file says `main`, but Argo CD has no Application `app-a-stg-1` in cluster `nonprod`"]
    );
    // While a sync runs, OutOfSync is on its way, not a problem.
    let syncing = app_with_operation("Running");
    assert!(status(&facts(Some(&syncing), None), &MAIN).drift.is_empty());
    let failed = app_with_operation("Failed");
    assert_eq!(
        status(&facts(Some(&failed), None), &MAIN).drift,
        ["the last sync failed: one or more objects failed to apply"]
    );
}

fn app_with_operation(phase: &str) -> Application {
    app(json!({
        "sync": { "status": "OutOfSync" },
        "health": { "status": "Progressing" },
        "operationState": { "phase": phase, "message": "one or more objects failed to apply" },
    }))
}

#[test]
fn cluster_text_is_cut_to_a_readable_length() {
    let long = "x".repeat(10_000);
    let app = app(json!({
        "health": { "status": "Degraded", "message": long },
    }));
    let live = status(&facts(Some(&app), None), &MAIN);
    let degraded = live
        .drift
        .iter()
        .find(|d| d.starts_with("Degraded"))
        .unwrap();
    assert!(degraded.chars().count() < 320, "{}", degraded.len());
}

#[test]
fn the_chain_stops_at_the_pod_with_the_clusters_reason() {
    let app = app(healthy("main-1a2b3c4"));
    let workloads = Workloads {
        pods: vec![pod(json!({
            "containerStatuses": [{
                "name": "app", "image": "x", "imageID": "", "ready": false, "restartCount": 0,
                "state": { "waiting": { "reason": "ImagePullBackOff", "message": "Back-off pulling image \"x\"" } }
            }]
        }))],
        ..Workloads::default()
    };
    let facts = facts(Some(&app), Some(&workloads));
    let live = status(
        &facts,
        &Expect {
            branch: None,
            image: None,
        },
    );
    let steps = chain(Some(1_796_111_000), &live, &facts);
    let states: Vec<_> = steps.iter().map(|s| (s.label.as_str(), s.state)).collect();
    assert_eq!(
        states,
        [
            ("File committed", StepState::Done),
            ("Application generated", StepState::Done),
            ("Synced", StepState::Done),
            ("Pod ready", StepState::Failed),
            ("Ingress host set", StepState::Waiting),
        ]
    );
    assert_eq!(
        steps[3].detail.as_deref(),
        Some("ImagePullBackOff: Back-off pulling image \"x\"")
    );
    assert_eq!(steps[1].at, Some(1_796_112_000));
}

#[test]
fn a_multi_source_application_shows_its_first_sources_revision_cut() {
    let mut synced = healthy("main-1a2b3c4");
    // A chart from git, and Helm values from a second repository.
    synced["sync"] = json!({ "status": "Synced", "revisions": ["4c3b2a1", "1.4.2"] });
    let multi = app(synced);
    let live = status(&facts(Some(&multi), None), &MAIN);
    assert_eq!(live.revision.as_deref(), Some("4c3b2a1"));

    let long = "r".repeat(10_000);
    let odd = app(json!({ "sync": { "status": "Synced", "revisions": [long] } }));
    let live = status(&facts(Some(&odd), None), &MAIN);
    let revision = live.revision.unwrap();
    assert!(revision.chars().count() < 320, "{}", revision.len());
}
