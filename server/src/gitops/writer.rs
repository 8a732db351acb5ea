//! The one writer per repository branch: edits are queued, and each is
//! applied to the freshly fetched head, committed with git's plumbing in a
//! bare repository of its own (no working tree), and pushed. A push that
//! loses a race is retried on the new head; nothing is ever force-pushed.

use std::{collections::HashMap, path::PathBuf, sync::Arc, time::Duration};

use tokio::sync::Mutex;

use super::{
    change::{unified_diff, Applied, Change},
    git::{Git, GitError},
};
use crate::config::{Config, RepositoryConfig};

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

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteError {
    /// A real conflict or a refused edit: shown to the person as is.
    #[error("{0}")]
    Conflict(String),
    /// git or the remote failed; nothing was committed.
    #[error("{0}")]
    Failed(String),
}

impl From<GitError> for WriteError {
    fn from(err: GitError) -> Self {
        WriteError::Failed(err.to_string())
    }
}

struct BranchWriter {
    repo: RepositoryConfig,
    git: Git,
    /// The queue: tokio's mutex is fair, so edits apply in arrival order.
    queue: Mutex<()>,
    /// The commit this writer pushed last, while nothing else is known to
    /// have moved the branch since.
    last_pushed: std::sync::Mutex<Option<String>>,
}

pub struct Writer {
    branches: HashMap<String, Arc<BranchWriter>>,
    committer: (String, String),
    max_attempts: u32,
}

/// Bounded retries with backoff; the bound is generous because each retry
/// means another writer succeeded, so progress is always being made.
const MAX_ATTEMPTS: u32 = 12;

impl Writer {
    pub fn new(config: &Config) -> Writer {
        let branches = config
            .repositories
            .iter()
            .map(|repo| {
                // Apart from the read model's mirror, so fetches never collide.
                let dir = crate::readmodel::repo_dir(config, repo, "writes");
                let writer = BranchWriter {
                    repo: repo.clone(),
                    git: Git::new(dir, repo.credentials.clone()).with_timeout(config.git_timeout()),
                    queue: Mutex::new(()),
                    last_pushed: std::sync::Mutex::new(None),
                };
                (repo.name.clone(), Arc::new(writer))
            })
            .collect();
        Writer {
            branches,
            committer: (
                config.committer.name.clone(),
                config.committer.email.clone(),
            ),
            max_attempts: MAX_ATTEMPTS,
        }
    }

    fn branch(&self, repository: &str) -> Result<&Arc<BranchWriter>, WriteError> {
        self.branches
            .get(repository)
            .ok_or_else(|| WriteError::Failed(format!("no repository `{repository}`")))
    }

    /// Shows what `change` would commit now, without committing.
    pub async fn preview(
        &self,
        repository: &str,
        change: &Change,
        author: &Author,
    ) -> Result<Preview, WriteError> {
        let branch = self.branch(repository)?;
        let current = {
            let _turn = branch.queue.lock().await;
            let head = branch.fetch().await?;
            branch.read(&head, change.file()).await?
        };
        let message = self.message(change, author);
        match change
            .apply(current.as_deref())
            .map_err(WriteError::Conflict)?
        {
            Applied::Unchanged(why) => Ok(Preview {
                diff: String::new(),
                message,
                unchanged: Some(why),
            }),
            Applied::Write(next) => Ok(Preview {
                diff: unified_diff(change.file(), current.as_deref(), next.as_deref()),
                message,
                unchanged: None,
            }),
        }
    }

