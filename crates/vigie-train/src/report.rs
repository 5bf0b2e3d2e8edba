//! The human-readable outputs of training: SVG charts, the model card (`card.md`) and the
//! training report (`report.md`). No timestamp and no timing: the same inputs give the
//! same bytes.

use std::fmt::Write as _;
use std::path::Path;

use vigie_eval::charts;
use vigie_eval::metrics::{GroupRow, Summary};
use vigie_score::model::{Model, ModelFile};

use crate::train::{TestMetrics, Windows};
use crate::{Error, Result};

/// The four charts of a report, as SVG text.
pub struct Charts {
    files: [(&'static str, String); 4],
}

impl Charts {
    /// Charts of calibrated 18-month probabilities against outcomes.
    pub fn new(probs: &[f64], labels: &[bool]) -> Self {
        let failed: Vec<f64> = probs
            .iter()
            .zip(labels)
            .filter(|(_, l)| **l)
            .map(|(p, _)| p.max(1e-6).log10())
            .collect();
        let survived: Vec<f64> = probs
            .iter()
            .zip(labels)
            .filter(|(_, l)| !**l)
            .map(|(p, _)| p.max(1e-6).log10())
            .collect();
        let lo = failed.iter().chain(&survived).copied().fold(0.0f64, f64::min).floor();
        Self {
            files: [
                ("roc.svg", charts::roc_chart(probs, labels)),
                ("precision_recall.svg", charts::pr_chart(probs, labels)),
                ("calibration.svg", charts::calibration_chart(probs, labels, 10)),
                (
                    "scores.svg",
                    charts::histogram_chart(
                        "Distribution of log10(18-month probability) by outcome",
                        &[("failed within 18 months", &failed), ("no failure", &survived)],
                        40,
                        (lo, 0.0),
                    ),
                ),
            ],
        }
    }

    /// Writes the SVG files into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        for (name, svg) in &self.files {
            let path = dir.join(name);
            std::fs::write(&path, svg).map_err(|source| Error::Io { path, source })?;
        }
        Ok(())
    }

    fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.files.iter().map(|(n, _)| *n)
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{:.1} %", 100.0 * v))
}

fn num(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{v:.3}"))
}

fn summary_table(s: &Summary) -> String {
    format!(
        "| rows | failures | ROC AUC | average precision | Brier | ECE | recall top 1 % | top 5 % | top 10 % |\n|---|---|---|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        s.n,
        s.positives,
        num(s.roc_auc),
        num(s.average_precision),
        s.brier.map_or_else(|| "–".into(), |v| format!("{v:.4}")),
        s.ece.map_or_else(|| "–".into(), |v| format!("{v:.4}")),
        pct(s.recall_top1),
        pct(s.recall_top5),
        pct(s.recall_top10),
    )
}

fn group_table(title: &str, rows: &[GroupRow]) -> String {
    let mut s = format!(
        "### {title}\n\n| group | rows | failures | ROC AUC | average precision | observed rate | mean predicted |\n|---|---|---|---|---|---|---|\n"
    );
    let mut suppressed = 0;
    for r in rows {
        if r.suppressed {
            suppressed += 1;
            continue;
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.group,
            r.n,
            r.positives,
            num(r.roc_auc),
            num(r.average_precision),
            pct(r.observed_rate),
            pct(r.mean_predicted)
        );
    }
    if suppressed > 0 {
        let _ = writeln!(
            s,
            "\n{suppressed} group(s) not shown: those with fewer than {} rows or {} failures, and \
             as many others as needed so that their sum cannot be read from the totals.",
            crate::train::MIN_CELL_ROWS,
            crate::train::MIN_CELL_POSITIVES
        );
    }
    s.push('\n');
    s
}

