//! The HTTP surface: the Leptos pages, the JSON API, health checks, and
//! the layers every request passes: host check, body limit, page cache,
//! same-origin check, and tracing by matched route.

mod api;
mod api_writes;
mod assets;
mod events;
mod host_check;
mod limits;
mod page_cache;
mod releases;
mod serve;
mod sharing;

pub use page_cache::CacheLimits;
pub use serve::{serve, serve_with, ServeLimits};

use std::sync::Arc;

use app::{
    ports::{DashboardHandle, OperationsHandle, ReleaseViewsHandle},
    shell, App,
};
use axum::{
    extract::{DefaultBodyLimit, MatchedPath},
    http::Request,
    routing::get,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{
    compression::{CompressionLayer, CompressionLevel},
    trace::TraceLayer,
};

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    router_with_cache(state, CacheLimits::default())
}

/// `router` with other page cache limits (tests use tiny ones).
pub fn router_with_cache(state: AppState, cache_limits: CacheLimits) -> Router {
    let max_body = state.config.max_body_bytes;
    let routes = generate_route_list(App);
    let dashboard: DashboardHandle = state.read_model.clone();
    let leptos_options = state.leptos_options.clone();
    let operations: OperationsHandle = state.actions.clone();
    let releases: ReleaseViewsHandle = state.releases.clone();
    let context = move || {
        provide_context::<DashboardHandle>(Arc::clone(&dashboard));
        provide_context::<OperationsHandle>(Arc::clone(&operations));
        provide_context::<ReleaseViewsHandle>(Arc::clone(&releases));
    };
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .nest("/api/v1", api::routes(state.config.max_connections))
        .nest("/hooks", releases::hook_routes())
        .leptos_routes_with_context(&state, routes, context, move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(assets::cache_assets))
        // Pages are compressed as they are made (brotli for browsers that
        // take it); quality 5 is within a millisecond for the overview and
        // well ahead of gzip. The compiled site comes precompressed.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(5)))
        .layer(axum::middleware::from_fn_with_state(
            state.actions.clone(),
            crate::auth::csrf::same_origin_only,
        ))
        // Outside compression, so a cached page is not compressed again.
        .layer(axum::middleware::from_fn_with_state(
            page_cache::PageCache::new(
                state.read_model.clone(),
                state.gatekeeper.clone(),
                cache_limits,
            ),
            page_cache::cache_pages,
        ))
        // axum's extractors have their own limit (2 MB); kept equal to ours.
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            max_body,
            limits::limit_bodies,
        ))
        // Outside the cache, so a cached page is never served to a
        // rebound name.
        .layer(axum::middleware::from_fn_with_state(
            host_check::HostPolicy::new(&state.config),
            host_check::check_host,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    // The matched route, not the raw path: `/env/{name}` groups well.
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_else(|| "fallback".into());
                    tracing::info_span!("request", method = %request.method(), route, path = %request.uri().path())
                })
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::DEBUG))
                .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::WARN)),
        )
        .with_state(state)
}
