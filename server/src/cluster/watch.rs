//! One kube-runtime watcher per kind and namespace, feeding a reflector
//! store. Errors never end a watch: it backs off (0.8 s doubling to 30 s)
//! and relists, and the cluster's connection state says what happened.

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

use super::connection::Connection;

/// Annotations kubectl and Argo CD leave that Berth never reads; large.
const DROPPED_ANNOTATIONS: [&str; 1] = ["kubectl.kubernetes.io/last-applied-configuration"];

/// Starts watching `api` into a new store; `slot` is this watch's place in
/// the cluster's connection state.
pub fn spawn<K>(api: Api<K>, connection: Arc<Connection>, slot: usize) -> Store<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (store, writer) = reflector::store::<K>();
    let stream = watcher(api, watcher::Config::default())
        .default_backoff()
        // Memory stays flat: what Berth never reads is not kept.
        .modify(|object| {
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
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => {
                    let listed = matches!(event, watcher::Event::InitDone);
                    connection.working(slot, listed);
                }
                Err(error) => {
                    tracing::debug!(%error, slot, "watch failed; retrying");
                    connection.failing(slot, error.to_string());
                }
            }
        }
    });
    store
}
