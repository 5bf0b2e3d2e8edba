//! Gradient-boosted decision trees, fitted with forust-ml (histogram-based, second-order,
//! sample weights, early stopping, deterministic for a seed) and converted into Vigie's
//! portable trees, which `vigie-score` evaluates and explains (exact TreeSHAP in f64).

use forust_ml::gradientbooster::GrowPolicy;
use forust_ml::metric::Metric;
use forust_ml::sampler::SampleMethod;
use forust_ml::{GradientBooster, Matrix};
use serde::{Deserialize, Serialize};
use vigie_score::model::{Node, Tree, TreeEnsemble};

use crate::design::Design;
use crate::{Error, Result};

/// Hyperparameters (unchecked). The defaults are the fixed settings of Vigie's benchmarks,
/// chosen before looking at any test fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GbdtParams {
    /// Maximum number of trees.
    pub iterations: usize,
    /// Shrinkage.
    pub learning_rate: f32,
    /// Maximum depth of a tree.
    pub max_depth: usize,
    /// L2 regularisation of leaf values.
    pub l2: f32,
    /// Minimum loss reduction of a split.
    pub gamma: f32,
    /// Minimum hessian sum in a leaf.
    pub min_leaf_weight: f32,
    /// Histogram bins per feature.
    pub nbins: u16,
    /// Share of rows drawn for each tree (1 = all).
    pub subsample: f32,
    /// Share of features drawn for each tree.
    pub colsample: f64,
    /// Weight of positive rows (class weighting; 1 = none). Probabilities are recalibrated
    /// afterwards, so weighting changes the ranking, not the final calibration.
    pub positive_weight: f64,
    /// Stop when the validation log-loss has not improved for this many trees (only when
    /// a validation set is given).
    pub early_stopping_rounds: Option<usize>,
    /// Random seed.
    pub seed: u64,
    /// Tree growth: depth-wise (level by level) or loss-guided (best leaf first, capped by
    /// `max_leaves`, as LightGBM).
    pub leaf_wise: bool,
    /// Maximum leaves per tree (loss-guided growth).
    pub max_leaves: usize,
    /// Number of boosted models averaged (bagging with different seeds); the average of
    /// additive tree models is itself an additive tree model, so explanations stay exact.
    pub bags: usize,
}

impl Default for GbdtParams {
    fn default() -> Self {
        Self {
            iterations: 500,
            learning_rate: 0.05,
            max_depth: 6,
            l2: 1.0,
            gamma: 0.0,
            min_leaf_weight: 1.0,
            nbins: 256,
            subsample: 0.8,
            colsample: 0.8,
            positive_weight: 1.0,
            early_stopping_rounds: Some(50),
            seed: 0,
            leaf_wise: false,
            max_leaves: 31,
            bags: 1,
        }
    }
}

/// Checked hyperparameters (unchecked → checked → fitted).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidGbdtParams(GbdtParams);

impl GbdtParams {
    /// Checks ranges.
    pub fn check(self) -> Result<ValidGbdtParams> {
        let bad = |m: &str| Err(Error::Input(format!("invalid gbdt parameter: {m}")));
        if self.iterations == 0 {
            return bad("iterations must be positive");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return bad("learning_rate must be in (0, 1]");
        }
        if self.max_depth == 0 || self.max_depth > 16 {
            return bad("max_depth must be in 1..=16");
        }
        if !(self.subsample > 0.0
            && self.subsample <= 1.0
            && self.colsample > 0.0
            && self.colsample <= 1.0)
        {
            return bad("subsample and colsample must be in (0, 1]");
        }
        if !(self.positive_weight > 0.0 && self.positive_weight.is_finite()) {
            return bad("positive_weight must be positive");
        }
        if self.nbins < 2 {
            return bad("nbins must be at least 2");
        }
        if self.bags == 0 || self.bags > 64 {
            return bad("bags must be in 1..=64");
        }
        if self.max_leaves < 2 {
            return bad("max_leaves must be at least 2");
        }
        Ok(ValidGbdtParams(self))
    }
}

