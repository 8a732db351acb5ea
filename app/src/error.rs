//! One error type that survives the hop from server function to browser,
//! so a person reads "no environment `qa`" and not "500".

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum BerthError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// The data is not there yet or a dependency failed.
    #[error("{0}")]
    Unavailable(String),
    #[error("request failed: {0}")]
    Transport(String),
    /// Nobody is signed in, or the token is wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// The repository changed in a way that makes the request impossible.
    #[error("{0}")]
    Conflict(String),
    /// A lock or a freeze holds what the request would change.
    #[error("{0}")]
    Held(String),
}

impl BerthError {
    pub fn status(&self) -> u16 {
        match self {
            BerthError::NotFound(_) => 404,
            BerthError::Invalid(_) => 400,
            BerthError::Unavailable(_) => 503,
            BerthError::Transport(_) => 500,
            BerthError::Unauthenticated(_) => 401,
            BerthError::Forbidden(_) => 403,
            BerthError::Conflict(_) => 409,
            BerthError::Held(_) => 423,
        }
    }
}

#[cfg(feature = "ssr")]
impl BerthError {
    /// The HTTP status of this answer: the one mapping every page, server
    /// function and API route uses.
    pub fn status_code(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Gives the response being rendered this error's status, so a missing
    /// sandbox is a 404 and not a 200 that merely says so.
    pub fn set_response_status(&self) {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status_code());
        }
    }
}

impl FromServerFnError for BerthError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        BerthError::Transport(value.to_string())
    }
}
