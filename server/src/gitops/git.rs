//! The git CLI, run as a child process. Berth keeps bare mirrors of the
//! GitOps repositories and reads files straight from commits, so no
//! working tree can drift from what was fetched. Every command has a
//! timeout, so a remote that never answers cannot block a writer's queue.

mod batch;

use std::{
    path::PathBuf,
    process::{Output, Stdio},
    time::Duration,
};

use base64::Engine;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt, BufReader},
    process::{Child, Command},
};

pub use batch::Blob;

use crate::config::Credentials;

/// How long one git command may take. Generous: a first clone of a large
/// GitOps repository over a slow link must still finish.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
#[error("git {command} failed: {message}")]
pub struct GitError {
    pub command: String,
    pub message: String,
}

/// One commit of a file history, oldest first when listed.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitInfo {
    pub sha: String,
    pub author_name: String,
    pub author_email: String,
    pub at: i64,
    pub subject: String,
    /// `(status letter, path)` for every path the commit touched.
    pub changes: Vec<(char, String)>,
}

#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
    credentials: Credentials,
    timeout: Duration,
}

impl Git {
    pub fn new(dir: impl Into<PathBuf>, credentials: Credentials) -> Self {
        Git {
            dir: dir.into(),
            credentials,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same, stopping any git command that runs longer than `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    fn command(&self, args: &[&str]) -> Result<Command, GitError> {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(&self.dir)
            .args(["-c", "core.quotePath=false"])
            .args(args);
        // Never wait for a password prompt that nobody will answer.
        cmd.env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "true");
        cmd.stdin(Stdio::null()).kill_on_drop(true);
        // Its own process group, so a timeout also stops the helpers git
        // starts (ssh, git-remote-https, upload-pack), which would
        // otherwise keep waiting on the remote.
        #[cfg(unix)]
        cmd.process_group(0);
        if let Some(key) = &self.credentials.ssh_key_file {
            cmd.env(
                "GIT_SSH_COMMAND",
                format!(
                    "ssh -i '{}' -o IdentitiesOnly=yes -o BatchMode=yes",
                    key.display()
                ),
            );
        }
        if let Some(token) = self.credentials.token().map_err(|message| GitError {
            command: args.first().unwrap_or(&"").to_string(),
            message,
        })? {
            // Passed through the environment, not argv, so it never shows in `ps`.
            let basic =
                base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
            cmd.env("GIT_CONFIG_COUNT", "1")
                .env("GIT_CONFIG_KEY_0", "http.extraHeader")
                .env(
                    "GIT_CONFIG_VALUE_0",
                    format!("Authorization: Basic {basic}"),
                );
        }
        Ok(cmd)
    }

    /// Runs git and returns its output as text. Bytes that are not UTF-8
    /// become U+FFFD, which is only right for output that is ASCII (hashes,
    /// tree ids) or only shown (ref names, commit subjects): file content
    /// is read with `read_blobs_up_to`, which never decodes lossily, and
    /// file names with `list_files`.
    pub async fn run(&self, args: &[&str]) -> Result<String, GitError> {
        self.run_with(args, &[], None).await
    }

    /// Runs git with extra environment variables and, optionally, bytes on
    /// its standard input; the output is decoded as `run` does.
    pub async fn run_with(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&[u8]>,
    ) -> Result<String, GitError> {
        let out = self.run_bytes(args, env, stdin).await?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Runs git and returns its output as bytes.
    async fn run_bytes(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, GitError> {
        let name = args.first().copied().unwrap_or_default();
        let mut cmd = self.command(args)?;
        cmd.envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().map_err(|err| GitError {
            command: name.to_string(),
            message: format!("cannot start git: {err}"),
        })?;
        let writer = stdin.map(|bytes| {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            let input = bytes.to_vec();
            tokio::spawn(async move {
                let _ = pipe.write_all(&input).await;
            })
        });
        let output = self.wait(name, child).await?;
        if let Some(writer) = writer {
            let _ = writer.await;
        }
        if !output.status.success() {
            return Err(GitError {
                command: name.to_string(),
                // Only logged and shown, never written back.
                message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Ok(output.stdout)
    }

    /// Waits for `child` at most `self.timeout`.
    async fn wait(&self, name: &str, child: Child) -> Result<Output, GitError> {
        let pid = child.id();
        match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(output) => output.map_err(|err| GitError {
                command: name.to_string(),
                message: err.to_string(),
            }),
            Err(_) => Err(self.timed_out(name, pid).await),
        }
    }

    /// The error for a command that ran out of time, once it is stopped.
    /// Dropping the child killed git itself (`kill_on_drop`); its helpers
    /// are killed with its process group.
    async fn timed_out(&self, name: &str, pid: Option<u32>) -> GitError {
        #[cfg(unix)]
        if let Some(pid) = pid {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{pid}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await;
        }
        #[cfg(not(unix))]
        let _ = pid;
        GitError {
            command: name.to_string(),
            message: format!(
                "timed out after {} and was stopped",
                describe_duration(self.timeout)
            ),
        }
    }

    /// Makes `self.dir` a bare mirror of `branch` of `url`, fetching when it
    /// already exists, and returns the branch's head commit.
    pub async fn sync_mirror(&self, url: &str, branch: &str) -> Result<String, GitError> {
        if !self.dir.join("HEAD").exists() {
            tokio::fs::create_dir_all(&self.dir)
                .await
                .map_err(|err| GitError {
                    command: "init".into(),
                    message: format!("cannot create {}: {err}", self.dir.display()),
                })?;
            self.run(&["init", "--quiet", "--bare"]).await?;
        }
        let refspec = format!("+refs/heads/{branch}:refs/heads/{branch}");
        self.run(&["fetch", "--quiet", "--no-tags", url, &refspec])
            .await?;
        self.rev_parse(&format!("refs/heads/{branch}")).await
    }

    /// Branch name -> head commit, for every branch.
    pub async fn branch_heads(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, GitError> {
        let format = "--format=%(refname:lstrip=2) %(objectname)";
        let out = self.run(&["for-each-ref", format, "refs/heads/"]).await?;
        Ok(out
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(branch, sha)| (branch.to_string(), sha.to_string()))
            .collect())
    }

    pub async fn rev_parse(&self, rev: &str) -> Result<String, GitError> {
        Ok(self
            .run(&[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ])
            .await?
            .trim()
            .to_string())
    }

    pub async fn is_ancestor(&self, older: &str, newer: &str) -> bool {
        self.run(&["merge-base", "--is-ancestor", older, newer])
            .await
            .is_ok()
    }

    /// Paths of the files directly inside `dir` at `commit`. Git stores
    /// names as bytes; a name that is not UTF-8 comes back with each bad
    /// byte written `\xNN`, so it is listed (and reported as no valid
    /// name) instead of silently becoming another file's name.
    pub async fn list_files(&self, commit: &str, dir: &str) -> Result<Vec<String>, GitError> {
        let dir = dir.trim_end_matches('/');
        let out = self
            .run_bytes(
                &[
                    "ls-tree",
                    "-z",
                    "--name-only",
                    commit,
                    "--",
                    &format!("{dir}/"),
                ],
                &[],
                None,
            )
            .await?;
        Ok(out
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| p.utf8_chunks().map(escape_chunk).collect())
            .collect())
    }

    /// Reads many `rev:path` blobs with one `git cat-file --batch`, keeping
    /// only those of at most `max_bytes`: a larger one is
    /// `Blob::TooLarge`, skipped as it streams by and never held in memory.
    /// One that is not UTF-8 is `Blob::NotUtf8`, never decoded.
    pub async fn read_blobs_up_to(
        &self,
        specs: &[String],
        max_bytes: u64,
    ) -> Result<Vec<Blob>, GitError> {
        if specs.is_empty() {
            return Ok(Vec::new());
        }
        let failed = |message: String| GitError {
            command: "cat-file".into(),
            message,
        };
        let mut cmd = self.command(&["cat-file", "--batch"])?;
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|err| failed(err.to_string()))?;
        let pid = child.id();
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input: String = specs.iter().map(|s| format!("{s}\n")).collect();
        // Written from its own task: git starts answering before it has read
        // everything, and a full pipe on both sides would deadlock.
        let writer = tokio::spawn(async move {
            let _ = stdin.write_all(input.as_bytes()).await;
        });
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let expected = specs.len();
        let work = async move {
            let errors = tokio::spawn(async move {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text).await;
                text
            });
            let blobs = batch::read_batch(stdout, expected, max_bytes).await;
            let status = child.wait().await;
            (blobs, status, errors.await.unwrap_or_default())
        };
        let (blobs, status, errors) = match tokio::time::timeout(self.timeout, work).await {
            Ok(done) => done,
            Err(_) => return Err(self.timed_out("cat-file", pid).await),
        };
        let _ = writer.await;
        if !status.map_err(|err| failed(err.to_string()))?.success() {
            return Err(failed(errors.trim().to_string()));
        }
        blobs.map_err(failed)
    }

    /// Commits that touched `paths` in `range` (oldest first), following the
    /// first parent so merges count as one change on the branch.
    pub async fn log(&self, range: &str, paths: &[&str]) -> Result<Vec<CommitInfo>, GitError> {
        let mut args = vec![
            "log",
            "--reverse",
            "--first-parent",
            "--diff-merges=first-parent",
            "--no-renames",
            "--name-status",
            "--format=%x1e%H%x1f%an%x1f%ae%x1f%at%x1f%s",
            range,
            "--",
        ];
        args.extend_from_slice(paths);
        Ok(parse_log(&self.run(&args).await?))
    }
}

/// `120s`, `1.5s`, `300ms`.
fn describe_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 && duration.as_secs() > 0 {
        format!("{}s", duration.as_secs())
    } else if duration.as_secs() > 0 {
        format!("{:.1}s", duration.as_secs_f64())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

/// `text` with each of its invalid bytes written `\xNN`.
fn escape_chunk(chunk: std::str::Utf8Chunk<'_>) -> String {
    let mut text = chunk.valid().to_string();
    for byte in chunk.invalid() {
        text.push_str(&format!("\\x{byte:02X}"));
    }
    text
}

/// The output of `log`. It was decoded lossily by `run`: an author or a
/// subject that is not UTF-8 shows U+FFFD, which is fine because they are
/// only shown and stored for display, never written back into a file.
fn parse_log(text: &str) -> Vec<CommitInfo> {
    text.split('\u{1e}')
        .filter_map(|record| {
            let mut lines = record.lines();
            let header = lines.next()?;
            let fields: Vec<&str> = header.splitn(5, '\u{1f}').collect();
            if fields.len() != 5 {
                return None;
            }
            let changes = lines
                .filter_map(|line| {
                    let (status, path) = line.split_once('\t')?;
                    Some((status.chars().next()?, path.to_string()))
                })
                .collect();
            Some(CommitInfo {
                sha: fields[0].to_string(),
                author_name: fields[1].to_string(),
                author_email: fields[2].to_string(),
                at: fields[3].parse().unwrap_or(0),
                subject: fields[4].to_string(),
                changes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_in_a_name_are_shown_escaped() {
        let name: String = b"sandboxes/caf\xe9.yaml"
            .utf8_chunks()
            .map(escape_chunk)
            .collect();
        assert_eq!(name, "sandboxes/caf\\xE9.yaml");
    }

    #[test]
    fn log_records_carry_their_changes() {
        let text = "\u{1e}aaa\u{1f}Ann\u{1f}ann@x\u{1f}100\u{1f}Point dev: at x\n\nM\tenvironments/dev.yaml\nA\tsandboxes/ann.yaml\n\u{1e}bbb\u{1f}Bo\u{1f}bo@x\u{1f}200\u{1f}msg\n\nD\tsandboxes/ann.yaml\n";
        let commits = parse_log(text);
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].subject, "Point dev: at x");
        assert_eq!(
            commits[0].changes,
            [
                ('M', "environments/dev.yaml".to_string()),
                ('A', "sandboxes/ann.yaml".to_string())
            ]
        );
        assert_eq!(commits[1].at, 200);
    }
}
