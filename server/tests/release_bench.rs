//! `make bench` for releases: how long a webhook takes to become an image
//! patch on the Application (p50/p99, against Argo CD Image Updater's
//! two-minute poll), and each release chart and DORA query over 1,000,000
//! release records. Ignored by `make test`: figures are not assertions.

mod common;

use std::time::{Duration, Instant};

use berth::{
    demo::cluster::{store, DemoCluster, Options, APPLICATION},
    release::{github::sign, ReleaseIndex},
    store::{ReleaseStore, SqliteStore},
};
use serde_json::{json, Value};

const TOKEN: &str = "bench-token";
const SECRET: &str = "bench secret";
const WEBHOOKS: usize = 200;
const RECORDS: usize = 1_000_000;
const SERVICES: usize = 40;

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[rank]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn application(name: &str) -> Value {
    json!({
        "metadata": { "name": name, "namespace": "argocd" },
        "spec": { "destination": { "namespace": "apps" },
                  "source": { "repoURL": "https://git.example/charts.git",
                              "helm": { "parameters": [{ "name": "image.tag", "value": "old-0000000" }] } } },
        "status": { "sync": { "status": "Synced" }, "health": { "status": "Healthy" } }
    })
}

/// A demo API server holding `application`, and Berth reading a GitOps
/// repository of `files` and taking signed webhooks; what must live as
/// long as they do.
async fn start(
    files: &[(&str, Option<&str>)],
    application_name: &str,
    edit: impl FnOnce(&mut berth::config::Config),
) -> (
    DemoCluster,
    common::Server,
    (common::Upstream, tempfile::TempDir),
) {
    let upstream = common::Upstream::new();
    upstream.commit("Ann", common::T0, "environments", files);
    let cluster = DemoCluster::start(0, TOKEN, Options::default())
        .await
        .unwrap();
    cluster
        .objects()
        .put(APPLICATION, application(application_name));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    cluster
        .write_kubeconfig(&kubeconfig, "demo", TOKEN)
        .unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let extra = format!(
        "[releases]\ngithub_webhook_secret_file = {:?}\nbuild_workflows = [\"build\"]\n\n[[clusters]]\nname = \"nonprod\"\nkubeconfig = {:?}\nnamespaces = [\"apps\"]\n",
        secret.display().to_string(),
        kubeconfig.display().to_string()
    );
    let server = common::Server::start_edited(&upstream, true, &extra, edit).await;
    (cluster, server, (upstream, dir))
}

/// GitHub's `workflow_run` completed event for a green build of `sha`.
fn green_run(branch: &str, sha: &str) -> Value {
    json!({
        "action": "completed",
        "repository": { "full_name": "acme/app-a" },
        "workflow_run": { "name": "build", "event": "push",
                          "head_repository": { "full_name": "acme/app-a" },
                          "head_branch": branch, "head_sha": sha,
                          "conclusion": "success", "updated_at": "2026-12-01T10:00:00Z" }
    })
}

