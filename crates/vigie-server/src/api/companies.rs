//! `/v1/companies/{id}`: a company's latest score and explanation, history, changes and
//! follow-up; follow-up updates and feedback on alerts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigie_core::{AlertLevel, Change, Probabilities};
use vigie_score::Summary;
use vigie_score::levers::{self, LeverRanges, LeverSet, Search};
use vigie_store::{Feedback, FollowUp, FollowUpStatus};

use super::St;
use crate::AppState;
use crate::access::{Access, audit, reach};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// A company's latest score.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestScore {
    /// Run.
    pub run_id: String,
    /// Month scored.
    pub month: String,
    /// Probabilities by horizon.
    pub p: Probabilities,
    /// Level.
    pub level: String,
    /// Margin.
    pub margin: f64,
    /// Explanation: bias, margin, contributions by topic group, the five features raising
    /// the risk most and the five lowering it most. Kept for every alert (`null` for a
    /// green score the run did not explain).
    pub explanation: Option<Summary>,
    /// Whether this score comes from the latest run. `false`: the company was not scored
    /// by the latest run (closed, in a collective procedure, or absent from the sources),
    /// and this is its last score, of an earlier run.
    pub in_latest_run: bool,
}

/// One point of a company's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPoint {
    /// Run.
    pub run_id: String,
    /// Month.
    pub month: String,
    /// 18-month probability.
    pub p_18m: f64,
    /// Level.
    pub level: String,
}

/// What changed since the previous run.
#[derive(Debug, Serialize, ToSchema)]
pub struct Changes {
    /// Level in the previous run (`null`: not scored then).
    pub previous_level: Option<String>,
    /// 18-month probability in the previous run.
    pub previous_p_18m: Option<f64>,
    /// Change of the 18-month probability.
    pub delta_p_18m: Option<f64>,
    /// A new alert (green or not scored before).
    pub first_alert: bool,
    /// Orange to red.
    pub escalated: bool,
    /// A lower level than before.
    pub de_escalated: bool,
}

/// One follow-up entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpEntry {
    /// Status.
    pub status: String,
    /// Note.
    pub note: Option<String>,
    /// Token name of the author.
    pub author: String,
    /// Time.
    pub at: String,
}

/// Follow-up status and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpView {
    /// Current status (`to_contact` when never followed up).
    pub status: String,
    /// Every entry, oldest first.
    pub history: Vec<FollowUpEntry>,
}

/// A company.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyResponse {
    /// Pseudonymous id.
    pub company_id: String,
    /// Département.
    pub departement: String,
    /// Region (INSEE code).
    pub region: String,
    /// NAF code.
    pub naf: String,
    /// NAF section.
    pub naf_section: String,
    /// Size band.
    pub size_band: String,
    /// `in_zone`, or `out_of_zone` (an agent's access with a stated reason).
    pub access: String,
    /// Latest score.
    pub latest: LatestScore,
    /// Scores across runs, oldest first.
    pub history: Vec<HistoryPoint>,
    /// Changes since the previous run.
    pub changes: Changes,
    /// Follow-up.
    pub follow_up: FollowUpView,
    /// For a company in red or orange in the latest run: the smallest plausible changes of
    /// actionable features (arrears, payment plans, cash, payables and receivables days,
    /// debt; never age, sector, size or past procedures) that would bring its 18-month
    /// probability under the orange threshold according to the active model, best first,
    /// at most three sets of at most three features, each rescored. Computed on demand.
    /// What the model says, not a promise of cause and effect. Empty otherwise, or when no
    /// such set exists within the search's bound.
    pub levers: Vec<LeverSet>,
}

pub(crate) async fn follow_up_view(state: &AppState, id: &str) -> ApiResult<FollowUpView> {
    let cached = state.follow_ups.read().expect("not poisoned").as_ref().map(|copy| copy.of(id));
    let history = match cached {
        Some(h) => h,
        None => state.store.follow_ups(id).await?,
    };
    Ok(FollowUpView {
        status: history.last().map_or("to_contact", |f| f.status.as_str()).to_owned(),
        history: history
            .into_iter()
            .map(|f| FollowUpEntry {
                status: f.status.as_str().to_owned(),
                note: f.note,
                author: f.author,
                at: f.at,
            })
            .collect(),
    })
}

