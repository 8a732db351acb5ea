//! Writing the audit log: rows for the actions, and rows for requests
//! refused before anyone was identified (a bad token, no session, a
//! cross-site form). Those come from strangers, so they are rate-limited
//! with bounded memory: a flood of refusals cannot fill the database.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use app::{
    error::BerthError,
    model::{AuditAction, AuditOutcome},
};
use axum::http::{request::Parts, Extensions, HeaderMap, Method, Uri};

use super::Actions;
use crate::{
    auth::{Gatekeeper, Identity},
    clock::unix_now,
    store::{AccessStore, NewAuditEntry},
};

/// What a refused request tells about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// `-` when nobody was identified.
    pub actor: String,
    /// How the request tried to identify itself: token, session or `-`.
    pub via: String,
    /// The client's address (behind a trusted proxy, as it saw it).
    pub remote: Option<String>,
    /// The method and path, such as `POST /api/v1/sandboxes`.
    pub target: String,
}

impl Attempt {
    /// Behind a trusted proxy the address is the client's and the actor
    /// the user the proxy named, so one client's flood of refusals does
    /// not use up everyone's share of the rate limit.
    pub fn from_request(
        gatekeeper: &Gatekeeper,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> Attempt {
        let proxy_user = gatekeeper.proxy_named_user(headers, extensions);
        let via = if headers.contains_key("authorization") {
            "token"
        } else if proxy_user.is_some() {
            "proxy"
        } else if headers.contains_key("cookie") {
            "session"
        } else {
            "-"
        };
        Attempt {
            actor: proxy_user.unwrap_or_else(|| "-".into()),
            via: via.into(),
            remote: gatekeeper.client_address(headers, extensions),
            // Cut to a bounded length when stored, like every audit field.
            // A nested router (the API under /api/v1) sees only the rest of
            // the path; the audit names the whole one.
            target: format!(
                "{method} {}",
                extensions
                    .get::<axum::extract::OriginalUri>()
                    .map_or(uri.path(), |original| original.0.path())
            ),
        }
    }

    pub fn from_parts(gatekeeper: &Gatekeeper, parts: &Parts) -> Attempt {
        Attempt::from_request(
            gatekeeper,
            &parts.method,
            &parts.uri,
            &parts.headers,
            &parts.extensions,
        )
    }
}

impl Actions {
    /// Records a request refused before anyone was identified, unless the
    /// rate limit says enough of those were recorded this minute. Returns
    /// whether a row was written.
    pub async fn audit_refusal(&self, attempt: Attempt, reason: &str) -> bool {
        if !self
            .refusals
            .admit(attempt.remote.as_deref(), Instant::now())
        {
            return false;
        }
        let entry = NewAuditEntry {
            actor: attempt.actor,
            via: attempt.via,
            remote: attempt.remote,
            action: AuditAction::Request.as_str().into(),
            target: attempt.target,
            detail: String::new(),
            outcome: AuditOutcome::Refused.as_str().into(),
            message: reason.into(),
            commit: None,
        };
        record(self.store.as_ref(), entry).await.is_some()
    }

    /// `Gatekeeper::require` for a request that would write: when nobody
    /// (or a bad token) is behind it, the refusal is audited too.
    pub async fn require_writer(&self, request: &Parts) -> Result<Identity, BerthError> {
        match self.gatekeeper.require(request).await {
            Err(err @ BerthError::Unauthenticated(_)) => {
                self.audit_refusal(
                    Attempt::from_parts(&self.gatekeeper, request),
                    &err.to_string(),
                )
                .await;
                Err(err)
            }
            other => other,
        }
    }

