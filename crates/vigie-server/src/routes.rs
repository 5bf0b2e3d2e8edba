//! The handlers of `/v1`, with their OpenAPI descriptions.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::features::{CATALOGUE, FeatureGroup};
use vigie_core::{AlertLevel, CompanyId, Naf, Region, Siren};
use vigie_store::{
    AlertCursor, AlertFilter, AlertSort, AuditEntry, Feedback, FollowUp, FollowUpStatus,
    StoredScore,
};

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, departement};

type St = State<Arc<AppState>>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigie API",
        description = "Early warning of business failures: calibrated probabilities, alert \
                       levels and explanations, scoped by territory. Every error is \
                       `{\"code\", \"message\"}` (see docs/api.md).",
        license(name = "EUPL-1.2")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The routes and their OpenAPI document.
pub fn api() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(score))
        .routes(routes!(company))
        .routes(routes!(follow_up))
        .routes(routes!(feedback))
        .routes(routes!(alerts))
        .routes(routes!(export))
        .routes(routes!(runs))
        .routes(routes!(run))
        .routes(routes!(crate::monitoring::monitoring))
        .routes(routes!(models))
        .routes(routes!(activate))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

// ---------------------------------------------------------------------------------------
// Shared shapes.

/// Calibrated failure probabilities by horizon (never decreasing with the horizon).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Probabilities {
    /// Within 6 months.
    #[serde(rename = "6m")]
    pub m6: f64,
    /// Within 12 months.
    #[serde(rename = "12m")]
    pub m12: f64,
    /// Within 18 months (the horizon of the alert levels).
    #[serde(rename = "18m")]
    pub m18: f64,
    /// Within 24 months.
    #[serde(rename = "24m")]
    pub m24: f64,
}

impl From<[f64; 4]> for Probabilities {
    fn from(p: [f64; 4]) -> Self {
        Self { m6: p[0], m12: p[1], m18: p[2], m24: p[3] }
    }
}

/// One feature's contribution to the margin (log-odds).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Factor {
    /// Feature name (see docs/features.md).
    #[schema(value_type = String)]
    pub feature: Cow<'static, str>,
    /// French label.
    #[schema(value_type = String)]
    pub label: Cow<'static, str>,
    /// Topic group.
    pub group: &'static str,
    /// The company's value (`null`: missing).
    pub value: Option<f64>,
    /// Contribution to the margin, in log-odds (positive: riskier).
    pub contribution: f64,
}

// ---------------------------------------------------------------------------------------
// POST /v1/score

/// Features of one company: catalogue name → value (`null` or absent: missing).
pub type Features = BTreeMap<String, Option<f64>>;

/// A feature map read with a key given twice refused: JSON parsers let the last value win,
/// which would score a vector the caller did not mean.
struct UniqueFeatures(Features);

impl<'de> Deserialize<'de> for UniqueFeatures {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueFeatures;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of feature values")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<UniqueFeatures, A::Error> {
                let mut out = Features::new();
                while let Some((name, value)) = map.next_entry::<String, Option<f64>>()? {
                    match out.entry(name) {
                        std::collections::btree_map::Entry::Occupied(e) => {
                            return Err(serde::de::Error::custom(format!(
                                "feature `{}` is given twice",
                                e.key()
                            )));
                        }
                        std::collections::btree_map::Entry::Vacant(e) => {
                            e.insert(value);
                        }
                    }
                }
                Ok(UniqueFeatures(out))
            }
        }
        d.deserialize_map(Visitor)
    }
}

fn unique_features<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Features, D::Error> {
    UniqueFeatures::deserialize(d).map(|u| u.0)
}

fn unique_features_opt<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Features>, D::Error> {
    Option::<UniqueFeatures>::deserialize(d).map(|o| o.map(|u| u.0))
}

/// One item to score.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreItem {
    /// The caller's reference, echoed back.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// The features.
    #[schema(value_type = BTreeMap<String, Option<f64>>)]
    #[serde(deserialize_with = "unique_features")]
    pub features: Features,
}

/// One feature vector (`features`) or a batch (`items`), not both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// A single feature vector.
    #[schema(value_type = Option<BTreeMap<String, Option<f64>>>)]
    #[serde(default, deserialize_with = "unique_features_opt")]
    pub features: Option<Features>,
    /// A batch (at most the configured `batch_limit`, 1,000 by default).
    pub items: Option<Vec<ScoreItem>>,
    /// Compute the explanations (default `true`). Exact explanations cost about 300 times
    /// the score itself; `false` answers probabilities and levels only.
    pub explain: Option<bool>,
}

