//! The one writer per repository branch: edits are queued, and each is
//! applied to the branch head, committed with git's plumbing in a bare
//! repository of its own (no working tree), and pushed. A push that loses
//! a race is retried on the new head; nothing is ever force-pushed.
//!
//! This module owns the public face (`Writer` and its answers); the rule
//! for retrying is a pure step in `retry`, driven per branch by `branch`
//! through the git operations of `git_ops`, and `failures` turns git's
//! failures into sentences.

mod branch;
mod failures;
#[cfg(test)]
mod fake;
mod git_ops;
mod retry;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, sync::Arc};

use branch::BranchWriter;
use git_ops::GitBranch;

use super::{
    change::{EditError, FileEdit},
    git::Git,
};
use crate::config::Config;

/// Who the commit is by (the person) and what it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Author {
    pub user: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Committed {
        sha: String,
        /// How many pushes it took; more than one means someone else pushed
        /// in between and the edit was re-applied on their commit.
        attempts: u32,
    },
    Unchanged(String),
}

/// What the person would commit, computed on the current head.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub diff: String,
    pub message: String,
    /// Set when there is nothing to commit.
    pub unchanged: Option<String>,
}

/// Why nothing was committed; each is a sentence for the person.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteError {
    /// The edit cannot be made as asked (the file is not valid YAML, a
    /// value spans several lines, too large a file): the person must fix
    /// the input or the file by hand.
    #[error("{0}")]
    Invalid(String),
    /// The repository changed under the person (the sandbox was deleted,
    /// the name taken, the owner changed): a reload shows why.
    #[error("{0}")]
    Conflict(String),
    /// git or the remote failed; git's own output is in the log.
    #[error("{0}")]
    Failed(String),
    /// A lock or a freeze holds what the edit would change.
    #[error("{0}")]
    Held(String),
}

/// A rule that must hold at the moment of the commit (no lock, no freeze),
/// checked in the writer's queue just before the edit is applied: no
/// write can slip between the check and its commit.
#[async_trait::async_trait]
pub trait Gate: Send + Sync {
    async fn check(&self) -> Result<(), WriteError>;
}

/// For what no lock or freeze can hold (a person's sandbox).
pub struct Open;

#[async_trait::async_trait]
impl Gate for Open {
    async fn check(&self) -> Result<(), WriteError> {
        Ok(())
    }
}

impl From<EditError> for WriteError {
    fn from(err: EditError) -> Self {
        match err {
            EditError::Invalid(why) => WriteError::Invalid(why),
            EditError::Conflict(why) => WriteError::Conflict(why),
        }
    }
}

pub struct Writer {
    branches: HashMap<String, Arc<BranchWriter<GitBranch>>>,
}

impl Writer {
    pub fn new(config: &Config) -> Writer {
        let branches = config
            .repositories
            .iter()
            .map(|repo| {
                // Apart from the read model's mirror, so fetches never collide.
                let dir = super::dirs::writer_dir(config, repo);
                let ops = GitBranch {
                    repo: repo.clone(),
                    git: Git::new(dir, repo.credentials.clone()).with_timeout(config.git_timeout()),
                    committer: (
                        config.committer.name.clone(),
                        config.committer.email.clone(),
                    ),
                };
                let writer = BranchWriter::new(&repo.name, ops, retry::MAX_ATTEMPTS);
                (repo.name.clone(), Arc::new(writer))
            })
            .collect();
        Writer { branches }
    }

    fn branch(&self, repository: &str) -> Result<&Arc<BranchWriter<GitBranch>>, WriteError> {
        self.branches
            .get(repository)
            .ok_or_else(|| WriteError::Failed(format!("no repository `{repository}`")))
    }

    /// Shows what `change` would commit now, without committing.
    pub async fn preview(
        &self,
        repository: &str,
        change: &FileEdit,
        author: &Author,
    ) -> Result<Preview, WriteError> {
        let branch = self.branch(repository)?;
        branch.preview(change, message(change, author)).await
    }

    /// Waits for its turn, asks `gate`, then applies, commits and pushes
    /// `change`.
    pub async fn write(
        &self,
        repository: &str,
        change: &FileEdit,
        author: &Author,
        gate: &dyn Gate,
    ) -> Result<Outcome, WriteError> {
        let branch = self.branch(repository)?;
        branch
            .write(change, &message(change, author), author, gate)
            .await
    }
}

/// The commit message: the summary, then trailers naming who did what.
fn message(change: &FileEdit, author: &Author) -> String {
    format!(
        "{}\n\nBerth-Actor: {}\nBerth-Action: {}\n",
        change.summary(),
        author.user,
        change.action().as_str()
    )
}
