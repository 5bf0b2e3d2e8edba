//! The model lifecycle in time: the windows of a model that knows the data up to a
//! cutoff, the fit of such a model (early stopping, Platt maps, the anchored level, alert
//! thresholds), the walk-forward series of yearly out-of-time windows, and the layout of
//! the production model refitted on the latest labelled data.
//!
//! A model with cutoff `T` (the first month of its test window, or the month after the
//! data for the production model) sees a label of horizon `h` at month `m` only when
//! `m + h < T`: the outcome was known before `T`. Its windows:
//!
//! | window | months | used for |
//! |---|---|---|
//! | training | up to `T − 25`, at most `train_months` | the fit |
//! | validation | `T − 24 ..= T − 19` | early stopping, Platt maps (6, 12, 18 months), thresholds |
//! | term | `T − 30 ..= T − 25` | the 24-month map (see below) |
//! | anchor | `T − 12 ..= T − 7` | the level (see below) |
//!
//! The 24-month outcome of the validation window is not known at `T`; the 24-month map
//! takes the 18-month slope and the 18-month intercept moved by the gap between the
//! observed 24- and 18-month failure rates of the term window (rates only: those rows
//! were trained on, their scores would be in-sample).
//!
//! **The anchor.** Platt maps fitted on the validation window carry its failure rate,
//! which is one to two years old at `T`. Failure rates move with the economy (in France
//! they fell in 2020–2021 under the support measures, then rose past their earlier level
//! in 2023–2024), and a model calibrated in a trough under-predicts the next peak. The
//! 6-month outcomes of `T − 12 ..= T − 7` are known at `T`, a year more recent than the
//! validation window's 18-month ones: the intercepts of every horizon move by the one
//! log-odds shift that makes the mean predicted 6-month probability of those rows equal
//! their observed 6-month failure rate. The shift uses only outcomes known at `T`.

use serde::Serialize;
use sha2::{Digest, Sha256};
use vigie_core::{Horizon, Month};
use vigie_eval::metrics;
use vigie_score::Scorer;
use vigie_score::model::{Calibration, Model, ModelFile, Thresholds, TrainingInfo};

use crate::design::margins_of;
use crate::gbdt::GbdtParams;
use crate::panel::PanelData;
use crate::train::{TrainOptions, fit_model, params_json};
use crate::{Error, Result, calibrate};

/// The name of this lifecycle (windows, hold-out, calibration, anchor), part of every
/// model version: a change of scheme gives new versions even on the same data.
pub const SCHEME: &str =
    "walk-forward/2026-11: hold-out 0.25, Platt on validation, 6-month anchor of 100+ failures";

/// The anchor moves the level only when its window holds at least this many failures
/// among the held-out companies: below, the observed rate is too noisy to be trusted over
/// the validation window's (on the 4,000-company demo panel the anchor window holds about
/// 25 and its shift swung from −0.8 to +0.3 log-odds between cutoffs). The 200k panel has
/// 340 to 470 in every window.
pub const MIN_ANCHOR_FAILURES: usize = 100;

/// Share of the companies held out of training: the validation, calibration and anchor
/// rows are theirs.
pub const HOLDOUT_SHARE: f64 = 0.25;

/// Whether a company is held out of training (a fixed share of companies, by a hash of
/// the pseudonymous id: deterministic, independent of the panel's order). Its rows
/// validate, calibrate and anchor the model and are never trained on. The rows of the
/// other companies are not fit for that: consecutive months of one company look alike,
/// and a company failing after the training window's end is a positive in its last
/// training months and again in the validation months, so a model scores its own
/// training companies' validation rows too confidently. Calibrated on such rows, it
/// under-predicted out of time (mean predicted 0.67 of the observed rate on the 200k
/// panel); early stopping on them never stopped.
#[must_use]
pub fn holds_out(company: &str) -> bool {
    let h = Sha256::digest(company.as_bytes());
    f64::from(u32::from_be_bytes([h[4], h[5], h[6], h[7]])) / f64::from(u32::MAX) < HOLDOUT_SHARE
}

