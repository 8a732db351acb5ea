//! The demo cluster's simulated Argo CD, seen through kube-rs as Berth sees
//! a real one: the demo repository appears settled, with its two standing
//! faults; a commit to an environment file rolls that service out step by
//! step; a new sandbox file brings an Application, a ready Pod and an
//! Ingress, which go again with the file; a broken file changes nothing;
//! an image tag patched into an Application is synced, and a deleted
//! Application is generated again.

mod common;

use std::{
    cell::RefCell,
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use berth::{
    cluster::{self, Application},
    config::{Config, EnvironmentKind},
    demo::{
        self,
        cluster::{argocd, DemoCluster, Options, APPLICATION},
        DemoSize,
    },
    gitops::{files::parse_environment_file, names::branch_slug},
};
use common::{git, KEY};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::Pod, networking::v1::Ingress};
use kube::{
    api::{ListParams, Patch, PatchParams},
    Api, Client,
};
use serde_json::json;

const TOKEN: &str = "demo-token";
const LABEL: &str = "app.kubernetes.io/instance";
const LIMIT: Duration = Duration::from_secs(10);

struct Demo {
    _dir: tempfile::TempDir,
    config: Arc<Config>,
    client: Client,
    /// A clone of the demo's GitOps repository to commit from.
    work: PathBuf,
    cluster: DemoCluster,
}

async fn start() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let size = DemoSize {
        services: 4,
        sandboxes: 4,
        days: 4,
    };
    let path = demo::init(dir.path(), &size, false, berth::clock::unix_now()).unwrap();
    let cluster = DemoCluster::start(0, TOKEN, Options::default())
        .await
        .unwrap();
    // One cluster for everything here: Prod joins the others on `nonprod`,
    // which this test's demo API server plays, reached through the
    // kubeconfig the demo config names.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("cluster = \"prod\"", "cluster = \"nonprod\"");
    std::fs::write(&path, text).unwrap();
    let config = Arc::new(Config::load(Some(&path)).unwrap());
    let kubeconfig = config.clusters[0].kubeconfig.clone().unwrap();
    cluster
        .write_kubeconfig(&kubeconfig, "nonprod", TOKEN)
        .unwrap();
    let client = cluster::client(&config.clusters[0]).await.unwrap();
    argocd::spawn(
        Arc::clone(cluster.objects()),
        Arc::clone(&config),
        "nonprod".into(),
    );
    let work = dir.path().join("work");
    let bare = config.repositories[0].url.clone();
    git(dir.path(), &["clone", "--quiet", &bare, "work"], &[]);
    Demo {
        _dir: dir,
        config,
        client,
        work,
        cluster,
    }
}

impl Demo {
    /// The Applications the demo repository asks for, by name.
    fn expected(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for env in &self.config.environments {
            let services: Vec<String> = match &env.file {
                None => self
                    .config
                    .services
                    .iter()
                    .map(|s| s.name.clone())
                    .collect(),
                Some(file) => {
                    let text = std::fs::read_to_string(self.work.join(file)).unwrap();
                    let parsed = parse_environment_file(file, &text);
                    parsed.entries.into_iter().map(|e| e.service).collect()
                }
            };
            for service in services {
                names.insert(self.config.application_name(env, &service));
            }
        }
        for entry in std::fs::read_dir(self.work.join("sandboxes")).unwrap() {
            let file = entry.unwrap().file_name().into_string().unwrap();
            let name = file.trim_end_matches(".yaml");
            names.insert(self.config.sandbox_application_name(name));
        }
        names
    }

    async fn applications(&self) -> BTreeMap<String, Application> {
        let api: Api<Application> = Api::namespaced(self.client.clone(), "argocd");
        let list = api.list(&ListParams::default()).await.unwrap();
        list.items
            .into_iter()
            .map(|a| (a.metadata.name.clone().unwrap(), a))
            .collect()
    }

