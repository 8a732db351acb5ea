//! `[[clusters]]`: the Kubernetes clusters Berth reads live state from,
//! and which environment runs on which.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Config, EnvironmentConfig};

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
    /// The label that ties a workload to its Application: Helm charts set
    /// it to the release name, which Argo CD makes the Application's name.
    #[serde(default = "default_instance_label")]
    pub instance_label: String,
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

fn default_instance_label() -> String {
    "app.kubernetes.io/instance".into()
}

/// Longest Application name Kubernetes stores (a DNS-1123 subdomain).
const MAX_NAME: usize = 253;

impl Config {
    /// The environment that follows the default branches, if configured.
    pub fn prod_environment(&self) -> Option<&EnvironmentConfig> {
        self.environments
            .iter()
            .find(|e| e.kind == super::EnvironmentKind::Prod)
    }

    /// The cluster an environment runs on: its own, or the first one.
    pub fn cluster_of(&self, env: &EnvironmentConfig) -> Option<&ClusterConfig> {
        self.named_cluster(env.cluster.as_deref())
    }

    /// The cluster sandboxes run on.
    pub fn sandbox_cluster(&self) -> Option<&ClusterConfig> {
        self.named_cluster(self.sandboxes.cluster.as_deref())
    }

    fn named_cluster(&self, name: Option<&str>) -> Option<&ClusterConfig> {
        match name {
            Some(name) => self.clusters.iter().find(|c| c.name == name),
            None => self.clusters.first(),
        }
    }

    /// The Argo CD Application that deploys `service` to `env`.
    pub fn application_name(&self, env: &EnvironmentConfig, service: &str) -> String {
        env.application_template
            .as_deref()
            .unwrap_or(&self.application_template)
            .replace("{service}", service)
            .replace("{env}", &env.name)
    }

    /// The Argo CD Application of the sandbox `name`.
    pub fn sandbox_application_name(&self, name: &str) -> String {
        self.sandboxes.application_template.replace("{name}", name)
    }

    pub(super) fn check_clusters(&self) -> Result<(), String> {
        super::unique("cluster", self.clusters.iter().map(|c| &c.name))?;
        if let Some(problem) = self.clusters.iter().find_map(ClusterConfig::problem) {
            return Err(problem);
        }
        let named = self
            .environments
            .iter()
            .map(|e| (format!("environment `{}`", e.name), &e.cluster))
            .chain([("[sandboxes]".to_string(), &self.sandboxes.cluster)]);
        for (what, cluster) in named {
            if let Some(name) = cluster {
                if !self.clusters.iter().any(|c| &c.name == name) {
                    return Err(format!(
                        "{what} names the cluster `{name}`, which is not configured"
                    ));
                }
            }
        }
        let templates = self
            .environments
            .iter()
            .filter_map(|e| e.application_template.as_ref())
            .chain([&self.application_template]);
        for template in templates {
            if !template.contains("{service}") {
                return Err(format!(
                    "the Application template `{template}` must contain {{service}}, or every service would share one Application"
                ));
            }
        }
        if !self.sandboxes.application_template.contains("{name}") {
            return Err("[sandboxes] application_template must contain {name}".into());
        }
        let longest = self
            .services
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(0);
        for env in &self.environments {
            let name = self.application_name(env, &"x".repeat(longest));
            if name.len() > MAX_NAME {
                return Err(format!(
                    "environment `{}`: Application names would be longer than {MAX_NAME} characters",
                    env.name
                ));
            }
        }
        Ok(())
    }
}
