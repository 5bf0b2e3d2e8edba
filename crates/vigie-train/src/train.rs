//! Training on a panel (`vigie train`): the walk-forward series of out-of-time windows
//! (`walk`), the full evaluation of the last window's model (metrics with breakdowns,
//! the in-procedure view, the grouped-by-company view, the capacity mode), the shipped
//! model refitted on the latest labelled data, and the versioned artifact.
//!
//! The test window of the evaluated model is the last twelve months whose 18-month label
//! is observed (or from `--test-from`); each earlier window is a year before the next.
//! Early stopping, calibration and thresholds of a window's model use only what was known
//! before its test window; each test window is touched once, to measure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use vigie_core::features::FeatureSet;
use vigie_core::{Horizon, Month};
use vigie_data::tabular::{self, Texts};
use vigie_eval::metrics::{self, GroupRow, Summary};
use vigie_score::Scorer;
use vigie_score::model::ModelFile;

use crate::design::{Design, margins_of, pick};
use crate::gbdt::GbdtParams;
use crate::logistic::LogisticParams;
use crate::panel::{PanelData, never_seen, read_panel};
use crate::report;
use crate::walk::{self, Fitted, Layout, WalkRow, WalkSummary};
use crate::{Error, Family, Result, folds};

/// Smallest breakdown cell shown (rows), and its smallest number of failures: smaller
/// cells are suppressed (privacy and noise).
pub const MIN_CELL_ROWS: usize = 100;
/// See [`MIN_CELL_ROWS`].
pub const MIN_CELL_POSITIVES: usize = 5;
/// Rows used at most by the grouped k-fold view (a sample of whole companies).
pub const CV_MAX_ROWS: usize = 400_000;

/// What to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Model family.
    pub family: Family,
    /// Model name (the folder under the output root).
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// First month of the test window.
    pub test_from: Option<Month>,
    /// Folds of the grouped-by-company cross-validation view (0 = skip).
    pub cv_folds: usize,
    /// Gradient-boosting hyperparameters.
    pub gbdt: GbdtParams,
    /// Logistic hyperparameters.
    pub logistic: LogisticParams,
    /// Ship a model refitted on the latest labelled data (the default); `false` ships the
    /// evaluated model of the last walk-forward window (research).
    pub refit: bool,
    /// Months of the rolling training window (0 = every month available).
    pub train_months: i32,
    /// The features trained on: the full catalogue, or what a company head can enter
    /// (`self`: its card then compares it with the full set on the same test window).
    pub feature_set: FeatureSet,
    /// A directory to write the rows of every fit into (panel row numbers, role, label):
    /// what a peer needs to fit exactly the same rows (`benches/train.sh`).
    pub fit_rows: Option<std::path::PathBuf>,
}

/// The windows of the evaluated model.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Windows {
    /// Training months.
    pub train: (Month, Month),
    /// Validation months.
    pub validation: (Month, Month),
    /// Test months.
    pub test: (Month, Month),
}

/// Test metrics of a model: the numbers of the model card.
#[derive(Debug, Clone, Serialize)]
pub struct TestMetrics {
    /// 18-month summary on the test window (companies in procedure excluded).
    pub summary: Summary,
    /// Per horizon (6, 12, 18, 24 months): ROC AUC, Brier score, calibration error.
    pub horizons: Vec<HorizonMetrics>,
    /// Red and orange alerts on the test window.
    pub alerts: BTreeMap<String, AlertMetrics>,
    /// Breakdowns of the 18-month test metrics.
    pub by_sector: Vec<GroupRow>,
    /// By size band.
    pub by_size: Vec<GroupRow>,
    /// By département.
    pub by_departement: Vec<GroupRow>,
    /// The same summary with companies already in procedure kept in the test rows, when
    /// the panel has them (the optimistic view of tools that do not exclude them).
    pub with_in_procedure: Option<Summary>,
    /// Grouped-by-company k-fold on the pre-test months (the random-split view).
    pub grouped_cv: Option<CvView>,
    /// Capacity mode: the N riskiest companies of each département, each month of the
    /// test window, and how many of them fail within 18 months.
    pub capacity: Vec<CapacityRow>,
}

