//! The request body limit for every route: bigger bodies get 413 before
//! any handler, JSON route or server function, acts on them.

use std::pin::Pin;

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

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
pub async fn read_at_most(mut body: Body, max: usize) -> Result<Option<Bytes>, axum::Error> {
    let mut buffer = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        // Trailers carry no body bytes; requests Berth takes have none.
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if buffer.len() + data.len() > max {
            return Ok(None);
        }
        buffer.extend_from_slice(&data);
    }
    Ok(Some(Bytes::from(buffer)))
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
}