    async fn pods(&self, namespace: &str, app: &str) -> Vec<Pod> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let params = ListParams::default().labels(&format!("{LABEL}={app}"));
        api.list(&params).await.unwrap().items
    }

    async fn deployment(&self, namespace: &str, app: &str) -> Option<Deployment> {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        api.get_opt(app).await.unwrap()
    }

    async fn ingress(&self, app: &str) -> Option<Ingress> {
        let api: Api<Ingress> = Api::namespaced(self.client.clone(), "sandboxes");
        api.get_opt(app).await.unwrap()
    }

    /// Commits everything in the clone and pushes it; returns the commit.
    fn push(&self, message: &str) -> String {
        let who = [
            ("GIT_AUTHOR_NAME", "Test"),
            ("GIT_AUTHOR_EMAIL", "test@example.com"),
            ("GIT_COMMITTER_NAME", "Test"),
            ("GIT_COMMITTER_EMAIL", "test@example.com"),
        ];
        git(&self.work, &["add", "-A"], &[]);
        git(&self.work, &["commit", "--quiet", "-m", message], &who);
        git(&self.work, &["push", "--quiet", "origin", "HEAD:main"], &[]);
        git(&self.work, &["rev-parse", "HEAD"], &[])
    }

    fn source(&self, service: &str) -> PathBuf {
        let url = self.config.services.iter().find(|s| s.name == service);
        PathBuf::from(url.unwrap().git_url.clone().unwrap())
    }
}

fn state(app: &Application) -> (String, String) {
    let status = app.status.clone().unwrap_or_default();
    (
        status.sync.unwrap_or_default().status,
        status.health.unwrap_or_default().status,
    )
}

fn images(app: &Application) -> Vec<String> {
    let status = app.status.clone().unwrap_or_default();
    status.summary.unwrap_or_default().images
}

