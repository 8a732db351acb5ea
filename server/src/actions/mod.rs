//! What people do to the GitOps repositories through Berth: create and
//! delete sandboxes, point environments at branches. Each action checks
//! the person's role and the input before anything is written, goes
//! through the one writer of its repository, and lands in the audit log
//! whatever the outcome.

mod audit;
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
    gitops::writer::{Author, Outcome, WriteError, Writer},
    readmodel::ReadModel,
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
    refusals: RefusalLimiter,
}

impl Actions {
    pub fn new(
        config: Arc<Config>,
        gatekeeper: Arc<Gatekeeper>,
        read_model: Arc<ReadModel>,
        store: Arc<dyn AccessStore>,
    ) -> Actions {
        Actions {
            writer: Arc::new(Writer::new(&config)),
            branches: BranchCache::new(config.git_timeout()),
            config,
            gatekeeper,
            read_model,
            store,
            refusals: RefusalLimiter::default(),
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
        };
        tokio::spawn(job.run()).await.unwrap_or_else(|err| {
            tracing::error!(%err, actor = %who.user, action = action.as_str(), "a write task stopped");
            Err(BerthError::Unavailable(
                "the write stopped unexpectedly; check the audit log and the repository before trying again".into(),
            ))
        })
    }

    // The actions, each as preview + commit.

    pub async fn promote(
        &self,
        who: &Identity,
        environment: &str,
        changes: &[(String, String)],
    ) -> Result<CommitResult, BerthError> {
        let planned = self.plan_promotion(who, environment, changes).await;
        let action = AuditAction::promotion(changes.len());
        self.commit(who, action, environment, describe_changes(changes), planned)
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
        self.commit(
            who,
            AuditAction::CreateSandbox,
            &format!("sandbox/{}", name.trim()),
            detail,
            planned,
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
        )
        .await
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
            .write(&planned.repository, &planned.change, &Actions::author(&who))
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
                    WriteError::Invalid(_) | WriteError::Conflict(_) => AuditOutcome::Refused,
                    WriteError::Failed(_) => AuditOutcome::Failed,
                };
                let err = write_error(err);
                audit::finish(store, id, row(outcome, &err.to_string(), None)).await;
                Err(err)
            }
        }
    }
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
fn write_error(err: WriteError) -> BerthError {
    match err {
        WriteError::Invalid(why) => BerthError::Invalid(why),
        WriteError::Conflict(why) => BerthError::Conflict(why),
        WriteError::Failed(why) => BerthError::Unavailable(why),
    }
}
