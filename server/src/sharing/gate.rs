//! The check a person's write passes in the git writer's queue: nothing
//! holds what it changes, or an admin breaks the glass with a reason; and
//! nobody else claims it, or the person confirmed going over the claim.

use std::sync::Arc;

use app::model::Role;

use super::{board, Sharing};
use crate::{
    auth::Identity,
    gitops::writer::{Gate, WriteError},
};

pub struct WriteGate {
    pub sharing: Arc<Sharing>,
    pub who: Identity,
    pub environment: String,
    /// The services the write changes.
    pub services: Vec<String>,
    /// The write in a few words, for the lane and the audit log.
    pub what: String,
    /// An admin's reason to write through a lock or a freeze.
    pub break_glass: Option<String>,
    /// The person confirmed going over others' claims.
    pub override_claims: bool,
}

#[async_trait::async_trait]
impl Gate for WriteGate {
    async fn check(&self) -> Result<(), WriteError> {
        // One read of the board: locks, freezes and claims as of now.
        let holds = self
            .sharing
            .holds_of(&self.environment)
            .await
            .map_err(|err| {
                tracing::error!(%err, "cannot read locks, freezes and claims; the write is refused");
                WriteError::Failed(
                    "the locks and freezes cannot be read now, so nothing was written".into(),
                )
            })?;
        let held = board::refusals(&holds, &self.services);
        if !held.is_empty() {
            let why = held.join(" ");
            match &self.break_glass {
                Some(reason) if self.who.role == Role::Admin => self
                    .sharing
                    .break_glass(&self.who, &self.environment, reason, &self.what, &why)
                    .await
                    .map_err(|err| {
                        tracing::error!(%err, "cannot record broken glass; the write is refused");
                        WriteError::Failed(
                            "the broken glass cannot be recorded now, so nothing was written"
                                .into(),
                        )
                    })?,
                _ => {
                    return Err(WriteError::Held(format!(
                        "{why} Nothing was written; an admin may break the glass with a reason."
                    )))
                }
            }
        }
        let claimed = board::claimed(&holds, &self.services, &self.who.user);
        match claimed {
            None => Ok(()),
            Some(why) if self.override_claims => {
                self.sharing
                    .record_override(&self.who, &self.environment, &self.what, &why)
                    .await;
                Ok(())
            }
            Some(why) => Err(WriteError::Conflict(format!(
                "{why} Nothing was written; confirm to change it anyway (the override is recorded)."
            ))),
        }
    }
}
