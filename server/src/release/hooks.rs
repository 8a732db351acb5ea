//! `POST /hooks/github`, apart from HTTP: the signature first, then the
//! delivery id, then the event. A refusal writes nothing; every delivery
//! is counted by how it ended (`HookCounters`) and refusals are logged.

use std::{
    sync::{
        atomic::{AtomicU8, Ordering},
        Arc,
    },
    time::Duration,
};

use app::{
    error::BerthError,
    model::{BuildResult, BuildRun},
};
use axum::body::Bytes;

use super::{
    builds::When,
    github::{self, Event, Run},
    BuildReport, Releases,
};
use crate::{clock::unix_now, config::ServiceConfig, store::ReleaseStore};

/// Who tells the sender how its delivery went: the handling, when it has
/// its outcome in time, or the HTTP side, which answers "accepted" once it
/// waited long enough. Decided once for each delivery, so a failure is
/// either told to the sender (who may redeliver) or retried here, never
/// neither.
#[derive(Debug, Clone, Default)]
pub struct Answer(Arc<AtomicU8>);

const UNDECIDED: u8 = 0;
const ACCEPTED: u8 = 1;
const OWN: u8 = 2;

impl Answer {
    /// The HTTP side answers "accepted", unless the handling already has
    /// its outcome (then it is about to end: wait for it).
    pub fn accept(&self) -> bool {
        self.decide(ACCEPTED)
    }

    /// The handling's outcome goes to the sender, unless the sender was
    /// already told "accepted".
    fn own(&self) -> bool {
        self.decide(OWN)
    }

    fn decide(&self, who: u8) -> bool {
        match self
            .0
            .compare_exchange(UNDECIDED, who, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(decided) => decided == who,
        }
    }
}

pub struct HookRequest {
    pub answer: Answer,
    pub event: Option<String>,
    pub delivery: Option<String>,
    pub signature: Option<String>,
    pub body: Bytes,
    /// For the log: who sent it.
    pub remote: Option<String>,
}

/// The HTTP status and a message for the sender (GitHub shows it in the
/// webhook's "Recent Deliveries").
#[derive(Debug, Clone, PartialEq)]
pub struct HookOutcome {
    pub status: u16,
    pub message: String,
}

/// An outcome and the counter it goes under.
type Ended = (&'static str, HookOutcome);

/// A claim older than this, never marked handled, was left by a process
/// that stopped while handling it: a redelivery takes it over.
/// Longer than the retries below take, so a redelivery never takes over
/// a claim whose handling is still retrying.
const STALE_CLAIM_SECS: i64 = 1800;

/// How long a delivery that failed after its sender was answered waits
/// before each new attempt.
const RETRY_WAITS: [Duration; 3] = [
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
];

/// A claimed delivery: given up when dropped (handling failed, was
/// refused, or its task panicked) unless kept.
struct Claim {
    store: Arc<dyn ReleaseStore>,
    delivery: String,
    /// Kept or given up already: nothing left for `drop`.
    settled: bool,
}

impl Claim {
    async fn keep(mut self) {
        self.settled = true;
        if let Err(err) = self.store.delivery_handled(&self.delivery).await {
            tracing::error!(%err, "could not mark a webhook delivery handled");
        }
    }
}

impl Claim {
    /// Given up before the answer goes out, so a redelivery right after
    /// it is looked at again.
    async fn give_up(mut self) {
        self.settled = true;
        if let Err(err) = self.store.forget_delivery(&self.delivery).await {
            tracing::error!(%err, "could not give up a webhook delivery's claim");
        }
    }
}

/// The way out when handling panicked: given up in a task of its own.
impl Drop for Claim {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (store, delivery) = (Arc::clone(&self.store), std::mem::take(&mut self.delivery));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(err) = store.forget_delivery(&delivery).await {
                    tracing::error!(%err, "could not give up a webhook delivery's claim");
                }
            });
        }
    }
}

fn ended(kind: &'static str, status: u16, message: impl Into<String>) -> Ended {
    (
        kind,
        HookOutcome {
            status,
            message: message.into(),
        },
    )
}

impl Releases {
    pub async fn github_hook(self: &Arc<Self>, request: HookRequest) -> HookOutcome {
        let (kind, outcome) = self.handle(&request).await;
        self.counters.count(kind);
        if outcome.status >= 400 {
            if let Some(unlogged) = self.counters.log_refusal(unix_now()) {
                tracing::warn!(remote = ?request.remote, kind, message = %outcome.message, unlogged, "webhook delivery refused");
            }
        }
        outcome
    }

