//! Rolling a prod service back to a release deployed before: the image
//! patch to that release's tag, recorded as a release triggered by
//! "rollback" and the person, the release it undid counted as failed,
//! and the service's automation paused (newer green builds wait, listed)
//! until someone resumes it.

use std::sync::Arc;

use app::{
    error::BerthError,
    model::{
        AuditAction, AuditOutcome, Build, BuildResult, Overrides, Pause, Release, ReleaseOutcome,
        Role, Stage,
    },
};

use super::{short, updater::Trigger, Audited, Releases};
use crate::{
    auth::Identity,
    clock::unix_now,
    gitops::writer::Gate,
    sharing::{plain_line, WriteGate, MAX_REASON_CHARS},
    store::StoreError,
};

impl Releases {
    /// Rolls `service` in prod back to the release `to` (deployed before).
    /// Held by a lock or freeze like any write, unless an admin breaks the
    /// glass.
    pub async fn rollback(
        self: &Arc<Self>,
        who: &Identity,
        service: &str,
        to: i64,
        reason: &str,
        overrides: &Overrides,
    ) -> Result<i64, BerthError> {
        let target = format!("prod/{}", service.chars().take(64).collect::<String>());
        let checked = self.check_rollback(who, service, to, reason).await;
        let (env, release) = match checked {
            Ok(checked) => checked,
            Err(err) => {
                self.refused(who, AuditAction::Rollback, &target, &err)
                    .await;
                return Err(err);
            }
        };
        let releases = Arc::clone(self);
        let who = who.clone();
        let reason = reason.trim().to_string();
        let break_glass = overrides.break_glass.clone();
        // Its own task: once accepted, it runs to its end and is audited
        // whatever the client does.
        let job = async move {
            let gate = WriteGate {
                sharing: Arc::clone(&releases.sharing),
                who: who.clone(),
                environment: env.clone(),
                services: vec![release.service.clone()],
                what: format!("roll {} back to {}", release.service, release.image_tag),
                break_glass,
                override_claims: true,
            };
            if let Err(err) = gate.check().await {
                let err = crate::actions::write_error(err);
                releases
                    .refused(&who, AuditAction::Rollback, &target, &err)
                    .await;
                return Err(err);
            }
            releases.roll_back(&who, &env, &release, &reason).await
        };
        tokio::spawn(job).await.unwrap_or_else(|err| {
            tracing::error!(%err, "a rollback task stopped");
            Err(BerthError::Unavailable(
                "the rollback stopped unexpectedly; check the audit log".into(),
            ))
        })
    }

