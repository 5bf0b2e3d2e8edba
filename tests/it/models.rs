//! Risk models on a panel of the committed demo sources: exact explanations, monotone
//! calibrated probabilities, save → load → identical scores, byte-identical artifacts,
//! schema checks.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use vigie_core::Pseudonymiser;
use vigie_data::panel::PanelOptions;
use vigie_data::source::Format;
use vigie_score::{ModelFile, Scorer};
use vigie_train::Family;
use vigie_train::gbdt::GbdtParams;
use vigie_train::logistic::LogisticParams;
use vigie_train::train::{TrainOptions, TrainOutcome, train};

use crate::common::{self, root};

/// The demo panel (companies in procedure kept, flagged), written once: exactly what the
/// README's `vigie panel --input data-samples/demo --demo-key --keep-in-procedure` writes.
fn panel() -> &'static Path {
    static P: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = P.get_or_init(|| {
        let dir = common::tempdir();
        let opts = PanelOptions { keep_in_procedure: true, ..PanelOptions::default() };
        let mut log = vigie_data::rejects::RejectLog::default();
        let panel = vigie_data::panel::build(
            &root().join("data-samples/demo"),
            &Pseudonymiser::demo(),
            &opts,
            &mut log,
        )
        .expect("panel");
        let path = dir.path().join("panel.parquet");
        panel.table.write(&path, Format::Parquet).expect("written");
        (dir, path)
    });
    path
}

fn options(family: Family) -> TrainOptions {
    TrainOptions {
        family,
        name: "test".into(),
        seed: 3,
        test_from: None,
        cv_folds: 0,
        // Fewer trees than the defaults keep the debug-build test fast; the properties
        // checked do not depend on the size of the model.
        gbdt: GbdtParams { iterations: 120, learning_rate: 0.1, ..GbdtParams::default() },
        logistic: LogisticParams::default(),
        refit: true,
        train_months: vigie_train::walk::DEFAULT_TRAIN_MONTHS,
        feature_set: vigie_core::features::FeatureSet::Full,
        fit_rows: None,
    }
}

fn trained(family: Family) -> &'static (tempfile::TempDir, TrainOutcome) {
    static G: OnceLock<(tempfile::TempDir, TrainOutcome)> = OnceLock::new();
    static L: OnceLock<(tempfile::TempDir, TrainOutcome)> = OnceLock::new();
    let cell = if family == Family::Gbdt { &G } else { &L };
    cell.get_or_init(|| {
        let dir = common::tempdir();
        let outcome = train(panel(), dir.path(), &options(family)).expect("training");
        (dir, outcome)
    })
}

/// Rows of the panel as (column names, row-major values).
fn rows(limit: usize) -> (Vec<String>, Vec<Vec<f64>>) {
    let t = vigie_data::tabular::read(panel()).expect("panel");
    let names: Vec<String> = t
        .columns
        .iter()
        .filter(|(_, c)| matches!(c, vigie_data::tabular::Column::Numeric(_)))
        .map(|(n, _)| n.clone())
        .collect();
    let cols: Vec<&[f64]> = names.iter().map(|n| t.numeric(n).expect("numeric")).collect();
    // Every 37th row: a spread of months and companies.
    let out =
        (0..t.rows).step_by(37).take(limit).map(|i| cols.iter().map(|c| c[i]).collect()).collect();
    (names, out)
}

#[test]
fn contributions_add_up_to_the_margin_for_both_families() {
    let (names, data) = rows(400);
    let cols: Vec<&str> = names.iter().map(String::as_str).collect();
    for family in [Family::Gbdt, Family::Logistic] {
        let (_, outcome) = trained(family);
        let model = ModelFile::load(&outcome.dir).expect("model loads");
        let scorer = Scorer::bind(model, &cols).expect("schema matches");
        for row in &data {
            let e = scorer.explain(row).expect("explained");
            let sum: f64 = e.features.iter().map(|f| f.contribution).sum();
            assert!(
                (e.bias + sum - e.margin).abs() < 1e-9,
                "{family:?}: {} + {sum} != {}",
                e.bias,
                e.margin
            );
            assert!((e.margin - scorer.margin(row).unwrap()).abs() < 1e-12);
            let groups: f64 = e.groups.iter().map(|g| g.contribution).sum();
            assert!((groups - sum).abs() < 1e-9);
        }
    }
}