    async fn handle(self: &Arc<Self>, request: &HookRequest) -> Ended {
        let secret = match self.config.releases.webhook_secret() {
            Ok(Some(secret)) => secret,
            Ok(None) => {
                return ended(
                    "not_configured",
                    503,
                    "no webhook secret is configured, so no delivery can be trusted",
                )
            }
            // The file's path and the OS error go to the log, not to
            // whoever sent the delivery.
            Err(why) => {
                if self.counters.log_refusal(unix_now()).is_some() {
                    tracing::error!(%why, "webhook secret");
                }
                return ended(
                    "not_configured",
                    503,
                    "the webhook secret cannot be read; see Berth's log",
                );
            }
        };
        if let Err(refusal) = github::verify(&secret, &request.body, request.signature.as_deref()) {
            return ended(refusal.kind(), 401, refusal.to_string());
        }
        let Some(event) = request.event.as_deref() else {
            return ended("malformed_body", 400, "no X-GitHub-Event header");
        };
        let Some(delivery) =
            request.delivery.as_deref().map(str::trim).filter(|d| {
                (1..=100).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_graphic())
            })
        else {
            return ended("malformed_body", 400, "no usable X-GitHub-Delivery header");
        };
        let parsed = match github::parse(event, &request.body) {
            Ok(parsed) => parsed,
            Err(refusal) => return ended(refusal.kind(), 400, refusal.to_string()),
        };
        // The delivery is claimed before it acts, so the same delivery
        // sent twice at once (a redelivery racing the original) acts once.
        match self
            .store
            .claim_delivery(delivery, event, unix_now(), STALE_CLAIM_SECS)
            .await
        {
            Ok(true) => {}
            Ok(false) => return ended("duplicate", 200, "already handled this delivery"),
            Err(err) => return ended("failed", 503, err.to_string()),
        }
        let claim = Claim {
            store: Arc::clone(&self.store),
            delivery: delivery.to_string(),
            settled: false,
        };
        let mut result = self.act(parsed.clone()).await;
        let mut waits = RETRY_WAITS.iter();
        // A failure the sender saw as taken is retried here.
        while result.1.status >= 500 && !request.answer.own() {
            let Some(wait) = waits.next() else {
                tracing::error!(delivery, message = %result.1.message, "a webhook delivery answered as taken failed; redeliver it from GitHub");
                break;
            };
            tokio::time::sleep(*wait).await;
            result = self.act(parsed.clone()).await;
        }
        // Only what took effect keeps its claim: a delivery ignored or
        // refused may be redelivered once the cause is mended.
        if result.0 == "accepted" {
            claim.keep().await;
        } else {
            claim.give_up().await;
        }
        result
    }

    fn service_of(&self, repository: &str) -> Result<&ServiceConfig, Ended> {
        self.config
            .service_of_repository(repository)
            .ok_or_else(|| {
                ended(
                    "unknown_repository",
                    202,
                    format!("ignored: {repository} is not the repository of a configured service"),
                )
            })
    }

    async fn act(self: &Arc<Self>, event: Event) -> Ended {
        let unavailable = |err: crate::store::StoreError| ended("failed", 503, err.to_string());
        match event {
            Event::Ignored(what) => ended("ignored", 202, format!("ignored: {what}")),
            Event::Push(push) => {
                let service = match self.service_of(&push.repository) {
                    Ok(service) => service,
                    Err(ended) => return ended,
                };
                if push.branch != service.default_branch {
                    return ended(
                        "ignored",
                        202,
                        "ignored: a push to a branch other than the default",
                    );
                }
                let name = service.name.clone();
                match self.on_push(&name, &push).await {
                    Ok(added) => ended(
                        "accepted",
                        200,
                        format!("{added} commit(s) added to the {name} pipeline"),
                    ),
                    Err(why) => ended("failed", 503, why),
                }
            }
            Event::RunStarted(run) => {
                let service = match self.build_service(&run) {
                    Ok(service) => service,
                    Err(ended) => return ended,
                };
                if service.default_branch != run.branch {
                    return ended("accepted", 200, "building");
                }
                let name = service.name.clone();
                let started = BuildRun {
                    sha: run.sha.clone(),
                    url: run.url.clone(),
                    started_at: Some(run.started_at.unwrap_or_else(unix_now).min(unix_now())),
                    finished_at: None,
                };
                if let Err(err) = self.store.record_run(&name, &started, unix_now()).await {
                    return unavailable(err);
                }
                match self.on_build_started(&name, &run.sha).await {
                    Ok(()) => ended("accepted", 200, "building"),
                    Err(err) => unavailable(err),
                }
            }
            Event::Run(run) => {
                let service = match self.build_service(&run) {
                    Ok(service) => service,
                    Err(ended) => return ended,
                };
                let report = BuildReport {
                    service: service.name.clone(),
                    branch: run.branch.clone(),
                    sha: run.sha.clone(),
                    image_tag: self.config.releases.image_tag(&run.branch, &run.sha),
                    result: if run.success {
                        BuildResult::Success
                    } else {
                        BuildResult::Failure
                    },
                    finished_at: Some(When::Unix(run.finished_at.min(unix_now()))),
                    started_at: run.started_at.map(When::Unix),
                    url: run.url.clone(),
                };
                // The same reading of the run as a report through the API.
                let (build, ran) = match report.check(self, "github") {
                    Ok(checked) => checked,
                    Err(err) => return ended("malformed_body", 400, err.to_string()),
                };
                match self.report_build(build, ran, "github").await {
                    Ok(reported) => ended("accepted", 201, format!("build {}", reported.stored)),
                    Err(BerthError::Conflict(why)) => ended("conflict", 409, why),
                    Err(err) => ended("failed", 503, err.to_string()),
                }
            }
        }
    }

    /// The service a run builds, if it is a run of a build workflow. A
    /// repository runs lint and test workflows too: taking a green lint
    /// run for a build would deploy a tag no one pushed, so nothing is a
    /// build until the build workflows are named.
    fn build_service(&self, run: &Run) -> Result<&ServiceConfig, Ended> {
        let names = &self.config.releases.build_workflows;
        if names.is_empty() {
            return Err(ended(
                "ignored",
                202,
                "ignored: no build workflows are configured ([releases] build_workflows)",
            ));
        }
        if !names
            .iter()
            .any(|n| *n == run.workflow || *n == run.workflow_path)
        {
            return Err(ended("ignored", 202, "ignored: not a build workflow"));
        }
        self.service_of(&run.repository)
    }
}

#[cfg(test)]
mod tests {
    use super::Answer;

    #[test]
    fn a_delivery_is_answered_by_one_side_only() {
        let late = Answer::default();
        assert!(late.accept());
        assert!(!late.own(), "a failure after \"accepted\" is retried here");
        let early = Answer::default();
        assert!(early.own());
        assert!(!early.accept(), "the sender waits for the outcome");
        assert!(early.own());
    }
}
