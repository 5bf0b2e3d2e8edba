//! Gradient-boosted decision trees: Vigie's own histogram GBDT (second-order, sample
//! weights, row and column sampling, depth-wise or loss-guided growth, early stopping on a
//! validation set), fitted on one byte per value and converted into Vigie's portable trees,
//! which `vigie-score` evaluates and explains (exact TreeSHAP in f64).
//!
//! Why our own and not forust-ml, which Vigie used before: ARCHITECTURE.md, `vigie-train`,
//! "Why our own" (issue #13: time and memory measured against LightGBM).
//!
//! - [`bins`]: cut points learnt from the training rows, the binned matrix;
//! - [`grow`]: one tree from gradient histograms.
//!
//! Deterministic for a seed, whatever the number of threads: each tree's sample is drawn by
//! fixed blocks of rows, each from its own generator seeded from the tree's seed (one seeded
//! generator draws the trees' seeds and the column samples); parallel sums run over fixed
//! blocks added in block order.

mod bins;
mod grow;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use vigie_score::model::{Node, Tree, TreeEnsemble};

use self::bins::{Binned, Cuts};
use self::grow::{BinTree, Grow, Sum, Workspace};
use crate::design::Design;
use crate::{Error, Result};

/// Rows per parallel block of the boosting loop (fixed: results never depend on threads).
const BLOCK: usize = 16_384;

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
        if self.nbins < 3 {
            return bad(
                "nbins must be at least 3 (bin 0 holds missing values; a split needs two value bins)",
            );
        }
        let usable = |v: f32| v >= 0.0 && v.is_finite();
        if !(usable(self.l2) && usable(self.gamma) && usable(self.min_leaf_weight)) {
            return bad("l2, gamma and min_leaf_weight must be finite and not negative");
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

    /// Value bins per feature (bin 0 is kept for missing values).
    fn max_bins(&self) -> usize {
        usize::from(self.0.nbins.min(grow::BINS as u16)) - 1
    }

    /// Fits on `x`, `y` (0/1); with a validation set, stops early on its log-loss. The
    /// bins are learnt from `x` alone.
    pub fn fit(
        &self,
        x: &Design,
        y: &[f64],
        valid: Option<(&Design, &[f64])>,
    ) -> Result<TreeEnsemble> {
        if x.n == 0 || y.len() != x.n {
            return Err(Error::Input("no training rows".into()));
        }
        let cuts = Cuts::learn(x, None, self.max_bins());
        let train = Binned::of(x, None, &cuts).with_rows();
        let valid = self.stopping(valid).map(|(vx, vy)| (Binned::of(vx, None, &cuts), vy));
        self.boost(&cuts, &train, y, valid.as_ref().map(|(b, y)| (b, *y)))
    }

    /// Fits on the rows `rows` of `x` with labels `y` (one per row of `rows`), validated on
    /// the rows `valid.0` of the same design: no copy of the design, only one byte per
    /// value of the rows used. The bins are learnt from the training rows alone.
    pub fn fit_rows(
        &self,
        x: &Design,
        rows: &[usize],
        y: &[f64],
        valid: Option<(&[usize], &[f64])>,
    ) -> Result<TreeEnsemble> {
        if rows.is_empty() || y.len() != rows.len() {
            return Err(Error::Input("no training rows".into()));
        }
        let cuts = Cuts::learn(x, Some(rows), self.max_bins());
        let train = Binned::of(x, Some(rows), &cuts).with_rows();
        let valid = self.stopping(valid).map(|(vr, vy)| (Binned::of(x, Some(vr), &cuts), vy));
        self.boost(&cuts, &train, y, valid.as_ref().map(|(b, y)| (b, *y)))
    }

    /// The validation set, when it stops the fit: without early stopping (the refit) its
    /// rows are not binned at all.
    fn stopping<T>(&self, valid: Option<T>) -> Option<T> {
        valid.filter(|_| self.0.early_stopping_rounds.is_some())
    }

    fn grow(&self) -> Grow {
        let p = &self.0;
        Grow {
            max_depth: p.max_depth,
            max_leaves: if p.leaf_wise { p.max_leaves } else { 1 << p.max_depth },
            leaf_wise: p.leaf_wise,
            l2: f64::from(p.l2),
            gamma: f64::from(p.gamma),
            min_leaf_weight: f64::from(p.min_leaf_weight),
            learning_rate: f64::from(p.learning_rate),
        }
    }

    fn boost(
        &self,
        cuts: &Cuts,
        x: &Binned,
        y: &[f64],
        valid: Option<(&Binned, &[f64])>,
    ) -> Result<TreeEnsemble> {
        let p = &self.0;
        if let Some((vx, vy)) = valid
            && vy.len() != vx.n
        {
            return Err(Error::Input("validation labels and rows differ in number".into()));
        }
        // Rows are numbered by `u32` in the partitions and samples.
        if u32::try_from(x.n).is_err() {
            return Err(Error::Input(format!(
                "{} training rows: at most {} in one fit",
                x.n,
                u32::MAX
            )));
        }
        let valid = valid.filter(|(vx, _)| vx.n > 0);
        let nbins = value_bins(cuts);
        let grow = self.grow();
        let scale = 1.0 / p.bags as f64;
        let mut base = 0.0;
        let mut trees = Vec::new();
        for bag in 0..p.bags as u64 {
            let (b, bag_trees) =
                self.boost_one(&grow, &nbins, x, y, valid, p.seed.wrapping_add(bag));
            base += scale * b;
            trees.extend(bag_trees.iter().map(|t| convert(t, cuts, scale)));
        }
        Ok(TreeEnsemble { base, trees })
    }

    /// One boosted model: its base margin and trees (cut at the best validation loss).
    fn boost_one(
        &self,
        grow: &Grow,
        nbins: &[usize],
        x: &Binned,
        y: &[f64],
        valid: Option<(&Binned, &[f64])>,
        seed: u64,
    ) -> (f64, Vec<BinTree>) {
        let p = &self.0;
        let weight = |v: f64| if v > 0.5 { p.positive_weight } else { 1.0 };
        let (sw, sy) =
            y.iter().fold((0.0, 0.0), |(sw, sy), &v| (sw + weight(v), sy + weight(v) * v));
        let rate = (sy / sw).clamp(1e-9, 1.0 - 1e-9);
        let base = (rate / (1.0 - rate)).ln();
        let mut margin = vec![base; x.n];
        let mut vmargin = vec![base; valid.map_or(0, |(vx, _)| vx.n)];
        let mut gh = vec![Sum::default(); x.n];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut ws = Workspace::new();
        let mut left_out: Vec<u32> = Vec::new();
        let mut order: Vec<usize> = (0..x.k).collect();
        let kept = ((p.colsample * x.k as f64).round() as usize).clamp(1, x.k.max(1)).min(x.k);
        let mut trees = Vec::new();
        let mut best = (f64::INFINITY, 0usize);
        // Seconds spent drawing the sample with its gradients, gathering it and drawing the
        // features, growing trees, updating margins (a debug log line at the end: where a
        // fit's time goes).
        let mut spent = [0.0f64; 4];
        let mut clock = std::time::Instant::now();
        let mut lap = |phase: usize| {
            let now = std::time::Instant::now();
            spent[phase] += (now - clock).as_secs_f64();
            clock = now;
        };
        for _ in 0..p.iterations {
            // The tree's sample (LightGBM's bagging) and the gradients of its rows, by fixed
            // blocks of rows, each drawing from its own generator seeded from the tree's: the
            // same sample for any number of threads. Rows left out are in no histogram and no
            // partition; they take their leaf by descending the tree.
            let tree_seed: u64 = rng.random();
            let blocks: Vec<(Vec<u32>, Vec<u32>)> = gh
                .par_chunks_mut(BLOCK)
                .zip(margin.par_chunks(BLOCK))
                .zip(y.par_chunks(BLOCK))
                .enumerate()
                .map(|(b, ((gh, m), y))| {
                    let mut draw = Xoshiro256PlusPlus::seed_from_u64(tree_seed ^ b as u64);
                    let (mut sampled, mut out) = (Vec::with_capacity(gh.len()), Vec::new());
                    for (r, ((s, &m), &v)) in gh.iter_mut().zip(m).zip(y).enumerate() {
                        let i = (b * BLOCK + r) as u32;
                        if p.subsample < 1.0 && draw.random::<f32>() >= p.subsample {
                            out.push(i);
                            continue;
                        }
                        sampled.push(i);
                        let pr = 1.0 / (1.0 + (-m).exp());
                        let w = weight(v);
                        *s = Sum { g: w * (pr - v), h: (w * pr * (1.0 - pr)).max(1e-16) };
                    }
                    (sampled, out)
                })
                .collect();
            lap(0);
            ws.index.clear();
            left_out.clear();
            for (sampled, out) in &blocks {
                ws.index.extend_from_slice(sampled);
                left_out.extend_from_slice(out);
            }
            order.shuffle(&mut rng);
            let mut features = order[..kept].to_vec();
            features.sort_unstable();
            lap(1);
            let tree = grow.tree(x, &gh, nbins, &features, &mut ws);
            lap(2);
            add_training(&tree, &ws.index, &left_out, x, &mut margin);
            if let Some((vx, vy)) = valid {
                add(&tree, vx, &mut vmargin);
                let loss = log_loss(&vmargin, vy, &weight);
                lap(3);
                trees.push(tree);
                if loss < best.0 {
                    best = (loss, trees.len());
                } else if trees.len() - best.1 >= p.early_stopping_rounds.unwrap_or(usize::MAX) {
                    break;
                }
            } else {
                lap(3);
                trees.push(tree);
                best.1 = trees.len();
            }
        }
        tracing::debug!(
            rows = x.n,
            trees = trees.len(),
            gradients = spent[0],
            sampling = spent[1],
            growing = spent[2],
            margins = spent[3],
            "boosted"
        );
        trees.truncate(best.1);
        (base, trees)
    }
}