/// One capacity setting of the test window.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityRow {
    /// Companies listed per département and month, at most.
    pub per_departement: usize,
    /// Companies listed per month, on average.
    pub listed_per_month: f64,
    /// Share of listed companies that fail within 18 months.
    pub precision: Option<f64>,
    /// Share of the failures of the window that were listed.
    pub recall: Option<f64>,
}

/// The capacity rows for lists of `sizes` companies per département and month.
fn capacity(
    months: &[Month],
    deps: &[&str],
    probs: &[f64],
    labels: &[bool],
    sizes: &[usize],
) -> Vec<CapacityRow> {
    let mut cells: BTreeMap<(Month, &str), Vec<usize>> = BTreeMap::new();
    for i in 0..probs.len() {
        cells.entry((months[i], deps[i])).or_default().push(i);
    }
    for rows in cells.values_mut() {
        // Riskiest first; ties broken by row order, so lists are deterministic.
        rows.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    }
    let n_months =
        cells.keys().map(|k| k.0).collect::<std::collections::BTreeSet<_>>().len().max(1);
    let positives = labels.iter().filter(|&&l| l).count();
    sizes
        .iter()
        .map(|&n| {
            let (mut listed, mut hits) = (0usize, 0usize);
            for rows in cells.values() {
                for &i in rows.iter().take(n) {
                    listed += 1;
                    hits += usize::from(labels[i]);
                }
            }
            CapacityRow {
                per_departement: n,
                listed_per_month: listed as f64 / n_months as f64,
                precision: (listed > 0).then(|| hits as f64 / listed as f64),
                recall: (positives > 0).then(|| hits as f64 / positives as f64),
            }
        })
        .collect()
}

/// Metrics of one horizon.
#[derive(Debug, Clone, Serialize)]
pub struct HorizonMetrics {
    /// The horizon (`6m` … `24m`).
    pub horizon: String,
    /// Test rows with the horizon observed.
    pub rows: usize,
    /// ROC AUC.
    pub roc_auc: Option<f64>,
    /// Brier score.
    pub brier: Option<f64>,
    /// Expected calibration error.
    pub ece: Option<f64>,
    /// Mean predicted probability at this horizon (calibration-in-the-large).
    pub mean_predicted: Option<f64>,
    /// Observed failure rate at this horizon.
    pub observed_rate: Option<f64>,
}

/// Metrics of an alert level on the test window.
#[derive(Debug, Clone, Serialize)]
pub struct AlertMetrics {
    /// Threshold on the 18-month probability.
    pub threshold: f64,
    /// Companies flagged (at this level or above).
    pub flagged: usize,
    /// Precision.
    pub precision: Option<f64>,
    /// Recall.
    pub recall: Option<f64>,
    /// F0.5.
    pub f05: Option<f64>,
    /// F2.
    pub f2: Option<f64>,
}

/// The random-split view.
#[derive(Debug, Clone, Serialize)]
pub struct CvView {
    /// Folds.
    pub folds: usize,
    /// Rows used.
    pub rows: usize,
    /// Mean ROC AUC over the folds where it is defined.
    pub roc_auc: Option<f64>,
    /// Mean average precision.
    pub average_precision: Option<f64>,
}

/// What `vigie train` produced.
#[derive(Debug, Clone, Serialize)]
pub struct TrainOutcome {
    /// The artifact directory, `out/NAME/VERSION`.
    pub dir: PathBuf,
    /// The report.
    pub report: PathBuf,
    /// Model version.
    pub version: String,
    /// Windows.
    pub windows: Windows,
    /// Test metrics.
    pub metrics: TestMetrics,
    /// Trees of the shipped model (gbdt).
    pub trees: Option<usize>,
    /// The walk-forward series, oldest window first.
    pub walk_forward: Vec<WalkRow>,
    /// Its spread.
    pub walk_forward_summary: WalkSummary,
    /// The models of the walk-forward windows (not written: the series is their record).
    #[serde(skip)]
    pub window_models: Vec<ModelFile>,
    /// The shipped model's windows when it was refitted.
    pub production: Option<WindowsText>,
}

