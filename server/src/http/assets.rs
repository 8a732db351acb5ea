//! How browsers may cache the compiled site under `/pkg/`.
//!
//! A production build names its JavaScript, wasm and CSS after their
//! content (`berth.<hash>.wasm`), so such a file never changes and can be
//! kept for a year without asking again. Anything else there (a debug
//! build's `berth.wasm`) is revalidated on every visit, so a new build is
//! never hidden behind a stale copy. The files are served precompressed
//! (brotli, gzip) by content negotiation, so shared caches must key on
//! `Accept-Encoding`.

use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};

const FOREVER: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

pub async fn cache_assets(request: Request, next: Next) -> Response {
    let Some(file) = request
        .uri()
        .path()
        .strip_prefix("/pkg/")
        .map(str::to_owned)
    else {
        return next.run(request).await;
    };
    let mut response = next.run(request).await;
    if !matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED) {
        return response;
    }
    let policy = if content_named(&file) {
        FOREVER
    } else {
        REVALIDATE
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether the file name carries a content hash as cargo-leptos writes it:
/// a dot-separated part of 22 URL-safe base64 characters (an MD5), as in
/// `berth.Xk1F0s2mA9bQ_cE-4dL7pw.wasm`. Only files directly in the package
/// directory count: wasm-bindgen's `snippets/` keep their names across builds.
pub fn content_named(file: &str) -> bool {
    !file.contains('/')
        && file.split('.').any(|part| {
            part.len() == 22
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::content_named;

    #[test]
    fn hashed_names_are_recognised_and_plain_ones_are_not() {
        assert!(content_named("berth.Xk1F0s2mA9bQ_cE-4dL7pw.wasm"));
        assert!(content_named("berth.Xk1F0s2mA9bQ_cE-4dL7pw.wasm.br"));
        assert!(content_named("__wasm_split.Xk1F0s2mA9bQ_cE-4dL7pw.js"));
        assert!(!content_named("berth.wasm"));
        assert!(!content_named("berth_bg.wasm"));
        assert!(!content_named("berth.css"));
        // A long plain name is not a hash: the length must be exact.
        assert!(!content_named("a_rather_long_file_name_here.js"));
        assert!(!content_named("snippets/Xk1F0s2mA9bQ_cE-4dL7pw/inline0.js"));
    }
}