/// Months of the validation window.
pub const VALIDATION_MONTHS: i32 = 6;
/// A walk-forward window needs at least this many months of training rows.
pub const MIN_TRAIN_MONTHS: i32 = 12;
/// Default span of the training window (months): a rolling window of the latest three
/// years. Older relationships weigh less in a changing economy, and the fit time stays
/// that of one three-year window whatever the length of the panel.
pub const DEFAULT_TRAIN_MONTHS: i32 = 36;

/// The windows of a model that knows the data up to `cutoff` (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Layout {
    /// The first month the model does not know.
    pub cutoff: Month,
    /// Training months.
    pub train: (Month, Month),
    /// Validation months (early stopping, Platt maps, thresholds).
    pub validation: (Month, Month),
    /// Term-structure months (the 24-month map).
    pub term: (Month, Month),
    /// Anchor months (the level, from their 6-month outcomes).
    pub anchor: (Month, Month),
}

impl Layout {
    /// The layout at `cutoff` for a panel starting at `first`, with at most `train_months`
    /// training months (0 = all); `None` when fewer than [`MIN_TRAIN_MONTHS`] remain.
    #[must_use]
    pub fn at(cutoff: Month, first: Month, train_months: i32) -> Option<Self> {
        let train_end = cutoff.plus(-25);
        let mut train_start = first;
        if train_months > 0 {
            train_start = train_start.max(train_end.plus(1 - train_months));
        }
        if train_end.since(train_start) + 1 < MIN_TRAIN_MONTHS {
            return None;
        }
        Some(Self {
            cutoff,
            train: (train_start, train_end),
            validation: (cutoff.plus(-24), cutoff.plus(-25 + VALIDATION_MONTHS)),
            term: (cutoff.plus(-30), cutoff.plus(-25)),
            anchor: (cutoff.plus(-12), cutoff.plus(-7)),
        })
    }

    /// Whether the outcome at horizon `h` of a row of `month` was known before the cutoff.
    #[must_use]
    pub fn knows(&self, month: Month, h: Horizon) -> bool {
        month.plus(h.months()) < self.cutoff
    }
}

fn within(m: Month, (a, b): (Month, Month)) -> bool {
    m >= a && m <= b
}

/// The evaluated windows (oldest first) and the production layout.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Walk-forward windows: the layout and the test months (`cutoff ..= end`).
    pub windows: Vec<(Layout, Month)>,
    /// The layout of the model refitted on the latest labelled data.
    pub production: Layout,
}

/// Yearly test windows ending with the last twelve months whose 18-month outcome is
/// observed (or starting at `test_from`), stepping back a year while enough training
/// history remains before the window; and the production layout, whose cutoff is the
/// month after the last observed 18-month outcome (so its validation window is the
/// latest with observed outcomes).
pub fn plan(
    months: &[Month],
    l18: &[Option<bool>],
    test_from: Option<Month>,
    train_months: i32,
) -> Result<Plan> {
    let first = months.iter().min().copied();
    let last = months.iter().zip(l18).filter(|(_, l)| l.is_some()).map(|(m, _)| *m).max();
    let (Some(first), Some(last)) = (first, last) else {
        return Err(Error::Input("the panel has no row with an observed 18-month label".into()));
    };
    let test_from = test_from.unwrap_or(last.plus(-11));
    if test_from > last {
        return Err(Error::Input(format!(
            "--test-from {test_from} is after the last observed month {last}"
        )));
    }
    let Some(newest) = Layout::at(test_from, first, train_months) else {
        return Err(Error::Input(format!(
            "the panel starts in {first}: too late for a test window from {test_from} (training needs {MIN_TRAIN_MONTHS} months before {})",
            test_from.plus(-24)
        )));
    };
    let mut windows = vec![(newest, last)];
    let mut cutoff = test_from;
    while let Some(l) = Layout::at(cutoff.plus(-12), first, train_months) {
        windows.push((l, cutoff.plus(-1)));
        cutoff = cutoff.plus(-12);
    }
    windows.reverse();
    let production = Layout::at(last.plus(19), first, train_months)
        .expect("a later cutoff than a valid one is valid");
    Ok(Plan { windows, production })
}

