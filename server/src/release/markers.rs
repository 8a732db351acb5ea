//! Deploy markers: after each prod deploy, a note to the places people
//! look when something changes — New Relic change tracking (NerdGraph),
//! Grafana annotations, a Slack incoming webhook, a generic JSON webhook.
//! They are queued in the database and sent by a task of their own, with
//! retries and backoff, so a slow or failing sink never holds a deploy up;
//! what could not be sent is shown on the prod page.

use std::{sync::Arc, time::Duration};

use app::model::Release;
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use serde_json::{json, Value};

use super::{short, Releases};
use crate::{
    clock::unix_now,
    config::{MarkerConfig, MarkerKind},
    store::NewMarker,
};

/// How often due markers are looked for.
const POLL: Duration = Duration::from_secs(1);
/// A sink that takes longer has failed this attempt.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a sink's answer that is read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: u64 = 3600;

/// What one sink is told about a deploy.
pub fn payload(kind: MarkerKind, release: &Release, entity_guid: Option<&str>) -> Value {
    let words = format!(
        "Deployed {} {} ({}) to {}{}",
        release.service,
        release.image_tag,
        short(&release.sha),
        release.environment,
        release
            .lead_time_secs
            .map(|s| format!(", {} min after its commit", s / 60))
            .unwrap_or_default()
    );
    let millis = release.finished_at.unwrap_or(release.started_at) * 1000;
    match kind {
        MarkerKind::Slack => json!({ "text": words }),
        MarkerKind::Grafana => json!({
            "time": release.started_at * 1000,
            "timeEnd": millis,
            "tags": ["deploy", "berth", format!("service:{}", release.service), format!("env:{}", release.environment)],
            "text": words,
        }),
        // Values go in as GraphQL variables, never into the query text.
        MarkerKind::NewRelic => json!({
            "query": "mutation ($deployment: ChangeTrackingDeploymentInput!) { changeTrackingCreateDeployment(deployment: $deployment) { deploymentId } }",
            "variables": { "deployment": {
                "entityGuid": entity_guid.unwrap_or_default(),
                "version": release.image_tag,
                "commit": release.sha,
                "user": release.triggered_by,
                "description": words,
                "timestamp": millis,
            } },
        }),
        MarkerKind::Webhook => json!({ "event": "deployed", "release": release, "text": words }),
    }
}

impl Releases {
    /// Queues the markers of a prod release that just deployed.
    pub(super) async fn mark(&self, release: &Release) {
        let markers: Vec<NewMarker> = self
            .config
            .releases
            .markers
            .iter()
            .filter(|m| {
                m.kind != MarkerKind::NewRelic || m.entity_guids.contains_key(&release.service)
            })
            .map(|m| NewMarker {
                release_id: release.id,
                sink: m.name.clone(),
                service: release.service.clone(),
                image_tag: release.image_tag.clone(),
                payload: payload(
                    m.kind,
                    release,
                    m.entity_guids.get(&release.service).map(String::as_str),
                )
                .to_string(),
            })
            .collect();
        if markers.is_empty() {
            return;
        }
        if let Err(err) = self.store.enqueue_markers(&markers, unix_now()).await {
            tracing::error!(%err, "cannot queue deploy markers");
        }
    }

    async fn send_due(&self, client: &HttpClient) {
        let due = match self.store.due_markers(unix_now(), 20).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(%err, "cannot read due deploy markers");
                return;
            }
        };
        for marker in due {
            let Some(sink) = self
                .config
                .releases
                .markers
                .iter()
                .find(|m| m.name == marker.sink)
            else {
                // A sink no longer configured: nothing to send it to.
                let _ = self
                    .store
                    .marker_failed(
                        marker.id,
                        marker.attempts,
                        None,
                        "this sink is no longer configured",
                    )
                    .await;
                continue;
            };
            let attempts = marker.attempts + 1;
            let result = match send(client, sink, marker.payload).await {
                Ok(()) => self.store.marker_sent(marker.id, unix_now()).await,
                Err(why) => {
                    let next = (attempts < self.config.releases.marker_attempts).then(|| {
                        let wait = self
                            .config
                            .releases
                            .marker_retry_secs
                            .saturating_mul(1 << (attempts - 1).min(16))
                            .min(MAX_BACKOFF_SECS);
                        unix_now() + wait as i64
                    });
                    tracing::warn!(sink = %sink.name, attempts, %why, given_up = next.is_none(), "a deploy marker failed");
                    self.store
                        .marker_failed(marker.id, attempts, next, &why)
                        .await
                }
            };
            if let Err(err) = result {
                tracing::error!(%err, "cannot record a deploy marker's attempt");
            }
            self.announce();
        }
    }
}

type HttpClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

fn client() -> Result<HttpClient, String> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("no TLS root certificates: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

/// One attempt: a 2xx answer within the timeout is a success.
async fn send(client: &HttpClient, sink: &MarkerConfig, payload: String) -> Result<(), String> {
    let url = sink.url()?;
    let mut url = url.trim_end_matches('/').to_string();
    if sink.kind == MarkerKind::Grafana {
        url.push_str("/api/annotations");
    }
    let mut request = hyper::Request::post(&url).header("content-type", "application/json");
    if let Some(token) = sink.token()? {
        request = match sink.kind {
            MarkerKind::NewRelic => request.header("api-key", token),
            _ => request.header("authorization", format!("Bearer {token}")),
        };
    }
    let request = request
        .body(Full::new(Bytes::from(payload)))
        .map_err(|e| format!("cannot make the request: {e}"))?;
    let response = tokio::time::timeout(SEND_TIMEOUT, client.request(request))
        .await
        .map_err(|_| format!("no answer within {} s", SEND_TIMEOUT.as_secs()))?
        .map_err(|e| format!("cannot reach {}: {e}", host_of(&url)))?;
    let status = response.status();
    let body = tokio::time::timeout(
        SEND_TIMEOUT,
        http_body_util::Limited::new(response.into_body(), MAX_ANSWER_BYTES).collect(),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .map(|b| b.to_bytes())
    .unwrap_or_default();
    if !status.is_success() {
        let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        return Err(format!("HTTP {}: {}", status.as_u16(), text.trim()));
    }
    match sink.kind {
        MarkerKind::NewRelic => nerdgraph_errors(&body).map_or(Ok(()), Err),
        _ => Ok(()),
    }
}

/// NerdGraph answers a refused mutation (an unknown entity, a key without
/// access) with HTTP 200 and an `errors` list: those are failures too.
fn nerdgraph_errors(body: &[u8]) -> Option<String> {
    let answer: Value = serde_json::from_slice(body).ok()?;
    let errors = answer["errors"].as_array().filter(|e| !e.is_empty())?;
    let first = errors[0]["message"].as_str().unwrap_or("an error");
    Some(format!(
        "New Relic refused the change: {}",
        first.chars().take(200).collect::<String>()
    ))
}

/// The host of a URL, for messages: the rest may hold a secret (Slack's).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

pub(super) fn spawn(releases: Arc<Releases>) {
    if releases.config.releases.markers.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let client = match client() {
            Ok(client) => client,
            Err(err) => {
                tracing::error!(%err, "deploy markers cannot be sent");
                return;
            }
        };
        loop {
            tokio::time::sleep(POLL).await;
            releases.send_due(&client).await;
        }
    });
}

#[cfg(test)]
mod tests;