/// The score of one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreOut {
    /// The caller's reference.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Probabilities by horizon.
    pub p: Probabilities,
    /// `red`, `orange` or `green`.
    pub level: String,
    /// Margin (log-odds before calibration).
    pub margin: f64,
    /// Margin of the training-average company; `bias + Σ groups = margin` (absent with
    /// `"explain": false`, as are the three fields below).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bias: Option<f64>,
    /// Contributions by topic group (log-odds).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = BTreeMap<String, f64>)]
    pub groups: BTreeMap<&'static str, f64>,
    /// The five features raising the risk most.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub concerning: Vec<Factor>,
    /// The five features lowering it most.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reassuring: Vec<Factor>,
}

/// Scores, in the order of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreResponse {
    /// The model that scored.
    pub model_version: String,
    /// One score per item.
    pub items: Vec<ScoreOut>,
}

fn group_name(g: Option<FeatureGroup>) -> &'static str {
    g.map_or("other", FeatureGroup::as_str)
}

/// The catalogue's entry of a feature name.
fn catalogue(name: &str) -> Option<&'static vigie_core::features::FeatureSpec> {
    static BY_NAME: std::sync::OnceLock<
        std::collections::HashMap<&'static str, &'static vigie_core::features::FeatureSpec>,
    > = std::sync::OnceLock::new();
    BY_NAME.get_or_init(|| CATALOGUE.iter().map(|f| (f.name, f)).collect()).get(name).copied()
}

/// A factor of an explanation: names from the catalogue are not copied.
fn factor(feature: &str, value: Option<f64>, contribution: f64) -> Factor {
    let spec = catalogue(feature);
    Factor {
        feature: spec.map_or_else(|| Cow::Owned(feature.to_owned()), |s| Cow::Borrowed(s.name)),
        label: spec.map_or_else(|| Cow::Owned(feature.to_owned()), |s| Cow::Borrowed(s.label_fr)),
        group: spec.map_or("other", |s| s.group.as_str()),
        value,
        contribution,
    }
}

/// Runs CPU-bound work (scoring, explanations) on the compute threads (rayon's pool, one
/// per core), off the async runtime, and awaits its result. Measured against
/// `tokio::task::spawn_blocking`: its pool parks and wakes a thread per request, and the
/// context switches cost about a fifth of the server's time under load.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await.map_err(|e| ApiError::internal(&format!("scoring task lost: {e}")))?
}

