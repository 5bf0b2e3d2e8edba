//! The human-readable outputs of training: SVG charts, the model card (`card.md`) and the
//! training report (`report.md`). No timestamp and no timing: the same inputs give the
//! same bytes.

use std::fmt::Write as _;
use std::path::Path;

use vigie_eval::charts::{self, Series};
use vigie_eval::metrics::{GroupRow, Summary};
use vigie_score::model::{Model, ModelFile};

use crate::train::{TestMetrics, Windows, WindowsText};
use crate::walk::{Fitted, Spread, WalkRow, WalkSummary};
use crate::{Error, Result};

/// The charts of a report, as SVG text.
pub struct Charts {
    files: Vec<(&'static str, String)>,
}

/// A test window's position on the time axis: its first month, in years.
fn year_of(month: &str) -> f64 {
    let (y, m) = month.split_once('-').unwrap_or((month, "1"));
    y.parse::<f64>().unwrap_or(0.0) + (m.parse::<f64>().unwrap_or(1.0) - 1.0) / 12.0
}

/// The two walk-forward charts: ROC AUC per window, and mean predicted (anchored and
/// Platt-only) against observed 18-month failure rates.
fn walk_charts(series: &[WalkRow]) -> [(&'static str, String); 2] {
    let x = |r: &WalkRow| year_of(&r.test_from);
    let (x0, x1) = series
        .iter()
        .map(x)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (x0, x1) = if x0.is_finite() { (x0 - 0.5, x1 + 0.5) } else { (0.0, 1.0) };
    let auc = Series {
        name: "ROC AUC (18 months)".into(),
        points: series.iter().map(|r| (x(r), r.roc_auc.unwrap_or(f64::NAN))).collect(),
        dashed: false,
    };
    let pct = |f: &dyn Fn(&WalkRow) -> f64| -> Vec<(f64, f64)> {
        series.iter().map(|r| (x(r), 100.0 * f(r))).collect()
    };
    let rates = [
        Series { name: "observed".into(), points: pct(&|r| r.observed_rate), dashed: false },
        Series {
            name: "predicted (anchored)".into(),
            points: pct(&|r| r.mean_predicted),
            dashed: false,
        },
        Series {
            name: "predicted (Platt only)".into(),
            points: pct(&|r| r.platt_only.mean_predicted),
            dashed: true,
        },
    ];
    let top =
        rates.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0f64, f64::max).max(0.1);
    [
        (
            "walk_forward_auc.svg",
            charts::line_chart(
                "Walk-forward: ROC AUC by test window (18 months)",
                "first month of the test window (year)",
                "ROC AUC",
                &[auc],
                (x0, x1),
                (0.5, 1.0),
            ),
        ),
        (
            "walk_forward_rates.svg",
            charts::line_chart(
                "Walk-forward: mean predicted and observed 18-month failure rate by test window",
                "first month of the test window (year)",
                "failure rate (%)",
                &rates,
                (x0, x1),
                (0.0, (top * 1.25 * 10.0).ceil() / 10.0),
            ),
        ),
    ]
}

impl Charts {
    /// Charts of calibrated 18-month probabilities against outcomes, and of the
    /// walk-forward series.
    pub fn new(probs: &[f64], labels: &[bool], series: &[WalkRow]) -> Self {
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
        let mut files = vec![
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
        ];
        files.extend(walk_charts(series));
        Self { files }
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
    let _ = writeln!(
        s,
        "| red threshold of the shipped model (max F0.5 on its validation window) | {:.4} |",
        m.thresholds.red
    );
    let _ = writeln!(
        s,
        "| orange threshold of the shipped model (max F2 on its validation window) | {:.4} |",
        m.thresholds.orange
    );
    s.push('\n');
    s.push_str("#### Test window, 18-month horizon, companies already in procedure excluded\n\n");
    s.push_str(&summary_table(&t.summary));
    s.push('\n');
    s.push_str("| horizon | rows | ROC AUC | Brier | ECE | observed | mean predicted |\n|---|---|---|---|---|---|---|\n");
    for v in &t.horizons {
        let h = &v.horizon;
        let _ = writeln!(
            s,
            "| {h} | {} | {} | {} | {} | {} | {} |",
            v.rows,
            num(v.roc_auc),
            v.brier.map_or("–".into(), |b| format!("{b:.4}")),
            v.ece.map_or("–".into(), |b| format!("{b:.4}")),
            pct(v.observed_rate),
            pct(v.mean_predicted)
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

fn spread(s: Option<&Spread>, digits: usize) -> String {
    s.map_or_else(
        || "–".into(),
        |s| format!("{:.d$} ± {:.d$} ({:.d$} to {:.d$})", s.mean, s.sd, s.min, s.max, d = digits),
    )
}

fn ratio(num: f64, den: f64) -> String {
    if den > 0.0 { format!("{:.2}", num / den) } else { "–".into() }
}

/// The walk-forward section: one row per window, the spread, the charts.
fn walk_section(series: &[WalkRow], summary: &WalkSummary) -> String {
    let mut s = String::from(
        "## Walk-forward validation\n\nOne model per yearly test window, fitted, early-stopped, calibrated and anchored only on what was known before the window's first month (`docs/model-format.md`, *Calibration*); 18-month horizon, companies already in procedure excluded. *Predicted / observed* is calibration-in-the-large: the mean predicted probability over the observed failure rate (1 is exact). *Platt only* is the same model with its Platt maps alone, without the anchor. (Before 2026-11-29, models were also calibrated on later rows of the companies they were trained on, and the one window then measured read 0.67.)

| test window | training | trees | rows | failures | ROC AUC | average precision | Brier | ECE | observed | predicted | predicted / observed | Platt only: predicted / observed | red: flagged, precision, recall | orange: flagged, precision, recall |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in series {
        let _ = writeln!(
            s,
            "| {} to {} | {} to {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}, {}, {} | {}, {}, {} |",
            r.test_from,
            r.test_to,
            r.train_from,
            r.train_to,
            r.trees.map_or_else(|| "–".into(), |t| t.to_string()),
            r.rows,
            r.failures,
            num(r.roc_auc),
            num(r.average_precision),
            r.brier.map_or_else(|| "–".into(), |v| format!("{v:.4}")),
            r.ece.map_or_else(|| "–".into(), |v| format!("{v:.4}")),
            pct(Some(r.observed_rate)),
            pct(Some(r.mean_predicted)),
            ratio(r.mean_predicted, r.observed_rate),
            ratio(r.platt_only.mean_predicted, r.observed_rate),
            r.red.flagged,
            pct(r.red.precision),
            pct(r.red.recall),
            r.orange.flagged,
            pct(r.orange.precision),
            pct(r.orange.recall),
        );
    }
    let _ = writeln!(
        s,
        "\nOver {} window(s), mean ± standard deviation (smallest to largest):\n\n| figure | anchored | Platt only |\n|---|---|---|\n| ROC AUC | {} | same model |\n| average precision | {} | same model |\n| predicted / observed | {} | {} |\n| predicted / observed, median | {} | {} |\n| red precision | {} | |\n| orange precision | {} | |\n",
        summary.windows,
        spread(summary.roc_auc.as_ref(), 3),
        spread(summary.average_precision.as_ref(), 3),
        spread(summary.ratio.as_ref(), 2),
        spread(summary.platt_only_ratio.as_ref(), 2),
        summary.ratio_median.map_or_else(|| "–".into(), |v| format!("{v:.2}")),
        summary.platt_only_ratio_median.map_or_else(|| "–".into(), |v| format!("{v:.2}")),
        spread(summary.red_precision.as_ref(), 3),
        spread(summary.orange_precision.as_ref(), 3),
    );
    s.push_str("![ROC AUC by window](walk_forward_auc.svg)\n\n![Predicted and observed failure rates by window](walk_forward_rates.svg)\n\n");
    s
}

/// How the shipped model's level was set, in words.
fn anchor_words(shift: Option<f64>, from: &str, to: &str) -> String {
    match shift {
        Some(_) => format!("its level anchored on the 6-month outcomes of {from} to {to}"),
        None => format!(
            "its level left at the calibration window's (fewer than {} failures in the anchor \
             window {from} to {to})",
            crate::walk::MIN_ANCHOR_FAILURES
        ),
    }
}

/// What the model card and the report are made of.
pub(crate) struct Card<'a> {
    /// The shipped model.
    pub model: &'a ModelFile,
    /// The evaluated model's windows.
    pub evaluated: &'a Windows,
    /// The evaluated model.
    pub evaluated_fit: &'a Fitted,
    /// Its test figures.
    pub test: &'a TestMetrics,
    /// The walk-forward series.
    pub series: &'a [WalkRow],
    /// Its spread.
    pub summary: &'a WalkSummary,
    /// The shipped model's windows when refitted.
    pub production: Option<&'a WindowsText>,
    /// For a reduced feature set: the full set's 18-month test summary (same windows).
    pub full_set: Option<&'a vigie_eval::metrics::Summary>,
    /// Features without any value in the panel (an absent source).
    pub never_seen: &'a [String],
}

impl Card<'_> {
    /// Which model ships, and on which windows.
    fn shipped(&self) -> String {
        let w = self.evaluated;
        match self.production {
            Some(p) => format!(
                "## The shipped model\n\nThe figures below are those of the **evaluated model**: trained on {} to {}, calibrated on {} to {}, tested out-of-time on {} to {} (the last walk-forward window). The model in this folder (`model.json`) is **refitted on the most recent labelled data** with the same settings and number of trees{}: trained on {} to {} ({} rows), calibrated (Platt maps, thresholds) on {} to {} ({} rows), {}. Its own outcomes are not known yet: the walk-forward series says what to expect of it.\n\n",
                w.train.0,
                w.train.1,
                w.validation.0,
                w.validation.1,
                w.test.0,
                w.test.1,
                p.trees.map_or_else(String::new, |t| format!(" ({t} trees)")),
                p.train_from,
                p.train_to,
                p.train_rows,
                p.calibration_from,
                p.calibration_to,
                p.validation_rows,
                anchor_words(p.anchor_shift, &p.anchor_from, &p.anchor_to),
            ),
            None => format!(
                "## The shipped model\n\nTrained with `--no-refit`: the model in this folder is the evaluated model of the last walk-forward window (trained on {} to {}, calibrated on {} to {}, tested on {} to {}), not refitted on the latest labelled data.\n\n",
                w.train.0, w.train.1, w.validation.0, w.validation.1, w.test.0, w.test.1
            ),
        }
    }

    /// The model card.
    #[allow(clippy::too_many_lines)] // one section after another
    pub fn card(&self) -> String {
        let m = self.model;
        let mut s = format!("# Model card: {} {}\n\n", m.name, m.version);
        let what = match &m.model {
            Model::Logistic(_) => "L2 logistic regression on rank-to-normal transformed features with missing-value indicators (L-BFGS).".to_owned(),
            Model::Gbdt(_) => format!("Gradient-boosted decision trees (histogram, second-order), {} trees (the number kept by early stopping in the last walk-forward window).", self.evaluated_fit.trees.unwrap_or(0)),
        };
        let anchored = if m.calibration.fitted_on.contains("not moved") {
            ", their level left at the validation window's (too few failures to anchor on)"
        } else {
            ", their level anchored on the latest observed 6-month outcomes"
        };
        let _ = writeln!(
            s,
            "## What it does\n\nEstimates the probability that a company enters a collective insolvency procedure (safeguard, receivership, liquidation) within 6, 12, 18 and 24 months, from pseudonymised fiscal data available at the month scored. {what} Probabilities are calibrated per horizon (Platt maps on the validation window){anchored}, and never decrease with the horizon. Alert levels use the 18-month probability.\n"
        );
        let _ = writeln!(
            s,
            "## Data\n\n{} training rows and {} validation rows for the evaluated model (company-months with an observed 18-month outcome, companies already in procedure or closed excluded), {} features in five topic groups (see `docs/features.md`).\n",
            self.evaluated_fit.train_rows,
            self.evaluated_fit.validation_rows,
            m.features.len()
        );
        s.push_str(&self.shipped());
        s.push_str(&walk_section(self.series, self.summary));
        s.push_str("## Performance of the evaluated model\n\n");
        s.push_str(&headline(m, self.evaluated, self.test));
        if let Some(full) = self.full_set {
            s.push_str(&against_full(m.features.len(), &self.test.summary, full));
        }
        if !self.never_seen.is_empty() {
            s.push_str(&never_seen(m, self.never_seen));
        }
        s.push_str("## By group (test window, 18 months)\n\n");
        s.push_str(&group_table("Sector (NAF section)", &self.test.by_sector));
        s.push_str(&group_table("Size band", &self.test.by_size));
        s.push_str(&group_table("Département", &self.test.by_departement));
        s.push_str("## Limitations\n\n- Trained and measured on the data it was given; on synthetic data (`vigie generate`) the figures describe the generator, not the French economy.\n- Out-of-time figures hold for conditions like those of the test windows; the anchor follows the level of failures with a lag of 7 to 12 months, so a sharp turn of the economy still shifts calibration until it shows in the 6-month outcomes (watch the drift report of the nightly batch and the backtesting of past runs).\n- Companies without filings or employees have fewer features: their scores rest on tax data alone.\n- The score ranks and estimates risk; it is not a judgement on a company. Alerts are a prompt to look, and to offer help, not a decision.\n- Small groups are not reported (fewer than 100 rows or 5 failures).\n");
        s
    }

    /// The training report: headline figures and charts.
    pub fn report(&self, charts: &Charts) -> String {
        let m = self.model;
        let mut s = format!("# Training report: {} {}\n\n", m.name, m.version);
        s.push_str(&self.shipped());
        s.push_str(&walk_section(self.series, self.summary));
        s.push_str("## The evaluated model\n\n");
        s.push_str(&headline(m, self.evaluated, self.test));
        s.push_str("## Charts (test window of the evaluated model, 18 months)\n\n");
        for name in charts.names().filter(|n| !n.starts_with("walk_forward")) {
            let _ = writeln!(s, "![{name}]({name})\n");
        }
        s.push_str("Full metrics: `metrics.json`; the model card: `card.md`.\n");
        s
    }
}

/// What a reduced feature set loses against the full one, on the same test window.
fn against_full(
    features: usize,
    own: &vigie_eval::metrics::Summary,
    full: &vigie_eval::metrics::Summary,
) -> String {
    let f = |x: Option<f64>| x.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"));
    let d = |a: Option<f64>, b: Option<f64>| {
        a.zip(b).map_or_else(|| "n/a".to_owned(), |(a, b)| format!("{:+.3}", a - b))
    };
    format!(
        "### Against the full feature set\n\nThis model uses {features} features: what a company head can enter (`vigie_core::features::SELF_ASSESSMENT`). The full feature set, fitted with the same family, settings and windows, on the same test rows (18 months, companies in procedure excluded):\n\n| features | ROC AUC | average precision |\n|---|---:|---:|\n| this set ({features}) | {} | {} |\n| full catalogue | {} | {} |\n| difference | {} | {} |\n\n",
        f(own.roc_auc),
        f(own.average_precision),
        f(full.roc_auc),
        f(full.average_precision),
        d(own.roc_auc, full.roc_auc),
        d(own.average_precision, full.average_precision),
    )
}

/// The card's section on features the panel had no value of: an absent source.
fn never_seen(m: &ModelFile, names: &[String]) -> String {
    use vigie_core::features::FeatureGroup;
    let in_group = |g: FeatureGroup| m.features.iter().filter(move |f| f.group == Some(g));
    let (mut present, mut absent) = (Vec::new(), Vec::new());
    for g in FeatureGroup::ALL {
        if in_group(g).next().is_none() {
            continue;
        }
        if in_group(g).all(|f| names.contains(&f.name)) {
            absent.push(g.as_str());
        } else {
            present.push(g.as_str());
        }
    }
    let words = |v: &[&str]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    format!(
        "### Sources\n\nThe panel had no value of {} of the {} features: their source was absent or empty, and the model never saw them. It scores rows that carry them without refusing them, having learnt nothing from them. Feature groups with data: {}; without any: {}.\n\nNever seen: {}.\n\n",
        names.len(),
        m.features.len(),
        words(&present),
        words(&absent),
        list.join(", ")
    )
}