#[test]
fn calibrated_probabilities_are_monotone_across_horizons() {
    let (names, data) = rows(2000);
    let cols: Vec<&str> = names.iter().map(String::as_str).collect();
    for family in [Family::Gbdt, Family::Logistic] {
        let scorer = Scorer::bind(ModelFile::load(&trained(family).1.dir).unwrap(), &cols).unwrap();
        for row in &data {
            let s = scorer.score(row).unwrap();
            assert!(s.p.to_array().is_sorted(), "{:?}", s.p);
            assert!(s.p.to_array().iter().all(|p| (0.0..=1.0).contains(p)));
        }
    }
}

#[test]
fn saved_and_loaded_models_score_identically() {
    let (names, data) = rows(500);
    let cols: Vec<&str> = names.iter().map(String::as_str).collect();
    for family in [Family::Gbdt, Family::Logistic] {
        let dir = &trained(family).1.dir;
        let loaded = ModelFile::load(dir).unwrap();
        // Write it again elsewhere and read it back: the text and the scores are the same.
        let copy = common::tempdir();
        std::fs::write(copy.path().join("model.json"), loaded.to_json()).unwrap();
        let reloaded = ModelFile::load(copy.path()).unwrap();
        assert_eq!(loaded, reloaded);
        assert_eq!(std::fs::read_to_string(dir.join("model.json")).unwrap(), reloaded.to_json());
        let a = Scorer::bind(loaded, &cols).unwrap();
        let b = Scorer::bind(reloaded, &cols).unwrap();
        for row in &data {
            assert_eq!(a.score(row).unwrap(), b.score(row).unwrap());
        }
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn same_panel_and_seed_give_byte_identical_artifacts() {
    for family in [Family::Gbdt, Family::Logistic] {
        let (_, first) = trained(family);
        let again = common::tempdir();
        let second = train(panel(), again.path(), &options(family)).unwrap();
        assert_eq!(first.version, second.version);
        let a = files(&first.dir);
        assert_eq!(a.len(), 10, "model, metrics, card, report and six charts");
        assert_eq!(a, files(&second.dir), "{family:?}: artifact bytes differ");
        // Another seed is another model (gbdt samples rows and columns).
        if family == Family::Gbdt {
            let other = common::tempdir();
            let third =
                train(panel(), other.path(), &TrainOptions { seed: 4, ..options(family) }).unwrap();
            assert_ne!(third.version, first.version);
        }
    }
}

#[test]
fn a_model_is_refused_by_data_of_another_schema() {
    let model = ModelFile::load(&trained(Family::Gbdt).1.dir).unwrap();
    let err = Scorer::bind(model, &["company_id", "tax_arrears_ratio"]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("does not match the data") && msg.contains("fin_ebitda_margin"), "{msg}");
    // A file of another format version is refused on load.
    let dir = common::tempdir();
    let text = std::fs::read_to_string(trained(Family::Gbdt).1.dir.join("model.json")).unwrap();
    std::fs::write(
        dir.path().join("model.json"),
        text.replace("\"format_version\":1", "\"format_version\":99"),
    )
    .unwrap();
    let err = ModelFile::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("version 99"), "{err}");
}

#[test]
fn the_out_of_time_report_measures_what_it_claims() {
    let (_, outcome) = trained(Family::Gbdt);
    let m = &outcome.metrics;
    let auc = m.summary.roc_auc.unwrap();
    // Synthetic data with a real but partial signal (docs/synthetic-data.md): clearly
    // better than chance, far from perfect.
    assert!((0.65..0.95).contains(&auc), "test AUC {auc}");
    // The panel keeps companies in procedure: the report shows their effect.
    let with = m.with_in_procedure.as_ref().expect("in-procedure view");
    assert!(with.n > m.summary.n);
    // Windows are ordered; every validation label used (up to 18 months: the 24-month map
    // comes from observed rates of earlier months) is known before the test.
    let w = outcome.windows;
    assert!(w.train.1 < w.validation.0 && w.validation.1.plus(18) < w.test.0);
    let card = std::fs::read_to_string(outcome.dir.join("card.md")).unwrap();
    assert!(card.contains("Limitations") && card.contains("Size band"));
    let red = &m.alerts["red"];
    let orange = &m.alerts["orange"];
    assert!(red.threshold >= orange.threshold && red.flagged <= orange.flagged);
}

#[test]
fn fitted_models_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<vigie_score::model::Model>();
    check::<Scorer>();
    check::<vigie_train::gbdt::ValidGbdtParams>();
    check::<vigie_train::logistic::ValidLogisticParams>();
}

