//! `AccessStore` for `SqliteStore`, delegating to `audit` and `tokens`.

use app::model::{ApiToken, AuditEntry, AuditQuery};

use super::{audit, tokens, SqliteStore};
use crate::store::{AccessStore, NewAuditEntry, StoreResult, TokenOwner};

#[async_trait::async_trait]
impl AccessStore for SqliteStore {
    async fn record_audit(&self, entry: NewAuditEntry, at: i64) -> StoreResult<i64> {
        audit::record(self.pool(), entry, at).await
    }

    async fn finish_audit(
        &self,
        id: i64,
        outcome: &str,
        message: &str,
        commit: Option<&str>,
    ) -> StoreResult<()> {
        audit::finish(self.pool(), id, outcome, message, commit).await
    }

    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        audit::page(self.pool(), query).await
    }

    async fn create_token(
        &self,
        user: &str,
        label: &str,
        hash: &str,
        groups: &[String],
        at: i64,
        expires: i64,
    ) -> StoreResult<i64> {
        tokens::create(self.pool(), user, label, hash, groups, at, expires).await
    }

    async fn token_owner(&self, hash: &str, at: i64) -> StoreResult<Option<TokenOwner>> {
        tokens::owner(self.pool(), hash, at).await
    }

    async fn tokens(&self, user: &str, at: i64) -> StoreResult<Vec<ApiToken>> {
        tokens::live_of(self.pool(), user, at).await
    }

    async fn revoke_token(&self, user: &str, id: i64, at: i64) -> StoreResult<bool> {
        tokens::revoke(self.pool(), user, id, at).await
    }
}