/// What `metrics.json` holds: the evaluated model's test figures, the walk-forward series
/// and the windows of the shipped model.
#[derive(Serialize)]
struct MetricsFile<'a> {
    #[serde(flatten)]
    test: &'a TestMetrics,
    walk_forward: &'a [WalkRow],
    walk_forward_summary: &'a WalkSummary,
    evaluated: WindowsText,
    production: Option<WindowsText>,
    /// The feature set, when not the full one (`self`).
    #[serde(skip_serializing_if = "Option::is_none")]
    feature_set: Option<&'static str>,
    /// For a reduced set: the full feature set's 18-month test summary, same windows.
    #[serde(skip_serializing_if = "Option::is_none")]
    full_feature_set: Option<&'a Summary>,
    /// Features without any value in the panel (their source was absent or empty): the
    /// model never saw them.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    never_seen: &'a [String],
}

/// Windows of a model, months as `YYYY-MM`.
#[derive(Debug, Clone, Serialize)]
pub struct WindowsText {
    /// First training month.
    pub train_from: String,
    /// Last training month.
    pub train_to: String,
    /// First month of the calibration (validation) window.
    pub calibration_from: String,
    /// Last month of the calibration window.
    pub calibration_to: String,
    /// First month of the anchor window (6-month outcomes).
    pub anchor_from: String,
    /// Last month of the anchor window.
    pub anchor_to: String,
    /// Trees (gbdt).
    pub trees: Option<usize>,
    /// The anchor's log-odds shift of the 18-month map; null when the level was left at
    /// the calibration window's (fewer than 100 failures to anchor on).
    pub anchor_shift: Option<f64>,
    /// Training rows.
    pub train_rows: usize,
    /// Validation rows.
    pub validation_rows: usize,
}

impl WindowsText {
    fn of(l: &Layout, f: &Fitted) -> Self {
        Self {
            train_from: l.train.0.to_string(),
            train_to: l.train.1.to_string(),
            calibration_from: l.validation.0.to_string(),
            calibration_to: l.validation.1.to_string(),
            anchor_from: l.anchor.0.to_string(),
            anchor_to: l.anchor.1.to_string(),
            trees: f.trees,
            anchor_shift: f.anchor_shift,
            train_rows: f.train_rows,
            validation_rows: f.validation_rows,
        }
    }
}

/// A version: a short hash of the parts that determine a model.
/// The parts of a version, with the feature set when it is not the full one (so that full
/// models keep the versions they had before feature sets existed).
fn with_set<'a>(parts: &[&'a str], set: FeatureSet) -> Vec<&'a str> {
    let mut v = parts.to_vec();
    if set != FeatureSet::Full {
        v.push(set.as_str());
    }
    v
}

fn version_of(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("v{}", tabular::hex(&h.finalize()[..6]))
}

/// Trains on the panel at `panel` and writes the artifact under `out_root/NAME/VERSION`:
/// the walk-forward series (a model per yearly out-of-time window, each fitted only on
/// what was known before it), the full evaluation of the last window's model, then the
/// shipped model, refitted on the latest labelled data with the evaluated settings and
/// number of trees (unless `refit` is off).
pub fn train(panel: &Path, out_root: &Path, opts: &TrainOptions) -> Result<TrainOutcome> {
    train_with_progress(panel, out_root, opts, &|_| {})
}

/// Where a training is: about to start step `step` of `of` (each fit, the evaluation, the
/// writing of the artifact), `what` in words. Steps are not of equal length: a walk-forward
/// window's fit grows with its rows, the evaluation holds the grouped cross-validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// This step, from 1.
    pub step: usize,
    /// Steps in all.
    pub of: usize,
    /// What it does.
    pub what: String,
}