#[test]
fn the_committed_demo_model_comes_from_the_demo_sources_and_scores_them() {
    let versions: Vec<PathBuf> = std::fs::read_dir(root().join("models/demo"))
        .expect("models/demo exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(versions.len(), 1, "one demo model version is committed");
    let model = ModelFile::load(&versions[0]).expect("the demo model loads");
    // Trained on the panel of data-samples/demo (README command): same bytes, same
    // fingerprint.
    assert_eq!(model.training.data_fingerprint, vigie_data::tabular::fingerprint(panel()).unwrap());
    let (names, data) = rows(3000);
    let cols: Vec<&str> = names.iter().map(String::as_str).collect();
    let scorer = Scorer::bind(model, &cols).expect("schema matches");
    let levels: std::collections::BTreeSet<_> =
        data.iter().map(|r| scorer.score(r).unwrap().level).collect();
    assert_eq!(levels.len(), 3, "the demo data get green, orange and red companies");
}

/// Writes a copy of the demo panel where `f` may change each row's labels and features.
fn mutated_panel(
    dir: &Path,
    f: impl Fn(vigie_core::Month, usize, &mut [f64], &mut [f64]),
) -> PathBuf {
    use polars::prelude::{Column, NamedFrom, Series};
    let mut df = common::frame_of(panel());
    let months: Vec<vigie_core::Month> =
        common::texts(&df, "month").iter().map(|m| vigie_core::Month::parse(m).unwrap()).collect();
    let label_names: Vec<&str> =
        vigie_core::Horizon::ALL.iter().map(|h| h.label_column()).collect();
    let feature_names: Vec<&str> = vigie_core::features::CATALOGUE.iter().map(|s| s.name).collect();
    let mut labels: Vec<Vec<f64>> = label_names.iter().map(|n| common::floats(&df, n)).collect();
    let mut features: Vec<Vec<f64>> =
        feature_names.iter().map(|n| common::floats(&df, n)).collect();
    let mut lrow = vec![0.0; labels.len()];
    let mut frow = vec![0.0; features.len()];
    for (i, &m) in months.iter().enumerate() {
        for (k, c) in labels.iter().enumerate() {
            lrow[k] = c[i];
        }
        for (k, c) in features.iter().enumerate() {
            frow[k] = c[i];
        }
        f(m, i, &mut lrow, &mut frow);
        for (k, c) in labels.iter_mut().enumerate() {
            c[i] = lrow[k];
        }
        for (k, c) in features.iter_mut().enumerate() {
            c[i] = frow[k];
        }
    }
    let nullable =
        |v: &[f64]| -> Vec<Option<f64>> { v.iter().map(|x| (!x.is_nan()).then_some(*x)).collect() };
    for (name, v) in label_names.iter().zip(&labels).chain(feature_names.iter().zip(&features)) {
        df.with_column(Column::from(Series::new((*name).into(), nullable(v)))).unwrap();
    }
    let path = dir.join("panel.parquet");
    vigie_data::table::write_frame(&mut df, &path, Format::Parquet).unwrap();
    path
}

#[test]
fn walk_forward_models_see_nothing_dated_after_their_window_starts() {
    let opts = TrainOptions { cv_folds: 0, ..options(Family::Gbdt) };
    let (_, base) = trained(Family::Gbdt);
    assert!(!base.walk_forward.is_empty());
    let cutoff = vigie_core::Month::parse(&base.walk_forward[0].test_from).unwrap();
    let reference = base.window_models[0].to_json();
    // Every label whose horizon ends at or after the cutoff is flipped, and every feature
    // of a month at or after the cutoff changed: the first window's model must not move.
    let dir = common::tempdir();
    let changed = mutated_panel(dir.path(), |m, _, labels, features| {
        for (h, l) in vigie_core::Horizon::ALL.iter().zip(labels.iter_mut()) {
            if m.plus(h.months()) >= cutoff && !l.is_nan() {
                *l = 1.0 - *l;
            }
        }
        if m >= cutoff {
            for x in features.iter_mut() {
                *x = if x.is_nan() { 1.0 } else { *x * 3.0 + 1.0 };
            }
        }
    });
    let out = common::tempdir();
    let again = train(&changed, out.path(), &opts).expect("training on the changed panel");
    assert_eq!(again.window_models[0].to_json(), reference, "the window's model moved");
    // The production model, which knows those outcomes, does change.
    assert_ne!(
        std::fs::read_to_string(again.dir.join("model.json")).unwrap(),
        std::fs::read_to_string(base.dir.join("model.json")).unwrap()
    );

    // The check can fail: one known 18-month outcome of the training window flipped
    // changes the window's model.
    let train_from = vigie_core::Month::parse(&base.walk_forward[0].train_from).unwrap();
    let dir2 = common::tempdir();
    let flipped = std::cell::Cell::new(false);
    let in_procedure = common::floats(&common::frame_of(panel()), "in_procedure");
    let one = mutated_panel(dir2.path(), |m, i, labels, _| {
        if !flipped.get() && m == train_from && labels[2] == 0.0 && in_procedure[i] == 0.0 {
            labels[2] = 1.0;
            flipped.set(true);
        }
    });
    assert!(flipped.get());
    let out2 = common::tempdir();
    let other = train(&one, out2.path(), &opts).expect("training");
    assert_ne!(other.window_models[0].to_json(), reference, "a known label changed nothing");
}

#[test]
fn the_artifact_records_the_walk_forward_series_and_the_production_windows() {
    let (_, outcome) = trained(Family::Gbdt);
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outcome.dir.join("metrics.json")).unwrap())
            .unwrap();
    let series = metrics["walk_forward"].as_array().expect("walk_forward");
    assert_eq!(series.len(), outcome.walk_forward.len());
    for w in series {
        for key in ["test_from", "test_to"] {
            assert!(vigie_core::Month::parse(w[key].as_str().unwrap()).is_ok());
        }
        let (rows, failures) = (w["rows"].as_u64().unwrap(), w["failures"].as_u64().unwrap());
        assert!(rows > 0 && failures > 0 && failures < rows);
        let observed = w["observed_rate"].as_f64().unwrap();
        assert!((observed - failures as f64 / rows as f64).abs() < 1e-12);
        for key in ["roc_auc", "average_precision", "brier", "mean_predicted"] {
            let v = w[key].as_f64().unwrap();
            assert!(v > 0.0 && v < 1.0, "{key} = {v}");
        }
    }
    // The last window is the evaluated model's test window, whose full figures are kept.
    let last = series.last().unwrap();
    assert_eq!(last["rows"].as_u64().unwrap() as usize, outcome.metrics.summary.n);
    assert_eq!(last["roc_auc"].as_f64(), outcome.metrics.summary.roc_auc);
    // The shipped model: trained on the latest labelled data (the demo panel ends in
    // 2025-12; its last observed 18-month outcome is that of 2024-06).
    let production = &metrics["production"];
    assert_eq!(production["train_to"], "2023-12");
    assert_eq!(production["calibration_from"], "2024-01");
    assert_eq!(production["calibration_to"], "2024-06");
    let model = ModelFile::load(&outcome.dir).unwrap();
    assert_eq!(model.training.train_window[1], "2023-12");
    assert_eq!(
        model.training.test_window,
        [
            last["test_from"].as_str().unwrap().to_owned(),
            last["test_to"].as_str().unwrap().to_owned()
        ]
    );
    // Same number of trees as the evaluated model.
    if let vigie_score::model::Model::Gbdt(e) = &model.model {
        assert_eq!(Some(e.trees.len()), last["trees"].as_u64().map(|t| t as usize));
    }
    let card = std::fs::read_to_string(outcome.dir.join("card.md")).unwrap();
    assert!(card.contains("## Walk-forward validation"));
    assert!(card.contains("refitted on the most recent labelled data"));
    assert!(outcome.dir.join("walk_forward_rates.svg").exists());
}

