//! Vigie data layer: the only crate that reads and writes tables (with polars).
//!
//! - [`source`]: the five input sources, their columns, and reading them from CSV or
//!   Parquet with the checks that stop a run (missing column, wrong type, unreadable file);
//! - [`ingest`]: row-level validation into typed, pseudonymised records, every bad row
//!   going to the [`rejects`] log with its reason;
//! - [`pseudo`]: keyed HMAC pseudonymisation of SIRENs;
//! - [`panel`]: the point-in-time company × month panel with features and labels;
//! - [`table`]: writing tables (CSV or Parquet, atomically) for the other crates;
//! - [`tabular`]: reading any table as numeric or text columns (training inputs).
//!
//! Invariants: no output of this crate contains a raw SIREN (they are pseudonymised on
//! read and redacted in rejects); rows read = rows accepted + rows rejected (+ rows
//! skipped outside a requested month window, counted); a feature of month *m* depends only
//! on data available at *m*.

mod error;
pub mod import;
pub mod ingest;
pub mod panel;
pub mod pseudo;
pub mod rejects;
pub mod source;
pub mod table;
pub mod tabular;

pub use error::{Error, Result};
