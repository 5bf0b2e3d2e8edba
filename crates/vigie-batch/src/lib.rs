//! The nightly rescoring batch (`vigie rescore`): builds one month's features from the
//! sources (the panel code), scores every company with the active model, explains the
//! alerts, compares with the previous run (new / escalated / de-escalated alerts,
//! population stability), and writes the run: a report (JSON + Markdown), rejected rows,
//! a Parquet file of scores, and the store.
//!
//! Invariants:
//! - nothing is written before the sources are read and the features built (a source
//!   missing a required column fails with no output at all);
//! - files are written to a temporary name then renamed; the store is written last, in one
//!   transaction: a run killed at any point leaves the store holding the previous complete
//!   run, and re-running the same run id replaces the run (never duplicates it);
//! - the same sources, month, model and run id give identical scores;
//! - one rescore at a time per store (the store's lock, released when the process ends).

pub mod backtest;
pub mod compare;
pub mod diff;
pub mod report;
mod rows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;
use vigie_core::features::{CATALOGUE, FeatureSet};
use vigie_core::{AlertLevel, Horizon, Month, Pseudonymiser};
use vigie_data::panel::{self, PanelOptions};

use vigie_data::rejects::RejectLog;
use vigie_data::source::Format;
use vigie_data::table::{Col, Table, TableWriter};
use vigie_eval::metrics::PsiProfile;
use vigie_score::{ModelFile, Scorer};
use vigie_store::{ModelRecord, RunRecord, ScoreRow, ScoreRows as _, Store};

pub use report::Report;

/// Batch errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the sources or building the features failed.
    #[error(transparent)]
    Data(#[from] vigie_data::Error),
    /// The model could not be loaded or does not fit the features.
    #[error(transparent)]
    Model(#[from] vigie_score::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] vigie_store::Error),
    /// No model to score with.
    #[error(
        "no active model in the store {0}: pass --model models/NAME/VERSION (it is then \
         registered and activated)"
    )]
    NoModel(String),
    /// Writing an output file failed.
    #[error("{path}: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A month older than the latest run, without `--backfill`.
    #[error(
        "the store already holds a run of {later}, after {month}: a run of {month} would \
         leave the later runs compared with another month. Pass --backfill to write it \
         anyway, then re-run the later months in order"
    )]
    Backfill {
        /// The month asked.
        month: String,
        /// The latest month in the store.
        later: String,
    },
    /// A self-diagnosis model given where companies are scored.
    #[error(
        "model {0} reads only what a company head can type (feature set `self`): it answers \
         the public self-diagnosis (`vigie models register`), it does not score companies"
    )]
    SelfModel(String),
    /// No run to compare models on.
    #[error("the store {0} holds no run: run `vigie rescore` first")]
    NoRun(String),
    /// The model produced a non-finite score (a corrupt model).
    #[error("model {0} gave a non-finite score for {1} companies: refusing to write the run")]
    NotFinite(String, usize),
}

/// Batch results.
pub type Result<T> = std::result::Result<T, Error>;

/// Environment variable naming a phase at which `vigie rescore` stops and waits (used by
/// the crash-safety tests to kill it at a known point; never set it in production).
pub const PAUSE_ENV: &str = "VIGIE_TEST_PAUSE_AT";

