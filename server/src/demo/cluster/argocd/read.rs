//! Reading git as Argo CD's repo server would: the GitOps repositories'
//! environment and sandbox files at their branch heads, when each file
//! last changed, and the branch heads of the services' source
//! repositories. Straight from the bare repositories the config names
//! (the demo's are local paths), with Berth's own parsers. What cannot be
//! read is logged and left out; the caller keeps what it had.

use std::{collections::HashMap, sync::Arc};

use super::desired::{Desired, Reading};
use crate::{
    config::{Config, RepositoryConfig},
    gitops::{
        files::{not_utf8, parse_environment_file, parse_sandbox_file, too_large, MAX_FILE_BYTES},
        git::{Blob, Git},
        names::check_sandbox_name,
    },
};

/// One repository this cluster's Applications come from, and what it holds.
struct Source {
    repo: RepositoryConfig,
    /// `(environment, file)` for each environment file read from it.
    environments: Vec<(String, String)>,
    /// The sandbox directory, if the sandboxes are read from it.
    sandbox_dir: Option<String>,
}

pub struct Reader {
    config: Arc<Config>,
    sources: Vec<Source>,
    /// The last failure logged per repository: one that stays broken is
    /// logged once, not every second.
    failures: HashMap<String, String>,
}

/// When each file last changed, to date the syncs of the Applications
/// that are already there at start-up.
#[derive(Debug, Default)]
pub struct Changes {
    files: HashMap<(String, String), (String, i64)>,
    heads: HashMap<String, (String, i64)>,
}

impl Changes {
    /// The commit that last changed `app`'s file, or its repository's head.
    pub fn of(&self, app: &Desired) -> (&str, i64) {
        let file = app
            .file
            .as_ref()
            .and_then(|f| self.files.get(&(app.repo.clone(), f.clone())));
        match file.or_else(|| self.heads.get(&app.repo)) {
            Some((sha, at)) => (sha, *at),
            None => ("", crate::clock::unix_now()),
        }
    }
}

impl Reader {
    pub fn new(config: Arc<Config>, cluster: &str) -> Reader {
        let mut sources: Vec<Source> = Vec::new();
        let on_cluster =
            |c: Option<&crate::config::ClusterConfig>| c.is_some_and(|c| c.name == cluster);
        let mut source = |repo: &RepositoryConfig| -> usize {
            if let Some(i) = sources.iter().position(|s| s.repo.name == repo.name) {
                return i;
            }
            sources.push(Source {
                repo: repo.clone(),
                environments: Vec::new(),
                sandbox_dir: None,
            });
            sources.len() - 1
        };
        let mut environments = Vec::new();
        for env in config
            .environments
            .iter()
            .filter(|e| on_cluster(config.cluster_of(e)))
        {
            // Prod without a file still needs its repository's revision.
            let i = source(config.repository(env.repository.as_deref()));
            if let Some(file) = &env.file {
                environments.push((i, env.name.clone(), file.clone()));
            }
        }
        let sandboxes = on_cluster(config.sandbox_cluster())
            .then(|| source(config.repository(config.sandboxes.repository.as_deref())));
        for (i, env, file) in environments {
            sources[i].environments.push((env, file));
        }
        if let Some(i) = sandboxes {
            sources[i].sandbox_dir = Some(config.sandboxes.dir.trim_end_matches('/').into());
        }
        Reader {
            config,
            sources,
            failures: HashMap::new(),
        }
    }

    fn git(&self, url: &str, credentials: &crate::config::Credentials) -> Git {
        Git::new(url, credentials.clone()).with_timeout(self.config.git_timeout())
    }

    /// Each repository's branch head; one that cannot be read is left out.
    pub async fn heads(&mut self) -> HashMap<String, String> {
        let mut heads = HashMap::new();
        for i in 0..self.sources.len() {
            let repo = &self.sources[i].repo;
            let git = self.git(&repo.url, &repo.credentials);
            let (name, branch) = (repo.name.clone(), repo.branch.clone());
            match git.rev_parse(&format!("refs/heads/{branch}")).await {
                Ok(head) if !head.is_empty() => {
                    self.failures.remove(&name);
                    heads.insert(name, head);
                }
                Ok(_) => self.failed(&name, format!("it has no branch `{branch}`")),
                Err(err) => self.failed(&name, err.to_string()),
            }
        }
        heads
    }

    fn failed(&mut self, repository: &str, problem: String) {
        if self.failures.get(repository) != Some(&problem) {
            tracing::warn!(repository, %problem, "the demo Argo CD cannot read this repository");
            self.failures.insert(repository.to_string(), problem);
        }
    }

    /// The environment and sandbox files at `heads`.
    pub async fn read(&self, heads: &HashMap<String, String>) -> Reading {
        let mut reading = Reading::default();
        for source in &self.sources {
            let Some(head) = heads.get(&source.repo.name) else {
                continue;
            };
            let git = self.git(&source.repo.url, &source.repo.credentials);
            let specs: Vec<String> = source
                .environments
                .iter()
                .map(|(_, file)| format!("{head}:{file}"))
                .collect();
            match git.read_blobs_up_to(&specs, MAX_FILE_BYTES as u64).await {
                Ok(blobs) => {
                    for ((env, file), blob) in source.environments.iter().zip(blobs) {
                        let problem = match blob {
                            Blob::Text(text) => {
                                let parsed = parse_environment_file(file, &text);
                                match parsed.problems.first() {
                                    None => {
                                        reading.environments.insert(env.clone(), parsed);
                                        continue;
                                    }
                                    Some(problem) => problem.message.clone(),
                                }
                            }
                            other => unreadable(file, other),
                        };
                        tracing::warn!(%file, %problem, "environment file skipped; its Applications stay as they are");
                    }
                }
                Err(err) => tracing::warn!(%err, "cannot read the environment files"),
            }
            if let Some(dir) = &source.sandbox_dir {
                self.read_sandboxes(&git, head, dir, &mut reading).await;
            }
        }
        reading
    }

