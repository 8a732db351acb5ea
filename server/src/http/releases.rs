//! Builds in: `POST /hooks/github` (signed by GitHub) and `POST
//! /api/v1/builds` (a CI token); and what became of them: the pipeline of
//! each service, releases, and the webhook's counters.
//!
//! Both writes run in a task of their own: a client that hangs up once
//! its request was read cannot cut a build off between its row and its
//! audit row, or stop the release it starts.

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{header, request::Parts, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::json;

use app::{
    error::BerthError,
    model::{ReleaseFigures, Role},
    ports::ReleaseViews,
};

use super::{
    api::ApiError,
    limits::{read_within, Budgeted},
};
use crate::{
    release::{Answer, BuildReport, HookRequest},
    state::AppState,
};

/// How long a webhook's sender waits for the outcome (GitHub waits ten
/// seconds).
const ANSWER_HOOKS_WITHIN: std::time::Duration = std::time::Duration::from_secs(8);

/// How long a webhook's body may take to arrive: GitHub sends it at once,
/// and gives up on the answer after ten seconds anyway.
const READ_HOOK_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Under `/hooks`: outside the API's body limit, with its own.
pub fn hook_routes() -> Router<AppState> {
    Router::new().route("/github", post(github))
}

/// Under `/api/v1`.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/builds", post(report_build))
        .route("/pipeline/{service}", get(pipeline))
        .route("/releases", get(figures))
        .route("/releases/{environment}", get(releases))
        .route("/metrics/dora", get(dora))
        .route("/hooks/github", get(counters))
}

async fn github(State(state): State<AppState>, parts: Parts, body: Body) -> Response {
    let max = state.config.releases.max_webhook_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || {
        state.releases.counters.count("too_large");
        if log_refusal(&state) {
            tracing::warn!(max, "webhook delivery refused: body too large");
        }
        let message = format!("the body is larger than the {max} bytes Berth accepts");
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(json!({ "error": message })),
        )
            .into_response()
    };
    if declared.is_some_and(|length| length > max as u64) {
        return too_large();
    }
    // Bodies are read before the signature can be checked, so strangers
    // may send them: each within a deadline, and all of them together
    // within a budget of bytes. A budget rather than a number of readers:
    // a few idle connections must not keep GitHub's deliveries out.
    let read = tokio::time::timeout(
        READ_HOOK_WITHIN,
        read_within(body, max, &state.releases.hook_bodies),
    )
    .await;
    let body = match read {
        Err(_) => {
            state.releases.counters.count("malformed_body");
            if log_refusal(&state) {
                tracing::warn!("webhook delivery refused: the body was not sent in time");
            }
            return (
                StatusCode::REQUEST_TIMEOUT,
                Json(json!({ "error": "the body was not sent in time" })),
            )
                .into_response();
        }
        Ok(read) => read,
    };
    let body = match body {
        Ok(Budgeted::Whole(body)) => body,
        Ok(Budgeted::TooLarge) => return too_large(),
        Ok(Budgeted::OverBudget) => {
            state.releases.counters.count("busy");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "5")],
                Json(json!({ "error": "too many deliveries are being read; try again" })),
            )
                .into_response();
        }
        Err(err) => {
            state.releases.counters.count("malformed_body");
            if log_refusal(&state) {
                tracing::warn!(%err, "webhook delivery refused: the body could not be read");
            }
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "the body could not be read" })),
            )
                .into_response();
        }
    };
    let text = |name: &str| header_text(&parts.headers, name);
    let answer = Answer::default();
    let request = HookRequest {
        answer: answer.clone(),
        event: text("x-github-event"),
        delivery: text("x-github-delivery"),
        signature: text("x-hub-signature-256"),
        body,
        remote: state
            .gatekeeper
            .client_address(&parts.headers, &parts.extensions),
    };
    let releases = state.releases.clone();
    let mut handling = tokio::spawn(async move { releases.github_hook(request).await });
    let joined = match tokio::time::timeout(ANSWER_HOOKS_WITHIN, &mut handling).await {
        Ok(joined) => joined,
        // GitHub gives up on a delivery after ten seconds and shows it as
        // failed; the task goes on (a push that reads a large source
        // repository), so the answer is that it was taken.
        Err(_) if answer.accept() => {
            return (
                StatusCode::ACCEPTED,
                Json(json!({ "message": "accepted; still being handled" })),
            )
                .into_response();
        }
        // The handling has its outcome and is only settling its claim.
        Err(_) => handling.await,
    };
    let Ok(outcome) = joined else {
        return ApiError(BerthError::Unavailable(
            "the delivery could not be handled".into(),
        ))
        .into_response();
    };
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let key = if status.is_client_error() || status.is_server_error() {
        "error"
    } else {
        "message"
    };
    (status, Json(json!({ key: outcome.message }))).into_response()
}