/// Score feature vectors with the active model.
#[utoipa::path(
    post, path = "/v1/score", tag = "scores",
    request_body = ScoreRequest,
    responses(
        (status = 200, body = ScoreResponse),
        (status = 400, body = ErrorBody, description = "invalid_json"),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "validation_failed, batch_too_large"),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody, description = "no_active_model"),
    )
)]
async fn score(
    State(state): St,
    _caller: Caller,
    ApiJson(req): ApiJson<ScoreRequest>,
) -> ApiResult<Json<ScoreResponse>> {
    let explain = req.explain.unwrap_or(true);
    let items: Vec<ScoreItem> = match (req.features, req.items) {
        (Some(features), None) => vec![ScoreItem { reference: None, features }],
        (None, Some(items)) => items,
        _ => {
            return Err(ApiError::field(
                "features",
                "give either `features` or `items`, not both or neither",
            ));
        }
    };
    if items.is_empty() {
        return Err(ApiError::field("items", "empty batch"));
    }
    if items.len() > state.config.batch_limit {
        return Err(ApiError::new(
            "batch_too_large",
            format!("{} items; at most {} per request", items.len(), state.config.batch_limit),
        ));
    }
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(items.len() * CATALOGUE.len());
    for (i, item) in items.iter().enumerate() {
        for (name, value) in &item.features {
            if !CATALOGUE.iter().any(|f| f.name == name.as_str()) {
                errors.push(FieldError {
                    field: format!("items[{i}].features.{name}"),
                    problem: "unknown feature (see docs/features.md)".into(),
                });
            } else if value.is_some_and(|v| !v.is_finite()) {
                errors.push(FieldError {
                    field: format!("items[{i}].features.{name}"),
                    problem: "not a finite number".into(),
                });
            }
        }
        if errors.len() >= 100 {
            break;
        }
        rows.extend(
            CATALOGUE
                .iter()
                .map(|f| item.features.get(f.name).copied().flatten().unwrap_or(f64::NAN)),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let model = state
        .model()
        .ok_or_else(|| ApiError::new("no_active_model", "no model is active in the registry"))?;
    let n = items.len();
    let out = off_runtime(move || {
        let k = CATALOGUE.len();
        let (mut x, mut phi) = (Vec::new(), Vec::new());
        rows.chunks(k)
            .zip(items)
            .map(|(row, item)| {
                if !explain {
                    let s = model.scorer.score(row).map_err(|e| ApiError::internal(&e))?;
                    return Ok(ScoreOut {
                        reference: item.reference,
                        p: s.p.into(),
                        level: s.level.as_str().to_owned(),
                        margin: s.margin,
                        bias: None,
                        groups: BTreeMap::new(),
                        concerning: Vec::new(),
                        reassuring: Vec::new(),
                    });
                }
                // The batch path: contributions without allocating a name per feature.
                let margin = model
                    .scorer
                    .contributions(row, &mut x, &mut phi)
                    .map_err(|e| ApiError::internal(&e))?;
                let s = model.scorer.calibrate(margin);
                let specs = &model.scorer.model().features;
                let mut groups: BTreeMap<&'static str, f64> = BTreeMap::new();
                for (spec, c) in specs.iter().zip(&phi) {
                    *groups.entry(group_name(spec.group)).or_default() += c;
                }
                let mut order: Vec<usize> = (0..phi.len()).collect();
                order.sort_by(|&a, &b| {
                    phi[b].total_cmp(&phi[a]).then_with(|| specs[a].name.cmp(&specs[b].name))
                });
                let factor_of = |i: usize| {
                    factor(&specs[i].name, if x[i].is_nan() { None } else { Some(x[i]) }, phi[i])
                };
                let concerning: Vec<Factor> = order
                    .iter()
                    .copied()
                    .filter(|&i| phi[i] > 0.0)
                    .take(5)
                    .map(factor_of)
                    .collect();
                // Strongest first, ties by name, as `Explanation::top_reassuring`.
                order.sort_by(|&a, &b| {
                    phi[a].total_cmp(&phi[b]).then_with(|| specs[a].name.cmp(&specs[b].name))
                });
                let reassuring: Vec<Factor> = order
                    .iter()
                    .copied()
                    .filter(|&i| phi[i] < 0.0)
                    .take(5)
                    .map(factor_of)
                    .collect();
                Ok(ScoreOut {
                    reference: item.reference,
                    p: s.p.into(),
                    level: s.level.as_str().to_owned(),
                    margin,
                    bias: Some(model.scorer.bias()),
                    groups,
                    concerning,
                    reassuring,
                })
            })
            .collect::<ApiResult<Vec<_>>>()
            .map(|items| ScoreResponse { model_version: model.version.clone(), items })
    })
    .await?;
    state.metrics.scored(n as u64);
    Ok(Json(out))
}

// ---------------------------------------------------------------------------------------
// Companies.

/// Out-of-zone access: a reason makes it allowed, and audited as such.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Access {
    /// Why an agent consults a company outside its territory (required for that; logged).
    pub reason: Option<String>,
}

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
    /// Explanation (bias, margin, groups, concerning, reassuring), kept for every alert.
    #[schema(value_type = Option<Object>)]
    pub explanation: Option<serde_json::Value>,
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
}

/// A resolved company, in the caller's reach.
struct Reached {
    id: String,
    /// Its most recent score.
    latest: StoredScore,
    /// Its history, oldest first.
    points: Vec<HistoryPoint>,
    /// Whether `latest` comes from the latest run.
    current: bool,
    access: &'static str,
    territory: String,
}

