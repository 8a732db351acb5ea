//! `make bench` for live state: Berth (the release binary, its own
//! process) against a demo cluster holding 5,000 Argo CD Applications and
//! 5,000 Pods. Prints Berth's peak RSS, how long the first list took, and
//! how long a change in the cluster takes to reach an open page's event
//! stream, p50/p99. Ignored by `make test`: figures are not assertions.

mod common;

use std::{
    collections::HashMap,
    fmt::Write as _,
    process::{Child, Command},
    time::{Duration, Instant},
};

use berth::demo::cluster::{DemoCluster, Options, APPLICATION, POD};
use futures::StreamExt;
use serde_json::{json, Value};

const SERVICES: usize = 1_250;
const ENVS: [&str; 4] = ["prod", "stg-1", "stg-2", "dev"];
const CHANGES: usize = 300;
const TOKEN: &str = "bench-token";

fn application(name: &str, tag: &str) -> Value {
    json!({
        "metadata": { "name": name, "namespace": "argocd", "labels": { "team": "photos" } },
        "spec": {
            "project": "default",
            "destination": { "server": "https://kubernetes.default.svc", "namespace": "apps" },
            "source": { "repoURL": "https://git.example/charts.git", "path": "charts/app",
                "helm": { "parameters": [{ "name": "image.tag", "value": tag }] } }
        },
        "status": {
            "sync": { "status": "Synced", "revision": "0123456789abcdef0123456789abcdef01234567" },
            "health": { "status": "Healthy" },
            "summary": { "images": [format!("registry.example/app:{tag}")] },
            "operationState": { "phase": "Succeeded", "startedAt": "2026-12-01T08:00:00Z", "finishedAt": "2026-12-01T08:00:05Z" },
            "reconciledAt": "2026-12-01T08:00:05Z",
            "history": [{ "id": 1, "revision": "0123456789abcdef", "deployStartedAt": "2026-12-01T08:00:00Z", "deployedAt": "2026-12-01T08:00:05Z" }]
        }
    })
}

fn pod(name: &str, app: &str) -> Value {
    json!({
        "metadata": { "name": name, "namespace": "apps",
            "labels": { "app.kubernetes.io/instance": app, "pod-template-hash": "5d8f7c9b4" } },
        "spec": { "containers": [{ "name": "app", "image": "registry.example/app:main-1a2b3c4" }] },
        "status": { "phase": "Running",
            "conditions": [{ "type": "Ready", "status": "True", "lastTransitionTime": "2026-12-01T08:00:04Z" }],
            "containerStatuses": [{ "name": "app", "image": "registry.example/app:main-1a2b3c4", "imageID": "",
                "ready": true, "restartCount": 0, "state": { "running": { "startedAt": "2026-12-01T08:00:03Z" } } }] }
    })
}

fn peak_rss_kib(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Berth(Child);

impl Drop for Berth {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: make bench runs it in release"]
async fn five_thousand_applications_and_pods() {
    let cluster = DemoCluster::start(0, TOKEN, Options::default())
        .await
        .unwrap();
    let mut env_files: HashMap<&str, String> = HashMap::new();
    let mut services = String::new();
    for i in 0..SERVICES {
        let service = format!("svc-{i:04}");
        let _ = write!(services, "[[services]]\nname = \"{service}\"\n");
        for env in ENVS {
            let app = format!("{service}-{env}");
            cluster
                .objects()
                .put(APPLICATION, application(&app, "main-1a2b3c4"));
            cluster
                .objects()
                .put(POD, pod(&format!("{app}-5d8f7c9b4-x2k9q"), &app));
            if env != "prod" {
                let _ = writeln!(env_files.entry(env).or_default(), "{service}: main");
            }
        }
    }
    let upstream = common::Upstream::new();
    let files: Vec<(String, String)> = env_files
        .iter()
        .map(|(env, text)| (format!("environments/{env}.yaml"), text.clone()))
        .collect();
    let files: Vec<(&str, Option<&str>)> = files
        .iter()
        .map(|(path, text)| (path.as_str(), Some(text.as_str())))
        .collect();
    upstream.commit("Ann", common::T0, "environments", &files);

    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    cluster
        .write_kubeconfig(&kubeconfig, "bench", TOKEN)
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("berth.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = {data:?}\n\n[[repositories]]\nname = \"gitops\"\nurl = {url:?}\n\n{services}\n[[clusters]]\nname = \"bench\"\nkubeconfig = {kube:?}\nnamespaces = [\"apps\"]\n",
            data = dir.path().join("data").display().to_string(),
            url = upstream.bare.display().to_string(),
            kube = kubeconfig.display().to_string(),
        ),
    )
    .unwrap();

    let started = Instant::now();
    let berth = Berth(
        Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(["--config", config.to_str().unwrap(), "serve"])
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let listed = loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "Berth never listed the cluster"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        let Ok(response) = client.get(format!("{base}/api/v1/clusters")).send().await else {
            continue;
        };
        let body: Value = response.json().await.unwrap_or_default();
        let cluster = &body["clusters"][0];
        if cluster["connection"]["state"] == "live"
            && cluster["applications"] == 5_000
            && cluster["pods"] == 5_000
        {
            break started.elapsed();
        }
    };

    let events = client
        .get(format!("{base}/api/v1/events"))
        .send()
        .await
        .unwrap();
    let mut stream = events.bytes_stream();
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) else {
                    continue;
                };
                let update: Value = serde_json::from_str(data.trim()).unwrap_or_default();
                for cell in update["cells"].as_array().into_iter().flatten() {
                    for tag in cell["live"]["images"].as_array().into_iter().flatten() {
                        if let Some(n) = tag.as_str().and_then(|t| t.strip_prefix("main-b")) {
                            if let Ok(n) = usize::from_str_radix(n, 16) {
                                let _ = seen_tx.send((n, Instant::now()));
                            }
                        }
                    }
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    // One Application changes every 50 ms, as Argo CD reports a rollout.
    let mut sent = HashMap::new();
    for n in 0..CHANGES {
        let name = format!("svc-{:04}-stg-1", n % SERVICES);
        let tag = format!("main-b{n:06x}");
        sent.insert(n, Instant::now());
        cluster
            .objects()
            .update(APPLICATION, "argocd", &name, |mut app| {
                app["status"]["summary"]["images"] = json!([format!("registry.example/app:{tag}")]);
                Ok(app)
            })
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut latencies = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while latencies.len() < CHANGES && Instant::now() < deadline {
        if let Ok(Some((n, at))) =
            tokio::time::timeout(Duration::from_millis(500), seen_rx.recv()).await
        {
            if let Some(start) = sent.remove(&n) {
                latencies.push(at - start);
            }
        }
    }
    latencies.sort();
    let rss = peak_rss_kib(&berth.0);
    println!(
        "== live state: 5,000 Applications + 5,000 Pods, {} services × 4 environments (release)",
        SERVICES
    );
    println!(
        "first list, from start to every object held: {:.2} s",
        listed.as_secs_f64()
    );
    println!("Berth peak RSS: {:.1} MiB", rss as f64 / 1024.0);
    println!(
        "watch event → open page (SSE), {} of {CHANGES} changes seen: p50 {} ms, p99 {} ms, max {} ms",
        latencies.len(),
        percentile(&latencies, 0.50).as_millis(),
        percentile(&latencies, 0.99).as_millis(),
        latencies.last().unwrap().as_millis()
    );
    assert_eq!(latencies.len(), CHANGES, "every change reached the page");
}