/// A model fitted at a cutoff, calibrated and anchored.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The model file (calibration anchored, thresholds set); provenance filled in.
    pub file: ModelFile,
    /// The Platt maps before the anchor (the comparison scheme).
    pub platt_only: [[f64; 2]; 4],
    /// The anchor's log-odds shift (`None` when the anchor window holds fewer than
    /// [`MIN_ANCHOR_FAILURES`] failures: the Platt maps are kept).
    pub anchor_shift: Option<f64>,
    /// Trees kept (gbdt).
    pub trees: Option<usize>,
    /// Training rows.
    pub train_rows: usize,
    /// Validation rows.
    pub validation_rows: usize,
}

/// Which companies' rows a window takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Companies {
    /// Those trained on.
    Trained,
    /// Those held out of training.
    HeldOut,
    /// All.
    All,
}

/// Rows of `win` not in procedure whose outcome at `h` was known before the cutoff, of
/// the companies `who`.
fn rows_of(p: &PanelData, l: &Layout, win: (Month, Month), h: usize, who: Companies) -> Vec<usize> {
    let horizon = Horizon::ALL[h];
    (0..p.design.n)
        .filter(|&i| {
            within(p.months[i], win)
                && match who {
                    Companies::Trained => !p.held_out[i],
                    Companies::HeldOut => p.held_out[i],
                    Companies::All => true,
                }
                && !p.in_procedure[i]
                && p.labels[h][i].is_some()
                && l.knows(p.months[i], horizon)
        })
        .collect()
}