/// A company's most recent score and history: from the in-memory index when it holds the
/// company, else from the store.
async fn scores_of(
    state: &AppState,
    id: &str,
) -> ApiResult<Option<(StoredScore, Vec<HistoryPoint>, bool)>> {
    if let Some(snap) = state.snapshot()
        && let Some(e) = snap.companies.get(id)
        && let Some(latest) = &e.latest
    {
        let (run_id, month) = snap.runs.last().expect("a snapshot has runs").clone();
        let points = e
            .points
            .iter()
            .map(|&(i, p_18m, level)| {
                let (run_id, month) = &snap.runs[usize::from(i)];
                HistoryPoint {
                    run_id: run_id.clone(),
                    month: month.clone(),
                    p_18m,
                    level: level.to_owned(),
                }
            })
            .collect();
        // The index holds `latest` for the companies of the latest run only.
        return Ok(Some((StoredScore { run_id, month, score: latest.row(id) }, points, true)));
    }
    let mut history = state.store.company_history(id).await?;
    let newest = state.store.latest_run_summary().await?.map(|r| r.run_id);
    let points = history
        .iter()
        .map(|h| HistoryPoint {
            run_id: h.run_id.clone(),
            month: h.month.clone(),
            p_18m: h.score.p[2],
            level: h.score.level.clone(),
        })
        .collect();
    Ok(history.pop().map(|latest| {
        let current = newest.as_deref() == Some(latest.run_id.as_str());
        (latest, points, current)
    }))
}

pub(crate) async fn audit(
    state: &AppState,
    caller: &Caller,
    route: &str,
    company: Option<&str>,
    territory: Option<&str>,
    outcome: &str,
    reason: Option<&str>,
) -> ApiResult<()> {
    let entry = AuditEntry {
        at: String::new(),
        token_name: caller.name.clone(),
        route: route.to_owned(),
        company_id: company.map(str::to_owned),
        territory: territory.map(str::to_owned),
        outcome: outcome.to_owned(),
        reason: reason.map(str::to_owned),
    };
    state
        .audit
        .append(&state.store, entry)
        .await
        .map_err(|e| ApiError::internal(&format!("audit log: {e}")))?;
    Ok(())
}

/// The pseudonymous id of `raw`: a SIREN (validated, then pseudonymised with the server's
/// key) or a pseudonymous id.
pub(crate) fn company_id(state: &AppState, raw: &str) -> ApiResult<String> {
    if raw.len() == 9 && raw.bytes().all(|b| b.is_ascii_digit()) {
        let siren = Siren::parse(raw)
            .map_err(|_| ApiError::new("invalid_siren", "the SIREN's check digit is wrong"))?;
        let pseudo = state.pseudo.as_ref().ok_or_else(|| {
            ApiError::field(
                "id",
                "this server has no pseudonymisation key: use the pseudonymous id",
            )
        })?;
        Ok(pseudo.company_id(siren).as_str().to_owned())
    } else {
        Ok(CompanyId::parse(raw)
            .map_err(|_| {
                ApiError::new("invalid_company_id", "expected a 9-digit SIREN or a 16-hex-digit id")
            })?
            .as_str()
            .to_owned())
    }
}

/// Resolves `raw` (a SIREN or a pseudonymous id) to a company the caller may reach,
/// auditing refusals. 404 for unknown companies and, without a reason, for companies
/// outside an agent's territory.
async fn reach(
    state: &AppState,
    caller: &Caller,
    route: &str,
    raw: &str,
    reason: Option<&str>,
) -> ApiResult<Reached> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::field("reason", "at most 500 characters"));
    }
    let id = company_id(state, raw)?;
    let Some((latest, points, current)) = scores_of(state, &id).await? else {
        audit(state, caller, route, Some(&id), None, "not_found", reason).await?;
        return Err(ApiError::not_found("no such company"));
    };
    let territory = latest.score.departement.clone();
    let access = if caller.covers(&territory) {
        "in_zone"
    } else if reason.is_some() {
        "out_of_zone"
    } else {
        audit(state, caller, route, Some(&id), Some(&territory), "denied_out_of_zone", None)
            .await?;
        return Err(ApiError::not_found("no such company"));
    };
    Ok(Reached { id, latest, points, current, access, territory })
}

