//! The server's one error type: what went wrong, with a short label per
//! kind for logs and metrics, and the one place where it becomes the
//! sentence a person reads (`app::error::BerthError`).

use app::error::BerthError;

use crate::{gitops::git::GitError, store::StoreError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be done as asked; the sentence says why.
    #[error("{0}")]
    Invalid(String),
    /// The repository changed under the person (a name was taken, a
    /// sandbox was deleted meanwhile).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Nobody is signed in, or the credential is wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// berth.toml or a file it names is wrong; Berth does not start.
    #[error("{0}")]
    Config(String),
    /// A git command failed. Its stderr is for the log, not for people.
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something Berth needs is not there yet or not answering.
    #[error("{0}")]
    Unavailable(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A short, stable name of the kind, for metrics and log fields.
    pub fn label(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::Conflict(_) => "conflict",
            Error::NotFound(_) => "not_found",
            Error::Forbidden(_) => "forbidden",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Config(_) => "config",
            Error::Git(_) => "git",
            Error::Store(_) => "store",
            Error::Unavailable(_) => "unavailable",
        }
    }
}

impl Error {
    /// What a person is told. Git's stderr and database messages can hold
    /// hosts, paths and credentials' hints, so they only go to the log.
    pub fn public_message(&self) -> String {
        match self {
            Error::Invalid(why)
            | Error::Conflict(why)
            | Error::NotFound(why)
            | Error::Forbidden(why)
            | Error::Unauthenticated(why)
            | Error::Unavailable(why) => why.clone(),
            Error::Config(_) => "Berth is misconfigured; the log says how".into(),
            Error::Git(git) => format!(
                "git {} failed; the GitOps repository may be unreachable. The log has the details",
                git.command
            ),
            Error::Store(_) => "the database did not answer".into(),
        }
    }

    /// Writes the details a person is not shown to the log.
    pub fn log_details(&self) {
        match self {
            Error::Config(why) => tracing::error!(kind = "config", %why, "configuration error"),
            Error::Git(git) => tracing::error!(
                kind = "git",
                command = %git.command,
                stderr = %git.message,
                "git failed"
            ),
            Error::Store(store) => tracing::error!(kind = "store", %store, "database query failed"),
            _ => {}
        }
    }
}

impl From<Error> for BerthError {
    fn from(err: Error) -> BerthError {
        err.log_details();
        let message = err.public_message();
        match err {
            Error::Invalid(_) => BerthError::Invalid(message),
            Error::Conflict(_) => BerthError::Conflict(message),
            Error::NotFound(_) => BerthError::NotFound(message),
            Error::Forbidden(_) => BerthError::Forbidden(message),
            Error::Unauthenticated(_) => BerthError::Unauthenticated(message),
            Error::Unavailable(_) | Error::Config(_) | Error::Git(_) | Error::Store(_) => {
                BerthError::Unavailable(message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_and_store_details_stay_in_the_log() {
        let git = Error::Git(GitError {
            command: "push".into(),
            message: "fatal: could not read Username for 'https://token@host'".into(),
        });
        assert_eq!(git.label(), "git");
        let shown = BerthError::from(git).to_string();
        assert!(shown.contains("git push failed"), "{shown}");
        assert!(!shown.contains("Username"), "{shown}");
        let store = Error::Store(StoreError("disk I/O error at /var/lib/berth".into()));
        let shown = BerthError::from(store).to_string();
        assert_eq!(shown, "the database did not answer");
    }

    #[test]
    fn person_facing_kinds_keep_their_sentence_and_status() {
        let cases = [
            (Error::Invalid("bad".into()), 400),
            (Error::Conflict("taken".into()), 409),
            (Error::NotFound("none".into()), 404),
            (Error::Forbidden("no".into()), 403),
            (Error::Unauthenticated("who".into()), 401),
        ];
        for (err, status) in cases {
            let label = err.label();
            let shown = BerthError::from(err);
            assert_eq!(shown.status(), status, "{label}");
            assert!(["bad", "taken", "none", "no", "who"].contains(&shown.to_string().as_str()));
        }
        assert_eq!(
            BerthError::from(Error::Config("x".into())).status(),
            503,
            "a config problem is not the person's fault"
        );
    }
}