    /// Waits for its turn, then applies, commits and pushes `change`.
    pub async fn write(
        &self,
        repository: &str,
        change: &Change,
        author: &Author,
    ) -> Result<Outcome, WriteError> {
        let branch = self.branch(repository)?;
        let _turn = branch.queue.lock().await;
        let message = self.message(change, author);
        let mut backoff = Duration::from_millis(20);
        // Right after this writer's own push, the remote head is known: the
        // next edit is built on it without a fetch. If someone else pushed
        // meanwhile, the push is refused and the next attempt fetches.
        let mut known_head = branch.last_pushed.lock().expect("writer lock").take();
        for attempt in 1..=self.max_attempts {
            let (head, fetched) = match known_head.take() {
                Some(head) => (head, false),
                None => (branch.fetch().await?, true),
            };
            let current = branch.read(&head, change.file()).await?;
            let applied = change.apply(current.as_deref());
            if !fetched && !matches!(applied, Ok(Applied::Write(_))) {
                // "Nothing to do" and conflicts are only told from a fresh head.
                continue;
            }
            let next = match applied.map_err(WriteError::Conflict)? {
                Applied::Unchanged(why) => return Ok(Outcome::Unchanged(why)),
                Applied::Write(next) => next,
            };
            let commit = branch
                .commit(
                    &head,
                    change.file(),
                    next.as_deref(),
                    &message,
                    author,
                    &self.committer,
                )
                .await?;
            match branch.push(&commit).await? {
                Pushed::Yes => {
                    *branch.last_pushed.lock().expect("writer lock") = Some(commit.clone());
                    return Ok(Outcome::Committed {
                        sha: commit,
                        attempts: attempt,
                    });
                }
                Pushed::Behind => {
                    tracing::info!(
                        repository,
                        attempt,
                        "push lost a race; re-applying on the new head"
                    );
                    tokio::time::sleep(backoff + jitter()).await;
                    backoff = (backoff * 2).min(Duration::from_millis(800));
                }
            }
        }
        Err(WriteError::Failed(format!(
            "the GitOps repository kept moving: {} pushes were overtaken; nothing was committed, try again",
            self.max_attempts
        )))
    }

    fn message(&self, change: &Change, author: &Author) -> String {
        format!(
            "{}\n\nBerth-Actor: {}\nBerth-Action: {}\n",
            change.summary(),
            author.user,
            change.action()
        )
    }
}

fn jitter() -> Duration {
    let mut byte = [0u8; 1];
    let _ = getrandom::getrandom(&mut byte);
    Duration::from_millis(u64::from(byte[0]) / 8)
}

enum Pushed {
    Yes,
    /// The remote moved on: someone else pushed first.
    Behind,
}

impl BranchWriter {
    fn branch_ref(&self) -> String {
        format!("refs/heads/{}", self.repo.branch)
    }

    /// Fetches the branch and returns its head.
    async fn fetch(&self) -> Result<String, GitError> {
        self.git
            .sync_mirror(&self.repo.url, &self.repo.branch)
            .await
    }