async fn follow_up_view(state: &AppState, id: &str) -> ApiResult<FollowUpView> {
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
        (status = 404, body = ErrorBody, description = "unknown, or outside the agent's territory"),
        (status = 422, body = ErrorBody, description = "invalid_siren, invalid_company_id"),
    )
)]
async fn company(
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
            p: s.p.into(),
            level: s.level.clone(),
            margin: s.margin,
            explanation: s.explanation.as_deref().and_then(|e| serde_json::from_str(e).ok()),
            in_latest_run: r.current,
        },
        history: r.points,
        changes: Changes {
            previous_level: s.previous_level.clone(),
            previous_p_18m: s.previous_p_18m,
            delta_p_18m: s.previous_p_18m.map(|p| s.p[2] - p),
            first_alert: level != AlertLevel::Green
                && before.is_none_or(|b| b == AlertLevel::Green),
            escalated: before == Some(AlertLevel::Orange) && level == AlertLevel::Red,
            de_escalated: before.is_some_and(|b| level < b),
        },
        follow_up: follow_up_view(state, &r.id).await?,
    };
    audit(state, caller, route, Some(&r.id), Some(&r.territory), r.access, reason).await?;
    Ok(response)
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
async fn follow_up(
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
async fn feedback(
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

// ---------------------------------------------------------------------------------------
// GET /v1/alerts

/// Filters, sort and page of an alert list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Only this département (an agent: one of its own).
    pub departement: Option<String>,
    /// Only this region (INSEE code, e.g. 27).
    pub region: Option<String>,
    /// Only this NAF section (A–U).
    pub naf_section: Option<String>,
    /// Only `red` or only `orange`.
    pub level: Option<String>,
    /// Only first alerts (green or not scored in the previous run).
    pub first_only: Option<bool>,
    /// Only this size band (micro, small, medium, large, unknown).
    pub size_band: Option<String>,
    /// Only this follow-up status.
    pub follow_up: Option<String>,
    /// `risk_desc` (default), `risk_asc` or `departement`.
    pub sort: Option<String>,
    /// Page size, 1–1000 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// A run (default: the latest).
    pub run_id: Option<String>,
}

/// One alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertOut {
    /// Pseudonymous id.
    pub company_id: String,
    /// Département.
    pub departement: String,
    /// Region.
    pub region: String,
    /// NAF code.
    pub naf: String,
    /// NAF section.
    pub naf_section: String,
    /// Size band.
    pub size_band: String,
    /// `red` or `orange`.
    pub level: String,
    /// 18-month probability.
    pub p_18m: f64,
    /// Probabilities by horizon.
    pub p: Probabilities,
    /// A first alert.
    pub first_alert: bool,
    /// Level in the previous run.
    pub previous_level: Option<String>,
    /// Follow-up status.
    pub follow_up: String,
}

/// A page of alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertsResponse {
    /// The run listed.
    pub run_id: String,
    /// The alerts.
    pub items: Vec<AlertOut>,
    /// Cursor of the next page (`null` on the last one).
    pub next_cursor: Option<String>,
    /// Alerts matching the filters (any level, all pages): `red`, `orange`.
    pub counts: BTreeMap<String, i64>,
}

