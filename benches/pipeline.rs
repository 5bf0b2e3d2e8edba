//! Data-pipeline benchmarks (divan): generating synthetic sources and building the
//! one-month panel of the nightly case. The 1,000,000-company figures of BENCHMARKS.md
//! come from the documented `vigie` commands; these benches track the same code paths at a
//! size that runs in a minute.
//!
//! Run: `cargo bench -p vigie-benches --bench pipeline`.

use std::path::Path;
use std::sync::OnceLock;

use vigie_core::Month;
use vigie_core::Pseudonymiser;
use vigie_data::panel::{self, PanelOptions};
use vigie_data::rejects::RejectLog;
use vigie_synth::{Format, GenerateOptions};

fn main() {
    divan::main();
}

/// 50,000 companies over 8 years, generated once.
fn sources() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let opts =
            GenerateOptions { companies: 50_000, years: 8, seed: 1, format: Format::Parquet };
        vigie_synth::generate(&opts, dir.path()).expect("generation");
        dir
    })
    .path()
}

#[divan::bench(sample_count = 5)]
fn generate_20k_companies_8_years(bencher: divan::Bencher) {
    bencher.bench(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let opts =
            GenerateOptions { companies: 20_000, years: 8, seed: 1, format: Format::Parquet };
        vigie_synth::generate(&opts, dir.path()).expect("generation")
    });
}

#[divan::bench(sample_count = 5)]
fn panel_one_month_50k_companies(bencher: divan::Bencher) {
    let dir = sources();
    let month = Month::parse("2025-12").expect("valid");
    let opts = PanelOptions { from: Some(month), to: Some(month), ..PanelOptions::default() };
    let pseudo = Pseudonymiser::demo();
    bencher.bench(|| {
        let mut log = RejectLog::default();
        panel::build(dir, &pseudo, &opts, &mut log).expect("panel").summary.rows_written
    });
}

#[divan::bench(sample_count = 3)]
fn panel_quarterly_8_years_50k_companies(bencher: divan::Bencher) {
    let dir = sources();
    let opts = PanelOptions { step: 3, ..PanelOptions::default() };
    let pseudo = Pseudonymiser::demo();
    bencher.bench(|| {
        let mut log = RejectLog::default();
        panel::build(dir, &pseudo, &opts, &mut log).expect("panel").summary.rows_written
    });
}
