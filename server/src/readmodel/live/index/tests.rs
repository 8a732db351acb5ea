use std::sync::Arc;

use kube::runtime::{reflector, watcher};
use serde_json::{json, Value};

use super::*;
use crate::cluster::Connection;

const LABEL: &str = "app.kubernetes.io/instance";

fn store<K>(objects: &[Value]) -> reflector::Store<K>
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + 'static,
{
    let (store, mut writer) = reflector::store();
    for object in objects {
        let object = serde_json::from_value(object.clone()).unwrap();
        writer.apply_watcher_event(&watcher::Event::Apply(object));
    }
    store
}

/// `app-a-dev` deploys into `dev`, `app-b-stg` into `stg`.
fn applications() -> Vec<Value> {
    let app = |name: &str, destination: Value| {
        json!({
            "metadata": { "name": name, "namespace": "argocd" },
            "spec": { "destination": destination },
            "status": { "health": { "status": "Healthy" } },
        })
    };
    vec![
        app("app-a-dev", json!({ "namespace": "dev" })),
        app("app-b-stg", json!({ "namespace": "stg" })),
        app(
            "no-destination",
            json!({ "server": "https://kubernetes.default.svc" }),
        ),
    ]
}

fn pod(name: &str, namespace: &str, labels: Value) -> Value {
    json!({
        "metadata": { "name": name, "namespace": namespace, "labels": labels },
        "status": { "containerStatuses": [{ "name": "app", "ready": false,
            "state": { "waiting": { "reason": "CrashLoopBackOff", "message": "you have been hacked" } } }] },
    })
}

fn index(deployments: &[Value], pods: &[Value], ingresses: &[Value]) -> ClusterIndex {
    let live = ClusterLive {
        name: "nonprod".into(),
        client: None,
        argocd_namespace: "argocd".into(),
        applications: store(&applications()),
        deployments: vec![store(deployments)],
        pods: vec![store(pods)],
        ingresses: vec![store(ingresses)],
        connection: Arc::new(Connection::new(0)),
    };
    let config: ClusterConfig = serde_json::from_value(json!({ "name": "nonprod" })).unwrap();
    assert_eq!(config.instance_label, LABEL);
    ClusterIndex::build(&live, &config)
}

fn names<T: ResourceExt>(objects: Option<&Vec<Arc<T>>>) -> Vec<String> {
    let mut names: Vec<String> = objects
        .into_iter()
        .flatten()
        .map(|o| o.name_any())
        .collect();
    names.sort();
    names
}

fn pods_of(index: &ClusterIndex, app: &str) -> Vec<String> {
    names(index.workloads.get(app).map(|w| &w.pods))
}

#[test]
fn a_pod_is_tied_to_an_application_only_in_its_destination_namespace() {
    let index = index(
        &[],
        &[
            pod("app-b-1", "stg", json!({ LABEL: "app-b-stg" })),
            // Someone who may create Pods in `dev` claims another team's
            // Application: its crash reason must not show in their cell.
            pod("intruder", "dev", json!({ LABEL: "app-b-stg" })),
            pod("app-a-1", "dev", json!({ LABEL: "app-a-dev" })),
        ],
        &[],
    );
    assert_eq!(pods_of(&index, "app-b-stg"), ["app-b-1"]);
    assert_eq!(pods_of(&index, "app-a-dev"), ["app-a-1"]);
}

#[test]
fn an_application_without_a_destination_namespace_gets_no_workloads() {
    let index = index(
        &[],
        &[pod("p", "dev", json!({ LABEL: "no-destination" }))],
        &[],
    );
    assert!(
        index.workloads.is_empty(),
        "{:?}",
        pods_of(&index, "no-destination")
    );
}

fn tracked(kind: &str, name: &str, namespace: &str, labels: Value, id: &str) -> Value {
    let mut object = json!({
        "metadata": { "name": name, "namespace": namespace, "labels": labels,
            "annotations": { TRACKING_ID: id } },
    });
    if kind == "Ingress" {
        object["spec"] = json!({ "rules": [{ "host": format!("{name}.example.com") }] });
    }
    object
}

#[test]
fn argo_cds_tracking_id_wins_over_the_label_when_it_names_the_objects_namespace() {
    let deployments = [
        // Argo CD says app-a-dev applied it; a stray label says app-b.
        tracked(
            "Deployment",
            "web",
            "dev",
            json!({ LABEL: "app-b-stg" }),
            "app-a-dev:apps/Deployment:dev/web",
        ),
        // A tracking id copied from elsewhere (it names `dev`, the object
        // is in `stg`) is not believed; the label, in its destination, is.
        tracked(
            "Deployment",
            "copied",
            "stg",
            json!({ LABEL: "app-b-stg" }),
            "app-a-dev:apps/Deployment:dev/copied",
        ),
    ];
    let ingresses = [tracked(
        "Ingress",
        "forged",
        "stg",
        json!({}),
        "app-a-dev:networking.k8s.io/Ingress:stg/forged",
    )];
    let index = index(&deployments, &[], &ingresses);
    let deployments_of = |app| names(index.workloads.get(app).map(|w| &w.deployments));
    assert_eq!(deployments_of("app-a-dev"), ["web"]);
    assert_eq!(deployments_of("app-b-stg"), ["copied"]);
    // In its own namespace the id is consistent, but app-a deploys to dev.
    assert!(index.workloads.values().all(|w| w.ingresses.is_empty()));
}

#[test]
fn an_unlabelled_pod_follows_its_deployment_in_the_same_namespace_only() {
    let deployment = tracked(
        "Deployment",
        "web",
        "dev",
        json!({}),
        "app-a-dev:apps/Deployment:dev/web",
    );
    let owned = |name: &str, namespace: &str| {
        let mut pod = pod(name, namespace, json!({ "pod-template-hash": "5d8f" }));
        pod["metadata"]["ownerReferences"] = json!([{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8f", "uid": "u" }]);
        pod
    };
    let index = index(
        &[deployment],
        &[owned("web-5d8f-a", "dev"), owned("web-5d8f-b", "stg")],
        &[],
    );
    assert_eq!(pods_of(&index, "app-a-dev"), ["web-5d8f-a"]);
    assert_eq!(index.workloads.len(), 1);
}
