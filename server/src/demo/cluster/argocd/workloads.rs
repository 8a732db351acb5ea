//! The workloads an Application's chart makes, as the Kubernetes
//! controllers report them: a Deployment, its Pods (named after their
//! ReplicaSet, with a suffix), and for a sandbox an Ingress. Each carries
//! `<instance_label>: <application>`, which ties it to its Application.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{
    live::{PodRun, PodState},
    rollout::{App, PROGRESS_DEADLINE_SECS},
};
use crate::demo::cluster::rfc3339;

const INGRESS_ADDRESS: &str = "203.0.113.10";

pub fn deployment(app: &App, instance_label: &str) -> Option<Value> {
    let image = app.deployed_image.as_ref()?;
    let name = &app.desired.name;
    let pods: Vec<&PodRun> = app.pods().collect();
    let ready = pods.iter().filter(|p| p.state == PodState::Ready).count();
    let updated = pods.iter().filter(|p| &p.image == image).count();
    let replica_set = pods
        .iter()
        .rfind(|p| &p.image == image)
        .map(|p| format!("{name}-{}", p.template_hash))
        .unwrap_or_else(|| name.clone());
    // Conditions change when Pods do, not when the Application does.
    let mut changed = pods
        .iter()
        .map(|p| p.created_at)
        .max()
        .unwrap_or(app.stage_at);
    let progressing = if app.deadline_exceeded() {
        let started = app.operation.as_ref().map_or(changed, |op| op.started_at);
        changed = changed.max(started + PROGRESS_DEADLINE_SECS);
        condition(
            "Progressing",
            false,
            "ProgressDeadlineExceeded",
            &format!("ReplicaSet \"{replica_set}\" has timed out progressing."),
            changed,
        )
    } else if app.next.is_none() && ready == pods.len() && updated == pods.len() {
        condition(
            "Progressing",
            true,
            "NewReplicaSetAvailable",
            &format!("ReplicaSet \"{replica_set}\" has successfully progressed."),
            changed,
        )
    } else {
        condition(
            "Progressing",
            true,
            "ReplicaSetUpdated",
            &format!("ReplicaSet \"{replica_set}\" is progressing."),
            changed,
        )
    };
    let available = if ready > 0 {
        condition(
            "Available",
            true,
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            changed,
        )
    } else {
        condition(
            "Available",
            false,
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            changed,
        )
    };
    let mut status = Map::new();
    status.insert("observedGeneration".into(), json!(app.generation));
    // Like the API server, counts that are zero are left out.
    for (field, count) in [
        ("replicas", pods.len()),
        ("updatedReplicas", updated),
        ("readyReplicas", ready),
        ("availableReplicas", ready),
        ("unavailableReplicas", pods.len() - ready),
    ] {
        if count > 0 {
            status.insert(field.into(), json!(count));
        }
    }
    status.insert("conditions".into(), json!([available, progressing]));
    let selector = Value::Object(Map::from_iter([(instance_label.to_string(), json!(name))]));
    Some(json!({
        "metadata": {
            "name": name,
            "namespace": app.desired.namespace,
            "generation": app.generation,
            "labels": labels(app, instance_label),
            "annotations": {
                "deployment.kubernetes.io/revision": app.generation.to_string(),
                "argocd.argoproj.io/tracking-id": tracking_id(app, "apps/Deployment"),
            },
        },
        "spec": {
            "replicas": 1,
            "selector": { "matchLabels": selector },
            "progressDeadlineSeconds": PROGRESS_DEADLINE_SECS,
            "revisionHistoryLimit": 10,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": { "maxSurge": "25%", "maxUnavailable": "25%" },
            },
            "template": {
                "metadata": { "labels": labels(app, instance_label) },
                "spec": { "containers": [container(app, image)] },
            },
        },
        "status": status,
    }))
}

pub fn pods(app: &App, instance_label: &str) -> Vec<Value> {
    app.pods()
        .map(|run| pod(app, run, instance_label))
        .collect()
}

