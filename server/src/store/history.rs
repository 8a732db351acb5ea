//! The indexed git history: the `Store` trait and the rows it keeps.

use std::collections::HashMap;

use app::model::CommitSummary;

use super::StoreResult;

/// A commit as indexed.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedCommit {
    pub sha: String,
    pub author_name: String,
    pub author_email: String,
    pub at: i64,
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentChange {
    pub file: String,
    pub service: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub sha: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SandboxAction {
    Created,
    Updated,
    Deleted,
}

impl SandboxAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxAction::Created => "created",
            SandboxAction::Updated => "updated",
            SandboxAction::Deleted => "deleted",
        }
    }

    /// The action stored as `text`; anything unknown reads as an update.
    pub(super) fn parse(text: &str) -> SandboxAction {
        match text {
            "created" => SandboxAction::Created,
            "deleted" => SandboxAction::Deleted,
            _ => SandboxAction::Updated,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SandboxChange {
    pub file: String,
    pub action: SandboxAction,
    pub sha: String,
}

/// Everything one indexing pass found, written in one transaction.
#[derive(Debug, Default)]
pub struct HistoryBatch {
    pub commits: Vec<IndexedCommit>,
    pub environment_changes: Vec<EnvironmentChange>,
    pub sandbox_changes: Vec<SandboxChange>,
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    async fn indexed_head(&self, repository: &str) -> StoreResult<Option<String>>;
    /// Appends a batch and moves the indexed head; with `replace`, first
    /// forgets the repository's history (after a force push upstream).
    async fn record_history(
        &self,
        repository: &str,
        head: &str,
        batch: HistoryBatch,
        replace: bool,
    ) -> StoreResult<()>;
    /// The newest change of each service in a file.
    async fn latest_environment_changes(
        &self,
        repository: &str,
        file: &str,
    ) -> StoreResult<HashMap<String, CommitSummary>>;
    /// A file's changes, newest first.
    async fn environment_history(
        &self,
        repository: &str,
        file: &str,
        limit: i64,
    ) -> StoreResult<Vec<(EnvironmentChange, CommitSummary)>>;
    /// When each sandbox file in `dir` was created (its newest creation).
    async fn sandbox_creations(
        &self,
        repository: &str,
        dir: &str,
    ) -> StoreResult<HashMap<String, CommitSummary>>;
    /// A sandbox file's commits, newest first.
    async fn sandbox_history(
        &self,
        repository: &str,
        file: &str,
    ) -> StoreResult<Vec<(SandboxAction, CommitSummary)>>;
    async fn ping(&self) -> StoreResult<()>;
}

#[cfg(test)]
mod tests {
    use super::SandboxAction;

    #[test]
    fn sandbox_actions_read_back_as_written_and_unknown_ones_as_updates() {
        for action in [
            SandboxAction::Created,
            SandboxAction::Updated,
            SandboxAction::Deleted,
        ] {
            assert_eq!(SandboxAction::parse(action.as_str()), action);
        }
        assert_eq!(SandboxAction::parse("renamed"), SandboxAction::Updated);
    }
}