#[test]
fn a_self_assessment_model_uses_its_features_only_and_says_what_it_loses() {
    use vigie_core::features::{FeatureSet, SELF_ASSESSMENT};
    let dir = common::tempdir();
    let opts = TrainOptions { feature_set: FeatureSet::SelfAssessment, ..options(Family::Gbdt) };
    let own = train(panel(), dir.path(), &opts).expect("training");
    let file = ModelFile::load(&own.dir.join("model.json")).unwrap();
    let names: Vec<&str> = file.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, SELF_ASSESSMENT, "exactly the self-assessment features, in order");
    // Another version than the full model of the same options.
    let (_, full) = trained(Family::Gbdt);
    assert_ne!(own.version, full.version);
    // The full set on the same windows and test rows: the full model's own figures.
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(own.dir.join("metrics.json")).unwrap())
            .unwrap();
    assert_eq!(metrics["feature_set"], "self");
    let compared = &metrics["full_feature_set"];
    assert_eq!(own.windows.test, full.windows.test, "same test window");
    assert_eq!(compared["n"].as_u64(), Some(full.metrics.summary.n as u64), "same test rows");
    let auc = compared["roc_auc"].as_f64().unwrap();
    assert!((auc - full.metrics.summary.roc_auc.unwrap()).abs() < 1e-12, "{auc}");
    let card = std::fs::read_to_string(own.dir.join("card.md")).unwrap();
    assert!(card.contains("### Against the full feature set"));
    assert!(card.contains(&format!("| full catalogue | {auc:.3} |")), "{card}");
    // A full model's metrics say nothing of feature sets (its artifact is as before).
    let full_metrics = std::fs::read_to_string(full.dir.join("metrics.json")).unwrap();
    assert!(!full_metrics.contains("feature_set"));
}

