//! A service's default branch as its source repository has it (`git_url`,
//! mirrored in the data dir): each recent commit of the first-parent line
//! with its position, the number of first-parent commits up to it. With
//! it, newest-wins orders commits as git does, not as pushes arrived, and
//! a green build reported only through the API finds its commit without
//! waiting for a push webhook.

use std::collections::HashMap;

use crate::{
    config::ServiceConfig,
    gitops::{dirs::source_dir, git::Git, names::visible_line},
};

use super::Releases;

/// How far back the line is read: commits older than this on the default
/// branch are not deployed anyway.
const WINDOW: usize = 500;

/// One commit of the first-parent line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineCommit {
    pub position: i64,
    pub author: String,
    pub at: i64,
    pub subject: String,
}

impl Releases {
    /// The recent first-parent line of `service`'s default branch, fetched
    /// now; `None` without a `git_url` or when it cannot be read.
    pub(super) async fn first_parent_line(
        &self,
        service: &ServiceConfig,
    ) -> Option<HashMap<String, LineCommit>> {
        let window = format!("--max-count={WINDOW}");
        let line = self.read_line(service, &window).await?;
        Some(line.into_iter().collect())
    }

    /// The first-parent commits of `service`'s default branch made since
    /// `since` (unix seconds), newest first.
    pub(super) async fn merges_since(
        &self,
        service: &ServiceConfig,
        since: i64,
    ) -> Option<Vec<(String, LineCommit)>> {
        self.read_line(service, &format!("--since=@{since}")).await
    }

    /// The default branch fetched now and read with `limit`, a `git log`
    /// option.
    async fn read_line(
        &self,
        service: &ServiceConfig,
        limit: &str,
    ) -> Option<Vec<(String, LineCommit)>> {
        let url = service.git_url.as_ref()?;
        let _fetching = self.source_locks.lock(&service.name).await;
        let git = Git::new(
            source_dir(&self.config, &service.name),
            service.credentials.clone(),
        )
        .with_timeout(self.config.git_timeout());
        let read = async {
            let head = git.sync_mirror(url, &service.default_branch).await?;
            let depth = git
                .run(&["rev-list", "--first-parent", "--count", &head])
                .await?;
            let log = git
                .run(&[
                    "log",
                    "--first-parent",
                    limit,
                    "--format=%H%x1f%an%x1f%ct%x1f%s",
                    &head,
                ])
                .await?;
            Ok::<_, crate::gitops::git::GitError>((depth, log))
        };
        let (depth, log) = match read.await {
            Ok(read) => read,
            Err(err) => {
                tracing::warn!(%err, service = %service.name, "cannot read the default branch; pushes are ordered as they arrive");
                return None;
            }
        };
        let depth: i64 = depth.trim().parse().ok()?;
        Some(parse_line(depth, &log))
    }
}

/// `git log --first-parent` output (newest first) under a head `depth`
/// commits deep, newest first.
fn parse_line(depth: i64, log: &str) -> Vec<(String, LineCommit)> {
    log.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let mut fields = line.splitn(4, '\u{1f}');
            let sha = fields.next()?.to_string();
            let author = visible_line(fields.next()?, 100);
            let at = fields.next()?.parse().ok()?;
            let subject = visible_line(fields.next().unwrap_or(""), 200);
            Some((
                sha,
                LineCommit {
                    position: depth - i as i64,
                    author,
                    at,
                    subject,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_commit_is_as_deep_as_the_line() {
        let log = "bbb\u{1f}Ann\u{1f}200\u{1f}Second\nccc\u{1f}Bo\u{1f}100\u{1f}First\n";
        let line: HashMap<_, _> = parse_line(42, log).into_iter().collect();
        assert_eq!(line["bbb"].position, 42);
        assert_eq!(line["ccc"].position, 41);
        assert_eq!(line["ccc"].subject, "First");
        assert_eq!(line["bbb"].at, 200);
    }
}
