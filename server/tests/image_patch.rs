//! Setting an Application's image tag against the demo cluster, through
//! kube-rs and a kubeconfig as against a real API server: exactly one value
//! changes, the version Berth reports is the object's new one, a concurrent
//! edit between Berth's read and its patch fails the patch's guards instead
//! of writing the wrong entry, and the retry ends right.

use std::sync::{Arc, Mutex};

use berth::{
    cluster::{
        image_patch::{set_image_tag, ImageField, ImagePatchError, ATTEMPTS},
        Application,
    },
    demo::cluster::{DemoCluster, ObjectStore, Options, APPLICATION},
};
use kube::{
    client::{Body, ClientBuilder},
    config::{KubeConfigOptions, Kubeconfig},
    Api, Client,
};
use serde_json::{json, Value};

const TOKEN: &str = "test-token";

type Hook = Box<dyn FnMut(usize) + Send>;

/// What the client sends, seen on its way out; `before_patch` runs just
/// before each PATCH leaves (with its number, from 1): a concurrent writer.
#[derive(Clone, Default)]
struct Wire {
    requests: Arc<Mutex<Vec<String>>>,
    before_patch: Arc<Mutex<Option<Hook>>>,
}

impl Wire {
    fn saw(&self, request: &hyper::Request<Body>) {
        let mut requests = self.requests.lock().unwrap();
        requests.push(format!("{} {}", request.method(), request.uri().path()));
        if request.method() == hyper::Method::PATCH {
            let patches = requests.iter().filter(|r| r.starts_with("PATCH")).count();
            drop(requests);
            if let Some(hook) = self.before_patch.lock().unwrap().as_mut() {
                hook(patches);
            }
        }
    }

    fn sent(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    fn patches(&self) -> usize {
        let requests = self.requests.lock().unwrap();
        requests.iter().filter(|r| r.starts_with("PATCH")).count()
    }

    fn before_patch(&self, hook: impl FnMut(usize) + Send + 'static) {
        *self.before_patch.lock().unwrap() = Some(Box::new(hook));
    }
}

struct Setup {
    cluster: DemoCluster,
    client: Client,
    api: Api<Application>,
    wire: Wire,
}

impl Setup {
    async fn start() -> Setup {
        let cluster = DemoCluster::start(0, TOKEN, Options::default())
            .await
            .unwrap();
        let kubeconfig = Kubeconfig::from_yaml(&cluster.kubeconfig("demo", TOKEN)).unwrap();
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .unwrap();
        let wire = Wire::default();
        let seen = wire.clone();
        let layer = tower::util::MapRequestLayer::new(move |request: hyper::Request<Body>| {
            seen.saw(&request);
            request
        });
        let client = ClientBuilder::try_from(config)
            .unwrap()
            .with_layer(&layer)
            .build();
        let api = Api::namespaced(client.clone(), "argocd");
        Setup {
            cluster,
            client,
            api,
            wire,
        }
    }

    fn store(&self) -> Arc<ObjectStore> {
        Arc::clone(self.cluster.objects())
    }

