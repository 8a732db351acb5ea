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
        }
    }
}

impl FromServerFnError for BerthError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        BerthError::Transport(value.to_string())
    }
}