/// The demo sources without some of them: a panel, a model and a nightly run each, the
/// absent sources' features missing (never zero), the card naming what the model never saw.
#[test]
fn models_train_and_score_with_sources_absent() {
    use vigie_core::features::{CATALOGUE, FeatureGroup};
    let demo = root().join("data-samples/demo");
    for absent in [&["social_monthly"][..], &["tax_monthly"], &["tax_monthly", "social_monthly"]] {
        let dir = common::copy_dir(&demo);
        for s in absent {
            for ext in ["csv", "parquet"] {
                let _ = std::fs::remove_file(dir.path().join(format!("{s}.{ext}")));
            }
        }
        let opts = PanelOptions { keep_in_procedure: true, ..PanelOptions::default() };
        let mut log = vigie_data::rejects::RejectLog::default();
        let built = vigie_data::panel::build(dir.path(), &Pseudonymiser::demo(), &opts, &mut log)
            .unwrap_or_else(|e| panic!("{absent:?}: {e}"));
        let s = &built.summary;
        assert!(absent.iter().all(|a| !s.sources_present.contains(a)), "{absent:?}");
        assert!(s.sources_present.contains(&"filings") && s.sources_present.contains(&"events"));
        // The absent sources' groups have no value at all; the others have.
        let absent_groups: Vec<FeatureGroup> = FeatureGroup::ALL
            .into_iter()
            .filter(|g| match g {
                FeatureGroup::Tax | FeatureGroup::Activity => absent.contains(&"tax_monthly"),
                FeatureGroup::Social => absent.contains(&"social_monthly"),
                _ => false,
            })
            .collect();
        let out = common::tempdir();
        let path = out.path().join("panel.parquet");
        built.table.write(&path, Format::Parquet).unwrap();
        let t = vigie_data::tabular::read(&path).unwrap();
        for f in CATALOGUE {
            let values = t.numeric(f.name).unwrap();
            let any = values.iter().any(|v| !v.is_nan());
            assert_eq!(any, !absent_groups.contains(&f.group), "{absent:?}: {}", f.name);
        }
        assert!(
            absent_groups.iter().all(|g| !s.feature_groups_present.contains(&g.as_str())),
            "{absent:?}: {:?}",
            s.feature_groups_present
        );
        // A model trains; its card names the features it never saw.
        let train_opts = TrainOptions {
            gbdt: GbdtParams { iterations: 60, learning_rate: 0.1, ..GbdtParams::default() },
            ..options(Family::Gbdt)
        };
        let outcome =
            train(&path, out.path(), &train_opts).unwrap_or_else(|e| panic!("{absent:?}: {e}"));
        let card = std::fs::read_to_string(outcome.dir.join("card.md")).unwrap();
        assert!(card.contains("### Sources"), "{absent:?}");
        let unseen = CATALOGUE.iter().filter(|f| absent_groups.contains(&f.group));
        for f in unseen {
            assert!(card.contains(&format!("`{}`", f.name)), "{absent:?}: {} not named", f.name);
        }
        let metrics: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(outcome.dir.join("metrics.json")).unwrap(),
        )
        .unwrap();
        // Better than chance with what is left (0.5 is a random ranking; with 875 failures
        // in the test window its standard error is about 0.01).
        let auc = metrics["summary"]["roc_auc"].as_f64().unwrap();
        eprintln!("without {absent:?}: out-of-time ROC AUC {auc:.3}");
        assert!(auc > 0.55, "{absent:?}: {}", metrics["summary"]);
        // And the nightly run scores every company with it.
        let store_dir = common::tempdir();
        let url = format!("sqlite://{}", store_dir.path().join("vigie.db").display());
        let rescored = crate::store::rt().block_on(async {
            let store = vigie_store::Store::open(&url).await.unwrap();
            let mut o =
                crate::rescore::options(dir.path(), "2025-12", &store_dir.path().join("r"), false);
            o.model = Some(outcome.dir.clone());
            let out = vigie_batch::rescore(&store, &o, &|_| {}).await;
            store.close().await;
            out
        });
        let rescored = rescored.unwrap_or_else(|e| panic!("{absent:?}: {e}"));
        assert!(rescored.summary.scored > 3000, "{absent:?}: {}", rescored.summary.scored);
    }
}

