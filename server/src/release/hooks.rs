//! `POST /hooks/github`, apart from HTTP: the signature first, then the
//! delivery id, then the event. A refusal writes nothing; every delivery
//! is counted by how it ended (`HookCounters`) and refusals are logged.

use std::sync::Arc;

use app::model::BuildResult;
use axum::body::Bytes;

use super::{
    builds::When,
    github::{self, Event, Run},
    BuildReport, Releases,
};
use crate::{clock::unix_now, config::ServiceConfig};

pub struct HookRequest {
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
            tracing::warn!(remote = ?request.remote, kind, message = %outcome.message, "webhook delivery refused");
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
            Err(why) => return ended("not_configured", 503, why),
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
        match self.store.delivery_seen(delivery).await {
            Ok(true) => return ended("duplicate", 200, "already handled this delivery"),
            Ok(false) => {}
            Err(err) => return ended("failed", 503, err.to_string()),
        }
        let result = self.act(parsed).await;
        if result.1.status < 300 && result.0 == "accepted" {
            if let Err(err) = self
                .store
                .record_delivery(delivery, event, unix_now())
                .await
            {
                tracing::error!(%err, "could not record a webhook delivery");
            }
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
                    Err(err) => unavailable(err),
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
                };
                let build = match report.check(self, "github") {
                    Ok(build) => build,
                    Err(err) => return ended("malformed_body", 400, err.to_string()),
                };
                match self.report_build(build, "github").await {
                    Ok(reported) => ended("accepted", 201, format!("build {}", reported.stored)),
                    Err(err) => ended("failed", 503, err.to_string()),
                }
            }
        }
    }

    /// The service a run builds, if it is a run of a build workflow.
    fn build_service(&self, run: &Run) -> Result<&ServiceConfig, Ended> {
        let names = &self.config.releases.build_workflows;
        if !names.is_empty() && !names.iter().any(|n| n == &run.workflow) {
            return Err(ended("ignored", 202, "ignored: not a build workflow"));
        }
        self.service_of(&run.repository)
    }
}
