//! `berth.toml`: where the GitOps repositories are, which services and
//! environments exist, and how Berth serves. Every field can be overridden
//! by a `BERTH_*` variable (`BERTH_LISTEN`, `BERTH_SANDBOXES__DOMAIN`, ...).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

pub use app::model::EnvironmentKind;
use app::model::Role;
use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};

mod clusters;
mod releases;
mod sharing;

pub use crate::auth::config::AuthConfig;
use crate::gitops::sandbox_edit::KeyPolicy;
pub use clusters::ClusterConfig;
pub use releases::{MarkerConfig, MarkerKind, ReleasesConfig, WEBHOOK_SECRET_ENV};
pub use sharing::SharingConfig;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Host names (`name` or `name:port`) Berth answers to; any when empty.
    /// In local mode loopback names always work and these add to them.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// A client must send a request's headers within this many seconds.
    #[serde(default = "default_header_timeout")]
    pub header_timeout_secs: u64,
    /// Connections served at once; more wait until one ends.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// The largest request body Berth reads; bigger ones get 413.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Defaults to an SQLite file in the data dir.
    #[serde(default)]
    pub database_url: Option<String>,
    #[serde(default = "default_refresh")]
    pub refresh_interval_secs: u64,
    /// Any git command (fetch, push, ls-remote) that takes longer is
    /// stopped, so a hung remote cannot block a writer's queue for good.
    #[serde(default = "default_git_timeout")]
    pub git_timeout_secs: u64,
    #[serde(default)]
    pub log_format: LogFormat,
    /// A notice shown on every page, e.g. that the data is a demo.
    #[serde(default)]
    pub banner: Option<String>,
    /// Link to a branch of a service's source repository.
    #[serde(default = "default_branch_url")]
    pub branch_url_template: String,
    #[serde(default)]
    pub repositories: Vec<RepositoryConfig>,
    #[serde(default)]
    pub services: Vec<ServiceConfig>,
    #[serde(default = "default_environments")]
    pub environments: Vec<EnvironmentConfig>,
    #[serde(default)]
    pub sandboxes: SandboxConfig,
    /// Berth's own identity as the committer of every change it makes.
    #[serde(default)]
    pub committer: Committer,
    #[serde(default)]
    pub auth: AuthConfig,
    /// Where live state comes from; none: git only.
    #[serde(default)]
    pub clusters: Vec<ClusterConfig>,
    /// Whether `/readyz` fails while a cluster is not live.
    #[serde(default)]
    pub ready_needs_clusters: bool,
    /// An environment's Argo CD Application for a service; `{service}`
    /// and `{env}` are filled in.
    #[serde(default = "default_application")]
    pub application_template: String,
    /// Builds in, releases out.
    #[serde(default)]
    pub releases: ReleasesConfig,
    /// Locks and freeze windows.
    #[serde(default)]
    pub sharing: SharingConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Committer {
    pub name: String,
    pub email: String,
}

