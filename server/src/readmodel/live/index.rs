//! One cluster's stores, grouped by Argo CD Application, once per change
//! rather than once per cell.

use std::{collections::HashMap, sync::Arc};

use k8s_openapi::api::networking::v1::Ingress;
use kube::ResourceExt;

use crate::{
    cluster::{Application, ClusterLive, ClusterState, Deployment, Pod},
    config::ClusterConfig,
};

/// Argo CD's annotation on what it applies: `<app>:<group>/<kind>:<ns>/<name>`.
const TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";

/// What runs for one Application.
#[derive(Default)]
pub struct Workloads {
    pub deployments: Vec<Arc<Deployment>>,
    pub pods: Vec<Arc<Pod>>,
    pub ingresses: Vec<Arc<Ingress>>,
}

pub struct ClusterIndex {
    pub name: String,
    pub state: ClusterState,
    pub applications: HashMap<String, Arc<Application>>,
    pub workloads: HashMap<String, Workloads>,
}

/// The Application a Deployment or Ingress belongs to: the instance label
/// (Helm sets it to the release, which Argo CD names after the
/// Application), else Argo CD's own tracking annotation.
fn owner_app(meta: &impl ResourceExt, label: &str) -> Option<String> {
    if let Some(app) = meta.labels().get(label) {
        return Some(app.clone());
    }
    let id = meta.annotations().get(TRACKING_ID)?;
    id.split_once(':').map(|(app, _)| app.to_string())
}

impl ClusterIndex {
    pub fn build(live: &ClusterLive, config: &ClusterConfig) -> ClusterIndex {
        let label = config.instance_label.as_str();
        let applications = live
            .applications
            .state()
            .into_iter()
            .map(|a| (a.name_any(), a))
            .collect();
        let mut workloads: HashMap<String, Workloads> = HashMap::new();
        // Pods carry the template's labels but not Argo CD's annotation;
        // those without the label are found through their ReplicaSet's
        // Deployment (`<deployment>-<pod-template-hash>`).
        let mut deployment_app: HashMap<(String, String), String> = HashMap::new();
        for store in &live.deployments {
            for deployment in store.state() {
                if let Some(app) = owner_app(deployment.as_ref(), label) {
                    deployment_app.insert(
                        (
                            deployment.namespace().unwrap_or_default(),
                            deployment.name_any(),
                        ),
                        app.clone(),
                    );
                    workloads
                        .entry(app)
                        .or_default()
                        .deployments
                        .push(deployment);
                }
            }
        }
        for store in &live.pods {
            for pod in store.state() {
                let app = pod
                    .labels()
                    .get(label)
                    .cloned()
                    .or_else(|| via_replica_set(&pod, &deployment_app));
                if let Some(app) = app {
                    workloads.entry(app).or_default().pods.push(pod);
                }
            }
        }
        for store in &live.ingresses {
            for ingress in store.state() {
                if let Some(app) = owner_app(ingress.as_ref(), label) {
                    workloads.entry(app).or_default().ingresses.push(ingress);
                }
            }
        }
        ClusterIndex {
            name: live.name.clone(),
            state: live.state(),
            applications,
            workloads,
        }
    }
}

fn via_replica_set(pod: &Pod, deployments: &HashMap<(String, String), String>) -> Option<String> {
    let hash = pod.labels().get("pod-template-hash")?;
    let owner = pod
        .owner_references()
        .iter()
        .find(|o| o.kind == "ReplicaSet")?;
    let deployment = owner.name.strip_suffix(&format!("-{hash}"))?;
    deployments
        .get(&(pod.namespace().unwrap_or_default(), deployment.to_string()))
        .cloned()
}