impl ValidGbdtParams {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &GbdtParams {
        &self.0
    }

    fn booster(&self, seed: u64) -> GradientBooster {
        let p = &self.0;
        let mut b = GradientBooster::default()
            .set_iterations(p.iterations)
            .set_learning_rate(p.learning_rate)
            .set_max_depth(p.max_depth)
            .set_l2(p.l2)
            .set_gamma(p.gamma)
            .set_min_leaf_weight(p.min_leaf_weight)
            .set_nbins(p.nbins)
            .set_colsample_bytree(p.colsample)
            .set_seed(seed)
            .set_parallel(true)
            .set_allow_missing_splits(true)
            .set_create_missing_branch(false);
        if p.subsample < 1.0 {
            b = b.set_sample_method(SampleMethod::Random).set_subsample(p.subsample);
        }
        if p.leaf_wise {
            b = b.set_max_leaves(p.max_leaves);
            b.grow_policy = GrowPolicy::LossGuide;
        } else {
            b.grow_policy = GrowPolicy::DepthWise;
        }
        b
    }

    /// Fits on `x`, `y` (0/1); with a validation set, stops early on its log-loss.
    pub fn fit(
        &self,
        x: &Design,
        y: &[f64],
        valid: Option<(&Design, &[f64])>,
    ) -> Result<TreeEnsemble> {
        let p = &self.0;
        if x.n == 0 || y.len() != x.n {
            return Err(Error::Input("no training rows".into()));
        }
        let weight = |y: &[f64]| -> Vec<f64> {
            y.iter().map(|&v| if v > 0.5 { p.positive_weight } else { 1.0 }).collect()
        };
        let w = weight(y);
        let m = Matrix::new(&x.x, x.n, x.k());
        let vw = valid.map(|(_, vy)| weight(vy));
        let mut base = 0.0;
        let mut trees = Vec::new();
        let scale = 1.0 / p.bags as f64;
        for bag in 0..p.bags as u64 {
            let mut b = self.booster(p.seed.wrapping_add(bag));
            let eval = match (valid, &vw) {
                (Some((vx, vy)), Some(vw)) if p.early_stopping_rounds.is_some() && vx.n > 0 => {
                    b = b
                        .set_evaluation_metric(Some(Metric::LogLoss))
                        .set_early_stopping_rounds(p.early_stopping_rounds);
                    Some(vec![(Matrix::new(&vx.x, vx.n, vx.k()), vy, vw.as_slice())])
                }
                _ => None,
            };
            b.fit(&m, y, &w, eval).map_err(|e| Error::Fit(e.to_string()))?;
            let used = b.prediction_iteration.unwrap_or(b.trees.len()).min(b.trees.len());
            base += scale * b.base_score;
            trees.extend(b.trees[..used].iter().map(|t| convert(t, scale)));
        }
        Ok(TreeEnsemble { base, trees })
    }
}

