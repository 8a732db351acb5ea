//! Berth's cluster watches against the demo cluster, through kube-rs and a
//! kubeconfig exactly as against a real API server: objects arrive, changes
//! follow within a second, lists come in pages, an outage is reported as
//! stale and heals by itself, an expired resource version (410) makes the
//! watch relist, a cluster that lists but refuses watches stays stale
//! rather than flapping, and patches change only what they name.

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use berth::{
    cluster::{self, Application, ClusterState, Live},
    config::ClusterConfig,
    demo::cluster::{http, store::Refusal, DemoCluster, ObjectStore, Options, APPLICATION, POD},
};
use kube::{
    api::{Patch, PatchParams},
    Api,
};
use serde_json::{json, Value};

const TOKEN: &str = "test-token";

fn application(name: &str, sync: &str, health: &str) -> Value {
    json!({
        "metadata": { "name": name, "namespace": "argocd", "labels": { "team": "photos" } },
        "spec": {
            "project": "default",
            "destination": { "server": "https://kubernetes.default.svc", "namespace": "dev" },
            "source": {
                "repoURL": "https://git.example/charts.git",
                "path": "charts/photo-api",
                "helm": { "parameters": [
                    { "name": "replicaCount", "value": "2" },
                    { "name": "image.tag", "value": "main-1a2b3c4" }
                ] }
            }
        },
        "status": {
            "sync": { "status": sync, "revision": "1a2b3c4d" },
            "health": { "status": health },
            "summary": { "images": ["registry.example/photo-api:main-1a2b3c4"] }
        }
    })
}

fn pod(name: &str) -> Value {
    json!({ "metadata": { "name": name, "namespace": "sandboxes" }, "status": { "phase": "Running" } })
}

struct Setup {
    cluster: DemoCluster,
    config: ClusterConfig,
    _dir: tempfile::TempDir,
}

async fn setup(options: Options, token: &str) -> Setup {
    let cluster = DemoCluster::start(0, TOKEN, options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    cluster
        .write_kubeconfig(&kubeconfig, "demo", token)
        .unwrap();
    Setup {
        cluster,
        config: cluster_config(kubeconfig),
        _dir: dir,
    }
}

/// Cluster `demo` through `kubeconfig`, watching namespace `sandboxes`.
fn cluster_config(kubeconfig: std::path::PathBuf) -> ClusterConfig {
    ClusterConfig {
        name: "demo".into(),
        kubeconfig: Some(kubeconfig),
        context: Some("demo".into()),
        in_cluster: false,
        argocd_namespace: "argocd".into(),
        namespaces: vec!["sandboxes".into()],
        instance_label: "app.kubernetes.io/instance".into(),
    }
}

/// Polls until `check` holds; fails the test with `what` after `limit`.
async fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn app_status(live: &Live, name: &str) -> Option<(String, String)> {
    let cluster = live.cluster("demo")?;
    let app = cluster
        .applications
        .state()
        .into_iter()
        .find(|a| a.metadata.name.as_deref() == Some(name))?;
    let status = app.status.clone()?;
    Some((status.sync?.status, status.health?.status))
}

#[tokio::test]
async fn applications_arrive_and_their_changes_follow_within_a_second() {
    let setup = setup(Options::default(), TOKEN).await;
    let store = setup.cluster.objects();
    store.put(
        APPLICATION,
        application("photo-api-dev", "Synced", "Healthy"),
    );
    let live = cluster::start(std::slice::from_ref(&setup.config)).await;
    eventually(Duration::from_secs(5), "the cluster is live", || {
        live.clusters[0].state() == ClusterState::Live
    })
    .await;
    assert_eq!(
        app_status(&live, "photo-api-dev"),
        Some(("Synced".into(), "Healthy".into()))
    );

    store
        .update(APPLICATION, "argocd", "photo-api-dev", |mut app| {
            app["status"]["sync"]["status"] = json!("OutOfSync");
            app["status"]["health"]["status"] = json!("Degraded");
            Ok(app)
        })
        .unwrap();
    eventually(Duration::from_secs(1), "the degraded status", || {
        app_status(&live, "photo-api-dev") == Some(("OutOfSync".into(), "Degraded".into()))
    })
    .await;

    // Managed fields are not kept: memory stays flat with many objects.
    store
        .update(APPLICATION, "argocd", "photo-api-dev", |mut app| {
            app["metadata"]["managedFields"] =
                json!([{ "manager": "argocd-controller", "operation": "Update" }]);
            app["metadata"]["labels"]["touched"] = json!("yes");
            Ok(app)
        })
        .unwrap();
    let cluster = live.cluster("demo").unwrap();
    eventually(Duration::from_secs(1), "the relabelled application", || {
        cluster.applications.state().iter().any(|a| {
            a.metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.contains_key("touched"))
        })
    })
    .await;
    assert!(cluster
        .applications
        .state()
        .iter()
        .all(|a| a.metadata.managed_fields.is_none()));
}

