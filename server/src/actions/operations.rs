//! The `Operations` adapter for the UI's server functions: identify the person from the
//! request, then run the action as them.

use std::collections::HashMap;

use app::{
    error::BerthError,
    model::{
        ApiToken, AuditEntry, AuditQuery, Booking, BookingForm, Claim, ClaimForm, CommitPreview,
        CommitResult, Freeze, FreezeForm, Lock, LockForm, Overrides, PromotionPlan, PromotionRow,
        Role, Viewer,
    },
    ports::Operations,
};
use axum::http::request::Parts;

use super::{
    promotion::{check_promotion, Requested},
    Actions,
};
use crate::{
    auth::{hash_token, new_token},
    clock::unix_now,
};

/// The longest a token may live: a leaked token must stop working on its
/// own eventually.
pub const MAX_TOKEN_DAYS: u32 = 365;

fn store_error(err: crate::store::StoreError) -> BerthError {
    crate::error::Error::from(err).into()
}

impl Actions {
    /// Creates an API token for `user` (the UI, or `berth token create`),
    /// valid for `days`.
    pub async fn issue_token(
        &self,
        user: &str,
        label: &str,
        groups: &[String],
        days: u32,
    ) -> Result<String, BerthError> {
        crate::auth::check_user_name(user).map_err(BerthError::Invalid)?;
        if !(1..=MAX_TOKEN_DAYS).contains(&days) {
            return Err(BerthError::Invalid(format!(
                "a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}"
            )));
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 80 || label.chars().any(char::is_control) {
            return Err(BerthError::Invalid(
                "give the token a label of 1 to 80 characters, such as `ci-release`".into(),
            ));
        }
        let token = new_token().map_err(BerthError::Unavailable)?;
        let now = unix_now();
        let expires = now + i64::from(days) * 86_400;
        self.store
            .create_token(user, label, &hash_token(&token), groups, now, expires)
            .await
            .map_err(store_error)?;
        Ok(token)
    }

    async fn plan_rows(
        &self,
        environment: &str,
        requested: &[(String, String)],
        refresh_branches: bool,
    ) -> Result<Vec<PromotionRow>, BerthError> {
        let env = self.environment(environment)?;
        let mapping = self.read_model.environment_mapping(env)?;
        let mut rows = Vec::new();
        for service in &self.config.services {
            let current = mapping
                .entries
                .iter()
                .find(|e| e.service == service.name)
                .map(|e| e.branch.clone());
            // A listing failure leaves the box free-form; the check on
            // commit still refuses a branch that does not exist.
            let branches = self
                .branches
                .list(service, refresh_branches)
                .await
                .unwrap_or_else(|why| {
                    tracing::warn!(%why, "branch listing failed");
                    Vec::new()
                });
            rows.push(PromotionRow {
                service: service.name.clone(),
                requested: requested
                    .iter()
                    .find(|(s, _)| s == &service.name)
                    .map(|(_, b)| b.clone()),
                current,
                branches,
            });
        }
        Ok(rows)
    }
}

#[async_trait::async_trait]
impl Operations for Actions {
    async fn viewer(&self, request: &Parts) -> Result<Viewer, BerthError> {
        // Who may do what is decided on each write; for drawing the page a
        // person the request cannot identify (an unusable proxy name, a
        // revoked token) is nobody, not a broken page.
        let who = match self.gatekeeper.identify(request).await {
            Ok(who) => who,
            Err(BerthError::Unavailable(why)) => return Err(BerthError::Unavailable(why)),
            Err(err) => {
                tracing::debug!(%err, "page viewed by someone who could not be identified");
                None
            }
        };
        Ok(self.gatekeeper.viewer(who.as_ref()))
    }

    async fn login(&self, user: &str) -> Result<String, BerthError> {
        self.gatekeeper.login(user.trim()).await
    }

    async fn logout(&self, request: &Parts, everywhere: bool) -> Result<String, BerthError> {
        self.gatekeeper.logout(request, everywhere).await
    }

    fn secure_cookies(&self) -> bool {
        self.gatekeeper.secure_cookies()
    }

