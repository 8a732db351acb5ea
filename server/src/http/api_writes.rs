//! The write API for scripts: the same actions, rules and validation as the
//! UI, authenticated by an API token (or a session, from the browser).

use axum::{
    extract::{Path, Query, State},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::json;

use app::{
    error::BerthError,
    model::{AuditLogPage, AuditQuery, CommitResult},
    ports::Operations,
};

use super::api::ApiError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sandboxes", post(create_sandbox))
        .route("/sandboxes/{name}", delete(delete_sandbox))
        .route("/sandboxes/{name}/extend", post(extend_sandbox))
        .route(
            "/environments/{environment}/services/{service}",
            post(set_branch),
        )
        .route("/audit", get(audit))
        .merge(super::sharing::routes())
}

/// A JSON body that does not parse is a 400 with the reason, like any
/// other bad input.
pub(super) fn body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, ApiError> {
    body.map(|Json(v)| v).map_err(|why| {
        ApiError(BerthError::Invalid(format!(
            "bad JSON body: {}",
            why.body_text()
        )))
    })
}

fn committed(result: CommitResult, created: bool) -> Response {
    let status = match (&result.commit, created) {
        (Some(_), true) => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    (
        status,
        Json(json!({ "commit": result.commit, "message": result.message })),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSandbox {
    name: String,
    /// One key per entry, or one string with a key per line.
    ssh_public_keys: Keys,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Keys {
    List(Vec<String>),
    Text(String),
}

async fn create_sandbox(
    State(state): State<AppState>,
    parts: Parts,
    request: Result<Json<NewSandbox>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body(request)?;
    let keys = match request.ssh_public_keys {
        Keys::List(list) => list.join("\n"),
        Keys::Text(text) => text,
    };
    let result =
        Operations::create_sandbox(state.actions.as_ref(), &parts, &request.name, &keys).await?;
    Ok(committed(result, true))
}

async fn delete_sandbox(
    State(state): State<AppState>,
    Path(name): Path<String>,
    parts: Parts,
) -> Result<Response, ApiError> {
    // The path names the sandbox; that is the confirmation a script gives.
    let result = Operations::delete_sandbox(state.actions.as_ref(), &parts, &name, &name).await?;
    Ok(committed(result, false))
}

/// Moves the sandbox's last day by the configured lifetime.
async fn extend_sandbox(
    State(state): State<AppState>,
    Path(name): Path<String>,
    parts: Parts,
) -> Result<Response, ApiError> {
    let result = Operations::extend_sandbox(state.actions.as_ref(), &parts, &name).await?;
    Ok(committed(result, false))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBranch {
    branch: String,
    /// An admin's reason to write through a lock or a freeze.
    #[serde(default)]
    break_glass: Option<String>,
    /// Go over others' claims on the service (recorded).
    #[serde(default)]
    override_claim: bool,
}

async fn set_branch(
    State(state): State<AppState>,
    Path((environment, service)): Path<(String, String)>,
    parts: Parts,
    request: Result<Json<SetBranch>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let request = body(request)?;
    let changes = vec![(service, request.branch)];
    let result = Operations::promote(
        state.actions.as_ref(),
        &parts,
        &environment,
        changes,
        app::model::Overrides {
            break_glass: request.break_glass,
            override_claims: request.override_claim,
        },
    )
    .await?;
    Ok(committed(result, false))
}

/// A page of the log, newest first; `next_before` (when set) is the
/// `before` of the next, older page.
async fn audit(
    State(state): State<AppState>,
    parts: Parts,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditLogPage>, ApiError> {
    let rows = Operations::audit(state.actions.as_ref(), &parts, query.clone()).await?;
    Ok(Json(AuditLogPage::new(rows, &query)))
}
