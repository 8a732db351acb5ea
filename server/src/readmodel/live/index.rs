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

/// Where each Application deploys. A workload is tied to an Application
/// only in that namespace: anyone who may create a Pod in one watched
/// namespace can label it with any Application's name, and what it says
/// (crash reasons, images) must not show in another team's cell.
type Destinations<'a> = HashMap<&'a str, &'a str>;

/// The Application a Deployment or Ingress belongs to: the one Argo CD's
/// tracking annotation names, else the instance label's (Helm sets it to
/// the release, which Argo CD names after the Application); either only
/// if that Application deploys into the object's namespace.
fn owner_app(
    object: &impl ResourceExt,
    label: &str,
    destinations: &Destinations,
) -> Option<String> {
    let namespace = object.namespace()?;
    let tracked = object
        .annotations()
        .get(TRACKING_ID)
        .and_then(|id| tracked_app(id, &namespace));
    let labelled = object.labels().get(label).map(String::as_str);
    [tracked, labelled]
        .into_iter()
        .flatten()
        .find(|app| deploys_to(destinations, app, &namespace))
        .map(str::to_string)
}

/// The Application a tracking id names, if the id places the object in
/// `namespace`: an id copied onto an object elsewhere does not count.
fn tracked_app<'a>(id: &'a str, namespace: &str) -> Option<&'a str> {
    let (app, rest) = id.split_once(':')?;
    let (_group_kind, place) = rest.split_once(':')?;
    let (in_namespace, _name) = place.split_once('/')?;
    (in_namespace == namespace).then_some(app)
}

fn deploys_to(destinations: &Destinations, app: &str, namespace: &str) -> bool {
    destinations.get(app) == Some(&namespace)
}

impl ClusterIndex {
    pub fn build(live: &ClusterLive, config: &ClusterConfig) -> ClusterIndex {
        let label = config.instance_label.as_str();
        let applications: HashMap<String, Arc<Application>> = live
            .applications
            .state()
            .into_iter()
            .map(|a| (a.name_any(), a))
            .collect();
        // An Application that names no namespace gets no workloads.
        let destinations: Destinations = applications
            .iter()
            .filter_map(|(name, app)| Some((name.as_str(), app.destination_namespace()?)))
            .collect();
        let mut workloads: HashMap<String, Workloads> = HashMap::new();
        // Pods carry the template's labels but not Argo CD's annotation;
        // those without the label are found through their ReplicaSet's
        // Deployment (`<deployment>-<pod-template-hash>`).
        let mut deployment_app: HashMap<(String, String), String> = HashMap::new();
        for store in &live.deployments {
            for deployment in store.state() {
                if let Some(app) = owner_app(deployment.as_ref(), label, &destinations) {
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
                let namespace = pod.namespace().unwrap_or_default();
                let labelled = pod
                    .labels()
                    .get(label)
                    .filter(|app| deploys_to(&destinations, app, &namespace))
                    .cloned();
                // The Deployment's Application was checked already.
                let app = labelled.or_else(|| via_replica_set(&pod, &deployment_app));
                if let Some(app) = app {
                    workloads.entry(app).or_default().pods.push(pod);
                }
            }
        }
        for store in &live.ingresses {
            for ingress in store.state() {
                if let Some(app) = owner_app(ingress.as_ref(), label, &destinations) {
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

#[cfg(test)]
mod tests;