/// [`train`], telling `on` each step as it starts (what `vigie train` shows as a progress
/// bar, or as log lines when its output is not a terminal).
pub fn train_with_progress(
    panel: &Path,
    out_root: &Path,
    opts: &TrainOptions,
    on: &dyn Fn(Step),
) -> Result<TrainOutcome> {
    let step = std::cell::Cell::new(0);
    let total = std::cell::Cell::new(1);
    let start = |what: String| {
        step.set(step.get() + 1);
        on(Step { step: step.get(), of: total.get().max(step.get()), what });
    };
    // A reduced feature set is compared with the full one: the same family, settings and
    // windows (the plan depends on the rows only), fitted on every feature (the
    // administrations' model), on the same test rows. First, so that the two panels are
    // never in memory together.
    let full_set = match opts.feature_set {
        FeatureSet::Full => None,
        FeatureSet::SelfAssessment => {
            start("the full feature set on the last window, for comparison".into());
            Some(full_set_summary(panel, opts)?)
        }
    };
    start("reading the panel".into());
    let p = read_panel(panel, opts.feature_set)?;
    let never_seen = never_seen(&p.design);
    if !never_seen.is_empty() {
        tracing::warn!(
            features = never_seen.len(),
            "features without any value in the panel (an absent source): the model never sees them"
        );
    }
    let plan = walk::plan(&p.months, &p.labels[2], opts.test_from, opts.train_months)?;
    if let Some(dir) = &opts.fit_rows {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
        let names: Vec<&str> = p.design.features.iter().map(|f| f.name.as_str()).collect();
        let path = dir.join("features.txt");
        std::fs::write(&path, names.join("\n") + "\n")
            .map_err(|source| Error::Io { path, source })?;
    }
    let fingerprint = tabular::fingerprint(panel)?;
    let seeded = GbdtParams { seed: opts.seed, ..opts.gbdt.clone() };
    let params = params_json(opts.family, &seeded, &opts.logistic).to_string();
    let code_version = format!("vigie-train {}", env!("CARGO_PKG_VERSION"));

    let mut series = Vec::new();
    let mut window_models = Vec::new();
    let mut evaluated = None;
    // The steps left: each window, the evaluation, the refit, the artifact.
    total.set(step.get() + plan.windows.len() + 1 + usize::from(opts.refit) + 1);
    for (k, (layout, to)) in plan.windows.iter().enumerate() {
        start(format!(
            "walk-forward window {} of {} (tested from {})",
            k + 1,
            plan.windows.len(),
            layout.cutoff
        ));
        let mut fitted = walk::fit_at(&p, layout, opts, None)?;
        fitted.file.name = format!("{}-walk-forward", opts.name);
        fitted.file.training.test_window = [layout.cutoff.to_string(), to.to_string()];
        fitted.file.version = version_of(&with_set(
            &[
                &fitted.file.training.data_fingerprint,
                opts.family.as_str(),
                &params,
                &format!("{layout:?}"),
                &code_version,
                walk::SCHEME,
                crate::FITTERS,
            ],
            opts.feature_set,
        ));
        let row = walk::measure(&p, layout, *to, &fitted);
        tracing::info!(
            test_from = %row.test_from,
            roc_auc = row.roc_auc,
            mean_predicted = row.mean_predicted,
            observed_rate = row.observed_rate,
            "walk-forward window"
        );
        series.push(row);
        window_models.push(fitted.file.clone());
        evaluated = Some((*layout, *to, fitted));
    }
    let (elayout, eto, efit) = evaluated.expect("a plan has at least one window");
    let w = Windows {
        train: elayout.train,
        validation: elayout.validation,
        test: (elayout.cutoff, eto),
    };
    let summary = WalkSummary::of(&series);
    if let Some(dir) = &opts.fit_rows {
        let rows = walk::test_rows(&p, w.test.0, w.test.1);
        walk::write_rows(&dir.join("test.csv"), &[("test", &rows)], &p.labels[2])?;
    }

    // The full evaluation of the last window's model (the model card's figures).
    start(if opts.cv_folds >= 2 {
        format!(
            "evaluation of the last window's model, with {}-fold grouped cross-validation",
            opts.cv_folds
        )
    } else {
        "evaluation of the last window's model".into()
    });
    let (test_metrics, p18, y18) = evaluate(&p, &w, &efit.file, opts)?;

    // The shipped model.
    let (layout, mut shipped) = if opts.refit {
        start("the shipped model, refitted on the latest labelled data".into());
        let iterations = match opts.family {
            Family::Gbdt => efit.trees,
            Family::Logistic => None,
        };
        (plan.production, walk::fit_at(&p, &plan.production, opts, iterations)?)
    } else {
        (elayout, efit.clone())
    };
    let version = version_of(&with_set(
        &[
            &fingerprint,
            opts.family.as_str(),
            &params,
            &opts.seed.to_string(),
            &format!("{layout:?} {w:?} refit={}", opts.refit),
            &code_version,
            walk::SCHEME,
            crate::FITTERS,
        ],
        opts.feature_set,
    ));
    shipped.file.name.clone_from(&opts.name);
    shipped.file.version.clone_from(&version);
    shipped.file.training.data_fingerprint = fingerprint;
    shipped.file.training.test_window = [w.test.0.to_string(), w.test.1.to_string()];
    let file = shipped.file.clone();
    let production = opts.refit.then(|| WindowsText::of(&plan.production, &shipped));

    // The artifact.
    start("writing the artifact".into());
    let dir = out_root.join(&opts.name).join(&version);
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
    let write = |name: &str, text: &str| -> Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| Error::Io { path, source })
    };
    write("model.json", &file.to_json())?;
    let metrics_file = MetricsFile {
        test: &test_metrics,
        walk_forward: &series,
        walk_forward_summary: &summary,
        evaluated: WindowsText::of(&elayout, &efit),
        production: production.clone(),
        feature_set: (opts.feature_set != FeatureSet::Full).then(|| opts.feature_set.as_str()),
        full_feature_set: full_set.as_ref(),
        never_seen: &never_seen,
    };
    write(
        "metrics.json",
        &(serde_json::to_string_pretty(&metrics_file).expect("metrics serialise") + "\n"),
    )?;
    let charts = report::Charts::new(&p18, &y18, &series);
    charts.write(&dir)?;
    let card = report::Card {
        model: &file,
        evaluated: &w,
        evaluated_fit: &efit,
        test: &test_metrics,
        series: &series,
        summary: &summary,
        production: production.as_ref(),
        full_set: full_set.as_ref(),
        never_seen: &never_seen,
    };
    write("card.md", &card.card())?;
    write("report.md", &card.report(&charts))?;
    Ok(TrainOutcome {
        report: dir.join("report.md"),
        dir,
        version,
        windows: w,
        metrics: test_metrics,
        trees: shipped.trees,
        walk_forward: series,
        walk_forward_summary: summary,
        window_models,
        production,
    })
}

