//! Claims on Dev: a person takes Dev (or some services) for a purpose and
//! a time. Nobody is refused: someone else changing what a claim covers
//! is asked to confirm, and the override is recorded.

use std::sync::Arc;

use app::{
    error::BerthError,
    format::utc,
    model::{AuditAction, AuditOutcome, Claim, ClaimForm, Role},
};

use super::{
    requests::{Checked, DEFAULT_CLAIM_HOURS, MAX_CLAIM_HOURS},
    spawned, unavailable, Sharing,
};
use crate::{auth::Identity, clock::unix_now};

impl Sharing {
    pub async fn claim(
        self: &Arc<Self>,
        who: &Identity,
        form: &ClaimForm,
    ) -> Result<Claim, BerthError> {
        let now = unix_now();
        let target = form.environment.trim().chars().take(64).collect::<String>();
        let checked = form.check(&self.config, &who.user, now).and_then(|claim| {
            let env = self
                .config
                .environments
                .iter()
                .find(|e| e.name == claim.environment);
            match env {
                Some(env) if who.may_write(env) => Ok(claim),
                _ => Err(BerthError::Forbidden(format!(
                    "{} may not change {}, so cannot claim it",
                    who.user, claim.environment
                ))),
            }
        });
        let claim = match checked {
            Ok(claim) => claim,
            Err(err) => {
                return self.refuse(who, AuditAction::Claim, &target, err).await;
            }
        };
        let sharing = Arc::clone(self);
        let who = who.clone();
        spawned(async move {
            let open = sharing.store.claims_in_force(now).await.map_err(unavailable)?;
            let mine = open.iter().filter(|c| c.environment == claim.environment).count();
            if mine >= super::MAX_LOCKS {
                let err = BerthError::Invalid(format!(
                    "{} already has {} claims; end one first",
                    claim.environment,
                    super::MAX_LOCKS
                ));
                return sharing.refuse(&who, AuditAction::Claim, &target, err).await;
            }
            let stored = sharing.store.add_claim(&claim).await.map_err(unavailable)?;
            let claim = match stored {
                Ok(claim) => claim,
                Err(taken) => {
                    let err = BerthError::Conflict(format!(
                        "{} is already claimed by {} until {} UTC: “{}”; ask them to end it, or claim other services",
                        taken.scope(),
                        taken.by,
                        utc(taken.until),
                        taken.purpose
                    ));
                    return sharing.refuse(&who, AuditAction::Claim, &target, err).await;
                }
            };
            let detail = format!("{}: “{}” until {} UTC", claim.scope(), claim.purpose, utc(claim.until));
            let words = format!("✋ {} claimed {detail}", who.user);
            sharing
                .notify(&format!("claim:{}", claim.id), &claim.environment, "claim", &words)
                .await;
            sharing.done(&who, AuditAction::Claim, &target, detail).await;
            Ok(claim)
        })
        .await
    }

    /// Records a write that went over others' claims, confirmed.
    pub(super) async fn record_override(
        &self,
        who: &Identity,
        environment: &str,
        what: &str,
        claims: &str,
    ) {
        let detail = format!("{what} over: {claims}");
        self.audited(
            who,
            AuditAction::OverrideClaim,
            environment,
            detail,
            AuditOutcome::Committed,
            "",
        )
        .await;
    }

    /// Moves a claim's end `hours` (2 by default) later, at most 12 hours
    /// from now; the holder, qa or an admin.
    pub async fn extend_claim(
        self: &Arc<Self>,
        who: &Identity,
        id: i64,
        hours: Option<u32>,
    ) -> Result<Claim, BerthError> {
        self.change_claim(
            who,
            id,
            AuditAction::ExtendClaim,
            hours.or(Some(DEFAULT_CLAIM_HOURS)),
        )
        .await
    }

    /// Ends a claim now; the holder, qa or an admin.
    pub async fn end_claim(self: &Arc<Self>, who: &Identity, id: i64) -> Result<Claim, BerthError> {
        self.change_claim(who, id, AuditAction::EndClaim, None)
            .await
    }

    async fn change_claim(
        self: &Arc<Self>,
        who: &Identity,
        id: i64,
        action: AuditAction,
        extend: Option<u32>,
    ) -> Result<Claim, BerthError> {
        let target = format!("claim/{id}");
        let sharing = Arc::clone(self);
        let who = who.clone();
        spawned(async move {
            let now = unix_now();
            let open = sharing
                .store
                .claims_in_force(now)
                .await
                .map_err(unavailable)?;
            let Some(claim) = open.into_iter().find(|c| c.id == id) else {
                let err = BerthError::NotFound(format!(
                    "there is no claim {id} in force; it may have ended"
                ));
                return sharing.refuse(&who, action, &target, err).await;
            };
            let refusal = if claim.by != who.user && !matches!(who.role, Role::Qa | Role::Admin) {
                Some(BerthError::Forbidden(format!(
                    "the claim is {}'s; only they, qa or an admin may change it",
                    claim.by
                )))
            } else if extend.is_some_and(|hours| !(1..=MAX_CLAIM_HOURS).contains(&hours)) {
                Some(BerthError::Invalid(format!(
                    "extend by 1 to {MAX_CLAIM_HOURS} hours"
                )))
            } else {
                None
            };
            if let Some(err) = refusal {
                return sharing.refuse(&who, action, &target, err).await;
            }
            let changed = match extend {
                Some(hours) => {
                    let until = (claim.until + i64::from(hours) * 3600)
                        .min(now + i64::from(MAX_CLAIM_HOURS) * 3600);
                    sharing.store.extend_claim(id, until, now).await
                }
                None => sharing.store.end_claim(id, &who.user, now).await,
            }
            .map_err(unavailable)?
            .ok_or_else(|| BerthError::NotFound(format!("the claim {id} ended meanwhile")))?;
            let detail = format!(
                "{}'s claim on {}: “{}”, until {} UTC",
                changed.by,
                changed.scope(),
                changed.purpose,
                utc(if extend.is_some() { changed.until } else { now })
            );
            sharing
                .done(&who, action, &changed.environment, detail)
                .await;
            Ok(changed)
        })
        .await
    }
}