/// What to rescore.
#[derive(Debug, Clone)]
pub struct RescoreOptions {
    /// Directory of the sources.
    pub input: PathBuf,
    /// Month to score.
    pub month: Month,
    /// Run id (default: the month, `YYYY-MM`).
    pub run_id: Option<String>,
    /// Model directory or file to register, activate and use; default: the store's active
    /// model.
    pub model: Option<PathBuf>,
    /// Parquet file of scores; default: `<report dir>/scores.parquet`.
    pub out: Option<PathBuf>,
    /// Report directory (report.json, report.md, rejects.csv).
    pub report_dir: PathBuf,
    /// Publication lag of `tax_monthly`, in months.
    pub tax_lag: u32,
    /// Publication lag of `social_monthly`, in months.
    pub social_lag: u32,
    /// Explain every company, not only those in alert.
    pub explain_all: bool,
    /// Allow a month older than the store's latest run. Later runs keep the diff they were
    /// written with (the previous run they were compared with): re-run them in order.
    pub backfill: bool,
    /// Companies whose features are built at a time (peak memory follows it; the results
    /// do not): [`vigie_data::ingest::BLOCK_COMPANIES`] by default.
    pub block_companies: usize,
    /// The pseudonymiser of the sources' SIRENs (the key of the panels the model learnt
    /// from).
    pub pseudo: Pseudonymiser,
}

/// Progress events, for a progress bar or logs.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    /// A phase starts.
    Phase(&'static str),
    /// Rows done in the current phase, of a total.
    Rows {
        /// The phase.
        phase: &'static str,
        /// Rows done.
        done: usize,
        /// Rows in all.
        total: usize,
    },
}

/// The phases of a run, in order.
pub const PHASES: [&str; 6] = ["features", "scoring", "explanations", "compare", "files", "store"];

/// The JSON summary printed by `vigie rescore`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Run id.
    pub run_id: String,
    /// Companies scored.
    pub scored: usize,
    /// Source rows rejected.
    pub rejected: usize,
    /// Companies excluded (closed, in procedure, not yet created).
    pub excluded: usize,
    /// Companies by level.
    pub alerts: BTreeMap<&'static str, usize>,
    /// New alerts against the previous run.
    pub new_alerts: usize,
    /// PSI of the 18-month probability against the previous run (`null` for a first run).
    pub psi_score: Option<f64>,
}

/// What a run wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The summary.
    #[serde(flatten)]
    pub summary: Summary,
    /// The Markdown report.
    pub report: PathBuf,
    /// The JSON report.
    pub report_json: PathBuf,
    /// The Parquet file of scores.
    pub scores: PathBuf,
    /// The rejected rows (CSV).
    pub rejects: PathBuf,
}

/// Stops here if the crash-safety tests asked to (see [`PAUSE_ENV`]).
pub fn checkpoint(phase: &str) {
    if std::env::var(PAUSE_ENV).is_ok_and(|p| p == phase) {
        eprintln!("vigie: paused at {phase} ({PAUSE_ENV})");
        std::thread::sleep(std::time::Duration::from_hours(1));
    }
}

/// Rows scored per parallel task.
const SCORE_CHUNK: usize = 4096;

/// Rows of `scores.parquet` written at a time (one row group each).
const SCORES_ROW_GROUP: usize = 1 << 18;

/// Number of top concerning and reassuring features kept per explanation.
pub const TOP_FEATURES: usize = 5;
/// Quantile bins of the drift profiles.
pub const PSI_BINS: usize = 10;

