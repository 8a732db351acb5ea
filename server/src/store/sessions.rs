//! Local sign-in sessions: the `SessionStore` trait.
//!
//! Created at sign-in, checked on every request, ended by signing out (one
//! session or all of a person's).

use super::StoreResult;

#[async_trait::async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session; expired sessions are pruned on the way.
    async fn create_session(
        &self,
        id_hash: &str,
        user: &str,
        at: i64,
        expires: i64,
    ) -> StoreResult<()>;
    /// The user of a live session (not revoked, not expired).
    async fn session_user(&self, id_hash: &str, at: i64) -> StoreResult<Option<String>>;
    /// Ends one session; false if it was already ended or never existed.
    async fn end_session(&self, id_hash: &str, at: i64) -> StoreResult<bool>;
    /// Ends every live session of `user`; returns how many.
    async fn end_sessions_of(&self, user: &str, at: i64) -> StoreResult<u64>;
}
