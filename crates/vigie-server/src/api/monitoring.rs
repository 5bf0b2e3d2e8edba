//! Monitoring of the model after deployment (`GET /v1/monitoring`, the page "Suivi du
//! modèle"): the backtests of past runs the batch computed once their horizons elapsed,
//! the agents' feedback on their alerts, and warnings when realised figures leave the
//! range the model's walk-forward validation announced; and the comparison of a candidate
//! model with the active one, which the registry and activation show.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Caller;

/// Realised figures of one alert level (or above).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelFigures {
    /// Companies flagged at this level (orange: orange or red).
    pub flagged: i64,
    /// Of which entered a collective procedure within the horizon.
    pub failed: i64,
    /// `failed / flagged`; null without a flagged company.
    pub precision: Option<f64>,
    /// Share of the failures that were flagged; null without a failure.
    pub recall: Option<f64>,
}

/// Feedback of agents on the run's alerts.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct FeedbackCounts {
    /// Marked useful.
    pub useful: i64,
    /// Marked not useful.
    pub not_useful: i64,
}

/// A realised figure outside the model's walk-forward range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonitoringWarning {
    /// `precision_outside_walk_forward` or `calibration_outside_walk_forward`.
    pub code: String,
    /// What was seen and what was expected, in English.
    pub message: String,
}

/// One past run at one elapsed horizon.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonitoringItem {
    /// The run.
    pub run_id: String,
    /// Its month.
    pub month: String,
    /// The model that scored it.
    pub model_version: String,
    /// The horizon: 6, 12, 18 or 24 months.
    pub horizon_months: i32,
    /// The month whose events were known when this was computed.
    pub as_of: String,
    /// Companies scored by the run.
    pub scored: i64,
    /// Of which entered a collective procedure within the horizon.
    pub failures: i64,
    /// ROC AUC of the run's probabilities at this horizon; null without both outcomes.
    pub roc_auc: Option<f64>,
    /// Red alerts.
    pub red: LevelFigures,
    /// Orange-or-red alerts.
    pub orange: LevelFigures,
    /// Mean predicted probability at this horizon.
    pub mean_predicted: f64,
    /// Observed failure rate within the horizon.
    pub observed_rate: f64,
    /// Agents' feedback on the run's alerts (all horizons of a run share it).
    pub feedback: FeedbackCounts,
    /// Realised figures outside the walk-forward range of the model's card (18 months,
    /// the horizon of the walk-forward series; models with two windows or more).
    pub warnings: Vec<MonitoringWarning>,
}

/// The backtests, newest run first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonitoringResponse {
    /// Runs and horizons, newest run first, then by horizon.
    pub items: Vec<MonitoringItem>,
}

/// Sizes of a list under the active and the candidate model, and of their intersection.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverlapOut {
    /// In the active model's list.
    pub active: i64,
    /// In the candidate's list.
    pub candidate: i64,
    /// In both.
    pub both: i64,
    /// `both / union`; null when both lists are empty.
    pub jaccard: Option<f64>,
}

impl From<vigie_store::ListOverlap> for OverlapOut {
    fn from(l: vigie_store::ListOverlap) -> Self {
        Self { jaccard: l.jaccard(), active: l.active, candidate: l.candidate, both: l.both }
    }
}

/// A candidate model scored beside the active one on the companies of a run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComparisonOut {
    /// The run whose companies were scored.
    pub run_id: String,
    /// Its month.
    pub month: String,
    /// The model active at the comparison.
    pub active_version: String,
    /// The candidate.
    pub candidate_version: String,
    /// When (UTC).
    pub compared_at: String,
    /// Companies scored.
    pub scored: i64,
    /// Companies whose level would change.
    pub changed: i64,
    /// Green now, orange or red with the candidate.
    pub new_alerts: i64,
    /// In alert now, green with the candidate.
    pub removed_alerts: i64,
    /// Orange now, red with the candidate.
    pub escalated: i64,
    /// Red now, orange with the candidate.
    pub de_escalated: i64,
    /// The red lists.
    pub red: OverlapOut,
    /// The alert lists (orange or red).
    pub alerts: OverlapOut,
    /// The active model's walk-forward summary (its `metrics.json`), when known.
    #[schema(value_type = Option<Object>)]
    pub active_walk_forward: Option<serde_json::Value>,
    /// The candidate's.
    #[schema(value_type = Option<Object>)]
    pub candidate_walk_forward: Option<serde_json::Value>,
}

impl From<vigie_store::Comparison> for ComparisonOut {
    fn from(c: vigie_store::Comparison) -> Self {
        Self {
            run_id: c.run_id,
            month: c.month,
            active_version: c.active_version,
            candidate_version: c.candidate_version,
            compared_at: c.compared_at,
            scored: c.scored,
            changed: c.changed,
            new_alerts: c.new_alerts,
            removed_alerts: c.removed_alerts,
            escalated: c.escalated,
            de_escalated: c.de_escalated,
            red: c.red.into(),
            alerts: c.alerts.into(),
            active_walk_forward: c.active_walk_forward,
            candidate_walk_forward: c.candidate_walk_forward,
        }
    }
}

/// The part of a model's `metrics.json` the warnings need.
#[derive(Debug, Default, Deserialize)]
struct WalkForward {
    walk_forward_summary: Option<WalkSummary>,
}

