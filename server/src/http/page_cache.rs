//! A one-second cache of rendered pages for GET requests. Everyone opens
//! the same overview; rendering it once a second instead of once a request
//! keeps latency flat under load. A refresh (and so every commit Berth
//! makes) drops the cache, so new git data is never hidden. A signed-in
//! page shows what that person may do, so entries are kept per identified
//! person (user and role, as the `Gatekeeper` resolves them from a session
//! or a trusted proxy's headers) and one person's page is never served to
//! another; requests with an API token, or whose identity cannot be
//! resolved, are never cached.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::Response,
};

use crate::{auth::Gatekeeper, readmodel::ReadModel};

const TTL: Duration = Duration::from_secs(1);
/// How long a page found too big to cache is passed straight through,
/// so only one render per minute pays for finding that out again.
const TOO_BIG_TTL: Duration = Duration::from_secs(60);

/// How much the cache may hold.
#[derive(Debug, Clone, Copy)]
pub struct CacheLimits {
    pub max_entries: usize,
    /// A bigger page is served uncached.
    pub max_body: usize,
    /// All cached bodies together: an overview of 60 services is ~180 KB,
    /// so a count limit alone would let many distinct URLs (or people)
    /// hold tens of MiB for a second.
    pub max_bytes: usize,
}

impl Default for CacheLimits {
    fn default() -> Self {
        CacheLimits {
            max_entries: 512,
            max_body: 4 * 1024 * 1024,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

#[derive(Clone)]
pub struct PageCache {
    read_model: Arc<ReadModel>,
    gatekeeper: Arc<Gatekeeper>,
    limits: CacheLimits,
    entries: Arc<Mutex<HashMap<String, Slot>>>,
    /// One render per page at a time: when an entry expires under load,
    /// the other requests wait for that render instead of all rendering.
    renders: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

struct Slot {
    generation: u64,
    stored: Instant,
    /// `None`: the page was too big to cache.
    page: Option<Page>,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

enum Lookup {
    Hit(Response),
    /// Known to be too big: render and stream it without buffering.
    Bypass,
    Miss,
}

impl PageCache {
    pub fn new(
        read_model: Arc<ReadModel>,
        gatekeeper: Arc<Gatekeeper>,
        limits: CacheLimits,
    ) -> PageCache {
        PageCache {
            read_model,
            gatekeeper,
            limits,
            entries: Arc::default(),
            renders: Arc::default(),
        }
    }

    fn lookup(&self, key: &str, generation: u64) -> Lookup {
        let entries = self.entries.lock().expect("page cache lock");
        let Some(slot) = entries.get(key) else {
            return Lookup::Miss;
        };
        let ttl = if slot.page.is_some() {
            TTL
        } else {
            TOO_BIG_TTL
        };
        if slot.generation != generation || slot.stored.elapsed() > ttl {
            return Lookup::Miss;
        }
        let Some(page) = &slot.page else {
            return Lookup::Bypass;
        };
        let mut response = Response::new(Body::from(page.body.clone()));
        *response.status_mut() = page.status;
        *response.headers_mut() = page.headers.clone();
        Lookup::Hit(response)
    }

    fn store(&self, key: String, generation: u64, page: Option<Page>) {
        let size = page.as_ref().map_or(0, |p| p.body.len());
        let limits = &self.limits;
        let mut entries = self.entries.lock().expect("page cache lock");
        let held = |entries: &HashMap<String, Slot>| -> usize {
            entries
                .values()
                .filter_map(|s| s.page.as_ref())
                .map(|p| p.body.len())
                .sum()
        };
        if entries.len() >= limits.max_entries || held(&entries) + size > limits.max_bytes {
            // Expired entries go first; if that is not enough, everything does.
            entries.retain(|_, s| {
                let ttl = if s.page.is_some() { TTL } else { TOO_BIG_TTL };
                s.generation == generation && s.stored.elapsed() <= ttl
            });
            if entries.len() >= limits.max_entries || held(&entries) + size > limits.max_bytes {
                entries.clear();
            }
        }
        let stored = Instant::now();
        entries.insert(
            key,
            Slot {
                generation,
                stored,
                page,
            },
        );
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
    let (mut parts, body) = request.into_parts();
    // The key is who the page is for, as the pages themselves will see it:
    // in trusted-proxy mode that comes from headers, not a cookie, and an
    // untrusted client's headers make it nobody.
    let person = match cache.gatekeeper.identify(&parts).await {
        Ok(who) => {
            let person = who
                .as_ref()
                .map(|who| format!("{}\n{}", who.user, who.role.as_str()))
                .unwrap_or_default();
            parts.extensions.insert(crate::auth::Identified(who));
            person
        }
        Err(_) => {
            let response = next.run(Request::from_parts(parts, body)).await;
            return with_cache_control(response, true);
        }
    };
    let personal = !person.is_empty();
    let request = Request::from_parts(parts, body);
    let response = cached_page(&cache, request, next, person).await;
    with_cache_control(response, personal)
}

/// Pages are always revalidated (the data changes every refresh), and a
/// page drawn for a person is never kept by a shared cache in front.
fn with_cache_control(mut response: Response, personal: bool) -> Response {
    let value = if personal {
        "private, no-cache"
    } else {
        "no-cache"
    };
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static(value),
    );
    response
}

async fn cached_page(cache: &PageCache, request: Request, next: Next, person: String) -> Response {
    let encoding = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let key = format!("{}\n{encoding}\n{person}", request.uri());
    let generation = cache.read_model.generation();
    match cache.lookup(&key, generation) {
        Lookup::Hit(hit) => return hit,
        Lookup::Bypass => return next.run(request).await,
        Lookup::Miss => {}
    }
    let render = {
        let mut renders = cache.renders.lock().expect("page cache lock");
        if renders.len() >= cache.limits.max_entries {
            renders.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        Arc::clone(renders.entry(key.clone()).or_default())
    };
    let _rendering = render.lock().await;
    match cache.lookup(&key, generation) {
        Lookup::Hit(hit) => return hit,
        Lookup::Bypass => return next.run(request).await,
        Lookup::Miss => {}
    }
    let response = next.run(request).await;
    if !matches!(response.status(), StatusCode::OK | StatusCode::NOT_FOUND)
        || response.headers().contains_key(header::SET_COOKIE)
    {
        return response;
    }
    // A page that says it is too big streams through untouched.
    let declared = response.body().size_hint().exact();
    if declared.is_some_and(|n| n > cache.limits.max_body as u64) {
        cache.store(key, generation, None);
        return response;
    }
    let (parts, body) = response.into_parts();
    // Read into one buffer that becomes the cached bytes and the body sent,
    // so a page is held once. A page found too big on the way is still
    // served whole, uncached, and later requests skip the buffering.
    let body = match read_all(body).await {
        Ok(body) => body,
        Err(error) => {
            tracing::warn!(%error, "rendering a page failed");
            return Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::from("the page could not be rendered"))
                .expect("static response");
        }
    };
    let page = (body.len() <= cache.limits.max_body).then(|| Page {
        status: parts.status,
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    cache.store(key, generation, page);
    Response::from_parts(parts, Body::from(body))
}

async fn read_all(mut body: Body) -> Result<Bytes, axum::Error> {
    let mut buffer = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        // Rendered pages have no trailers.
        if let Ok(data) = frame?.into_data() {
            buffer.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buffer))
}