/// `vigie train` says where it is: every step once, in order, the count known from the
/// first fit on, ending with the artifact.
#[test]
fn training_reports_its_steps() {
    let steps = std::sync::Mutex::new(Vec::new());
    let dir = common::tempdir();
    let opts = TrainOptions {
        gbdt: GbdtParams { iterations: 30, learning_rate: 0.1, ..GbdtParams::default() },
        ..options(Family::Gbdt)
    };
    vigie_train::train::train_with_progress(panel(), dir.path(), &opts, &|s| {
        steps.lock().unwrap().push(s);
    })
    .unwrap();
    let steps = steps.into_inner().unwrap();
    let numbers: Vec<usize> = steps.iter().map(|s| s.step).collect();
    assert_eq!(numbers, (1..=steps.len()).collect::<Vec<_>>());
    let last = steps.last().unwrap();
    assert_eq!((last.of, last.what.as_str()), (steps.len(), "writing the artifact"));
    assert!(steps[1..].iter().all(|s| s.of == last.of), "the count is known from the first fit");
    assert!(steps.iter().any(|s| s.what.starts_with("walk-forward window 1 of")));
    assert!(steps.iter().any(|s| s.what.starts_with("the shipped model")));
}

#[test]
fn the_rows_of_every_fit_are_written_for_a_peer_to_fit_the_same_rows() {
    // `vigie train --fit-rows`: what benches/train.sh gives LightGBM.
    let dir = common::tempdir();
    let rows_dir = dir.path().join("rows");
    let opts = TrainOptions { fit_rows: Some(rows_dir.clone()), ..options(Family::Gbdt) };
    let out = train(panel(), &dir.path().join("models"), &opts).unwrap();
    let features = std::fs::read_to_string(rows_dir.join("features.txt")).unwrap();
    assert_eq!(features.lines().count(), vigie_core::features::CATALOGUE.len());
    let read = |name: &str| -> Vec<(usize, String, u8)> {
        let text = std::fs::read_to_string(rows_dir.join(name)).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("row,role,label"));
        lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0].parse().unwrap(), f[1].to_owned(), f[2].parse().unwrap())
            })
            .collect()
    };
    let mut fits: Vec<String> = std::fs::read_dir(&rows_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("fit-"))
        .collect();
    fits.sort();
    assert_eq!(fits.len(), out.walk_forward.len() + 1, "{fits:?}");
    assert!(fits.last().unwrap().ends_with("-refit.csv"), "the refit comes last: {fits:?}");
    for (name, window) in fits.iter().zip(&out.walk_forward) {
        assert_eq!(name, &format!("fit-{}.csv", window.test_from));
        let rows = read(name);
        let train: std::collections::HashSet<usize> =
            rows.iter().filter(|r| r.1 == "train").map(|r| r.0).collect();
        let valid = rows.iter().filter(|r| r.1 == "validation").count();
        assert!(!train.is_empty() && valid > 0);
        assert!(rows.iter().filter(|r| r.1 == "validation").all(|r| !train.contains(&r.0)));
        assert!(rows.iter().any(|r| r.2 == 1), "failures among the rows of {name}");
    }
    // The test rows are those of the card's figures.
    let test = read("test.csv");
    assert_eq!(test.len(), out.metrics.summary.n);
    assert_eq!(test.iter().filter(|r| r.2 == 1).count(), out.metrics.summary.positives);
}