/// Runs the batch. The caller holds the store's rescore lock.
pub async fn rescore(
    store: &Store,
    opts: &RescoreOptions,
    on: &(dyn Fn(Event) + Send + Sync),
) -> Result<Outcome> {
    let started_at = vigie_store::now_utc();
    let t0 = Instant::now();
    let run_id = opts.run_id.clone().unwrap_or_else(|| opts.month.to_string());
    let mut timings: BTreeMap<&'static str, f64> = BTreeMap::new();
    let month = opts.month.to_string();
    if !opts.backfill
        && let Some(latest) = store.latest_run_summary().await?
        && latest.month > month
    {
        return Err(Error::Backfill { month, later: latest.month });
    }
    // Checked by the store's write too, but here before any file is written: a refused
    // run must not replace the files of the run that holds this id.
    store.check_run_id(&run_id, &month).await?;

    // The model: the one given (registered now, activated once the run is committed) or
    // the store's active one.
    let (model, register) = if let Some(path) = &opts.model {
        let model = ModelFile::load(path)?;
        let record = model_record(&model, path);
        if record.feature_set != FeatureSet::Full {
            return Err(Error::SelfModel(model.version));
        }
        (model, Some(record))
    } else {
        let record =
            store.active_model().await?.ok_or_else(|| Error::NoModel(store.url().to_owned()))?;
        let origin = PathBuf::from(format!("{}#models/{}", store.url(), record.version));
        (ModelFile::from_json(&record.model_json, &origin)?, None)
    };

    // The previous run's levels are read from the store while the features are built (a
    // few seconds at millions of companies, on the store's own thread).
    let previous = store.previous_run(&opts.month.to_string()).await?;
    let levels = previous.as_ref().map(|p| {
        let (store, id) = (store.clone(), p.run_id.clone());
        tokio::spawn(async move { store.run_levels(&id).await })
    });

    // Features.
    on(Event::Phase("features"));
    checkpoint("features");
    let t = Instant::now();
    let (built, rejects) = month_features(
        &opts.input,
        &opts.pseudo,
        opts.month,
        (opts.tax_lag, opts.social_lag),
        opts.block_companies,
    )
    .await?;
    let table = built.table;
    let n = table.height();
    let features = feature_columns(&table);
    let names: Vec<&str> = CATALOGUE.iter().map(|s| s.name).collect();
    let scorer = Scorer::bind(model, &names)?;
    let version = scorer.model().version.clone();
    timings.insert("features", t.elapsed().as_secs_f64());

    // Scores.
    on(Event::Phase("scoring"));
    checkpoint("scoring");
    let t = Instant::now();
    let k = names.len();
    let row_of = |i: usize, buf: &mut Vec<f64>| {
        buf.clear();
        buf.extend(features.iter().map(|f| f[i]));
    };
    let scores = score_all(&scorer, &features, n);
    let bad = scores.iter().filter(|s| !s.margin.is_finite()).count();
    if bad > 0 {
        return Err(Error::NotFinite(version, bad));
    }
    on(Event::Rows { phase: "scoring", done: n, total: n });
    timings.insert("scoring", t.elapsed().as_secs_f64());

    // Explanations, for the alerts at least.
    on(Event::Phase("explanations"));
    checkpoint("explanations");
    let t = Instant::now();
    let to_explain: Vec<usize> =
        (0..n).filter(|&i| opts.explain_all || scores[i].level != AlertLevel::Green).collect();
    // With each explanation, the row itself: what the company page's levers rescore.
    let explained: Vec<(usize, String, String)> = to_explain
        .par_iter()
        .map_init(
            || (Vec::with_capacity(k), vigie_score::explanation::Scratch::default()),
            |(buf, scratch), &i| {
                row_of(i, buf);
                let e = scorer
                    .summarize(buf, TOP_FEATURES, scratch)
                    .expect("rows have the catalogue's width");
                let e = serde_json::to_string(&e).expect("summaries serialise");
                (i, e, vigie_score::levers::row_to_json(buf))
            },
        )
        .collect();
    on(Event::Rows { phase: "explanations", done: explained.len(), total: to_explain.len() });
    drop(to_explain);
    timings.insert("explanations", t.elapsed().as_secs_f64());

    // Rows for the store, and the comparison with the previous run.
    on(Event::Phase("compare"));
    checkpoint("compare");
    let t = Instant::now();
    // Where the phase's time goes, in the debug log (`VIGIE_LOG=vigie_batch=debug`).
    let lap = |step: &str| tracing::debug!(step, seconds = t.elapsed().as_secs_f64(), "compare");
    let before_raw = match levels {
        Some(task) => task.await.expect("the store task does not panic")?,
        None => Vec::new(),
    };
    lap("previous levels read");
    let p18: Vec<f64> = scores.iter().map(|s| s.p.alert()).collect();
    let rows = std::sync::Arc::new(rows::RunRows::new(&table, scores, explained, before_raw));
    lap("rows");
    let mut current = rows.levels();
    let mut before: Vec<(&str, AlertLevel)> =
        rows.before().iter().map(|(id, l, _)| (id.as_str(), *l)).collect();
    let previous_report: Option<report::Reference> = match &previous {
        Some(p) => serde_json::from_str::<serde_json::Value>(
            &store.run(&p.run_id).await?.map(|r| r.report).unwrap_or_default(),
        )
        .ok()
        .and_then(|v| serde_json::from_value(v.get("reference")?.clone()).ok()),
        None => None,
    };
    let changes = diff::diff(&mut before, &mut current);
    drop((current, before));
    lap("diff");
    let reference = report::Reference {
        score: PsiProfile::of(&p18, PSI_BINS),
        features: names
            .par_iter()
            .zip(features.par_iter())
            .map(|(name, f)| ((*name).to_owned(), PsiProfile::of(f, PSI_BINS)))
            .collect(),
    };
    lap("reference profiles");
    let drift = report::Drift::compute(previous_report.as_ref(), &p18, &features, &names);
    lap("drift");
    let groups: Vec<&str> = (0..n).map(|i| rows.lever_group(i)).collect();
    let lever_ranges = vigie_score::levers::LeverRanges::compute(&features, &groups);
    drop(groups);
    // The panel's columns are not needed past here (the rows hold their own): at
    // 5,000,000 companies, 1.5 GB given back before the files and the store.
    drop(features);
    drop(table);
    lap("lever ranges");
    timings.insert("compare", t.elapsed().as_secs_f64());

    // Files: rejects, scores, report (each written then renamed).
    on(Event::Phase("files"));
    checkpoint("files");
    let t = Instant::now();
    std::fs::create_dir_all(&opts.report_dir)
        .map_err(|e| Error::Write { path: opts.report_dir.clone(), message: e.to_string() })?;
    let rejects_path = opts.report_dir.join("rejects.csv");
    let scores_path = opts.out.clone().unwrap_or_else(|| opts.report_dir.join("scores.parquet"));
    let rejected = rejects.len();
    let (r, s) = (rejects_path.clone(), scores_path.clone());
    let all = std::sync::Arc::clone(&rows);
    tokio::task::spawn_blocking(move || {
        rejects.write_csv(&r)?;
        // By row groups, each built when written: the rows are never held whole.
        let mut w = TableWriter::new(&s, Format::Parquet);
        for start in (0..all.len()).step_by(SCORES_ROW_GROUP) {
            let chunk: Vec<ScoreRow> =
                (start..(start + SCORES_ROW_GROUP).min(all.len())).map(|i| all.row(i)).collect();
            w.write(scores_table(&chunk))?;
        }
        if all.is_empty() {
            w.write(scores_table(&[]))?;
        }
        w.finish()?;
        Ok::<_, Error>(())
    })
    .await
    .expect("the file task does not panic")?;
    timings.insert("files", t.elapsed().as_secs_f64());

    let mut alerts = BTreeMap::from([("red", 0usize), ("orange", 0), ("green", 0)]);
    let mut by_dep: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for (i, s) in rows.scores().iter().enumerate() {
        let l = s.level.as_str();
        *alerts.get_mut(l).expect("three levels") += 1;
        if l != "green" {
            *by_dep.entry(rows.departement(i).to_owned()).or_default().entry(l).or_default() += 1;
        }
    }
    let excluded = built.summary.excluded.closed
        + built.summary.excluded.in_procedure
        + built.summary.excluded.not_yet_created;
    let summary = Summary {
        run_id: run_id.clone(),
        scored: n,
        rejected,
        excluded,
        alerts: alerts.clone(),
        new_alerts: changes.new.len(),
        psi_score: drift.score,
    };
    let report_json = opts.report_dir.join("report.json");
    let report_md = opts.report_dir.join("report.md");
    let mut report = Report {
        run_id: run_id.clone(),
        month: opts.month.to_string(),
        model_version: version.clone(),
        store: store.backend(),
        started_at: started_at.clone(),
        finished_at: String::new(),
        summary: summary.clone(),
        excluded: built.summary.excluded.clone(),
        sources: built.summary.sources.clone(),
        thresholds: [scorer.model().thresholds.orange, scorer.model().thresholds.red],
        alerts_by_departement: by_dep,
        previous_run: previous.as_ref().map(|p| p.run_id.clone()),
        change_counts: changes.counts(),
        changes,
        drift,
        score_distribution: report::Distribution::of(&p18),
        timings_seconds: timings.clone(),
        outputs: BTreeMap::from([
            ("scores", scores_path.display().to_string()),
            ("rejects", rejects_path.display().to_string()),
            ("report", report_md.display().to_string()),
        ]),
        reference,
        backtests: Vec::new(),
        lever_ranges,
    };

    // Backtests of the earlier runs whose horizons have elapsed, with the events known now
    // (about committed runs only: written before this run's transaction, they stay valid
    // if it fails).
    // Not on a backfill: its month is older than runs already written, and backtests at
    // that date would replace later ones.
    let t = Instant::now();
    if !opts.backfill {
        report.backtests = backtest::refresh(store, opts.month, &built.openings).await?;
    }
    timings.insert("backtests", t.elapsed().as_secs_f64());

    // The store, last, in one transaction.
    on(Event::Phase("store"));
    checkpoint("store");
    let t = Instant::now();
    if let Some(record) = &register {
        store.register_model(record).await?;
    }
    report.finished_at = vigie_store::now_utc();
    let record = RunRecord {
        run_id: run_id.clone(),
        month: opts.month.to_string(),
        model_version: version,
        started_at,
        finished_at: report.finished_at.clone(),
        status: "complete".into(),
        scored: n as i64,
        excluded: excluded as i64,
        rejected: rejected as i64,
        red: alerts["red"] as i64,
        orange: alerts["orange"] as i64,
        green: alerts["green"] as i64,
        report: serde_json::to_string(&report).expect("reports serialise"),
    };
    let paused = std::sync::atomic::AtomicBool::new(false);
    store
        .write_run_from(&record, &*rows, &|done| {
            on(Event::Rows { phase: "store", done, total: n });
            // Mid-transaction: the crash tests kill the process here.
            if !paused.swap(true, std::sync::atomic::Ordering::Relaxed) {
                checkpoint("store-write");
            }
        })
        .await?;
    if let Some(record) = &register {
        store.activate_model(&record.version).await?;
    }
    timings.insert("store", t.elapsed().as_secs_f64());
    timings.insert("total", t0.elapsed().as_secs_f64());
    report.timings_seconds = timings;
    write_atomic(
        &report_json,
        &(serde_json::to_string_pretty(&report).expect("serialises") + "\n"),
    )?;
    write_atomic(&report_md, &report.markdown())?;
    Ok(Outcome {
        summary,
        report: report_md,
        report_json,
        scores: scores_path,
        rejects: rejects_path,
    })
}

