//! The Kubernetes HTTP protocol for the demo cluster's kinds: list (with
//! `limit`/`continue` pages and a resource version), watch (newline-
//! delimited events, bookmarks, `410 Gone` as an `ERROR` event for a
//! version the log no longer holds), get, and merge or JSON patch.
//! Requests carry the kubeconfig's bearer token.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    extract::{Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::{
    select::Filter,
    store::{Event, Kind, ObjectStore, Refusal, KINDS},
};

/// Selectors and paging of a list or watch.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    pub(super) watch: Option<String>,
    pub(super) resource_version: Option<String>,
    pub(super) label_selector: Option<String>,
    pub(super) field_selector: Option<String>,
    pub(super) limit: Option<usize>,
    #[serde(rename = "continue")]
    pub(super) continue_token: Option<String>,
    pub(super) timeout_seconds: Option<u64>,
    pub(super) allow_watch_bookmarks: Option<String>,
}

#[derive(Clone)]
pub struct Api {
    pub store: Arc<ObjectStore>,
    pub token: Arc<str>,
    pub bookmark_every: Duration,
    pages: Arc<Mutex<HashMap<String, Snapshot>>>,
    next_list: Arc<AtomicU64>,
}

const SNAPSHOT_LIFE: Duration = Duration::from_secs(60);
const MAX_SNAPSHOTS: usize = 64;

/// The list a continue token pages through, kept a minute.
#[derive(Clone)]
struct Snapshot {
    made: Instant,
    items: Arc<Vec<Value>>,
    version: u64,
}

impl Api {
    pub fn new(store: Arc<ObjectStore>, token: &str, bookmark_every: Duration) -> Api {
        Api {
            store,
            token: token.into(),
            bookmark_every,
            pages: Arc::default(),
            next_list: Arc::default(),
        }
    }
}

pub fn router(api: Api) -> Router {
    Router::new()
        .route("/api/{version}/{plural}", get(collection))
        .route("/apis/{group}/{version}/{plural}", get(collection))
        .route("/api/{version}/namespaces/{ns}/{plural}", get(collection))
        .route(
            "/apis/{group}/{version}/namespaces/{ns}/{plural}",
            get(collection),
        )
        .route(
            "/api/{version}/namespaces/{ns}/{plural}/{name}",
            get(get_object).patch(patch_object),
        )
        .route(
            "/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}",
            get(get_object).patch(patch_object),
        )
        .fallback(|| async {
            status(Refusal {
                code: 404,
                reason: "NotFound",
                message: "the server could not find the requested resource".into(),
            })
        })
        .layer(axum::middleware::from_fn_with_state(
            api.clone(),
            authenticate,
        ))
        .with_state(api)
}

async fn authenticate(
    State(api): State<Api>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let expected = format!("Bearer {}", api.token);
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if presented != Some(expected.as_str()) {
        return status(Refusal {
            code: 401,
            reason: "Unauthorized",
            message: "Unauthorized".into(),
        });
    }
    next.run(request).await
}

/// A `v1.Status`, as the API server answers every failure.
pub fn status(refusal: Refusal) -> Response {
    let code = StatusCode::from_u16(refusal.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(status_object(&refusal))).into_response()
}

fn status_object(refusal: &Refusal) -> Value {
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": refusal.message,
        "reason": refusal.reason, "code": refusal.code,
    })
}

pub(super) fn bad_request(message: impl Into<String>) -> Refusal {
    Refusal {
        code: 400,
        reason: "BadRequest",
        message: message.into(),
    }
}

/// The kind a path names, from its group, version and plural.
fn kind_of(segments: &HashMap<String, String>) -> Result<Kind, Refusal> {
    let group = segments.get("group").map(String::as_str).unwrap_or("");
    let version = segments.get("version").map(String::as_str).unwrap_or("");
    let plural = segments.get("plural").map(String::as_str).unwrap_or("");
    KINDS
        .into_iter()
        .find(|k| k.group == group && k.version == version && k.plural == plural)
        .ok_or(Refusal {
            code: 404,
            reason: "NotFound",
            message: format!(
                "the server could not find the requested resource ({group}/{version} {plural})"
            ),
        })
}

