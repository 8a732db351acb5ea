//! What others do to the Applications: an `image.tag` someone patches
//! (Berth does, for a new build) is synced like a commit; an Application
//! someone deletes is generated again, as an ApplicationSet would.

use std::collections::BTreeSet;

use tokio::time::Instant;

use super::{application, desired::Image, objects, rollout::App, Controller, STEP};
use crate::{
    clock::unix_now,
    demo::cluster::store::{Change, Event, APPLICATION},
};

impl Controller {
    /// Changes to Applications that this controller did not make.
    pub(super) fn on_event(&mut self, event: Event) {
        if event.kind != APPLICATION || event.namespace != self.cluster.argocd_namespace {
            return;
        }
        let Some(name) = event.object["metadata"]["name"].as_str() else {
            return;
        };
        let Some(tracked) = self.apps.get_mut(name) else {
            return;
        };
        let name = name.to_string();
        let now = unix_now();
        match event.change {
            Change::Deleted if event.version > tracked.written.last_version => {
                // The ApplicationSet generates it again, from scratch.
                tracing::info!(application = %name, "deleted by someone; generating it again");
                let Some(old) = self.apps.remove(&name) else {
                    return;
                };
                objects::remove(&self.objects, &self.cluster, &old.app, &old.written);
                let app = App::created(old.app.desired, old.app.image, old.app.revision, now);
                self.track(app, Some(Instant::now() + STEP));
            }
            Change::Added | Change::Modified if event.version > tracked.written.spec_version => {
                let Some(tag) = application::image_tag(&event.object) else {
                    return;
                };
                if tag == tracked.app.image.tag {
                    return;
                }
                tracing::info!(application = %name, %tag, "image tag patched; syncing it");
                // Berth patches only tags it has seen built.
                let image = Image {
                    repository: tracked.app.image.repository.clone(),
                    tag: tag.to_string(),
                    exists: true,
                };
                let (desired, revision) =
                    (tracked.app.desired.clone(), tracked.app.revision.clone());
                tracked.app.retarget(desired, image, revision, now);
                self.write(&name);
                self.schedule(&name, Instant::now() + STEP);
            }
            _ => {}
        }
    }

    /// After missed events: each tracked Application as the store has it
    /// now, handled as if its last change had just arrived.
    pub(super) fn resync(&mut self) {
        let namespace = self.cluster.argocd_namespace.clone();
        let (items, version) = self.objects.list(APPLICATION, Some(&namespace));
        let mut present = BTreeSet::new();
        for object in items {
            let name = object["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            present.insert(name);
            let event = Event {
                version: objects::resource_version(&object),
                kind: APPLICATION,
                namespace: namespace.clone(),
                change: Change::Modified,
                object,
            };
            self.on_event(event);
        }
        let missing: Vec<String> = self
            .apps
            .keys()
            .filter(|name| !present.contains(*name))
            .cloned()
            .collect();
        for name in missing {
            let object = serde_json::json!({ "metadata": { "name": name } });
            let change = Change::Deleted;
            let namespace = namespace.clone();
            self.on_event(Event {
                version,
                kind: APPLICATION,
                namespace,
                change,
                object,
            });
        }
    }
}
