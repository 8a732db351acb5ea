//! The audit log and API tokens: the `AccessStore` trait and `TokenOwner`.

use app::model::{ApiToken, AuditEntry, AuditQuery};

use super::{NewAuditEntry, SessionStore, StoreResult};

/// The person a token acts for.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenOwner {
    pub user: String,
    pub expires_at: Option<i64>,
    pub groups: Vec<String>,
}

#[async_trait::async_trait]
pub trait AccessStore: SessionStore + Send + Sync + 'static {
    /// Stores a row, every field bounded first (`NewAuditEntry::bounded`).
    async fn record_audit(&self, entry: NewAuditEntry, at: i64) -> StoreResult<i64>;
    /// Gives a row recorded as `accepted` the outcome of its write.
    async fn finish_audit(
        &self,
        id: i64,
        outcome: &str,
        message: &str,
        commit: Option<&str>,
    ) -> StoreResult<()>;
    /// Newest first, filtered, older than `query.before`: a page of
    /// `query.page_size()` rows plus the next row when there is one, so
    /// callers can tell whether an older page exists (`AuditLogPage::new`).
    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>>;
    async fn create_token(
        &self,
        user: &str,
        label: &str,
        hash: &str,
        groups: &[String],
        at: i64,
        expires: i64,
    ) -> StoreResult<i64>;
    /// The owner of a live (unrevoked, unexpired) token with this hash;
    /// marks it used.
    async fn token_owner(&self, hash: &str, at: i64) -> StoreResult<Option<TokenOwner>>;
    /// `user`'s live tokens, newest first.
    async fn tokens(&self, user: &str, at: i64) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of `user`'s tokens; false if there was none.
    async fn revoke_token(&self, user: &str, id: i64, at: i64) -> StoreResult<bool>;
}