async fn collection(
    State(api): State<Api>,
    Path(segments): Path<HashMap<String, String>>,
    Query(params): Query<Params>,
) -> Response {
    let result = (|| {
        let kind = kind_of(&segments)?;
        let filter = Filter::parse(&params)?;
        let namespace = segments.get("ns").cloned();
        Ok((kind, filter, namespace))
    })();
    let (kind, filter, namespace) = match result {
        Ok(found) => found,
        Err(refusal) => return status(refusal),
    };
    if matches!(params.watch.as_deref(), Some("true" | "1")) {
        return watch(api, kind, namespace, filter, &params);
    }
    match list(&api, kind, namespace.as_deref(), &filter, &params) {
        Ok(body) => axum::Json(body).into_response(),
        Err(refusal) => status(refusal),
    }
}

fn list(
    api: &Api,
    kind: Kind,
    namespace: Option<&str>,
    filter: &Filter,
    params: &Params,
) -> Result<Value, Refusal> {
    // A continued list reads the snapshot its first page was cut from.
    let (items, version, offset, id) =
        match params.continue_token.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => {
                let pages = api.pages.lock().unwrap_or_else(|p| p.into_inner());
                let (id, offset) = token
                    .rsplit_once(':')
                    .ok_or_else(|| bad_request("invalid continue token"))?;
                let Snapshot { items, version, .. } = pages.get(id).cloned().ok_or(Refusal {
                code: 410,
                reason: "Expired",
                message:
                    "the provided continue parameter is too old to display a consistent list result"
                        .into(),
            })?;
                let offset = offset
                    .parse::<usize>()
                    .map_err(|_| bad_request("invalid continue token"))?;
                (items, version, offset, id.to_string())
            }
            None => {
                let (all, version) = api.store.list(kind, namespace);
                let items: Vec<Value> = all.into_iter().filter(|o| filter.matches(o)).collect();
                let id = format!(
                    "{version}.{}",
                    api.next_list.fetch_add(1, Ordering::Relaxed)
                );
                (Arc::new(items), version, 0, id)
            }
        };
    let limit = params.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
    let end = offset.saturating_add(limit).min(items.len());
    let page: Vec<Value> = items.get(offset..end).unwrap_or_default().to_vec();
    let mut metadata = json!({ "resourceVersion": version.to_string() });
    if end < items.len() {
        let mut pages = api.pages.lock().unwrap_or_else(|p| p.into_inner());
        // Snapshots live a minute, and only so many at once: clients that
        // never continue cannot make the server hold lists for ever.
        pages.retain(|_, snapshot| snapshot.made.elapsed() < SNAPSHOT_LIFE);
        if pages.len() >= MAX_SNAPSHOTS && !pages.contains_key(&id) {
            if let Some(oldest) = pages
                .iter()
                .min_by_key(|(_, s)| s.made)
                .map(|(k, _)| k.clone())
            {
                pages.remove(&oldest);
            }
        }
        pages.entry(id.clone()).or_insert(Snapshot {
            made: Instant::now(),
            items: Arc::clone(&items),
            version,
        });
        metadata["continue"] = json!(format!("{id}:{end}"));
        metadata["remainingItemCount"] = json!(items.len() - end);
    }
    Ok(json!({
        "kind": format!("{}List", kind.kind),
        "apiVersion": kind.api_version(),
        "metadata": metadata,
        "items": page,
    }))
}