    async fn promotion_plan(
        &self,
        request: &Parts,
        environment: &str,
        requested: Vec<(String, String)>,
        refresh_branches: bool,
    ) -> Result<PromotionPlan, BerthError> {
        let who = self.gatekeeper.require(request).await?;
        self.environment(environment)?;
        let environments = self
            .config
            .environments
            .iter()
            .filter(|e| who.may_write(e))
            .map(|e| (e.name.clone(), e.title()))
            .collect();
        let rows = self
            .plan_rows(environment, &requested, refresh_branches)
            .await?;
        let current: HashMap<String, String> = rows
            .iter()
            .filter_map(|row| Some((row.service.clone(), row.current.clone()?)))
            .collect();
        let asked_for_change = requested.iter().any(|(service, branch)| {
            let branch = branch.trim();
            !branch.is_empty() && current.get(service).map(String::as_str) != Some(branch)
        });
        let checked = check_promotion(
            &self.config,
            &who,
            environment,
            &requested,
            Requested::Form(&current),
        );
        // A refusal of the whole promotion (role, prod) is shown once the
        // person asks for a change; the bare form just lists what runs.
        let checked = match checked {
            Ok(checked) => checked,
            Err(err) => {
                let problems = asked_for_change.then(|| err.to_string());
                return Ok(PromotionPlan {
                    environment: environment.to_string(),
                    environments,
                    rows,
                    changes: Vec::new(),
                    preview: None,
                    problems: problems.into_iter().collect(),
                    holds: self.read_model.holds.of(environment),
                    may_break_glass: who.role == Role::Admin,
                    now: crate::clock::unix_now(),
                    claimed: None,
                });
            }
        };
        let changes = checked.changes.clone();
        let (preview, problems) = if changes.is_empty() || !checked.problems.is_empty() {
            (None, checked.problems)
        } else {
            match self.planned_promotion(checked).await {
                Ok(planned) => match self.preview(&who, planned).await {
                    Ok(preview) => (Some(preview), Vec::new()),
                    Err(err) => (None, vec![err.to_string()]),
                },
                Err(err) => (None, vec![err.to_string()]),
            }
        };
        let holds = self.read_model.holds.of(environment);
        let services: Vec<String> = changes.iter().map(|(s, _)| s.clone()).collect();
        let claimed = (!services.is_empty())
            .then(|| crate::sharing::claimed_words(&holds, &services, &who.user))
            .flatten();
        Ok(PromotionPlan {
            environment: environment.to_string(),
            environments,
            rows,
            changes,
            preview,
            problems,
            holds,
            may_break_glass: who.role == Role::Admin,
            now: crate::clock::unix_now(),
            claimed,
        })
    }

    async fn promote(
        &self,
        request: &Parts,
        environment: &str,
        changes: Vec<(String, String)>,
        overrides: Overrides,
    ) -> Result<CommitResult, BerthError> {
        let who = self.require_writer(request).await?;
        Actions::promote(self, &who, environment, &changes, &overrides).await
    }

    async fn rollback(
        &self,
        request: &Parts,
        service: &str,
        to: i64,
        reason: &str,
        overrides: Overrides,
    ) -> Result<i64, BerthError> {
        let who = self.require_writer(request).await?;
        self.releases
            .rollback(&who, service, to, reason, &overrides)
            .await
    }

    async fn resume_automation(&self, request: &Parts, service: &str) -> Result<(), BerthError> {
        let who = self.require_writer(request).await?;
        self.releases.resume(&who, service).await
    }

    async fn book(&self, request: &Parts, form: BookingForm) -> Result<Booking, BerthError> {
        let who = self.require_writer(request).await?;
        self.sharing.book(&who, &form).await
    }

    async fn cancel_booking(&self, request: &Parts, id: i64) -> Result<Booking, BerthError> {
        let who = self.require_writer(request).await?;
        self.sharing.cancel_booking(&who, id).await
    }

