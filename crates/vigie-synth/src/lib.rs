//! Vigie synthetic data generator: realistic companies, annual filings, monthly tax and
//! social data, and judgments, for development, demos and benchmarks.
//!
//! The generative process is documented in `docs/synthetic-data.md`. In short: each
//! company has a latent distress level; distress episodes start at a rate that depends on
//! sector, age, size, a persistent company frailty and the economic year; an episode
//! deteriorates the company over 6–24 months (falling turnover, rising arrears, late or
//! missing declarations and filings, shrinking equity) and ends either in a judgment or in
//! a recovery; a few companies fail suddenly. Every observable is derived from the latent
//! state with noise, so the data carry signal without giving the answer away.
//!
//! Invariants: the output is a pure function of (companies, years, seed) — each company
//! draws from its own random stream, so thread scheduling changes nothing; every row
//! written passes `vigie-data` validation; the history ends in December of [`END_YEAR`].

mod model;
pub mod national;
pub mod open_data;
mod sectors;

use std::path::Path;

pub use model::generate;
pub use vigie_data::source::Format;

/// The synthetic history ends on 31 December of this year.
pub const END_YEAR: i32 = 2025;

/// Generator settings.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Number of companies.
    pub companies: usize,
    /// Years of monthly history (ending in December of [`END_YEAR`]).
    pub years: u32,
    /// Random seed.
    pub seed: u64,
    /// Output format.
    pub format: Format,
}

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid settings.
    #[error("invalid generator settings: {0}")]
    Settings(String),
    /// Writing failed.
    #[error(transparent)]
    Data(#[from] vigie_data::Error),
    /// The output directory could not be created.
    #[error("{path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Counts of what was generated.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Generated {
    /// Rows per file.
    pub companies: usize,
    /// Filings written.
    pub filings: usize,
    /// Monthly tax rows.
    pub tax_monthly: usize,
    /// Monthly social rows.
    pub social_monthly: usize,
    /// Judgments.
    pub events: usize,
    /// First month of the monthly history.
    pub first_month: String,
    /// Last month of the monthly history.
    pub last_month: String,
}

/// Validates the settings and creates the output directory.
fn prepare(opts: &GenerateOptions, out: &Path) -> Result<()> {
    if opts.companies == 0 || opts.companies > 50_000_000 {
        return Err(Error::Settings("--companies must be between 1 and 50,000,000".into()));
    }
    if !(2..=30).contains(&opts.years) {
        return Err(Error::Settings("--years must be between 2 and 30".into()));
    }
    std::fs::create_dir_all(out)
        .map_err(|source| Error::Io { path: out.display().to_string(), source })
}