/// Polls `check` until it gives a value; fails with `what` after `LIMIT`.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < LIMIT, "not within {LIMIT:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn waiting(pod: &Pod) -> (String, String) {
    let status = pod.status.clone().unwrap().container_statuses.unwrap();
    let waiting = status[0].state.clone().unwrap().waiting.unwrap();
    (waiting.reason.unwrap(), waiting.message.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_argo_cd_follows_the_gitops_repository() {
    let owned = start().await;
    let demo = &owned;
    let expected = &demo.expected();

    // Start-up: everything at once, settled, with two standing faults.
    let apps = eventually("every Application is there", || async move {
        let apps = demo.applications().await;
        (apps.len() == expected.len()).then_some(apps)
    })
    .await;
    assert_eq!(&apps.keys().cloned().collect::<BTreeSet<_>>(), expected);
    // The first Stg Application by name crash-loops; the first sandbox cannot pull.
    let (crash, crash_env) = expected
        .iter()
        .find_map(|name| {
            let env = demo.config.environments.iter().find(|e| {
                e.kind == EnvironmentKind::Stg && name.ends_with(&format!("-{}", e.name))
            })?;
            Some((name.as_str(), env.name.as_str()))
        })
        .unwrap();
    let pull = expected
        .iter()
        .find(|n| n.starts_with("sandbox-"))
        .unwrap()
        .as_str();
    let (mut prod_syncs, mut prod_apps) = (0, 0);
    for (name, app) in &apps {
        let health = if name == crash || name == pull {
            "Degraded"
        } else {
            "Healthy"
        };
        assert_eq!(state(app), ("Synced".into(), health.into()), "{name}");
        let status = app.status.clone().unwrap();
        assert_eq!(
            status.health.unwrap().message,
            None,
            "Argo CD 3.x leaves it empty"
        );
        assert!(status.reconciled_at.is_some());
        if name.ends_with("-prod") {
            // Prod remembers its past releases, oldest first.
            let deployed: Vec<&String> = status
                .history
                .iter()
                .filter_map(|h| h.deployed_at.as_ref())
                .collect();
            assert!(deployed.windows(2).all(|w| w[0] < w[1]), "{name}");
            prod_syncs += status.history.len();
            prod_apps += 1;
        } else if name != pull {
            assert_eq!(status.history.len(), 1, "{name}");
        }
        if name != pull {
            assert_eq!(images(app).len(), 1, "{name}");
        }
    }
    assert!(
        prod_syncs > 2 * prod_apps,
        "prod's past: {prod_syncs} syncs"
    );

    let crashing = demo.pods(crash_env, crash).await;
    assert_eq!(crashing.len(), 1);
    let (reason, message) = waiting(&crashing[0]);
    assert_eq!(reason, "CrashLoopBackOff");
    assert!(message.contains("back-off"), "{message}");
    let container = &crashing[0]
        .status
        .clone()
        .unwrap()
        .container_statuses
        .unwrap()[0];
    assert!(container.restart_count > 0);
    let deployment = demo.deployment(crash_env, crash).await.unwrap();
    let conditions = deployment.status.unwrap().conditions.unwrap();
    let progressing = conditions
        .iter()
        .find(|c| c.type_ == "Progressing")
        .unwrap();
    assert_eq!(
        (progressing.status.as_str(), progressing.reason.as_deref()),
        ("False", Some("ProgressDeadlineExceeded"))
    );

    let pulling = demo.pods("sandboxes", pull).await;
    let (reason, message) = waiting(&pulling[0]);
    assert_eq!(reason, "ImagePullBackOff");
    assert!(
        message.starts_with("Back-off pulling image \"registry.example.com/sandbox:"),
        "{message}"
    );
    let status = apps[pull].status.clone().unwrap();
    assert_eq!(status.operation_state.unwrap().phase, "Failed");
    assert!(status.conditions.iter().any(|c| c.kind == "SyncError"));

    // A commit points a Dev service at another branch: it rolls out.
    let dev_file = demo.work.join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev_file).unwrap();
    let entry = parse_environment_file("dev.yaml", &text).entries.remove(0);
    let (service, old_branch) = (entry.service, entry.branch);
    let format = "--format=%(refname:short) %(objectname)";
    let refs = git(
        &demo.source(&service),
        &["for-each-ref", format, "refs/heads/"],
        &[],
    );
    let (branch, sha) = refs
        .lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(b, _)| *b != old_branch)
        .unwrap();
    let tag = &format!("{}-{}", branch_slug(branch), &sha[..7]);
    let app = &format!("{service}-dev");
    let old_pods: Vec<String> = demo
        .pods("dev", app)
        .await
        .into_iter()
        .map(|p| p.metadata.name.unwrap())
        .collect();
    let line = |b: &str| format!("{service}: \"{b}\"");
    std::fs::write(&dev_file, text.replace(&line(&old_branch), &line(branch))).unwrap();
    let commit = demo.push(&format!("Point Dev {service} at {branch}"));

    let seen = &RefCell::new(BTreeSet::new());
    let done = eventually("the new image is rolled out", || async move {
        let app = demo.applications().await.remove(app)?;
        let phase = app.status.clone()?.operation_state?.phase;
        seen.borrow_mut().insert(state(&app));
        seen.borrow_mut().insert(("operation".into(), phase));
        let rolled = state(&app) == ("Synced".into(), "Healthy".into())
            && images(&app).iter().any(|i| i.ends_with(&format!(":{tag}")));
        rolled.then_some(app)
    })
    .await;
    let seen = seen.take();
    assert!(seen.iter().any(|(sync, _)| sync == "OutOfSync"), "{seen:?}");
    assert!(
        seen.iter().any(|(_, health)| health == "Progressing"),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("operation".into(), "Running".into())),
        "{seen:?}"
    );
    let status = done.status.unwrap();
    assert_eq!(status.sync.unwrap().revision, Some(commit.clone()));
    assert_eq!(status.history.len(), 2);
    assert_eq!(status.history[1].revision, Some(commit));
    let pods = demo.pods("dev", app).await;
    assert_eq!(pods.len(), 1, "the old Pod is gone");
    assert!(
        !old_pods.contains(pods[0].metadata.name.as_ref().unwrap()),
        "a new Pod"
    );
    let container = &pods[0].status.clone().unwrap().container_statuses.unwrap()[0];
    assert!(container.ready && container.image.ends_with(&format!(":{tag}")));

    // A new sandbox: Application, ready Pod, Ingress with its host.
    std::fs::write(
        demo.work.join("sandboxes/zed.yaml"),
        format!("# Sandbox of zed.\nowner: zed\nsshPublicKeys:\n  - {KEY}\n"),
    )
    .unwrap();
    demo.push("Create sandbox zed");
    // Meanwhile someone (Berth) patches a Prod image tag: it is synced too.
    let prod_app = &format!("{service}-prod");
    let repository = images(&apps[prod_app.as_str()])[0]
        .split_once(':')
        .unwrap()
        .0
        .to_string();
    let patch = json!({ "spec": { "source": { "helm": { "parameters": [
        { "name": "image.repository", "value": repository },
        { "name": "image.tag", "value": "main-1234567" },
    ] } } } });
    let api: Api<Application> = Api::namespaced(demo.client.clone(), "argocd");
    api.patch(prod_app, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let host = &format!("zed.{}", demo.config.sandboxes.domain);
    let seen = &RefCell::new(BTreeSet::new());
    eventually("the sandbox is up", || async move {
        let app = demo.applications().await.remove("sandbox-zed")?;
        seen.borrow_mut().insert(state(&app));
        let pods = demo.pods("sandboxes", "sandbox-zed").await;
        let ready = pods.iter().any(|p| {
            let statuses = p.status.clone().and_then(|s| s.container_statuses);
            statuses.is_some_and(|c| c[0].ready)
        });
        let ingress = demo.ingress("sandbox-zed").await?;
        let rule_host = ingress.spec?.rules?[0].host.clone()?;
        let balancer = ingress.status?.load_balancer?.ingress;
        let urls = app.status.clone()?.summary?.external_urls;
        let up = state(&app) == ("Synced".into(), "Healthy".into())
            && ready
            && balancer.is_some_and(|b| !b.is_empty())
            && rule_host == *host
            && urls == [format!("https://{host}")];
        up.then_some(())
    })
    .await;
    let seen = seen.take();
    assert!(
        seen.contains(&("OutOfSync".into(), "Missing".into())),
        "{seen:?}"
    );
    let patched = &format!("{repository}:main-1234567");
    eventually("the patched tag is rolled out", || async move {
        let app = demo.applications().await.remove(prod_app)?;
        let healthy = state(&app) == ("Synced".into(), "Healthy".into());
        (healthy && images(&app) == [patched.clone()]).then_some(())
    })
    .await;

    // The file goes, in a commit that also breaks a Stg file: the sandbox
    // goes, and Stg-2 stays as it was.
    let stg2 = |apps: BTreeMap<String, Application>| -> BTreeSet<String> {
        apps.into_keys().filter(|n| n.ends_with("-stg-2")).collect()
    };
    let before = stg2(demo.applications().await);
    assert!(!before.is_empty());
    std::fs::remove_file(demo.work.join("sandboxes/zed.yaml")).unwrap();
    std::fs::write(
        demo.work.join("environments/stg-2.yaml"),
        "web-app: [oops\n",
    )
    .unwrap();
    demo.push("Delete sandbox zed; break Stg-2");
    // And someone deletes an Application: it is generated again.
    let deleted = &format!("{}-prod", demo.config.services[1].name);
    // (The demo API server takes no DELETE; the store stands in for it.)
    let objects = demo.cluster.objects();
    objects.delete(APPLICATION, "argocd", deleted).unwrap();
    eventually("the sandbox is gone", || async move {
        let gone = !demo.applications().await.contains_key("sandbox-zed")
            && demo.pods("sandboxes", "sandbox-zed").await.is_empty()
            && demo.deployment("sandboxes", "sandbox-zed").await.is_none()
            && demo.ingress("sandbox-zed").await.is_none();
        gone.then_some(())
    })
    .await;
    assert_eq!(stg2(demo.applications().await), before);
    eventually("the deleted Application is back", || async move {
        let app = demo.applications().await.remove(deleted)?;
        let fresh = app.status.clone()?.history.len() == 1;
        (state(&app) == ("Synced".into(), "Healthy".into()) && fresh).then_some(())
    })
    .await;
}