/// The 18-month test summary of the full feature set fitted on the last walk-forward
/// window with `opts`' family and settings.
fn full_set_summary(panel: &Path, opts: &TrainOptions) -> Result<Summary> {
    let full = read_panel(panel, FeatureSet::Full)?;
    let plan = walk::plan(&full.months, &full.labels[2], opts.test_from, opts.train_months)?;
    let &(layout, to) = plan.windows.last().expect("a plan has at least one window");
    let full_opts = TrainOptions { feature_set: FeatureSet::Full, ..opts.clone() };
    let fitted = walk::fit_at(&full, &layout, &full_opts, None)?;
    let w =
        Windows { train: layout.train, validation: layout.validation, test: (layout.cutoff, to) };
    Ok(evaluate(&full, &w, &fitted.file, &full_opts)?.0.summary)
}

/// The full evaluation of a calibrated model on its test window; also returns the
/// 18-month probabilities and outcomes of the charts.
fn evaluate(
    p: &PanelData,
    w: &Windows,
    file: &ModelFile,
    opts: &TrainOptions,
) -> Result<(TestMetrics, Vec<f64>, Vec<bool>)> {
    let l18 = &p.labels[2];
    let within = |i: usize, (a, b): (Month, Month)| p.months[i] >= a && p.months[i] <= b;
    let scorer = Scorer::in_model_order(file.clone());
    let test_all: Vec<usize> = (0..p.design.n).filter(|&i| within(i, w.test)).collect();
    let mt = margins_of(&scorer, &p.design, &test_all);
    let scores: Vec<vigie_score::Score> = mt.iter().map(|&m| scorer.calibrate(m)).collect();
    let keep: Vec<usize> = (0..test_all.len()).filter(|&k| !p.in_procedure[test_all[k]]).collect();
    let observed18: Vec<usize> =
        keep.iter().copied().filter(|&k| l18[test_all[k]].is_some()).collect();
    let p18: Vec<f64> = observed18.iter().map(|&k| scores[k].p.alert()).collect();
    let y18: Vec<bool> = observed18.iter().map(|&k| l18[test_all[k]] == Some(true)).collect();
    let summary = metrics::summarize(&p18, &y18);
    let mut horizons = Vec::new();
    for (h, horizon) in Horizon::ALL.iter().enumerate() {
        let (ph, yh): (Vec<f64>, Vec<bool>) = keep
            .iter()
            .filter_map(|&k| p.labels[h][test_all[k]].map(|y| (scores[k].p[Horizon::ALL[h]], y)))
            .unzip();
        horizons.push(HorizonMetrics {
            horizon: horizon.to_string(),
            rows: ph.len(),
            roc_auc: metrics::roc_auc(&ph, &yh),
            brier: metrics::brier(&ph, &yh),
            ece: metrics::expected_calibration_error(&ph, &yh, 10),
            mean_predicted: (!ph.is_empty()).then(|| ph.iter().sum::<f64>() / ph.len() as f64),
            observed_rate: (!yh.is_empty())
                .then(|| yh.iter().filter(|&&y| y).count() as f64 / yh.len() as f64),
        });
    }
    let mut alert_metrics = BTreeMap::new();
    for (level, t) in [("red", file.thresholds.red), ("orange", file.thresholds.orange)] {
        let c = metrics::confusion_at(&p18, &y18, t);
        alert_metrics.insert(
            level.to_owned(),
            AlertMetrics {
                threshold: t,
                flagged: c.flagged(),
                precision: c.precision(),
                recall: c.recall(),
                f05: c.f_beta(0.5),
                f2: c.f_beta(2.0),
            },
        );
    }
    let group = |col: &Texts| -> Vec<GroupRow> {
        let g: Vec<&str> = observed18.iter().map(|&k| &col[test_all[k]]).collect();
        metrics::breakdown(&p18, &y18, &g, MIN_CELL_ROWS, MIN_CELL_POSITIVES)
    };
    let with_in_procedure = if p.in_procedure.iter().any(|&b| b) {
        let (pa, ya): (Vec<f64>, Vec<bool>) = (0..test_all.len())
            .filter_map(|k| l18[test_all[k]].map(|y| (scores[k].p.alert(), y)))
            .unzip();
        Some(metrics::summarize(&pa, &ya))
    } else {
        None
    };
    let grouped_cv = if opts.cv_folds >= 2 { Some(grouped_cv(p, w, opts)?) } else { None };
    let cap_months: Vec<Month> = observed18.iter().map(|&k| p.months[test_all[k]]).collect();
    let cap_deps: Vec<&str> = observed18.iter().map(|&k| &p.departement[test_all[k]]).collect();
    let capacity = capacity(&cap_months, &cap_deps, &p18, &y18, &[5, 20, 200]);
    let test_metrics = TestMetrics {
        summary,
        horizons,
        alerts: alert_metrics,
        by_sector: group(&p.section),
        by_size: group(&p.size_band),
        by_departement: group(&p.departement),
        with_in_procedure,
        grouped_cv,
        capacity,
    };
    Ok((test_metrics, p18, y18))
}