fn headline(m: &ModelFile, w: &Windows, t: &TestMetrics) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| family | {} |", m.model.family());
    let _ = writeln!(s, "| version | `{}` |", m.version);
    let _ = writeln!(s, "| training window | {} to {} |", w.train.0, w.train.1);
    let _ = writeln!(
        s,
        "| validation window (early stopping, calibration, thresholds) | {} to {} |",
        w.validation.0, w.validation.1
    );
    let _ = writeln!(s, "| test window (out-of-time) | {} to {} |", w.test.0, w.test.1);
    let _ = writeln!(
        s,
        "| data fingerprint (SHA-256 of the panel) | `{}` |",
        m.training.data_fingerprint
    );
    let _ = writeln!(s, "| seed | {} |", m.training.seed);
    let _ = writeln!(s, "| code | {} |", m.training.code_version);
    let _ = writeln!(s, "| red threshold (max F0.5 on validation) | {:.4} |", m.thresholds.red);
    let _ = writeln!(s, "| orange threshold (max F2 on validation) | {:.4} |", m.thresholds.orange);
    s.push('\n');
    s.push_str("#### Test window, 18-month horizon, companies already in procedure excluded\n\n");
    s.push_str(&summary_table(&t.summary));
    s.push('\n');
    s.push_str("| horizon | rows | ROC AUC | Brier | ECE |\n|---|---|---|---|---|\n");
    for v in &t.horizons {
        let h = &v.horizon;
        let _ = writeln!(
            s,
            "| {h} | {} | {} | {} | {} |",
            v.rows,
            num(v.roc_auc),
            v.brier.map_or("–".into(), |b| format!("{b:.4}")),
            v.ece.map_or("–".into(), |b| format!("{b:.4}"))
        );
    }
    s.push_str("\n| alert | threshold | flagged | precision | recall | F0.5 | F2 |\n|---|---|---|---|---|---|---|\n");
    for (level, a) in &t.alerts {
        let _ = writeln!(
            s,
            "| {level} | {:.4} | {} | {} | {} | {} | {} |",
            a.threshold,
            a.flagged,
            pct(a.precision),
            pct(a.recall),
            num(a.f05),
            num(a.f2)
        );
    }
    s.push('\n');
    match &t.with_in_procedure {
        Some(w) => {
            s.push_str("#### Effect of excluding companies already in procedure\n\nThe same model and test window, with the company-months already in a collective procedure kept, as an evaluation that does not exclude them would count them. Such companies are easy to flag and useless to flag: the gap between the two tables is the optimism of not excluding them.\n\n");
            s.push_str(&summary_table(w));
            s.push('\n');
        }
        None => s.push_str("The panel has no company-month already in procedure (build it with `vigie panel --keep-in-procedure` to measure the effect of excluding them).\n\n"),
    }
    s.push_str("#### Capacity mode\n\nThe N riskiest companies of each département, each month of the test window (as an office with a fixed capacity would work):\n\n| per département | listed per month | precision (fail within 18 months) | recall |\n|---|---|---|---|\n");
    for c in &t.capacity {
        let _ = writeln!(
            s,
            "| {} | {:.0} | {} | {} |",
            c.per_departement,
            c.listed_per_month,
            pct(c.precision),
            pct(c.recall)
        );
    }
    s.push('\n');
    if let Some(cv) = &t.grouped_cv {
        let _ = writeln!(
            s,
            "#### Random split view\n\nGrouped-by-company {}-fold cross-validation on the months before the test window ({} rows): ROC AUC {}, average precision {}. Random splits mix periods; the out-of-time figures above are the ones to expect in production.\n",
            cv.folds,
            cv.rows,
            num(cv.roc_auc),
            num(cv.average_precision)
        );
    }
    s
}

/// The model card.
pub(crate) fn card(
    m: &ModelFile,
    w: &Windows,
    t: &TestMetrics,
    train_rows: usize,
    valid_rows: usize,
    trees: Option<usize>,
) -> String {
    let mut s = format!("# Model card: {} {}\n\n", m.name, m.version);
    let what = match &m.model {
        Model::Logistic(_) => "L2 logistic regression on rank-to-normal transformed features with missing-value indicators (linfa).".to_owned(),
        Model::Gbdt(_) => format!("Gradient-boosted decision trees (forust-ml), {} trees after early stopping.", trees.unwrap_or(0)),
    };
    let _ = writeln!(
        s,
        "## What it does\n\nEstimates the probability that a company enters a collective insolvency procedure (safeguard, receivership, liquidation) within 6, 12, 18 and 24 months, from pseudonymised fiscal data available at the month scored. {what} Probabilities are calibrated per horizon (Platt maps on the validation window) and never decrease with the horizon. Alert levels use the 18-month probability.\n"
    );
    let _ = writeln!(
        s,
        "## Data\n\n{} training rows and {} validation rows (company-months with an observed 18-month outcome, companies already in procedure or closed excluded), {} features in five topic groups (see `docs/features.md`).\n",
        train_rows,
        valid_rows,
        m.features.len()
    );
    s.push_str("## Performance\n\n");
    s.push_str(&headline(m, w, t));
    s.push_str("## By group (test window, 18 months)\n\n");
    s.push_str(&group_table("Sector (NAF section)", &t.by_sector));
    s.push_str(&group_table("Size band", &t.by_size));
    s.push_str(&group_table("Département", &t.by_departement));
    s.push_str("## Limitations\n\n- Trained and measured on the data it was given; on synthetic data (`vigie generate`) the figures describe the generator, not the French economy.\n- Out-of-time figures hold for conditions like those of the test window; a change of economic climate or of reporting practice shifts them (watch the drift report of the nightly batch).\n- Companies without filings or employees have fewer features: their scores rest on tax data alone.\n- The score ranks and estimates risk; it is not a judgement on a company. Alerts are a prompt to look, and to offer help, not a decision.\n- Small groups are not reported (fewer than 100 rows or 5 failures).\n");
    s
}

/// The training report: headline figures and charts.
pub(crate) fn report(m: &ModelFile, w: &Windows, t: &TestMetrics, charts: &Charts) -> String {
    let mut s = format!("# Training report: {} {}\n\n", m.name, m.version);
    s.push_str(&headline(m, w, t));
    s.push_str("## Charts (test window, 18 months)\n\n");
    for name in charts.names() {
        let _ = writeln!(s, "![{name}]({name})\n");
    }
    s.push_str("Full metrics: `metrics.json`; the model card: `card.md`.\n");
    s
}
