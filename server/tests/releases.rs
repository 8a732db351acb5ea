//! Builds in, image tags out, against the demo cluster through a
//! kubeconfig as against a real one: GitHub webhooks checked with real
//! HMAC signatures, the CI build API, Dev and Stg following their
//! branches, and prod's newest-wins pipeline.

mod common;

use std::time::{Duration, Instant};

use berth::{
    demo::cluster::{DemoCluster, Options, APPLICATION},
    release::github::sign,
};
use serde_json::{json, Value};

const TOKEN: &str = "releases-token";
const SECRET: &str = "webhook secret for tests";
const C1: &str = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
const C2: &str = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";
const F1: &str = "f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1";

const FILES: &[(&str, Option<&str>)] = &[
    ("environments/dev.yaml", Some("app-a: main\n")),
    (
        "environments/stg-1.yaml",
        Some("app-a: feature/x\napp-c: main\n"),
    ),
    ("environments/stg-2.yaml", Some("app-a: main\n")),
];

fn application(name: &str, tag: &str) -> Value {
    json!({
        "metadata": { "name": name, "namespace": "argocd" },
        "spec": {
            "destination": { "namespace": "apps" },
            "source": { "repoURL": "https://git.example/charts.git",
                        "helm": { "parameters": [{ "name": "image.tag", "value": tag }] } }
        },
        "status": {
            "sync": { "status": "Synced" },
            "health": { "status": "Healthy" },
            "summary": { "images": [format!("registry.example/app-a:{tag}")] }
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
    setup_with("").await
}

/// `releases` is added to `[releases]`.
async fn setup_with(releases: &str) -> Setup {
    let upstream = common::Upstream::new();
    upstream.commit("Ann", common::T0, "environments", FILES);
    let cluster = DemoCluster::start(0, TOKEN, Options::default())
        .await
        .unwrap();
    for env in ["dev", "stg-1", "stg-2", "prod"] {
        cluster.objects().put(
            APPLICATION,
            application(&format!("app-a-{env}"), "old-0000000"),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    cluster
        .write_kubeconfig(&kubeconfig, "demo", TOKEN)
        .unwrap();
    let secret = dir.path().join("webhook-secret");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let extra = format!(
        "[auth]\nci = [\"ci\"]\n\n[releases]\ngithub_webhook_secret_file = {:?}\nmax_webhook_bytes = 65536\ndeploy_timeout_secs = 30\n{releases}\n\n[[clusters]]\nname = \"nonprod\"\nkubeconfig = {:?}\nnamespaces = [\"apps\"]\n",
        secret.display().to_string(),
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

impl Setup {
    fn tag_of(&self, application: &str) -> String {
        let app = self
            .cluster
            .objects()
            .get(APPLICATION, "argocd", application)
            .unwrap();
        app["spec"]["source"]["helm"]["parameters"][0]["value"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Argo CD's part: the Application reports `tag` rendered, with a
    /// health.
    fn report(&self, application: &str, tag: &str, health: &str) {
        let mut app = self
            .cluster
            .objects()
            .get(APPLICATION, "argocd", application)
            .unwrap();
        app["status"]["summary"]["images"] = json!([format!("registry.example/app-a:{tag}")]);
        app["status"]["health"]["status"] = json!(health);
        self.cluster.objects().put(APPLICATION, app);
    }

    async fn deliver(
        &self,
        event: &str,
        delivery: &str,
        body: &[u8],
        signature: Option<String>,
    ) -> (u16, Value) {
        let mut request = self
            .server
            .client()
            .post(format!("{}/hooks/github", self.server.base))
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn signed(&self, event: &str, delivery: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let signature = sign(SECRET.as_bytes(), body.as_bytes());
        self.deliver(event, delivery, body.as_bytes(), Some(signature))
            .await
    }

    async fn until_tag(&self, what: &str, application: &str, tag: &str) {
        until(what, || async { self.tag_of(application) == tag }).await;
    }

    async fn until_stage(&self, what: &str, sha: &str, stage: &str) {
        until(what, || async { self.stage_of(sha).await == stage }).await;
    }

    async fn builds_of(&self, branch: &str) -> Option<String> {
        self.server
            .state
            .releases
            .store()
            .newest_green_build("app-a", branch)
            .await
            .unwrap()
            .map(|b| b.image_tag)
    }

    async fn stage_of(&self, sha: &str) -> String {
        let pipeline = self.server.json("/api/v1/pipeline/app-a").await;
        pipeline["commits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["sha"] == sha)
            .map(|c| c["stage"].as_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

fn run(branch: &str, sha: &str, conclusion: &str) -> Value {
    json!({
        "action": "completed",
        "repository": { "full_name": "acme/app-a" },
        "workflow_run": { "name": "build", "head_branch": branch, "head_sha": sha,
                          "conclusion": conclusion, "updated_at": "2026-12-01T10:00:00Z" }
    })
}

fn push(commits: &[&str]) -> Value {
    let commits: Vec<Value> = commits
        .iter()
        .map(|sha| {
            json!({ "id": sha, "message": format!("Commit {}", &sha[..2]), "timestamp": "2026-12-01T09:00:00Z",
                    "author": { "name": "Ann", "username": "ann" }, "distinct": true })
        })
        .collect();
    json!({
        "ref": "refs/heads/main", "after": commits.last().map(|c| c["id"].clone()),
        "repository": { "full_name": "acme/app-a" }, "commits": commits
    })
}

async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn webhooks_are_verified_and_refusals_write_nothing() {
    let s = setup().await;
    let body = run("feature/x", F1, "success").to_string();
    let good = sign(SECRET.as_bytes(), body.as_bytes());
    let forged = sign(b"another secret", body.as_bytes());
    let (status, _) = s
        .deliver("workflow_run", "d-1", body.as_bytes(), Some(forged))
        .await;
    assert_eq!(status, 401);
    let (status, _) = s
        .deliver("workflow_run", "d-1", body.as_bytes(), None)
        .await;
    assert_eq!(status, 401);
    // Signed, but cut short on the way: the signature no longer matches.
    let (status, _) = s
        .deliver(
            "workflow_run",
            "d-1",
            &body.as_bytes()[..body.len() / 2],
            Some(good.clone()),
        )
        .await;
    assert_eq!(status, 401);
    // Signed as sent, but not the JSON of a run.
    let truncated = &body.as_bytes()[..body.len() / 2];
    let signed_truncated = sign(SECRET.as_bytes(), truncated);
    let (status, answer) = s
        .deliver("workflow_run", "d-2", truncated, Some(signed_truncated))
        .await;
    assert_eq!(status, 400, "{answer}");
    let huge = vec![b' '; 70_000];
    let (status, _) = s
        .deliver(
            "workflow_run",
            "d-3",
            &huge,
            Some(sign(SECRET.as_bytes(), &huge)),
        )
        .await;
    assert_eq!(status, 413);
    assert_eq!(
        s.builds_of("feature/x").await,
        None,
        "a refusal wrote a build"
    );
    assert_eq!(s.tag_of("app-a-stg-1"), "old-0000000");

    let (status, answer) = s
        .deliver("workflow_run", "d-9", body.as_bytes(), Some(good.clone()))
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        s.builds_of("feature/x").await.as_deref(),
        Some("feature-x-f1f1f1f")
    );
    // GitHub redelivers: nothing happens twice.
    let (status, answer) = s
        .deliver("workflow_run", "d-9", body.as_bytes(), Some(good))
        .await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (200, Some("already handled this delivery"))
    );
    let (status, _) = s
        .signed("issues", "d-10", &json!({ "action": "opened" }))
        .await;
    assert_eq!(status, 202);

    let counters = s.server.json("/api/v1/hooks/github").await;
    assert_eq!(counters["accepted"], 1);
    assert_eq!(counters["duplicate"], 1);
    assert_eq!(counters["ignored"], 1);
    assert_eq!(counters["refused"]["bad_signature"], 2);
    assert_eq!(counters["refused"]["missing_signature"], 1);
    assert_eq!(counters["refused"]["malformed_body"], 1);
    assert_eq!(counters["refused"]["too_large"], 1);
}

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
async fn build_reports_need_the_ci_role_and_valid_fields() {
    let s = setup().await;
    let developer = s.server.token("ann").await;
    let ci = s.server.token("ci").await;
    let build = json!({ "service": "app-a", "branch": "main", "sha": C1,
                        "image_tag": "main-c1c1c1c", "result": "success" });
    let post = |token: Option<String>, body: Value| {
        let server = &s.server;
        async move {
            server
                .send(
                    reqwest::Method::POST,
                    "/api/v1/builds",
                    token.as_deref(),
                    Some(body),
                )
                .await
        }
    };
    assert_eq!(post(None, build.clone()).await.0, 401);
    let (status, answer) = post(Some(developer), build.clone()).await;
    assert_eq!(status, 403, "{answer}");
    let bad = json!({ "service": "nope", "branch": "a..b", "sha": "HEAD",
                      "image_tag": "has space", "result": "success" });
    let (status, answer) = post(Some(ci.clone()), bad).await;
    assert_eq!(status, 400);
    let message = answer["error"].as_str().unwrap();
    for part in ["nope", "a..b", "HEAD", "has space"] {
        assert!(message.contains(part), "{message}");
    }
    let (status, _) = post(Some(ci.clone()), json!({ "service": "app-a" })).await;
    assert_eq!(status, 400);
    assert_eq!(s.builds_of("main").await, None);
    // A CI token changes no file.
    let (status, _) = s
        .server
        .send(
            reqwest::Method::POST,
            "/api/v1/sandboxes",
            Some(&ci),
            Some(json!({ "name": "ci-box", "ssh_public_keys": [] })),
        )
        .await;
    assert_eq!(status, 403);
}

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

#[tokio::test]
async fn builds_reported_at_once_are_all_stored() {
    let s = setup().await;
    let ci = s.server.token("ci").await;
    let reports = (0..24).map(|i| {
        let sha = format!("{:07x}{:033x}", i + 1, i);
        let build = json!({ "service": "app-a", "branch": "feature/x", "sha": sha,
                            "image_tag": format!("feature-x-{}", &sha[..7]), "result": "success" });
        let (server, ci) = (&s.server, ci.clone());
        async move {
            server
                .send(
                    reqwest::Method::POST,
                    "/api/v1/builds",
                    Some(&ci),
                    Some(build),
                )
                .await
        }
    });
    for (status, answer) in futures::future::join_all(reports).await {
        assert_eq!(status, 201, "{answer}");
    }
}

/// A local receiver of deploy markers: answers 500 to its first
/// `failures` requests, then 200, and keeps every body it accepted.
async fn receiver(
    failures: usize,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>,
) {
    use std::sync::{atomic::AtomicUsize, Arc, Mutex};
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let kept = Arc::clone(&seen);
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
            let (kept, calls) = (Arc::clone(&kept), Arc::clone(&calls));
            async move {
                if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < failures {
                    return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "busy").into_response();
                }
                let auth = headers
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                kept.lock().unwrap().push((
                    format!("{} {auth}", uri.path()),
                    serde_json::from_str(&body).unwrap(),
                ));
                axum::http::StatusCode::OK.into_response()
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

use axum::response::IntoResponse;

#[tokio::test]
async fn each_prod_deploy_is_marked_and_a_failing_sink_is_retried_and_shown() {
    let (grafana, annotations) = receiver(0).await;
    let (hook, hooked) = receiver(2).await;
    std::env::set_var("MARKER_TEST_TOKEN", "grafana-token");
    let markers = format!(
        "marker_retry_secs = 1\n\n[[releases.markers]]\nname = \"grafana\"\nkind = \"grafana\"\nurl = {grafana:?}\ntoken_env = \"MARKER_TEST_TOKEN\"\n\n[[releases.markers]]\nname = \"deploys-hook\"\nkind = \"webhook\"\nurl = \"{hook}/deploys\"\n"
    );
    let s = setup_with(&markers).await;
    s.signed("push", "p-1", &push(&[C1])).await;
    s.signed("workflow_run", "r-1", &run("main", C1, "success"))
        .await;
    s.until_tag("prod runs C1", "app-a-prod", "main-c1c1c1c")
        .await;
    // Dev and Stg releases are not marked; nothing is sent before the deploy.
    assert!(annotations.lock().unwrap().is_empty());
    s.report("app-a-prod", "main-c1c1c1c", "Healthy");
    until("Grafana has its annotation", || async {
        !annotations.lock().unwrap().is_empty()
    })
    .await;
    let (path, annotation) = annotations.lock().unwrap()[0].clone();
    assert_eq!(path, "/api/annotations Bearer grafana-token");
    assert_eq!(annotation["tags"][2], "service:app-a");
    // The failing sink is shown on the prod page while it is retried.
    until("the prod page shows the failing marker", || async {
        s.server.get("/prod").await.1.contains("HTTP 500: busy")
    })
    .await;
    until("the webhook got its marker after two failures", || async {
        !hooked.lock().unwrap().is_empty()
    })
    .await;
    let (path, body) = hooked.lock().unwrap()[0].clone();
    assert_eq!(path.trim(), "/deploys");
    assert_eq!(body["release"]["image_tag"], "main-c1c1c1c");
    until("the prod page no longer shows it", || async {
        !s.server
            .get("/prod")
            .await
            .1
            .contains("Deploy markers not sent")
    })
    .await;
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
