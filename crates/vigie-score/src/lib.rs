//! Vigie scoring: load a model artifact, score feature vectors, calibrate, assign alert
//! levels and explain — small, synchronous, without any training dependency, so that the
//! batch and the server link only this.
//!
//! - [`model`]: the portable model file (`model.json`, documented in
//!   `docs/model-format.md`): feature schema, transforms, a linear model or a tree
//!   ensemble, calibration and thresholds;
//! - [`transform`]: the robust rank-to-normal transform with missing-value indicators;
//! - [`trees`]: tree-ensemble evaluation and exact TreeSHAP (`batch`: the margins of many
//!   rows at once, `TreeEnsemble::margins_with`);
//! - [`Scorer`]: binds a model to the columns of the data and scores rows;
//! - [`levers`]: the smallest plausible changes of actionable features that would bring a
//!   company under the orange threshold (rescored, exact);
//! - [`diagnosis`]: the public self-diagnosis — a company head's figures checked field by
//!   field (French messages), turned into the self model's row, scored, explained, with
//!   levers and where to get help.
//!
//! Invariants: per-feature contributions plus the bias add up to the model's margin (to
//! floating-point rounding); calibrated probabilities are monotone in the horizon; a model
//! whose features are not all in the data is refused with the missing names.

mod batch;
pub mod diagnosis;
mod error;
pub mod explanation;
pub mod levers;
pub mod model;
mod scorer;
pub mod transform;
pub mod trees;

pub use error::{Error, Result};
pub use explanation::{Explanation, FeatureContribution, GroupContribution, Summary};
pub use model::ModelFile;
pub use scorer::{Score, Scorer};
