//! Accepting connections: each one is served by hyper with a deadline for
//! its request headers, and only so many are served at once, so slow or
//! half-open clients cannot hold every socket (axum's own `serve` sets
//! neither). Shuts down gracefully on Ctrl-C or SIGTERM.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    Extension, Router,
};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

use super::host_check::Listening;

/// How patient Berth is with clients.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// A client must send a request's headers within this time.
    pub header_timeout: Duration,
    /// Connections served at once; more wait in the kernel's queue.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// Serves until Ctrl-C or SIGTERM, with the default limits.
pub async fn serve(listener: TcpListener, router: Router) -> std::io::Result<()> {
    serve_with(listener, router, ServeLimits::default()).await
}

pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
) -> std::io::Result<()> {
    // The host check compares against the port really bound, which the
    // config does not know when it says port 0.
    let router = router.layer(Extension(Listening(listener.local_addr()?)));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown());
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("never closed"),
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = router
            .clone()
            .map_request(move |request: Request<Incoming>| {
                // The peer address is kept: trusted-proxy mode and the
                // audit log use it.
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(remote));
                request
            });
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(service),
            );
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => log_end(remote, result),
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    log_end(remote, connection.await);
                }
            }
        });
    }
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    // Requests under way get a moment to finish; writes run detached and
    // are audited on their own.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(10), slots.acquire_many(all)).await;
    Ok(())
}

fn log_end<E: std::fmt::Display>(remote: SocketAddr, result: Result<(), E>) {
    if let Err(err) = result {
        tracing::debug!(%remote, %err, "connection ended with an error");
    }
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
}