/// Refusals before the signature is checked are logged at most once a
/// second, like the others.
fn log_refusal(state: &AppState) -> bool {
    match state
        .releases
        .counters
        .log_refusal(crate::clock::unix_now())
    {
        Some(0) => true,
        Some(unlogged) => {
            tracing::warn!(unlogged, "webhook refusals not logged in the last seconds");
            true
        }
        None => false,
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(200).collect())
}

async fn report_build(
    State(state): State<AppState>,
    parts: Parts,
    request: Result<Json<BuildReport>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let who = state.actions.require_writer(&parts).await?;
    if !matches!(who.role, Role::Ci | Role::Admin) {
        return Err(ApiError(BerthError::Forbidden(format!(
            "reporting builds needs the ci role; {} has the {} role",
            who.user,
            who.role.as_str()
        ))));
    }
    let report = request.map(|Json(r)| r).map_err(|why| {
        ApiError(BerthError::Invalid(format!(
            "bad JSON body: {}",
            why.body_text()
        )))
    })?;
    let (build, run) = report.check(&state.releases, &who.user)?;
    let releases = state.releases.clone();
    let reported = tokio::spawn(async move { releases.report_build(build, run, "token").await })
        .await
        .map_err(|_| {
            ApiError(BerthError::Unavailable(
                "the build could not be stored".into(),
            ))
        })??;
    let status = if reported.stored == "unchanged" {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(reported)).into_response())
}

#[derive(Deserialize)]
struct Limit {
    #[serde(default)]
    limit: Option<u32>,
}

async fn pipeline(
    State(state): State<AppState>,
    Path(service): Path<String>,
    Query(query): Query<Limit>,
) -> Result<Response, ApiError> {
    if !state.config.services.iter().any(|s| s.name == service) {
        return Err(ApiError(BerthError::NotFound("no such service".into())));
    }
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let commits = state
        .releases
        .store()
        .pipeline(&service, limit)
        .await
        .map_err(|e| ApiError(BerthError::Unavailable(e.to_string())))?;
    Ok(Json(json!({ "service": service, "commits": commits })).into_response())
}

async fn releases(
    State(state): State<AppState>,
    Path(environment): Path<String>,
    Query(query): Query<Limit>,
) -> Result<Response, ApiError> {
    if !state
        .config
        .environments
        .iter()
        .any(|e| e.name == environment)
    {
        return Err(ApiError(BerthError::NotFound("no such environment".into())));
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let releases = state
        .releases
        .store()
        .releases(&environment, limit)
        .await
        .map_err(|e| ApiError(BerthError::Unavailable(e.to_string())))?;
    Ok(Json(json!({ "environment": environment, "releases": releases })).into_response())
}

async fn counters(State(state): State<AppState>) -> Json<serde_json::Value> {
    let mut counters = json!(state.releases.counters.snapshot());
    counters["image_set"] = json!(state.releases.image_set.summary());
    Json(counters)
}

#[derive(Deserialize)]
struct Range {
    #[serde(default = "thirty")]
    days: u32,
    #[serde(default)]
    service: Option<String>,
}

fn thirty() -> u32 {
    30
}

async fn release_figures(state: &AppState, range: Range) -> Result<ReleaseFigures, ApiError> {
    Ok(state
        .releases
        .release_figures(range.days, range.service)
        .await?)
}

/// Deploys per day (per service) and the DORA figures of a range, with
/// the newest prod releases.
async fn figures(
    State(state): State<AppState>,
    Query(range): Query<Range>,
) -> Result<Response, ApiError> {
    let figures = release_figures(&state, range).await?;
    let recent = match state.releases.prod_environment() {
        Some(prod) => state
            .releases
            .store()
            .releases(&prod, 50)
            .await
            .map_err(|e| ApiError(BerthError::Unavailable(e.to_string())))?,
        None => Vec::new(),
    };
    // The DORA measures under the same names as `/metrics/dora`.
    let dora = dora_json(&figures);
    Ok(Json(json!({ "figures": figures, "dora": dora, "recent": recent })).into_response())
}

/// The four DORA measures of a range.
async fn dora(
    State(state): State<AppState>,
    Query(range): Query<Range>,
) -> Result<Response, ApiError> {
    let figures = release_figures(&state, range).await?;
    Ok(Json(dora_json(&figures)).into_response())
}

fn dora_json(f: &ReleaseFigures) -> serde_json::Value {
    json!({
        // Still reading the release history of a first start.
        "loading": f.loading,
        "days": f.days,
        "service": f.service,
        "deployments": f.deploys,
        "deployments_per_day": f.per_day_average,
        "lead_time_for_changes": f.lead_time,
        "change_failure_rate": f.change_failure_rate,
        "failed_deployments": f.failures,
        "time_to_restore": f.time_to_restore,
    })
}
