//! The request body limit for every route: bigger bodies get 413 before
//! any handler, JSON route or server function, acts on them.

use std::{pin::Pin, sync::Arc};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Refuses bodies over `max` bytes with 413. A declared `Content-Length`
/// is judged before anything is read. A body without one (chunked) is read
/// here up to the limit: a server function that hits a limit while reading
/// answers with an error of its own (400 or 500), so the overflow has to be
/// seen here to be told apart from a broken request.
pub async fn limit_bodies(State(max): State<usize>, request: Request, next: Next) -> Response {
    // Webhooks have their own limit (GitHub's pushes can be larger than
    // any form), enforced where they are read.
    if request.uri().path().starts_with("/hooks/") {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > max as u64 => return too_large(max),
        // hyper makes a declared length exact, so nothing more to watch.
        Some(_) => return next.run(request).await,
        None if request.body().is_end_stream() => return next.run(request).await,
        None => {}
    }
    let (parts, body) = request.into_parts();
    match read_at_most(body, max).await {
        Ok(Some(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(None) => too_large(max),
        Err(error) => {
            tracing::debug!(%error, "request body could not be read");
            (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::json!({ "error": "the request body could not be read" }).to_string(),
            )
                .into_response()
        }
    }
}

/// The whole body, or `None` once it passes `max` bytes (the rest is left
/// unread).
pub async fn read_at_most(body: Body, max: usize) -> Result<Option<Bytes>, axum::Error> {
    Ok(match read(body, max, None).await? {
        Budgeted::Whole(body) => Some(body),
        Budgeted::TooLarge | Budgeted::OverBudget => None,
    })
}

/// How reading a body within a shared budget ended.
#[derive(Debug, PartialEq)]
pub enum Budgeted {
    Whole(Bytes),
    TooLarge,
    /// The bodies being read at once already hold the whole budget.
    OverBudget,
}

/// The whole body within `max` bytes, each byte read counted against
/// `budget` until this returns: the bodies being read at once fit in the
/// budget together, whatever their senders declare and however slowly
/// they send.
pub async fn read_within(
    body: Body,
    max: usize,
    budget: &Arc<Semaphore>,
) -> Result<Budgeted, axum::Error> {
    read(body, max, Some(budget)).await
}

async fn read(
    mut body: Body,
    max: usize,
    budget: Option<&Arc<Semaphore>>,
) -> Result<Budgeted, axum::Error> {
    let mut buffer = Vec::new();
    let mut held: Option<OwnedSemaphorePermit> = None;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        // Trailers carry no body bytes; requests Berth takes have none.
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if buffer.len() + data.len() > max {
            return Ok(Budgeted::TooLarge);
        }
        if let Some(budget) = budget {
            let Some(share) = u32::try_from(data.len())
                .ok()
                .and_then(|bytes| Arc::clone(budget).try_acquire_many_owned(bytes).ok())
            else {
                return Ok(Budgeted::OverBudget);
            };
            match held.as_mut() {
                Some(held) => held.merge(share),
                None => held = Some(share),
            }
        }
        buffer.extend_from_slice(&data);
    }
    Ok(Budgeted::Whole(Bytes::from(buffer)))
}

fn too_large(max: usize) -> Response {
    let message = format!("the request body is larger than the {max} bytes Berth accepts");
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": message }).to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_are_read_up_to_the_limit() {
        let body = Body::from("0123456789");
        assert_eq!(
            read_at_most(body, 10).await.unwrap().as_deref(),
            Some(&b"0123456789"[..])
        );
        assert_eq!(
            read_at_most(Body::from("0123456789"), 9).await.unwrap(),
            None
        );
        assert_eq!(
            read_at_most(Body::empty(), 0).await.unwrap().as_deref(),
            Some(&b""[..])
        );
    }

    #[tokio::test]
    async fn bodies_read_at_once_share_one_budget() {
        let budget = Arc::new(Semaphore::new(10));
        let elsewhere = Arc::clone(&budget).try_acquire_many_owned(5).unwrap();
        assert_eq!(
            read_within(Body::from("12345678"), 100, &budget)
                .await
                .unwrap(),
            Budgeted::OverBudget
        );
        drop(elsewhere);
        assert_eq!(
            read_within(Body::from("12345678"), 100, &budget)
                .await
                .unwrap(),
            Budgeted::Whole(Bytes::from_static(b"12345678"))
        );
        // A body read gives its share back.
        assert_eq!(budget.available_permits(), 10);
        assert_eq!(
            read_within(Body::from("12345678"), 7, &budget)
                .await
                .unwrap(),
            Budgeted::TooLarge
        );
    }
}
