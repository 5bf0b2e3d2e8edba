//! The error type of `vigie-data`: what stops a run (as opposed to a rejected row).

use std::path::PathBuf;

/// An error that stops the run. Bad rows are not errors: they go to the rejects log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file of a source could not be found in the input directory.
    #[error(
        "source `{source_name}`: no file {dir}/{source_name}.parquet or {dir}/{source_name}.csv"
    )]
    SourceMissing {
        /// Source name.
        source_name: &'static str,
        /// Input directory.
        dir: PathBuf,
    },
    /// A file could not be read or parsed as a whole.
    #[error("{path}: unreadable: {message}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A required column is absent.
    #[error("{path}: missing required column `{column}`")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// A column has a type that cannot hold its values.
    #[error("{path}: column `{column}` has the wrong type: expected {expected}, found {found}")]
    WrongType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// Expected type.
        expected: &'static str,
        /// Found type (or a description of the values found).
        found: String,
    },
    /// No pseudonymisation key was given.
    #[error(
        "no pseudonymisation key: set VIGIE_PSEUDO_KEY, pass --key-file, or use --demo-key for demonstration data"
    )]
    MissingKey,
    /// The pseudonymisation key is unusable.
    #[error("pseudonymisation key is invalid: {0}")]
    InvalidKey(String),
    /// Invalid arguments (month range, lags).
    #[error("invalid arguments: {0}")]
    Arguments(String),
    /// Writing an output failed.
    #[error("{path}: cannot write: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An I/O error outside of a specific table.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
