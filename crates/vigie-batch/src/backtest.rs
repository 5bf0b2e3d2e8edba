//! Backtesting of past runs: once a run's horizon has elapsed, what became of the
//! companies it scored. For a run of month `M` and a horizon of `h` months, a company
//! failed when a collective procedure opened in a month of `M + 1 ..= M + h` (the panel's
//! label, with the events known now); the run's probabilities at that horizon and its
//! levels are measured against it.

use std::collections::{HashMap, HashSet};

use vigie_core::{Horizon, Month};
use vigie_eval::metrics;
use vigie_store::{Backtest, LevelOutcome, Store};

use crate::Result;

/// Backtests already computed are computed again while their horizon ended less than this
/// many months before the run: judgments are published, and reach the sources, late.
pub const REFRESH_MONTHS: i32 = 6;

/// Opening months of collective procedures, by pseudonymous company id (sorted).
pub type Openings = HashMap<String, Vec<Month>>;

/// Whether `company` entered a procedure in `month + 1 ..= month + h`.
#[must_use]
pub fn failed(openings: &Openings, company: &str, month: Month, h: Horizon) -> bool {
    openings.get(company).is_some_and(|months| months.iter().any(|&d| h.covers(month, d)))
}

/// The backtest of a run's scores `(company_id, probability at h, level)`.
#[must_use]
pub fn measure(
    run_id: &str,
    month: Month,
    h: Horizon,
    as_of: Month,
    scores: &[(String, f64, String)],
    openings: &Openings,
) -> Backtest {
    let outcome: Vec<bool> = scores.iter().map(|(c, _, _)| failed(openings, c, month, h)).collect();
    let probs: Vec<f64> = scores.iter().map(|s| s.1).collect();
    let failures = outcome.iter().filter(|&&y| y).count() as i64;
    let level = |levels: &[&str]| {
        let (mut flagged, mut hit) = (0i64, 0i64);
        for ((_, _, l), &y) in scores.iter().zip(&outcome) {
            if levels.contains(&l.as_str()) {
                flagged += 1;
                hit += i64::from(y);
            }
        }
        LevelOutcome::new(flagged, hit, failures)
    };
    let n = scores.len() as f64;
    Backtest {
        run_id: run_id.to_owned(),
        month: month.to_string(),
        horizon_months: h.months(),
        as_of: as_of.to_string(),
        scored: scores.len() as i64,
        failures,
        roc_auc: metrics::roc_auc(&probs, &outcome),
        red: level(&["red"]),
        orange: level(&["red", "orange"]),
        mean_predicted: if scores.is_empty() { 0.0 } else { probs.iter().sum::<f64>() / n },
        observed_rate: if scores.is_empty() { 0.0 } else { failures as f64 / n },
    }
}

/// Computes the backtests of the store's runs at the run month `now`: every (run,
/// horizon) whose horizon has elapsed and that was never computed, or whose horizon ended
/// less than [`REFRESH_MONTHS`] months ago; writes them and returns them (oldest run first).
pub async fn refresh(store: &Store, now: Month, openings: &Openings) -> Result<Vec<Backtest>> {
    let done: HashSet<(String, i32)> =
        store.backtests().await?.into_iter().map(|b| (b.run_id, b.horizon_months)).collect();
    let mut out = Vec::new();
    let mut runs = store.runs().await?;
    runs.reverse();
    for run in runs {
        let Ok(month) = Month::parse(&run.month) else { continue };
        let due: Vec<Horizon> = Horizon::ALL
            .into_iter()
            .filter(|h| {
                let end = month.plus(h.months());
                end <= now
                    && (now.since(end) < REFRESH_MONTHS
                        || !done.contains(&(run.run_id.clone(), h.months())))
            })
            .collect();
        if due.is_empty() {
            continue;
        }
        let scores = store.run_probabilities(&run.run_id).await?;
        for h in due {
            let rows: Vec<(String, f64, String)> =
                scores.iter().map(|(c, p, l)| (c.clone(), p[h], l.clone())).collect();
            out.push(measure(&run.run_id, month, h, now, &rows, openings));
        }
    }
    store.write_backtests(&out).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn a_backtest_counts_openings_within_the_horizon_only() {
        let mut openings = Openings::new();
        openings.insert("a".into(), vec![m("2024-07")]); // within 6 months of 2024-01
        openings.insert("b".into(), vec![m("2024-08")]); // 7 months: only at 12
        openings.insert("c".into(), vec![m("2024-01")]); // the run's own month: not after
        let scores = vec![
            ("a".to_owned(), 0.5, "red".to_owned()),
            ("b".to_owned(), 0.2, "orange".to_owned()),
            ("c".to_owned(), 0.1, "green".to_owned()),
            ("d".to_owned(), 0.05, "red".to_owned()),
        ];
        let six = measure("r", m("2024-01"), Horizon::M6, m("2024-07"), &scores, &openings);
        assert_eq!((six.scored, six.failures), (4, 1));
        assert_eq!((six.red.flagged, six.red.failed), (2, 1));
        assert_eq!(six.red.precision, Some(0.5));
        assert_eq!(six.red.recall, Some(1.0));
        assert_eq!((six.orange.flagged, six.orange.failed), (3, 1));
        assert_eq!(six.observed_rate, 0.25);
        assert!((six.mean_predicted - 0.2125).abs() < 1e-12);
        assert_eq!(six.roc_auc, Some(1.0));
        let twelve = measure("r", m("2024-01"), Horizon::M12, m("2025-01"), &scores, &openings);
        assert_eq!(twelve.failures, 2);
        assert_eq!((twelve.orange.failed, twelve.orange.recall), (2, Some(1.0)));
        // d (0.05) is below both failures, c (0.1) too: a perfect ranking.
        assert_eq!(twelve.roc_auc, Some(1.0));
    }
}