/// Converts a forust tree: nodes renumbered in depth-first order (children after their
/// parent), leaf values widened to f64 and multiplied by `scale` (bagging), covers
/// recomputed bottom-up from the leaves so that `cover = left + right` holds exactly
/// (TreeSHAP relies on it).
fn convert(t: &forust_ml::tree::Tree, scale: f64) -> Tree {
    fn walk(t: &forust_ml::tree::Tree, i: usize, scale: f64, out: &mut Vec<Node>) -> usize {
        let n = &t.nodes[i];
        let me = out.len();
        if n.is_leaf {
            out.push(Node {
                feature: 0,
                threshold: 0.0,
                left: 0,
                right: 0,
                missing: 0,
                value: scale * f64::from(n.weight_value),
                cover: f64::from(n.hessian_sum).max(1e-12),
            });
            return me;
        }
        out.push(Node {
            feature: n.split_feature as u32,
            threshold: n.split_value,
            left: 0,
            right: 0,
            missing: 0,
            value: 0.0,
            cover: 0.0,
        });
        let l = walk(t, n.left_child, scale, out);
        let r = walk(t, n.right_child, scale, out);
        let missing = if n.missing_node == n.left_child { l } else { r };
        let cover = out[l].cover + out[r].cover;
        let node = &mut out[me];
        node.left = l as u32;
        node.right = r as u32;
        node.missing = missing as u32;
        node.cover = cover;
        me
    }
    let mut nodes = Vec::with_capacity(t.nodes.len());
    walk(t, 0, scale, &mut nodes);
    Tree { nodes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;
    use vigie_score::trees::PathElement;

    fn toy(n: usize, seed: u64) -> (Design, Vec<f64>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut cols = vec![Vec::new(), Vec::new(), Vec::new()];
        let mut y = Vec::new();
        for _ in 0..n {
            let a: f64 = rng.random();
            let b: f64 = rng.random();
            let c: f64 = if rng.random::<f64>() < 0.2 { f64::NAN } else { rng.random() };
            let logit = 3.0 * a - 2.0 * b + if c.is_nan() { 1.0 } else { c } - 1.5;
            y.push(if rng.random::<f64>() < 1.0 / (1.0 + (-logit).exp()) { 1.0 } else { 0.0 });
            cols[0].push(a);
            cols[1].push(b);
            cols[2].push(c);
        }
        let d = Design::from_columns(
            cols.into_iter().enumerate().map(|(j, v)| (format!("f{j}"), None, v)).collect(),
        );
        (d, y)
    }

    #[test]
    fn fits_deterministically_and_explains_exactly() {
        let (x, y) = toy(2000, 1);
        let params =
            GbdtParams { iterations: 60, seed: 7, ..GbdtParams::default() }.check().unwrap();
        let a = params.fit(&x, &y, None).unwrap();
        let b = params.fit(&x, &y, None).unwrap();
        assert_eq!(a, b, "same data and seed, same trees");
        assert_eq!(a.trees.len(), 60);
        let mut row = Vec::new();
        let mut scratch = vec![PathElement::default(); a.shap_buffer_len()];
        for i in 0..200 {
            x.row(i, &mut row);
            let mut phi = vec![0.0; 3];
            a.shap(&row, &mut phi, &mut scratch);
            let total = a.expected_margin() + phi.iter().sum::<f64>();
            assert!((total - a.margin(&row)).abs() < 1e-9, "contributions add up to the margin");
        }
        // The signal is found: the first feature raises the risk, the second lowers it.
        let scores: Vec<f64> = (0..x.n)
            .map(|i| {
                x.row(i, &mut row);
                a.margin(&row)
            })
            .collect();
        let labels: Vec<bool> = y.iter().map(|&v| v > 0.5).collect();
        let auc = vigie_eval::metrics::roc_auc(&scores, &labels).unwrap();
        assert!(auc > 0.75, "training AUC {auc}");
    }

    #[test]
    fn early_stopping_uses_the_validation_set() {
        let (x, y) = toy(1500, 2);
        let (vx, vy) = toy(800, 3);
        let params = GbdtParams {
            iterations: 400,
            learning_rate: 0.3,
            early_stopping_rounds: Some(10),
            ..GbdtParams::default()
        }
        .check()
        .unwrap();
        let m = params.fit(&x, &y, Some((&vx, &vy))).unwrap();
        assert!(m.trees.len() < 400, "stopped early at {}", m.trees.len());
    }

    #[test]
    fn invalid_parameters_are_refused() {
        assert!(GbdtParams { learning_rate: 0.0, ..GbdtParams::default() }.check().is_err());
        assert!(GbdtParams { max_depth: 0, ..GbdtParams::default() }.check().is_err());
        assert!(GbdtParams { positive_weight: -1.0, ..GbdtParams::default() }.check().is_err());
    }
}