/// The number of value bins of each feature.
fn value_bins(cuts: &Cuts) -> Vec<usize> {
    cuts.cuts.iter().map(|c| c.len() + 1).collect()
}

/// Adds a tree's values to the margins of binned rows.
fn add(tree: &BinTree, x: &Binned, margin: &mut [f64]) {
    margin.par_chunks_mut(BLOCK).enumerate().for_each(|(b, m)| {
        for (r, m) in m.iter_mut().enumerate() {
            *m += tree.value(x, b * BLOCK + r);
        }
    });
}

/// Adds a tree's values to the training margins `margin` (one per row of `x`): the rows
/// it grew on (`index`, partitioned by leaf, each leaf's rows ascending) from its leaves'
/// ranges, the rows left out of its sample (`left_out`, ascending) by descending it. By
/// blocks of rows in parallel: a block takes, from each leaf, the rows that fall in it.
fn add_training(tree: &BinTree, index: &[u32], left_out: &[u32], x: &Binned, margin: &mut [f64]) {
    let leaves: Vec<(f64, &[u32])> = tree
        .leaves
        .iter()
        .map(|&(node, start, end)| (tree.nodes[node].value, &index[start..end]))
        .collect();
    // The rows of an ascending list within `from..to`.
    let within = |rows: &[u32], from: usize, to: usize| {
        let a = rows.partition_point(|&i| (i as usize) < from);
        let b = rows.partition_point(|&i| (i as usize) < to);
        (a, b)
    };
    margin.par_chunks_mut(BLOCK).enumerate().for_each(|(b, m)| {
        let from = b * BLOCK;
        let to = from + m.len();
        for &(v, rows) in &leaves {
            // A leaf with no row in the block is skipped without a search (deep trees have
            // many leaves, each a range of ascending rows).
            if rows.first().is_none_or(|&f| f as usize >= to)
                || rows.last().is_some_and(|&l| (l as usize) < from)
            {
                continue;
            }
            let (s, e) = within(rows, from, to);
            for &i in &rows[s..e] {
                m[i as usize - from] += v;
            }
        }
        let (s, e) = within(left_out, from, to);
        for &i in &left_out[s..e] {
            m[i as usize - from] += tree.value(x, i as usize);
        }
    });
}

