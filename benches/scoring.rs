//! Scoring benchmarks (divan): the committed demo model (`models/demo`) on 1,000,000
//! company-months, with and without explanations, in parallel on all cores as the nightly
//! batch runs it.
//!
//! Run: `cargo bench -p vigie-benches --bench scoring`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;
use vigie_core::Pseudonymiser;
use vigie_data::panel::{self, PanelOptions};
use vigie_data::rejects::RejectLog;
use vigie_data::source::Format;
use vigie_score::{ModelFile, Scorer};

fn main() {
    divan::main();
}

const ROWS: usize = 1_000_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_owned()
}

/// The demo model and 1,000,000 feature rows (the demo panel, repeated), row-major.
fn setup() -> &'static (Scorer, Vec<f64>, usize) {
    static S: OnceLock<(Scorer, Vec<f64>, usize)> = OnceLock::new();
    S.get_or_init(|| {
        let dir = std::fs::read_dir(root().join("models/demo"))
            .expect("models/demo")
            .map(|e| e.expect("entry").path())
            .find(|p| p.is_dir())
            .expect("a demo model");
        let model = ModelFile::load(&dir).expect("model");
        let tmp = tempfile::tempdir().expect("temporary directory");
        let mut log = RejectLog::default();
        let p = panel::build(
            &root().join("data-samples/demo"),
            &Pseudonymiser::demo(),
            &PanelOptions::default(),
            &mut log,
        )
        .expect("panel");
        let path = tmp.path().join("panel.parquet");
        p.table.write(&path, Format::Parquet).expect("written");
        let t = vigie_data::tabular::read(&path).expect("read");
        let cols: Vec<&[f64]> =
            model.features.iter().map(|f| t.numeric(&f.name).expect("feature")).collect();
        let k = cols.len();
        let mut rows = Vec::with_capacity(ROWS * k);
        for i in 0..ROWS {
            rows.extend(cols.iter().map(|c| c[i % t.rows]));
        }
        (Scorer::in_model_order(model), rows, k)
    })
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn score_1m_rows(bencher: divan::Bencher) {
    let (scorer, rows, k) = setup();
    bencher.bench(|| {
        rows.par_chunks(4096 * k)
            .map(|chunk| scorer.score_rows(chunk, *k).expect("scores").len())
            .sum::<usize>()
    });
}

/// Scores and explains every row of `rows` (the batch path: no per-row allocation).
fn explain_all(scorer: &Scorer, rows: &[f64], k: usize) -> f64 {
    rows.par_chunks(4096 * k)
        .map(|chunk| {
            let (mut x, mut phi) = (Vec::new(), Vec::new());
            chunk
                .chunks(k)
                .map(|row| {
                    let margin = scorer.contributions(row, &mut x, &mut phi).expect("explanation");
                    scorer.calibrate(margin).p.alert() + phi[0]
                })
                .sum::<f64>()
        })
        .sum()
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn score_and_explain_1m_rows(bencher: divan::Bencher) {
    let (scorer, rows, k) = setup();
    bencher.bench(|| explain_all(scorer, rows, *k));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn score_and_explain_20k_rows(bencher: divan::Bencher) {
    let (scorer, rows, k) = setup();
    bencher.bench(|| explain_all(scorer, &rows[..20_000 * k], *k));
}
