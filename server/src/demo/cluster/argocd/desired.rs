//! What git says should run on one cluster: the Applications an
//! ApplicationSet generates from the environment and sandbox files, and
//! the image each one runs. Pure: files as read in, Applications out.

use std::collections::HashMap;

use crate::{
    config::{Config, EnvironmentKind},
    gitops::{files::EnvironmentFile, names::branch_slug},
};

/// Every sandbox runs the same image; only its host differs.
pub const SANDBOX_IMAGE: &str = "registry.example.com/sandbox";
pub const SANDBOX_TAG: &str = "v3.2.0";
/// The namespace sandboxes run in; environments run in their own name.
pub const SANDBOX_NAMESPACE: &str = "sandboxes";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Service {
        env: String,
        service: String,
        branch: String,
    },
    Sandbox {
        name: String,
        host: String,
    },
}

/// One Application as the generator writes it, apart from its image tag:
/// a change here is a change Argo CD must sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub name: String,
    pub target: Target,
    /// Where its workloads run.
    pub namespace: String,
    /// The configured GitOps repository its chart comes from.
    pub repo: String,
    pub repo_url: String,
    pub repo_branch: String,
    /// The file that puts it there; prod has none.
    pub file: Option<String>,
}

impl Desired {
    pub fn is_sandbox(&self) -> bool {
        matches!(self.target, Target::Sandbox { .. })
    }

    /// What its chart and container are called.
    pub fn component(&self) -> &str {
        match &self.target {
            Target::Service { service, .. } => service,
            Target::Sandbox { .. } => "sandbox",
        }
    }

