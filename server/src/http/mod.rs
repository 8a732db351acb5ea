//! The HTTP surface: the Leptos pages, the JSON API, health checks, and
//! the tracing layer that names each request by its matched route.

mod api;
mod api_writes;
mod page_cache;

use std::{sync::Arc, time::Duration};

use app::{
    ports::{DashboardHandle, OperationsHandle},
    shell, App,
};
use axum::{extract::MatchedPath, http::Request, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let dashboard: DashboardHandle = state.read_model.clone();
    let leptos_options = state.leptos_options.clone();
    let operations: OperationsHandle = state.actions.clone();
    let context = move || {
        provide_context::<DashboardHandle>(Arc::clone(&dashboard));
        provide_context::<OperationsHandle>(Arc::clone(&operations));
    };
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .nest("/api/v1", api::routes())
        .leptos_routes_with_context(&state, routes, context, move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(crate::auth::csrf::same_origin_only))
        // Outside compression, so a cached page is not compressed again.
        .layer(axum::middleware::from_fn_with_state(
            page_cache::PageCache::new(state.read_model.clone()),
            page_cache::cache_pages,
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

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    // The peer address is kept: trusted-proxy mode and the audit log use it.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown())
        .await
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
    tokio::time::sleep(Duration::from_millis(10)).await;
}
