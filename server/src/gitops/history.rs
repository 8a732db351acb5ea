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
        Blob::TooLarge { .. } => return None,
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

    fn commit(sha: &str, status: char) -> CommitInfo {
        CommitInfo {
            sha: sha.into(),
            author_name: "Ann".into(),
            author_email: "ann@x".into(),
            at: 0,
            subject: sha.into(),
            changes: vec![(status, "dev.yaml".into())],
        }
    }

    #[test]
    fn versions_that_cannot_be_read_keep_the_previous_reading() {
        let text = |t: &str| Blob::Text(t.into());
        let versions = [
            ('A', text("a: x\nb: main\n")),
            ('M', Blob::TooLarge { size: 1 << 30 }),
            ('M', text("a: z\nb: main\n")),
            ('M', text("a: [z\n")),
            ('M', text("a: z\n# x\u{2028}b: evil\n")),
            ('M', text("- a\n")),
            ('D', Blob::Missing),
        ];
        let commits: Vec<CommitInfo> = versions
            .iter()
            .enumerate()
            .map(|(i, (status, _))| commit(&format!("c{i}"), *status))
            .collect();
        let contents: HashMap<(usize, &str), Blob> = versions
            .into_iter()
            .enumerate()
            .map(|(i, (_, blob))| ((i, "dev.yaml"), blob))
            .collect();
        let previous = HashMap::from([("dev.yaml", Vec::new())]);
        let batch = fold(&commits, &contents, previous, None);
        let got: Vec<_> = batch
            .environment_changes
            .iter()
            .map(|c| {
                (
                    c.sha.as_str(),
                    c.service.as_str(),
                    c.from.as_deref(),
                    c.to.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("c0", "a", None, Some("x")),
                ("c0", "b", None, Some("main")),
                ("c2", "a", Some("x"), Some("z")),
                ("c6", "a", Some("z"), None),
                ("c6", "b", Some("main"), None),
            ]
        );
        assert_eq!(batch.commits.len(), 7, "every commit is still listed");
    }

    #[tokio::test]
    async fn an_unreadable_file_at_the_indexed_head_reads_as_its_last_readable_version() {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(["-c", "user.name=Ann", "-c", "user.email=ann@x"])
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        };
        run(&["init", "--quiet"]);
        let commit = |text: &str| {
            std::fs::write(dir.path().join("dev.yaml"), text).unwrap();
            run(&["add", "dev.yaml"]);
            run(&["commit", "--quiet", "-m", "edit"]);
            run(&["rev-parse", "HEAD"])
        };
        commit("a: x\n");
        commit("a: w\n");
        commit(&format!("a: z\n{}", "# padding\n".repeat(30_000)));
        let head = commit("a: [broken\n");
        let git = Git::new(dir.path(), Default::default());
        let known = last_readable(&git, &head, "dev.yaml").await.unwrap();
        assert_eq!(known, [("a".to_string(), "w".to_string())]);
    }
}
