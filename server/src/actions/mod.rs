//! What people do to the GitOps repositories through Berth: create and
//! delete sandboxes, point environments at branches. Each action checks
//! the person's role and the input before anything is written, goes
//! through the one writer of its repository, and lands in the audit log
//! whatever the outcome.

pub(crate) mod audit;
pub mod branches;
mod operations;
mod plan;
pub mod promotion;

use std::sync::Arc;

use app::{
    error::BerthError,
    model::{AuditAction, AuditOutcome, CommitPreview, CommitResult},
};

use crate::{
    auth::{Gatekeeper, Identity},
    config::Config,
    gitops::writer::{Author, Gate, Open, Outcome, WriteError, Writer},
    readmodel::ReadModel,
    sharing::{Sharing, WriteGate},
    store::AccessStore,
};
pub use audit::Attempt;
use audit::RefusalLimiter;
use branches::BranchCache;
use plan::Planned;

pub struct Actions {
    pub config: Arc<Config>,
    pub gatekeeper: Arc<Gatekeeper>,
    pub writer: Arc<Writer>,
    pub read_model: Arc<ReadModel>,
    pub store: Arc<dyn AccessStore>,
    pub branches: BranchCache,
    /// Locks and freezes, asked in the writer's queue before each commit.
    pub sharing: Arc<Sharing>,
    /// Prod rollbacks and resuming automation go through the release
    /// engine, under its per-service lock.
    pub releases: Arc<crate::release::Releases>,
    refusals: RefusalLimiter,
    /// Expired sandboxes whose deletion failed: (attempts, next try), so
    /// a rejecting remote is not retried (and audited) every minute.
    expiry_retries: std::sync::Mutex<std::collections::HashMap<String, (u32, std::time::Instant)>>,
}

impl Actions {
    pub fn new(
        config: Arc<Config>,
        gatekeeper: Arc<Gatekeeper>,
        read_model: Arc<ReadModel>,
        store: Arc<dyn AccessStore>,
        sharing: Arc<Sharing>,
        releases: Arc<crate::release::Releases>,
    ) -> Actions {
        Actions {
            sharing,
            releases,
            writer: Arc::new(Writer::new(&config)),
            branches: BranchCache::new(config.git_timeout()),
            config,
            gatekeeper,
            read_model,
            store,
            refusals: RefusalLimiter::default(),
            expiry_retries: Default::default(),
        }
    }

    fn author(who: &Identity) -> Author {
        Author {
            user: who.user.clone(),
            name: who.user.clone(),
            email: who.email.clone(),
        }
    }

    async fn preview(&self, who: &Identity, planned: Planned) -> Result<CommitPreview, BerthError> {
        let preview = self
            .writer
            .preview(&planned.repository, &planned.change, &Self::author(who))
            .await
            .map_err(write_error)?;
        Ok(CommitPreview {
            file: planned.change.file().to_string(),
            diff: preview.diff,
            message: preview.message,
            unchanged: preview.unchanged,
        })
    }

    /// Writes a planned change (or records why it was refused) and waits
    /// until the read model shows it.
    async fn commit(
        &self,
        who: &Identity,
        action: AuditAction,
        target: &str,
        detail: String,
        planned: Result<Planned, BerthError>,
        gate: Box<dyn Gate>,
    ) -> Result<CommitResult, BerthError> {
        let planned = match planned {
            Ok(planned) => planned,
            Err(err) => {
                let row = audit::entry(
                    who,
                    action,
                    target,
                    detail,
                    AuditOutcome::Refused,
                    &err.to_string(),
                    None,
                );
                audit::record(self.store.as_ref(), row).await;
                return Err(err);
            }
        };
        // Axum drops this future when the client hangs up. The write runs
        // in a task of its own, so once accepted it runs to its end and is
        // audited whatever the client does.
        let job = WriteJob {
            writer: Arc::clone(&self.writer),
            store: Arc::clone(&self.store),
            read_model: Arc::clone(&self.read_model),
            who: who.clone(),
            action,
            detail,
            planned,
            gate,
        };
        tokio::spawn(job.run()).await.unwrap_or_else(|err| {
            tracing::error!(%err, actor = %who.user, action = action.as_str(), "a write task stopped");
            Err(BerthError::Unavailable(
                "the write stopped unexpectedly; check the audit log and the repository before trying again".into(),
            ))
        })
    }

    // The actions, each as preview + commit.

