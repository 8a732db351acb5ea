//! One kube-runtime watcher per kind and namespace, feeding a reflector
//! store. Errors never end a watch: it waits (see `retry`) and tries
//! again, and the cluster's connection state says what happened.

mod retry;

use std::{fmt::Debug, sync::Arc};

use futures::StreamExt;
use kube::{
    runtime::{
        reflector::{self, Store},
        watcher, WatchStreamExt,
    },
    Api, Resource,
};
use serde::de::DeserializeOwned;
use tokio::{sync::Notify, time::Instant};

use super::connection::Connection;
use retry::{Retry, TRIAL};

/// What a watched object drops before it is stored, beyond managed fields.
pub trait Slim {
    fn slim(&mut self) {}
}

/// The watch needs an Application's status, and where it deploys (its
/// workloads are only believed there); the rest of its spec (Helm values
/// can be kilobytes) is read fresh by the image patch when it is needed.
impl Slim for super::Application {
    fn slim(&mut self) {
        let destination = &self.spec["destination"];
        let kept: serde_json::Map<String, serde_json::Value> = ["namespace", "name", "server"]
            .into_iter()
            .filter_map(|key| {
                let text = destination[key].as_str()?;
                Some((key.to_string(), text.into()))
            })
            .collect();
        self.spec = serde_json::json!({ "destination": kept });
        // What each past sync deployed is read once, fresh, by the
        // release backfill; a prod history can be hundreds of entries.
        if let Some(status) = self.status.as_mut() {
            for entry in &mut status.history {
                entry.source = None;
                entry.sources = None;
            }
        }
    }
}

/// Already only what Berth reads (see `kinds.rs`).
impl Slim for super::Pod {
    /// Pods are tied to Applications by labels and owners; annotations
    /// (up to 256 KB each, written by anyone who may create Pods) are
    /// never read.
    fn slim(&mut self) {
        self.metadata.annotations = None;
    }
}
impl Slim for super::Deployment {}
/// Rules, hosts and the load balancer status: small, and all read.
impl Slim for k8s_openapi::api::networking::v1::Ingress {}

/// Annotations kubectl and Argo CD leave that Berth never reads; large.
const DROPPED_ANNOTATIONS: [&str; 1] = ["kubectl.kubernetes.io/last-applied-configuration"];

/// Starts watching `api` into a new store; `slot` is this watch's place in
/// the cluster's connection state. `changed` is told whenever the store or
/// the connection state changed.
pub fn spawn<K>(
    api: Api<K>,
    connection: Arc<Connection>,
    slot: usize,
    changed: Arc<Notify>,
) -> Store<K>
where
    K: Resource<DynamicType = ()> + Slim + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (store, writer) = reflector::store::<K>();
    let mut retry = Retry::new(api.clone());
    // No backoff on the stream: the loop below waits itself, so that a
    // probe can cut the wait short.
    let stream = watcher(api, watcher::Config::default())
        // Memory stays flat: what Berth never reads is not kept.
        .modify(|object| {
            object.slim();
            let meta = object.meta_mut();
            meta.managed_fields = None;
            if let Some(annotations) = meta.annotations.as_mut() {
                for key in DROPPED_ANNOTATIONS {
                    annotations.remove(key);
                }
            }
        })
        .reflect(writer);
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        // Until when a watch retried after a probe answered is on trial:
        // if it has not failed by then, it works.
        let mut trial: Option<Instant> = None;
        loop {
            let deadline = trial.unwrap_or_else(Instant::now);
            let item = tokio::select! {
                item = stream.next() => item,
                () = tokio::time::sleep_until(deadline), if trial.is_some() => {
                    trial = None;
                    retry.worked();
                    if connection.working(slot, false) {
                        changed.notify_one();
                    }
                    continue;
                }
            };
            let Some(item) = item else { break };
            match item {
                // A relist begins; it is sent before any request, so it
                // says nothing about the cluster. Its end will.
                Ok(watcher::Event::Init) => trial = None,
                Ok(event) => {
                    trial = None;
                    retry.worked();
                    let listed = matches!(event, watcher::Event::InitDone);
                    let healed = connection.working(slot, listed);
                    // A relist is applied to the store all at once at its end.
                    let visible = !matches!(event, watcher::Event::InitApply(_));
                    if visible || healed {
                        changed.notify_one();
                    }
                }
                Err(error) => {
                    // An expired version only means "list again".
                    let gone = matches!(&error, watcher::Error::WatchError(s) if s.code == 410);
                    if trial.take().is_some() && !gone {
                        retry.refused();
                    }
                    if connection.failing(slot, error.to_string()) {
                        tracing::warn!(%error, slot, "a cluster watch failed; retrying with backoff");
                        changed.notify_one();
                    } else {
                        tracing::debug!(%error, slot, "watch failed again; retrying");
                    }
                    if retry.wait().await {
                        trial = Some(Instant::now() + TRIAL);
                    }
                }
            }
        }
    });
    store
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_watched_application_keeps_where_it_deploys_and_not_its_values() {
        let mut app: crate::cluster::Application = serde_json::from_value(json!({
            "metadata": { "name": "app-a-dev", "namespace": "argocd" },
            "spec": {
                "project": "default",
                "destination": { "server": "https://kubernetes.default.svc", "namespace": "dev",
                    "extra": { "values": "x".repeat(10_000) } },
                "source": { "helm": { "values": "x".repeat(10_000) } },
            },
            "status": { "sync": { "status": "Synced" } },
        }))
        .unwrap();
        app.slim();
        assert_eq!(
            app.spec,
            json!({ "destination": { "server": "https://kubernetes.default.svc", "namespace": "dev" } })
        );
        assert_eq!(app.destination_namespace(), Some("dev"));
        assert!(app.status.is_some());
    }
}