fn pod(app: &App, run: &PodRun, instance_label: &str) -> Value {
    let namespace = &app.desired.namespace;
    let container_name = app.desired.component();
    let ready = run.state == PodState::Ready;
    let since = rfc3339(run.created_at);
    let (phase, state) = match run.state {
        PodState::Creating => (
            "Pending",
            json!({ "waiting": { "reason": "ContainerCreating" } }),
        ),
        PodState::Starting | PodState::Ready => (
            "Running",
            json!({ "running": { "startedAt": rfc3339(run.created_at + 1) } }),
        ),
        PodState::ErrImagePull => (
            "Pending",
            json!({ "waiting": { "reason": "ErrImagePull", "message": format!(
                "rpc error: code = NotFound desc = failed to pull and unpack image \"{0}\": failed to resolve reference \"{0}\": {0}: not found",
                run.image
            ) } }),
        ),
        PodState::PullBackOff => (
            "Pending",
            json!({ "waiting": { "reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{}\"", run.image) } }),
        ),
        PodState::CrashLoop => (
            "Running",
            json!({ "waiting": { "reason": "CrashLoopBackOff", "message": format!(
                "back-off 5m0s restarting failed container={container_name} pod={}_{namespace}",
                run.name
            ) } }),
        ),
    };
    let pulled = matches!(
        run.state,
        PodState::Starting | PodState::Ready | PodState::CrashLoop
    );
    let mut status = json!({
        "name": container_name,
        "image": run.image,
        "imageID": if pulled { image_id(&run.image) } else { String::new() },
        "ready": ready,
        "started": matches!(run.state, PodState::Starting | PodState::Ready),
        "restartCount": run.restarts,
        "state": state,
    });
    if run.state == PodState::CrashLoop {
        // The last run: the app exits shortly after it starts.
        let exited = app.stage_at - 30;
        status["lastState"] = json!({ "terminated": {
            "exitCode": 1,
            "reason": "Error",
            "startedAt": rfc3339(exited - 4),
            "finishedAt": rfc3339(exited),
        } });
    }
    let not_ready = format!("containers with unready status: [{container_name}]");
    let readiness = |kind: &str| {
        let mut c = json!({ "type": kind, "status": if ready { "True" } else { "False" }, "lastTransitionTime": since });
        if !ready {
            c["reason"] = json!("ContainersNotReady");
            c["message"] = json!(not_ready);
        }
        c
    };
    let seed = Sha256::digest(run.name.as_bytes());
    let mut labels = labels(app, instance_label);
    labels["pod-template-hash"] = json!(run.template_hash);
    let mut status_object = json!({
        "phase": phase,
        "conditions": [
            { "type": "Initialized", "status": "True", "lastTransitionTime": since },
            readiness("Ready"),
            readiness("ContainersReady"),
            { "type": "PodScheduled", "status": "True", "lastTransitionTime": since },
        ],
        "hostIP": format!("10.0.0.{}", 11 + seed[0] % 3),
        "startTime": since,
        "containerStatuses": [status],
    });
    if run.state != PodState::Creating {
        status_object["podIP"] = json!(format!("10.42.{}.{}", seed[1] % 3, 2 + seed[2] % 250));
    }
    json!({
        "metadata": {
            "name": run.name,
            "namespace": namespace,
            "labels": labels,
            "ownerReferences": [{
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": format!("{}-{}", app.desired.name, run.template_hash),
                "uid": format!("demo-replicasets-{}", run.template_hash),
                "controller": true,
                "blockOwnerDeletion": true,
            }],
        },
        "spec": {
            "containers": [container(app, &run.image)],
            "nodeName": format!("demo-worker-{}", 1 + seed[0] % 3),
            "restartPolicy": "Always",
            "serviceAccountName": "default",
        },
        "status": status_object,
    })
}

/// A sandbox's Ingress: its host from creation, its address once the
/// ingress controller has one.
pub fn ingress(app: &App, instance_label: &str) -> Option<Value> {
    let host = app.desired.host()?;
    app.deployed_image.as_ref()?;
    let name = &app.desired.name;
    let load_balancer = if app.exposed {
        json!({ "ingress": [{ "ip": INGRESS_ADDRESS }] })
    } else {
        json!({})
    };
    Some(json!({
        "metadata": {
            "name": name,
            "namespace": app.desired.namespace,
            "generation": 1,
            "labels": labels(app, instance_label),
            "annotations": {
                "argocd.argoproj.io/tracking-id": tracking_id(app, "networking.k8s.io/Ingress"),
            },
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{ "hosts": [host], "secretName": "sandbox-wildcard-tls" }],
            "rules": [{
                "host": host,
                "http": { "paths": [{
                    "path": "/",
                    "pathType": "Prefix",
                    "backend": { "service": { "name": name, "port": { "name": "http" } } },
                }] },
            }],
        },
        "status": { "loadBalancer": load_balancer },
    }))
}

fn labels(app: &App, instance_label: &str) -> Value {
    let mut labels = Map::new();
    labels.insert(
        "app.kubernetes.io/name".into(),
        json!(app.desired.component()),
    );
    labels.insert("app.kubernetes.io/managed-by".into(), json!("Helm"));
    labels.insert(instance_label.into(), json!(app.desired.name));
    Value::Object(labels)
}

fn container(app: &App, image: &str) -> Value {
    json!({
        "name": app.desired.component(),
        "image": image,
        "ports": [{ "name": "http", "containerPort": 8080, "protocol": "TCP" }],
        "readinessProbe": { "httpGet": { "path": "/healthz", "port": "http" } },
    })
}

fn condition(kind: &str, ok: bool, reason: &str, message: &str, at: i64) -> Value {
    json!({
        "type": kind,
        "status": if ok { "True" } else { "False" },
        "reason": reason,
        "message": message,
        "lastUpdateTime": rfc3339(at),
        "lastTransitionTime": rfc3339(at),
    })
}

/// Argo CD 3.x tracks resources by annotation: `<app>:<group>/<kind>:<ns>/<name>`.
fn tracking_id(app: &App, group_kind: &str) -> String {
    let d = &app.desired;
    format!("{}:{group_kind}:{}/{}", d.name, d.namespace, d.name)
}

/// The digest a registry reports for `image`, stable per image.
fn image_id(image: &str) -> String {
    let repository = image.rsplit_once(':').map_or(image, |(r, _)| r);
    format!(
        "{repository}@sha256:{}",
        hex::encode(Sha256::digest(image.as_bytes()))
    )
}
