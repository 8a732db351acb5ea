//! What the writer does outside its own memory, behind one small trait:
//! fetching, reading a file at a commit, committing and pushing, and
//! pausing before a retry. `GitBranch` does it with git's plumbing in a
//! bare repository of the writer's own; the tests script a fake.

use std::{future::Future, time::Duration};

use super::Author;
use crate::{
    config::RepositoryConfig,
    gitops::{
        files::MAX_FILE_BYTES,
        git::{Blob, Git, GitError},
    },
};

/// How a push ended when git did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pushed {
    Yes,
    /// The remote moved on: someone else pushed first.
    Behind,
}

/// One branch of one repository, as the writer uses it.
pub trait BranchOps {
    /// Fetches the branch; its head commit.
    fn fetch(&self) -> impl Future<Output = Result<String, GitError>> + Send;
    /// The file at `head`, kept only up to `MAX_FILE_BYTES`.
    fn read(&self, head: &str, path: &str) -> impl Future<Output = Result<Blob, GitError>> + Send;
    /// A commit on `head` that sets `path` to `content` (`None`: removes
    /// it); its sha. Nothing is pushed.
    fn commit(
        &self,
        head: &str,
        path: &str,
        content: Option<&str>,
        message: &str,
        author: &Author,
    ) -> impl Future<Output = Result<String, GitError>> + Send;
    /// Pushes `commit` to the branch, never forcing.
    fn push(&self, commit: &str) -> impl Future<Output = Result<Pushed, GitError>> + Send;
    /// Waits `wait` before a retry. The clock is here so tests need none.
    fn pause(&self, wait: Duration) -> impl Future<Output = ()> + Send;
}

/// The real thing: git against the configured remote.
pub struct GitBranch {
    pub repo: RepositoryConfig,
    pub git: Git,
    /// Name and email of the committer (Berth); the author is the person.
    pub committer: (String, String),
}

impl BranchOps for GitBranch {
    async fn fetch(&self) -> Result<String, GitError> {
        self.git
            .sync_mirror(&self.repo.url, &self.repo.branch)
            .await
    }

    async fn read(&self, head: &str, path: &str) -> Result<Blob, GitError> {
        // Anyone with push access can commit a huge file; it is refused,
        // not read into memory.
        let mut blobs = self
            .git
            .read_blobs_up_to(&[format!("{head}:{path}")], MAX_FILE_BYTES as u64)
            .await?;
        Ok(blobs.pop().unwrap_or(Blob::Missing))
    }

    /// Builds the commit with a private index file, so concurrent readers
    /// of this bare repository never see a half-made tree.
    async fn commit(
        &self,
        head: &str,
        path: &str,
        content: Option<&str>,
        message: &str,
        author: &Author,
    ) -> Result<String, GitError> {
        // Absolute: git resolves a relative index path from its own `-C` dir.
        let index =
            std::path::absolute(self.git.dir().join("berth-index")).map_err(|err| GitError {
                command: "read-tree".into(),
                message: err.to_string(),
            })?;
        let index = index.to_string_lossy().to_string();
        let env = [("GIT_INDEX_FILE", index.as_str())];
        self.git.run_with(&["read-tree", head], &env, None).await?;
        // `--index-info` works without a working tree, unlike `--force-remove`;
        // mode 0 removes the path.
        let entry = match content {
            Some(text) => {
                let blob = self
                    .git
                    .run_with(
                        &["hash-object", "-w", "--stdin"],
                        &[],
                        Some(text.as_bytes()),
                    )
                    .await?;
                format!("100644 {}\t{path}\n", blob.trim())
            }
            None => format!("0 {}\t{path}\n", "0".repeat(40)),
        };
        self.git
            .run_with(
                &["update-index", "--index-info"],
                &env,
                Some(entry.as_bytes()),
            )
            .await?;
        let tree = self.git.run_with(&["write-tree"], &env, None).await?;
        let identity = [
            ("GIT_AUTHOR_NAME", author.name.as_str()),
            ("GIT_AUTHOR_EMAIL", author.email.as_str()),
            ("GIT_COMMITTER_NAME", self.committer.0.as_str()),
            ("GIT_COMMITTER_EMAIL", self.committer.1.as_str()),
        ];
        let sha = self
            .git
            .run_with(
                &["commit-tree", tree.trim(), "-p", head, "-F", "-"],
                &identity,
                Some(message.as_bytes()),
            )
            .await?;
        Ok(sha.trim().to_string())
    }

    async fn push(&self, commit: &str) -> Result<Pushed, GitError> {
        let refspec = format!("{commit}:refs/heads/{}", self.repo.branch);
        match self
            .git
            .run(&["push", "--quiet", &self.repo.url, &refspec])
            .await
        {
            Ok(_) => Ok(Pushed::Yes),
            Err(err) if super::failures::is_push_race(&err.message) => Ok(Pushed::Behind),
            Err(err) => Err(err),
        }
    }

    async fn pause(&self, wait: Duration) {
        tokio::time::sleep(wait + jitter()).await;
    }
}

/// Up to 32 ms, so writers of several Berth instances overtaken together
/// do not retry in lockstep.
fn jitter() -> Duration {
    let mut byte = [0u8; 1];
    let _ = getrandom::getrandom(&mut byte);
    Duration::from_millis(u64::from(byte[0]) / 8)
}