/// Fits a model of `family` with these hyperparameters (the seed is `gbdt.seed`) on the
/// rows `rows` of `x`, labels `y` (one per row of `rows`), read where they are (neither
/// family copies the rows); with validation rows of `x` and their labels, gbdt stops early
/// on them when its parameters say so (the logistic model has no use for them).
pub(crate) fn fit_model(
    family: Family,
    gbdt: &GbdtParams,
    logistic: &LogisticParams,
    x: &Design,
    rows: &[usize],
    y: &[f64],
    valid: Option<(&[usize], &[f64])>,
) -> Result<vigie_score::model::Model> {
    use vigie_score::model::Model;
    Ok(match family {
        Family::Logistic => Model::Logistic(logistic.clone().check()?.fit_rows(x, rows, y)?),
        Family::Gbdt => Model::Gbdt(gbdt.clone().check()?.fit_rows(x, rows, y, valid)?),
    })
}

/// The hyperparameters of a fit as model files record them: the family's own.
pub(crate) fn params_json(
    family: Family,
    gbdt: &GbdtParams,
    logistic: &LogisticParams,
) -> serde_json::Value {
    match family {
        Family::Gbdt => serde_json::to_value(gbdt),
        Family::Logistic => serde_json::to_value(logistic),
    }
    .expect("parameters serialise")
}