fn labels_of(p: &PanelData, h: usize, rows: &[usize]) -> Vec<bool> {
    rows.iter().map(|&i| p.labels[h][i] == Some(true)).collect()
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Fits the model of `layout`: early-stopped on the validation window, or with exactly
/// `iterations` trees (the production refit, no early stopping).
pub(crate) fn fit_at(
    p: &PanelData,
    layout: &Layout,
    opts: &TrainOptions,
    iterations: Option<usize>,
) -> Result<Fitted> {
    let l18 = 2;
    let train_rows = rows_of(p, layout, layout.train, l18, Companies::Trained);
    let valid_rows = rows_of(p, layout, layout.validation, l18, Companies::HeldOut);
    for (name, r) in [("training", &train_rows), ("validation", &valid_rows)] {
        let pos = r.iter().filter(|&&i| p.labels[l18][i] == Some(true)).count();
        if pos == 0 || pos == r.len() {
            return Err(Error::Input(format!(
                "the {name} window of the model with cutoff {} has no failure or only failures ({} rows)",
                layout.cutoff,
                r.len()
            )));
        }
    }
    tracing::info!(
        cutoff = %layout.cutoff,
        train = train_rows.len(),
        validation = valid_rows.len(),
        "fitting"
    );
    if let Some(dir) = &opts.fit_rows {
        let refit = if iterations.is_some() { "-refit" } else { "" };
        write_rows(
            &dir.join(format!("fit-{}{refit}.csv", layout.cutoff)),
            &[("train", &train_rows), ("validation", &valid_rows)],
            &p.labels[l18],
        )?;
    }
    let y = |rows: &[usize]| -> Vec<f64> {
        rows.iter().map(|&i| f64::from(u8::from(p.labels[l18][i] == Some(true)))).collect()
    };
    let yt = y(&train_rows);
    let yv = y(&valid_rows);
    let gbdt = GbdtParams {
        seed: opts.seed,
        iterations: iterations.map_or(opts.gbdt.iterations, |n| n.div_ceil(opts.gbdt.bags).max(1)),
        early_stopping_rounds: if iterations.is_some() {
            None
        } else {
            opts.gbdt.early_stopping_rounds
        },
        ..opts.gbdt.clone()
    };
    // Both families read the panel's rows where they are. The data fingerprint is hashed
    // beside the fit: SHA-256 runs on one core, the fit's tasks fill the other. So the hash's
    // buffers live during the fit, the `fitted` log's seconds are the longer of the two,
    // and a fit that fails waits for the hash to end.
    let started = std::time::Instant::now();
    let (model, data_fingerprint) = rayon::join(
        || {
            fit_model(
                opts.family,
                &gbdt,
                &opts.logistic,
                &p.design,
                &train_rows,
                &yt,
                Some((&valid_rows, &yv)),
            )
        },
        || crate::seen::fingerprint(p, layout),
    );
    let model = model?;
    let trees = match &model {
        Model::Gbdt(e) => Some(e.trees.len()),
        Model::Logistic(_) => None,
    };
    tracing::info!(cutoff = %layout.cutoff, trees, seconds = started.elapsed().as_secs_f64(), "fitted");
    let mut file = crate::bare(p.design.features.clone(), model);
    let raw = Scorer::in_model_order(file.clone());

    // Platt maps at 6, 12 and 18 months on the validation window (its margins computed
    // once: the rows with a known 18-month outcome have known shorter ones too).
    let mv = margins_of(&raw, &p.design, &valid_rows);
    let mut platt = [[1.0, 0.0]; 4];
    for (h, map) in platt.iter_mut().enumerate().take(3) {
        let rows = rows_of(p, layout, layout.validation, h, Companies::HeldOut);
        let s: Vec<f64> =
            if rows == valid_rows { mv.clone() } else { margins_of(&raw, &p.design, &rows) };
        *map = calibrate::platt(&s, &labels_of(p, h, &rows));
    }
    // 24 months: the 18-month map moved by the observed gap between the horizons.
    let term18 = rows_of(p, layout, layout.term, 2, Companies::All);
    let term24 = rows_of(p, layout, layout.term, 3, Companies::All);
    let rate = |h: usize, rows: &[usize]| {
        let pos = labels_of(p, h, rows).iter().filter(|&&b| b).count() as f64;
        (pos + 0.5) / (rows.len() as f64 + 1.0)
    };
    let gap = if term24.is_empty() || term18.is_empty() {
        0.0
    } else {
        (logit(rate(3, &term24)) - logit(rate(2, &term18))).max(0.0)
    };
    platt[3] = [platt[2][0], platt[2][1] + gap];

    // Thresholds on the validation window's Platt probabilities.
    file.calibration = Calibration { platt, fitted_on: String::new() };
    let calibrated = Scorer::in_model_order(file.clone());
    let pv: Vec<f64> = mv.iter().map(|&m| calibrated.calibrate(m).p.alert()).collect();
    let alerts = calibrate::alert_thresholds(&pv, &labels_of(p, l18, &valid_rows))
        .ok_or_else(|| Error::Input("no failure in the validation window".into()))?;
    file.thresholds = Thresholds { red: alerts.red.threshold, orange: alerts.orange.threshold };

    // The anchor: one shift of every intercept, from the latest known 6-month outcomes.
    let anchor_rows = rows_of(p, layout, layout.anchor, 0, Companies::HeldOut);
    let ma = margins_of(&raw, &p.design, &anchor_rows);
    let anchor_labels = labels_of(p, 0, &anchor_rows);
    let anchor_failures = anchor_labels.iter().filter(|&&b| b).count();
    let anchor_shift = (anchor_failures >= MIN_ANCHOR_FAILURES)
        .then(|| anchor_failures as f64 / anchor_rows.len() as f64)
        .and_then(|rate| calibrate::level_shift(&ma, rate, platt[0]));
    let mean_p = |s: &[f64], [a, b]: [f64; 2]| {
        s.iter().map(|&m| 1.0 / (1.0 + (-(a * m + b)).exp())).sum::<f64>() / s.len().max(1) as f64
    };
    tracing::info!(
        cutoff = %layout.cutoff,
        validation_rate_6m = labels_of(p, 0, &valid_rows).iter().filter(|&&b| b).count() as f64
            / valid_rows.len().max(1) as f64,
        validation_predicted_6m = mean_p(&mv, platt[0]),
        anchor_rows = anchor_rows.len(),
        anchor_rate_6m = anchor_labels.iter().filter(|&&b| b).count() as f64
            / anchor_rows.len().max(1) as f64,
        anchor_predicted_6m = mean_p(&ma, platt[0]),
        shift = anchor_shift,
        "anchor"
    );
    let mut anchored = platt;
    if let Some(d) = anchor_shift {
        for map in &mut anchored {
            map[1] += d;
        }
    }
    file.calibration = Calibration {
        platt: anchored,
        fitted_on: format!(
            "Platt maps on {}..{} (24 months: the 18-month map and the observed 24/18-month gap of {}..{}); level anchored on the 6-month outcomes of {}..{} ({})",
            layout.validation.0,
            layout.validation.1,
            layout.term.0,
            layout.term.1,
            layout.anchor.0,
            layout.anchor.1,
            anchor_shift.map_or_else(
                || format!(
                    "{anchor_failures} failures there, fewer than {MIN_ANCHOR_FAILURES}: not moved"
                ),
                |d| format!("{d:+.4} log-odds")
            )
        ),
    };
    // The parameters the fit really used (a refit: its number of trees, no early stopping).
    let params = params_json(opts.family, &gbdt, &opts.logistic);
    file.training = TrainingInfo {
        train_window: [layout.train.0.to_string(), layout.train.1.to_string()],
        validation_window: [layout.validation.0.to_string(), layout.validation.1.to_string()],
        test_window: [String::new(), String::new()],
        data_fingerprint,
        seed: opts.seed,
        code_version: format!("vigie-train {}", env!("CARGO_PKG_VERSION")),
        params,
    };
    Ok(Fitted {
        file,
        platt_only: platt,
        anchor_shift,
        trees,
        train_rows: train_rows.len(),
        validation_rows: valid_rows.len(),
    })
}

/// One walk-forward window: the contract of `metrics.json` (`walk_forward`).
#[derive(Debug, Clone, Serialize)]
pub struct WalkRow {
    /// First test month.
    pub test_from: String,
    /// Last test month.
    pub test_to: String,
    /// The model's training months.
    pub train_from: String,
    /// See `train_from`.
    pub train_to: String,
    /// Trees kept by early stopping (gbdt).
    pub trees: Option<usize>,
    /// Test rows (18-month outcome observed, companies in procedure excluded).
    pub rows: usize,
    /// Failures within 18 months among them.
    pub failures: usize,
    /// ROC AUC of the 18-month probability.
    pub roc_auc: Option<f64>,
    /// Average precision.
    pub average_precision: Option<f64>,
    /// Brier score.
    pub brier: Option<f64>,
    /// Expected calibration error (10 bins).
    pub ece: Option<f64>,
    /// Mean predicted 18-month probability (calibration-in-the-large, with the anchor).
    pub mean_predicted: f64,
    /// Observed 18-month failure rate.
    pub observed_rate: f64,
    /// The anchor's log-odds shift.
    pub anchor_shift: Option<f64>,
    /// Red alerts on the test window.
    pub red: LevelRow,
    /// Orange-or-red alerts on the test window.
    pub orange: LevelRow,
    /// The same model with today's Platt-only calibration (no anchor), for comparison.
    pub platt_only: PlattOnly,
}

/// Alerts of one level in a window.
#[derive(Debug, Clone, Serialize)]
pub struct LevelRow {
    /// Threshold on the 18-month probability.
    pub threshold: f64,
    /// Companies flagged at this level or above.
    pub flagged: usize,
    /// Precision.
    pub precision: Option<f64>,
    /// Recall.
    pub recall: Option<f64>,
}

/// The Platt-only figures of a window.
#[derive(Debug, Clone, Serialize)]
pub struct PlattOnly {
    /// Mean predicted 18-month probability.
    pub mean_predicted: f64,
    /// Brier score.
    pub brier: Option<f64>,
    /// Expected calibration error.
    pub ece: Option<f64>,
}

/// Writes rows of the panel as CSV (`row,role,label`: row number, `role`, 18-month label
/// as 0/1), for `vigie train --fit-rows`.
pub(crate) fn write_rows(
    path: &std::path::Path,
    parts: &[(&str, &[usize])],
    labels: &[Option<bool>],
) -> Result<()> {
    use std::io::Write;
    let io = |source| Error::Io { path: path.to_owned(), source };
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    writeln!(w, "row,role,label").map_err(io)?;
    for (role, rows) in parts {
        for &i in *rows {
            writeln!(w, "{i},{role},{}", u8::from(labels[i] == Some(true))).map_err(io)?;
        }
    }
    w.flush().map_err(io)
}

/// Test rows of a window: months `from ..= to`, 18-month outcome observed, not in procedure.
pub(crate) fn test_rows(p: &PanelData, from: Month, to: Month) -> Vec<usize> {
    (0..p.design.n)
        .filter(|&i| {
            within(p.months[i], (from, to)) && p.labels[2][i].is_some() && !p.in_procedure[i]
        })
        .collect()
}

/// Measures a fitted model on its test window.
pub(crate) fn measure(p: &PanelData, layout: &Layout, to: Month, fitted: &Fitted) -> WalkRow {
    let rows = test_rows(p, layout.cutoff, to);
    let scorer = Scorer::in_model_order(fitted.file.clone());
    let m = margins_of(&scorer, &p.design, &rows);
    let y = labels_of(p, 2, &rows);
    let probs: Vec<f64> = m.iter().map(|&v| scorer.calibrate(v).p.alert()).collect();
    let [a, b] = fitted.platt_only[2];
    let plain: Vec<f64> = m.iter().map(|&v| 1.0 / (1.0 + (-(a * v + b)).exp())).collect();
    let mean = |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
    let failures = y.iter().filter(|&&b| b).count();
    let level = |t: f64| {
        let c = metrics::confusion_at(&probs, &y, t);
        LevelRow {
            threshold: t,
            flagged: c.flagged(),
            precision: c.precision(),
            recall: c.recall(),
        }
    };
    WalkRow {
        test_from: layout.cutoff.to_string(),
        test_to: to.to_string(),
        train_from: layout.train.0.to_string(),
        train_to: layout.train.1.to_string(),
        trees: fitted.trees,
        rows: rows.len(),
        failures,
        roc_auc: metrics::roc_auc(&probs, &y),
        average_precision: metrics::average_precision(&probs, &y),
        brier: metrics::brier(&probs, &y),
        ece: metrics::expected_calibration_error(&probs, &y, 10),
        mean_predicted: mean(&probs),
        observed_rate: if rows.is_empty() { 0.0 } else { failures as f64 / rows.len() as f64 },
        anchor_shift: fitted.anchor_shift,
        red: level(fitted.file.thresholds.red),
        orange: level(fitted.file.thresholds.orange),
        platt_only: PlattOnly {
            mean_predicted: mean(&plain),
            brier: metrics::brier(&plain, &y),
            ece: metrics::expected_calibration_error(&plain, &y, 10),
        },
    }
}

/// Mean, smallest and largest value of the windows where a metric is defined.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// Standard deviation (population).
    pub sd: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; `None` when empty.
    #[must_use]
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(Self { mean, sd, min, max })
    }
}

