//! `GET /api/v1/...` for scripts: the same data as the pages, as JSON.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use app::{error::BerthError, model::Source, ports::Dashboard};

use crate::state::AppState;

/// `max_connections` bounds the open event streams too (see `events`).
pub fn routes(max_connections: usize) -> Router<AppState> {
    let streams = std::sync::Arc::new(tokio::sync::Semaphore::new(super::events::max_streams(
        max_connections,
    )));
    Router::new()
        .route(
            "/events",
            get(move |state| super::events::events(state, streams.clone())),
        )
        .route("/environments", get(environments))
        .route("/services", get(services))
        .route("/sandboxes", get(sandboxes))
        .route("/clusters", get(clusters))
        .merge(super::api_writes::routes())
        .merge(super::releases::api_routes())
        .fallback(|| async { ApiError(BerthError::NotFound("no such API route".into())) })
}

/// An API error: the status from the error kind and `{"error": message}`.
pub struct ApiError(pub BerthError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status_code();
        (status, Json(json!({ "error": self.0.to_string() }))).into_response()
    }
}

impl From<BerthError> for ApiError {
    fn from(err: BerthError) -> Self {
        ApiError(err)
    }
}

/// Each configured cluster: whether Berth hears from it, and how many
/// objects of each kind it knows (the last known ones while stale).
async fn clusters(State(state): State<AppState>) -> Json<serde_json::Value> {
    let clusters: Vec<_> = state
        .live
        .clusters
        .iter()
        .map(|cluster| {
            json!({
                "name": cluster.name,
                "connection": crate::readmodel::cluster_status(&cluster.name, &cluster.state()),
                "applications": cluster.applications.state().len(),
                "deployments": cluster.deployments.iter().map(|s| s.state().len()).sum::<usize>(),
                "pods": cluster.pods.iter().map(|s| s.state().len()).sum::<usize>(),
                "ingresses": cluster.ingresses.iter().map(|s| s.state().len()).sum::<usize>(),
            })
        })
        .collect();
    Json(json!({ "configured": !clusters.is_empty(), "clusters": clusters }))
}

#[derive(Serialize)]
struct EnvironmentOut {
    name: String,
    title: String,
    kind: app::model::EnvironmentKind,
    file: Option<String>,
    repository: String,
    commit: String,
    services: serde_json::Map<String, serde_json::Value>,
    unknown_services: Vec<String>,
    problems: Vec<app::model::FileProblem>,
    /// Per service, what its cluster runs (absent without a cluster).
    live: serde_json::Map<String, serde_json::Value>,
    /// Services whose live state differs from git or is unhealthy.
    drifted: Vec<String>,
}

async fn environments(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let mut out = Vec::new();
    for env in &state.config.environments {
        let detail = state.read_model.environment_mapping(env)?;
        let repository = state
            .config
            .repository(env.repository.as_deref())
            .name
            .clone();
        let commit = detail
            .freshness
            .sources
            .iter()
            .find(|s: &&Source| s.repository == repository)
            .map(|s| s.commit.clone());
        out.push(EnvironmentOut {
            name: env.name.clone(),
            title: detail.summary.title.clone(),
            kind: detail.summary.kind,
            file: env.file.clone(),
            repository,
            commit: commit.unwrap_or_default(),
            services: detail
                .entries
                .iter()
                .map(|e| (e.service.clone(), json!(e.branch)))
                .collect(),
            unknown_services: detail.summary.unknown.clone(),
            problems: detail.summary.problems.clone(),
            live: detail
                .entries
                .iter()
                .filter_map(|e| Some((e.service.clone(), json!(e.live.as_ref()?))))
                .collect(),
            drifted: detail
                .entries
                .iter()
                .filter(|e| e.live.as_ref().is_some_and(|l| l.is_problem()))
                .map(|e| e.service.clone())
                .collect(),
        });
    }
    Ok(Json(json!({ "environments": out })))
}

/// The configured services: what a CI job needs to know to report builds
/// and tag images the way Berth reads them.
async fn services(State(state): State<AppState>) -> Json<serde_json::Value> {
    let services: Vec<_> = state
        .config
        .services
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "default_branch": s.default_branch,
                "repo_url": s.repo_url,
                "image": s.image,
            })
        })
        .collect();
    Json(json!({ "services": services }))
}

#[derive(Deserialize)]
struct SandboxQuery {
    #[serde(default)]
    q: String,
}

async fn sandboxes(
    State(state): State<AppState>,
    Query(query): Query<SandboxQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let list = state.read_model.sandboxes(&query.q).await?;
    let sandboxes: Vec<_> = list
        .sandboxes
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "owner": s.owner,
                "fingerprints": s.keys.iter().map(|k| &k.line).collect::<Vec<_>>(),
                "url": s.url,
                "ssh": s.ssh,
                "file": s.file,
                "created_at": s.created.as_ref().map(|c| c.at),
                "created_by": s.created.as_ref().map(|c| &c.author),
                "problems": s.problems,
                "live": s.live.as_ref().map(|l| &l.status),
                "chain": s.live.as_ref().map(|l| &l.chain),
                "ready": s.live.as_ref().map(|l| l.ready()),
                "drifted": s.live.as_ref().is_some_and(|l| l.status.is_problem()),
                "expires": s.expires,
                "days_left": s.days_left,
                "expiring": s.expiring,
            })
        })
        .collect();
    Ok(Json(json!({ "sandboxes": sandboxes, "total": list.total })))
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    if !state.read_model.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for the first snapshot",
        )
            .into_response();
    }
    if state.store.ping().await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "database not reachable").into_response();
    }
    // By default a cluster being away is shown on the pages, not a reason
    // to take Berth out of its load balancer: git-side features still work.
    if state.config.ready_needs_clusters {
        if let Some(away) = state
            .live
            .clusters
            .iter()
            .find(|c| c.state() != crate::cluster::ClusterState::Live)
        {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cluster `{}` is not live", away.name),
            )
                .into_response();
        }
    }
    "ready".into_response()
}
