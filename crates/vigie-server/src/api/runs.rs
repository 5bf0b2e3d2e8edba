//! `/v1/runs`: the rescoring runs and their reports.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::St;
use crate::access::audit;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, Caller};

/// A run, without its report.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunSummary {
    /// Run id.
    pub run_id: String,
    /// Month scored.
    pub month: String,
    /// Model version.
    pub model_version: String,
    /// Start.
    pub started_at: String,
    /// Commit.
    pub finished_at: String,
    /// Companies scored.
    pub scored: i64,
    /// Companies excluded.
    pub excluded: i64,
    /// Source rows rejected.
    pub rejected: i64,
    /// Red.
    pub red: i64,
    /// Orange.
    pub orange: i64,
    /// Green.
    pub green: i64,
}

/// Runs, newest month first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunsResponse {
    /// The runs.
    pub items: Vec<RunSummary>,
}

/// The rescoring runs (national counts).
#[utoipa::path(get, path = "/v1/runs", tag = "runs", responses((status = 200, body = RunsResponse)))]
pub(crate) async fn runs(State(state): St, _caller: Caller) -> ApiResult<Json<RunsResponse>> {
    let items = state
        .store
        .runs()
        .await?
        .into_iter()
        .map(|r| RunSummary {
            run_id: r.run_id,
            month: r.month,
            model_version: r.model_version,
            started_at: r.started_at,
            finished_at: r.finished_at,
            scored: r.scored,
            excluded: r.excluded,
            rejected: r.rejected,
            red: r.red,
            orange: r.orange,
            green: r.green,
        })
        .collect();
    Ok(Json(RunsResponse { items }))
}

/// A run's report (national: analysts and admins).
#[utoipa::path(
    get, path = "/v1/runs/{id}", tag = "runs",
    params(("id" = String, Path, description = "Run id")),
    responses((status = 200, description = "The run report (see docs/operations.md)", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn run(
    State(state): St,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    caller.require_national()?;
    let r = state.store.run(&id).await?.ok_or_else(|| ApiError::not_found("no such run"))?;
    // The report lists company ids (new alerts, escalations...): a consultation.
    audit(&state, &caller, "GET /v1/runs/{id}", None, None, "ok", Some(&id)).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], r.report).into_response())
}
