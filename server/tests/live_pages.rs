//! Live state on the pages and in the JSON API, against the demo cluster
//! through a kubeconfig as against a real one: a cell shows what runs and
//! what differs from git, changes reach the API and open pages (Server-
//! Sent Events) within a second, and a cluster that goes away is shown as
//! stale and recovers by itself.

mod common;

use std::time::{Duration, Instant};

use berth::demo::cluster::{DemoCluster, Options, APPLICATION, POD};
use futures::StreamExt;
use serde_json::{json, Value};

const TOKEN: &str = "pages-token";

fn application(name: &str, tag: &str) -> Value {
    json!({
        "metadata": { "name": name, "namespace": "argocd" },
        "spec": {
            "destination": { "namespace": "stg-1" },
            "source": { "repoURL": "https://git.example/charts.git", "helm": { "parameters": [{ "name": "image.tag", "value": tag }] } }
        },
        "status": {
            "sync": { "status": "Synced", "revision": "0123456789abcdef" },
            "health": { "status": "Healthy" },
            "summary": { "images": [format!("registry.example/app-a:{tag}")] },
            "operationState": { "phase": "Succeeded", "finishedAt": "2026-12-01T08:00:00Z" }
        }
    })
}

struct Setup {
    cluster: DemoCluster,
    server: common::Server,
    _upstream: common::Upstream,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let upstream = common::Upstream::new();
    upstream.commit("Ann", common::T0, "environments", common::ENV_FILES);
    let cluster = DemoCluster::start(0, TOKEN, Options::default())
        .await
        .unwrap();
    // Every cell the files (and prod's default branches) deploy runs.
    let running = [
        ("prod", "app-a", "main"),
        ("prod", "app-b", "master"),
        ("prod", "app-c", "main"),
        ("stg-1", "app-a", "main"),
        ("stg-1", "app-c", "main"),
        ("stg-2", "app-a", "main"),
        ("dev", "app-a", "main"),
        ("dev", "app-b", "master"),
    ];
    for (env, service, branch) in running {
        cluster.objects().put(
            APPLICATION,
            application(&format!("{service}-{env}"), &format!("{branch}-1a2b3c4")),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    cluster
        .write_kubeconfig(&kubeconfig, "demo", TOKEN)
        .unwrap();
    let extra = format!(
        "[[clusters]]\nname = \"nonprod\"\nkubeconfig = {:?}\nnamespaces = [\"stg-1\"]\n",
        kubeconfig.display().to_string()
    );
    let server = common::Server::start_with(&upstream, true, &extra).await;
    Setup {
        cluster,
        server,
        _upstream: upstream,
        _dir: dir,
    }
}

async fn eventually(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The next event on an SSE stream, within a second.
async fn next_event(
    body: &mut (impl futures::Stream<Item = reqwest::Result<axum::body::Bytes>> + Unpin),
    text: &mut String,
) -> Value {
    loop {
        if let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) {
                return serde_json::from_str(data.trim()).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(1), body.next())
            .await
            .expect("an event within a second")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}

fn stg1(body: &Value) -> &Value {
    body["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "stg-1")
        .unwrap()
}

#[tokio::test]
async fn a_degraded_application_reaches_the_api_within_a_second_in_words() {
    let setup = setup().await;
    let server = &setup.server;
    eventually(
        Duration::from_secs(10),
        "stg-1 live in the API",
        async || {
            let body = server.json("/api/v1/environments").await;
            stg1(&body)["live"]["app-a"]["health"] == "Healthy"
        },
    )
    .await;
    let body = server.json("/api/v1/environments").await;
    let env = stg1(&body);
    assert_eq!(env["drifted"], json!([]), "{env}");
    assert_eq!(env["live"]["app-a"]["images"], json!(["main-1a2b3c4"]));
    assert_eq!(env["live"]["app-a"]["cluster"], "nonprod");

    // Argo CD reports it OutOfSync and Degraded; its Pod says why.
    setup
        .cluster
        .objects()
        .update(APPLICATION, "argocd", "app-a-stg-1", |mut app| {
            app["status"]["sync"]["status"] = json!("OutOfSync");
            app["status"]["health"]["status"] = json!("Degraded");
            Ok(app)
        })
        .unwrap();
    setup.cluster.objects().put(
        POD,
        json!({
            "metadata": { "name": "app-a-6c9f-abcde", "namespace": "stg-1", "labels": { "app.kubernetes.io/instance": "app-a-stg-1" } },
            "spec": { "containers": [{ "name": "app", "image": "registry.example/app-a:main-1a2b3c4" }] },
            "status": { "phase": "Running", "containerStatuses": [{
                "name": "app", "image": "registry.example/app-a:main-1a2b3c4", "imageID": "", "ready": false, "restartCount": 4,
                "state": { "waiting": { "reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container" } }
            }] }
        }),
    );
    let changed = Instant::now();
    eventually(Duration::from_secs(1), "Degraded in the API", async || {
        let body = server.json("/api/v1/environments").await;
        stg1(&body)["drifted"] == json!(["app-a"])
    })
    .await;
    println!("Degraded reached the API in {:?}", changed.elapsed());
    let body = server.json("/api/v1/environments").await;
    let drift = &stg1(&body)["live"]["app-a"]["drift"];
    assert_eq!(
        drift,
        &json!([
            "OutOfSync: the cluster does not match git",
            "Degraded: CrashLoopBackOff: back-off 40s restarting failed container"
        ])
    );

    // The page shows it too, in the cell, with the lane's count.
    let (status, html) = server.get("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Degraded: CrashLoopBackOff"), "{html}");
    assert_eq!(html.matches("data-live=\"problem\"").count(), 1);
    assert_eq!(
        html.matches("live problem(s)").count(),
        1,
        "only Stg-1's lane"
    );
    assert!(html.contains("1 live problem(s)"));
    let (_, filtered) = server.get("/?problems=1").await;
    assert!(filtered.contains("1 of 3 services"), "{filtered}");
}

#[tokio::test]
async fn open_pages_get_only_what_changed_as_server_sent_events() {
    let setup = setup().await;
    let server = &setup.server;
    eventually(Duration::from_secs(10), "stg-1 live", async || {
        let body = server.json("/api/v1/environments").await;
        stg1(&body)["live"]["app-a"]["health"] == "Healthy"
    })
    .await;
    let response = server
        .client()
        .get(format!("{}/api/v1/events", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream",
        "an event stream, not compressed or cached"
    );
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let hello = next_event(&mut body, &mut text).await;
    // The first event says where the live state stands, nothing more.
    assert_eq!(
        hello["version"].as_u64(),
        Some(server.read_model().live_version()),
        "{hello}"
    );
    assert_eq!(hello["cells"], json!([]));
    setup
        .cluster
        .objects()
        .update(APPLICATION, "argocd", "app-c-stg-1", |mut app| {
            app["status"]["health"]["status"] = json!("Degraded");
            Ok(app)
        })
        .unwrap();
    let changed = Instant::now();
    let update = next_event(&mut body, &mut text).await;
    println!("the event arrived in {:?}", changed.elapsed());
    let cells = update["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 1, "only the cell that changed: {update}");
    assert_eq!(cells[0]["environment"], "stg-1");
    assert_eq!(cells[0]["service"], "app-c");
    assert_eq!(cells[0]["live"]["health"], "Degraded");
    assert_eq!(update["git"], false);
    assert_eq!(
        update["version"].as_u64().unwrap(),
        hello["version"].as_u64().unwrap() + 1
    );
}

#[tokio::test]
async fn a_cluster_away_is_stale_on_the_page_and_recovers_by_itself() {
    let mut setup = setup().await;
    eventually(Duration::from_secs(10), "live on the page", async || {
        let (_, html) = setup.server.get("/").await;
        html.contains("cluster live")
    })
    .await;
    setup.cluster.stop();
    eventually(Duration::from_secs(10), "stale on the page", async || {
        let (_, html) = setup.server.get("/").await;
        html.contains("cluster stale since")
    })
    .await;
    let (_, html) = setup.server.get("/").await;
    // The last known state stays, marked.
    assert!(html.contains("main-1a2b3c4"), "{html}");
    assert!(html.contains("(cluster stale)"));
    assert!(html.contains("the API server cannot be reached"));
    // Git-side features keep working, and Berth stays ready.
    let (ready, _) = setup.server.get("/readyz").await;
    assert_eq!(ready, 200);

    setup.cluster.resume().await.unwrap();
    let mut html = String::new();
    let start = Instant::now();
    while !html.contains("cluster live") || html.contains("(cluster stale)") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not live again: {}",
            html.split("class=\"cluster").nth(1).unwrap_or(&html)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        html = setup.server.get("/").await.1;
    }
}

#[tokio::test]
async fn readiness_waits_for_clusters_only_when_configured_to() {
    let upstream = common::Upstream::new();
    upstream.commit("Ann", common::T0, "environments", common::ENV_FILES);
    let mut cluster = DemoCluster::start(0, TOKEN, Options::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    cluster
        .write_kubeconfig(&kubeconfig, "demo", TOKEN)
        .unwrap();
    // The cluster is away from the start.
    cluster.stop();
    let extra = format!(
        "[[clusters]]\nname = \"nonprod\"\nkubeconfig = {:?}\nnamespaces = [\"stg-1\"]\n",
        kubeconfig.display().to_string()
    );
    let relaxed = common::Server::start_with(&upstream, true, &extra).await;
    assert_eq!(relaxed.get("/readyz").await.0, 200);
    let strict = common::Server::start_edited(&upstream, true, &extra, |config| {
        config.ready_needs_clusters = true;
    })
    .await;
    let (status, body) = strict.get("/readyz").await;
    assert_eq!(status, 503);
    assert_eq!(body, "cluster `nonprod` is not live");
    cluster.resume().await.unwrap();
    eventually(
        Duration::from_secs(30),
        "ready once the cluster is live",
        async || strict.get("/readyz").await.0 == 200,
    )
    .await;
}
