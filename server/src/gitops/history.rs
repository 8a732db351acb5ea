//! Indexes the history of the GitOps files into the store: who pointed
//! which service at which branch, and when each sandbox was created.
//! Versions are read only up to `MAX_FILE_BYTES`; a version that cannot be
//! read is skipped, so it does not show every service as removed.

use std::collections::HashMap;

use super::{
    files::{parse_environment_file, MAX_FILE_BYTES},
    git::{Blob, CommitInfo, Git, GitError},
    yaml,
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
    let mut previous: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    let before_specs: Vec<String> = match &base {
        Some(last) => tracked
            .environment_files
            .iter()
            .map(|f| format!("{last}:{f}"))
            .collect(),
        None => Vec::new(),
    };
    let before = git
        .read_blobs_up_to(&before_specs, MAX_FILE_BYTES as u64)
        .await?;
    for (i, file) in tracked.environment_files.iter().enumerate() {
        let known = match (&base, before.get(i)) {
            (Some(last), Some(blob)) => match reading(file, blob) {
                Some(known) => known,
                None => last_readable(git, last, file).await?,
            },
            _ => Vec::new(),
        };
        previous.insert(file, known);
    }

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
    let contents: HashMap<(usize, &str), Blob> = wanted
        .iter()
        .copied()
        .zip(git.read_blobs_up_to(&specs, MAX_FILE_BYTES as u64).await?)
        .collect();

    let batch = fold(&commits, &contents, previous, tracked.sandbox_dir);
    store
        .record_history(repository, head, batch, base.is_none())
        .await?;
    Ok(())
}

/// The rows for `commits`, each tracked environment file going from its
/// `previous` reading version by version.
fn fold(
    commits: &[CommitInfo],
    contents: &HashMap<(usize, &str), Blob>,
    mut previous: HashMap<&str, Vec<(String, String)>>,
    sandbox_dir: Option<&str>,
) -> HistoryBatch {
    let mut batch = HistoryBatch::default();
    for (i, commit) in commits.iter().enumerate() {
        batch.commits.push(indexed(commit));
        for (status, path) in &commit.changes {
            if let Some(prev) = previous.get_mut(path.as_str()) {
                let next = match (status, contents.get(&(i, path.as_str()))) {
                    ('D', _) => Some(Vec::new()),
                    (_, Some(blob)) => reading(path, blob),
                    (_, None) => None,
                };
                // An unreadable version says nothing about its services;
                // the previous reading stands until a readable one.
                let Some(next) = next else { continue };
                batch
                    .environment_changes
                    .extend(diff(path, &commit.sha, prev, &next));
                *prev = next;
            } else if let Some(action) = sandbox_action(sandbox_dir, *status, path) {
                batch.sandbox_changes.push(SandboxChange {
                    file: path.clone(),
                    action,
                    sha: commit.sha.clone(),
                });
            }
        }
    }
    batch
}

/// How many earlier versions are tried when the file at the last indexed
/// head cannot be read; beyond them the reading starts empty.
const LOOKBACK: usize = 20;

/// The reading of `file` when its version at `base` cannot be read: that
/// of its newest readable version before, as a from-scratch index keeps.
async fn last_readable(
    git: &Git,
    base: &str,
    file: &str,
) -> Result<Vec<(String, String)>, GitError> {
    let versions = git.log(base, &[file]).await?;
    let specs: Vec<String> = versions
        .iter()
        .rev()
        .take(LOOKBACK)
        .map(|c| format!("{}:{file}", c.sha))
        .collect();
    let blobs = git.read_blobs_up_to(&specs, MAX_FILE_BYTES as u64).await?;
    Ok(blobs
        .iter()
        .find_map(|blob| reading(file, blob))
        .unwrap_or_default())
}

/// The services of one version of an environment file (none when it does
/// not exist), or `None` when the version cannot be read as a whole: too
/// large, not YAML, not a mapping, or read differently by Argo CD.
fn reading(file: &str, blob: &Blob) -> Option<Vec<(String, String)>> {
    let text = match blob {
        Blob::Missing => return Some(Vec::new()),
        Blob::TooLarge { .. } | Blob::NotUtf8 { .. } => return None,
        Blob::Text(text) => text,
    };
    let whole = yaml::check_portable(text).is_ok()
        && matches!(
            yaml::parse(text),
            Ok(None | Some(yaml::Node::Mapping { .. }))
        );
    whole.then(|| {
        parse_environment_file(file, text)
            .entries
            .into_iter()
            .map(|e| (e.service, e.branch))
            .collect()
    })
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
mod tests;