/// The series' summary: the spread of each headline figure over the windows.
#[derive(Debug, Clone, Serialize)]
pub struct WalkSummary {
    /// Windows.
    pub windows: usize,
    /// ROC AUC.
    pub roc_auc: Option<Spread>,
    /// Average precision.
    pub average_precision: Option<Spread>,
    /// `mean_predicted / observed_rate` with the anchor.
    pub ratio: Option<Spread>,
    /// The median of that ratio.
    pub ratio_median: Option<f64>,
    /// `mean_predicted / observed_rate` with Platt maps only.
    pub platt_only_ratio: Option<Spread>,
    /// The median of that ratio.
    pub platt_only_ratio_median: Option<f64>,
    /// Precision of red alerts.
    pub red_precision: Option<Spread>,
    /// Precision of orange-or-red alerts.
    pub orange_precision: Option<Spread>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { f64::midpoint(v[n / 2 - 1], v[n / 2]) })
}

impl WalkSummary {
    /// Summarises a series.
    #[must_use]
    pub fn of(rows: &[WalkRow]) -> Self {
        let pick = |f: &dyn Fn(&WalkRow) -> Option<f64>| -> Vec<f64> {
            rows.iter().filter_map(f).collect()
        };
        let ratio = pick(&|r| (r.observed_rate > 0.0).then(|| r.mean_predicted / r.observed_rate));
        let plain = pick(&|r| {
            (r.observed_rate > 0.0).then(|| r.platt_only.mean_predicted / r.observed_rate)
        });
        Self {
            windows: rows.len(),
            roc_auc: Spread::of(&pick(&|r| r.roc_auc)),
            average_precision: Spread::of(&pick(&|r| r.average_precision)),
            ratio: Spread::of(&ratio),
            ratio_median: median(ratio),
            platt_only_ratio: Spread::of(&plain),
            platt_only_ratio_median: median(plain),
            red_precision: Spread::of(&pick(&|r| r.red.precision)),
            orange_precision: Spread::of(&pick(&|r| r.orange.precision)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn a_layout_knows_only_outcomes_before_its_cutoff() {
        let l = Layout::at(m("2023-06"), m("2018-02"), 36).unwrap();
        assert_eq!(l.train, (m("2018-06"), m("2021-05")));
        assert_eq!(l.validation, (m("2021-06"), m("2021-11")));
        assert_eq!(l.term, (m("2020-12"), m("2021-05")));
        assert_eq!(l.anchor, (m("2022-06"), m("2022-11")));
        // The last validation month's 18-month outcome ends in 2023-05: known.
        assert!(l.knows(m("2021-11"), Horizon::M18));
        assert!(!l.knows(m("2021-12"), Horizon::M18));
        assert!(l.knows(m("2022-11"), Horizon::M6));
        assert!(!l.knows(m("2022-12"), Horizon::M6));
        // Too little history before the window.
        assert!(Layout::at(m("2020-06"), m("2018-02"), 36).is_none());
        assert_eq!(Layout::at(m("2023-06"), m("2018-02"), 0).unwrap().train.0, m("2018-02"));
    }

    #[test]
    fn the_plan_steps_back_a_year_while_history_allows() {
        // A quarterly panel 2018-02 ..= 2025-11; 18-month outcomes observed to 2024-05.
        let months: Vec<Month> = (0..32).map(|q| m("2018-02").plus(3 * q)).collect();
        let l18: Vec<Option<bool>> =
            months.iter().map(|&x| (x <= m("2024-05")).then_some(false)).collect();
        let plan = plan(&months, &l18, None, 36).unwrap();
        let tests: Vec<(String, String)> =
            plan.windows.iter().map(|(l, to)| (l.cutoff.to_string(), to.to_string())).collect();
        assert_eq!(
            tests,
            [("2021-06", "2022-05"), ("2022-06", "2023-05"), ("2023-06", "2024-05")]
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        // The production model: validation on the latest observed outcomes, training up to
        // 24 months before the panel's last month.
        assert_eq!(plan.production.validation, (m("2023-12"), m("2024-05")));
        assert_eq!(plan.production.train.1, m("2023-11"));
        assert!(m("2025-11").since(plan.production.train.1) <= 24);
    }

    #[test]
    fn spread_and_median() {
        let s = Spread::of(&[1.0, 2.0, 4.0]).unwrap();
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert!((s.mean - 7.0 / 3.0).abs() < 1e-12);
        assert_eq!(median(vec![3.0, 1.0, 2.0, 10.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
