//! The run report (JSON and Markdown), drift, and the stored form of explanations.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use vigie_data::panel::Excluded;
use vigie_data::rejects::SourceCounts;
use vigie_eval::metrics::PsiProfile;

use crate::Summary;
use crate::diff::Changes;

/// PSI above which a distribution is reported as moderately shifted.
pub const PSI_MODERATE: f64 = 0.1;
/// PSI above which a distribution is reported as majorly shifted.
pub const PSI_MAJOR: f64 = 0.25;

/// Distribution profiles of a run, stored in its report so that the next run can compute
/// its drift without the previous run's features.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reference {
    /// Profile of the 18-month probability.
    pub score: Option<PsiProfile>,
    /// Profile of each feature.
    pub features: BTreeMap<String, Option<PsiProfile>>,
}

/// One drift warning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftWarning {
    /// `score` or a feature name.
    pub what: String,
    /// The PSI.
    pub psi: f64,
    /// `moderate` (above 0.1) or `major` (above 0.25).
    pub severity: &'static str,
}

/// Population stability against the previous run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Drift {
    /// PSI of the 18-month probability; `None` without a previous run.
    pub score: Option<f64>,
    /// PSI of each feature.
    pub features: BTreeMap<String, Option<f64>>,
    /// Distributions above 0.1, worst first.
    pub warnings: Vec<DriftWarning>,
}

impl Drift {
    /// Drift of this run's `p18` and `features` (named `names`) against `reference`.
    #[must_use]
    pub fn compute(
        reference: Option<&Reference>,
        p18: &[f64],
        features: &[&[f64]],
        names: &[&str],
    ) -> Self {
        let Some(r) = reference else { return Self::default() };
        let score = r.score.as_ref().and_then(|p| p.psi(p18));
        let features: BTreeMap<String, Option<f64>> = names
            .par_iter()
            .zip(features)
            .map(|(name, values)| {
                let psi =
                    r.features.get(*name).and_then(Option::as_ref).and_then(|p| p.psi(values));
                ((*name).to_owned(), psi)
            })
            .collect();
        let mut warnings: Vec<DriftWarning> = std::iter::once(("score".to_owned(), score))
            .chain(features.iter().map(|(k, v)| (k.clone(), *v)))
            .filter_map(|(what, psi)| {
                let psi = psi?;
                let severity = if psi > PSI_MAJOR {
                    "major"
                } else if psi > PSI_MODERATE {
                    "moderate"
                } else {
                    return None;
                };
                Some(DriftWarning { what, psi, severity })
            })
            .collect();
        warnings.sort_by(|a, b| b.psi.total_cmp(&a.psi).then_with(|| a.what.cmp(&b.what)));
        Self { score, features, warnings }
    }
}

/// Histogram of the 18-month probability on fixed bins.
#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    /// Bin edges (probabilities); bin `i` is `[edges[i], edges[i + 1])`, the last closed.
    pub edges: Vec<f64>,
    /// Companies per bin.
    pub counts: Vec<usize>,
}

impl Distribution {
    /// Bins of the 18-month probability, finer where most companies are.
    pub const EDGES: [f64; 10] = [0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0];

    /// The histogram of `p`.
    #[must_use]
    pub fn of(p: &[f64]) -> Self {
        let edges = Self::EDGES.to_vec();
        let mut counts = vec![0; edges.len() - 1];
        for &v in p {
            let bin = edges[1..].partition_point(|&e| e <= v).min(counts.len() - 1);
            counts[bin] += 1;
        }
        Self { edges, counts }
    }
}

/// The run report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Run id.
    pub run_id: String,
    /// Month scored.
    pub month: String,
    /// Model version.
    pub model_version: String,
    /// Store back-end.
    pub store: &'static str,
    /// Start time.
    pub started_at: String,
    /// Commit time.
    pub finished_at: String,
    /// The summary printed by the command.
    pub summary: Summary,
    /// Companies left out, by reason.
    pub excluded: Excluded,
    /// Rows read, accepted and rejected per source.
    pub sources: BTreeMap<&'static str, SourceCounts>,
    /// Orange and red thresholds of the 18-month probability.
    pub thresholds: [f64; 2],
    /// Alerts (orange, red) per département.
    pub alerts_by_departement: BTreeMap<String, BTreeMap<&'static str, usize>>,
    /// The run compared with.
    pub previous_run: Option<String>,
    /// Sizes of the change lists.
    pub change_counts: BTreeMap<&'static str, usize>,
    /// New, escalated, de-escalated alerts, and companies no longer scored.
    pub changes: Changes,
    /// Population stability against the previous run.
    pub drift: Drift,
    /// Histogram of the 18-month probability.
    pub score_distribution: Distribution,
    /// Seconds per phase.
    pub timings_seconds: BTreeMap<&'static str, f64>,
    /// Files written.
    pub outputs: BTreeMap<&'static str, String>,
    /// Profiles for the next run's drift.
    pub reference: Reference,
    /// Backtests of earlier runs computed by this run (their horizons elapsed).
    pub backtests: Vec<vigie_store::Backtest>,
    /// Plausible bounds of the actionable features by sector and size band (the 10th and
    /// 90th percentiles of this run's companies): what the company pages' levers move
    /// within.
    pub lever_ranges: vigie_score::levers::LeverRanges,
}

