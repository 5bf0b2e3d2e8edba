//! `POST /v1/self-assessment`: the public self-diagnosis of a company head (no token),
//! answered by the active self-diagnosis model (feature set `self`); the same answer as the
//! page `/diagnostic` ([`assess`] is shared).
//!
//! Privacy: what the visitor sends is never stored, logged, audited or put in a URL (the
//! route is POST only; its body is read here and dropped with the answer; the logs carry
//! the route template and status only). No cookie. Rate limited per client address
//! ([`crate::extract::client_address`]).

use axum::Json;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap};
use serde::Serialize;
use utoipa::ToSchema;
use vigie_core::{AlertLevel, Month, Probabilities};
use vigie_score::Summary;
use vigie_score::diagnosis::{self, Answers, HELP, Help, Problem};
use vigie_score::levers::{LeverRanges, LeverSet};

use super::{St, off_runtime};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode, FieldError};
use crate::extract::ApiJson;
use crate::state::AgainstFull;

/// The answer of a self-diagnosis.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelfAssessmentResponse {
    /// The self-diagnosis model that answered.
    pub model_version: String,
    /// Probabilities by horizon.
    pub p: Probabilities,
    /// Level from the 18-month probability and the model's thresholds.
    pub level: AlertLevel,
    /// The level in plain French words.
    pub band: String,
    /// The figures that weigh most: bias, contributions by topic group, the five features
    /// raising the risk most and the five lowering it most.
    pub explanation: Summary,
    /// Changes of the figures a company can act on that would bring the 18-month
    /// probability under the orange threshold according to the model (at most three
    /// features each, smallest first; empty when already under it). What the model says,
    /// not a promise of cause and effect.
    pub levers: Vec<LeverSet>,
    /// The model's out-of-time quality beside the administrations' full model on the same
    /// test window (null when its metrics lack them).
    pub against_full: Option<AgainstFull>,
    /// Where to get help, and what for.
    pub help: Vec<Help>,
}

/// Why a self-diagnosis was not answered.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The figures, field by field (French messages).
    Figures(Vec<Problem>),
    /// Anything else (no self model, rate limited, internal).
    Error(ApiError),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        Self::Error(e)
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::Figures(problems) => ApiError::fields(
                problems
                    .into_iter()
                    .map(|p| FieldError { field: p.field, problem: p.message })
                    .collect(),
            ),
            Refused::Error(e) => e,
        }
    }
}

/// The month of today's date (UTC): the accounts' age and the company's are counted to it.
pub(crate) fn this_month() -> Month {
    let now = vigie_store::now_utc();
    Month::parse(now.get(..7).unwrap_or_default()).expect("the clock gives a valid month")
}

/// Takes one request from the client's bucket of the public routes.
pub(crate) fn limit(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Result<(), ApiError> {
    let key = crate::extract::client_address(state, headers, extensions);
    state.public_limiter.take(&key).map_err(|wait| {
        let mut e = ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "more than {} self-diagnoses per minute from this address",
                state.config.public_rate_limit_per_minute
            ),
        );
        e.retry_after = Some(wait);
        e
    })
}

/// Checks the figures and answers them with the active self-diagnosis model; the levers'
/// bounds are the latest run's (from the in-memory index, else the store).
pub(crate) async fn assess(
    state: &AppState,
    answers: &Answers,
) -> Result<SelfAssessmentResponse, Refused> {
    let model = state.self_model().ok_or_else(|| {
        ApiError::new(ErrorCode::NoActiveModel, "no self-diagnosis model is active")
    })?;
    let row = answers.row(this_month()).map_err(Refused::Figures)?;
    let ranges = match state.snapshot() {
        Some(snap) => std::sync::Arc::clone(&snap.lever_ranges),
        None => {
            std::sync::Arc::new(match state.store.latest_run().await.map_err(ApiError::from)? {
                Some(run) => crate::snapshot::lever_ranges(&run.report),
                None => LeverRanges::default(),
            })
        }
    };
    let version = model.version.clone();
    let against_full = model.against_full;
    let d = off_runtime(move || {
        diagnosis::diagnose(&model.scorer, &row, &ranges).map_err(|e| ApiError::internal(&e))
    })
    .await?;
    Ok(SelfAssessmentResponse {
        model_version: version,
        p: d.p,
        level: d.level,
        band: d.band,
        explanation: d.explanation,
        levers: d.levers,
        against_full,
        help: HELP.to_vec(),
    })
}

/// A company head's self-diagnosis (public: no token). Send the figures of your last
/// accounts (by amount in `accounts`, or by box of the liasse fiscale in `boxes` with
/// `regime`), your arrears and payment plans, your recent turnover, your company's creation
/// date and NAF code; get a risk band, the figures that weigh most, the levers and where to
/// get help. Nothing sent is stored or logged. Field errors (`fields`) are in French.
#[utoipa::path(
    post, path = "/v1/self-assessment", tag = "self-assessment",
    request_body = Answers,
    security(()),
    responses(
        (status = 200, body = SelfAssessmentResponse),
        (status = 400, body = ErrorBody, description = "invalid_json"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "validation_failed: `fields` names each figure, with a French message; also for a body the schema allows whose figures do not hold together (a total below the amounts it holds, a date in the future, a needed figure missing)"),
        (status = 429, body = ErrorBody, description = "rate_limited, per client address"),
        (status = 503, body = ErrorBody, description = "no_active_model: no self-diagnosis model is active"),
    )
)]
pub(crate) async fn self_assessment(
    State(state): St,
    headers: HeaderMap,
    extensions: Extensions,
    ApiJson(answers): ApiJson<Answers>,
) -> ApiResult<Json<SelfAssessmentResponse>> {
    limit(&state, &headers, &extensions)?;
    Ok(Json(assess(&state, &answers).await?))
}