    async fn read_sandboxes(&self, git: &Git, head: &str, dir: &str, reading: &mut Reading) {
        let files: Vec<String> = match git.list_files(head, dir).await {
            Ok(files) => files.into_iter().filter(|f| f.ends_with(".yaml")).collect(),
            Err(err) => {
                tracing::warn!(%err, "cannot list the sandboxes; they stay as they are");
                return;
            }
        };
        let specs: Vec<String> = files.iter().map(|f| format!("{head}:{f}")).collect();
        let blobs = match git.read_blobs_up_to(&specs, MAX_FILE_BYTES as u64).await {
            Ok(blobs) => blobs,
            Err(err) => {
                tracing::warn!(%err, "cannot read the sandbox files; they stay as they are");
                return;
            }
        };
        let mut names = Vec::new();
        for (file, blob) in files.iter().zip(blobs) {
            let name = file
                .rsplit('/')
                .next()
                .unwrap_or(file)
                .trim_end_matches(".yaml");
            if check_sandbox_name(name).is_err() {
                continue;
            }
            let problem = match blob {
                Blob::Text(text) => match parse_sandbox_file(file, name, &text) {
                    (Some(_), _) => {
                        names.push(name.to_string());
                        continue;
                    }
                    (None, problems) => problems
                        .first()
                        .map_or_else(String::new, |p| p.message.clone()),
                },
                Blob::Missing => continue,
                other => unreadable(file, other),
            };
            tracing::warn!(%file, %problem, "sandbox file skipped; its sandbox stays as it is");
            reading.unread_sandboxes.push(name.to_string());
        }
        reading.sandboxes = Some(names);
    }

    /// When each file last changed (and each head was made), up to `heads`.
    pub async fn changes(&self, heads: &HashMap<String, String>) -> Changes {
        let mut changes = Changes::default();
        for source in &self.sources {
            let name = &source.repo.name;
            let Some(head) = heads.get(name) else {
                continue;
            };
            let git = self.git(&source.repo.url, &source.repo.credentials);
            if let Ok(at) = git.run(&["log", "-1", "--format=%ct", head]).await {
                let at = at.trim().parse().unwrap_or(0);
                changes.heads.insert(name.clone(), (head.clone(), at));
            }
            let mut paths: Vec<&str> = source
                .environments
                .iter()
                .map(|(_, f)| f.as_str())
                .collect();
            paths.extend(source.sandbox_dir.as_deref());
            if paths.is_empty() {
                continue;
            }
            match git.log(head, &paths).await {
                // Oldest first: later commits overwrite earlier ones.
                Ok(commits) => {
                    for commit in commits {
                        for (_, path) in commit.changes {
                            let key = (name.clone(), path);
                            changes.files.insert(key, (commit.sha.clone(), commit.at));
                        }
                    }
                }
                Err(err) => tracing::warn!(%err, "cannot read the GitOps history"),
            }
        }
        changes
    }

    /// `branch`'s first-parent log in `service`'s source repository,
    /// oldest first, with commit times, less the commits whose build
    /// failed (never deployed) but for the head; empty when it cannot be
    /// read.
    pub async fn first_parent(&mut self, service: &str, branch: &str) -> Vec<(String, i64)> {
        let Some(config) = self.config.services.iter().find(|s| s.name == service) else {
            return Vec::new();
        };
        let Some(url) = config.git_url.as_ref() else {
            return Vec::new();
        };
        let git = self.git(url, &config.credentials);
        let rev = format!("refs/heads/{branch}");
        let out = git
            .run(&[
                "log",
                "--reverse",
                "--first-parent",
                "--format=%H %ct %s",
                &rev,
            ])
            .await
            .unwrap_or_default();
        let count = out.lines().count();
        out.lines()
            .enumerate()
            .filter_map(|(i, line)| {
                let mut fields = line.splitn(3, ' ');
                let (sha, at) = (fields.next()?, fields.next()?.parse().ok()?);
                // A commit whose build failed was never deployed; the head
                // is what runs now whatever it says.
                let failed = crate::demo::ci::failed_build(fields.next().unwrap_or(""));
                (!failed || i + 1 == count).then(|| (sha.to_string(), at))
            })
            .collect()
    }

    /// Branch -> head commit in `service`'s source repository; `None`
    /// when it has none configured or it cannot be read.
    pub async fn branches(&mut self, service: &str) -> Option<HashMap<String, String>> {
        let config = self.config.services.iter().find(|s| s.name == service)?;
        let url = config.git_url.as_ref()?;
        let git = self.git(url, &config.credentials);
        match git.branch_heads().await {
            Ok(heads) => Some(heads),
            Err(err) => {
                self.failed(&format!("source of {service}"), err.to_string());
                None
            }
        }
    }
}

/// Why a file's content was not read.
fn unreadable(file: &str, blob: Blob) -> String {
    match blob {
        Blob::TooLarge { size } => too_large(file, size).message,
        Blob::NotUtf8 { byte, line, .. } => not_utf8(file, byte, line).message,
        Blob::Missing => "the file does not exist".into(),
        Blob::Text(_) => String::new(),
    }
}
