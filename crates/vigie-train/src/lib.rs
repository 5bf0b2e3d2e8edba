//! Vigie training: turns a panel (or any table) into a calibrated, explainable, versioned
//! failure-risk model.
//!
//! - [`design`]: feature matrices (column-major) built from tables;
//! - [`logistic`]: L2 logistic regression (our L-BFGS) on rank-to-normal features with
//!   missing-value indicators — the interpretable baseline;
//! - [`gbdt`]: gradient-boosted trees (our histogram GBDT, converted to Vigie's portable trees so
//!   that scoring and exact TreeSHAP need no training dependency);
//! - [`calibrate`]: Platt maps per horizon, alert thresholds;
//! - [`folds`]: stratified (and grouped) k-fold splits;
//! - [`evaluate`]: k-fold cross-validation of any table (`vigie evaluate`);
//! - `panel`: the panel as training reads it (columns used only, texts as codes, by
//!   slices of the file);
//! - [`walk`]: the model lifecycle in time: windows known at a cutoff, the anchored
//!   calibration, the walk-forward series and the production layout;
//! - [`train`]: `vigie train`, from a panel to the artifact.
//!
//! Invariants: training is deterministic for a seed (same inputs → same model file bytes);
//! a model is fitted on training rows only, its calibration and thresholds on a later
//! validation window, and it is measured on a still later test window.

/// The fitting code of each family, part of every model version beside `walk::SCHEME`: a
/// model fitted by other code (forust-ml, linfa before) gets another version, even on the
/// same data and settings.
pub const FITTERS: &str = "fitters/2026-12: gbdt = Vigie histogram GBDT, logistic = Vigie L-BFGS";

pub mod calibrate;
pub mod design;
mod error;
pub mod evaluate;
pub mod folds;
pub mod gbdt;
pub mod logistic;
mod panel;
mod report;
mod seen;
pub mod train;
pub mod walk;

pub use error::{Error, Result};

/// The model families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Logistic regression (interpretable baseline).
    Logistic,
    /// Gradient-boosted decision trees.
    Gbdt,
}

impl Family {
    /// The name used on the command line and in model files.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Logistic => "logistic",
            Family::Gbdt => "gbdt",
        }
    }
}

/// A model file around a bare model (identity calibration, no thresholds): for scoring
/// margins during evaluation, never written.
pub(crate) fn bare(
    features: Vec<vigie_score::model::FeatureSpec>,
    model: vigie_score::model::Model,
) -> vigie_score::ModelFile {
    use vigie_score::model::{
        Calibration, FORMAT, FORMAT_VERSION, ModelFile, Thresholds, TrainingInfo,
    };
    ModelFile {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        name: "unsaved".into(),
        version: "unsaved".into(),
        features,
        model,
        calibration: Calibration { platt: [[1.0, 0.0]; 4], fitted_on: "identity".into() },
        thresholds: Thresholds { red: 1.0, orange: 1.0 },
        training: TrainingInfo {
            train_window: [String::new(), String::new()],
            validation_window: [String::new(), String::new()],
            test_window: [String::new(), String::new()],
            data_fingerprint: String::new(),
            seed: 0,
            code_version: String::new(),
            params: serde_json::Value::Null,
        },
    }
}
