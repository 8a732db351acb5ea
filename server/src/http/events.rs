//! `GET /api/v1/events`: Server-Sent Events for open pages. Each event is
//! a JSON `LiveUpdate` with only what changed; a page that fell behind is
//! told to load its data again rather than shown a gap.

mod clients;

use std::{convert::Infallible, sync::Arc, time::Duration};

use app::model::LiveUpdate;
use axum::{
    extract::FromRequestParts,
    http::{request::Parts, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use futures::{stream, Stream, StreamExt};
use tokio::sync::{broadcast::error::RecvError, Semaphore};

use crate::state::AppState;
use clients::ClientStreams;

/// Open event streams at most: each holds a connection, so they may take
/// a quarter of `max_connections` and no more than 256; pages and writes
/// must always get through.
pub fn max_streams(max_connections: usize) -> usize {
    (max_connections / 4).clamp(1, 256)
}

/// A comment now and then keeps proxies from closing a quiet stream, and
/// lets the server notice a page that went away.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A stream ends at this age, so that none holds its slot for ever. The
/// browser's EventSource connects again by itself, and the page checks
/// from the first event whether it missed anything.
const MAX_AGE: Duration = Duration::from_secs(10 * 60);

/// What `events` needs of a request: Berth's state, and who asks. The
/// client is the one the audit log names: the peer, or behind a trusted
/// proxy the address it forwarded (else every user behind the proxy
/// would share one client's streams).
pub struct Follower {
    state: AppState,
    client: Option<String>,
}

impl FromRequestParts<AppState> for Follower {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Follower, Infallible> {
        let client = state
            .gatekeeper
            .client_address(&parts.headers, &parts.extensions);
        Ok(Follower {
            state: state.clone(),
            client,
        })
    }
}

/// Ends `stream` once it is `age` old.
fn ending_after<S: Stream>(stream: S, age: Duration) -> impl Stream<Item = S::Item> {
    stream.take_until(tokio::time::sleep(age))
}

pub async fn events(follower: Follower, streams: Arc<Semaphore>) -> Response {
    let Follower { state, client } = follower;
    // A few tabs each: idle streams from one address cannot take every
    // slot from everyone else.
    let Some(client_slot) = ClientStreams::take(&streams, client) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too many pages at this address are following live changes; close some to follow more",
        )
            .into_response();
    };
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
    let held = (client_slot, permit);
    let stream = stream::unfold((updates, held), |(mut updates, held)| async move {
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
        Some((event, (updates, held)))
    });
    let mut response = Sse::new(ending_after(hello.chain(stream), MAX_AGE))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // Nginx and similar proxies buffer responses unless told otherwise.
    response.headers_mut().insert(
        "x-accel-buffering",
        "no".parse().expect("a valid header value"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stream_ends_at_its_age_and_not_before() {
        let age = Duration::from_millis(200);
        let started = tokio::time::Instant::now();
        // Nothing to send, as on a quiet day: only the age ends it.
        let quiet = ending_after(stream::pending::<()>(), age);
        assert_eq!(quiet.collect::<Vec<_>>().await, []);
        assert!(started.elapsed() >= age, "{:?}", started.elapsed());
        // What comes before the age goes through.
        let busy = ending_after(stream::iter([1, 2]).chain(stream::pending()), age);
        assert_eq!(busy.collect::<Vec<_>>().await, [1, 2]);
    }
}