    async fn check_rollback(
        &self,
        who: &Identity,
        service: &str,
        to: i64,
        reason: &str,
    ) -> Result<(String, Release), BerthError> {
        if !matches!(who.role, Role::Qa | Role::Admin) {
            return Err(BerthError::Forbidden(format!(
                "only qa and admin may roll prod back; {} is {}",
                who.user,
                who.role.as_str()
            )));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS || !plain_line(reason) {
            return Err(BerthError::Invalid(format!(
                "say why in one line of at most {MAX_REASON_CHARS} characters"
            )));
        }
        let env = self
            .prod_environment()
            .ok_or_else(|| BerthError::NotFound("no prod environment is configured".into()))?;
        let store = |err: StoreError| {
            tracing::error!(%err, "rollback: database");
            BerthError::Unavailable("the releases cannot be read now".into())
        };
        let release = self
            .store
            .release(to)
            .await
            .map_err(store)?
            .filter(|r| r.environment == env && r.service == service)
            .ok_or_else(|| BerthError::NotFound(format!("{service} has no prod release {to}")))?;
        if release.outcome != ReleaseOutcome::Deployed {
            return Err(BerthError::Invalid(format!(
                "release {to} ({}) was never deployed, so it is no way back",
                release.image_tag
            )));
        }
        let live = self.running(service, &env).await.map_err(store)?;
        if live.is_some_and(|l| l.image_tag == release.image_tag) {
            return Err(BerthError::Invalid(format!(
                "{service} already runs {}",
                release.image_tag
            )));
        }
        Ok((env, release))
    }

    /// Under the service's lock: the image goes back; once it is set, the
    /// release it undid fails and automation pauses.
    async fn roll_back(
        &self,
        who: &Identity,
        env: &str,
        to: &Release,
        reason: &str,
    ) -> Result<i64, BerthError> {
        let db = |err: StoreError| {
            tracing::error!(%err, "rollback: database");
            BerthError::Unavailable(
                "the database failed during the rollback; check the audit log and the prod page"
                    .into(),
            )
        };
        let service = to.service.as_str();
        let _service = self.lock(service).await;
        let now = unix_now();
        // Read under the lock, so a second rollback at once finds the first
        // one's work.
        let live = self.running(service, env).await.map_err(db)?;
        if live.as_ref().is_some_and(|l| l.image_tag == to.image_tag) {
            return Err(BerthError::Invalid(format!(
                "{service} already runs {}",
                to.image_tag
            )));
        }
        let build = Build {
            service: service.into(),
            branch: String::new(),
            sha: to.sha.clone(),
            image_tag: to.image_tag.clone(),
            result: BuildResult::Success,
            finished_at: now,
            reported_by: who.user.clone(),
        };
        let Some(prod) = self.config.prod_environment() else {
            return Err(BerthError::NotFound(
                "no prod environment is configured".into(),
            ));
        };
        let target = self.target(prod, service);
        let trigger = Trigger {
            kind: "rollback",
            by: &who.user,
        };
        // No lead time: the commit is old news, not a change delivered.
        let id = self.set_image(&target, &build, None, trigger).await;
        // Once the image is set, the rest happens whatever fails: first
        // the pause (a newer green build must not undo the rollback), then
        // the bookkeeping of the release it undid.
        let mut paused = true;
        if id.is_some() {
            let pause = Pause {
                environment: env.into(),
                service: service.into(),
                reason: format!("rolled back to {}: {reason}", to.image_tag),
                by: who.user.clone(),
                since: now,
            };
            paused = self.sharing.pause(&pause).await;
            if let Some(undone) = live {
                let note = format!("rolled back by {}: {reason}", who.user);
                if let Err(err) = self.fail_undone(service, &undone, &note, now).await {
                    tracing::error!(%err, %service, "cannot record the release a rollback undid");
                }
            }
        }
        let row = Audited {
            actor: &who.user,
            via: who.via.as_str(),
            action: AuditAction::Rollback,
            target: format!("{env}/{service}"),
            detail: format!("to {} ({})", to.image_tag, short(&to.sha)),
        };
        let outcome = if id.is_some() {
            AuditOutcome::Committed
        } else {
            AuditOutcome::Failed
        };
        let unpaused = "the image is rolled back, but its automation could not be paused: lock the service in prod before a newer green build deploys again";
        let message = if paused {
            reason.to_string()
        } else {
            format!("{reason} ({unpaused})")
        };
        self.audit(row, outcome, &message).await;
        if let Some(id) = id {
            let automation = if paused {
                "its automation is paused"
            } else {
                "its automation could NOT be paused: lock the service before a newer green build deploys again"
            };
            let words = format!(
                "⏪ {} rolled {service} in {env} back to {}: “{reason}”; {automation}",
                who.user, to.image_tag
            );
            self.sharing
                .notify(&format!("rollback:{id}"), env, "rollback", &words)
                .await;
        }
        self.announce();
        match id {
            Some(_) if !paused => Err(BerthError::Unavailable(unpaused.into())),
            Some(id) => Ok(id),
            None => Err(BerthError::Unavailable(
                "the image could not be set, so nothing was rolled back; see the audit log".into(),
            )),
        }
    }

    /// What runs in `env`: a release still deploying (its image is set,
    /// whether or not it turns healthy), else the newest that deployed.
    async fn running(
        &self,
        service: &str,
        env: &str,
    ) -> crate::store::StoreResult<Option<Release>> {
        if let Some(open) = self.deploying(service, env).await? {
            return Ok(Some(open));
        }
        Ok(self.store.deployed_releases(service, env, 1).await?.pop())
    }

    /// The newest release of `env` if it is still deploying.
    pub(super) async fn deploying(
        &self,
        service: &str,
        env: &str,
    ) -> crate::store::StoreResult<Option<Release>> {
        let latest = self.store.latest_release(service, env).await?;
        Ok(latest.filter(|r| r.outcome == ReleaseOutcome::Deploying))
    }

    /// The release a rollback undid failed: in the store, the figures and
    /// its pipeline commit. One still deploying ends failed there and then.
    async fn fail_undone(
        &self,
        service: &str,
        undone: &app::model::Release,
        note: &str,
        now: i64,
    ) -> crate::store::StoreResult<()> {
        if undone.outcome == ReleaseOutcome::Deploying {
            if !self
                .store
                .finish_release(undone.id, ReleaseOutcome::Failed, now)
                .await?
            {
                return Ok(());
            }
            self.index.add(&Release {
                finished_at: Some(now),
                outcome: ReleaseOutcome::Failed,
                lead_time_secs: None,
                ..undone.clone()
            });
        } else if self.store.fail_deployed_release(undone.id).await? {
            self.index.mark_failed(undone);
        } else {
            return Ok(());
        }
        if self
            .store
            .pipeline_commit(service, &undone.sha)
            .await?
            .is_some()
        {
            self.store
                .set_stage(service, &undone.sha, Stage::DeployFailed, now, None, note)
                .await?;
        }
        Ok(())
    }

    /// Resumes a service's automation paused by a rollback: its newest
    /// green commit, if newer than what runs, deploys now.
    pub async fn resume(self: &Arc<Self>, who: &Identity, service: &str) -> Result<(), BerthError> {
        let target = format!("prod/{}", service.chars().take(64).collect::<String>());
        if !matches!(who.role, Role::Qa | Role::Admin) {
            let err = BerthError::Forbidden(format!(
                "only qa and admin may resume prod automation; {} is {}",
                who.user,
                who.role.as_str()
            ));
            self.refused(who, AuditAction::ResumeAutomation, &target, &err)
                .await;
            return Err(err);
        }
        let Some(env) = self.prod_environment() else {
            return Err(BerthError::NotFound(
                "no prod environment is configured".into(),
            ));
        };
        let releases = Arc::clone(self);
        let who = who.clone();
        let service = service.to_string();
        let job = async move {
            match releases.sharing.resume(&env, &service, &who.user).await {
                Some(pause) => {
                    let row = Audited {
                        actor: &who.user,
                        via: who.via.as_str(),
                        action: AuditAction::ResumeAutomation,
                        target,
                        detail: format!("paused by {}: {}", pause.by, pause.reason),
                    };
                    releases.audit(row, AuditOutcome::Committed, "").await;
                    Ok(())
                }
                None => {
                    let err =
                        BerthError::NotFound(format!("automation of {service} is not paused"));
                    releases
                        .refused(&who, AuditAction::ResumeAutomation, &target, &err)
                        .await;
                    Err(err)
                }
            }
        };
        tokio::spawn(job).await.unwrap_or_else(|err| {
            tracing::error!(%err, "a resume task stopped");
            Err(BerthError::Unavailable(
                "the resume stopped unexpectedly; check the audit log".into(),
            ))
        })
    }

    async fn refused(&self, who: &Identity, action: AuditAction, target: &str, err: &BerthError) {
        let row = Audited {
            actor: &who.user,
            via: who.via.as_str(),
            action,
            target: target.into(),
            detail: String::new(),
        };
        self.audit(row, AuditOutcome::Refused, &err.to_string())
            .await;
    }
}
