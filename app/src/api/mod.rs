//! Server functions: thin bodies that ask the `Dashboard` and `Operations`
//! ports.

mod audit;
mod environment;
mod overview;
mod promotion;
mod refresh;
mod releases;
mod sandbox_writes;
mod sandboxes;
mod session;
mod sharing;
mod tokens;

pub use audit::*;
pub use environment::*;
pub use overview::*;
pub use promotion::*;
pub use refresh::*;
pub use releases::*;
pub use sandbox_writes::*;
pub use sandboxes::*;
pub use session::*;
pub use sharing::*;
pub use tokens::*;

/// A refused request answers with its own status (400, 403, 409, ...), not
/// a generic 500, so logs and browsers tell refusals from failures. A plain
/// HTML form (no JavaScript) is left alone: it must get its redirect back
/// to the form, which carries the error.
#[cfg(feature = "ssr")]
pub(crate) fn with_status<T>(
    result: Result<T, crate::error::BerthError>,
) -> Result<T, crate::error::BerthError> {
    let plain_form = leptos::prelude::use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    });
    if plain_form {
        return result;
    }
    if let Err(error) = &result {
        error.set_response_status();
    }
    result
}

/// Adds a `Set-Cookie` header to the response being built.
#[cfg(feature = "ssr")]
pub(crate) fn set_cookie(cookie: &str) -> Result<(), crate::error::BerthError> {
    let value = http::HeaderValue::from_str(cookie).map_err(|_| {
        crate::error::BerthError::Invalid("the cookie is not a valid header".into())
    })?;
    leptos::prelude::expect_context::<leptos_axum::ResponseOptions>()
        .append_header(http::header::SET_COOKIE, value);
    Ok(())
}
