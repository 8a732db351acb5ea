//! Live state from the Kubernetes clusters in `[[clusters]]`: Argo CD
//! Applications in the Argo CD namespace, and Deployments, Pods and
//! Ingresses in the configured workload namespaces, each kept current by a
//! watch. Git says what should run; this says what does.

pub mod application;
mod connection;
pub mod image_patch;
pub mod kinds;
mod watch;

use std::sync::Arc;

use k8s_openapi::api::networking::v1::Ingress;
use kube::{
    config::{KubeConfigOptions, Kubeconfig},
    runtime::reflector::Store,
    Api, Client,
};

pub use application::Application;
pub use connection::{ClusterState, Connection};
pub use kinds::{Deployment, Pod};

use tokio::sync::Notify;

use crate::config::ClusterConfig;

/// One cluster's stores; empty until its watches have listed, and kept as
/// last seen while it is away.
pub struct ClusterLive {
    pub name: String,
    /// For the one write Berth makes (`image_patch`); none when the
    /// cluster could not be configured.
    pub client: Option<Client>,
    pub argocd_namespace: String,
    pub applications: Store<Application>,
    pub deployments: Vec<Store<Deployment>>,
    pub pods: Vec<Store<Pod>>,
    pub ingresses: Vec<Store<Ingress>>,
    pub connection: Arc<Connection>,
}

impl ClusterLive {
    pub fn state(&self) -> ClusterState {
        self.connection.state()
    }

    /// The Applications in the Argo CD namespace, to patch.
    pub fn applications_api(&self) -> Option<Api<Application>> {
        self.client
            .as_ref()
            .map(|c| Api::namespaced(c.clone(), &self.argocd_namespace))
    }

    /// An Application as last watched.
    pub fn application(&self, name: &str) -> Option<Arc<Application>> {
        self.applications
            .get(&kube::runtime::reflector::ObjectRef::new(name).within(&self.argocd_namespace))
    }
}

/// Every configured cluster, in config order.
#[derive(Default)]
pub struct Live {
    pub clusters: Vec<Arc<ClusterLive>>,
    /// Told whenever any store or connection state changed.
    pub changed: Arc<Notify>,
}

impl Live {
    pub fn cluster(&self, name: &str) -> Option<&Arc<ClusterLive>> {
        self.clusters.iter().find(|c| c.name == name)
    }
}

/// Connects to every cluster and starts its watches. A cluster Berth
/// cannot reach is reported, not fatal: git-side pages work regardless.
pub async fn start(configs: &[ClusterConfig]) -> Live {
    let changed = Arc::new(Notify::new());
    let mut clusters = Vec::new();
    for config in configs {
        clusters.push(Arc::new(start_one(config, &changed).await));
    }
    Live { clusters, changed }
}

async fn start_one(config: &ClusterConfig, changed: &Arc<Notify>) -> ClusterLive {
    // One watch for Applications, three per workload namespace.
    let connection = Arc::new(Connection::new(1 + 3 * config.namespaces.len()));
    match client(config).await {
        Ok(client) => {
            let applications = watch::spawn(
                Api::<Application>::namespaced(client.clone(), &config.argocd_namespace),
                Arc::clone(&connection),
                0,
                Arc::clone(changed),
            );
            let mut deployments = Vec::new();
            let mut pods = Vec::new();
            let mut ingresses = Vec::new();
            for (i, namespace) in config.namespaces.iter().enumerate() {
                let slot = 1 + 3 * i;
                let conn = || Arc::clone(&connection);
                deployments.push(watch::spawn(
                    Api::namespaced(client.clone(), namespace),
                    conn(),
                    slot,
                    Arc::clone(changed),
                ));
                pods.push(watch::spawn(
                    Api::namespaced(client.clone(), namespace),
                    conn(),
                    slot + 1,
                    Arc::clone(changed),
                ));
                ingresses.push(watch::spawn(
                    Api::namespaced(client.clone(), namespace),
                    conn(),
                    slot + 2,
                    Arc::clone(changed),
                ));
            }
            ClusterLive {
                name: config.name.clone(),
                client: Some(client),
                argocd_namespace: config.argocd_namespace.clone(),
                applications,
                deployments,
                pods,
                ingresses,
                connection,
            }
        }
        Err(error) => {
            tracing::warn!(cluster = %config.name, %error, "cannot use this cluster");
            connection.unusable(error);
            ClusterLive {
                name: config.name.clone(),
                client: None,
                argocd_namespace: config.argocd_namespace.clone(),
                applications: kube::runtime::reflector::store().0,
                deployments: Vec::new(),
                pods: Vec::new(),
                ingresses: Vec::new(),
                connection,
            }
        }
    }
}

/// A client as kubectl would make it: the kubeconfig's context (or its
/// current one), or the pod's service account.
pub async fn client(config: &ClusterConfig) -> Result<Client, String> {
    let kube_config = match (&config.kubeconfig, config.in_cluster) {
        (_, true) => kube::Config::incluster().map_err(|e| format!("in-cluster config: {e}"))?,
        (Some(path), false) => {
            let file = Kubeconfig::read_from(path)
                .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
            let options = KubeConfigOptions {
                context: config.context.clone(),
                ..Default::default()
            };
            kube::Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(|e| format!("kubeconfig {}: {e}", path.display()))?
        }
        (None, false) => return Err("no kubeconfig and not in a cluster".into()),
    };
    Client::try_from(kube_config).map_err(|e| format!("cannot make a client: {e}"))
}
