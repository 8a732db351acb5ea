//! Sharing environments: locks and freeze windows that every writer obeys
//! (people through the pages and the API, the image updater, the prod
//! pipeline), and the broken glass an admin may use to get past them.
//!
//! - `rules`: freeze windows in a time zone, what a hold covers (pure);
//! - `board`: stored holds read at one instant, and refusal sentences;
//! - `requests`: a lock, freeze or claim asked for, checked before it is
//!   stored;
//! - `claims`: claims on Dev, which ask others to confirm, not refuse;
//! - `gate`: the check the git writer makes in its queue, just before it
//!   commits, so nothing slips between the check and the commit.
//!
//! The database is the truth (several Berth processes share it); the
//! board in the read model is what pages show, read again every
//! `REREAD` and after every change made here.

mod board;
mod bookings;
mod claims;
mod gate;
mod notify;
mod requests;
pub mod rules;

use std::{collections::HashSet, sync::Arc, time::Duration};

use app::{
    error::BerthError,
    model::{
        AuditAction, AuditOutcome, EnvironmentHolds, Freeze, FreezeForm, GlassBreak, Lock,
        LockForm, Role, SharingBoard,
    },
};
use tokio::sync::Notify;

pub use board::claimed as claimed_words;
pub use gate::WriteGate;
use requests::{freeze_target, lock_target, Checked};
pub use requests::{plain_line, MAX_REASON_CHARS};

use crate::{
    actions::audit,
    auth::Identity,
    clock::unix_now,
    config::Config,
    readmodel::ReadModel,
    store::{AccessStore, SharingStore, StoreError, StoreResult},
};

/// How often the holds are read again: freeze windows open and close on
/// the clock, locks run out, and another Berth process may have changed
/// them.
const REREAD: Duration = Duration::from_secs(2);
/// Locks in force per environment, and freeze windows not over: every
/// lane shows them all, so one script cannot make pages huge.
const MAX_LOCKS: usize = 20;
const MAX_FREEZES: usize = 50;

pub struct Sharing {
    config: Arc<Config>,
    store: Arc<dyn SharingStore>,
    audit: Arc<dyn AccessStore>,
    read_model: Arc<ReadModel>,
    /// One read at a time, so an older read never replaces a newer one.
    rereading: tokio::sync::Mutex<()>,
    /// The holds in force at the last read, to tell when one ended.
    in_force: std::sync::Mutex<HashSet<(String, &'static str, i64)>>,
    /// Notice keys of the freezes and bookings in force at the last read.
    started_seen: std::sync::Mutex<HashSet<String>>,
    /// Told when a hold ended: held image updates and prod deploys are
    /// looked at again.
    pub lifted: Notify,
}

impl Sharing {
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn SharingStore>,
        audit: Arc<dyn AccessStore>,
        read_model: Arc<ReadModel>,
    ) -> Arc<Sharing> {
        Arc::new(Sharing {
            config,
            store,
            audit,
            read_model,
            rereading: Default::default(),
            started_seen: Default::default(),
            in_force: Default::default(),
            lifted: Notify::new(),
        })
    }