    /// Points services of an environment at branches. With
    /// `break_glass` (an admin's reason), it goes through a lock or a
    /// freeze; the broken glass is recorded on the lane and in the log.
    /// With `override_claims`, it goes over others' claims, recorded.
    pub async fn promote(
        &self,
        who: &Identity,
        environment: &str,
        changes: &[(String, String)],
        overrides: &app::model::Overrides,
    ) -> Result<CommitResult, BerthError> {
        let action = AuditAction::promotion(changes.len());
        let detail = describe_changes(changes);
        let planned = match break_glass_reason(who, overrides.break_glass.as_deref()) {
            Ok(reason) => self
                .plan_promotion(who, environment, changes)
                .await
                .map(|planned| (planned, reason)),
            Err(err) => Err(err),
        };
        let (planned, gate) = match planned {
            Ok((planned, break_glass)) => {
                let gate = WriteGate {
                    sharing: Arc::clone(&self.sharing),
                    who: who.clone(),
                    environment: environment.to_string(),
                    services: changes.iter().map(|(s, _)| s.clone()).collect(),
                    what: format!("promote {detail}"),
                    break_glass,
                    override_claims: overrides.override_claims,
                };
                (Ok(planned), Box::new(gate) as Box<dyn Gate>)
            }
            Err(err) => (Err(err), Box::new(Open) as Box<dyn Gate>),
        };
        self.commit(who, action, environment, detail, planned, gate)
            .await
    }

    pub async fn preview_create_sandbox(
        &self,
        who: &Identity,
        name: &str,
        keys: &str,
    ) -> Result<CommitPreview, BerthError> {
        let planned = self.plan_create_sandbox(who, name, keys)?;
        self.preview(who, planned).await
    }

    pub async fn create_sandbox(
        &self,
        who: &Identity,
        name: &str,
        keys: &str,
    ) -> Result<CommitResult, BerthError> {
        let planned = self.plan_create_sandbox(who, name, keys);
        let keys_count = keys.lines().filter(|l| !l.trim().is_empty()).count();
        let detail = format!("{keys_count} SSH key(s)");
        // A sandbox is its owner's: no environment lock holds it.
        self.commit(
            who,
            AuditAction::CreateSandbox,
            &format!("sandbox/{}", name.trim()),
            detail,
            planned,
            Box::new(Open),
        )
        .await
    }

    pub async fn preview_delete_sandbox(
        &self,
        who: &Identity,
        name: &str,
    ) -> Result<CommitPreview, BerthError> {
        let planned = self.plan_delete_sandbox(who, name, None)?;
        self.preview(who, planned).await
    }

    pub async fn delete_sandbox(
        &self,
        who: &Identity,
        name: &str,
        confirm: &str,
    ) -> Result<CommitResult, BerthError> {
        let planned = self.plan_delete_sandbox(who, name, Some(confirm));
        self.commit(
            who,
            AuditAction::DeleteSandbox,
            &format!("sandbox/{name}"),
            String::new(),
            planned,
            Box::new(Open),
        )
        .await
    }
}

impl Actions {
    /// Moves a sandbox's last day; its owner or an admin.
    pub async fn extend_sandbox(
        &self,
        who: &Identity,
        name: &str,
    ) -> Result<CommitResult, BerthError> {
        let planned = self.plan_extend_sandbox(who, name);
        let target = format!("sandbox/{}", name.chars().take(64).collect::<String>());
        self.commit(
            who,
            AuditAction::ExtendSandbox,
            &target,
            String::new(),
            planned,
            Box::new(Open),
        )
        .await
    }

    /// Deletes each sandbox whose last day has passed, one commit each
    /// naming the rule; returns how many were deleted. Every Berth process
    /// runs it: the writer reads the file at the fresh head, so a sandbox
    /// another process deleted first, or one extended meanwhile, commits
    /// nothing.
    pub async fn expire_sandboxes(&self) -> usize {
        let today = self.config.day_at(crate::clock::unix_now());
        let berth = Identity {
            user: "berth".into(),
            email: self.config.committer.email.clone(),
            groups: Vec::new(),
            role: app::model::Role::Admin,
            via: crate::auth::Via::Rule,
            remote: None,
        };
        let mut deleted = 0;
        for (name, expired) in self.expired_sandboxes(today) {
            let waiting = {
                let retries = self
                    .expiry_retries
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                retries
                    .get(&name)
                    .is_some_and(|(_, next)| *next > std::time::Instant::now())
            };
            if waiting {
                continue;
            }
            let target = format!("sandbox/{name}");
            let planned = Ok(Planned {
                repository: self.sandbox_repository(),
                target: target.clone(),
                change: crate::gitops::change::FileEdit::ExpireSandbox {
                    file: self.sandbox_file(&name),
                    name: name.clone(),
                    expired,
                    today,
                },
            });
            let detail = format!("expired on {expired}");
            let done = self
                .commit(
                    &berth,
                    AuditAction::ExpireSandbox,
                    &target,
                    detail,
                    planned,
                    Box::new(Open),
                )
                .await;
            let mut retries = self
                .expiry_retries
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            match done {
                Ok(CommitResult { commit, .. }) => {
                    retries.remove(&name);
                    deleted += usize::from(commit.is_some());
                }
                // Tried again after 2, 4, 8 … minutes, at most hourly.
                Err(_) => {
                    let attempts = retries.get(&name).map_or(1, |(n, _)| n + 1);
                    let wait = (60u64 << attempts.min(6)).min(3600);
                    let next = std::time::Instant::now() + std::time::Duration::from_secs(wait);
                    retries.insert(name, (attempts, next));
                }
            }
        }
        deleted
    }

