//! `[auth]` in berth.toml: how people prove who they are, and which role
//! each of them has.

use std::{net::IpAddr, path::PathBuf};

use app::model::Role;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// A person picks a user name at `/login`; only allowed on loopback.
    #[default]
    Local,
    /// oauth2-proxy (or alike) in front sets identity headers.
    TrustedProxy,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    #[serde(default)]
    pub mode: AuthMode,
    /// Peers whose identity headers are believed (trusted-proxy mode).
    #[serde(default)]
    pub trusted_proxies: Vec<IpAddr>,
    #[serde(default = "default_user_header")]
    pub user_header: String,
    #[serde(default = "default_email_header")]
    pub email_header: String,
    #[serde(default = "default_groups_header")]
    pub groups_header: String,
    /// Members of the admin role: user names, or `group:<name>`.
    #[serde(default)]
    pub admins: Vec<String>,
    /// Members of the qa role, written the same way.
    #[serde(default)]
    pub qa: Vec<String>,
    /// Users (and groups) whose API tokens report builds: the ci role.
    #[serde(default)]
    pub ci: Vec<String>,
    /// Local mode: a person's commit email is `<user>@<email_domain>`.
    #[serde(default = "default_email_domain")]
    pub email_domain: String,
    #[serde(default = "default_session_hours")]
    pub session_hours: u64,
    /// The key that signs session cookies; made in the data dir if absent.
    #[serde(default)]
    pub session_key_file: Option<PathBuf>,
    /// Mark the session cookie `Secure` (serve over HTTPS).
    #[serde(default)]
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            mode: AuthMode::Local,
            trusted_proxies: Vec::new(),
            user_header: default_user_header(),
            email_header: default_email_header(),
            groups_header: default_groups_header(),
            admins: Vec::new(),
            qa: Vec::new(),
            ci: Vec::new(),
            email_domain: default_email_domain(),
            session_hours: default_session_hours(),
            session_key_file: None,
            secure_cookies: false,
        }
    }
}

impl AuthConfig {
    /// The strongest role the user or one of their groups is given.
    pub fn role_of(&self, user: &str, groups: &[String]) -> Role {
        let member = |list: &[String]| {
            list.iter().any(|entry| match entry.strip_prefix("group:") {
                Some(group) => groups.iter().any(|g| g == group),
                None => entry == user,
            })
        };
        if member(&self.admins) {
            Role::Admin
        } else if member(&self.qa) {
            Role::Qa
        } else if member(&self.ci) {
            Role::Ci
        } else {
            Role::Developer
        }
    }
}

fn default_user_header() -> String {
    "X-Forwarded-User".into()
}
fn default_email_header() -> String {
    "X-Forwarded-Email".into()
}
fn default_groups_header() -> String {
    "X-Forwarded-Groups".into()
}
fn default_email_domain() -> String {
    "users.berth.local".into()
}
fn default_session_hours() -> u64 {
    12
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_come_from_users_and_groups() {
        let auth = AuthConfig {
            admins: vec!["kohbis".into(), "group:platform".into()],
            qa: vec!["group:qa".into()],
            ci: vec!["ci-bot".into()],
            ..AuthConfig::default()
        };
        assert_eq!(auth.role_of("kohbis", &[]), Role::Admin);
        assert_eq!(auth.role_of("ann", &["platform".into()]), Role::Admin);
        assert_eq!(auth.role_of("ann", &["qa".into()]), Role::Qa);
        assert_eq!(auth.role_of("ann", &["group:qa".into()]), Role::Developer);
        assert_eq!(auth.role_of("platform", &[]), Role::Developer);
        assert_eq!(auth.role_of("ci-bot", &[]), Role::Ci);
    }
}
