//! The Argo CD Application object for one Application's state, shaped as
//! Argo CD 3.x writes it: `status` in the main object (the CRD has no
//! status subresource), `health.message` left empty, reasons in
//! `operationState.message` and `conditions[]`.

use serde_json::{json, Map, Value};

use super::{desired::Target, live::Phase, rollout::App};
use crate::demo::cluster::rfc3339;

/// Where every destination is: the cluster Argo CD runs in.
const IN_CLUSTER: &str = "https://kubernetes.default.svc";

pub fn application(app: &App, namespace: &str) -> Value {
    json!({
        "metadata": {
            "name": app.desired.name,
            "namespace": namespace,
            "labels": labels(app),
        },
        "spec": spec(app),
        "status": status(app, namespace),
    })
}

/// Labels the ApplicationSet's template puts on each Application.
pub fn labels(app: &App) -> Value {
    match &app.desired.target {
        Target::Service { env, service, .. } => json!({
            "berth.example.com/environment": env,
            "berth.example.com/service": service,
        }),
        Target::Sandbox { name, .. } => json!({ "berth.example.com/sandbox": name }),
    }
}

pub fn spec(app: &App) -> Value {
    json!({
        "project": "default",
        "revisionHistoryLimit": app.history_limit,
        "source": source(app, &app.image.tag),
        "destination": { "server": IN_CLUSTER, "namespace": app.desired.namespace },
        "syncPolicy": {
            "automated": { "prune": true, "selfHeal": true },
            "syncOptions": ["CreateNamespace=true"],
            "retry": { "limit": 2 },
        },
    })
}

/// The chart in the GitOps repository, with the image `tag`.
fn source(app: &App, tag: &str) -> Value {
    let desired = &app.desired;
    let mut parameters = vec![
        json!({ "name": "image.repository", "value": app.image.repository }),
        json!({ "name": "image.tag", "value": tag }),
    ];
    if let Some(host) = desired.host() {
        parameters.push(json!({ "name": "ingress.host", "value": host }));
    }
    json!({
        "repoURL": desired.repo_url,
        "path": format!("charts/{}", desired.component()),
        "targetRevision": desired.repo_branch,
        "helm": { "releaseName": desired.name, "parameters": parameters },
    })
}

/// The tag of `spec.source.helm.parameters[image.tag]`, as someone may
/// have patched it.
pub fn image_tag(application: &Value) -> Option<&str> {
    application["spec"]["source"]["helm"]["parameters"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == "image.tag")?["value"]
        .as_str()
}

fn status(app: &App, namespace: &str) -> Value {
    let mut status = Map::new();
    let spec = spec(app);
    status.insert(
        "sync".into(),
        json!({
            "status": if app.synced() { "Synced" } else { "OutOfSync" },
            "revision": app.revision,
            "comparedTo": { "source": spec["source"], "destination": spec["destination"] },
        }),
    );
    status.insert("health".into(), json!({ "status": app.health().as_str() }));
    let mut summary = Map::new();
    if !app.images.is_empty() {
        summary.insert("images".into(), json!(app.images));
    }
    // Argo CD reads external URLs off the Ingress once it exists.
    if let (Some(host), Some(_)) = (app.desired.host(), &app.deployed_image) {
        summary.insert("externalURLs".into(), json!([format!("https://{host}")]));
    }
    status.insert("summary".into(), Value::Object(summary));
    if let Some(op) = &app.operation {
        let mut state = json!({
            "operation": {
                "sync": { "revision": op.revision, "prune": true },
                "initiatedBy": { "automated": true },
                "retry": { "limit": 2 },
            },
            "phase": match op.phase {
                Phase::Running => "Running",
                Phase::Succeeded => "Succeeded",
                Phase::Failed => "Failed",
            },
            "message": op.message,
            "startedAt": rfc3339(op.started_at),
        });
        if let Some(finished) = op.finished_at {
            state["finishedAt"] = json!(rfc3339(finished));
            state["syncResult"] =
                json!({ "revision": op.revision, "source": source(app, &op.tag) });
        }
        if op.phase == Phase::Failed {
            // Automated sync gave up on this revision, as Argo CD reports it.
            status.insert(
                "conditions".into(),
                json!([{
                    "type": "SyncError",
                    "message": format!("Failed sync attempt to {}: {} (retried 2 times).", op.revision, op.message),
                    "lastTransitionTime": rfc3339(op.finished_at.unwrap_or(op.started_at)),
                }]),
            );
        }
        status.insert("operationState".into(), state);
    }
    let history: Vec<Value> = app
        .history
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "revision": d.revision,
                "deployStartedAt": rfc3339(d.started_at),
                "deployedAt": rfc3339(d.deployed_at),
                "source": source(app, &d.tag),
                "initiatedBy": { "automated": true },
            })
        })
        .collect();
    if !history.is_empty() {
        status.insert("history".into(), json!(history));
    }
    status.insert("reconciledAt".into(), json!(rfc3339(app.stage_at)));
    status.insert("sourceType".into(), json!("Helm"));
    status.insert("resourceHealthSource".into(), json!("appTree"));
    status.insert("controllerNamespace".into(), json!(namespace));
    Value::Object(status)
}