#[derive(Debug, Default, Deserialize)]
struct WalkSummary {
    /// Walk-forward windows: a range needs two at least.
    #[serde(default)]
    windows: usize,
    ratio: Option<Range>,
    red_precision: Option<Range>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
struct Range {
    min: f64,
    max: f64,
}

fn warnings(item: &MonitoringItem, expected: Option<&WalkSummary>) -> Vec<MonitoringWarning> {
    let mut out = Vec::new();
    let Some(expected) = expected else { return out };
    if item.horizon_months != 18 || expected.windows < 2 {
        return out;
    }
    if let (Some(r), Some(p)) = (expected.red_precision, item.red.precision)
        && !(r.min..=r.max).contains(&p)
    {
        out.push(MonitoringWarning {
            code: "precision_outside_walk_forward".into(),
            message: format!(
                "red precision {:.1} % is outside the walk-forward range {:.1} %–{:.1} %",
                100.0 * p,
                100.0 * r.min,
                100.0 * r.max
            ),
        });
    }
    if let Some(r) = expected.ratio
        && item.observed_rate > 0.0
    {
        let ratio = item.mean_predicted / item.observed_rate;
        if !(r.min..=r.max).contains(&ratio) {
            out.push(MonitoringWarning {
                code: "calibration_outside_walk_forward".into(),
                message: format!(
                    "mean predicted / observed {ratio:.2} is outside the walk-forward range {:.2}–{:.2}",
                    r.min, r.max
                ),
            });
        }
    }
    out
}

/// The monitoring items from the store (the API and the page both call it).
pub async fn items(state: &AppState) -> Result<Vec<MonitoringItem>, vigie_store::Error> {
    let store = &state.store;
    let versions: HashMap<String, String> =
        store.runs().await?.into_iter().map(|r| (r.run_id, r.model_version)).collect();
    let feedback: HashMap<String, FeedbackCounts> = store
        .feedback_by_run()
        .await?
        .into_iter()
        .map(|(run, useful, not_useful)| (run, FeedbackCounts { useful, not_useful }))
        .collect();
    let mut expected: HashMap<String, Option<WalkSummary>> = HashMap::new();
    let mut out = Vec::new();
    for b in store.backtests().await? {
        let model_version = versions.get(&b.run_id).cloned().unwrap_or_default();
        if !expected.contains_key(&model_version) {
            let summary = store
                .model_metrics(&model_version)
                .await?
                .and_then(|text| serde_json::from_str::<WalkForward>(&text).ok())
                .and_then(|w| w.walk_forward_summary);
            expected.insert(model_version.clone(), summary);
        }
        let level = |l: vigie_store::LevelOutcome| LevelFigures {
            flagged: l.flagged,
            failed: l.failed,
            precision: l.precision,
            recall: l.recall,
        };
        let mut item = MonitoringItem {
            feedback: feedback.get(&b.run_id).cloned().unwrap_or_default(),
            run_id: b.run_id,
            month: b.month,
            model_version: model_version.clone(),
            horizon_months: b.horizon_months,
            as_of: b.as_of,
            scored: b.scored,
            failures: b.failures,
            roc_auc: b.roc_auc,
            red: level(b.red),
            orange: level(b.orange),
            mean_predicted: b.mean_predicted,
            observed_rate: b.observed_rate,
            warnings: Vec::new(),
        };
        item.warnings = warnings(&item, expected[&model_version].as_ref());
        out.push(item);
    }
    Ok(out)
}

/// Backtests of past runs (national: analysts and admins).
#[utoipa::path(
    get, path = "/v1/monitoring", tag = "runs",
    responses(
        (status = 200, description = "Realised outcomes of past runs whose horizon has elapsed", body = MonitoringResponse),
        (status = 401, description = "Missing or unknown token", body = ErrorBody),
        (status = 403, description = "Agents see their territory only", body = ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = ErrorBody)
    )
)]
pub(crate) async fn monitoring(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<MonitoringResponse>> {
    caller.require_national()?;
    Ok(Json(MonitoringResponse { items: items(&state).await? }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(precision: Option<f64>, predicted: f64, observed: f64) -> MonitoringItem {
        MonitoringItem {
            run_id: "2024-01".into(),
            month: "2024-01".into(),
            model_version: "v".into(),
            horizon_months: 18,
            as_of: "2025-07".into(),
            scored: 100,
            failures: 2,
            roc_auc: None,
            red: LevelFigures { flagged: 4, failed: 2, precision, recall: None },
            orange: LevelFigures { flagged: 4, failed: 2, precision, recall: None },
            mean_predicted: predicted,
            observed_rate: observed,
            feedback: FeedbackCounts::default(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn warnings_name_what_left_the_walk_forward_range() {
        let expected = WalkSummary {
            windows: 3,
            ratio: Some(Range { min: 0.9, max: 1.1 }),
            red_precision: Some(Range { min: 0.4, max: 0.6 }),
        };
        assert!(warnings(&item(Some(0.5), 0.02, 0.02), Some(&expected)).is_empty());
        let w = warnings(&item(Some(0.2), 0.01, 0.02), Some(&expected));
        let codes: Vec<&str> = w.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(codes, ["precision_outside_walk_forward", "calibration_outside_walk_forward"]);
        // Other horizons are not compared (the series is at 18 months), nor models
        // without a series.
        let mut six = item(Some(0.2), 0.01, 0.02);
        six.horizon_months = 6;
        assert!(warnings(&six, Some(&expected)).is_empty());
        assert!(warnings(&item(Some(0.2), 0.01, 0.02), None).is_empty());
        // One window is a point, not a range.
        let one = WalkSummary { windows: 1, ..expected };
        assert!(warnings(&item(Some(0.2), 0.01, 0.02), Some(&one)).is_empty());
    }
}
