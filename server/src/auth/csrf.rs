//! Cross-site request protection: a request that changes state must come
//! from Berth's own pages (same origin) or carry an API token, which a
//! browser never sends on its own. A refusal is audited (rate-limited):
//! a forged request is worth knowing about.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::actions::{Actions, Attempt};

pub async fn same_origin_only(
    State(actions): State<Arc<Actions>>,
    request: Request,
    next: Next,
) -> Response {
    if let Err(why) = check(request.method(), request.headers()) {
        tracing::warn!(path = %request.uri().path(), why, "cross-site request refused");
        let attempt = Attempt::from_request(
            &actions.gatekeeper,
            request.method(),
            request.uri(),
            request.headers(),
            request.extensions(),
        );
        actions.audit_refusal(attempt, why).await;
        let body = serde_json::json!({ "error": why }).to_string();
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    next.run(request).await
}

/// `Err` with the reason when a state-changing request may be forged.
pub fn check(method: &Method, headers: &HeaderMap) -> Result<(), &'static str> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // A bearer token is never attached by a browser on its own, so a request
    // carrying one cannot be a forgery riding on someone's cookie.
    if get("authorization").is_some_and(|a| a.starts_with("Bearer ")) && get("cookie").is_none() {
        return Ok(());
    }
    match get("sec-fetch-site") {
        Some("same-origin") => return Ok(()),
        Some("none") if get("origin").is_none() => return Ok(()),
        Some(_) => return Err("this request came from another site and was refused"),
        None => {}
    }
    let host = get("host").ok_or("the request has no Host header")?;
    match get("origin") {
        Some(origin) if origin_host(origin) == Some(host) => Ok(()),
        Some(_) => Err("this request came from another site and was refused"),
        // Browsers send Origin with every POST; a request with neither Origin
        // nor a cookie carries no credential a forger could borrow.
        None if get("cookie").is_none() => Ok(()),
        None => Err("a form must be sent from Berth's own pages (no Origin header)"),
    }
}

fn origin_host(origin: &str) -> Option<&str> {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn reads_pass_and_same_origin_posts_pass() {
        assert!(check(&Method::GET, &HeaderMap::new()).is_ok());
        let same = headers(&[("host", "berth:3000"), ("origin", "http://berth:3000")]);
        assert!(check(&Method::POST, &same).is_ok());
        let fetch = headers(&[("sec-fetch-site", "same-origin")]);
        assert!(check(&Method::POST, &fetch).is_ok());
    }

    #[test]
    fn cross_site_and_originless_cookie_posts_are_refused() {
        let evil = headers(&[("host", "berth:3000"), ("origin", "https://evil.example")]);
        assert!(check(&Method::POST, &evil).is_err());
        let site = headers(&[("host", "berth:3000"), ("sec-fetch-site", "cross-site")]);
        assert!(check(&Method::POST, &site).is_err());
        let bare = headers(&[("host", "berth:3000"), ("cookie", "berth_session=x")]);
        assert!(check(&Method::POST, &bare).is_err());
        let token_and_cookie = headers(&[
            ("host", "berth:3000"),
            ("authorization", "Bearer x"),
            ("cookie", "berth_session=x"),
        ]);
        assert!(check(&Method::DELETE, &token_and_cookie).is_err());
    }

    #[test]
    fn scripts_with_tokens_pass() {
        let script = headers(&[("host", "berth:3000"), ("authorization", "Bearer berth_x")]);
        assert!(check(&Method::DELETE, &script).is_ok());
    }
}