/// Grouped-by-company k-fold on the months before the test window (at most
/// [`CV_MAX_ROWS`] rows, whole companies sampled deterministically).
fn grouped_cv(p: &PanelData, w: &Windows, opts: &TrainOptions) -> Result<CvView> {
    let l18 = &p.labels[2];
    let mut rows: Vec<usize> = (0..p.design.n)
        .filter(|&i| p.months[i] <= w.validation.1 && l18[i].is_some() && !p.in_procedure[i])
        .collect();
    if rows.len() > CV_MAX_ROWS {
        // Keep companies whose id hash falls under the share needed: deterministic and
        // unbiased, whole companies only.
        let share = CV_MAX_ROWS as f64 / rows.len() as f64;
        rows.retain(|&i| {
            let h = Sha256::digest(p.companies[i].as_bytes());
            f64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]])) / f64::from(u32::MAX) < share
        });
    }
    let labels: Vec<bool> = rows.iter().map(|&i| l18[i] == Some(true)).collect();
    let groups: Vec<String> = rows.iter().map(|&i| p.companies[i].to_owned()).collect();
    let fold = folds::assign(&labels, Some(&groups), opts.cv_folds, opts.seed);
    let x = p.design.subset(&rows);
    let y: Vec<f64> = labels.iter().map(|&l| f64::from(u8::from(l))).collect();
    let (mut auc, mut ap) = (Vec::new(), Vec::new());
    for k in 0..opts.cv_folds {
        let tr: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] != k).collect();
        let te: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] == k).collect();
        let gbdt = GbdtParams { seed: opts.seed, early_stopping_rounds: None, ..opts.gbdt.clone() };
        let model = fit_model(opts.family, &gbdt, &opts.logistic, &x, &tr, &pick(&y, &tr), None)?;
        let file = crate::bare(x.features.clone(), model);
        let s = Scorer::in_model_order(file);
        let m = margins_of(&s, &x, &te);
        let l = pick(&labels, &te);
        auc.extend(metrics::roc_auc(&m, &l));
        ap.extend(metrics::average_precision(&m, &l));
    }
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    Ok(CvView {
        folds: opts.cv_folds,
        rows: rows.len(),
        roc_auc: mean(&auc),
        average_precision: mean(&ap),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_lists_the_riskiest_per_departement_and_month() {
        let m1 = Month::parse("2024-01").unwrap();
        let m2 = Month::parse("2024-02").unwrap();
        let months = [m1, m1, m1, m1, m2, m2];
        let deps = ["21", "21", "21", "75", "21", "75"];
        let probs = [0.9, 0.1, 0.5, 0.2, 0.3, 0.8];
        let labels = [true, false, false, true, false, true];
        let rows = capacity(&months, &deps, &probs, &labels, &[1, 2]);
        // N = 1: lists (m1, 21) → 0.9 ✓, (m1, 75) → 0.2 ✓, (m2, 21) → 0.3 ✗, (m2, 75) → 0.8 ✓.
        assert_eq!(rows[0].listed_per_month, 2.0);
        assert_eq!(rows[0].precision, Some(0.75));
        assert_eq!(rows[0].recall, Some(1.0));
        // N = 2 adds (m1, 21) → 0.5 ✗.
        assert_eq!(rows[1].precision, Some(0.6));
    }
}
