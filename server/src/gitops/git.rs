//! The git CLI, run as a child process. Berth keeps bare mirrors of the
//! GitOps repositories and reads files straight from commits, so no
//! working tree can drift from what was fetched.

use std::{path::PathBuf, process::Stdio};

use base64::Engine;
use tokio::{io::AsyncWriteExt, process::Command};

use crate::config::Credentials;

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
}

impl Git {
    pub fn new(dir: impl Into<PathBuf>, credentials: Credentials) -> Self {
        Git {
            dir: dir.into(),
            credentials,
        }
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

    pub async fn run(&self, args: &[&str]) -> Result<String, GitError> {
        self.run_with(args, &[], None).await
    }

    /// Runs git with extra environment variables and, optionally, bytes on
    /// its standard input.
    pub async fn run_with(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&[u8]>,
    ) -> Result<String, GitError> {
        let mut cmd = self.command(args)?;
        cmd.envs(env.iter().copied());
        let start_error = |err: std::io::Error| GitError {
            command: args.join(" "),
            message: format!("cannot start git: {err}"),
        };
        let output = match stdin {
            None => cmd.output().await.map_err(start_error)?,
            Some(bytes) => {
                cmd.stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                let mut child = cmd.spawn().map_err(start_error)?;
                let mut pipe = child.stdin.take().expect("stdin is piped");
                let input = bytes.to_vec();
                let writer = tokio::spawn(async move {
                    let _ = pipe.write_all(&input).await;
                });
                let output = child.wait_with_output().await.map_err(start_error)?;
                let _ = writer.await;
                output
            }
        };
        if !output.status.success() {
            return Err(GitError {
                command: args.first().unwrap_or(&"").to_string(),
                message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
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

    /// Paths of the files directly inside `dir` at `commit`.
    pub async fn list_files(&self, commit: &str, dir: &str) -> Result<Vec<String>, GitError> {
        let dir = dir.trim_end_matches('/');
        let out = self
            .run(&[
                "ls-tree",
                "-z",
                "--name-only",
                commit,
                "--",
                &format!("{dir}/"),
            ])
            .await?;
        Ok(out
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// Reads many `rev:path` blobs with one `git cat-file --batch`; a missing
    /// one is `None`.
    pub async fn read_blobs(&self, specs: &[String]) -> Result<Vec<Option<String>>, GitError> {
        if specs.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = self.command(&["cat-file", "--batch"])?;
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let spawn_error = |err: std::io::Error| GitError {
            command: "cat-file".into(),
            message: err.to_string(),
        };
        let mut child = cmd.spawn().map_err(spawn_error)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input: String = specs.iter().map(|s| format!("{s}\n")).collect();
        // Written from its own task: git starts answering before it has read
        // everything, and a full pipe on both sides would deadlock.
        let writer = tokio::spawn(async move {
            let _ = stdin.write_all(input.as_bytes()).await;
        });
        let output = child.wait_with_output().await.map_err(spawn_error)?;
        let _ = writer.await;
        if !output.status.success() {
            return Err(GitError {
                command: "cat-file".into(),
                message: String::from_utf8_lossy(&output.stderr).trim().into(),
            });
        }
        parse_batch_output(&output.stdout, specs.len())
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

fn parse_batch_output(bytes: &[u8], expected: usize) -> Result<Vec<Option<String>>, GitError> {
    let bad = |message: &str| GitError {
        command: "cat-file".into(),
        message: message.into(),
    };
    let mut blobs = Vec::with_capacity(expected);
    let mut rest = bytes;
    while blobs.len() < expected {
        let newline = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| bad("truncated output"))?;
        let header =
            std::str::from_utf8(&rest[..newline]).map_err(|_| bad("header is not UTF-8"))?;
        rest = &rest[newline + 1..];
        let fields: Vec<&str> = header.split(' ').collect();
        if fields.len() == 3 && fields[1] == "blob" {
            let size: usize = fields[2].parse().map_err(|_| bad("bad size"))?;
            if rest.len() < size + 1 {
                return Err(bad("truncated blob"));
            }
            blobs.push(Some(String::from_utf8_lossy(&rest[..size]).into_owned()));
            rest = &rest[size + 1..];
        } else if fields.len() == 3 {
            // A tree or other object where a file was expected.
            let size: usize = fields[2].parse().map_err(|_| bad("bad size"))?;
            rest = rest
                .get(size + 1..)
                .ok_or_else(|| bad("truncated object"))?;
            blobs.push(None);
        } else {
            blobs.push(None); // "<spec> missing" or "ambiguous"
        }
    }
    Ok(blobs)
}

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
    fn batch_output_with_missing_objects() {
        let out = b"abc blob 5\nhello\nHEAD:nope missing\ndef blob 0\n\n";
        let blobs = parse_batch_output(out, 3).unwrap();
        assert_eq!(
            blobs,
            [Some("hello".to_string()), None, Some(String::new())]
        );
    }

    #[test]
    fn truncated_batch_output_is_an_error() {
        assert!(parse_batch_output(b"abc blob 50\nhello\n", 1).is_err());
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