/// A company: latest score, explanation, history across runs, changes, follow-up.
#[utoipa::path(
    get, path = "/v1/companies/{id}", tag = "companies",
    params(("id" = String, Path, description = "SIREN (9 digits) or pseudonymous id (16 hex digits)"), Access),
    responses(
        (status = 200, body = CompanyResponse),
        (status = 404, body = ErrorBody, description = "unknown, outside the agent's territory, or a SIREN whose check digit is wrong"),
        (status = 422, body = ErrorBody, description = "invalid_company_id, validation_failed"),
    )
)]
pub(crate) async fn company(
    State(state): St,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(access): ApiQuery<Access>,
) -> ApiResult<Json<CompanyResponse>> {
    let reason = access.reason.as_deref();
    Ok(Json(company_view(&state, &caller, "GET /v1/companies/{id}", &id, reason).await?))
}

/// A company as the caller may see it (404 when out of reach); audited under `route`.
pub(crate) async fn company_view(
    state: &AppState,
    caller: &Caller,
    route: &str,
    id: &str,
    reason: Option<&str>,
) -> ApiResult<CompanyResponse> {
    let r = reach(state, caller, route, id, reason).await?;
    let last = &r.latest;
    let s = &last.score;
    let level = AlertLevel::parse(&s.level).map_err(|e| ApiError::internal(&e))?;
    let before = s
        .previous_level
        .as_deref()
        .map(AlertLevel::parse)
        .transpose()
        .map_err(|e| ApiError::internal(&e))?;
    let change = Change::between(before, level);
    let response = CompanyResponse {
        company_id: r.id.clone(),
        departement: s.departement.clone(),
        region: s.region.clone(),
        naf: s.naf.clone(),
        naf_section: s.naf_section.clone(),
        size_band: s.size_band.clone(),
        access: r.access.to_owned(),
        latest: LatestScore {
            run_id: last.run_id.clone(),
            month: last.month.clone(),
            p: s.p,
            level: s.level.clone(),
            margin: s.margin,
            explanation: s.explanation.as_deref().and_then(|e| {
                serde_json::from_str(e)
                    .inspect_err(|err| {
                        tracing::warn!(run = %last.run_id, %err, "a stored explanation is unreadable");
                    })
                    .ok()
            }),
            in_latest_run: r.current,
        },
        history: r.points,
        changes: Changes {
            previous_level: s.previous_level.clone(),
            previous_p_18m: s.previous_p_18m,
            delta_p_18m: s.previous_p_18m.map(|p| s.p.alert() - p),
            first_alert: change == Change::FirstAlert,
            escalated: change == Change::Escalated,
            de_escalated: change == Change::DeEscalated,
        },
        follow_up: follow_up_view(state, &r.id).await?,
        levers: if r.current && level != AlertLevel::Green {
            company_levers(state, &last.run_id, s).await?
        } else {
            Vec::new()
        },
    };
    audit(state, caller, route, Some(&r.id), Some(&r.territory), r.access, reason).await?;
    Ok(response)
}

