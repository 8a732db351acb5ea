//! Charts are not empty on day one: on a first start (no prod release
//! recorded yet), the prod deploys Argo CD remembers (`status.history` of
//! each prod Application, read once and fresh) become releases, with the
//! commit and its time from the service's source repository (`git_url`).
//! A sync that went back to an older commit is a rollback: the release it
//! undid counts as failed, and the rollback as what restored service.
//! Before the oldest sync Argo CD remembers (it keeps ten by default), and
//! when no cluster is configured, the merges to each default branch in the
//! last year stand for releases: prod takes every green `main`. They are
//! marked as read from git and carry no lead time.

use std::time::Duration;

use app::model::{PipelineCommit, ReleaseOutcome, Stage};
use serde_json::Value;

use super::{line::LineCommit, Releases};
use crate::{
    cluster::{application::HistoryEntry, image_patch::ImageField, ClusterState},
    config::ServiceConfig,
    gitops::{dirs::source_dir, git::Git},
    store::NewRelease,
};

/// How far back merges are read: the longest range the charts show.
const MERGES_BACK_SECS: i64 = 365 * 86_400;

/// How long a first start waits for the prod cluster before giving up
/// on its history (the next start tries again).
const WAIT_FOR_CLUSTER: Duration = Duration::from_secs(60);

/// The image tag an Application's source deploys, by `field`.
pub fn tag_in(source: &Value, field: &ImageField) -> Option<String> {
    match field {
        ImageField::HelmParameter(name) => source["helm"]["parameters"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == name.as_str())?["value"]
            .as_str()
            .map(str::to_string),
        ImageField::KustomizeImage(image) => source["kustomize"]["images"]
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .find_map(|entry| {
                let rest = entry.strip_prefix(image.as_str())?;
                // `reg/app` must not take the tag of `reg/app-b:…`.
                if !rest.starts_with([':', '=', '@']) {
                    return None;
                }
                let rest = rest.split_once('=').map_or(rest, |(_, new)| new);
                rest.rsplit_once(':').map(|(_, tag)| tag.to_string())
            }),
    }
}

/// The commit a `{branch_slug}-{sha}` tag was built from: its hex end.
pub fn sha_in(tag: &str) -> Option<&str> {
    crate::readmodel::live::status::split_tag(tag).map(|(_, sha)| sha)
}

fn time(text: Option<&String>) -> Option<i64> {
    text?
        .parse::<k8s_openapi::jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
}

/// One past deploy, as far as it could be read.
struct Past {
    tag: String,
    sha: String,
    started_at: i64,
    deployed_at: i64,
    by: String,
    /// Read from a merge, not a deploy: its lead time is unknown.
    estimated: bool,
    commit: Option<Commit>,
}

struct Commit {
    author: String,
    message: String,
    at: i64,
    position: i64,
}

impl Releases {
    pub(super) async fn backfill(&self) {
        let Some(prod) = self.config.prod_environment() else {
            return;
        };
        match self.store.count_releases(&prod.name).await {
            Ok(0) => {}
            _ => return,
        }
        let api = match self
            .config
            .cluster_of(prod)
            .and_then(|c| self.live.cluster(&c.name))
        {
            Some(cluster) => match self.prod_applications(cluster, prod).await {
                Some(api) => Some(api),
                None => return,
            },
            None => None,
        };
        let since = crate::clock::unix_now() - MERGES_BACK_SECS;
        let (mut total, mut merges) = (0, 0);
        for service in &self.config.services {
            let history = match &api {
                Some(api) => {
                    let name = self.config.application_name(prod, &service.name);
                    match api.get_opt(&name).await {
                        Ok(Some(app)) => app.status.map(|s| s.history).unwrap_or_default(),
                        Ok(None) => continue,
                        Err(err) => {
                            tracing::warn!(%err, application = %name, "cannot read a prod Application's history");
                            continue;
                        }
                    }
                }
                None => Vec::new(),
            };
            // Nothing to read the source repository for without a sync.
            let mut past = if history.is_empty() {
                Vec::new()
            } else {
                self.read_past(service, history).await
            };
            // Argo CD keeps ten syncs by default, and without a cluster
            // there are none: before them, each merge to the default branch
            // was a release (prod takes every green one).
            let mut earlier = match (past.first(), &api) {
                // Only merges older than the first deploy Argo CD remembers:
                // by their place on the line when its commit is known.
                (Some(oldest), _) => match &oldest.commit {
                    Some(deployed) => {
                        self.merged(service, since, |m| m.position < deployed.position)
                            .await
                    }
                    None => {
                        self.merged(service, since, |m| m.at < oldest.started_at)
                            .await
                    }
                },
                (None, None) => self.merged(service, since, |_| true).await,
                // An Application that never synced has deployed nothing.
                (None, Some(_)) => Vec::new(),
            };
            merges += earlier.len();
            earlier.append(&mut past);
            match self.record_past(service, &prod.name, earlier).await {
                Ok(count) => total += count,
                Err(err) => {
                    tracing::error!(%err, service = %service.name, "cannot record past releases")
                }
            }
        }
        tracing::info!(
            releases = total,
            from_merges = merges,
            "prod release history read from Argo CD and the default branches"
        );
    }