/// Checks an alert query and scopes it to the caller. `Err(not_found)` when a territory
/// filter is outside an agent's départements.
pub fn alert_filter(
    q: &AlertsQuery,
    caller: &Caller,
    run_id: String,
    cursor: ApiResult<Option<AlertCursor>>,
) -> ApiResult<(AlertFilter, AlertSort, Option<AlertCursor>, usize)> {
    let mut errors = Vec::new();
    let mut bad =
        |field: &str, problem: String| errors.push(FieldError { field: field.into(), problem });
    let dep = q.departement.as_deref().map(|d| departement("departement", d)).transpose()?;
    let region = match q.region.as_deref().map(Region::parse).transpose() {
        Ok(r) => r,
        Err(e) => {
            bad("region", e.to_string());
            None
        }
    };
    if let Some(s) = &q.naf_section
        && !(s.len() == 1 && Naf::sections().contains(&s.chars().next().unwrap_or(' ')))
    {
        bad("naf_section", format!("{s:?} is not a NAF section (A–U)"));
    }
    if let Some(l) = &q.level
        && !matches!(l.as_str(), "red" | "orange")
    {
        bad("level", format!("{l:?}: alerts are red or orange"));
    }
    if let Some(b) = &q.size_band
        && !matches!(b.as_str(), "micro" | "small" | "medium" | "large" | "unknown")
    {
        bad("size_band", format!("{b:?}: micro, small, medium, large or unknown"));
    }
    if let Some(f) = &q.follow_up
        && let Err(e) = FollowUpStatus::parse(f)
    {
        bad("follow_up", e.to_string());
    }
    let sort = match q.sort.as_deref().map(AlertSort::parse).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => {
            bad("sort", e.to_string());
            AlertSort::default()
        }
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=vigie_store::MAX_PAGE).contains(&limit) {
        bad("limit", format!("{limit}: between 1 and {}", vigie_store::MAX_PAGE));
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let cursor = cursor?;
    if cursor.as_ref().is_some_and(|c| c.sort != sort) {
        return Err(ApiError::new("invalid_cursor", "the cursor belongs to another sort order"));
    }
    if cursor.as_ref().is_some_and(|c| c.run_id != run_id) {
        return Err(ApiError::new("invalid_cursor", "the cursor belongs to another run"));
    }
    // Territory: the intersection of the caller's scope and the filters.
    let mut deps: Option<Vec<String>> = (!caller.national()).then(|| caller.territories.clone());
    if let Some(d) = dep {
        if !caller.covers(d.as_str()) {
            return Err(ApiError::not_found("no such territory in your scope"));
        }
        deps = Some(vec![d.as_str().to_owned()]);
    }
    if let Some(r) = region {
        let in_region: Vec<String> =
            r.departements().iter().map(|d| d.as_str().to_owned()).collect();
        // Two filters that contradict each other are the caller's mistake, not a territory
        // refused: no `denied_out_of_zone` audit row for it.
        if let Some(d) = dep
            && !in_region.iter().any(|x| x == d.as_str())
        {
            return Err(ApiError::field(
                "region",
                format!("département {} is not in region {}", d.as_str(), r.code),
            ));
        }
        let scoped: Vec<String> = match deps {
            Some(d) => d.into_iter().filter(|x| in_region.contains(x)).collect(),
            None => in_region,
        };
        if scoped.is_empty() {
            return Err(ApiError::not_found("no such territory in your scope"));
        }
        deps = Some(scoped);
    }
    let filter = AlertFilter {
        run_id,
        departements: deps,
        region: None,
        naf_section: q.naf_section.clone(),
        level: q.level.clone(),
        first_only: q.first_only.unwrap_or(false),
        size_band: q.size_band.clone(),
        follow_up: q.follow_up.clone(),
    };
    Ok((filter, sort, cursor, limit))
}

