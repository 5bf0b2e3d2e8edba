//! The page "Suivi du modèle": what became of the companies scored by past runs whose
//! horizons have elapsed (the backtests of `crate::api::monitoring`, as `/v1/monitoring`
//! serves them), with the agents' feedback and the warnings. National: analysts and
//! admins, as the API route.

use axum::extract::State;
use axum::http::StatusCode;
use minijinja::{Value, context};

use crate::web::render::{PageResult, render, ser};
use crate::web::session::Session;
use crate::web::{St, charts, fr};

pub(crate) async fn page(State(state): St, session: Session) -> PageResult {
    session.caller.require_national().map_err(|e| session.error(e))?;
    let items = crate::api::monitoring::items(&state).await.map_err(|e| session.error(e.into()))?;
    let pct = |p: Option<f64>| p.map_or_else(|| "—".to_owned(), fr::percent);
    let rows: Vec<_> = items
        .iter()
        .map(|i| {
            context! {
                run_id => &i.run_id, month => &i.month, horizon => i.horizon_months,
                scored => fr::count(i.scored), failures => fr::small_count(i.failures),
                roc_auc => i.roc_auc.map_or_else(|| "—".to_owned(), |a| fr::number(a, 3)),
                red_flagged => fr::small_count(i.red.flagged), red_precision => pct(i.red.precision),
                red_recall => pct(i.red.recall),
                orange_flagged => fr::small_count(i.orange.flagged),
                orange_precision => pct(i.orange.precision), orange_recall => pct(i.orange.recall),
                predicted => fr::percent(i.mean_predicted), observed => fr::percent(i.observed_rate),
                useful => i.feedback.useful, not_useful => i.feedback.not_useful,
                warnings => i.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>(),
            }
        })
        .collect();
    // One chart per horizon present, oldest run first.
    let mut chart_list = Vec::new();
    for h in [6, 12, 18, 24] {
        let mut series: Vec<(String, f64, f64)> = items
            .iter()
            .filter(|i| i.horizon_months == h)
            .map(|i| (i.month.clone(), i.mean_predicted, i.observed_rate))
            .collect();
        if series.is_empty() {
            continue;
        }
        series.reverse();
        let svg = charts::backtest_rates(&format!("suivi-{h}"), h, &series);
        chart_list.push(context! { horizon => h, svg => Value::from_safe_string(svg) });
    }
    let warned = items.iter().filter(|i| !i.warnings.is_empty()).count();
    Ok(render(
        StatusCode::OK,
        "suivi.html",
        &context! {
            page => "suivi", who => ser(session.who()), csrf => &session.csrf,
            rows, charts => chart_list, warned,
        },
    ))
}