#[tokio::test]
async fn an_outage_is_stale_then_heals_and_an_expired_version_relists_to_a_consistent_store() {
    let mut setup = setup(Options::default(), TOKEN).await;
    let store = std::sync::Arc::clone(setup.cluster.objects());
    for i in 0..3 {
        store.put(POD, pod(&format!("sandbox-{i}")));
    }
    store.put(APPLICATION, application("sandbox-0", "Synced", "Healthy"));
    let live = cluster::start(std::slice::from_ref(&setup.config)).await;
    let cluster = std::sync::Arc::clone(&live.clusters[0]);
    eventually(Duration::from_secs(5), "the cluster is live", || {
        cluster.state() == ClusterState::Live
    })
    .await;
    assert_eq!(cluster.pods[0].state().len(), 3);

    setup.cluster.stop();
    // While it is away: a pod goes, one comes, and the change log is
    // compacted, so the watches' resource version is too old to resume.
    store.delete(POD, "sandboxes", "sandbox-1");
    store.put(POD, pod("sandbox-9"));
    store.compact();
    eventually(
        Duration::from_secs(10),
        "the cluster reported stale",
        || matches!(cluster.state(), ClusterState::Stale { .. }),
    )
    .await;
    // The last known state stays.
    assert_eq!(cluster.pods[0].state().len(), 3);
    assert_eq!(
        app_status(&live, "sandbox-0"),
        Some(("Synced".into(), "Healthy".into()))
    );

    setup.cluster.resume().await.unwrap();
    eventually(Duration::from_secs(40), "the cluster live again", || {
        cluster.state() == ClusterState::Live
    })
    .await;
    eventually(
        Duration::from_secs(5),
        "the store matching the cluster",
        || {
            let mut names: Vec<String> = cluster.pods[0]
                .state()
                .iter()
                .filter_map(|p| p.metadata.name.clone())
                .collect();
            names.sort();
            names == ["sandbox-0", "sandbox-2", "sandbox-9"]
        },
    )
    .await;
}

