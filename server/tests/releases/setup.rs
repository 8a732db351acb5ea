//! The demo cluster with an Application per environment, a Berth that
//! follows it, and the webhooks and reports CI sends.

use std::time::{Duration, Instant};

use berth::{
    demo::cluster::{DemoCluster, Options, APPLICATION},
    release::github::sign,
};
use serde_json::{json, Value};

use super::common;

pub const TOKEN: &str = "releases-token";
pub const SECRET: &str = "webhook secret for tests";
pub const C1: &str = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
pub const C2: &str = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";
pub const F1: &str = "f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1";

pub const FILES: &[(&str, Option<&str>)] = &[
    ("environments/dev.yaml", Some("app-a: main\n")),
    (
        "environments/stg-1.yaml",
        Some("app-a: feature/x\napp-c: main\n"),
    ),
    ("environments/stg-2.yaml", Some("app-a: main\n")),
];

pub fn application(name: &str, tag: &str) -> Value {
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

pub struct Setup {
    pub cluster: DemoCluster,
    pub server: common::Server,
    _upstream: common::Upstream,
    _dir: tempfile::TempDir,
}

pub async fn setup() -> Setup {
    setup_with("").await
}

/// `releases` is added to `[releases]`.
pub async fn setup_with(releases: &str) -> Setup {
    setup_edited(releases, |_| {}).await
}

/// `setup_with`, changing the parsed config before Berth starts.
pub async fn setup_edited(releases: &str, edit: impl FnOnce(&mut berth::config::Config)) -> Setup {
    setup_prepared(releases, edit, |_| {}).await
}

/// `setup_edited`, and `prepare` changes the cluster before Berth starts.
pub async fn setup_prepared(
    releases: &str,
    edit: impl FnOnce(&mut berth::config::Config),
    prepare: impl FnOnce(&DemoCluster),
) -> Setup {
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
    prepare(&cluster);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    cluster
        .write_kubeconfig(&kubeconfig, "demo", TOKEN)
        .unwrap();
    let secret = dir.path().join("webhook-secret");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let extra = format!(
        "[auth]\nci = [\"ci\"]\n\n[releases]\ngithub_webhook_secret_file = {:?}\nmax_webhook_bytes = 65536\ndeploy_timeout_secs = 30\nbuild_workflows = [\".github/workflows/build.yml\"]\n{releases}\n\n[[clusters]]\nname = \"nonprod\"\nkubeconfig = {:?}\nnamespaces = [\"apps\"]\n",
        secret.display().to_string(),
        kubeconfig.display().to_string()
    );
    let server = common::Server::start_edited(&upstream, true, &extra, edit).await;
    Setup {
        cluster,
        server,
        _upstream: upstream,
        _dir: dir,
    }
}

impl Setup {
    pub fn tag_of(&self, application: &str) -> String {
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
    pub fn report(&self, application: &str, tag: &str, health: &str) {
        let mut app = self
            .cluster
            .objects()
            .get(APPLICATION, "argocd", application)
            .unwrap();
        app["status"]["summary"]["images"] = json!([format!("registry.example/app-a:{tag}")]);
        app["status"]["health"]["status"] = json!(health);
        self.cluster.objects().put(APPLICATION, app);
    }

    pub async fn deliver(
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

    pub async fn signed(&self, event: &str, delivery: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let signature = sign(SECRET.as_bytes(), body.as_bytes());
        self.deliver(event, delivery, body.as_bytes(), Some(signature))
            .await
    }

    pub async fn until_tag(&self, what: &str, application: &str, tag: &str) {
        until(what, || async { self.tag_of(application) == tag }).await;
    }

    pub async fn until_stage(&self, what: &str, sha: &str, stage: &str) {
        until(what, || async { self.stage_of(sha).await == stage }).await;
    }

    /// CI reports `build` through `POST /api/v1/builds`.
    pub async fn report_build(&self, build: &Value) -> (u16, Value) {
        let ci = self.server.token("ci").await;
        self.server
            .send(
                reqwest::Method::POST,
                "/api/v1/builds",
                Some(&ci),
                Some(build.clone()),
            )
            .await
    }

    pub async fn builds_of(&self, branch: &str) -> Option<String> {
        self.server
            .state
            .releases
            .store()
            .newest_green_build("app-a", branch)
            .await
            .unwrap()
            .map(|b| b.image_tag)
    }

    pub async fn stage_of(&self, sha: &str) -> String {
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

pub fn run(branch: &str, sha: &str, conclusion: &str) -> Value {
    json!({
        "action": "completed",
        "repository": { "full_name": "acme/app-a" },
        "workflow_run": { "name": "build", "path": ".github/workflows/build.yml", "event": "push",
                          "head_repository": { "full_name": "acme/app-a" },
                          "head_branch": branch, "head_sha": sha,
                          "conclusion": conclusion, "updated_at": "2026-12-01T10:00:00Z" }
    })
}

/// A green build of `sha` on main, tagged `main-<sha7>`.
pub fn green_main(sha: &str) -> Value {
    json!({ "service": "app-a", "branch": "main", "sha": sha,
            "image_tag": format!("main-{}", &sha[..7]), "result": "success" })
}

pub fn push(commits: &[&str]) -> Value {
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

pub async fn until<F, Fut>(what: &str, mut check: F)
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
