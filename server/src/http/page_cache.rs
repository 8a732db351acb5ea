//! A one-second cache of rendered pages for GET requests. Everyone opens
//! the same overview; rendering it once a second instead of once a request
//! keeps latency flat under load. A refresh (and so every commit Berth
//! makes) drops the cache, so new git data is never hidden. A signed-in
//! page shows what that person may do, so entries are kept per session
//! cookie and one person's page is never served to another; requests with
//! an API token are never cached.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::{to_bytes, Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::Response,
};

use crate::readmodel::ReadModel;

const TTL: Duration = Duration::from_secs(1);
const MAX_ENTRIES: usize = 512;
const MAX_BODY: usize = 4 * 1024 * 1024;
/// All cached bodies together: an overview of 60 services is ~180 KB, so a
/// count limit alone would let many distinct URLs (or sessions) hold tens
/// of MiB for a second.
const MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct PageCache {
    read_model: Arc<ReadModel>,
    entries: Arc<Mutex<HashMap<String, Entry>>>,
    /// One render per page at a time: when an entry expires under load,
    /// the other requests wait for that render instead of all rendering.
    renders: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

struct Entry {
    generation: u64,
    stored: Instant,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl PageCache {
    pub fn new(read_model: Arc<ReadModel>) -> PageCache {
        PageCache {
            read_model,
            entries: Arc::default(),
            renders: Arc::default(),
        }
    }
}

/// Pages only: not the API, assets, health checks or server functions.
fn cacheable(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/")
        // The audit log and tokens change without a git refresh.
        && !matches!(path, "/healthz" | "/readyz" | "/audit" | "/tokens")
        && !request.headers().contains_key(header::AUTHORIZATION)
}

pub async fn cache_pages(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    if !cacheable(&request) {
        return next.run(request).await;
    }
    let encoding = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let session = request
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::session::from_cookie_header)
        .unwrap_or("");
    let key = format!("{}\n{encoding}\n{session}", request.uri());
    let generation = cache.read_model.generation();
    if let Some(hit) = lookup(&cache, &key, generation) {
        return hit;
    }
    let render = {
        let mut renders = cache.renders.lock().expect("page cache lock");
        if renders.len() >= MAX_ENTRIES {
            renders.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        Arc::clone(renders.entry(key.clone()).or_default())
    };
    let _rendering = render.lock().await;
    if let Some(hit) = lookup(&cache, &key, generation) {
        return hit;
    }
    let response = next.run(request).await;
    if !matches!(response.status(), StatusCode::OK | StatusCode::NOT_FOUND)
        || response.headers().contains_key(header::SET_COOKIE)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from("the page could not be rendered"))
            .expect("static response");
    };
    let mut entries = cache.entries.lock().expect("page cache lock");
    let held: usize = entries.values().map(|e| e.body.len()).sum();
    if entries.len() >= MAX_ENTRIES || held + body.len() > MAX_BYTES {
        // Expired entries go first; if that is not enough, everything does.
        entries.retain(|_, e| e.generation == generation && e.stored.elapsed() <= TTL);
        let held: usize = entries.values().map(|e| e.body.len()).sum();
        if entries.len() >= MAX_ENTRIES || held + body.len() > MAX_BYTES {
            entries.clear();
        }
    }
    entries.insert(
        key,
        Entry {
            generation,
            stored: Instant::now(),
            status: parts.status,
            headers: parts.headers.clone(),
            body: body.clone(),
        },
    );
    Response::from_parts(parts, Body::from(body))
}

fn lookup(cache: &PageCache, key: &str, generation: u64) -> Option<Response> {
    let entries = cache.entries.lock().expect("page cache lock");
    let entry = entries.get(key)?;
    if entry.generation != generation || entry.stored.elapsed() > TTL {
        return None;
    }
    let mut response = Response::new(Body::from(entry.body.clone()));
    *response.status_mut() = entry.status;
    *response.headers_mut() = entry.headers.clone();
    Some(response)
}
