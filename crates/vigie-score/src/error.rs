//! The error type of `vigie-score`.

use std::path::PathBuf;

/// Why a model could not be loaded or bound.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The model file is not valid JSON of the expected format.
    #[error("{path}: not a Vigie model file: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The model needs features that the data does not have.
    #[error("model {model} does not match the data: missing feature(s) {missing}")]
    SchemaMismatch {
        /// Model name and version.
        model: String,
        /// The missing feature names, comma-separated.
        missing: String,
    },
    /// The model produced a margin that is not a finite number (a corrupt model file).
    #[error("the model produced a non-finite score")]
    NotFinite,
    /// A feature row has the wrong length.
    #[error("feature row has {found} values, the model expects {expected}")]
    RowLength {
        /// Expected length.
        expected: usize,
        /// Found length.
        found: usize,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
