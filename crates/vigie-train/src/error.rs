//! The error type of `vigie-train`.

/// Why training or evaluation could not proceed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing data failed.
    #[error(transparent)]
    Data(#[from] vigie_data::Error),
    /// A model file could not be used.
    #[error(transparent)]
    Score(#[from] vigie_score::Error),
    /// The input table cannot be used as asked (missing label, non-numeric feature, …).
    #[error("{0}")]
    Input(String),
    /// A model failed to fit.
    #[error("fitting failed: {0}")]
    Fit(String),
    /// Writing an artifact failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
