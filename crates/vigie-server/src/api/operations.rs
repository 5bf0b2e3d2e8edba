//! Operations: liveness, readiness and Prometheus metrics (no token).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::St;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};

/// Status.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: String,
    /// Loaded model version.
    pub model: Option<String>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()), responses((status = 200, body = Health)))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into(), model: None })
}

/// Readiness: the store answers and a model is loaded.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()), responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub(crate) async fn readyz(State(state): St) -> ApiResult<Json<Health>> {
    state
        .store
        .ping()
        .await
        .map_err(|_| ApiError::new(ErrorCode::NotReady, "the store does not answer"))?;
    let model = state.model().ok_or_else(|| {
        ApiError::new(ErrorCode::NoActiveModel, "no model is active in the registry")
    })?;
    Ok(Json(Health { status: "ready".into(), model: Some(model.version.clone()) }))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()), responses((status = 200, content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(State(state): St) -> Response {
    let version = state.model().map(|m| m.version.clone());
    (
        [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(version.as_deref()),
    )
        .into_response()
}
