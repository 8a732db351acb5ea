//! Locks, freezes and claims for scripts: `GET /api/v1/holds`; placing
//! and lifting locks and freeze windows (qa and admin tokens); claiming
//! Dev, extending and ending claims.

use axum::{
    extract::{Path, State},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
    Json, Router,
};

use app::{
    model::{BookingForm, ClaimForm, FreezeForm, LockForm, SharingBoard},
    ports::{Dashboard, Operations},
};

use super::{api::ApiError, api_writes::body};
use crate::state::AppState;

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/holds", get(holds))
        .route("/locks", post(lock))
        .route("/locks/{id}", delete(lift_lock))
        .route("/freezes", post(freeze))
        .route("/freezes/{id}", delete(lift_freeze))
        .route("/bookings", post(book))
        .route("/bookings/{id}", delete(cancel_booking))
        .route("/claims", post(claim))
        .route("/claims/{id}", delete(end_claim))
        .route("/claims/{id}/extend", post(extend_claim))
        .route("/pipeline/{service}/rollback", post(rollback))
        .route("/pipeline/{service}/resume", post(resume))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Rollback {
    /// The id of a prod release deployed before.
    release: i64,
    reason: String,
    #[serde(default)]
    break_glass: Option<String>,
}

/// Rolls a prod service back and pauses its automation: 201 with the new
/// release's id.
async fn rollback(
    State(state): State<AppState>,
    Path(service): Path<String>,
    parts: Parts,
    form: JsonBody<Rollback>,
) -> Result<Response, ApiError> {
    let Rollback {
        release,
        reason,
        break_glass,
    } = body(form)?;
    let overrides = app::model::Overrides {
        break_glass,
        override_claims: false,
    };
    let id = Operations::rollback(
        state.actions.as_ref(),
        &parts,
        &service,
        release,
        &reason,
        overrides,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "release": id })),
    )
        .into_response())
}

async fn resume(
    State(state): State<AppState>,
    Path(service): Path<String>,
    parts: Parts,
) -> Result<Response, ApiError> {
    Operations::resume_automation(state.actions.as_ref(), &parts, &service).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn book(
    State(state): State<AppState>,
    parts: Parts,
    form: JsonBody<BookingForm>,
) -> Result<Response, ApiError> {
    let form = body(form)?;
    let booking = Operations::book(state.actions.as_ref(), &parts, form).await?;
    Ok((StatusCode::CREATED, Json(booking)).into_response())
}

async fn cancel_booking(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
) -> Result<Response, ApiError> {
    let booking = Operations::cancel_booking(state.actions.as_ref(), &parts, id).await?;
    Ok(Json(booking).into_response())
}

async fn claim(
    State(state): State<AppState>,
    parts: Parts,
    form: JsonBody<ClaimForm>,
) -> Result<Response, ApiError> {
    let form = body(form)?;
    let claim = Operations::claim(state.actions.as_ref(), &parts, form).await?;
    Ok((StatusCode::CREATED, Json(claim)).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Extend {
    #[serde(default)]
    hours: Option<u32>,
}

async fn extend_claim(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
    form: JsonBody<Extend>,
) -> Result<Response, ApiError> {
    let Extend { hours } = body(form)?;
    let claim = Operations::change_claim(state.actions.as_ref(), &parts, id, hours, false).await?;
    Ok(Json(claim).into_response())
}

async fn end_claim(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
) -> Result<Response, ApiError> {
    let claim = Operations::change_claim(state.actions.as_ref(), &parts, id, None, true).await?;
    Ok(Json(claim).into_response())
}

/// Every environment's locks, freezes in force, next freeze and broken
/// glass, and every freeze window.
async fn holds(State(state): State<AppState>) -> Result<Json<SharingBoard>, ApiError> {
    Ok(Json(state.read_model.sharing().await?))
}

async fn lock(
    State(state): State<AppState>,
    parts: Parts,
    form: JsonBody<LockForm>,
) -> Result<Response, ApiError> {
    let form = body(form)?;
    let lock = Operations::lock(state.actions.as_ref(), &parts, form).await?;
    Ok((StatusCode::CREATED, Json(lock)).into_response())
}

async fn lift_lock(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
) -> Result<Response, ApiError> {
    let lock = Operations::lift_lock(state.actions.as_ref(), &parts, id).await?;
    Ok(Json(lock).into_response())
}

async fn freeze(
    State(state): State<AppState>,
    parts: Parts,
    form: JsonBody<FreezeForm>,
) -> Result<Response, ApiError> {
    let form = body(form)?;
    let freeze = Operations::freeze(state.actions.as_ref(), &parts, form).await?;
    Ok((StatusCode::CREATED, Json(freeze)).into_response())
}

async fn lift_freeze(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
) -> Result<Response, ApiError> {
    Operations::lift_freeze(state.actions.as_ref(), &parts, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