impl Default for Committer {
    fn default() -> Self {
        Committer {
            name: "Berth".into(),
            email: "berth@localhost".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositoryConfig {
    pub name: String,
    pub url: String,
    #[serde(default = "default_main")]
    pub branch: String,
    #[serde(default)]
    pub credentials: Credentials,
}

/// Credentials by reference: a file or a variable to read, never the secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub ssh_key_file: Option<PathBuf>,
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
}

impl Credentials {
    /// Reads the token at each use, so a rotated secret is picked up.
    pub fn token(&self) -> Result<Option<String>, String> {
        if let Some(var) = &self.token_env {
            return std::env::var(var)
                .map(|t| Some(t.trim().to_string()))
                .map_err(|_| format!("the token variable {var} is not set"));
        }
        if let Some(file) = &self.token_file {
            return std::fs::read_to_string(file)
                .map(|t| Some(t.trim().to_string()))
                .map_err(|err| format!("cannot read the token file {}: {err}", file.display()));
        }
        Ok(None)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub name: String,
    #[serde(default = "default_main")]
    pub default_branch: String,
    /// Web address of the source repository, for branch and commit links.
    #[serde(default)]
    pub repo_url: Option<String>,
    /// The image repository the service's builds push to.
    #[serde(default)]
    pub image: Option<String>,
    /// Git URL of the source repository, to offer and check branch names.
    #[serde(default)]
    pub git_url: Option<String>,
    /// How to read `git_url`, by reference like a repository's.
    #[serde(default)]
    pub credentials: Credentials,
    /// `owner/name` on GitHub, if `repo_url` does not end in it.
    #[serde(default)]
    pub github_repository: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    pub kind: EnvironmentKind,
    /// The `service: branch` file; prod has none and follows default branches.
    #[serde(default)]
    pub file: Option<String>,
    /// Which repository holds the file; the first one by default.
    #[serde(default)]
    pub repository: Option<String>,
    /// Roles that may point this environment at branches. By default
    /// everyone may write Dev and only qa and admin may write Stg.
    #[serde(default)]
    pub writers: Option<Vec<Role>>,
    /// The `[[clusters]]` entry it runs on; the first one by default.
    #[serde(default)]
    pub cluster: Option<String>,
    /// Its Argo CD Application names, if not `application_template`'s.
    #[serde(default)]
    pub application_template: Option<String>,
}

impl EnvironmentConfig {
    pub fn writers(&self) -> Vec<Role> {
        match (&self.writers, self.kind) {
            (Some(roles), _) => roles.clone(),
            (None, EnvironmentKind::Dev) => vec![Role::Developer, Role::Qa, Role::Admin],
            (None, EnvironmentKind::Stg) => vec![Role::Qa, Role::Admin],
            (None, EnvironmentKind::Prod) => Vec::new(),
        }
    }

    pub fn title(&self) -> String {
        self.title.clone().unwrap_or_else(|| {
            let mut title = self.name.clone();
            if let Some(first) = title.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            title
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxConfig {
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default = "default_sandbox_dir")]
    pub dir: String,
    #[serde(default = "default_domain")]
    pub domain: String,
    /// `{name}`, `{owner}` and `{domain}` are filled in.
    #[serde(default = "default_url_template")]
    pub url_template: String,
    #[serde(default = "default_ssh_template")]
    pub ssh_command_template: String,
    /// Which SSH keys a new sandbox may carry.
    #[serde(default)]
    pub keys: KeyPolicy,
    /// The `[[clusters]]` entry sandboxes run on; the first one by default.
    #[serde(default)]
    pub cluster: Option<String>,
    /// A sandbox's Argo CD Application; `{name}` is filled in.
    #[serde(default = "default_sandbox_application")]
    pub application_template: String,
    /// Days a new sandbox lives (its file gets `expires`); off when absent.
    #[serde(default)]
    pub lifetime_days: Option<u32>,
    /// Pages warn this many days before a sandbox expires.
    #[serde(default = "default_warn_days")]
    pub warn_days: u32,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            repository: None,
            dir: default_sandbox_dir(),
            domain: default_domain(),
            url_template: default_url_template(),
            ssh_command_template: default_ssh_template(),
            keys: KeyPolicy::default(),
            cluster: None,
            application_template: default_sandbox_application(),
            lifetime_days: None,
            warn_days: default_warn_days(),
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 3000))
}
fn default_header_timeout() -> u64 {
    10
}
fn default_max_connections() -> usize {
    1024
}
fn default_git_timeout() -> u64 {
    120
}
fn default_max_body_bytes() -> usize {
    1024 * 1024
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("./.berth")
}
fn default_refresh() -> u64 {
    30
}
fn default_main() -> String {
    "main".into()
}
fn default_branch_url() -> String {
    "{repo_url}/tree/{branch}".into()
}
fn default_application() -> String {
    "{service}-{env}".into()
}
fn default_sandbox_application() -> String {
    "sandbox-{name}".into()
}
fn default_warn_days() -> u32 {
    3
}

fn default_sandbox_dir() -> String {
    "sandboxes".into()
}
fn default_domain() -> String {
    "sandbox.example.com".into()
}
fn default_url_template() -> String {
    "https://{name}.{domain}".into()
}
fn default_ssh_template() -> String {
    "ssh {owner}@{name}.{domain}".into()
}
fn default_environments() -> Vec<EnvironmentConfig> {
    let env = |name: &str, title: &str, kind, file: Option<&str>| EnvironmentConfig {
        name: name.into(),
        title: Some(title.into()),
        kind,
        file: file.map(str::to_string),
        repository: None,
        writers: None,
        cluster: None,
        application_template: None,
    };
    vec![
        env("prod", "Prod", EnvironmentKind::Prod, None),
        env(
            "stg-1",
            "Stg-1",
            EnvironmentKind::Stg,
            Some("environments/stg-1.yaml"),
        ),
        env(
            "stg-2",
            "Stg-2",
            EnvironmentKind::Stg,
            Some("environments/stg-2.yaml"),
        ),
        env(
            "dev",
            "Dev",
            EnvironmentKind::Dev,
            Some("environments/dev.yaml"),
        ),
    ]
}

/// Where the embedded demo keeps its config inside a data dir.
pub fn demo_config_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo").join("berth.toml")
}

impl Config {
    /// Loads `file` (or, without one, the demo config in the data dir),
    /// then applies `BERTH_*` overrides and checks the result.
    pub fn load(file: Option<&Path>) -> crate::error::Result<Config> {
        Config::load_checked(file).map_err(crate::error::Error::Config)
    }

    fn load_checked(file: Option<&Path>) -> Result<Config, String> {
        let env = || Env::prefixed("BERTH_").ignore(&["config"]).split("__");
        let path = match file {
            Some(path) => path.to_path_buf(),
            None => {
                let data_dir: PathBuf = Figment::new()
                    .merge(Serialized::default("data_dir", default_data_dir()))
                    .merge(env().only(&["data_dir"]))
                    .extract_inner("data_dir")
                    .map_err(|err| err.to_string())?;
                demo_config_path(&data_dir)
            }
        };
        if !path.exists() {
            return Err(match file {
                Some(_) => format!("the config file {} does not exist", path.display()),
                None => format!(
                    "no config given and no demo at {}: run `berth demo init` or pass --config",
                    path.display()
                ),
            });
        }
        let config: Config = Figment::new()
            .merge(Toml::file(&path))
            .merge(env())
            .extract()
            .map_err(|err| format!("{}: {err}", path.display()))?;
        config.check()?;
        Ok(config)
    }

    pub fn from_toml(text: &str) -> crate::error::Result<Config> {
        let config: Config = Figment::new()
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| crate::error::Error::Config(e.to_string()))?;
        config.check().map_err(crate::error::Error::Config)?;
        Ok(config)
    }

    pub fn git_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.git_timeout_secs)
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("berth.db").display()))
    }

    pub fn repository(&self, name: Option<&str>) -> &RepositoryConfig {
        name.and_then(|n| self.repositories.iter().find(|r| r.name == n))
            .unwrap_or(&self.repositories[0])
    }

    fn check(&self) -> Result<(), String> {
        if self.repositories.is_empty() {
            return Err("at least one [[repositories]] entry is needed".into());
        }
        unique("repository", self.repositories.iter().map(|r| &r.name))?;
        unique("service", self.services.iter().map(|s| &s.name))?;
        unique("environment", self.environments.iter().map(|e| &e.name))?;
        let known_repo = |name: &Option<String>, what: &str| match name {
            Some(n) if !self.repositories.iter().any(|r| &r.name == n) => Err(format!(
                "{what} names the repository `{n}`, which is not configured"
            )),
            _ => Ok(()),
        };
        for env in &self.environments {
            known_repo(&env.repository, &format!("environment `{}`", env.name))?;
            if env.kind != EnvironmentKind::Prod && env.file.is_none() {
                return Err(format!("environment `{}` needs a `file`", env.name));
            }
        }
        known_repo(&self.sandboxes.repository, "[sandboxes]")?;
        if self.refresh_interval_secs == 0 {
            return Err("refresh_interval_secs must be at least 1".into());
        }
        if self.header_timeout_secs == 0 || self.max_connections == 0 {
            return Err("header_timeout_secs and max_connections must be at least 1".into());
        }
        if self.git_timeout_secs == 0 {
            return Err("git_timeout_secs must be at least 1".into());
        }
        self.check_clusters()?;
        self.check_releases()?;
        self.check_sharing()
    }
}

fn unique<'a>(what: &str, names: impl Iterator<Item = &'a String>) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(format!("the {what} `{name}` is configured twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