    /// The prod Applications' API once the cluster is live and Argo CD has
    /// made them (a cluster that was just started may list none yet); None
    /// after a minute, and the next start tries again.
    async fn prod_applications(
        &self,
        cluster: &crate::cluster::ClusterLive,
        prod: &crate::config::EnvironmentConfig,
    ) -> Option<kube::Api<crate::cluster::Application>> {
        let waited = tokio::time::Instant::now();
        let names: Vec<String> = self
            .config
            .services
            .iter()
            .map(|s| self.config.application_name(prod, &s.name))
            .collect();
        let ready = || {
            cluster.state() == ClusterState::Live
                && names.iter().any(|n| cluster.application(n).is_some())
        };
        while !ready() {
            if waited.elapsed() > WAIT_FOR_CLUSTER {
                tracing::info!(
                    "the prod cluster is not live or has no prod Applications; its release history is read at the next start"
                );
                return None;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        cluster.applications_api()
    }

    /// The merges to `service`'s default branch since `since` that `keep`
    /// takes, oldest first, as releases at their commit time: an
    /// estimate, so they carry no lead time.
    async fn merged(
        &self,
        service: &ServiceConfig,
        since: i64,
        keep: impl Fn(&LineCommit) -> bool,
    ) -> Vec<Past> {
        let Some(merges) = self.merges_since(service, since).await else {
            return Vec::new();
        };
        merges
            .into_iter()
            .rev()
            .filter(|(_, c)| keep(c))
            .map(|(sha, c)| Past {
                tag: self
                    .config
                    .releases
                    .image_tag(&service.default_branch, &sha),
                sha,
                started_at: c.at,
                deployed_at: c.at,
                by: c.author.clone(),
                estimated: true,
                commit: Some(Commit {
                    author: c.author,
                    message: c.subject,
                    at: c.at,
                    position: c.position,
                }),
            })
            .collect()
    }

    async fn read_past(
        &self,
        service: &ServiceConfig,
        mut history: Vec<HistoryEntry>,
    ) -> Vec<Past> {
        history.sort_by_key(|e| e.id);
        let _fetching = self.source_locks.lock(&service.name).await;
        let git = match &service.git_url {
            Some(url) => {
                let git = Git::new(
                    source_dir(&self.config, &service.name),
                    service.credentials.clone(),
                )
                .with_timeout(self.config.git_timeout());
                match git.sync_mirror(url, &service.default_branch).await {
                    Ok(_) => Some(git),
                    Err(err) => {
                        tracing::warn!(%err, service = %service.name, "cannot read the source repository; past releases have no commit times");
                        None
                    }
                }
            }
            None => None,
        };
        let field = &self.config.releases.image_field;
        let mut past = Vec::new();
        for entry in history {
            let sources = entry.source.iter().chain(entry.sources.iter().flatten());
            let Some(tag) = sources.filter_map(|s| tag_in(s, field)).next() else {
                continue;
            };
            let Some(deployed_at) = time(entry.deployed_at.as_ref()) else {
                continue;
            };
            let Some(short) = sha_in(&tag) else {
                continue;
            };
            let commit = match &git {
                Some(git) => describe(git, short).await,
                None => None,
            };
            past.push(Past {
                sha: commit.as_ref().map_or(short.to_string(), |c| c.0.clone()),
                commit: commit.map(|c| c.1),
                started_at: time(entry.deploy_started_at.as_ref()).unwrap_or(deployed_at),
                deployed_at,
                by: entry
                    .initiated_by
                    .as_ref()
                    .and_then(|i| i["username"].as_str())
                    .unwrap_or("argocd")
                    .chars()
                    .take(64)
                    .collect(),
                estimated: false,
                tag,
            });
        }
        past
    }

    /// Stores the releases (a rollback fails the one it undid) and the
    /// deployed commits on the pipeline.
    async fn record_past(
        &self,
        service: &ServiceConfig,
        environment: &str,
        past: Vec<Past>,
    ) -> crate::store::StoreResult<usize> {
        let mut outcomes = vec![ReleaseOutcome::Deployed; past.len()];
        for i in 1..past.len() {
            let (before, now) = (&past[i - 1], &past[i]);
            let older = match (&before.commit, &now.commit) {
                (Some(b), Some(n)) => n.position < b.position,
                _ => false,
            };
            if older {
                outcomes[i - 1] = ReleaseOutcome::Failed;
            }
        }
        let mut commits: Vec<PipelineCommit> = Vec::new();
        for (deploy, outcome) in past.iter().zip(&outcomes) {
            let release = NewRelease {
                service: service.name.clone(),
                environment: environment.to_string(),
                sha: deploy.sha.clone(),
                image_tag: deploy.tag.clone(),
                started_at: deploy.started_at,
                trigger: "backfill".into(),
                triggered_by: deploy.by.clone(),
                committed_at: deploy
                    .commit
                    .as_ref()
                    .filter(|_| !deploy.estimated)
                    .map(|c| c.at),
            };
            // A rolled-back release failed when it was undone.
            self.store
                .record_release(&release, *outcome, deploy.deployed_at)
                .await?;
            let Some(commit) = &deploy.commit else {
                continue;
            };
            let (stage, note) = match outcome {
                ReleaseOutcome::Failed => (Stage::DeployFailed, "rolled back"),
                _ => (Stage::Deployed, ""),
            };
            commits.retain(|c| c.sha != deploy.sha);
            commits.push(PipelineCommit {
                service: service.name.clone(),
                sha: deploy.sha.clone(),
                position: commit.position,
                author: commit.author.clone(),
                message: commit.message.clone(),
                committed_at: commit.at,
                pushed_at: commit.at,
                stage,
                stage_at: deploy.deployed_at,
                built_at: None,
                deploy_started_at: Some(deploy.started_at),
                deploy_ended_at: Some(deploy.deployed_at),
                image_tag: Some(deploy.tag.clone()),
                note: note.into(),
            });
        }
        // The commits between the oldest and newest deployed ones that
        // were never deployed: a newer one got there first.
        let deployed = commits.iter().map(|c| c.position);
        if let (Some(oldest), Some(newest)) = (deployed.clone().min(), deployed.max()) {
            let line = self.first_parent_line(service).await.unwrap_or_default();
            for (sha, on) in line {
                let between = on.position > oldest && on.position < newest;
                if between && !commits.iter().any(|c| c.sha == sha) {
                    let mut commit = super::pipeline::pushed(
                        &service.name,
                        &sha,
                        on.position,
                        on.author,
                        on.subject,
                        on.at,
                        on.at,
                    );
                    commit.stage = Stage::Superseded;
                    commit.stage_at = on.at;
                    commit.note = "a newer commit was deployed first".into();
                    commits.push(commit);
                }
            }
        }
        self.store.add_pipeline_commits(&commits).await?;
        Ok(past.len())
    }
}

/// The full sha of `short`, with its author, subject, time and place in
/// the default branch's first-parent history.
async fn describe(git: &Git, short: &str) -> Option<(String, Commit)> {
    let sha = git.rev_parse(short).await.ok()?;
    let out = git
        .run(&["log", "-1", "--format=%an%x1f%ct%x1f%s", &sha])
        .await
        .ok()?;
    let mut fields = out.trim_end().splitn(3, '\u{1f}');
    let author = fields.next()?.to_string();
    let at = fields.next()?.parse().ok()?;
    let message = crate::gitops::names::visible_line(fields.next().unwrap_or(""), 200);
    let count = git
        .run(&["rev-list", "--first-parent", "--count", &sha])
        .await
        .ok()?;
    Some((
        sha,
        Commit {
            author,
            message,
            at,
            position: count.trim().parse().ok()?,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_tag_comes_from_the_configured_field() {
        let helm = json!({ "helm": { "parameters": [
            { "name": "image.repository", "value": "r" }, { "name": "image.tag", "value": "main-1a2b3c4" } ] } });
        assert_eq!(
            tag_in(&helm, &ImageField::default()).as_deref(),
            Some("main-1a2b3c4")
        );
        let kustomize = json!({ "kustomize": { "images": ["registry.example/app-ab:main-0000000", "registry.example/app-a:main-9f9f9f9"] } });
        let field = ImageField::KustomizeImage("registry.example/app-a".into());
        assert_eq!(tag_in(&kustomize, &field).as_deref(), Some("main-9f9f9f9"));
        assert_eq!(tag_in(&helm, &field), None);
    }

    #[test]
    fn a_tag_names_its_commit_by_its_hex_end() {
        assert_eq!(sha_in("main-1a2b3c4"), Some("1a2b3c4"));
        assert_eq!(
            sha_in("feature-x-0123456789abcdef"),
            Some("0123456789abcdef")
        );
        assert_eq!(sha_in("v1.2.3"), None);
        assert_eq!(sha_in("main-latest"), None);
    }
}
