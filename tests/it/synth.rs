//! The generator: determinism, realistic failure rates, a signal that is real but far from
//! perfect.

use vigie_data::panel::PanelOptions;
use vigie_synth::{Format, GenerateOptions};

use crate::common::{self, build};

fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| {
            let e = e.expect("entry");
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read"))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_does_not() {
    for format in [Format::Csv, Format::Parquet] {
        let run = |seed| {
            let dir = common::tempdir();
            let opts = GenerateOptions { companies: 400, years: 3, seed, format };
            vigie_synth::generate(&opts, dir.path()).expect("generation");
            let f = files(dir.path());
            assert_eq!(f.len(), 5, "five sources");
            f
        };
        let a = run(11);
        assert_eq!(a, run(11), "same seed, same bytes ({format:?})");
        assert_ne!(a, run(12), "another seed, other data ({format:?})");
    }
}

#[test]
fn generated_data_pass_validation_without_a_single_reject() {
    let (panel, log) = build(common::small_csv(), &PanelOptions::default()).expect("run");
    assert!(log.is_empty(), "first rejects: {:?}", &log.rejects()[..log.len().min(3)]);
    assert_eq!(panel.summary.sources["companies"].rows_read, 150);
}

#[test]
fn failure_rates_and_a_simple_score_are_realistic() {
    // Fixed seed: the figures are deterministic; the bands are the documented claims of
    // docs/synthetic-data.md (18-month label rate 1-3 % each year; tax arrears / turnover
    // alone ranks failures above survivors with an AUC well above 0.5, far from 1).
    let opts = PanelOptions { step: 3, ..PanelOptions::default() };
    let (panel, _) = build(common::large_parquet(), &opts).expect("run");
    let s = panel.summary.clone();
    assert!(s.label_18m_rate_by_year.len() >= 6, "years with observed 18-month labels");
    for (year, r) in &s.label_18m_rate_by_year {
        let rate = r.rate.expect("observed");
        assert!((0.01..=0.03).contains(&rate), "{year}: 18-month label rate {rate:.4}");
    }
    let df = common::frame(panel);
    let labels = common::floats(&df, "label_18m");
    let score = common::floats(&df, "tax_arrears_ratio");
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (l, s) in labels.iter().zip(&score) {
        if !l.is_nan() {
            // A missing ratio ranks lowest, as a naive score would treat it.
            x.push(if s.is_nan() { -1.0 } else { *s });
            y.push(*l == 1.0);
        }
    }
    let auc = vigie_eval::metrics::roc_auc(&x, &y).expect("both classes");
    assert!((0.68..=0.85).contains(&auc), "AUC of tax arrears / turnover: {auc:.3}");
}

#[test]
fn committed_demo_sample_is_reproducible_and_clean() {
    // data-samples/demo is exactly `vigie generate --companies 4000 --years 6 --seed 2025`
    // (README): regenerate it with that command whenever the generator changes.
    let dir = common::tempdir();
    let opts = GenerateOptions { companies: 4000, years: 6, seed: 2025, format: Format::Parquet };
    vigie_synth::generate(&opts, dir.path()).expect("generation");
    let committed = common::root().join("data-samples/demo");
    assert_eq!(files(dir.path()), files(&committed), "data-samples/demo is stale");
    let (panel, log) = build(&committed, &PanelOptions::default()).expect("run");
    assert!(log.is_empty());
    assert_eq!(panel.summary.companies, 4000);
}