    async fn claim(&self, request: &Parts, form: ClaimForm) -> Result<Claim, BerthError> {
        let who = self.require_writer(request).await?;
        self.sharing.claim(&who, &form).await
    }

    async fn change_claim(
        &self,
        request: &Parts,
        id: i64,
        extend_hours: Option<u32>,
        end: bool,
    ) -> Result<Claim, BerthError> {
        let who = self.require_writer(request).await?;
        if end {
            self.sharing.end_claim(&who, id).await
        } else {
            self.sharing.extend_claim(&who, id, extend_hours).await
        }
    }

    async fn lock(&self, request: &Parts, form: LockForm) -> Result<Lock, BerthError> {
        let who = self.require_writer(request).await?;
        self.sharing.lock(&who, &form).await
    }

    async fn lift_lock(&self, request: &Parts, id: i64) -> Result<Lock, BerthError> {
        let who = self.require_writer(request).await?;
        self.sharing.lift_lock(&who, id).await
    }

    async fn freeze(&self, request: &Parts, form: FreezeForm) -> Result<Freeze, BerthError> {
        let who = self.require_writer(request).await?;
        self.sharing.freeze(&who, &form).await
    }

    async fn lift_freeze(&self, request: &Parts, id: i64) -> Result<(), BerthError> {
        let who = self.require_writer(request).await?;
        self.sharing.lift_freeze(&who, id).await
    }

    async fn preview_create_sandbox(
        &self,
        request: &Parts,
        name: &str,
        keys: &str,
    ) -> Result<CommitPreview, BerthError> {
        let who = self.gatekeeper.require(request).await?;
        Actions::preview_create_sandbox(self, &who, name, keys).await
    }

    async fn create_sandbox(
        &self,
        request: &Parts,
        name: &str,
        keys: &str,
    ) -> Result<CommitResult, BerthError> {
        let who = self.require_writer(request).await?;
        Actions::create_sandbox(self, &who, name, keys).await
    }

    async fn extend_sandbox(
        &self,
        request: &Parts,
        name: &str,
    ) -> Result<CommitResult, BerthError> {
        let who = self.require_writer(request).await?;
        Actions::extend_sandbox(self, &who, name).await
    }

    async fn preview_delete_sandbox(
        &self,
        request: &Parts,
        name: &str,
    ) -> Result<CommitPreview, BerthError> {
        let who = self.gatekeeper.require(request).await?;
        Actions::preview_delete_sandbox(self, &who, name).await
    }

    async fn delete_sandbox(
        &self,
        request: &Parts,
        name: &str,
        confirm: &str,
    ) -> Result<CommitResult, BerthError> {
        let who = self.require_writer(request).await?;
        Actions::delete_sandbox(self, &who, name, confirm).await
    }

    async fn audit(
        &self,
        request: &Parts,
        query: AuditQuery,
    ) -> Result<Vec<AuditEntry>, BerthError> {
        self.gatekeeper.require(request).await?;
        self.store.audit(&query).await.map_err(store_error)
    }

    async fn tokens(&self, request: &Parts) -> Result<Vec<ApiToken>, BerthError> {
        let who = self.gatekeeper.require(request).await?;
        self.store
            .tokens(&who.user, unix_now())
            .await
            .map_err(store_error)
    }

    async fn create_token(
        &self,
        request: &Parts,
        label: &str,
        days: u32,
    ) -> Result<String, BerthError> {
        let who = self.require_writer(request).await?;
        // A token that could mint tokens would let a leaked one outlive its
        // own expiry and revocation.
        if who.via == crate::auth::Via::Token {
            return Err(BerthError::Forbidden(
                "an API token cannot create tokens; sign in to create one".into(),
            ));
        }
        self.issue_token(&who.user, label, &who.groups, days).await
    }

    async fn revoke_token(&self, request: &Parts, id: i64) -> Result<(), BerthError> {
        let who = self.require_writer(request).await?;
        match self
            .store
            .revoke_token(&who.user, id, unix_now())
            .await
            .map_err(store_error)?
        {
            true => Ok(()),
            false => Err(BerthError::NotFound("you have no such token".into())),
        }
    }
}
