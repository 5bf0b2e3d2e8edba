//! `vigie evaluate` on real public data: the Polish bankruptcy ratios (UCI, CC BY 4.0) in
//! `../shared/data/polish-bankruptcy/`, and the input checks of the command.

use std::path::PathBuf;

use vigie_train::Family;
use vigie_train::evaluate::{CvOptions, cross_validate};
use vigie_train::gbdt::GbdtParams;
use vigie_train::logistic::LogisticParams;

use crate::common::{self, root};

fn polish(file: &str) -> PathBuf {
    root().join("../shared/data/polish-bankruptcy/csv").join(file)
}

fn options(family: Family) -> CvOptions {
    CvOptions {
        label: "class".into(),
        group: None,
        exclude: Vec::new(),
        family,
        folds: 5,
        seed: 42,
        fold_column: None,
        gbdt: GbdtParams::default(),
        logistic: LogisticParams::default(),
    }
}

#[test]
fn both_families_rank_real_bankruptcies_well() {
    // The split and the models are deterministic for the seed, so these are exact
    // reproductions of BENCHMARKS.md; the floors sit just under the measured values to
    // catch regressions (issue #3 asks for 0.960 with gbdt; see BENCHMARKS.md for where
    // it stands against LightGBM and XGBoost).
    for (file, gbdt_floor, logistic_floor) in
        [("1year.csv", 0.946, 0.905), ("5year.csv", 0.958, 0.925)]
    {
        let table = vigie_data::tabular::read(&polish(file)).expect("the shared data are readable");
        let g = cross_validate(&table, &options(Family::Gbdt)).expect("gbdt");
        let l = cross_validate(&table, &options(Family::Logistic)).expect("logistic");
        assert!(g.roc_auc >= gbdt_floor, "{file}: gbdt AUC {:.4}", g.roc_auc);
        assert!(l.roc_auc >= logistic_floor, "{file}: logistic AUC {:.4}", l.roc_auc);
        assert!(l.roc_auc >= 0.90, "{file}: the issue's target for the logistic baseline");
        assert_eq!(g.folds.len(), 5);
        assert_eq!(g.features, 64);
        let positives: usize = g.folds.iter().map(|f| f.positives).sum();
        assert_eq!(positives as f64 / g.rows as f64, g.positive_rate);
    }
}

#[test]
fn evaluate_refuses_unusable_tables() {
    use std::fmt::Write;
    let dir = common::tempdir();
    let path = dir.path().join("t.csv");
    let mut text = String::from("id,sector,x,y,f,label\n");
    for i in 0..60 {
        let _ = writeln!(
            text,
            "c{},s{},{},{},{},{}",
            i / 3,
            i % 4,
            i,
            (i * 7) % 11,
            (i / 12) % 5,
            u8::from(i % 5 == 0)
        );
    }
    std::fs::write(&path, &text).unwrap();
    let table = vigie_data::tabular::read(&path).unwrap();
    let base = CvOptions { label: "label".into(), ..options(Family::Logistic) };
    let err = cross_validate(&table, &base).unwrap_err().to_string();
    assert!(err.contains("id, sector") && err.contains("--exclude"), "{err}");
    let ok = CvOptions { group: Some("id".into()), exclude: vec!["sector".into()], ..base.clone() };
    let r = cross_validate(&table, &ok).expect("grouped evaluation");
    assert_eq!(r.features, 3);
    let err = cross_validate(
        &table,
        &CvOptions {
            label: "x".into(),
            exclude: vec!["id".into(), "sector".into()],
            ..base.clone()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("must be 0 or 1"), "{err}");
    let err = cross_validate(&table, &CvOptions { exclude: vec!["nope".into()], ..base })
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope"), "{err}");
    // A row without a group is refused by number, not pooled with the others into one fold.
    let holed = text.replacen("\nc1,", "\n,", 1);
    std::fs::write(&path, holed).unwrap();
    let table = vigie_data::tabular::read(&path).unwrap();
    let err = cross_validate(&table, &ok).unwrap_err().to_string();
    assert!(err.contains("group column `id`: row 4 has no value"), "{err}");
}