    /// How many refusals the rate limit kept out of the audit log so far.
    pub fn refusals_not_audited(&self) -> u64 {
        self.refusals.dropped_total()
    }
}

/// A row for an identified person's action.
pub(crate) fn entry(
    who: &Identity,
    action: AuditAction,
    target: &str,
    detail: String,
    outcome: AuditOutcome,
    message: &str,
    commit: Option<String>,
) -> NewAuditEntry {
    NewAuditEntry {
        actor: who.user.clone(),
        via: who.via.as_str().into(),
        remote: who.remote.clone(),
        action: action.as_str().into(),
        target: target.into(),
        detail,
        outcome: outcome.as_str().into(),
        message: message.into(),
        commit,
    }
}

/// Stores a row; the id, or `None` (logged) when the database failed.
pub(crate) async fn record(store: &dyn AccessStore, entry: NewAuditEntry) -> Option<i64> {
    match store.record_audit(entry, unix_now()).await {
        Ok(id) => Some(id),
        Err(err) => {
            // A commit (if any) stands; losing its audit row is logged loudly.
            tracing::error!(%err, "could not write the audit log");
            None
        }
    }
}

/// Gives the row recorded as `accepted` (`id`) its outcome; without one
/// (the database failed then), records the whole row now.
pub(super) async fn finish(store: &dyn AccessStore, id: Option<i64>, entry: NewAuditEntry) {
    let Some(id) = id else {
        record(store, entry).await;
        return;
    };
    let done = store
        .finish_audit(id, &entry.outcome, &entry.message, entry.commit.as_deref())
        .await;
    if let Err(err) = done {
        tracing::error!(%err, id, outcome = %entry.outcome, commit = ?entry.commit, "could not finish the audit row");
    }
}

/// Refusal rows per remote address per minute.
const PER_REMOTE: u32 = 20;
/// Refusal rows per minute from everyone together; it also bounds the
/// limiter's memory, since only admitted addresses are remembered.
const GLOBAL: u32 = 200;
const WINDOW: Duration = Duration::from_secs(60);

/// Fixed one-minute windows: simple, and a flood costs one map of at most
/// `GLOBAL` addresses.
pub(super) struct RefusalLimiter {
    per_remote: u32,
    global: u32,
    window: Mutex<Window>,
    dropped_total: std::sync::atomic::AtomicU64,
}

struct Window {
    started: Option<Instant>,
    counts: HashMap<String, u32>,
    admitted: u32,
    dropped: u64,
}

impl Default for RefusalLimiter {
    fn default() -> Self {
        RefusalLimiter::new(PER_REMOTE, GLOBAL)
    }
}

impl RefusalLimiter {
    fn new(per_remote: u32, global: u32) -> RefusalLimiter {
        RefusalLimiter {
            per_remote,
            global,
            window: Mutex::new(Window {
                started: None,
                counts: HashMap::new(),
                admitted: 0,
                dropped: 0,
            }),
            dropped_total: Default::default(),
        }
    }

    /// Whether a refusal from `remote` may be recorded now; a dropped one
    /// is counted, and each minute's drops are summed up in the log.
    fn admit(&self, remote: Option<&str>, now: Instant) -> bool {
        let mut w = self.window.lock().expect("refusal limiter lock");
        if w.started
            .is_none_or(|started| now.duration_since(started) >= WINDOW)
        {
            if w.dropped > 0 {
                tracing::warn!(
                    dropped = w.dropped,
                    recorded = w.admitted,
                    "refused requests beyond the rate limit were not audited in the last minute"
                );
            }
            w.started = Some(now);
            w.counts.clear();
            w.admitted = 0;
            w.dropped = 0;
        }
        let remote = remote.unwrap_or("-");
        let count = w.counts.get(remote).copied().unwrap_or(0);
        if w.admitted >= self.global || count >= self.per_remote {
            if w.dropped == 0 {
                tracing::warn!(
                    remote,
                    "too many refused requests: more are counted this minute, not audited"
                );
            }
            w.dropped += 1;
            self.dropped_total
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return false;
        }
        w.admitted += 1;
        *w.counts.entry(remote.to_string()).or_insert(0) += 1;
        true
    }

    fn dropped_total(&self) -> u64 {
        self.dropped_total
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.window.lock().unwrap().counts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_and_everyone_together_are_capped_per_minute() {
        let limiter = RefusalLimiter::new(3, 10);
        let t0 = Instant::now();
        let admitted = (0..5)
            .filter(|_| limiter.admit(Some("192.0.2.1"), t0))
            .count();
        assert_eq!(admitted, 3);
        // Many addresses: the global cap holds, and so does the memory.
        let admitted = (0..1000)
            .filter(|i| limiter.admit(Some(&format!("198.51.100.{i}")), t0))
            .count();
        assert_eq!(admitted, 7);
        assert!(limiter.remembered() <= 10);
        assert_eq!(limiter.dropped_total(), 2 + 993);
        // A new minute starts afresh.
        assert!(limiter.admit(Some("192.0.2.1"), t0 + WINDOW));
        assert_eq!(limiter.remembered(), 1);
    }
}
