//! `[[clusters]]`: the Kubernetes clusters Berth reads live state from,
//! and which environment runs on which.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    pub name: String,
    /// A kubeconfig file; its current context unless `context` is set.
    #[serde(default)]
    pub kubeconfig: Option<PathBuf>,
    #[serde(default)]
    pub context: Option<String>,
    /// Use the pod's service account instead of a kubeconfig.
    #[serde(default)]
    pub in_cluster: bool,
    /// Where Argo CD keeps its Applications.
    #[serde(default = "default_argocd_namespace")]
    pub argocd_namespace: String,
    /// Namespaces whose Deployments, Pods and Ingresses Berth watches.
    #[serde(default)]
    pub namespaces: Vec<String>,
}

impl ClusterConfig {
    /// Why this entry cannot work, before anything is contacted.
    pub fn problem(&self) -> Option<String> {
        if self.name.trim().is_empty() {
            return Some("a [[clusters]] entry has no name".into());
        }
        match (&self.kubeconfig, self.in_cluster) {
            (None, false) => Some(format!(
                "cluster `{}` needs `kubeconfig` (a path) or `in_cluster = true`",
                self.name
            )),
            (Some(_), true) => Some(format!(
                "cluster `{}` sets both `kubeconfig` and `in_cluster`; choose one",
                self.name
            )),
            _ => None,
        }
    }
}

fn default_argocd_namespace() -> String {
    "argocd".into()
}