/// The artifact folder of a model given as its folder or its `model.json`.
/// The registry's record of a model loaded from `path` (its card and metrics beside it,
/// when there), inactive; its feature set from its inputs.
#[must_use]
pub fn model_record(model: &ModelFile, path: &Path) -> ModelRecord {
    let dir = artifact_dir(path);
    ModelRecord {
        version: model.version.clone(),
        name: model.name.clone(),
        family: model.model.family().to_owned(),
        feature_set: FeatureSet::of(model.features.iter().map(|f| f.name.as_str())),
        registered_at: vigie_store::now_utc(),
        active: false,
        model_json: model.to_json(),
        card: std::fs::read_to_string(dir.join("card.md")).ok(),
        metrics: std::fs::read_to_string(dir.join("metrics.json")).ok(),
    }
}

/// Registers the model at `path` (`models/NAME/VERSION`), inactive: the way a
/// self-diagnosis model enters the registry (company-scoring models come in with `vigie
/// rescore --model` or `vigie models compare`). Registering it again is a no-op.
pub async fn register(store: &Store, path: &Path) -> Result<ModelRecord> {
    let model = ModelFile::load(path)?;
    let record = model_record(&model, path);
    store.register_model(&record).await?;
    Ok(record)
}

pub(crate) fn artifact_dir(path: &Path) -> PathBuf {
    if path.is_dir() { path.to_owned() } else { path.parent().unwrap_or(Path::new(".")).to_owned() }
}