/// Whether the demo API server reports an Application patched to `tag`
/// before ten seconds pass without it.
async fn patched(changes: &mut tokio::sync::broadcast::Receiver<store::Event>, tag: &str) -> bool {
    loop {
        let Ok(Ok(event)) = tokio::time::timeout(Duration::from_secs(10), changes.recv()).await
        else {
            return false;
        };
        if event.object["spec"]["source"]["helm"]["parameters"][0]["value"] == tag {
            return true;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn webhook_to_image_patch() {
    let files = [
        ("environments/dev.yaml", Some("app-a: main\n")),
        ("environments/stg-1.yaml", Some("app-a: feature/x\n")),
        ("environments/stg-2.yaml", Some("app-a: main\n")),
    ];
    let (cluster, server, _kept) = start(&files, "app-a-stg-1", |_| {}).await;
    let mut changes = cluster.objects().subscribe();
    let mut took = Vec::new();
    for i in 0..WEBHOOKS {
        let sha = format!("{:07x}{:033x}", i + 1, i);
        let body = green_run("feature/x", &sha).to_string();
        let tag = format!("feature-x-{}", &sha[..7]);
        let started = Instant::now();
        let response = server
            .client()
            .post(format!("{}/hooks/github", server.base))
            .header("x-github-event", "workflow_run")
            .header("x-github-delivery", format!("bench-{i}"))
            .header(
                "x-hub-signature-256",
                sign(SECRET.as_bytes(), body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_eq!(
            status,
            201,
            "webhook {i}: {}",
            response.text().await.unwrap()
        );
        if !patched(&mut changes, &tag).await {
            let releases = server.json("/api/v1/releases/stg-1").await;
            panic!("webhook {i}: the Application was not patched: {releases}");
        }
        took.push(started.elapsed());
    }
    took.sort();
    println!(
        "== webhook -> Application patch ({WEBHOOKS} green builds of a branch Stg-1 follows): p50 {}, p99 {}, max {}",
        ms(percentile(&took, 0.5)),
        ms(percentile(&took, 0.99)),
        ms(*took.last().unwrap())
    );
}

/// Prod: each round a developer merges to `main` (a commit in the source
/// repository Berth reads first-parent history from), GitHub sends the
/// push, then CI's green build; measured from the build's delivery to the
/// prod Application's patch. Each commit is newer, so each deploys and
/// supersedes the one before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn push_and_green_build_to_prod_patch() {
    const ROUNDS: usize = 100;
    let sources = tempfile::tempdir().unwrap();
    let source = sources.path().join("app-a.git");
    common::source_repository(&source, &[("Start", common::T0)]);
    let git_url = source.display().to_string();
    let files = [("environments/dev.yaml", Some("app-a: main\n"))];
    let (cluster, server, _kept) = start(&files, "app-a-prod", |config| {
        config.services[0].git_url = Some(git_url);
    })
    .await;
    let deliver = |event: &'static str, delivery: String, body: Value| {
        let body = body.to_string();
        let request = server
            .client()
            .post(format!("{}/hooks/github", server.base))
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header(
                "x-hub-signature-256",
                sign(SECRET.as_bytes(), body.as_bytes()),
            )
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let mut changes = cluster.objects().subscribe();
    let (mut pushes, mut took) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        let sha =
            common::source_repository(&source, &[(&format!("Change {i}"), common::T0 + i as i64)])
                .remove(0);
        let push = json!({
            "ref": "refs/heads/main", "after": sha,
            "repository": { "full_name": "acme/app-a" },
            "commits": [{ "id": sha, "message": format!("Change {i}"),
                          "timestamp": "2026-12-01T09:00:00Z", "author": { "name": "Ann" } }]
        });
        let started = Instant::now();
        let (status, answer) = deliver("push", format!("push-{i}"), push).await;
        assert_eq!(status, 200, "push {i}: {answer}");
        pushes.push(started.elapsed());
        let run = green_run("main", &sha);
        let tag = format!("main-{}", &sha[..7]);
        let started = Instant::now();
        let (status, answer) = deliver("workflow_run", format!("run-{i}"), run).await;
        assert_eq!(status, 201, "build {i}: {answer}");
        if !patched(&mut changes, &tag).await {
            let pipeline = server.json("/api/v1/pipeline/app-a").await;
            panic!("round {i}: prod was not patched: {pipeline}");
        }
        took.push(started.elapsed());
    }
    pushes.sort();
    took.sort();
    println!(
        "== push webhook answered (the source repository fetched, its first-parent line read): p50 {}, p99 {}",
        ms(percentile(&pushes, 0.5)),
        ms(percentile(&pushes, 0.99))
    );
    println!(
        "== green build webhook -> prod Application patch ({ROUNDS} merges, each newer): p50 {}, p99 {}, max {}",
        ms(percentile(&took, 0.5)),
        ms(percentile(&took, 0.99)),
        ms(*took.last().unwrap())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn figures_over_a_million_releases() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("berth.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let services: Vec<String> = (0..SERVICES).map(|i| format!("service-{i:02}")).collect();
    let now = berth::clock::unix_now();
    let started = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    for i in 0..RECORDS {
        // Two years of releases, newest last; one in twelve failed.
        let finished = now - 2 * 365 * 86_400 + (i as i64 * 2 * 365 * 86_400) / RECORDS as i64;
        let outcome = if i % 12 == 0 { "failed" } else { "deployed" };
        sqlx::query(
            "INSERT INTO releases (service, environment, sha, image_tag, started_at, finished_at, outcome, trigger_kind, triggered_by, committed_at)
             VALUES (?, 'prod', 'abc', 'main-abc', ?, ?, ?, 'build', 'ci', ?)",
        )
        .bind(&services[i % SERVICES])
        .bind(finished - 120)
        .bind(finished)
        .bind(outcome)
        .bind(finished - 600 - (i as i64 % 7) * 900)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    println!(
        "== {RECORDS} prod releases written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let index = ReleaseIndex::new(services.clone());
    let started = Instant::now();
    let loaded = index.load(&store, "prod").await.unwrap();
    println!(
        "== release index: {loaded} records loaded at start in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(store.count_releases("prod").await.unwrap(), RECORDS as i64);
    for (days, service) in [
        (30, None),
        (90, None),
        (365, None),
        (365, Some("service-07")),
    ] {
        let mut took = Vec::new();
        let mut deploys = 0;
        for _ in 0..20 {
            let started = Instant::now();
            let figures = index.figures(days, service, now);
            took.push(started.elapsed());
            deploys = figures.deploys;
        }
        took.sort();
        println!(
            "== chart + DORA figures, {days} days, {}: p50 {}, max {} ({deploys} deploys)",
            service.unwrap_or("all services"),
            ms(percentile(&took, 0.5)),
            ms(*took.last().unwrap())
        );
    }
}
