//! `[releases]`: how builds reach Berth and how it releases them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Config, ServiceConfig};
use crate::cluster::image_patch::ImageField;

/// Read at each request, so a rotated secret is picked up without a restart.
pub const WEBHOOK_SECRET_ENV: &str = "BERTH_GITHUB_WEBHOOK_SECRET";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasesConfig {
    /// A file holding the GitHub webhook secret; `BERTH_GITHUB_WEBHOOK_SECRET`
    /// overrides it. Without either, `/hooks/github` refuses everything.
    #[serde(default)]
    pub github_webhook_secret_file: Option<PathBuf>,
    /// The image tag of a build reported by a GitHub `workflow_run`;
    /// `{branch_slug}`, `{branch}`, `{sha}` and `{sha7}` are filled in.
    #[serde(default = "default_image_tag_template")]
    pub image_tag_template: String,
    /// Runs of these workflows (by name, or by file such as
    /// `.github/workflows/build.yml`) are builds; none when empty.
    #[serde(default)]
    pub build_workflows: Vec<String>,
    /// The largest webhook body read; GitHub sends at most 25 MB, a push
    /// of many commits a few hundred KB.
    #[serde(default = "default_max_webhook_bytes")]
    pub max_webhook_bytes: usize,
    /// Where an Application keeps the image tag Berth sets.
    #[serde(default)]
    pub image_field: ImageField,
    /// A prod deploy not Synced and Healthy on its tag by then has failed.
    #[serde(default = "default_deploy_timeout")]
    pub deploy_timeout_secs: u64,
    /// Whether green builds of the default branch go to prod by themselves.
    #[serde(default = "default_true")]
    pub auto_deploy_prod: bool,
    /// Where each prod deploy is announced.
    #[serde(default)]
    pub markers: Vec<MarkerConfig>,
    /// The first retry of a marker that failed; each next one waits twice
    /// as long (at most an hour).
    #[serde(default = "default_marker_retry")]
    pub marker_retry_secs: u64,
    /// A marker that failed this many times is given up on.
    #[serde(default = "default_marker_attempts")]
    pub marker_attempts: u32,
}

/// A deploy marker sink: `[[releases.markers]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkerConfig {
    /// Shown on the prod page when its markers fail.
    pub name: String,
    pub kind: MarkerKind,
    /// Where to send: Grafana's base URL, a generic webhook's URL, New
    /// Relic's NerdGraph endpoint (its US one by default).
    #[serde(default)]
    pub url: Option<String>,
    /// A URL that is itself a secret (a Slack incoming webhook), read from
    /// this variable at each send.
    #[serde(default)]
    pub url_env: Option<String>,
    /// Grafana's service account token, New Relic's user API key, or a
    /// generic webhook's bearer token; by reference.
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// New Relic: the entity (APM application) each service's deploys
    /// mark: `{ "app-a" = "MXxBUE18..." }`.
    #[serde(default)]
    pub entity_guids: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkerKind {
    Slack,
    Grafana,
    NewRelic,
    Webhook,
}

impl MarkerConfig {
    pub fn url(&self) -> Result<String, String> {
        if let Some(var) = &self.url_env {
            return std::env::var(var).map_err(|_| format!("the variable {var} is not set"));
        }
        match (&self.url, self.kind) {
            (Some(url), _) => Ok(url.clone()),
            (None, MarkerKind::NewRelic) => Ok("https://api.newrelic.com/graphql".into()),
            (None, _) => Err(format!("marker `{}` has no url", self.name)),
        }
    }

    pub fn token(&self) -> Result<Option<String>, String> {
        crate::config::Credentials {
            token_env: self.token_env.clone(),
            token_file: self.token_file.clone(),
            ssh_key_file: None,
        }
        .token()
    }
}

impl Default for ReleasesConfig {
    fn default() -> Self {
        ReleasesConfig {
            github_webhook_secret_file: None,
            image_tag_template: default_image_tag_template(),
            build_workflows: Vec::new(),
            max_webhook_bytes: default_max_webhook_bytes(),
            image_field: ImageField::default(),
            deploy_timeout_secs: default_deploy_timeout(),
            auto_deploy_prod: true,
            markers: Vec::new(),
            marker_retry_secs: default_marker_retry(),
            marker_attempts: default_marker_attempts(),
        }
    }
}