/// The alerts of the caller's territory, filtered, sorted, paginated, with counts.
#[utoipa::path(
    get, path = "/v1/alerts", tag = "alerts",
    params(AlertsQuery),
    responses(
        (status = 200, body = AlertsResponse),
        (status = 400, body = ErrorBody, description = "invalid_query, invalid_cursor"),
        (status = 404, body = ErrorBody, description = "a territory outside the agent's, or no such run"),
        (status = 422, body = ErrorBody),
    )
)]
async fn alerts(
    State(state): St,
    caller: Caller,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> ApiResult<Json<AlertsResponse>> {
    Ok(Json(alerts_page(&state, &caller, &q, "GET /v1/alerts").await?))
}

/// A page of the caller's alerts; audited under `route`.
pub(crate) async fn alerts_page(
    state: &AppState,
    caller: &Caller,
    q: &AlertsQuery,
    route: &str,
) -> ApiResult<AlertsResponse> {
    let (run_id, filter, sort, cursor, limit) = scoped_query(state, caller, q, route).await?;
    let page = state.store.alerts(&filter, sort, cursor.as_ref(), limit).await?;
    let scope = filter.departements.as_ref().map_or_else(|| "national".to_owned(), |d| d.join(","));
    audit(state, caller, route, None, Some(&scope), "ok", None).await?;
    Ok(AlertsResponse {
        run_id,
        next_cursor: page.next.map(|c| c.encode()),
        counts: page.counts,
        items: page
            .items
            .into_iter()
            .map(|a| AlertOut {
                first_alert: a.first_alert(),
                company_id: a.company_id,
                departement: a.departement,
                region: a.region,
                naf: a.naf,
                naf_section: a.naf_section,
                size_band: a.size_band,
                level: a.level,
                p_18m: a.p[2],
                p: a.p.into(),
                previous_level: a.previous_level,
                follow_up: a.follow_up,
            })
            .collect(),
    })
}

/// The run, scoped filter, sort, cursor and page size of an alert query; audits a refusal
/// (a territory outside an agent's).
async fn scoped_query(
    state: &AppState,
    caller: &Caller,
    q: &AlertsQuery,
    route: &str,
) -> ApiResult<(String, AlertFilter, AlertSort, Option<AlertCursor>, usize)> {
    // A cursor names its run: the next pages of a list stay in the run of its first page
    // even after a newer run is committed.
    let cursor = q
        .cursor
        .as_deref()
        .map(AlertCursor::decode)
        .transpose()
        .map_err(|e| ApiError::new("invalid_cursor", e.to_string()));
    let from_cursor = match (&q.run_id, &cursor) {
        (None, Ok(Some(c))) => Some(c.run_id.clone()),
        (None, Err(e)) => return Err(e.clone()),
        _ => None,
    };
    let run_id = match q.run_id.as_ref().or(from_cursor.as_ref()) {
        Some(id) => {
            if state.store.run_summary(id).await?.is_none() {
                return Err(ApiError::not_found("no such run"));
            }
            id.clone()
        }
        None => {
            state
                .store
                .latest_run_summary()
                .await?
                .ok_or_else(|| ApiError::not_found("no run yet: run `vigie rescore` first"))?
                .run_id
        }
    };
    match alert_filter(q, caller, run_id.clone(), cursor) {
        Ok((filter, sort, cursor, limit)) => Ok((run_id, filter, sort, cursor, limit)),
        Err(e) => {
            if e.body.code == "not_found" {
                // The territory column holds département codes: a region is marked as such.
                let asked = q
                    .departement
                    .clone()
                    .or_else(|| q.region.as_ref().map(|r| format!("region {r}")));
                audit(state, caller, route, None, asked.as_deref(), "denied_out_of_zone", None)
                    .await?;
            }
            Err(e)
        }
    }
}

/// Most rows of one CSV export.
pub const EXPORT_LIMIT: usize = 200_000;

/// The caller's alerts as CSV (same filters and sort as `GET /v1/alerts`, every page, at
/// most 200,000 rows); audited.
#[utoipa::path(
    get, path = "/v1/alerts/export", tag = "alerts",
    params(AlertsQuery),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = "company_id, departement, region, naf, naf_section, size_band, level, p_6m, p_12m, p_18m, p_24m, first_alert, previous_level, follow_up"),
        (status = 404, body = ErrorBody, description = "a territory outside the agent's"),
        (status = 422, body = ErrorBody),
    )
)]
async fn export(
    State(state): St,
    caller: Caller,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> ApiResult<Response> {
    let csv = export_csv(&state, &caller, &q, "GET /v1/alerts/export").await?;
    Ok(csv_response(csv))
}

/// A CSV download named `alertes.csv`.
/// A truncated export says so in a `Vigie-Export-Truncated` header (the number of rows
/// written): CSV has no place for a note.
pub(crate) fn csv_response(export: CsvExport) -> Response {
    let mut r = (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"alertes.csv\""),
        ],
        export.csv,
    )
        .into_response();
    if export.truncated {
        r.headers_mut()
            .insert("vigie-export-truncated", axum::http::HeaderValue::from(EXPORT_LIMIT));
    }
    r
}

/// Every alert of the caller's query as CSV; audited under `route` with the row count.
pub(crate) async fn export_csv(
    state: &AppState,
    caller: &Caller,
    q: &AlertsQuery,
    route: &str,
) -> ApiResult<CsvExport> {
    if q.cursor.is_some() || q.limit.is_some() {
        return Err(ApiError::field("cursor", "an export has every page: no cursor or limit"));
    }
    let (run_id, filter, sort, _, _) = scoped_query(state, caller, q, route).await?;
    let mut csv = String::from(
        "company_id,departement,region,naf,naf_section,size_band,level,p_6m,p_12m,p_18m,p_24m,\
         first_alert,previous_level,follow_up\n",
    );
    let mut cursor = None;
    let mut rows = 0;
    loop {
        let page =
            state.store.alerts(&filter, sort, cursor.as_ref(), vigie_store::MAX_PAGE).await?;
        for a in &page.items {
            use std::fmt::Write as _;
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                a.company_id,
                a.departement,
                a.region,
                a.naf,
                a.naf_section,
                a.size_band,
                a.level,
                a.p[0],
                a.p[1],
                a.p[2],
                a.p[3],
                a.first_alert(),
                a.previous_level.as_deref().unwrap_or(""),
                a.follow_up
            );
        }
        rows += page.items.len();
        cursor = page.next;
        if cursor.is_none() || rows >= EXPORT_LIMIT {
            break;
        }
    }
    let scope = filter.departements.as_ref().map_or_else(|| "national".to_owned(), |d| d.join(","));
    let truncated = cursor.is_some();
    let note =
        format!("{rows} rows of run {run_id}{}", if truncated { " (truncated)" } else { "" });
    audit(state, caller, route, None, Some(&scope), "ok", Some(&note)).await?;
    Ok(CsvExport { csv, truncated })
}

