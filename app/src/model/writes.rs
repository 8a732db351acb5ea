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
    /// A CI system reporting builds; it changes no file.
    Ci,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Developer => "developer",
            Role::Qa => "qa",
            Role::Admin => "admin",
            Role::Ci => "ci",
        }
    }

    /// The one rule for deleting a sandbox, for the server that enforces
    /// it and the page that offers it: an admin may delete any sandbox,
    /// anyone else only a sandbox whose owner is their user name.
    pub fn may_delete_sandbox(self, user: &str, owner: Option<&str>) -> bool {
        self == Role::Admin || owner == Some(user)
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

    /// Whether to offer deleting a sandbox owned by `owner`; nobody signed
    /// in may delete anything. See `Role::may_delete_sandbox`.
    pub fn may_delete_sandbox(&self, owner: Option<&str>) -> bool {
        match (self.user.as_deref(), self.role) {
            (Some(user), Some(role)) => role.may_delete_sandbox(user, owner),
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
    /// All environments this person may write, for the picker.
    pub environments: Vec<(String, String)>,
    pub rows: Vec<PromotionRow>,
    /// What the confirm button commits: the rows that differ from what
    /// runs now, as checked on the server.
    pub changes: Vec<(String, String)>,
    /// The diff of the requested change, or the problems that stop it.
    pub preview: Option<CommitPreview>,
    pub problems: Vec<String>,
    /// Locks and freezes on the environment now.
    #[serde(default)]
    pub holds: super::EnvironmentHolds,
    /// Whether this person may write through them, with a reason.
    #[serde(default)]
    pub may_break_glass: bool,
    /// When the plan was made (unix seconds), for "until … (in 2 h)".
    #[serde(default)]
    pub now: i64,
    /// Others' claims the change would go over, as a sentence naming
    /// each holder: the commit asks to confirm.
    #[serde(default)]
    pub claimed: Option<String>,
}

/// What a person did through Berth: the `Berth-Action` trailer of its
/// commit and the action of its audit row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    Promote,
    /// Several services of one environment in one commit.
    PromoteProject,
    CreateSandbox,
    DeleteSandbox,
    /// A request refused before anyone was identified; the target names
    /// its method and path.
    Request,
    /// CI reported a build.
    ReportBuild,
    /// Berth set an Application's image tag to a build's.
    SetImage,
    /// An environment (or a service in it) was locked.
    Lock,
    LiftLock,
    /// A freeze window was set.
    Freeze,
    LiftFreeze,
    /// An admin let a write through a lock or a freeze.
    BreakGlass,
    /// A person claimed Dev (or some services in it).
    Claim,
    ExtendClaim,
    EndClaim,
    /// A write went ahead over someone else's claim, confirmed.
    OverrideClaim,
    /// A prod service went back to a release deployed before.
    Rollback,
    /// Prod automation of a service, paused by a rollback, resumed.
    ResumeAutomation,
    /// A sandbox's owner moved its last day.
    ExtendSandbox,
    /// Berth deleted a sandbox whose last day had passed.
    ExpireSandbox,
    /// A project booked a Stg environment for some days.
    Book,
    CancelBooking,
}

impl AuditAction {
    /// A promotion of `services` services: several in one commit are a
    /// project promotion.
    pub fn promotion(services: usize) -> AuditAction {
        if services > 1 {
            AuditAction::PromoteProject
        } else {
            AuditAction::Promote
        }
    }

    pub const ALL: [AuditAction; 22] = [
        AuditAction::Promote,
        AuditAction::PromoteProject,
        AuditAction::CreateSandbox,
        AuditAction::DeleteSandbox,
        AuditAction::Request,
        AuditAction::ReportBuild,
        AuditAction::SetImage,
        AuditAction::Lock,
        AuditAction::LiftLock,
        AuditAction::Freeze,
        AuditAction::LiftFreeze,
        AuditAction::BreakGlass,
        AuditAction::Claim,
        AuditAction::ExtendClaim,
        AuditAction::EndClaim,
        AuditAction::OverrideClaim,
        AuditAction::Rollback,
        AuditAction::ResumeAutomation,
        AuditAction::ExtendSandbox,
        AuditAction::ExpireSandbox,
        AuditAction::Book,
        AuditAction::CancelBooking,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Promote => "promote",
            AuditAction::PromoteProject => "promote-project",
            AuditAction::CreateSandbox => "create-sandbox",
            AuditAction::DeleteSandbox => "delete-sandbox",
            AuditAction::Request => "request",
            AuditAction::ReportBuild => "report-build",
            AuditAction::SetImage => "set-image",
            AuditAction::Lock => "lock",
            AuditAction::LiftLock => "lift-lock",
            AuditAction::Freeze => "freeze",
            AuditAction::LiftFreeze => "lift-freeze",
            AuditAction::BreakGlass => "break-glass",
            AuditAction::Claim => "claim",
            AuditAction::ExtendClaim => "extend-claim",
            AuditAction::EndClaim => "end-claim",
            AuditAction::OverrideClaim => "override-claim",
            AuditAction::Rollback => "rollback",
            AuditAction::ResumeAutomation => "resume-automation",
            AuditAction::ExtendSandbox => "extend-sandbox",
            AuditAction::ExpireSandbox => "expire-sandbox",
            AuditAction::Book => "book",
            AuditAction::CancelBooking => "cancel-booking",
        }
    }
}