/// How many ids of each change list the Markdown report shows (the JSON has them all).
const LISTED: usize = 20;

impl Report {
    /// The Markdown report.
    #[must_use]
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let s_ = &mut s;
        let _ = writeln!(s_, "# Rescoring run {}\n", self.run_id);
        let _ = writeln!(
            s_,
            "Month **{}**, model `{}`, store {}. Started {}, committed {}.\n",
            self.month, self.model_version, self.store, self.started_at, self.finished_at
        );
        let m = &self.summary;
        let _ = writeln!(s_, "## Counts\n\n| | companies |\n|---|---:|");
        let _ = writeln!(s_, "| scored | {} |", m.scored);
        let _ = writeln!(
            s_,
            "| excluded (closed {}, in procedure {}, not yet created {}) | {} |",
            self.excluded.closed,
            self.excluded.in_procedure,
            self.excluded.not_yet_created,
            m.excluded
        );
        let _ = writeln!(s_, "| source rows rejected (see `rejects.csv`) | {} |", m.rejected);
        for l in ["red", "orange", "green"] {
            let _ = writeln!(s_, "| {l} | {} |", m.alerts[l]);
        }
        let _ = writeln!(
            s_,
            "\nThresholds of the 18-month probability: orange ≥ {:.4}, red ≥ {:.4}.\n",
            self.thresholds[0], self.thresholds[1]
        );
        let _ = writeln!(
            s_,
            "## Changes since {}\n",
            self.previous_run.as_deref().unwrap_or("(no previous run: every alert is new)")
        );
        let _ = writeln!(s_, "| change | companies | first ids |\n|---|---:|---|");
        for (name, list) in [
            ("new alerts", &self.changes.new),
            ("escalated (orange → red)", &self.changes.escalated),
            ("de-escalated", &self.changes.de_escalated),
            ("no longer scored", &self.changes.no_longer_scored),
        ] {
            let shown: Vec<&str> = list.iter().take(LISTED).map(String::as_str).collect();
            let more = if list.len() > LISTED { " …" } else { "" };
            let _ = writeln!(s_, "| {name} | {} | {}{more} |", list.len(), shown.join(", "));
        }
        let _ = writeln!(s_, "\n## Drift (population stability index against the previous run)\n");
        match self.drift.score {
            None => {
                let _ = writeln!(s_, "No previous run: no drift measured.\n");
            }
            Some(psi) => {
                let _ = writeln!(s_, "PSI of the 18-month probability: **{psi:.4}**.\n");
                if self.drift.warnings.is_empty() {
                    let _ =
                        writeln!(s_, "No distribution moved by more than {PSI_MODERATE} (PSI).\n");
                } else {
                    let _ = writeln!(s_, "| distribution | PSI | warning |\n|---|---:|---|");
                    for w in &self.drift.warnings {
                        let _ = writeln!(s_, "| {} | {:.4} | {} |", w.what, w.psi, w.severity);
                    }
                    let _ = writeln!(s_);
                }
            }
        }
        let _ = writeln!(
            s_,
            "## Alerts by département\n\n| département | red | orange |\n|---|---:|---:|"
        );
        for (dep, c) in &self.alerts_by_departement {
            let get = |l: &str| c.get(l).copied().unwrap_or(0);
            let _ = writeln!(s_, "| {dep} | {} | {} |", get("red"), get("orange"));
        }
        let _ = writeln!(
            s_,
            "\n## Distribution of the 18-month probability\n\n| from | to | companies |\n|---:|---:|---:|"
        );
        let d = &self.score_distribution;
        for (i, c) in d.counts.iter().enumerate() {
            let _ = writeln!(
                s_,
                "| {:.1} % | {:.1} % | {c} |",
                d.edges[i] * 100.0,
                d.edges[i + 1] * 100.0
            );
        }
        if !self.backtests.is_empty() {
            let _ = writeln!(
                s_,
                "\n## Backtests of earlier runs\n\nWhat became of the companies scored by earlier runs whose horizon has elapsed (events known in {}; orange counts orange or red):\n\n| run | month | horizon | scored | failures | ROC AUC | red: flagged, precision, recall | orange: flagged, precision, recall | mean predicted | observed |\n|---|---|---:|---:|---:|---:|---|---|---:|---:|",
                self.month
            );
            let pct = |x: Option<f64>| {
                x.map_or_else(|| "–".to_owned(), |v| format!("{:.1} %", 100.0 * v))
            };
            for b in &self.backtests {
                let _ = writeln!(
                    s_,
                    "| {} | {} | {} months | {} | {} | {} | {}, {}, {} | {}, {}, {} | {} | {} |",
                    b.run_id,
                    b.month,
                    b.horizon_months,
                    b.scored,
                    b.failures,
                    b.roc_auc.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}")),
                    b.red.flagged,
                    pct(b.red.precision),
                    pct(b.red.recall),
                    b.orange.flagged,
                    pct(b.orange.precision),
                    pct(b.orange.recall),
                    pct(Some(b.mean_predicted)),
                    pct(Some(b.observed_rate)),
                );
            }
        }
        let _ = writeln!(s_, "\n## Time\n\n| phase | seconds |\n|---|---:|");
        for (phase, secs) in &self.timings_seconds {
            let _ = writeln!(s_, "| {phase} | {secs:.2} |");
        }
        let _ = writeln!(
            s_,
            "\n## Sources\n\n| source | file | accepted | rejected | outside window |\n|---|---|---:|---:|---:|"
        );
        for (name, c) in &self.sources {
            let _ = writeln!(
                s_,
                "| {name} | {} | {} | {} | {} |",
                c.file.as_deref().unwrap_or("—"),
                c.rows_accepted,
                c.rows_rejected,
                c.rows_outside_window
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_on_a_constructed_case() {
        // Previous run: feature x uniform on 0..1000, score uniform on 0..1.
        let x: Vec<f64> = (0..1000).map(f64::from).collect();
        let p: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        let reference = Reference {
            score: PsiProfile::of(&p, 10),
            features: BTreeMap::from([
                ("x".to_owned(), PsiProfile::of(&x, 10)),
                ("y".to_owned(), PsiProfile::of(&x, 10)),
            ]),
        };
        // This run: x unchanged; y shifted by 300 (three deciles emptied, the top one
        // holding 40 %); score unchanged.
        let y: Vec<f64> = x.iter().map(|v| v + 300.0).collect();
        let d = Drift::compute(Some(&reference), &p, &[&x, &y], &["x", "y"]);
        assert_eq!(d.score, Some(0.0));
        assert_eq!(d.features["x"], Some(0.0));
        let expected_y = 3.0 * (1e-4 - 0.1) * (1e-4f64 / 0.1).ln() + 0.3 * 4f64.ln();
        let got = d.features["y"].unwrap();
        assert!((got - expected_y).abs() < 1e-3 * expected_y, "{got} vs {expected_y}");
        assert_eq!(d.warnings, [DriftWarning { what: "y".into(), psi: got, severity: "major" }]);
        // Without a reference: nothing measured, nothing warned.
        let none = Drift::compute(None, &p, &[&x], &["x"]);
        assert_eq!(none.score, None);
        assert!(none.warnings.is_empty() && none.features.is_empty());
    }

    #[test]
    fn a_moderate_shift_warns_as_moderate() {
        // 8 % of the values moved from the first decile into the last: PSI between 0.1
        // and 0.25.
        let x: Vec<f64> = (0..1000).map(f64::from).collect();
        let moved: Vec<f64> = x.iter().map(|&v| if v < 80.0 { 999.0 } else { v }).collect();
        let reference = Reference {
            score: None,
            features: BTreeMap::from([("x".to_owned(), PsiProfile::of(&x, 10))]),
        };
        let d = Drift::compute(Some(&reference), &[], &[&moved], &["x"]);
        let psi = d.features["x"].unwrap();
        // First decile 0.1 → 0.02, last decile 0.1 → 0.18.
        let expected = (0.02 - 0.1) * 0.2f64.ln() + (0.18 - 0.1) * 1.8f64.ln();
        assert!((psi - expected).abs() < 1e-9, "{psi} vs {expected}");
        assert!(psi > PSI_MODERATE && psi < PSI_MAJOR, "{psi}");
        assert_eq!(d.warnings[0].severity, "moderate");
        assert_eq!(d.score, None);
    }

    #[test]
    fn distribution_bins() {
        let d = Distribution::of(&[0.0, 0.004, 0.005, 0.3, 0.99, 1.0]);
        assert_eq!(d.counts, [2, 1, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(d.counts.iter().sum::<usize>(), 6);
    }
}
