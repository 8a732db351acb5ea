//! Indexes the history of the GitOps files into the store: who pointed
//! which service at which branch, and when each sandbox was created.

use std::collections::HashMap;

use super::{
    files::parse_environment_file,
    git::{CommitInfo, Git, GitError},
};
use crate::store::{
    EnvironmentChange, HistoryBatch, IndexedCommit, SandboxAction, SandboxChange, Store, StoreError,
};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The files of one repository whose history Berth keeps.
pub struct Tracked<'a> {
    pub environment_files: Vec<&'a str>,
    pub sandbox_dir: Option<&'a str>,
}

/// Brings the store's index of `repository` up to `head`. Incremental when
/// the last indexed head is an ancestor; from scratch after a force push.
pub async fn index(
    git: &Git,
    store: &dyn Store,
    repository: &str,
    head: &str,
    tracked: &Tracked<'_>,
) -> Result<(), IndexError> {
    let last = store.indexed_head(repository).await?;
    if last.as_deref() == Some(head) {
        return Ok(());
    }
    let base = match last {
        Some(last) if git.is_ancestor(&last, head).await => Some(last),
        _ => None,
    };
    let range = match &base {
        Some(last) => format!("{last}..{head}"),
        None => head.to_string(),
    };
    let mut paths: Vec<&str> = tracked.environment_files.clone();
    if let Some(dir) = tracked.sandbox_dir {
        paths.push(dir);
    }
    let commits = git.log(&range, &paths).await?;

    // The mapping each environment file had before this batch.
    let before_specs: Vec<String> = match &base {
        Some(last) => tracked
            .environment_files
            .iter()
            .map(|f| format!("{last}:{f}"))
            .collect(),
        None => Vec::new(),
    };
    let before = git.read_blobs(&before_specs).await?;
    let mut previous: HashMap<&str, Vec<(String, String)>> = tracked
        .environment_files
        .iter()
        .enumerate()
        .map(|(i, f)| (*f, mapping(f, before.get(i).cloned().flatten().as_deref())))
        .collect();

    let wanted: Vec<(usize, &str)> = commits
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            c.changes
                .iter()
                .filter(|(status, path)| {
                    *status != 'D' && tracked.environment_files.contains(&path.as_str())
                })
                .map(move |(_, path)| (i, path.as_str()))
        })
        .collect();
    let specs: Vec<String> = wanted
        .iter()
        .map(|(i, p)| format!("{}:{p}", commits[*i].sha))
        .collect();
    let contents: HashMap<(usize, &str), Option<String>> = wanted
        .iter()
        .copied()
        .zip(git.read_blobs(&specs).await?)
        .collect();

    let mut batch = HistoryBatch::default();
    for (i, commit) in commits.iter().enumerate() {
        batch.commits.push(indexed(commit));
        for (status, path) in &commit.changes {
            if let Some(prev) = previous.get_mut(path.as_str()) {
                let text = if *status == 'D' {
                    None
                } else {
                    contents.get(&(i, path.as_str())).cloned().flatten()
                };
                let next = mapping(path, text.as_deref());
                batch
                    .environment_changes
                    .extend(diff(path, &commit.sha, prev, &next));
                *prev = next;
            } else if let Some(action) = sandbox_action(tracked.sandbox_dir, *status, path) {
                batch.sandbox_changes.push(SandboxChange {
                    file: path.clone(),
                    action,
                    sha: commit.sha.clone(),
                });
            }
        }
    }
    store
        .record_history(repository, head, batch, base.is_none())
        .await?;
    Ok(())
}

fn indexed(commit: &CommitInfo) -> IndexedCommit {
    IndexedCommit {
        sha: commit.sha.clone(),
        author_name: commit.author_name.clone(),
        author_email: commit.author_email.clone(),
        at: commit.at,
        subject: commit.subject.clone(),
    }
}

fn mapping(file: &str, text: Option<&str>) -> Vec<(String, String)> {
    text.map(|t| {
        parse_environment_file(file, t)
            .entries
            .into_iter()
            .map(|e| (e.service, e.branch))
            .collect()
    })
    .unwrap_or_default()
}

/// The services whose branch differs between two versions of a file.
pub fn diff(
    file: &str,
    sha: &str,
    before: &[(String, String)],
    after: &[(String, String)],
) -> Vec<EnvironmentChange> {
    let find = |list: &[(String, String)], service: &str| {
        list.iter()
            .find(|(s, _)| s == service)
            .map(|(_, b)| b.clone())
    };
    let change = |service: &str, from, to| EnvironmentChange {
        file: file.into(),
        service: service.into(),
        from,
        to,
        sha: sha.into(),
    };
    let mut changes: Vec<EnvironmentChange> = after
        .iter()
        .filter_map(|(service, branch)| {
            let old = find(before, service);
            (old.as_ref() != Some(branch)).then(|| change(service, old, Some(branch.clone())))
        })
        .collect();
    changes.extend(
        before
            .iter()
            .filter(|(service, _)| find(after, service).is_none())
            .map(|(service, branch)| change(service, Some(branch.clone()), None)),
    );
    changes
}

fn sandbox_action(dir: Option<&str>, status: char, path: &str) -> Option<SandboxAction> {
    let dir = dir?.trim_end_matches('/');
    let name = path.strip_prefix(dir)?.strip_prefix('/')?;
    if name.contains('/') || !name.ends_with(".yaml") {
        return None;
    }
    match status {
        'A' => Some(SandboxAction::Created),
        'D' => Some(SandboxAction::Deleted),
        _ => Some(SandboxAction::Updated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(s, b)| (s.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn diff_reports_changed_added_and_removed_services() {
        let before = m(&[("a", "main"), ("b", "x"), ("c", "main")]);
        let after = m(&[("a", "main"), ("b", "y"), ("d", "z")]);
        let got: Vec<_> = diff("f", "s", &before, &after)
            .into_iter()
            .map(|c| (c.service, c.from, c.to))
            .collect();
        assert_eq!(
            got,
            [
                ("b".into(), Some("x".into()), Some("y".into())),
                ("d".into(), None, Some("z".into())),
                ("c".into(), Some("main".into()), None),
            ]
        );
    }

    #[test]
    fn only_direct_yaml_children_are_sandboxes() {
        assert_eq!(
            sandbox_action(Some("sandboxes"), 'A', "sandboxes/ann.yaml"),
            Some(SandboxAction::Created)
        );
        assert_eq!(
            sandbox_action(Some("sandboxes/"), 'D', "sandboxes/ann.yaml"),
            Some(SandboxAction::Deleted)
        );
        assert_eq!(
            sandbox_action(Some("sandboxes"), 'A', "sandboxes/README.md"),
            None
        );
        assert_eq!(
            sandbox_action(Some("sandboxes"), 'A', "sandboxes/x/y.yaml"),
            None
        );
        assert_eq!(
            sandbox_action(Some("sandboxes"), 'A', "sandboxes-old/y.yaml"),
            None
        );
        assert_eq!(sandbox_action(None, 'A', "sandboxes/y.yaml"), None);
    }
}