/// How a write attempt ended, as its audit row says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditOutcome {
    Committed,
    /// It was already so; nothing to commit.
    Unchanged,
    /// The person's request was not allowed or not possible.
    Refused,
    /// Berth or the repository failed; nothing was committed.
    Failed,
    /// The write is under way (or stopped by a crash in the middle).
    Accepted,
}

impl AuditOutcome {
    pub const ALL: [AuditOutcome; 5] = [
        AuditOutcome::Committed,
        AuditOutcome::Unchanged,
        AuditOutcome::Refused,
        AuditOutcome::Failed,
        AuditOutcome::Accepted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Committed => "committed",
            AuditOutcome::Unchanged => "unchanged",
            AuditOutcome::Refused => "refused",
            AuditOutcome::Failed => "failed",
            AuditOutcome::Accepted => "accepted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    /// How the actor signed in: session, proxy or token.
    pub via: String,
    pub remote: Option<String>,
    /// An `AuditAction`, as stored.
    pub action: String,
    pub target: String,
    pub detail: String,
    /// An `AuditOutcome`, as stored.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_delete_any_sandbox_others_only_their_own() {
        assert!(Role::Admin.may_delete_sandbox("root", Some("ann")));
        assert!(Role::Admin.may_delete_sandbox("root", None));
        for role in [Role::Developer, Role::Qa] {
            assert!(role.may_delete_sandbox("ann", Some("ann")), "{role:?}");
            assert!(!role.may_delete_sandbox("ann", Some("bob")), "{role:?}");
            assert!(
                !role.may_delete_sandbox("ann", Some("Ann")),
                "{role:?}: owners match exactly"
            );
            assert!(
                !role.may_delete_sandbox("ann", None),
                "{role:?}: a sandbox without owner is the admins'"
            );
        }
    }

    #[test]
    fn the_page_offers_delete_by_the_same_rule() {
        let viewer = |user: Option<&str>, role: Option<Role>| Viewer {
            user: user.map(str::to_string),
            role,
            ..Default::default()
        };
        let ann = viewer(Some("ann"), Some(Role::Developer));
        assert!(ann.may_delete_sandbox(Some("ann")));
        assert!(!ann.may_delete_sandbox(Some("bob")));
        assert!(!ann.may_delete_sandbox(None));
        let quinn = viewer(Some("quinn"), Some(Role::Qa));
        assert!(quinn.may_delete_sandbox(Some("quinn")));
        assert!(!quinn.may_delete_sandbox(Some("ann")));
        let root = viewer(Some("root"), Some(Role::Admin));
        assert!(root.may_delete_sandbox(Some("bob")));
        assert!(root.may_delete_sandbox(None));
        let nobody = Viewer::default();
        assert!(!nobody.may_delete_sandbox(Some("ann")));
        assert!(!nobody.may_delete_sandbox(None));
    }

    fn entry(id: i64) -> AuditEntry {
        AuditEntry {
            id,
            at: 0,
            actor: "ann".into(),
            via: "token".into(),
            remote: None,
            action: "promote".into(),
            target: "dev".into(),
            detail: String::new(),
            outcome: "committed".into(),
            message: String::new(),
            commit: None,
        }
    }

    #[test]
    fn a_page_knows_whether_an_older_one_exists() {
        let query = AuditQuery {
            limit: Some(2),
            ..Default::default()
        };
        let page = AuditLogPage::new(vec![entry(9), entry(7), entry(5)], &query);
        let ids: Vec<_> = page.entries.iter().map(|e| e.id).collect();
        assert_eq!(ids, [9, 7], "the extra row only says more exist");
        assert_eq!(page.next_before, Some(7));
        let last = AuditLogPage::new(vec![entry(3), entry(1)], &query);
        assert_eq!((last.entries.len(), last.next_before), (2, None));
        let empty = AuditLogPage::new(Vec::new(), &query);
        assert_eq!((empty.entries.len(), empty.next_before), (0, None));
    }

    #[test]
    fn page_sizes_are_bounded() {
        let size = |limit| {
            AuditQuery {
                limit,
                ..Default::default()
            }
            .page_size()
        };
        assert_eq!(size(None), 100);
        assert_eq!(size(Some(0)), 1);
        assert_eq!(size(Some(-5)), 1);
        assert_eq!(size(Some(42)), 42);
        assert_eq!(size(Some(10_000)), 500);
    }
}
