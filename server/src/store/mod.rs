//! Berth's database: backend-neutral store traits and types, and backends.
//!
//! - `history`: the indexed history of the GitOps files (`Store`);
//! - `audit`: audit log entries and the bounds every stored field keeps;
//! - `access`: the audit log and API tokens (`AccessStore`);
//! - `sessions`: local sign-in sessions (`SessionStore`);
//! - `releases`: builds, the prod pipeline and releases (`ReleaseStore`);
//! - `sharing`: locks, freeze windows and broken glass (`SharingStore`);
//! - `sqlite/`: the SQLite backend (`SqliteStore`), all of its SQL; another
//!   backend (Postgres) sits beside it, implementing the same traits.

mod access;
mod audit;
mod history;
mod releases;
mod sessions;
mod sharing;
mod sqlite;

pub use access::{AccessStore, TokenOwner};
pub use audit::NewAuditEntry;
pub use history::{
    EnvironmentChange, HistoryBatch, IndexedCommit, SandboxAction, SandboxChange, Store,
};
pub use releases::{BuildStored, Marker, NewMarker, NewRelease, ReleaseStore};
pub use sessions::SessionStore;
pub use sharing::{FreezeRow, NewClaim, NewLock, SharingStore};
pub use sqlite::SqliteStore;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
#[error("database: {0}")]
pub struct StoreError(pub String);

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError(err.to_string())
    }
}