/// Weighted mean log-loss of margins (summed by fixed blocks, in block order).
fn log_loss(margin: &[f64], y: &[f64], weight: &(dyn Fn(f64) -> f64 + Sync)) -> f64 {
    let parts: Vec<(f64, f64)> = margin
        .par_chunks(BLOCK)
        .zip(y.par_chunks(BLOCK))
        .map(|(m, y)| {
            m.iter().zip(y).fold((0.0, 0.0), |(l, sw), (&m, &v)| {
                let w = weight(v);
                // -log sigmoid(±m), computed without overflow.
                let z = if v > 0.5 { -m } else { m };
                let nll = z.max(0.0) + (-z.abs()).exp().ln_1p();
                (l + w * nll, sw + w)
            })
        })
        .collect();
    let (l, sw) = parts.iter().fold((0.0, 0.0), |(a, b), &(l, w)| (a + l, b + w));
    l / sw
}

/// Converts a tree on bins: nodes renumbered in depth-first order (children after their
/// parent), splits on bins turned into thresholds on values ("bin ≤ b" is "x < cut"), leaf
/// values multiplied by `scale` (bagging), covers recomputed bottom-up from the leaves so
/// that `cover = left + right` holds exactly (TreeSHAP relies on it).
fn convert(t: &BinTree, cuts: &Cuts, scale: f64) -> Tree {
    fn walk(t: &BinTree, cuts: &Cuts, i: usize, scale: f64, out: &mut Vec<Node>) -> usize {
        let n = &t.nodes[i];
        let me = out.len();
        if n.leaf {
            out.push(Node {
                feature: 0,
                threshold: 0.0,
                left: 0,
                right: 0,
                missing: 0,
                value: scale * n.value,
                cover: n.hess.max(1e-12),
            });
            return me;
        }
        out.push(Node {
            feature: n.feature as u32,
            threshold: cuts.threshold(n.feature, n.bin),
            left: 0,
            right: 0,
            missing: 0,
            value: 0.0,
            cover: 0.0,
        });
        let l = walk(t, cuts, n.left, scale, out);
        let r = walk(t, cuts, n.right, scale, out);
        let cover = out[l].cover + out[r].cover;
        let node = &mut out[me];
        node.left = l as u32;
        node.right = r as u32;
        node.missing = if n.missing_left { l } else { r } as u32;
        node.cover = cover;
        me
    }
    let mut nodes = Vec::with_capacity(t.nodes.len());
    walk(t, cuts, 0, scale, &mut nodes);
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
    fn portable_trees_send_every_row_where_the_binned_trees_do() {
        // Fitted on one sample, checked on another: thresholds and missing values route
        // unseen values exactly as the bins did.
        let (x, y) = toy(3000, 4);
        let (other, _) = toy(3000, 5);
        let params =
            GbdtParams { iterations: 25, seed: 3, ..GbdtParams::default() }.check().unwrap();
        let cuts = Cuts::learn(&x, None, params.max_bins());
        let b = Binned::of(&x, None, &cuts);
        let (base, trees) = params.boost_one(&params.grow(), &value_bins(&cuts), &b, &y, None, 3);
        assert_eq!(trees.len(), 25);
        let ensemble =
            TreeEnsemble { base, trees: trees.iter().map(|t| convert(t, &cuts, 1.0)).collect() };
        let ob = Binned::of(&other, None, &cuts);
        let mut row = Vec::new();
        for (d, bx) in [(&x, &b), (&other, &ob)] {
            for i in 0..d.n {
                d.row(i, &mut row);
                let on_bins = base + trees.iter().fold(-0.0, |m, t| m + t.value(bx, i));
                assert_eq!(ensemble.margin(&row), on_bins, "row {i}");
            }
        }
    }

    #[test]
    fn rows_of_a_design_fit_as_their_copy_does_on_any_number_of_threads() {
        let (x, y) = toy(60_000, 6);
        let rows: Vec<usize> = (0..x.n).filter(|i| i % 3 != 0).collect();
        let vrows: Vec<usize> = (0..x.n).filter(|i| i % 3 == 0).collect();
        let params =
            GbdtParams { iterations: 15, seed: 9, ..GbdtParams::default() }.check().unwrap();
        let (yt, yv) = (crate::design::pick(&y, &rows), crate::design::pick(&y, &vrows));
        let on_rows = params.fit_rows(&x, &rows, &yt, Some((&vrows, &yv))).unwrap();
        let on_copy = params.fit(&x.subset(&rows), &yt, Some((&x.subset(&vrows), &yv))).unwrap();
        assert_eq!(on_rows, on_copy);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let alone = one.install(|| params.fit_rows(&x, &rows, &yt, Some((&vrows, &yv))).unwrap());
        assert_eq!(on_rows, alone, "the same trees on one thread");
    }

    #[test]
    fn training_margins_of_sampled_and_left_out_rows_are_the_trees_values() {
        // 40,000 rows (three blocks of the margin update), about half left out of the
        // tree's sample; the gradient follows feature 0, so the tree has several leaves.
        let (n, k) = (40_000usize, 3usize);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let bins: Vec<u8> = (0..n * k).map(|_| rng.random_range(0..8u8)).collect();
        let x = Binned { n, k, bins, by_row: Vec::new() };
        let gh: Vec<Sum> = (0..n)
            .map(|i| Sum { g: f64::from(x.bins[i]) - 3.5 + rng.random::<f64>(), h: 1.0 })
            .collect();
        let (sampled, left_out): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|_| rng.random::<bool>());
        assert!(left_out.len() > 15_000 && sampled.len() > 15_000);
        let mut ws = Workspace::new();
        ws.index = sampled;
        let grow = Grow {
            max_depth: 3,
            max_leaves: 8,
            leaf_wise: false,
            l2: 1.0,
            gamma: 0.0,
            min_leaf_weight: 1.0,
            learning_rate: 0.1,
        };
        let tree = grow.tree(&x, &gh, &[7, 7, 7], &[0, 1, 2], &mut ws);
        assert!(tree.leaves.len() >= 4, "{} leaves", tree.leaves.len());
        let mut margin = vec![0.5; n];
        add_training(&tree, &ws.index, &left_out, &x, &mut margin);
        for (r, &m) in margin.iter().enumerate() {
            assert_eq!(m, 0.5 + tree.value(&x, r), "row {r}");
        }
    }

    #[test]
    fn a_column_of_one_value_and_missing_values_splits_on_missing_or_not() {
        // f0 is 1 or missing, and the missing rows are the failures: only "missing or not"
        // separates them (no threshold between values can).
        let n = 400;
        let col: Vec<f64> = (0..n).map(|i| if i % 4 == 0 { f64::NAN } else { 1.0 }).collect();
        let y: Vec<f64> = (0..n).map(|i| if i % 4 == 0 { 1.0 } else { 0.0 }).collect();
        let x = Design::from_columns(vec![("f0".into(), None, col)]);
        let params =
            GbdtParams { iterations: 5, colsample: 1.0, ..GbdtParams::default() }.check().unwrap();
        let m = params.fit(&x, &y, None).unwrap();
        let root = &m.trees[0].nodes[0];
        assert!(!root.is_leaf(), "the first tree splits");
        assert_eq!((root.threshold, root.missing), (f64::NEG_INFINITY, root.left));
        assert!(m.margin(&[f64::NAN]) > m.margin(&[1.0]) + 1.0, "missing raises the risk");
        // Every value goes right, the lowest included.
        assert_eq!(m.margin(&[f64::NEG_INFINITY]), m.margin(&[1.0]));
        assert_eq!(m.margin(&[-1e300]), m.margin(&[1.0]));
        // JSON numbers have no infinities: the threshold is written as a string and read
        // back as it was.
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains(r#""threshold":"-Infinity""#), "{json}");
        let back: TreeEnsemble = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn invalid_parameters_are_refused() {
        assert!(GbdtParams { learning_rate: 0.0, ..GbdtParams::default() }.check().is_err());
        assert!(GbdtParams { max_depth: 0, ..GbdtParams::default() }.check().is_err());
        assert!(GbdtParams { positive_weight: -1.0, ..GbdtParams::default() }.check().is_err());
        assert!(GbdtParams { nbins: 2, ..GbdtParams::default() }.check().is_err());
        assert!(GbdtParams { l2: f32::NAN, ..GbdtParams::default() }.check().is_err());
        assert!(GbdtParams { min_leaf_weight: -1.0, ..GbdtParams::default() }.check().is_err());
    }
}