    /// The whole object as the API server serves it.
    async fn get(&self, name: &str) -> Value {
        let request = hyper::Request::get(format!(
            "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/{name}"
        ))
        .body(Vec::new())
        .unwrap();
        self.client.request::<Value>(request).await.unwrap()
    }
}

fn application(name: &str, spec: Value) -> Value {
    json!({
        "metadata": {
            "name": name,
            "namespace": "argocd",
            "generation": 7,
            "labels": { "team": "photos", "berth.dev/env": "dev" },
            "annotations": { "notified.notifications.argoproj.io": "{}" },
            "finalizers": ["resources-finalizer.argocd.argoproj.io"]
        },
        "spec": spec,
        "status": {
            "sync": { "status": "Synced", "revision": "1a2b3c4d5e6f" },
            "health": { "status": "Healthy" },
            "summary": {
                "images": ["registry.example.com/photos/api:main-1a2b3c4"],
                "externalURLs": ["https://photos-dev.example.com"]
            },
            "operationState": {
                "phase": "Succeeded",
                "message": "successfully synced (all tasks run)",
                "startedAt": "2026-12-01T08:00:00Z",
                "finishedAt": "2026-12-01T08:00:09Z"
            },
            "reconciledAt": "2026-12-01T08:03:00Z",
            "conditions": [],
            "history": [
                { "id": 11, "revision": "0f0e0d0c", "deployStartedAt": "2026-11-30T10:00:00Z", "deployedAt": "2026-11-30T10:00:08Z" },
                { "id": 12, "revision": "1a2b3c4d5e6f", "deployStartedAt": "2026-12-01T08:00:00Z", "deployedAt": "2026-12-01T08:00:09Z" }
            ]
        }
    })
}

fn helm_spec(parameters: Value) -> Value {
    json!({
        "project": "photos",
        "destination": { "server": "https://kubernetes.default.svc", "namespace": "photos-dev" },
        "source": {
            "repoURL": "https://git.example/photos/charts.git",
            "targetRevision": "main",
            "path": "charts/photo-api",
            "helm": {
                "valueFiles": ["values.yaml", "values-dev.yaml"],
                "values": "ingress:\n  enabled: true\n",
                "parameters": parameters
            }
        },
        "syncPolicy": { "automated": { "prune": true, "selfHeal": true } }
    })
}

fn parameters() -> Value {
    json!([
        { "name": "replicaCount", "value": "2" },
        { "name": "image.repository", "value": "registry.example.com/photos/api" },
        { "name": "image.tag", "value": "main-1a2b3c4" },
        { "name": "ingress.host", "value": "photos-dev.example.com", "forceString": true }
    ])
}

/// `after` is `before` with `change` made and a new resource version, and
/// nothing else. `metadata.generation`: the demo server leaves it alone;
/// kube-apiserver adds 1 on any change outside `metadata` of a custom
/// resource without a status subresource. Berth reads neither, so both
/// are accepted.
fn assert_only_changed(before: &Value, after: &Value, change: impl FnOnce(&mut Value)) {
    let mut expected = before.clone();
    change(&mut expected);
    let old = &before["metadata"];
    let new = &after["metadata"];
    assert_ne!(new["resourceVersion"], old["resourceVersion"]);
    expected["metadata"]["resourceVersion"] = new["resourceVersion"].clone();
    let generation = old["generation"].as_i64().unwrap();
    assert!(
        [generation, generation + 1].contains(&new["generation"].as_i64().unwrap()),
        "{new}"
    );
    expected["metadata"]["generation"] = new["generation"].clone();
    assert_eq!(after, &expected);
}

#[tokio::test]
async fn a_helm_tag_changes_that_one_value_and_nothing_else() {
    let setup = Setup::start().await;
    setup.store().put(
        APPLICATION,
        application("photo-api-dev", helm_spec(parameters())),
    );
    let before = setup.get("photo-api-dev").await;

    let version = set_image_tag(
        &setup.api,
        "photo-api-dev",
        &ImageField::default(),
        "main-9f8e7d6",
    )
    .await
    .unwrap();

    let after = setup.get("photo-api-dev").await;
    assert_only_changed(&before, &after, |app| {
        app["spec"]["source"]["helm"]["parameters"][2]["value"] = json!("main-9f8e7d6");
    });
    assert_eq!(after["metadata"]["resourceVersion"], version.as_str());
    assert_eq!(setup.wire.patches(), 1);
}

#[tokio::test]
async fn in_a_multi_source_application_the_source_holding_the_tag_is_patched() {
    let setup = Setup::start().await;
    let spec = json!({
        "project": "photos",
        "destination": { "server": "https://kubernetes.default.svc", "namespace": "photos-stg-1" },
        "sources": [
            {
                "repoURL": "https://charts.example.com",
                "chart": "photo-api",
                "targetRevision": "1.4.0",
                "helm": { "valueFiles": ["$values/photo-api/stg-1.yaml"] }
            },
            { "repoURL": "https://git.example/photos/values.git", "targetRevision": "main", "ref": "values" },
            {
                "repoURL": "https://git.example/photos/overrides.git",
                "path": "photo-api",
                "helm": { "parameters": [
                    { "name": "replicaCount", "value": "3" },
                    { "name": "image.tag", "value": "main-1a2b3c4" }
                ] }
            }
        ]
    });
    setup
        .store()
        .put(APPLICATION, application("photo-api-stg-1", spec));
    let before = setup.get("photo-api-stg-1").await;

    let version = set_image_tag(
        &setup.api,
        "photo-api-stg-1",
        &ImageField::default(),
        "release-2026.12",
    )
    .await
    .unwrap();

    let after = setup.get("photo-api-stg-1").await;
    assert_only_changed(&before, &after, |app| {
        app["spec"]["sources"][2]["helm"]["parameters"][1]["value"] = json!("release-2026.12");
    });
    assert_eq!(after["metadata"]["resourceVersion"], version.as_str());
}

#[tokio::test]
async fn a_kustomize_image_changes_its_tag_and_keeps_its_new_name() {
    let setup = Setup::start().await;
    let spec = json!({
        "project": "photos",
        "destination": { "server": "https://kubernetes.default.svc", "namespace": "photos-dev" },
        "source": {
            "repoURL": "https://git.example/photos/deploy.git",
            "path": "overlays/dev",
            "kustomize": {
                "namePrefix": "dev-",
                "images": [
                    "registry.example.com/photos/worker:main-0000000",
                    "registry.example.com/photos/app-a=mirror.example.com:5000/photos/app-a:main-1a2b3c4"
                ]
            }
        }
    });
    setup
        .store()
        .put(APPLICATION, application("app-a-dev", spec));
    let before = setup.get("app-a-dev").await;

    let field = ImageField::KustomizeImage("registry.example.com/photos/app-a".into());
    let version = set_image_tag(&setup.api, "app-a-dev", &field, "main-9f8e7d6")
        .await
        .unwrap();

    let after = setup.get("app-a-dev").await;
    assert_only_changed(&before, &after, |app| {
        app["spec"]["source"]["kustomize"]["images"][1] = json!(
            "registry.example.com/photos/app-a=mirror.example.com:5000/photos/app-a:main-9f8e7d6"
        );
    });
    assert_eq!(after["metadata"]["resourceVersion"], version.as_str());
}

#[tokio::test]
async fn a_reorder_between_read_and_patch_fails_the_guard_and_the_retry_sets_the_right_entry() {
    let setup = Setup::start().await;
    let store = setup.store();
    store.put(
        APPLICATION,
        application("photo-api-dev", helm_spec(parameters())),
    );
    // Someone else's edit lands after Berth read the Application and before
    // its first patch arrives: the parameters in reverse order, so index 2
    // now holds image.repository.
    let writer = setup.store();
    setup.wire.before_patch(move |patch| {
        if patch == 1 {
            writer
                .update(APPLICATION, "argocd", "photo-api-dev", |mut app| {
                    app["spec"]["source"]["helm"]["parameters"]
                        .as_array_mut()
                        .unwrap()
                        .reverse();
                    Ok(app)
                })
                .unwrap();
        }
    });

    let version = set_image_tag(
        &setup.api,
        "photo-api-dev",
        &ImageField::default(),
        "main-9f8e7d6",
    )
    .await
    .unwrap();

    assert_eq!(setup.wire.patches(), 2, "the first patch failed its guard");
    let after = setup.get("photo-api-dev").await;
    let mut expected = application("photo-api-dev", helm_spec(parameters()));
    let list = expected["spec"]["source"]["helm"]["parameters"]
        .as_array_mut()
        .unwrap();
    list.reverse();
    // In reverse order image.tag sits at 1; image.repository at 2 is untouched.
    list[1]["value"] = json!("main-9f8e7d6");
    assert_eq!(after["spec"], expected["spec"]);
    assert_eq!(after["status"], expected["status"]);
    assert_eq!(after["metadata"]["resourceVersion"], version.as_str());
}

#[tokio::test]
async fn an_added_parameter_is_guarded_by_the_version_and_retried_after_any_change() {
    let setup = Setup::start().await;
    let without_tag = json!([{ "name": "replicaCount", "value": "2" }]);
    setup.store().put(
        APPLICATION,
        application("photo-api-dev", helm_spec(without_tag)),
    );
    // Argo CD reconciles meanwhile: only the status changes, but an `add`
    // cannot be guarded any finer than by the object's version.
    let writer = setup.store();
    setup.wire.before_patch(move |patch| {
        if patch == 1 {
            writer
                .update(APPLICATION, "argocd", "photo-api-dev", |mut app| {
                    app["status"]["reconciledAt"] = json!("2026-12-01T08:06:00Z");
                    Ok(app)
                })
                .unwrap();
        }
    });

    let version = set_image_tag(
        &setup.api,
        "photo-api-dev",
        &ImageField::default(),
        "20261201",
    )
    .await
    .unwrap();

    assert_eq!(setup.wire.patches(), 2);
    let after = setup.get("photo-api-dev").await;
    assert_eq!(
        after["spec"]["source"]["helm"]["parameters"],
        json!([
            { "name": "replicaCount", "value": "2" },
            { "name": "image.tag", "value": "20261201", "forceString": true }
        ])
    );
    assert_eq!(after["status"]["reconciledAt"], "2026-12-01T08:06:00Z");
    assert_eq!(after["metadata"]["resourceVersion"], version.as_str());
}

#[tokio::test]
async fn an_application_that_never_stops_changing_is_given_up_on() {
    let setup = Setup::start().await;
    setup.store().put(
        APPLICATION,
        application("photo-api-dev", helm_spec(json!([]))),
    );
    let writer = setup.store();
    setup.wire.before_patch(move |patch| {
        writer
            .update(APPLICATION, "argocd", "photo-api-dev", |mut app| {
                app["status"]["reconciledAt"] = json!(format!("2026-12-01T08:0{patch}:00Z"));
                Ok(app)
            })
            .unwrap();
    });

    let error = set_image_tag(&setup.api, "photo-api-dev", &ImageField::default(), "v2")
        .await
        .unwrap_err();

    assert!(
        matches!(error, ImagePatchError::KeptChanging { attempts, .. } if attempts == ATTEMPTS),
        "{error}"
    );
    assert_eq!(setup.wire.patches(), ATTEMPTS as usize);
    let after = setup.get("photo-api-dev").await;
    assert_eq!(after["spec"]["source"]["helm"]["parameters"], json!([]));
}

#[tokio::test]
async fn a_tag_already_set_sends_no_patch() {
    let setup = Setup::start().await;
    let stored = setup.store().put(
        APPLICATION,
        application("photo-api-dev", helm_spec(parameters())),
    );
    let versions = setup.store().version();

    let version = set_image_tag(
        &setup.api,
        "photo-api-dev",
        &ImageField::default(),
        "main-1a2b3c4",
    )
    .await
    .unwrap();

    assert_eq!(stored["metadata"]["resourceVersion"], version.as_str());
    assert_eq!(setup.wire.patches(), 0);
    assert_eq!(setup.store().version(), versions, "nothing was written");
}

#[tokio::test]
async fn a_missing_application_is_not_found_and_an_invalid_tag_sends_nothing() {
    let setup = Setup::start().await;
    let error = set_image_tag(&setup.api, "nope-dev", &ImageField::default(), "v1")
        .await
        .unwrap_err();
    assert!(matches!(error, ImagePatchError::NotFound { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "Argo CD Application argocd/nope-dev not found"
    );

    setup.store().put(
        APPLICATION,
        application("photo-api-dev", helm_spec(parameters())),
    );
    let sent = setup.wire.sent();
    for tag in ["", "feature/x", "v1\n", ".v1", "v1: #x"] {
        let error = set_image_tag(&setup.api, "photo-api-dev", &ImageField::default(), tag)
            .await
            .unwrap_err();
        assert!(
            matches!(error, ImagePatchError::InvalidTag { .. }),
            "{tag:?}: {error}"
        );
    }
    assert_eq!(setup.wire.sent(), sent, "not even a read");
}