/// Builds the features of `month` from the sources (the panel code, on a blocking thread:
/// polars reads on its own runtime, which must not be nested in the caller's async
/// context).
pub(crate) async fn month_features(
    input: &Path,
    pseudo: &Pseudonymiser,
    month: Month,
    (tax_lag, social_lag): (u32, u32),
    block_companies: usize,
) -> Result<(panel::Panel, RejectLog)> {
    let panel_opts = PanelOptions {
        from: Some(month),
        to: Some(month),
        step: 1,
        tax_lag,
        social_lag,
        as_of: Some(month),
        keep_in_procedure: false,
        batch_rows: vigie_data::source::BATCH_ROWS,
        block_companies,
    };
    let (input, pseudo) = (input.to_owned(), pseudo.clone());
    tokio::task::spawn_blocking(move || {
        let mut rejects = RejectLog::default();
        let built = panel::build(&input, &pseudo, &panel_opts, &mut rejects)?;
        Ok::<_, Error>((built, rejects))
    })
    .await
    .expect("the feature task does not panic")
}

/// The catalogue's feature columns of a one-month panel.
pub(crate) fn feature_columns(table: &Table) -> Vec<&[f64]> {
    CATALOGUE
        .iter()
        .map(|spec| match table.column(spec.name) {
            Some(Col::F64(v)) => v.as_slice(),
            _ => unreachable!("the panel has every catalogue feature as floats"),
        })
        .collect()
}

