//! Live updates on an open page. The server pushes what changed
//! (Server-Sent Events on `/api/v1/events`); each grid cell and sandbox
//! reads its own entry, so only what changed is drawn again. Without
//! JavaScript nothing here runs and a reload shows the same state.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::model::{ClusterStatus, LiveStatus, LiveUpdate, SandboxLive};

/// Where the server sends updates.
pub const EVENTS_PATH: &str = "/api/v1/events";

#[derive(Clone, Copy)]
pub struct LiveFeed {
    cells: RwSignal<HashMap<(String, String), Option<LiveStatus>>>,
    sandboxes: RwSignal<HashMap<String, Option<SandboxLive>>>,
    clusters: RwSignal<Option<Vec<ClusterStatus>>>,
    /// Whether updates are arriving.
    pub connected: RwSignal<bool>,
    /// Bumped when git moved (or updates were missed): page data is
    /// loaded again.
    pub version: RwSignal<u64>,
    /// Bumped when builds or releases changed (and with `version`).
    pub releases: RwSignal<u64>,
    /// The live version the shown page was rendered from.
    page_version: RwSignal<Option<u64>>,
    /// The version of the newest update applied since.
    seen_version: RwSignal<Option<u64>>,
}

impl LiveFeed {
    fn new() -> LiveFeed {
        LiveFeed {
            cells: RwSignal::new(HashMap::new()),
            sandboxes: RwSignal::new(HashMap::new()),
            clusters: RwSignal::new(None),
            connected: RwSignal::new(false),
            version: RwSignal::new(0),
            releases: RwSignal::new(0),
            page_version: RwSignal::new(None),
            seen_version: RwSignal::new(None),
        }
    }

    /// Pages say which live version they were rendered from.
    pub fn rendered_at(&self, version: u64) {
        self.page_version.set(Some(version));
        self.seen_version.set(None);
    }

    /// A cell's live state: the newest pushed, else the page's own.
    pub fn cell(
        &self,
        environment: &str,
        service: &str,
        page: Option<LiveStatus>,
    ) -> Memo<Option<LiveStatus>> {
        let key = (environment.to_string(), service.to_string());
        let cells = self.cells;
        Memo::new(move |_| {
            cells
                .with(|c| c.get(&key).cloned())
                .unwrap_or_else(|| page.clone())
        })
    }

    pub fn sandbox(&self, name: &str, page: Option<SandboxLive>) -> Memo<Option<SandboxLive>> {
        let name = name.to_string();
        let sandboxes = self.sandboxes;
        Memo::new(move |_| {
            sandboxes
                .with(|s| s.get(&name).cloned())
                .unwrap_or_else(|| page.clone())
        })
    }

    /// How many of an environment's cells are a live problem now; `page`
    /// is each service's live state as the page was rendered.
    pub fn problems_in(
        &self,
        environment: &str,
        page: Vec<(String, Option<LiveStatus>)>,
    ) -> Memo<usize> {
        let cells = self.cells;
        let environment = environment.to_string();
        Memo::new(move |_| {
            cells.with(|pushed| {
                page.iter()
                    .filter(|(service, live)| {
                        let key = (environment.clone(), service.clone());
                        match pushed.get(&key) {
                            Some(live) => live.as_ref().is_some_and(LiveStatus::is_problem),
                            None => live.as_ref().is_some_and(LiveStatus::is_problem),
                        }
                    })
                    .count()
            })
        })
    }

    pub fn clusters(&self, page: Vec<ClusterStatus>) -> Memo<Vec<ClusterStatus>> {
        let clusters = self.clusters;
        Memo::new(move |_| clusters.get().unwrap_or_else(|| page.clone()))
    }

    /// Applies one update from the server.
    pub fn apply(&self, update: LiveUpdate) {
        if update.is_empty() {
            // A stream's first event (also after a reconnect): resync only
            // if what the page shows is older.
            let shown = self
                .seen_version
                .get_untracked()
                .or(self.page_version.get_untracked());
            if shown != Some(update.version) {
                self.resync();
            }
            return;
        }
        self.seen_version.set(Some(update.version));
        if !update.clusters.is_empty() {
            self.clusters.set(Some(update.clusters));
        }
        if !update.cells.is_empty() {
            self.cells.update(|cells| {
                for cell in update.cells {
                    cells.insert((cell.environment, cell.service), cell.live);
                }
            });
        }
        if !update.sandboxes.is_empty() {
            self.sandboxes.update(|sandboxes| {
                for sandbox in update.sandboxes {
                    sandboxes.insert(sandbox.name, sandbox.live);
                }
            });
        }
        if update.resync {
            self.resync();
        } else if update.git {
            self.version.update(|v| *v += 1);
        }
        if update.releases {
            self.releases.update(|v| *v += 1);
        }
    }

    /// Updates were missed (the stream broke): forget what was pushed and
    /// load the page's data again.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn resync(&self) {
        self.cells.update(HashMap::clear);
        self.sandboxes.update(HashMap::clear);
        self.clusters.set(None);
        self.version.update(|v| *v += 1);
        self.releases.update(|v| *v += 1);
    }
}

/// The page's feed; every page shares the one the app provides.
pub fn use_live_feed() -> LiveFeed {
    use_context::<LiveFeed>().unwrap_or_else(LiveFeed::new)
}

/// Provides the feed and, in the browser, connects it.
pub fn provide_live_feed() {
    let feed = LiveFeed::new();
    provide_context(feed);
    Effect::new(move |_| connect(feed));
}

#[cfg(feature = "hydrate")]
fn connect(feed: LiveFeed) {
    use wasm_bindgen::{closure::Closure, JsCast};
    let Ok(source) = web_sys::EventSource::new(EVENTS_PATH) else {
        return;
    };
    let on_open = Closure::<dyn Fn()>::new(move || {
        // After a break the browser reconnects by itself; the stream's
        // first event tells whether live changes were missed meanwhile.
        // Builds and releases carry no version: pages showing them load
        // their data again whenever a stream opens, as something may have
        // changed between their rendering and now.
        feed.releases.update(|v| *v += 1);
        feed.connected.set(true);
    });
    let on_error = Closure::<dyn Fn()>::new(move || feed.connected.set(false));
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            match serde_json::from_str::<LiveUpdate>(&text) {
                Ok(update) => feed.apply(update),
                Err(_) => feed.resync(),
            }
        });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The page lives as long as the tab: so do the handlers.
    on_open.forget();
    on_error.forget();
    on_message.forget();
    std::mem::forget(source);
}

#[cfg(not(feature = "hydrate"))]
fn connect(_feed: LiveFeed) {}
