//! Writing one Application's objects into the demo cluster's store. Only
//! what rendered differently since the last write is written, so watches
//! see one event per real change and a thousand settled Applications
//! cost nothing. Writes go through the store's `put`, `update` and
//! `delete`, which number them as the API server would.

use std::{
    collections::BTreeMap,
    hash::{DefaultHasher, Hash, Hasher},
};

use serde_json::{json, Value};

use super::{application, rollout::App, workloads};
use crate::{
    config::ClusterConfig,
    demo::cluster::{ObjectStore, APPLICATION, DEPLOYMENT, INGRESS, POD},
};

/// What was last written for one Application, as digests of the
/// rendered objects, and the resource versions of its own writes.
#[derive(Debug, Default)]
pub struct Written {
    application: Option<u64>,
    spec: Option<u64>,
    /// The version of the last write that set the spec: a later change of
    /// the spec is someone else's.
    pub spec_version: u64,
    /// The version of the last write of the Application.
    pub last_version: u64,
    deployment: Option<u64>,
    ingress: Option<u64>,
    pods: BTreeMap<String, u64>,
}

/// Writes whatever of `app`'s objects changed since the last call.
pub fn write(store: &ObjectStore, cluster: &ClusterConfig, app: &App, written: &mut Written) {
    let label = &cluster.instance_label;
    let rendered = application::application(app, &cluster.argocd_namespace);
    let whole = digest(&rendered);
    if written.application != Some(whole) {
        let spec = digest(&rendered["spec"]);
        let spec_changed = written.spec != Some(spec);
        let version = write_application(store, &cluster.argocd_namespace, rendered, spec_changed);
        written.application = Some(whole);
        written.last_version = version;
        if spec_changed {
            written.spec = Some(spec);
            written.spec_version = version;
        }
    }
    let (namespace, name) = (&app.desired.namespace, &app.desired.name);
    let deployment = workloads::deployment(app, label);
    write_one(
        store,
        DEPLOYMENT,
        namespace,
        name,
        deployment,
        &mut written.deployment,
    );
    let pods = workloads::pods(app, label);
    let mut names = Vec::new();
    // New Pods first: a rolling update starts the new one before it stops the old.
    for pod in pods {
        let pod_name = pod["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let pod_digest = digest(&pod);
        if written.pods.get(&pod_name) != Some(&pod_digest) {
            store.put(POD, pod);
            written.pods.insert(pod_name.clone(), pod_digest);
        }
        names.push(pod_name);
    }
    written.pods.retain(|pod, _| {
        let keep = names.contains(pod);
        if !keep {
            store.delete(POD, namespace, pod);
        }
        keep
    });
    let ingress = workloads::ingress(app, label);
    write_one(
        store,
        INGRESS,
        namespace,
        name,
        ingress,
        &mut written.ingress,
    );
}

/// Deletes everything `app` made, workloads first, as Argo CD's
/// resources finalizer does before the Application goes.
pub fn remove(store: &ObjectStore, cluster: &ClusterConfig, app: &App, written: &Written) {
    let (namespace, name) = (&app.desired.namespace, &app.desired.name);
    if written.ingress.is_some() {
        store.delete(INGRESS, namespace, name);
    }
    for pod in written.pods.keys() {
        store.delete(POD, namespace, pod);
    }
    if written.deployment.is_some() {
        store.delete(DEPLOYMENT, namespace, name);
    }
    store.delete(APPLICATION, &cluster.argocd_namespace, name);
}

/// Sets the Application's status, and its spec when the generator
/// changed it; labels and annotations others added stay, as does a spec
/// someone patched since (the controller then adopts it).
fn write_application(store: &ObjectStore, namespace: &str, rendered: Value, spec: bool) -> u64 {
    let name = rendered["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let updated = store.update(APPLICATION, namespace, &name, |mut current| {
        if spec {
            current["spec"] = rendered["spec"].clone();
        }
        current["status"] = rendered["status"].clone();
        if !current["metadata"]["labels"].is_object() {
            current["metadata"]["labels"] = json!({});
        }
        if let Some(labels) = rendered["metadata"]["labels"].as_object() {
            for (key, value) in labels {
                current["metadata"]["labels"][key] = value.clone();
            }
        }
        Ok(current)
    });
    let object = updated.unwrap_or_else(|_| store.put(APPLICATION, rendered));
    resource_version(&object)
}

fn write_one(
    store: &ObjectStore,
    kind: crate::demo::cluster::Kind,
    namespace: &str,
    name: &str,
    object: Option<Value>,
    written: &mut Option<u64>,
) {
    match object {
        Some(object) => {
            let object_digest = digest(&object);
            if *written != Some(object_digest) {
                store.put(kind, object);
                *written = Some(object_digest);
            }
        }
        None => {
            if written.take().is_some() {
                store.delete(kind, namespace, name);
            }
        }
    }
}

pub fn resource_version(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn digest(value: &Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.to_string().hash(&mut hasher);
    hasher.finish()
}