    /// Reads the holds again every `REREAD`, forever.
    pub fn spawn(self: &Arc<Self>) {
        let sharing = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REREAD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                sharing.reread().await;
            }
        });
    }

    /// Every environment's holds now, from the database.
    pub async fn board(&self, now: i64) -> StoreResult<SharingBoard> {
        let locks = self.store.locks_in_force(now).await?;
        let freezes = self.store.freezes().await?;
        let glass = self
            .store
            .glass_breaks_since(now - board::GLASS_SHOWN_SECS)
            .await?;
        let claims = self.store.claims_in_force(now).await?;
        let paused = self.store.pauses().await?;
        let today = self.config.day_at(now).to_string();
        let bookings = self.store.bookings_from(&today).await?;
        let stored = board::Stored {
            locks,
            freezes,
            glass,
            claims,
            paused,
            bookings,
        };
        Ok(board::board(&self.config, stored, now))
    }

    /// Reads the board, shows it, and tells automation when a hold ended.
    pub async fn reread(&self) {
        let _one = self.rereading.lock().await;
        let board = match self.board(unix_now()).await {
            Ok(board) => board,
            Err(err) => {
                tracing::error!(%err, "cannot read locks and freezes; pages show the last read");
                return;
            }
        };
        let now_in_force: HashSet<_> = board
            .environments
            .iter()
            .flat_map(|env| {
                let locks = env
                    .locks
                    .iter()
                    .map(|l| (env.environment.clone(), "lock", l.id));
                let frozen = env
                    .frozen
                    .iter()
                    .map(|f| (env.environment.clone(), "freeze", f.id));
                // A pause is keyed by its start: resumed and paused again
                // is a new one.
                let paused = env.paused.iter().map(|p| {
                    (
                        format!("{}/{}", env.environment, p.service),
                        "pause",
                        p.since,
                    )
                });
                locks.chain(frozen).chain(paused).collect::<Vec<_>>()
            })
            .collect();
        let ended = {
            let mut in_force = self.in_force.lock().unwrap_or_else(|e| e.into_inner());
            let ended = in_force.iter().any(|hold| !now_in_force.contains(hold));
            *in_force = now_in_force;
            ended
        };
        let started = self.started(&board);
        if self.read_model.holds.set(board) {
            self.read_model.announce_holds();
        }
        if ended {
            self.lifted.notify_one();
        }
        for (key, environment, event, words) in started {
            self.notify(&key, &environment, event, &words).await;
        }
    }

    /// Freezes and bookings that began since the last read: (key,
    /// environment, event, words) to notify of, once each.
    fn started(&self, board: &SharingBoard) -> Vec<(String, String, &'static str, String)> {
        let mut now = Vec::new();
        for env in &board.environments {
            for freeze in &env.frozen {
                let Some((start, end)) = freeze.active else {
                    continue;
                };
                let scope = freeze.environment.clone().unwrap_or_else(|| "all".into());
                let subject = match &freeze.environment {
                    Some(env) => format!("{env} is"),
                    None => "Every environment is".to_string(),
                };
                let words = format!(
                    "❄ {subject} frozen until {} UTC ({}): “{}” — {}",
                    app::format::utc(end),
                    freeze.window,
                    freeze.reason,
                    freeze.by
                );
                now.push((
                    format!("freeze:{}:{start}", freeze.id),
                    scope,
                    "freeze-started",
                    words,
                ));
            }
            if let Some(booking) = &env.booked {
                let words = format!(
                    "📅 {} is booked for {} by {} until {}",
                    booking.environment, booking.project, booking.by, booking.last_day
                );
                now.push((
                    format!("booking:{}", booking.id),
                    booking.environment.clone(),
                    "booking-started",
                    words,
                ));
            }
        }
        now.sort();
        now.dedup_by(|a, b| a.0 == b.0);
        let mut seen = self.started_seen.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = now
            .iter()
            .filter(|n| !seen.contains(&n.0))
            .cloned()
            .collect();
        *seen = now.into_iter().map(|n| n.0).collect();
        fresh
    }

    /// What holds `environment` now, read from the database in one go:
    /// a write's check asks it once for locks, freezes and claims.
    pub(crate) async fn holds_of(&self, environment: &str) -> StoreResult<EnvironmentHolds> {
        let board = self.board(unix_now()).await?;
        Ok(board
            .holds(environment)
            .cloned()
            .unwrap_or_else(|| EnvironmentHolds::free(environment)))
    }

    /// What holds automation (an image update, a prod deploy) of one
    /// service: `None` when it may go. A database that cannot be read
    /// holds it too: a lock nobody can see must still hold.
    pub async fn automation_held(&self, environment: &str, service: &str) -> Option<String> {
        let holds = match self.holds_of(environment).await {
            Ok(holds) => holds,
            Err(err) => return Some(format!("the locks and freezes cannot be read ({err})")),
        };
        let mut why = board::refusals(&holds, &[service.to_string()]);
        why.extend(board::paused(&holds, service));
        (!why.is_empty()).then(|| why.join(" "))
    }

    pub async fn lock(
        self: &Arc<Self>,
        who: &Identity,
        form: &LockForm,
    ) -> Result<Lock, BerthError> {
        let checked = self
            .may_hold(who)
            .and_then(|_| form.check(&self.config, &who.user, unix_now()));
        let target = lock_target(&form.environment, form.service.as_deref());
        let lock = match checked {
            Ok(lock) => lock,
            Err(err) => {
                return self.refuse(who, AuditAction::Lock, &target, err).await;
            }
        };
        let sharing = Arc::clone(self);
        let who = who.clone();
        // Its own task: once accepted, stored and audited whatever the
        // client does.
        spawned(async move {
            let open = sharing
                .store
                .locks_in_force(lock.at)
                .await
                .map_err(unavailable)?;
            if open
                .iter()
                .filter(|l| l.environment == lock.environment)
                .count()
                >= MAX_LOCKS
            {
                let err = BerthError::Invalid(format!(
                    "{} already has {MAX_LOCKS} locks; lift one first",
                    lock.environment
                ));
                return sharing.refuse(&who, AuditAction::Lock, &target, err).await;
            }
            let id = sharing.store.add_lock(&lock).await.map_err(unavailable)?;
            let detail = format!("“{}”{}", lock.reason, until_words(lock.until));
            let words = format!("🔒 {target} locked by {}: {detail}", who.user);
            sharing
                .notify(&format!("lock:{id}"), &lock.environment, "lock", &words)
                .await;
            sharing.done(&who, AuditAction::Lock, &target, detail).await;
            Ok(Lock {
                id,
                environment: lock.environment,
                service: lock.service,
                reason: lock.reason,
                by: lock.by,
                since: lock.at,
                until: lock.until,
            })
        })
        .await
    }

    pub async fn lift_lock(self: &Arc<Self>, who: &Identity, id: i64) -> Result<Lock, BerthError> {
        let target = format!("lock/{id}");
        if let Err(err) = self.may_hold(who) {
            return self.refuse(who, AuditAction::LiftLock, &target, err).await;
        }
        let sharing = Arc::clone(self);
        let who = who.clone();
        spawned(async move {
            let lifted = sharing
                .store
                .lift_lock(id, &who.user, unix_now())
                .await
                .map_err(unavailable)?;
            let Some(lock) = lifted else {
                let err = BerthError::NotFound(format!(
                    "there is no lock {id} in force; it may have been lifted or run out"
                ));
                return sharing
                    .refuse(&who, AuditAction::LiftLock, &target, err)
                    .await;
            };
            let target = lock_target(&lock.environment, lock.service.as_deref());
            let detail = format!("“{}” by {}", lock.reason, lock.by);
            sharing
                .done(&who, AuditAction::LiftLock, &target, detail)
                .await;
            Ok(lock)
        })
        .await
    }

    pub async fn freeze(
        self: &Arc<Self>,
        who: &Identity,
        form: &FreezeForm,
    ) -> Result<Freeze, BerthError> {
        let now = unix_now();
        let target = freeze_target(form);
        let checked = self
            .may_hold(who)
            .and_then(|_| form.check(&self.config, &who.user, now));
        let row = match checked {
            Ok(row) => row,
            Err(err) => {
                return self.refuse(who, AuditAction::Freeze, &target, err).await;
            }
        };
        let sharing = Arc::clone(self);
        let who = who.clone();
        spawned(async move {
            let stored = sharing.store.freezes().await.map_err(unavailable)?;
            let open = stored.iter().filter(|f| !board::is_over(f, now)).count();
            if open >= MAX_FREEZES {
                let err = BerthError::Invalid(format!(
                    "there are already {MAX_FREEZES} freeze windows; lift one first"
                ));
                return sharing
                    .refuse(&who, AuditAction::Freeze, &target, err)
                    .await;
            }
            let id = sharing.store.add_freeze(&row).await.map_err(unavailable)?;
            let row = crate::store::FreezeRow { id, ..row };
            let freeze = board::freeze_at(&row, now).ok_or_else(|| {
                BerthError::Unavailable("the freeze was stored but cannot be read back".into())
            })?;
            let detail = format!("{}: “{}”", freeze.window, freeze.reason);
            sharing
                .done(&who, AuditAction::Freeze, &target, detail)
                .await;
            Ok(freeze)
        })
        .await
    }

    pub async fn lift_freeze(self: &Arc<Self>, who: &Identity, id: i64) -> Result<(), BerthError> {
        let target = format!("freeze/{id}");
        if let Err(err) = self.may_hold(who) {
            return self
                .refuse(who, AuditAction::LiftFreeze, &target, err)
                .await;
        }
        let sharing = Arc::clone(self);
        let who = who.clone();
        spawned(async move {
            let lifted = sharing
                .store
                .lift_freeze(id, &who.user, unix_now())
                .await
                .map_err(unavailable)?;
            let Some(row) = lifted else {
                let err = BerthError::NotFound(format!(
                    "there is no freeze {id}; it may have been lifted"
                ));
                return sharing
                    .refuse(&who, AuditAction::LiftFreeze, &target, err)
                    .await;
            };
            let target = row
                .environment
                .clone()
                .unwrap_or_else(|| "all environments".into());
            let detail = format!(
                "{} – {} ({}): “{}”",
                row.starts, row.ends, row.time_zone, row.reason
            );
            sharing
                .done(&who, AuditAction::LiftFreeze, &target, detail)
                .await;
            Ok(())
        })
        .await
    }

    /// Pauses a service's automation (a rollback did it); false when it
    /// could not be stored, logged, since the rollback already happened.
    pub async fn pause(&self, pause: &app::model::Pause) -> bool {
        match self.store.pause(pause).await {
            Ok(_) => {
                self.reread().await;
                true
            }
            Err(err) => {
                tracing::error!(%err, service = %pause.service, "cannot pause automation after a rollback");
                false
            }
        }
    }

    /// Resumes it; the pause that ended, None when there was none.
    pub async fn resume(
        &self,
        environment: &str,
        service: &str,
        by: &str,
    ) -> Option<app::model::Pause> {
        match self
            .store
            .resume(environment, service, by, unix_now())
            .await
        {
            Ok(pause) => {
                self.reread().await;
                pause
            }
            Err(err) => {
                tracing::error!(%err, service, "cannot resume automation");
                None
            }
        }
    }

    /// Records an admin's write through a hold, before the write is made.
    async fn break_glass(
        &self,
        who: &Identity,
        environment: &str,
        reason: &str,
        what: &str,
        held_by: &str,
    ) -> Result<(), StoreError> {
        let glass = GlassBreak {
            environment: environment.into(),
            by: who.user.clone(),
            reason: reason.into(),
            what: what.into(),
            held_by: held_by.into(),
            at: unix_now(),
        };
        self.store.record_glass_break(&glass).await?;
        let detail = format!("{what} through: {held_by}");
        self.audited(
            who,
            AuditAction::BreakGlass,
            environment,
            detail,
            AuditOutcome::Committed,
            reason,
        )
        .await;
        tracing::warn!(actor = %who.user, environment, %reason, %what, "glass broken");
        let words = format!(
            "🔨 {} broke the glass on {environment} to {what}: “{reason}”",
            who.user
        );
        let key = format!("glass:{environment}:{}:{}", glass.at, who.user);
        self.notify(&key, environment, "break-glass", &words).await;
        self.reread().await;
        Ok(())
    }

    /// Locks and freezes are set and lifted by QA and admins.
    fn may_hold(&self, who: &Identity) -> Result<(), BerthError> {
        match who.role {
            Role::Qa | Role::Admin => Ok(()),
            role => Err(BerthError::Forbidden(format!(
                "only qa and admin may lock, freeze or lift; {} is {}",
                who.user,
                role.as_str()
            ))),
        }
    }

    async fn audited(
        &self,
        who: &Identity,
        action: AuditAction,
        target: &str,
        detail: String,
        outcome: AuditOutcome,
        message: &str,
    ) {
        let row = audit::entry(who, action, target, detail, outcome, message, None);
        audit::record(self.audit.as_ref(), row).await;
    }

    /// Audits a refusal and answers with it.
    async fn refuse<T>(
        &self,
        who: &Identity,
        action: AuditAction,
        target: &str,
        err: BerthError,
    ) -> Result<T, BerthError> {
        self.refused(who, action, target, &err).await;
        Err(err)
    }

    /// Audits a change made, and shows it on every page.
    async fn done(&self, who: &Identity, action: AuditAction, target: &str, detail: String) {
        self.audited(who, action, target, detail, AuditOutcome::Committed, "")
            .await;
        self.reread().await;
    }

    async fn refused(&self, who: &Identity, action: AuditAction, target: &str, err: &BerthError) {
        self.audited(
            who,
            action,
            target,
            String::new(),
            AuditOutcome::Refused,
            &err.to_string(),
        )
        .await;
    }
}

/// Runs `job` in a task of its own and waits for it: a client hanging up
/// drops the wait, not the job.
async fn spawned<T: Send + 'static>(
    job: impl std::future::Future<Output = Result<T, BerthError>> + Send + 'static,
) -> Result<T, BerthError> {
    tokio::spawn(job).await.unwrap_or_else(|err| {
        tracing::error!(%err, "a sharing task stopped");
        Err(BerthError::Unavailable(
            "the change stopped unexpectedly; check the audit log before trying again".into(),
        ))
    })
}

fn unavailable(err: StoreError) -> BerthError {
    tracing::error!(%err, "locks and freezes: database");
    BerthError::Unavailable("the database cannot be written now; nothing changed".into())
}

fn until_words(until: Option<i64>) -> String {
    until
        .map(|t| format!(" until {} UTC", app::format::utc(t)))
        .unwrap_or_else(|| " until lifted".into())
}