/// The levers of a company in alert (see [`CompanyResponse::levers`]): its stored model
/// row, the active model, the latest run's bounds for its sector and size band.
async fn company_levers(
    state: &AppState,
    run_id: &str,
    s: &vigie_store::ScoreRow,
) -> ApiResult<Vec<LeverSet>> {
    let (Some(model), Some(row)) = (state.model(), s.features.as_deref()) else {
        return Ok(Vec::new());
    };
    let Some(row) = levers::row_from_json(row) else {
        tracing::warn!("a stored model row is unreadable: no levers");
        return Ok(Vec::new());
    };
    // The bounds of the score's run: the index's when it is of that run, else its report.
    let indexed = state.snapshot().filter(|snap| snap.runs.last().is_some_and(|r| r.0 == run_id));
    let ranges = match indexed {
        Some(snap) => std::sync::Arc::clone(&snap.lever_ranges),
        None => std::sync::Arc::new(match state.store.run(run_id).await? {
            Some(run) => crate::snapshot::lever_ranges(&run.report),
            None => LeverRanges::default(),
        }),
    };
    let group = LeverRanges::group(&s.naf_section, &s.size_band);
    // A few milliseconds of rescoring: off the runtime's threads.
    tokio::task::spawn_blocking(move || {
        levers::levers(&model.scorer, &row, &ranges, &group, Search::default())
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(|e| ApiError::internal(&e))
}

/// A follow-up update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    /// `to_contact`, `contacted`, `in_support` or `closed`.
    pub status: String,
    /// Note (at most 2,000 characters).
    pub note: Option<String>,
}

/// Set a company's follow-up status (agents of its territory, analysts, admins).
#[utoipa::path(
    put, path = "/v1/companies/{id}/follow-up", tag = "companies",
    params(("id" = String, Path, description = "SIREN or pseudonymous id"), Access),
    request_body = FollowUpRequest,
    responses((status = 200, body = FollowUpView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub(crate) async fn follow_up(
    State(state): St,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(access): ApiQuery<Access>,
    ApiJson(req): ApiJson<FollowUpRequest>,
) -> ApiResult<Json<FollowUpView>> {
    let route = "PUT /v1/companies/{id}/follow-up";
    Ok(Json(set_follow_up(&state, &caller, route, &id, access.reason.as_deref(), req).await?))
}

/// Appends a follow-up entry to a company in the caller's reach; audited under `route`.
pub(crate) async fn set_follow_up(
    state: &AppState,
    caller: &Caller,
    route: &str,
    id: &str,
    reason: Option<&str>,
    req: FollowUpRequest,
) -> ApiResult<FollowUpView> {
    let status =
        FollowUpStatus::parse(&req.status).map_err(|e| ApiError::field("status", e.to_string()))?;
    if req.note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ApiError::field("note", "at most 2,000 characters"));
    }
    let r = reach(state, caller, route, id, reason).await?;
    // The audit row first: a write must never exist without it (the request may time out
    // or the audit insert fail after the write).
    audit(state, caller, route, Some(&r.id), Some(&r.territory), r.access, reason).await?;
    state
        .store
        .add_follow_up(&FollowUp {
            company_id: r.id.clone(),
            status,
            note: req.note.filter(|n| !n.trim().is_empty()),
            author: caller.name.clone(),
            at: vigie_store::now_utc(),
        })
        .await?;
    // Our own write is visible at once (other instances' within a second).
    let cached = state.follow_ups.read().expect("not poisoned").is_some();
    if cached {
        state.refresh_follow_ups().await?;
    }
    follow_up_view(state, &r.id).await
}

/// Feedback on an alert.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// Was the alert useful?
    pub useful: bool,
    /// Why (at most 2,000 characters).
    pub reason: Option<String>,
}

/// Recorded feedback.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackResponse {
    /// The run whose alert it is about.
    pub run_id: String,
    /// Was it useful.
    pub useful: bool,
}

/// Say whether an alert was useful.
#[utoipa::path(
    post, path = "/v1/companies/{id}/feedback", tag = "companies",
    params(("id" = String, Path, description = "SIREN or pseudonymous id"), Access),
    request_body = FeedbackRequest,
    responses((status = 201, body = FeedbackResponse), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub(crate) async fn feedback(
    State(state): St,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(access): ApiQuery<Access>,
    ApiJson(req): ApiJson<FeedbackRequest>,
) -> ApiResult<(StatusCode, Json<FeedbackResponse>)> {
    let route = "POST /v1/companies/{id}/feedback";
    let out = give_feedback(&state, &caller, route, &id, access.reason.as_deref(), req).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Records feedback on a company's latest alert; audited under `route`.
pub(crate) async fn give_feedback(
    state: &AppState,
    caller: &Caller,
    route: &str,
    id: &str,
    reason: Option<&str>,
    req: FeedbackRequest,
) -> ApiResult<FeedbackResponse> {
    if req.reason.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ApiError::field("reason", "at most 2,000 characters"));
    }
    let r = reach(state, caller, route, id, reason).await?;
    let run_id = r.latest.run_id.clone();
    // The audit row first, as for follow-ups.
    audit(state, caller, route, Some(&r.id), Some(&r.territory), r.access, reason).await?;
    state
        .store
        .add_feedback(&Feedback {
            company_id: r.id.clone(),
            run_id: Some(run_id.clone()),
            useful: req.useful,
            reason: req.reason,
            author: caller.name.clone(),
            at: vigie_store::now_utc(),
        })
        .await?;
    Ok(FeedbackResponse { run_id, useful: req.useful })
}