impl ReleasesConfig {
    /// The webhook secret, read now; `None` when none is configured.
    pub fn webhook_secret(&self) -> Result<Option<Vec<u8>>, String> {
        if let Ok(secret) = std::env::var(WEBHOOK_SECRET_ENV) {
            return Ok(Some(secret.trim().as_bytes().to_vec()).filter(|s| !s.is_empty()));
        }
        match &self.github_webhook_secret_file {
            None => Ok(None),
            Some(file) => std::fs::read_to_string(file)
                .map(|s| Some(s.trim().as_bytes().to_vec()).filter(|s| !s.is_empty()))
                .map_err(|err| {
                    format!(
                        "cannot read the webhook secret file {}: {err}",
                        file.display()
                    )
                }),
        }
    }

    /// The image tag of a build of `sha` on `branch`.
    pub fn image_tag(&self, branch: &str, sha: &str) -> String {
        self.image_tag_template
            .replace("{branch_slug}", &crate::gitops::names::branch_slug(branch))
            .replace("{branch}", branch)
            .replace("{sha7}", sha.get(..7).unwrap_or(sha))
            .replace("{sha}", sha)
    }
}

impl ServiceConfig {
    /// `owner/name` of the service's GitHub repository, as webhooks name
    /// it: `github_repository`, else the last two parts of `repo_url`.
    pub fn github_repository(&self) -> Option<String> {
        if let Some(name) = &self.github_repository {
            return Some(name.to_ascii_lowercase());
        }
        let url = self.repo_url.as_deref()?.trim_end_matches('/');
        let url = url.strip_suffix(".git").unwrap_or(url);
        let mut parts = url.rsplit('/');
        let name = parts.next()?;
        let owner = parts.next()?;
        (!name.is_empty() && !owner.is_empty() && !owner.contains(':'))
            .then(|| format!("{owner}/{name}").to_ascii_lowercase())
    }
}

impl Config {
    /// The service a GitHub repository (`owner/name`) builds.
    pub fn service_of_repository(&self, full_name: &str) -> Option<&ServiceConfig> {
        let full_name = full_name.to_ascii_lowercase();
        self.services
            .iter()
            .find(|s| s.github_repository().as_deref() == Some(full_name.as_str()))
    }

    pub(super) fn check_releases(&self) -> Result<(), String> {
        let template = &self.releases.image_tag_template;
        if !template.contains("{sha}") && !template.contains("{sha7}") {
            return Err(format!(
                "[releases] image_tag_template `{template}` needs {{sha}} or {{sha7}}, so each commit gets its own tag"
            ));
        }
        let probe = self.releases.image_tag("main", &"0".repeat(40));
        crate::cluster::image_patch::validate_tag(&probe).map_err(|err| {
            format!("[releases] image_tag_template `{template}` does not make valid tags: {err}")
        })?;
        super::unique("marker", self.releases.markers.iter().map(|m| &m.name))?;
        for marker in &self.releases.markers {
            if marker.url.is_none()
                && marker.url_env.is_none()
                && marker.kind != MarkerKind::NewRelic
            {
                return Err(format!("marker `{}` needs `url` or `url_env`", marker.name));
            }
        }
        if self.releases.marker_retry_secs == 0 || self.releases.marker_attempts == 0 {
            return Err(
                "[releases] marker_retry_secs and marker_attempts must be at least 1".into(),
            );
        }
        if self.releases.max_webhook_bytes < 1024 || self.releases.deploy_timeout_secs == 0 {
            return Err(
                "[releases] max_webhook_bytes must be at least 1024 and deploy_timeout_secs at least 1"
                    .into(),
            );
        }
        Ok(())
    }
}

fn default_image_tag_template() -> String {
    "{branch_slug}-{sha7}".into()
}
fn default_max_webhook_bytes() -> usize {
    5 * 1024 * 1024
}
fn default_deploy_timeout() -> u64 {
    600
}
fn default_marker_retry() -> u64 {
    10
}
fn default_marker_attempts() -> u32 {
    8
}
fn default_true() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags_carry_the_branch_slug_and_the_short_sha() {
        let releases = ReleasesConfig::default();
        assert_eq!(
            releases.image_tag("feature/x", "0123456789abcdef"),
            "feature-x-0123456"
        );
    }

    #[test]
    fn a_github_repository_comes_from_the_repo_url() {
        let service: ServiceConfig =
            toml_service("name = \"app-a\"\nrepo_url = \"https://github.com/Photos/app-a\"");
        assert_eq!(service.github_repository().as_deref(), Some("photos/app-a"));
        let named = toml_service("name = \"b\"\ngithub_repository = \"org/other\"");
        assert_eq!(named.github_repository().as_deref(), Some("org/other"));
        assert_eq!(toml_service("name = \"c\"").github_repository(), None);
    }

    fn toml_service(text: &str) -> ServiceConfig {
        use figment::providers::{Format, Toml};
        figment::Figment::from(Toml::string(text))
            .extract()
            .unwrap()
    }
}