/// Scores `n` rows given as feature columns (catalogue order), in parallel chunks.
pub(crate) fn score_all(scorer: &Scorer, features: &[&[f64]], n: usize) -> Vec<vigie_score::Score> {
    let k = features.len();
    (0..n.div_ceil(SCORE_CHUNK))
        .into_par_iter()
        .flat_map_iter(|c| {
            let mut rows = Vec::with_capacity(SCORE_CHUNK * k);
            for i in c * SCORE_CHUNK..((c + 1) * SCORE_CHUNK).min(n) {
                rows.extend(features.iter().map(|f| f[i]));
            }
            scorer.score_rows(&rows, k).expect("rows have the catalogue's width")
        })
        .collect()
}

/// The scores as a table for the Parquet file.
fn scores_table(rows: &[ScoreRow]) -> Table {
    let s =
        |f: fn(&ScoreRow) -> &str| Col::Str(rows.iter().map(|r| Some(f(r).to_owned())).collect());
    let p = |h: usize| Col::F64(rows.iter().map(|r| r.p[Horizon::ALL[h]]).collect());
    Table::new(vec![
        ("company_id", s(|r| &r.company_id)),
        ("departement", s(|r| &r.departement)),
        ("naf", s(|r| &r.naf)),
        ("size_band", s(|r| &r.size_band)),
        ("margin", Col::F64(rows.iter().map(|r| r.margin).collect())),
        ("p_6m", p(0)),
        ("p_12m", p(1)),
        ("p_18m", p(2)),
        ("p_24m", p(3)),
        ("level", s(|r| &r.level)),
        ("explanation", Col::Str(rows.iter().map(|r| r.explanation.clone()).collect())),
    ])
}

/// Writes a text file atomically.
fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let err = |e: std::io::Error| Error::Write { path: path.to_owned(), message: e.to_string() };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}