/// A watch: what the log holds after the requested version, then every
/// new change, with bookmarks, until `timeoutSeconds`.
fn watch(
    api: Api,
    kind: Kind,
    namespace: Option<String>,
    filter: Filter,
    params: &Params,
) -> Response {
    let mut receiver = api.store.subscribe();
    let requested = params.resource_version.as_deref().unwrap_or("");
    let bookmarks = matches!(params.allow_watch_bookmarks.as_deref(), Some("true" | "1"));
    let deadline =
        Instant::now() + Duration::from_secs(params.timeout_seconds.unwrap_or(1800).clamp(1, 3600));
    // "" and "0" mean "from now": the current objects arrive as ADDED.
    let (backlog, mut last) = match requested {
        "" | "0" => {
            let (items, version) = api.store.list(kind, namespace.as_deref());
            let added = items
                .into_iter()
                .filter(|object| filter.matches(object))
                .map(|object| line("ADDED", &object))
                .collect::<Vec<_>>();
            (Ok(added), version)
        }
        text => match text
            .parse::<u64>()
            .ok()
            .and_then(|v| api.store.since(v).map(|events| (v, events)))
        {
            Some((from, events)) => {
                let lines = events
                    .iter()
                    .filter(|e| wanted(e, kind, namespace.as_deref(), &filter))
                    .map(|e| line(e.change.as_str(), &e.object))
                    .collect();
                let last = events.last().map(|e| e.version).unwrap_or(from);
                (Ok(lines), last)
            }
            None => (Err(()), 0),
        },
    };
    let backlog = match backlog {
        Ok(lines) => lines,
        Err(()) => {
            // What a compacted etcd makes a real API server send.
            let gone = status_object(&Refusal {
                code: 410,
                reason: "Expired",
                message: format!(
                    "too old resource version: {requested} ({})",
                    api.store.version()
                ),
            });
            return stream_response(futures::stream::iter([line("ERROR", &gone)]));
        }
    };
    let matches = move |e: &Event| wanted(e, kind, namespace.as_deref(), &filter);
    let bookmark_kind = (kind.kind, kind.api_version());
    let every = api.bookmark_every;
    let (sender, lines) = tokio::sync::mpsc::channel::<Bytes>(64);
    let producer = tokio::spawn(async move {
        for text in backlog {
            if sender.send(text).await.is_err() {
                return;
            }
        }
        let mut next_bookmark = Instant::now() + every;
        loop {
            let wait = next_bookmark
                .min(deadline)
                .saturating_duration_since(Instant::now());
            let text = tokio::select! {
                received = receiver.recv() => match received {
                    Ok(event) if event.version <= last => continue,
                    Ok(event) => {
                        last = event.version;
                        if !matches(&event) {
                            continue;
                        }
                        line(event.change.as_str(), &event.object)
                    }
                    // Too slow to keep up: the client must relist.
                    Err(RecvError::Lagged(_)) => {
                        let _ = sender.send(line("ERROR", &status_object(&Refusal {
                            code: 410,
                            reason: "Expired",
                            message: "the watch fell behind; list again".into(),
                        }))).await;
                        return;
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = tokio::time::sleep(wait) => {
                    if Instant::now() >= deadline {
                        return;
                    }
                    next_bookmark = Instant::now() + every;
                    if !bookmarks {
                        continue;
                    }
                    let (kind, api_version) = &bookmark_kind;
                    line("BOOKMARK", &json!({
                        "kind": kind,
                        "apiVersion": api_version,
                        "metadata": { "resourceVersion": last.max(1).to_string() },
                    }))
                }
            };
            if sender.send(text).await.is_err() {
                return;
            }
        }
    });
    let guard = AbortOnDrop(producer);
    let live = futures::stream::unfold((lines, guard), |(mut lines, guard)| async move {
        lines.recv().await.map(|bytes| (bytes, (lines, guard)))
    });
    stream_response(live)
}

fn wanted(event: &Event, kind: Kind, namespace: Option<&str>, filter: &Filter) -> bool {
    event.kind == kind
        && namespace.is_none_or(|n| n == event.namespace)
        && filter.matches(&event.object)
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut text = json!({ "type": kind, "object": object }).to_string();
    text.push('\n');
    Bytes::from(text)
}

fn stream_response(lines: impl futures::Stream<Item = Bytes> + Send + 'static) -> Response {
    use futures::StreamExt;
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(lines.map(Ok::<_, Infallible>)))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Stops a watch's producer when its response is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn get_object(
    State(api): State<Api>,
    Path(segments): Path<HashMap<String, String>>,
) -> Response {
    let kind = match kind_of(&segments) {
        Ok(kind) => kind,
        Err(refusal) => return status(refusal),
    };
    let (namespace, name) = (segments["ns"].as_str(), segments["name"].as_str());
    match api.store.get(kind, namespace, name) {
        Some(object) => axum::Json(object).into_response(),
        None => status(Refusal::not_found(kind, name)),
    }
}

async fn patch_object(
    State(api): State<Api>,
    Path(segments): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let kind = match kind_of(&segments) {
        Ok(kind) => kind,
        Err(refusal) => return status(refusal),
    };
    let (namespace, name) = (segments["ns"].as_str(), segments["name"].as_str());
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let result = super::patch::parse(content_type, &body).and_then(|patch| {
        api.store
            .update(kind, namespace, name, |object| patch.apply(object))
    });
    match result {
        Ok(object) => axum::Json(object).into_response(),
        Err(refusal) => status(refusal),
    }
}