/// The demo cluster's API behind a gate that, while `refuse` is set,
/// answers every watch with 403 and lets lists through: a role with
/// `list` but not `watch`, or a proxy that refuses streams.
async fn serve_refusing_watches(
    store: Arc<ObjectStore>,
    refuse: Arc<AtomicBool>,
) -> std::net::SocketAddr {
    let api = http::Api::new(store, TOKEN, Duration::from_secs(10));
    let gate = move |request: axum::extract::Request, next: axum::middleware::Next| {
        let refuse = Arc::clone(&refuse);
        async move {
            let query = request.uri().query().unwrap_or("");
            let watch = query
                .split('&')
                .any(|p| p == "watch=true" || p == "watch=1");
            if watch && refuse.load(Ordering::SeqCst) {
                return http::status(Refusal {
                    code: 403,
                    reason: "Forbidden",
                    message: "User \"system:serviceaccount:berth:berth\" cannot watch resource"
                        .into(),
                });
            }
            next.run(request).await
        }
    };
    let router = http::router(api).layer(axum::middleware::from_fn(gate));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

#[tokio::test]
async fn a_cluster_that_lists_but_refuses_watches_stays_stale_instead_of_flapping() {
    let store = Arc::new(ObjectStore::new(10_000));
    store.put(
        APPLICATION,
        application("photo-api-dev", "Synced", "Healthy"),
    );
    let refuse = Arc::new(AtomicBool::new(true));
    let addr = serve_refusing_watches(Arc::clone(&store), Arc::clone(&refuse)).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let entry = ("demo".to_string(), addr, TOKEN.to_string());
    std::fs::write(&kubeconfig, berth::demo::cluster::kubeconfig(&[entry])).unwrap();
    let live = cluster::start(&[cluster_config(kubeconfig)]).await;
    let cluster = Arc::clone(&live.clusters[0]);
    eventually(Duration::from_secs(10), "stale once watching fails", || {
        matches!(cluster.state(), ClusterState::Stale { .. })
    })
    .await;
    // The lists worked: what they said is kept.
    assert_eq!(
        app_status(&live, "photo-api-dev"),
        Some(("Synced".into(), "Healthy".into()))
    );
    // Lists keep answering and watches keep failing: it stays stale,
    // never live for a moment (each flip would redraw every open page).
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(6) {
        let state = cluster.state();
        assert!(
            matches!(state, ClusterState::Stale { .. }),
            "{state:?} after {:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Allowed to watch again, it is live by itself, with nothing changed
    // in the cluster to tell it so.
    refuse.store(false, Ordering::SeqCst);
    eventually(Duration::from_secs(40), "live once watches work", || {
        cluster.state() == ClusterState::Live
    })
    .await;
}

#[tokio::test]
async fn lists_come_in_pages_and_an_idle_watch_sees_the_next_change() {
    let options = Options {
        bookmark_every: Duration::from_millis(200),
        ..Options::default()
    };
    let setup = setup(options, TOKEN).await;
    let store = setup.cluster.objects();
    // More than one page of 500.
    for i in 0..1_200 {
        store.put(POD, pod(&format!("pod-{i:04}")));
    }
    let live = cluster::start(std::slice::from_ref(&setup.config)).await;
    let cluster = &live.clusters[0];
    eventually(Duration::from_secs(10), "all pods listed", || {
        cluster.pods[0].state().len() == 1_200
    })
    .await;
    // Other kinds change meanwhile; the pod watch sees only bookmarks.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..5 {
        store.put(
            APPLICATION,
            application(&format!("app-{i}"), "Synced", "Healthy"),
        );
    }
    store.put(POD, pod("pod-new"));
    eventually(Duration::from_secs(1), "the new pod", || {
        cluster.pods[0].state().len() == 1_201
    })
    .await;
    assert_eq!(cluster.state(), ClusterState::Live);
}

#[tokio::test]
async fn a_wrong_token_is_reported_not_fatal() {
    let setup = setup(Options::default(), "not-the-token").await;
    let live = cluster::start(std::slice::from_ref(&setup.config)).await;
    let cluster = &live.clusters[0];
    eventually(Duration::from_secs(5), "the failure reported", || {
        matches!(cluster.state(), ClusterState::Stale { .. })
    })
    .await;
    let ClusterState::Stale { error, .. } = cluster.state() else {
        unreachable!()
    };
    assert!(
        error.contains("Unauthorized") || error.contains("401"),
        "{error}"
    );
}

#[tokio::test]
async fn a_json_patch_changes_only_the_image_tag_and_a_failed_test_changes_nothing() {
    let setup = setup(Options::default(), TOKEN).await;
    let store = setup.cluster.objects();
    let before = store.put(
        APPLICATION,
        application("photo-api-stg-1", "Synced", "Healthy"),
    );
    let client = cluster::client(&setup.config).await.unwrap();
    let api: Api<Application> = Api::namespaced(client, "argocd");

    let patch: json_patch::Patch = serde_json::from_value(json!([
        { "op": "test", "path": "/spec/source/helm/parameters/1/name", "value": "image.tag" },
        { "op": "replace", "path": "/spec/source/helm/parameters/1/value", "value": "main-9f8e7d6" }
    ]))
    .unwrap();
    let patched = api
        .patch(
            "photo-api-stg-1",
            &PatchParams::default(),
            &Patch::Json::<()>(patch),
        )
        .await
        .unwrap();
    assert_ne!(
        patched.metadata.resource_version,
        before["metadata"]["resourceVersion"]
            .as_str()
            .map(String::from)
    );
    let after = store.get(APPLICATION, "argocd", "photo-api-stg-1").unwrap();
    let mut expected = before.clone();
    expected["spec"]["source"]["helm"]["parameters"][1]["value"] = json!("main-9f8e7d6");
    expected["metadata"]["resourceVersion"] = after["metadata"]["resourceVersion"].clone();
    assert_eq!(after, expected, "only the tag (and the version) changed");

    // The parameter moved: the guard fails, nothing is written.
    let wrong: json_patch::Patch = serde_json::from_value(json!([
        { "op": "test", "path": "/spec/source/helm/parameters/0/name", "value": "image.tag" },
        { "op": "replace", "path": "/spec/source/helm/parameters/0/value", "value": "oops" }
    ]))
    .unwrap();
    let error = api
        .patch(
            "photo-api-stg-1",
            &PatchParams::default(),
            &Patch::Json::<()>(wrong),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, kube::Error::Api(status) if status.code == 422),
        "{error}"
    );
    assert_eq!(
        store.get(APPLICATION, "argocd", "photo-api-stg-1").unwrap(),
        after
    );

    // A merge patch from an older version is a conflict.
    let stale = json!({ "metadata": { "resourceVersion": before["metadata"]["resourceVersion"] }, "spec": { "project": "other" } });
    let error = api
        .patch(
            "photo-api-stg-1",
            &PatchParams::default(),
            &Patch::Merge(&stale),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, kube::Error::Api(status) if status.code == 409),
        "{error}"
    );
    assert_eq!(
        store.get(APPLICATION, "argocd", "photo-api-stg-1").unwrap(),
        after
    );
}

