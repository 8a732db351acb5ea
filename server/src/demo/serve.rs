//! The demo's clusters, started by `berth serve` before Berth itself: one
//! demo API server and one simulated Argo CD per `[[clusters]]` entry, and
//! a kubeconfig that reaches them. Berth then connects through that
//! kubeconfig exactly as it would to real clusters.

use std::{fmt::Write as _, path::Path, sync::Arc};

use super::cluster::{argocd, DemoCluster, Options};
use crate::config::Config;

/// Keeps the demo clusters serving; dropping it stops them.
pub struct DemoClusters {
    _clusters: Vec<DemoCluster>,
}

/// Starts a demo cluster for every configured cluster and writes their
/// kubeconfig (one context each, named after the cluster) where the
/// config expects it.
pub async fn start_clusters(config: &Config) -> Result<DemoClusters, String> {
    let config = Arc::new(config.clone());
    let mut clusters = Vec::new();
    let mut entries = Vec::new();
    let mut path = None;
    for cluster in &config.clusters {
        let Some(kubeconfig) = &cluster.kubeconfig else {
            continue;
        };
        let token = random_token()?;
        let demo = DemoCluster::start(0, &token, Options::default())
            .await
            .map_err(|e| format!("cannot start the demo cluster `{}`: {e}", cluster.name))?;
        argocd::spawn(
            Arc::clone(demo.objects()),
            Arc::clone(&config),
            cluster.name.clone(),
        );
        let context = cluster
            .context
            .clone()
            .unwrap_or_else(|| cluster.name.clone());
        entries.push((context, demo.addr().to_string(), token));
        path = Some(kubeconfig.clone());
        clusters.push(demo);
    }
    if let Some(path) = path {
        write_kubeconfig(&path, &entries)?;
    }
    Ok(DemoClusters {
        _clusters: clusters,
    })
}

/// A fresh bearer token per start: the kubeconfig is rewritten each time.
fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_kubeconfig(path: &Path, entries: &[(String, String, String)]) -> Result<(), String> {
    let current = entries.first().map(|e| e.0.as_str()).unwrap_or_default();
    let mut text = format!("apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n");
    for (name, addr, _) in entries {
        let _ = write!(
            text,
            "- name: {name}\n  cluster:\n    server: http://{addr}\n"
        );
    }
    text.push_str("contexts:\n");
    for (name, _, _) in entries {
        let _ = write!(
            text,
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n"
        );
    }
    text.push_str("users:\n");
    for (name, _, token) in entries {
        let _ = write!(text, "- name: {name}\n  user:\n    token: {token}\n");
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
