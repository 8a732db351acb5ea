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
    /// committed, unchanged, refused or failed; `accepted` while the
    /// write is under way (and after a crash in the middle of one).
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
    /// Only entries older than this id: the cursor of the next page.
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

impl AuditQuery {
    pub const DEFAULT_LIMIT: i64 = 100;
    pub const MAX_LIMIT: i64 = 500;

    /// How many entries one page holds.
    pub fn page_size(&self) -> i64 {
        self.limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT)
    }

    /// The audit page with these filters, older than `before` when given.
    pub fn href(&self, before: Option<i64>) -> String {
        let mut params = Vec::new();
        for (key, value) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("outcome", &self.outcome),
            ("target", &self.target),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                params.push(format!("{key}={}", super::encode_query(value)));
            }
        }
        if let Some(limit) = self.limit {
            params.push(format!("limit={limit}"));
        }
        if let Some(before) = before {
            params.push(format!("before={before}"));
        }
        if params.is_empty() {
            "/audit".into()
        } else {
            format!("/audit?{}", params.join("&"))
        }
    }
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AuditLogPage {
    pub entries: Vec<AuditEntry>,
    /// The `before` of the next (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}

impl AuditLogPage {
    /// From the store's answer, which carries one row more than a page
    /// when an older page exists: that row only says so and is dropped.
    pub fn new(mut entries: Vec<AuditEntry>, query: &AuditQuery) -> AuditLogPage {
        let size = query.page_size() as usize;
        let more = entries.len() > size;
        entries.truncate(size);
        let next_before = more.then(|| entries.last().map(|e| e.id)).flatten();
        AuditLogPage {
            entries,
            next_before,
        }
    }
}

/// A person's API tokens, and the one just created (shown only once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenList {
    /// The server's clock, so "3 min ago" reads the same on both sides.
    pub now: i64,
    pub tokens: Vec<ApiToken>,
    pub fresh: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// Tokens made before expiry existed may have none.
    pub expires_at: Option<i64>,
}

/// A link on a grid cell that opens the promotion form prefilled.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortcut {
    pub label: String,
    pub href: String,
}

pub fn promote_href(environment: &str, service: &str, branch: &str) -> String {
    format!(
        "/promote?env={}&svc.{}={}",
        super::encode_query(environment),
        super::encode_query(service),
        super::encode_query(branch)
    )
}

/// The shortcuts of one cell: "→ Stg-1" for each Stg the person may write
/// that runs something else, and on such a Stg, "copy Dev's branch".
/// `row` maps each environment of the service's row to its branch.
pub fn cell_shortcuts(
    service: &str,
    cell_environment: &str,
    branch: &str,
    row: &[(String, Option<String>)],
    stg_targets: &[(String, String)],
    dev: Option<(&str, &str)>,
) -> Vec<Shortcut> {
    let branch_in = |env: &str| {
        row.iter()
            .find(|(e, _)| e == env)
            .and_then(|(_, b)| b.as_deref())
    };
    let mut links: Vec<Shortcut> = stg_targets
        .iter()
        .filter(|(env, _)| env != cell_environment && branch_in(env) != Some(branch))
        .map(|(env, title)| Shortcut {
            label: format!("→ {title}"),
            href: promote_href(env, service, branch),
        })
        .collect();
    let here_writable = stg_targets.iter().any(|(env, _)| env == cell_environment);
    if let (true, Some((dev_name, dev_title))) = (here_writable, dev) {
        if let Some(dev_branch) = branch_in(dev_name).filter(|b| *b != branch) {
            links.push(Shortcut {
                label: format!("copy {dev_title}'s branch"),
                href: promote_href(cell_environment, service, dev_branch),
            });
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Vec<(String, Option<String>)> {
        vec![
            ("prod".into(), Some("main".into())),
            ("stg-1".into(), Some("feature-x".into())),
            ("stg-2".into(), Some("main".into())),
            ("dev".into(), Some("feature-y".into())),
        ]
    }

    fn stgs() -> Vec<(String, String)> {
        vec![
            ("stg-1".into(), "Stg-1".into()),
            ("stg-2".into(), "Stg-2".into()),
        ]
    }

    #[test]
    fn a_dev_cell_offers_each_stg_not_running_it() {
        let links = cell_shortcuts(
            "app-a",
            "dev",
            "feature-y",
            &row(),
            &stgs(),
            Some(("dev", "Dev")),
        );
        let labels: Vec<_> = links.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["→ Stg-1", "→ Stg-2"]);
        assert_eq!(links[0].href, "/promote?env=stg-1&svc.app-a=feature-y");
    }

    #[test]
    fn a_stg_cell_offers_the_other_stg_and_copying_dev() {
        let links = cell_shortcuts(
            "app-a",
            "stg-2",
            "main",
            &row(),
            &stgs(),
            Some(("dev", "Dev")),
        );
        let labels: Vec<_> = links.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["→ Stg-1", "copy Dev's branch"]);
        assert_eq!(links[1].href, "/promote?env=stg-2&svc.app-a=feature-y");
    }

    #[test]
    fn nobody_may_write_means_no_links() {
        assert!(cell_shortcuts(
            "app-a",
            "dev",
            "feature-y",
            &row(),
            &[],
            Some(("dev", "Dev"))
        )
        .is_empty());
    }

    #[test]
    fn branch_names_are_escaped_in_links() {
        assert_eq!(
            promote_href("stg-1", "app-a", "feat/a&b"),
            "/promote?env=stg-1&svc.app-a=feat/a%26b"
        );
    }
}
