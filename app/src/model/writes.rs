//! Wire types of the write side: who is acting, previews of commits, the
//! audit log and API tokens.

use serde::{Deserialize, Serialize};

/// What a person may do, from config; the server enforces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Developer,
    Qa,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Developer => "developer",
            Role::Qa => "qa",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "developer" => Some(Role::Developer),
            "qa" => Some(Role::Qa),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The person looking at the page, so the UI can hide what they may not do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Viewer {
    /// `None` when nobody is signed in.
    pub user: Option<String>,
    pub role: Option<Role>,
    /// Environments this person may point at branches.
    pub writable_environments: Vec<String>,
    /// Whether `/login` (local mode) is how people sign in here.
    pub local_login: bool,
}

impl Viewer {
    pub fn may_write(&self, environment: &str) -> bool {
        self.writable_environments.iter().any(|e| e == environment)
    }

    pub fn may_delete_sandbox(&self, owner: Option<&str>) -> bool {
        match (&self.user, self.role) {
            (_, Some(Role::Admin)) => true,
            (Some(user), _) => owner == Some(user.as_str()),
            _ => false,
        }
    }
}

/// What a commit would do, shown before the person confirms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitPreview {
    pub file: String,
    pub diff: String,
    pub message: String,
    /// Set when there is nothing to commit, with the reason.
    pub unchanged: Option<String>,
}

/// What happened when the person confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitResult {
    /// `None` when nothing needed committing.
    pub commit: Option<String>,
    pub message: String,
}

/// One service's row of the promotion form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionRow {
    pub service: String,
    pub current: Option<String>,
    /// The branch asked for in this request, if any.
    pub requested: Option<String>,
    /// Branches offered from the service's source repository.
    pub branches: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionPlan {
    pub environment: String,
    pub title: String,
    /// All environments this person may write, for the picker.
    pub environments: Vec<(String, String)>,
    pub rows: Vec<PromotionRow>,
    /// The diff of the requested change, or the problems that stop it.
    pub preview: Option<CommitPreview>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    /// How the actor signed in: session, proxy or token.
    pub via: String,
    pub remote: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    /// committed, unchanged, refused or failed.
    pub outcome: String,
    pub message: String,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub target: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}
