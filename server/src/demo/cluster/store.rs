//! The demo cluster's objects, as etcd keeps them for a real API server:
//! one resource version counter for everything, every change numbered,
//! and a bounded log of recent changes that watches resume from. A watch
//! from a version older than the log answers `410 Gone`, as a compacted
//! etcd does, so clients must relist.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::Mutex,
};

use serde_json::{json, Value};
use tokio::sync::broadcast;

/// A kind of object the demo cluster serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kind {
    /// Empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
}

impl Kind {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

pub const APPLICATION: Kind = Kind {
    group: "argoproj.io",
    version: "v1alpha1",
    kind: "Application",
    plural: "applications",
};
pub const DEPLOYMENT: Kind = Kind {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    plural: "deployments",
};
pub const POD: Kind = Kind {
    group: "",
    version: "v1",
    kind: "Pod",
    plural: "pods",
};
pub const INGRESS: Kind = Kind {
    group: "networking.k8s.io",
    version: "v1",
    kind: "Ingress",
    plural: "ingresses",
};
pub const KINDS: [Kind; 4] = [APPLICATION, DEPLOYMENT, POD, INGRESS];

/// What happened to an object, in watch terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Modified,
    Deleted,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "ADDED",
            Change::Modified => "MODIFIED",
            Change::Deleted => "DELETED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Event {
    pub version: u64,
    pub kind: Kind,
    pub namespace: String,
    pub change: Change,
    pub object: Value,
}

/// Why a write was refused, with the HTTP status a real API server uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn not_found(kind: Kind, name: &str) -> Refusal {
        Refusal {
            code: 404,
            reason: "NotFound",
            message: format!("{}.{} \"{name}\" not found", kind.plural, kind.group),
        }
    }
}

type Key = (Kind, String, String);

struct State {
    version: u64,
    objects: BTreeMap<Key, Value>,
    log: VecDeque<Event>,
    /// The oldest version a watch may resume from.
    oldest: u64,
}

pub struct ObjectStore {
    state: Mutex<State>,
    log_limit: usize,
    events: broadcast::Sender<Event>,
}

impl ObjectStore {
    /// `log_limit` changes are kept for watches to resume from.
    pub fn new(log_limit: usize) -> ObjectStore {
        let (events, _) = broadcast::channel(4096);
        ObjectStore {
            state: Mutex::new(State {
                version: 1,
                objects: BTreeMap::new(),
                log: VecDeque::new(),
                oldest: 1,
            }),
            log_limit: log_limit.max(1),
            events,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub fn version(&self) -> u64 {
        self.lock().version
    }

    /// Creates or replaces an object (`metadata.namespace` and `.name`
    /// required); sets its resource version, uid and creation time.
    pub fn put(&self, kind: Kind, mut object: Value) -> Value {
        let (namespace, name) = names(&object);
        let mut state = self.lock();
        let key = (kind, namespace.clone(), name.clone());
        let previous = state.objects.get(&key);
        let change = if previous.is_some() {
            Change::Modified
        } else {
            Change::Added
        };
        let (uid, created) = match previous {
            Some(old) => (
                old["metadata"]["uid"].clone(),
                old["metadata"]["creationTimestamp"].clone(),
            ),
            None => (
                json!(format!("demo-{}-{}", kind.plural, state.version + 1)),
                json!(crate::demo::cluster::now_rfc3339()),
            ),
        };
        object["apiVersion"] = json!(kind.api_version());
        object["kind"] = json!(kind.kind);
        let meta = &mut object["metadata"];
        meta["uid"] = uid;
        meta["creationTimestamp"] = created;
        self.record(&mut state, key, change, object)
    }

    pub fn delete(&self, kind: Kind, namespace: &str, name: &str) -> Option<Value> {
        let mut state = self.lock();
        let key = (kind, namespace.to_string(), name.to_string());
        let object = state.objects.remove(&key)?;
        state.version += 1;
        let mut gone = object;
        gone["metadata"]["resourceVersion"] = json!(state.version.to_string());
        self.log(&mut state, kind, namespace, Change::Deleted, gone.clone());
        Some(gone)
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Value> {
        let key = (kind, namespace.to_string(), name.to_string());
        self.lock().objects.get(&key).cloned()
    }

    /// Every object of a kind (in one namespace, or all), with the version
    /// the list is consistent at.
    pub fn list(&self, kind: Kind, namespace: Option<&str>) -> (Vec<Value>, u64) {
        let state = self.lock();
        let items = state
            .objects
            .iter()
            .filter(|((k, ns, _), _)| *k == kind && namespace.is_none_or(|n| n == ns))
            .map(|(_, object)| object.clone())
            .collect();
        (items, state.version)
    }

    /// Changes one object under the store's lock: `edit` gets the current
    /// object and returns the new one, or a refusal that changes nothing.
    pub fn update(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        edit: impl FnOnce(Value) -> Result<Value, Refusal>,
    ) -> Result<Value, Refusal> {
        let mut state = self.lock();
        let key = (kind, namespace.to_string(), name.to_string());
        let current = state
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| Refusal::not_found(kind, name))?;
        let mut updated = edit(current.clone())?;
        // Identity is not the patch's to change.
        for field in ["name", "namespace", "uid", "creationTimestamp"] {
            updated["metadata"][field] = current["metadata"][field].clone();
        }
        updated["apiVersion"] = json!(kind.api_version());
        updated["kind"] = json!(kind.kind);
        Ok(self.record(&mut state, key, Change::Modified, updated))
    }

    /// The logged changes after `version`, or `None` when the log no
    /// longer reaches back that far (the caller answers 410).
    pub fn since(&self, version: u64) -> Option<Vec<Event>> {
        let state = self.lock();
        if version + 1 < state.oldest {
            return None;
        }
        Some(
            state
                .log
                .iter()
                .filter(|e| e.version > version)
                .cloned()
                .collect(),
        )
    }

    /// Forgets the change log, as etcd compaction does: every watch that
    /// resumes from before now gets 410.
    pub fn compact(&self) {
        let mut state = self.lock();
        state.log.clear();
        state.oldest = state.version + 1;
    }

    fn record(&self, state: &mut State, key: Key, change: Change, mut object: Value) -> Value {
        state.version += 1;
        object["metadata"]["resourceVersion"] = json!(state.version.to_string());
        let (kind, namespace) = (key.0, key.1.clone());
        state.objects.insert(key, object.clone());
        self.log(state, kind, &namespace, change, object.clone());
        object
    }

    fn log(&self, state: &mut State, kind: Kind, namespace: &str, change: Change, object: Value) {
        let event = Event {
            version: state.version,
            kind,
            namespace: namespace.to_string(),
            change,
            object,
        };
        state.log.push_back(event.clone());
        while state.log.len() > self.log_limit {
            if let Some(dropped) = state.log.pop_front() {
                state.oldest = dropped.version + 1;
            }
        }
        // Nobody watching is fine.
        let _ = self.events.send(event);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn names(object: &Value) -> (String, String) {
    let text = |field: &str| {
        object["metadata"][field]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    (text("namespace"), text("name"))
}
