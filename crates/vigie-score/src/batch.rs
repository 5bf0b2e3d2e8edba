//! Batch margins of a tree ensemble: many rows down each tree together (the training's
//! calibration, measures and evaluation score hundreds of thousands of rows per model).

use crate::model::TreeEnsemble;

/// Rows gathered per block into a row-major buffer.
const ROWS: usize = 256;

/// Rows descending a tree side by side: their walks are independent chains of loads, which
/// the processor overlaps.
const LANES: usize = 8;
const _: () = assert!(ROWS.is_multiple_of(LANES), "a block holds whole groups of lanes");

/// A node as the batch walk reads it, its children numbered in the ensemble's flat list. A
/// leaf points to itself: every row takes as many steps as the tree is deep and stays on
/// its leaf, so no step branches on reaching a leaf.
#[derive(Debug, Clone, Copy)]
struct Step {
    threshold: f64,
    feature: u32,
    left: u32,
    right: u32,
    missing: u32,
}

impl Step {
    /// The next node of a row whose split feature is `v`: the child of
    /// [`crate::trees`]'s walk (NaN fails `v < t` and goes to `missing`), without a branch.
    #[inline]
    fn next(&self, v: f64) -> u32 {
        let lt = if v < self.threshold { self.left } else { self.right };
        if v.is_nan() { self.missing } else { lt }
    }
}

impl TreeEnsemble {
    /// The margins of `out.len()` rows, where `value(f, r)` is feature `f` of row `r`:
    /// tree by tree down the rows (a tree's nodes stay in cache), each equal bit for bit
    /// to [`TreeEnsemble::margin`] of its row (the same additions in the same order).
    ///
    /// The rows are gathered by blocks of 256 into a row-major buffer; each tree is walked
    /// by eight rows at a time, step by step for the tree's depth, with leaves pointing to
    /// themselves: neither the choice of a child nor the end of a walk branches, and the
    /// eight walks overlap (one walk at a time, ending at a leaf test, took about three
    /// times as long on the training's test windows: BENCHMARKS.md, "Training
    /// gradient-boosted trees against LightGBM").
    pub fn margins_with(&self, value: impl Fn(usize, usize) -> f64, out: &mut [f64]) {
        let k = self
            .trees
            .iter()
            .flat_map(|t| t.nodes.iter().filter(|n| !n.is_leaf()).map(|n| n.feature as usize + 1))
            .max()
            .unwrap_or(0);
        let mut steps = Vec::new();
        let mut values = Vec::new();
        // Each tree's first node in `steps` and its depth.
        let mut trees = Vec::with_capacity(self.trees.len());
        for t in &self.trees {
            let first = steps.len() as u32;
            for (i, n) in t.nodes.iter().enumerate() {
                let me = first + i as u32;
                steps.push(if n.is_leaf() {
                    Step { threshold: 0.0, feature: 0, left: me, right: me, missing: me }
                } else {
                    Step {
                        threshold: n.threshold,
                        feature: n.feature,
                        left: first + n.left,
                        right: first + n.right,
                        missing: first + n.missing,
                    }
                });
                values.push(n.value);
            }
            trees.push((first, t.depth()));
        }
        let mut block = vec![0.0; ROWS * k.max(1)];
        for (b, out) in out.chunks_mut(ROWS).enumerate() {
            for r in 0..out.len() {
                for f in 0..k {
                    block[r * k + f] = value(f, b * ROWS + r);
                }
            }
            out.fill(-0.0);
            for &(first, depth) in &trees {
                // The last group may hold fewer than eight rows: its other lanes walk the
                // buffer's stale rows, and their leaves are not added.
                for (c, acc) in out.chunks_mut(LANES).enumerate() {
                    let rows = &block[c * LANES * k..(c + 1) * LANES * k];
                    let mut at = [first; LANES];
                    for _ in 0..depth {
                        for (l, at) in at.iter_mut().enumerate() {
                            let s = &steps[*at as usize];
                            *at = s.next(rows[l * k + s.feature as usize]);
                        }
                    }
                    for (acc, &at) in acc.iter_mut().zip(&at) {
                        *acc += values[at as usize];
                    }
                }
            }
            for acc in out.iter_mut() {
                *acc += self.base;
            }
        }
    }
}