#[tokio::test]
async fn the_api_says_which_clusters_are_live_and_what_they_hold() {
    let upstream = common::Upstream::new();
    let without = common::Server::start(&upstream, false).await;
    let none = without.json("/api/v1/clusters").await;
    assert_eq!(none, json!({ "configured": false, "clusters": [] }));

    let mut setup = setup(Options::default(), TOKEN).await;
    setup.cluster.objects().put(
        APPLICATION,
        application("photo-api-dev", "Synced", "Healthy"),
    );
    setup.cluster.objects().put(POD, pod("sandbox-ann"));
    let kubeconfig = setup.config.kubeconfig.clone().unwrap();
    let extra = format!(
        "[[clusters]]\nname = \"demo\"\nkubeconfig = {:?}\nnamespaces = [\"sandboxes\"]\n",
        kubeconfig.display().to_string()
    );
    let server = common::Server::start_with(&upstream, false, &extra).await;
    let mut body = json!(null);
    eventually_async(
        Duration::from_secs(5),
        "the cluster live in the API",
        async || {
            body = server.json("/api/v1/clusters").await;
            body["clusters"][0]["connection"]["state"] == "live"
        },
    )
    .await;
    assert_eq!(body["configured"], true);
    assert_eq!(body["clusters"][0]["name"], "demo");
    assert_eq!(body["clusters"][0]["applications"], 1);
    assert_eq!(body["clusters"][0]["pods"], 1);

    // Away: stale since a time, with the last known counts.
    setup.cluster.stop();
    eventually_async(
        Duration::from_secs(10),
        "the cluster stale in the API",
        async || {
            body = server.json("/api/v1/clusters").await;
            body["clusters"][0]["connection"]["state"] == "stale"
        },
    )
    .await;
    assert!(body["clusters"][0]["connection"]["since"].as_i64().unwrap() > 0);
    assert_eq!(body["clusters"][0]["applications"], 1);
}

async fn eventually_async(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn each_continue_token_pages_through_its_own_list() {
    let setup = setup(Options::default(), TOKEN).await;
    let store = setup.cluster.objects();
    for i in 0..3 {
        store.put(POD, pod(&format!("pod-{i}")));
        store.put(
            APPLICATION,
            application(&format!("app-{i}"), "Synced", "Healthy"),
        );
    }
    let base = format!("http://{}", setup.cluster.addr());
    let client = reqwest::Client::new();
    let get = |path: String| {
        let request = client.get(format!("{base}{path}")).bearer_auth(TOKEN);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // Two lists cut at the same resource version.
    let pods = get("/api/v1/namespaces/sandboxes/pods?limit=2".into()).await;
    let apps =
        get("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications?limit=2".into()).await;
    assert_eq!(
        pods["metadata"]["resourceVersion"],
        apps["metadata"]["resourceVersion"]
    );
    let token = pods["metadata"]["continue"].as_str().unwrap();
    let rest = get(format!(
        "/api/v1/namespaces/sandboxes/pods?limit=2&continue={token}"
    ))
    .await;
    assert_eq!(rest["items"][0]["metadata"]["name"], "pod-2");
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["metadata"].get("continue").is_none());
    // An unknown token is 410, as an expired one is on a real server.
    let gone = client
        .get(format!(
            "{base}/api/v1/namespaces/sandboxes/pods?limit=2&continue=9.9:2"
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 410);
}