/// An export: the CSV text, and whether it stopped at [`EXPORT_LIMIT`] rows with more
/// alerts left.
pub(crate) struct CsvExport {
    pub(crate) csv: String,
    pub(crate) truncated: bool,
}

// ---------------------------------------------------------------------------------------
// Runs and models.

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
async fn runs(State(state): St, _caller: Caller) -> ApiResult<Json<RunsResponse>> {
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
async fn run(
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

/// A registered model.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelOut {
    /// Version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Family.
    pub family: String,
    /// Registration time.
    pub registered_at: String,
    /// Active.
    pub active: bool,
    /// Its last comparison with the model active then (`vigie models compare`), shown
    /// before activation; null when never compared.
    pub comparison: Option<crate::monitoring::ComparisonOut>,
}

/// The registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelsResponse {
    /// Models, newest first.
    pub items: Vec<ModelOut>,
    /// Version loaded by this instance.
    pub loaded: Option<String>,
}

/// The model registry.
#[utoipa::path(get, path = "/v1/models", tag = "models", responses((status = 200, body = ModelsResponse)))]
async fn models(State(state): St, _caller: Caller) -> ApiResult<Json<ModelsResponse>> {
    let mut items = Vec::new();
    for m in state.store.models().await? {
        let comparison = state.store.comparison(&m.version).await?.map(Into::into);
        items.push(ModelOut {
            version: m.version,
            name: m.name,
            family: m.family,
            registered_at: m.registered_at,
            active: m.active,
            comparison,
        });
    }
    Ok(Json(ModelsResponse { items, loaded: state.model().map(|m| m.version.clone()) }))
}

/// Activate a registered model (admins), swapped in without dropping requests.
#[utoipa::path(
    post, path = "/v1/models/{version}/activate", tag = "models",
    params(("version" = String, Path, description = "Model version")),
    responses((status = 200, body = ModelsResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn activate(
    State(state): St,
    caller: Caller,
    ApiPath(version): ApiPath<String>,
) -> ApiResult<Json<ModelsResponse>> {
    caller.require_admin()?;
    state.store.activate_model(&version).await?;
    state.refresh_model().await?;
    audit(&state, &caller, "POST /v1/models/{version}/activate", None, None, "ok", Some(&version))
        .await?;
    models(State(state), caller).await
}

// ---------------------------------------------------------------------------------------
// Operations.

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
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into(), model: None })
}

/// Readiness: the store answers and a model is loaded.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()), responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
async fn readyz(State(state): St) -> ApiResult<Json<Health>> {
    state
        .store
        .ping()
        .await
        .map_err(|_| ApiError::new("not_ready", "the store does not answer"))?;
    let model = state
        .model()
        .ok_or_else(|| ApiError::new("no_active_model", "no model is active in the registry"))?;
    Ok(Json(Health { status: "ready".into(), model: Some(model.version.clone()) }))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()), responses((status = 200, content_type = "text/plain", body = String)))]
async fn metrics(State(state): St) -> Response {
    let version = state.model().map(|m| m.version.clone());
    (
        [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(version.as_deref()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::{CsvExport, EXPORT_LIMIT, csv_response};

    #[test]
    fn a_truncated_export_says_so() {
        let full = csv_response(CsvExport { csv: "a\n".into(), truncated: false });
        assert!(full.headers().get("vigie-export-truncated").is_none());
        let cut = csv_response(CsvExport { csv: "a\n".into(), truncated: true });
        assert_eq!(cut.headers()["vigie-export-truncated"], EXPORT_LIMIT.to_string().as_str());
        assert_eq!(cut.headers()[axum::http::header::CONTENT_TYPE], "text/csv; charset=utf-8");
    }
}
