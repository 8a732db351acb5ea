//! The demo cluster: a small Kubernetes API server on a loopback port that
//! serves Argo CD Applications, Deployments, Pods and Ingresses over the
//! real HTTP protocol. Berth reaches it with kube-rs through a kubeconfig,
//! exactly as it reaches a real cluster; the tests use it the same way.
//! It can be stopped and started again on the same port, to show what
//! Berth does while a cluster is away.

pub mod argocd;
pub mod http;
pub mod patch;
mod select;
pub mod store;

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use tokio::{net::TcpListener, task::JoinHandle};

pub use store::{Kind, ObjectStore, APPLICATION, DEPLOYMENT, INGRESS, POD};

/// How the demo cluster behaves; tests make it stricter.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many changes a watch may resume from before it must relist.
    pub log_limit: usize,
    /// How often open watches get a bookmark.
    pub bookmark_every: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            log_limit: 10_000,
            bookmark_every: Duration::from_secs(10),
        }
    }
}

pub struct DemoCluster {
    addr: SocketAddr,
    api: http::Api,
    server: Option<JoinHandle<()>>,
}

impl DemoCluster {
    /// Serves on `127.0.0.1` at `port` (0: any free port), accepting
    /// `token` as the bearer token.
    pub async fn start(port: u16, token: &str, options: Options) -> std::io::Result<DemoCluster> {
        let store = Arc::new(ObjectStore::new(options.log_limit));
        let api = http::Api::new(store, token, options.bookmark_every);
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let mut cluster = DemoCluster {
            addr,
            api,
            server: None,
        };
        cluster.serve(listener);
        Ok(cluster)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn objects(&self) -> &Arc<ObjectStore> {
        &self.api.store
    }

    /// Stops answering: open watches end and new connections are refused.
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    /// Answers again on the same port, with the same objects.
    pub async fn resume(&mut self) -> std::io::Result<()> {
        if self.server.is_none() {
            let listener = TcpListener::bind(self.addr).await?;
            self.serve(listener);
        }
        Ok(())
    }

    fn serve(&mut self, listener: TcpListener) {
        let router = http::router(self.api.clone());
        self.server = Some(tokio::spawn(async move {
            // Connections live in this set, so stopping the server also
            // cuts open watches, as a cluster going away would.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of file descriptors, say: try again shortly.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                };
                let service = hyper_util::service::TowerToHyperService::new(router.clone());
                connections.spawn(async move {
                    let builder = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    );
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = builder.serve_connection(io, service).await;
                });
                while connections.try_join_next().is_some() {}
            }
        }));
    }

    /// A kubeconfig that reaches this cluster as context `context`.
    pub fn kubeconfig(&self, context: &str, token: &str) -> String {
        kubeconfig(&[(context.to_string(), self.addr, token.to_string())])
    }

    pub fn write_kubeconfig(&self, path: &Path, context: &str, token: &str) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig(context, token))
    }
}

impl Drop for DemoCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A kubeconfig with one context per `(context, address, token)`, each
/// with its own cluster and user of the same name; the first is current.
pub fn kubeconfig(entries: &[(String, SocketAddr, String)]) -> String {
    use std::fmt::Write as _;
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
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n    namespace: argocd\n"
        );
    }
    text.push_str("users:\n");
    for (name, _, token) in entries {
        let _ = write!(text, "- name: {name}\n  user:\n    token: {token}\n");
    }
    text
}

/// Now as Kubernetes writes times: `2026-12-01T08:00:00Z`.
pub fn now_rfc3339() -> String {
    rfc3339(crate::clock::unix_now())
}

pub fn rfc3339(unix: i64) -> String {
    format!("{}Z", app::format::utc(unix).replace(' ', "T"))
}