    /// Expires sandboxes every minute, forever.
    pub fn spawn_expiry(self: &Arc<Self>) {
        let actions = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if actions.read_model.is_ready() {
                    actions.expire_sandboxes().await;
                }
            }
        });
    }
}

/// One accepted write, owning all it needs, so it can outlive the request.
struct WriteJob {
    writer: Arc<Writer>,
    store: Arc<dyn AccessStore>,
    read_model: Arc<ReadModel>,
    who: Identity,
    action: AuditAction,
    detail: String,
    planned: Planned,
    gate: Box<dyn Gate>,
}

impl WriteJob {
    async fn run(self) -> Result<CommitResult, BerthError> {
        let WriteJob {
            writer,
            store,
            read_model,
            who,
            action,
            detail,
            planned,
            gate,
        } = self;
        let store = store.as_ref();
        let row = |outcome: AuditOutcome, message: &str, commit: Option<String>| {
            audit::entry(
                &who,
                action,
                &planned.target,
                detail.clone(),
                outcome,
                message,
                commit,
            )
        };
        // Recorded before the push: if Berth dies mid-write, the row still
        // says who started what.
        let id = audit::record(store, row(AuditOutcome::Accepted, "", None)).await;
        let outcome = writer
            .write(
                &planned.repository,
                &planned.change,
                &Actions::author(&who),
                gate.as_ref(),
            )
            .await;
        match outcome {
            Ok(Outcome::Committed { sha, attempts, .. }) => {
                let message = format!("committed {}", &sha[..sha.len().min(7)]);
                audit::finish(
                    store,
                    id,
                    row(AuditOutcome::Committed, &message, Some(sha.clone())),
                )
                .await;
                tracing::info!(actor = %who.user, action = action.as_str(), target = %planned.target, %sha, attempts, "committed");
                read_model.refresh_to_include_now().await;
                Ok(CommitResult {
                    commit: Some(sha),
                    message: planned.change.summary(),
                })
            }
            Ok(Outcome::Unchanged(why)) => {
                audit::finish(store, id, row(AuditOutcome::Unchanged, &why, None)).await;
                Ok(CommitResult {
                    commit: None,
                    message: why,
                })
            }
            Err(err) => {
                let outcome = match err {
                    WriteError::Invalid(_) | WriteError::Conflict(_) | WriteError::Held(_) => {
                        AuditOutcome::Refused
                    }
                    WriteError::Failed(_) => AuditOutcome::Failed,
                };
                let err = write_error(err);
                audit::finish(store, id, row(outcome, &err.to_string(), None)).await;
                Err(err)
            }
        }
    }
}

/// An admin's reason to write through a lock or a freeze: one line, said
/// in words. Anyone else asking is refused before anything is planned.
fn break_glass_reason(who: &Identity, reason: Option<&str>) -> Result<Option<String>, BerthError> {
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if who.role != app::model::Role::Admin {
        return Err(BerthError::Forbidden(format!(
            "only an admin may break the glass; {} is {}",
            who.user,
            who.role.as_str()
        )));
    }
    if reason.chars().count() > crate::sharing::MAX_REASON_CHARS
        || !crate::sharing::plain_line(reason)
    {
        return Err(BerthError::Invalid(format!(
            "the reason for breaking the glass must be one line of at most {} characters",
            crate::sharing::MAX_REASON_CHARS
        )));
    }
    Ok(Some(reason.to_string()))
}

fn describe_changes(changes: &[(String, String)]) -> String {
    changes
        .iter()
        .map(|(s, b)| format!("{s} → {b}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The writer already logged git's output; each `why` is a sentence for
/// the person.
pub(crate) fn write_error(err: WriteError) -> BerthError {
    match err {
        WriteError::Invalid(why) => BerthError::Invalid(why),
        WriteError::Conflict(why) => BerthError::Conflict(why),
        WriteError::Failed(why) => BerthError::Unavailable(why),
        WriteError::Held(why) => BerthError::Held(why),
    }
}
