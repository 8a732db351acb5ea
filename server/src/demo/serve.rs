//! The demo's clusters, started by `berth serve` before Berth itself: one
//! demo API server and one simulated Argo CD per `[[clusters]]` entry, and
//! a kubeconfig that reaches them. Berth then connects through that
//! kubeconfig exactly as it would to real clusters.

use std::sync::Arc;

use super::cluster::{argocd, kubeconfig, DemoCluster, Options};
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
        // A fresh bearer token per start: the kubeconfig is rewritten each time.
        let token = crate::auth::new_secret()?;
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
        entries.push((context, demo.addr(), token));
        path = Some(kubeconfig.clone());
        clusters.push(demo);
    }
    if let Some(path) = path {
        std::fs::write(&path, kubeconfig(&entries))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(DemoClusters {
        _clusters: clusters,
    })
}