    async fn read(&self, head: &str, path: &str) -> Result<Option<String>, GitError> {
        let mut blobs = self.git.read_blobs(&[format!("{head}:{path}")]).await?;
        Ok(blobs.pop().flatten())
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
        committer: &(String, String),
    ) -> Result<String, GitError> {
        // Absolute: git resolves a relative index path from its own `-C` dir.
        let index =
            std::path::absolute(self.git_dir().join("berth-index")).map_err(|err| GitError {
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
            ("GIT_COMMITTER_NAME", committer.0.as_str()),
            ("GIT_COMMITTER_EMAIL", committer.1.as_str()),
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
        let refspec = format!("{commit}:{}", self.branch_ref());
        match self
            .git
            .run(&["push", "--quiet", &self.repo.url, &refspec])
            .await
        {
            Ok(_) => Ok(Pushed::Yes),
            Err(err) if is_push_race(&err.message) => Ok(Pushed::Behind),
            Err(err) => Err(err),
        }
    }

    fn git_dir(&self) -> PathBuf {
        self.git.dir().to_path_buf()
    }
}

/// git's ways of saying "someone else pushed first"; anything else is a
/// real failure and is not retried. A bare `[rejected]` is not enough: a
/// server-side hook, a protected branch or a missing permission also
/// reject, and retrying them only delays the answer.
fn is_push_race(stderr: &str) -> bool {
    const FINAL: &[&str] = &[
        "hook declined",
        "protected branch",
        "permission",
        "denied",
        "not allowed",
    ];
    const RACES: &[&str] = &[
        "(non-fast-forward)",
        "(fetch first)",
        "(stale info)",
        "failed to update ref",
        "cannot lock ref",
        "incorrect old value provided",
    ];
    let lower = stderr.to_lowercase();
    !FINAL.iter().any(|sign| lower.contains(sign)) && RACES.iter().any(|sign| lower.contains(sign))
}

#[cfg(test)]
mod tests {
    use super::is_push_race;

    #[test]
    fn push_races_are_told_apart_from_failures() {
        // Real stderr of `git push`, from git 2.47 and the big forges.
        let races = [
            " ! [rejected]        abc -> main (fetch first)\nerror: failed to push some refs to '/srv/gitops.git'\nhint: Updates were rejected because the remote contains work that you do not\n",
            " ! [rejected]        abc -> main (non-fast-forward)\nerror: failed to push some refs to 'git@github.com:acme/gitops.git'\n",
            " ! [rejected]        abc -> main (stale info)\nerror: failed to push some refs to '/srv/gitops.git'\n",
            " ! [remote rejected] abc -> main (failed to update ref)\nerror: failed to push some refs to '/srv/gitops.git'\n",
            " ! [remote rejected] abc -> main (cannot lock ref 'refs/heads/main': is at 1111111111111111111111111111111111111111 but expected 2222222222222222222222222222222222222222)\n",
            "error: cannot lock ref 'refs/heads/main': Unable to create '/srv/gitops.git/refs/heads/main.lock': File exists.\n",
        ];
        for stderr in races {
            assert!(is_push_race(stderr), "{stderr}");
        }
        let final_answers = [
            "remote: change freeze until Monday\nTo /srv/gitops.git\n ! [remote rejected] abc -> main (pre-receive hook declined)\nerror: failed to push some refs to '/srv/gitops.git'\n",
            " ! [remote rejected] abc -> main (hook declined)\nerror: failed to push some refs\n",
            " ! [remote rejected] abc -> main (update hook declined)\nerror: failed to push some refs\n",
            "remote: error: GH006: Protected branch update failed for refs/heads/main.\nremote: error: Changes must be made through a pull request.\n ! [remote rejected] abc -> main (protected branch hook declined)\n",
            "remote: GitLab: You are not allowed to push code to protected branches on this project.\n ! [remote rejected] abc -> main (pre-receive hook declined)\n",
            "remote: Permission to acme/gitops.git denied to berth-bot.\nfatal: unable to access 'https://github.com/acme/gitops.git/': The requested URL returned error: 403\n",
            "ERROR: Permission to acme/gitops.git denied to deploy key\nfatal: Could not read from remote repository.\n",
            " ! [remote rejected] abc -> main (shallow update not allowed)\n",
            // A policy hook that mentions what it forbids.
            "remote: non-fast-forward pushes and direct commits to main are not allowed; open a merge request\n ! [remote rejected] abc -> main (pre-receive hook declined)\n",
            // A ref the remote can never write: locking fails every time.
            "remote: error: cannot lock ref 'refs/heads/main': Unable to create '/srv/gitops.git/refs/heads/main.lock': Permission denied\n ! [remote rejected] abc -> main (cannot lock ref 'refs/heads/main': Unable to create '/srv/gitops.git/refs/heads/main.lock': Permission denied)\n",
            "fatal: ref updates aborted by hook\nfatal: the remote end hung up unexpectedly\n",
            "fatal: could not read Username for 'https://github.com': terminal prompts disabled\n",
            "git push failed: timed out after 120s and was stopped",
        ];
        for stderr in final_answers {
            assert!(!is_push_race(stderr), "{stderr}");
        }
    }
}
