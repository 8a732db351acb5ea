//! What people do to the GitOps repositories through Berth: create and
//! delete sandboxes, point environments at branches. Each action checks
//! the person's role and the input before anything is written, goes
//! through the one writer of its repository, and lands in the audit log
//! whatever the outcome.

pub mod branches;
mod plan;
mod port;

use std::sync::Arc;

use app::{
    error::BerthError,
    model::{CommitPreview, CommitResult},
};

use crate::{
    auth::{Gatekeeper, Identity},
    config::Config,
    gitops::writer::{Author, Outcome, WriteError, Writer},
    readmodel::{unix_now, ReadModel},
    store::{AccessStore, NewAuditEntry},
};
use branches::BranchCache;
use plan::Planned;

pub struct Actions {
    pub config: Arc<Config>,
    pub gatekeeper: Arc<Gatekeeper>,
    pub writer: Arc<Writer>,
    pub read_model: Arc<ReadModel>,
    pub store: Arc<dyn AccessStore>,
    pub branches: BranchCache,
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
            config,
            gatekeeper,
            read_model,
            store,
            branches: BranchCache::default(),
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
        action: &str,
        target: &str,
        detail: String,
        planned: Result<Planned, BerthError>,
    ) -> Result<CommitResult, BerthError> {
        let planned = match planned {
            Ok(planned) => planned,
            Err(err) => {
                self.audit(
                    who,
                    action,
                    target,
                    detail,
                    "refused",
                    &err.to_string(),
                    None,
                )
                .await;
                return Err(err);
            }
        };
        let outcome = self
            .writer
            .write(&planned.repository, &planned.change, &Self::author(who))
            .await;
        match outcome {
            Ok(Outcome::Committed { sha, attempts, .. }) => {
                let message = format!("committed {}", &sha[..sha.len().min(7)]);
                self.audit(
                    who,
                    action,
                    &planned.target,
                    detail,
                    "committed",
                    &message,
                    Some(sha.clone()),
                )
                .await;
                tracing::info!(actor = %who.user, action, target = %planned.target, %sha, attempts, "committed");
                self.read_model.refresh_to_include_now().await;
                Ok(CommitResult {
                    commit: Some(sha),
                    message: planned.change.summary(),
                })
            }
            Ok(Outcome::Unchanged(why)) => {
                self.audit(
                    who,
                    action,
                    &planned.target,
                    detail,
                    "unchanged",
                    &why,
                    None,
                )
                .await;
                Ok(CommitResult {
                    commit: None,
                    message: why,
                })
            }
            Err(err) => {
                let outcome = match err {
                    WriteError::Conflict(_) => "refused",
                    WriteError::Failed(_) => "failed",
                };
                let err = write_error(err);
                self.audit(
                    who,
                    action,
                    &planned.target,
                    detail,
                    outcome,
                    &err.to_string(),
                    None,
                )
                .await;
                Err(err)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        who: &Identity,
        action: &str,
        target: &str,
        detail: String,
        outcome: &str,
        message: &str,
        commit: Option<String>,
    ) {
        let entry = NewAuditEntry {
            actor: who.user.clone(),
            via: who.via.as_str().into(),
            remote: who.remote.clone(),
            action: action.into(),
            target: target.into(),
            detail,
            outcome: outcome.into(),
            message: message.into(),
            commit,
        };
        if let Err(err) = self.store.record_audit(entry, unix_now()).await {
            // The commit (if any) stands; losing its audit row is logged loudly.
            tracing::error!(%err, "could not write the audit log");
        }
    }

    // The actions, each as preview + commit.

    pub async fn preview_promotion(
        &self,
        who: &Identity,
        environment: &str,
        changes: &[(String, String)],
    ) -> Result<CommitPreview, BerthError> {
        let planned = self.plan_promotion(who, environment, changes).await?;
        self.preview(who, planned).await
    }

    pub async fn promote(
        &self,
        who: &Identity,
        environment: &str,
        changes: &[(String, String)],
    ) -> Result<CommitResult, BerthError> {
        let planned = self.plan_promotion(who, environment, changes).await;
        let action = if changes.len() > 1 {
            "promote-project"
        } else {
            "promote"
        };
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
            "create-sandbox",
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
            "delete-sandbox",
            &format!("sandbox/{name}"),
            String::new(),
            planned,
        )
        .await
    }
}

fn describe_changes(changes: &[(String, String)]) -> String {
    changes
        .iter()
        .map(|(s, b)| format!("{s} → {b}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_error(err: WriteError) -> BerthError {
    match err {
        WriteError::Conflict(why) => BerthError::Conflict(why),
        WriteError::Failed(why) => {
            tracing::error!(%why, "write to the GitOps repository failed");
            BerthError::Unavailable(format!("the GitOps repository could not be written: {why}"))
        }
    }
}
