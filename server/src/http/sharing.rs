//! Locks and freezes for scripts: `GET /api/v1/holds`, and placing and
//! lifting locks and freeze windows (qa and admin tokens).

use axum::{
    extract::{Path, State},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
    Json, Router,
};

use app::{
    model::{FreezeForm, LockForm, SharingBoard},
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
