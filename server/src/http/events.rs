//! `GET /api/v1/events`: Server-Sent Events for open pages. Each event is
//! a JSON `LiveUpdate` with only what changed; a page that fell behind is
//! told to load its data again rather than shown a gap.

use std::{convert::Infallible, sync::Arc, time::Duration};

use app::model::LiveUpdate;
use axum::{
    extract::State,
    http::StatusCode,
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use futures::{stream, StreamExt};
use tokio::sync::{broadcast::error::RecvError, Semaphore};

use crate::state::AppState;

/// Open event streams at most: each holds a connection, so they may take
/// a quarter of `max_connections` and no more than 256; pages and writes
/// must always get through.
pub fn max_streams(max_connections: usize) -> usize {
    (max_connections / 4).clamp(1, 256)
}

/// A comment now and then keeps proxies from closing a quiet stream, and
/// lets the server notice a page that went away.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub async fn events(State(state): State<AppState>, streams: Arc<Semaphore>) -> Response {
    let Ok(permit) = streams.try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many pages are following live changes; reload to see the newest state",
        )
            .into_response();
    };
    let updates = state.read_model.subscribe();
    // First, where the live state stands: a page rendered before a change
    // it has not seen loads its data again.
    let hello = LiveUpdate {
        version: state.read_model.live_version(),
        ..LiveUpdate::default()
    };
    let hello = stream::once(async move {
        let data = serde_json::to_string(&hello).unwrap_or_default();
        Ok::<Event, Infallible>(Event::default().data(data))
    });
    let stream = stream::unfold((updates, permit), |(mut updates, permit)| async move {
        let update = match updates.recv().await {
            Ok(update) => update,
            // Missed some: the page reloads its data instead.
            Err(RecvError::Lagged(_)) => Arc::new(LiveUpdate {
                resync: true,
                ..LiveUpdate::default()
            }),
            Err(RecvError::Closed) => return None,
        };
        let data = serde_json::to_string(update.as_ref()).unwrap_or_default();
        let event: Result<Event, Infallible> = Ok(Event::default().data(data));
        Some((event, (updates, permit)))
    });
    let mut response = Sse::new(hello.chain(stream))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // Nginx and similar proxies buffer responses unless told otherwise.
    response.headers_mut().insert(
        "x-accel-buffering",
        "no".parse().expect("a valid header value"),
    );
    response
}
