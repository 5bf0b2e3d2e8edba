//! `/executions`: the runs, the alerts of the latest by département, drift warnings, and
//! the active model's card.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use minijinja::{Value, context};
use serde::Deserialize;

use crate::web::render::{PageResult, markdown, render, ser};
use crate::web::session::Session;
use crate::web::{St, charts, fr};

/// The parts of a run report the page shows.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportView {
    #[serde(default)]
    alerts_by_departement: BTreeMap<String, BTreeMap<String, i64>>,
    #[serde(default)]
    drift: Option<DriftView>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DriftView {
    score: Option<f64>,
    #[serde(default)]
    warnings: Vec<WarningView>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WarningView {
    what: String,
    psi: f64,
    severity: String,
}

pub(crate) async fn runs(State(state): St, session: Session) -> PageResult {
    let caller = &session.caller;
    let err = |e: vigie_store::Error| session.error(e.into());
    let all = state.store.runs().await.map_err(err)?;
    let rows: Vec<_> = all
        .iter()
        .map(|r| {
            context! {
                run_id => r.run_id.clone(), month => r.month.clone(), model_version => r.model_version.clone(),
                scored => fr::count(r.scored), red => fr::small_count(r.red), orange => fr::small_count(r.orange),
                rejected => fr::count(r.rejected),
                finished_at => format!("{} UTC", r.finished_at.replace('T', " ").trim_end_matches('Z')),
            }
        })
        .collect();
    // Oldest first, the last twelve.
    // `all` is newest first: the first run of each month is its latest.
    let mut series: Vec<(String, i64, i64)> = Vec::new();
    for r in &all {
        if !series.iter().any(|s| s.0 == r.month) {
            series.push((r.month.clone(), r.red, r.orange));
        }
    }
    series.reverse();
    let series = &series[series.len().saturating_sub(12)..];
    let volumes_chart =
        (!series.is_empty()).then(|| Value::from_safe_string(charts::volumes("volumes", series)));
    let latest = match state.store.latest_run().await.map_err(err)? {
        Some(r) => {
            let report: ReportView = serde_json::from_str(&r.report).unwrap_or_default();
            let departements: Vec<_> = report
                .alerts_by_departement
                .iter()
                .filter(|(d, _)| caller.covers(d))
                .map(|(d, by)| {
                    let n = |l: &str| fr::small_count(by.get(l).copied().unwrap_or(0));
                    context! { departement => d, red => n("red"), orange => n("orange") }
                })
                .collect();
            let drift = report.drift.unwrap_or_default();
            let warnings: Vec<_> = drift
                .warnings
                .iter()
                .map(|w| {
                    let severity = if w.severity == "major" { "forte" } else { "modérée" };
                    let what = if w.what == "score" {
                        "Probabilité à 18 mois (score)".to_owned()
                    } else {
                        vigie_core::features::spec(&w.what).map_or_else(
                            || w.what.clone(),
                            |f| format!("{} ({})", f.label_fr, f.name),
                        )
                    };
                    context! { what, psi => fr::number(w.psi, 3), severity }
                })
                .collect();
            Some(context! {
                run_id => r.run_id, departements, drift => warnings,
                psi_score => drift.score.map(|p| fr::number(p, 4)),
            })
        }
        None => None,
    };
    let model = state.store.active_model().await.map_err(err)?.map(|m| {
        context! {
            version => m.version, name => m.name, family => m.family,
            registered_at => format!("{} UTC", m.registered_at.replace('T', " ").trim_end_matches('Z')),
            card => m.card.as_deref().map(|c| Value::from_safe_string(markdown(c))),
        }
    });
    Ok(render(
        StatusCode::OK,
        "executions.html",
        &context! {
            page => "executions", who => ser(session.who()), csrf => &session.csrf,
            runs => rows, volumes_chart, latest, model,
        },
    ))
}
