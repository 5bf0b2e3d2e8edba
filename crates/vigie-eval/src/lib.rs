//! Vigie evaluation: metrics of binary risk scores (ranking, calibration, thresholds,
//! breakdowns by group) and the SVG charts of training reports.
//!
//! Pure functions over slices, no I/O, no heavy dependency: used by `vigie-train` (model
//! evaluation and reports) and later by the batch (drift) and the dashboard (charts).

pub mod charts;
pub mod metrics;