    pub fn host(&self) -> Option<&str> {
        match &self.target {
            Target::Sandbox { host, .. } => Some(host),
            Target::Service { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub repository: String,
    pub tag: String,
    /// False when no build can have pushed it: its branch does not exist.
    pub exists: bool,
}

impl Image {
    pub fn reference(&self) -> String {
        format!("{}:{}", self.repository, self.tag)
    }
}

/// How a file was read: its content, or why the Applications it made
/// stay as they are (a real ApplicationSet whose generator fails changes
/// nothing either).
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Environment name -> its parsed file; missing when unreadable.
    pub environments: HashMap<String, EnvironmentFile>,
    /// Sandbox names with a readable file; `None` when the directory
    /// itself could not be listed.
    pub sandboxes: Option<Vec<String>>,
    /// Sandboxes whose file exists but could not be read.
    pub unread_sandboxes: Vec<String>,
}

/// The Applications git asks for, and which existing ones to leave alone.
#[derive(Debug, Default)]
pub struct Plan {
    pub apps: Vec<Desired>,
    /// Environments whose file could not be read.
    pub unread_environments: Vec<String>,
    pub sandboxes_unread: bool,
    pub unread_sandboxes: Vec<String>,
}

impl Plan {
    /// Whether an existing Application must stay although it is not in
    /// `apps`, because the file that would say otherwise was not read.
    pub fn keeps(&self, app: &Desired) -> bool {
        match &app.target {
            Target::Service { env, .. } => self.unread_environments.contains(env),
            Target::Sandbox { name, .. } => {
                self.sandboxes_unread || self.unread_sandboxes.contains(name)
            }
        }
    }
}

/// The Applications for every environment and sandbox `config` puts on
/// the cluster named `cluster`.
pub fn plan(config: &Config, cluster: &str, reading: &Reading) -> Plan {
    let mut plan = Plan::default();
    let on_cluster =
        |c: Option<&crate::config::ClusterConfig>| c.is_some_and(|c| c.name == cluster);
    for env in config
        .environments
        .iter()
        .filter(|e| on_cluster(config.cluster_of(e)))
    {
        let repo = config.repository(env.repository.as_deref());
        let branches: Vec<(&str, String)> = match &env.file {
            // Prod follows each service's default branch.
            None => config
                .services
                .iter()
                .map(|s| (s.name.as_str(), s.default_branch.clone()))
                .collect(),
            Some(_) => match reading.environments.get(&env.name) {
                Some(file) => config
                    .services
                    .iter()
                    .filter_map(|s| Some((s.name.as_str(), file.branch_of(&s.name)?.to_string())))
                    .collect(),
                None => {
                    plan.unread_environments.push(env.name.clone());
                    continue;
                }
            },
        };
        for (service, branch) in branches {
            plan.apps.push(Desired {
                name: config.application_name(env, service),
                target: Target::Service {
                    env: env.name.clone(),
                    service: service.to_string(),
                    branch,
                },
                namespace: env.name.clone(),
                repo: repo.name.clone(),
                repo_url: repo.url.clone(),
                repo_branch: repo.branch.clone(),
                file: env.file.clone(),
            });
        }
    }
    if on_cluster(config.sandbox_cluster()) {
        let repo = config.repository(config.sandboxes.repository.as_deref());
        let dir = config.sandboxes.dir.trim_end_matches('/');
        match &reading.sandboxes {
            None => plan.sandboxes_unread = true,
            Some(names) => {
                for name in names {
                    plan.apps.push(Desired {
                        name: config.sandbox_application_name(name),
                        target: Target::Sandbox {
                            name: name.clone(),
                            host: format!("{name}.{}", config.sandboxes.domain),
                        },
                        namespace: SANDBOX_NAMESPACE.into(),
                        repo: repo.name.clone(),
                        repo_url: repo.url.clone(),
                        repo_branch: repo.branch.clone(),
                        file: Some(format!("{dir}/{name}.yaml")),
                    });
                }
            }
        }
        plan.unread_sandboxes = reading.unread_sandboxes.clone();
    }
    plan
}

/// The image an Application runs: `{branch_slug}-{sha7}` of its branch's
/// head in the service's source repository (`branches`, `None` when that
/// repository is unknown or unreadable: the tag is then the bare slug and
/// taken to exist). A branch the repository lacks has no build, so its
/// image cannot be pulled.
pub fn image_of(
    config: &Config,
    target: &Target,
    branches: Option<&HashMap<String, String>>,
) -> Image {
    let (service, branch) = match target {
        Target::Sandbox { .. } => {
            return Image {
                repository: SANDBOX_IMAGE.into(),
                tag: SANDBOX_TAG.into(),
                exists: true,
            }
        }
        Target::Service {
            service, branch, ..
        } => (service, branch),
    };
    let repository = config
        .services
        .iter()
        .find(|s| &s.name == service)
        .and_then(|s| s.image.clone())
        .unwrap_or_else(|| format!("registry.example.com/{service}"));
    let slug = branch_slug(branch);
    let (tag, exists) = match branches.map(|b| b.get(branch)) {
        Some(Some(sha)) => (format!("{slug}-{}", sha.get(..7).unwrap_or(sha)), true),
        Some(None) => (slug, false),
        None => (slug, true),
    };
    Image {
        repository,
        tag,
        exists,
    }
}

/// A fault the demo shows from the start, so the dashboard has something
/// to explain. Bound to the image it started with: deploying another
/// image there heals it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The container starts and exits with an error, again and again.
    Crash,
    /// The node cannot pull the image.
    PullFails,
}

/// The standing faults: the Stg Application whose name sorts first
/// crash-loops, and the sandbox Application whose name sorts first cannot
/// pull its image. The same repository gives the same faults on every
/// start.
pub fn standing_faults(config: &Config, apps: &[Desired]) -> Vec<(String, Fault)> {
    let is_stg = |env: &str| {
        config
            .environments
            .iter()
            .any(|e| e.name == env && e.kind == EnvironmentKind::Stg)
    };
    let stg = apps
        .iter()
        .filter(|a| matches!(&a.target, Target::Service { env, .. } if is_stg(env)))
        .map(|a| &a.name)
        .min();
    let sandbox = apps
        .iter()
        .filter(|a| a.is_sandbox())
        .map(|a| &a.name)
        .min();
    let mut faults = Vec::new();
    faults.extend(stg.map(|name| (name.clone(), Fault::Crash)));
    faults.extend(sandbox.map(|name| (name.clone(), Fault::PullFails)));
    faults
}
