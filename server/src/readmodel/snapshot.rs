//! Reading one GitOps repository into a snapshot: fetch, parse the
//! environment and sandbox files at the head commit, index the history.

use std::collections::HashMap;

use app::model::CommitSummary;

use crate::{
    config::{Config, RepositoryConfig},
    error::Result,
    gitops::{
        dirs::mirror_dir,
        files::{
            not_utf8, parse_environment_file, parse_sandbox_file, too_large, unread_sandbox,
            EnvironmentFile, Problem, SandboxFile, MAX_FILE_BYTES,
        },
        git::{Blob, Git},
        history::{self, Tracked},
        names::check_sandbox_name,
    },
    store::Store,
};

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// In the order of the configured repositories.
    pub repos: Vec<RepoParts>,
    pub loaded: bool,
    /// The overview, made once per snapshot: it is the page everyone opens.
    pub overview: Option<app::model::Overview>,
}

/// What one repository contributes to the snapshot.
#[derive(Debug, Clone)]
pub struct RepoParts {
    pub name: String,
    pub branch: String,
    /// Empty until the repository was read once.
    pub commit: String,
    pub fetched_at: i64,
    pub error: Option<String>,
    /// Environment name -> its parsed file and the newest change per service.
    pub environments: HashMap<String, EnvironmentState>,
    /// Present when this repository holds the sandbox directory.
    pub sandboxes: Option<Sandboxes>,
}

/// One environment file as read, with the newest change of each service.
#[derive(Debug, Clone)]
pub struct EnvironmentState {
    pub file: EnvironmentFile,
    pub latest: HashMap<String, CommitSummary>,
}

/// One sandbox file as read, its problems, and the commit that created it.
#[derive(Debug, Clone)]
pub struct SandboxState {
    pub file: SandboxFile,
    pub problems: Vec<Problem>,
    pub created: Option<CommitSummary>,
}

#[derive(Debug, Clone, Default)]
pub struct Sandboxes {
    pub sandboxes: Vec<SandboxState>,
    /// Files in the sandbox directory that cannot be a sandbox.
    pub problems: Vec<Problem>,
}

impl RepoParts {
    pub fn empty(repo: &RepositoryConfig) -> RepoParts {
        RepoParts {
            name: repo.name.clone(),
            branch: repo.branch.clone(),
            commit: String::new(),
            fetched_at: 0,
            error: None,
            environments: HashMap::new(),
            sandboxes: None,
        }
    }
}

impl Snapshot {
    pub fn repo(&self, name: &str) -> Option<&RepoParts> {
        self.repos.iter().find(|r| r.name == name)
    }
}

pub async fn load_repository(
    config: &Config,
    repo: &RepositoryConfig,
    store: &dyn Store,
) -> Result<RepoParts> {
    let git = Git::new(mirror_dir(config, repo), repo.credentials.clone())
        .with_timeout(config.git_timeout());
    let head = git.sync_mirror(&repo.url, &repo.branch).await?;
    let mut parts = RepoParts::empty(repo);
    parts.commit = head.clone();
    parts.fetched_at = crate::clock::unix_now();

    let envs: Vec<(&str, &str)> = config
        .environments
        .iter()
        .filter(|e| config.repository(e.repository.as_deref()).name == repo.name)
        .filter_map(|e| Some((e.name.as_str(), e.file.as_deref()?)))
        .collect();
    let holds_sandboxes = config
        .repository(config.sandboxes.repository.as_deref())
        .name
        == repo.name;
    let sandbox_dir = holds_sandboxes.then_some(config.sandboxes.dir.as_str());

    let tracked = Tracked {
        environment_files: envs.iter().map(|(_, f)| *f).collect(),
        sandbox_dir,
    };
    // A failing index leaves older "last changed" data but must not hide
    // what the repository says now.
    if let Err(err) = history::index(&git, store, &repo.name, &head, &tracked).await {
        tracing::warn!(repository = %repo.name, %err, "history indexing failed");
        parts.error =
            Some("the history could not be indexed; \"last changed\" may be older".into());
    }

    let specs: Vec<String> = envs
        .iter()
        .map(|(_, file)| format!("{head}:{file}"))
        .collect();
    let texts = git.read_blobs_up_to(&specs, MAX_FILE_BYTES as u64).await?;
    for ((name, file), text) in envs.iter().zip(texts) {
        let parsed = match text {
            Blob::Text(text) => parse_environment_file(file, &text),
            Blob::TooLarge { size } => EnvironmentFile {
                entries: Vec::new(),
                problems: vec![too_large(file, size)],
            },
            Blob::NotUtf8 { byte, line, .. } => EnvironmentFile {
                entries: Vec::new(),
                problems: vec![not_utf8(file, byte, line)],
            },
            Blob::Missing => EnvironmentFile {
                entries: Vec::new(),
                problems: vec![Problem {
                    file: file.to_string(),
                    line: None,
                    message: format!("the file does not exist on `{}`", repo.branch),
                }],
            },
        };
        let latest = store.latest_environment_changes(&repo.name, file).await?;
        parts.environments.insert(
            name.to_string(),
            EnvironmentState {
                file: parsed,
                latest,
            },
        );
    }

    if let Some(dir) = sandbox_dir {
        parts.sandboxes = Some(load_sandboxes(&git, store, &repo.name, &head, dir).await?);
    }
    Ok(parts)
}

async fn load_sandboxes(
    git: &Git,
    store: &dyn Store,
    repository: &str,
    head: &str,
    dir: &str,
) -> Result<Sandboxes> {
    let files: Vec<String> = git
        .list_files(head, dir)
        .await?
        .into_iter()
        .filter(|f| f.ends_with(".yaml"))
        .collect();
    let specs: Vec<String> = files.iter().map(|f| format!("{head}:{f}")).collect();
    let texts = git.read_blobs_up_to(&specs, MAX_FILE_BYTES as u64).await?;
    let created = store.sandbox_creations(repository, dir).await?;
    let mut result = Sandboxes::default();
    for (file, text) in files.iter().zip(texts) {
        let name = file
            .rsplit('/')
            .next()
            .unwrap_or(file)
            .trim_end_matches(".yaml");
        let parsed = match text {
            Blob::Text(text) => parse_sandbox_file(file, name, &text),
            Blob::TooLarge { size } => unread_sandbox(file, name, too_large(file, size)),
            Blob::NotUtf8 { byte, line, .. } => {
                unread_sandbox(file, name, not_utf8(file, byte, line))
            }
            // A name that is not UTF-8 (listed as `\xNN`) names no blob,
            // but is still reported as no sandbox name.
            Blob::Missing if check_sandbox_name(name).is_err() => {
                parse_sandbox_file(file, name, "")
            }
            Blob::Missing => continue,
        };
        match parsed {
            (Some(sandbox), problems) => {
                let when = created.get(file).cloned();
                result.sandboxes.push(SandboxState {
                    file: sandbox,
                    problems,
                    created: when,
                });
            }
            (None, problems) => result.problems.extend(problems),
        }
    }
    result
        .sandboxes
        .sort_by(|a, b| a.file.name.cmp(&b.file.name));
    Ok(result)
}
