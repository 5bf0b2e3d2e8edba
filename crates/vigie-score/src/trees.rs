//! Tree ensembles: evaluation and exact path-dependent TreeSHAP (Lundberg, Erion & Lee,
//! 2018, algorithm 2), in f64 so that contributions add up to the margin to rounding.

use crate::model::{Node, Tree, TreeEnsemble};

impl Tree {
    /// The leaf reached by `x`.
    #[must_use]
    pub fn leaf(&self, x: &[f64]) -> &Node {
        let mut i = 0usize;
        loop {
            let n = &self.nodes[i];
            if n.is_leaf() {
                return n;
            }
            i = next(n, x) as usize;
        }
    }

    /// Maximum depth (a lone leaf has depth 0).
    #[must_use]
    pub fn depth(&self) -> usize {
        fn walk(t: &Tree, i: usize) -> usize {
            let n = &t.nodes[i];
            if n.is_leaf() {
                0
            } else {
                1 + walk(t, n.left as usize).max(walk(t, n.right as usize))
            }
        }
        walk(self, 0)
    }

    /// Cover-weighted mean of the leaf values: the tree's expected output.
    #[must_use]
    pub fn expected_value(&self) -> f64 {
        fn walk(t: &Tree, i: usize) -> f64 {
            let n = &t.nodes[i];
            if n.is_leaf() {
                return n.value;
            }
            let (l, r) = (&t.nodes[n.left as usize], &t.nodes[n.right as usize]);
            (l.cover * walk(t, n.left as usize) + r.cover * walk(t, n.right as usize)) / n.cover
        }
        walk(self, 0)
    }
}

fn next(n: &Node, x: &[f64]) -> u32 {
    step(n, x[n.feature as usize])
}

/// The child of split `n` taken by value `v` of its feature.
#[inline]
fn step(n: &Node, v: f64) -> u32 {
    if v.is_nan() {
        n.missing
    } else if v < n.threshold {
        n.left
    } else {
        n.right
    }
}

impl TreeEnsemble {
    /// The margin (log-odds) of a feature row.
    #[must_use]
    pub fn margin(&self, x: &[f64]) -> f64 {
        // Summed from -0.0 as `margins_with` does, explicitly: f64's `Sum` has changed its
        // starting value across Rust versions.
        self.base + self.trees.iter().fold(-0.0, |acc, t| acc + t.leaf(x).value)
    }

    /// The bias of explanations: base plus every tree's expected value.
    #[must_use]
    pub fn expected_margin(&self) -> f64 {
        self.base + self.trees.iter().map(Tree::expected_value).sum::<f64>()
    }

    /// The length of the path buffer [`TreeEnsemble::shap`] needs (computed once per
    /// model: it walks every tree).
    #[must_use]
    pub fn shap_buffer_len(&self) -> usize {
        let d = self.trees.iter().map(Tree::depth).max().unwrap_or(0) + 2;
        (d + 1) * (d + 2) / 2 + d + 2
    }

    /// Exact SHAP values of a row, added into `phi` (one slot per feature), using `buf`
    /// (at least [`TreeEnsemble::shap_buffer_len`] elements) as scratch. With
    /// `expected_margin()`, they add up to `margin(x)`.
    pub fn shap(&self, x: &[f64], phi: &mut [f64], buf: &mut [PathElement]) {
        for t in &self.trees {
            recurse(t, x, phi, buf, 0, 0, 0, 1.0, 1.0, -1);
        }
    }
}

/// Widest path (distinct features on one root-to-leaf path) that [`ShapTables`] tabulate:
/// a leaf's table has `2^u × u` entries.
const MAX_TABLE_FEATURES: usize = 10;

/// Most table values of a model (16 M, 128 MB): deeper ensembles keep the recursion.
const MAX_TABLE_VALUES: usize = 16 << 20;

/// Precomputed TreeSHAP tables (the idea of Fast TreeSHAP v2, Yang 2021). A leaf's
/// contributions depend on the row only through one bit per distinct feature of its path:
/// whether the row follows the path at every split on that feature. For each leaf and each
/// pattern of those bits, the contributions are computed once (by the same path algebra as
/// [`TreeEnsemble::shap`]); explaining a row then reads one table row per leaf. Exact: the
/// same values as [`TreeEnsemble::shap`], to rounding.
#[derive(Debug, Clone)]
pub struct ShapTables {
    /// Per tree, per node (the tree's node order): see [`Slot`].
    trees: Vec<Vec<Slot>>,
    /// Every leaf's table, one after the other: `2^u` rows of `u` contributions (pattern
    /// bit k = the row follows the splits on the leaf's k-th distinct feature).
    table: Vec<f64>,
    /// Every leaf's distinct features, one after the other (model feature indexes).
    features: Vec<u32>,
}

/// What a node needs at explanation time. An internal node: the bit of its feature in the
/// patterns of the leaves below it (features are numbered in order of first appearance
/// from the root, so a node's bit is the same for every leaf below it). A leaf: where its
/// table and features start, and how many distinct features its path has.
///
/// A subtree at most two splits deep (a split whose children are leaves or splits of two
/// leaves) is tabulated as one block: for each pattern of the path above it and each set of
/// sides the row takes at its (up to three) splits, the sum of its leaves' rows. For full
/// trees that reads one row per four leaves.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    bit: u8,
    /// Width of the table rows (distinct features of the leaf or the block).
    u: u8,
    /// A block: how many pattern bits index it (the distinct features down to its root).
    qbits: u8,
    /// A block rather than a leaf.
    block: bool,
    table: u32,
    features: u32,
}

impl ShapTables {
    /// The tables of an ensemble; `None` when a path has more than ten distinct features or
    /// the tables would exceed 16 M values (deep trees: use [`TreeEnsemble::shap`]).
    #[must_use]
    pub fn new(e: &TreeEnsemble) -> Option<Self> {
        // Size first (cheap), so that a deep ensemble costs nothing.
        let mut values = 0usize;
        for t in &e.trees {
            let mut stack: Vec<(usize, Vec<u32>)> = vec![(0, Vec::new())];
            while let Some((i, mut feats)) = stack.pop() {
                let n = &t.nodes[i];
                if n.is_leaf() {
                    let u = feats.len();
                    if u > MAX_TABLE_FEATURES {
                        return None;
                    }
                    values += (1usize << u) * u;
                    if values > MAX_TABLE_VALUES {
                        return None;
                    }
                    continue;
                }
                if !feats.contains(&n.feature) {
                    feats.push(n.feature);
                }
                stack.push((n.left as usize, feats.clone()));
                stack.push((n.right as usize, feats));
            }
        }
        let (mut table, mut features) = (Vec::with_capacity(values), Vec::new());
        let mut trees = Vec::with_capacity(e.trees.len());
        for t in &e.trees {
            let mut slots = vec![Slot::default(); t.nodes.len()];
            let mut stack: Vec<(usize, Vec<(u32, u32)>)> = vec![(0, Vec::new())];
            while let Some((i, path)) = stack.pop() {
                let n = &t.nodes[i];
                if n.is_leaf() {
                    let leaf = leaf_table(t, &path, n.value)?;
                    slots[i] = Slot {
                        bit: 0,
                        u: leaf.features.len() as u8,
                        qbits: 0,
                        block: false,
                        table: u32::try_from(table.len()).ok()?,
                        features: u32::try_from(features.len()).ok().filter(|&f| f < 1 << 24)?,
                    };
                    table.extend_from_slice(&leaf.table);
                    features.extend_from_slice(&leaf.features);
                    continue;
                }
                // The node's bit: its feature's rank among the distinct features of the
                // path from the root down to it.
                let mut seen: Vec<u32> = Vec::new();
                for &(node, _) in &path {
                    let f = t.nodes[node as usize].feature;
                    if !seen.contains(&f) {
                        seen.push(f);
                    }
                }
                let bit = seen.iter().position(|&f| f == n.feature).unwrap_or(seen.len());
                slots[i].bit = bit as u8;
                // A subtree at most two splits deep is tabulated as one block.
                let shallow =
                    |c: u32| t.nodes[c as usize].is_leaf() || t.nodes[c as usize].depth_one(t);
                if shallow(n.left) && shallow(n.right) {
                    let qbits = seen.len().max(bit + 1);
                    let block = block_table(t, i, &path, qbits)?;
                    slots[i] = Slot {
                        bit: bit as u8,
                        u: block.features.len() as u8,
                        qbits: qbits as u8,
                        block: true,
                        table: u32::try_from(table.len()).ok()?,
                        features: u32::try_from(features.len()).ok().filter(|&f| f < 1 << 24)?,
                    };
                    table.extend_from_slice(&block.table);
                    features.extend_from_slice(&block.features);
                    if table.len() > MAX_TABLE_VALUES {
                        return None;
                    }
                    continue;
                }
                for child in [n.left, n.right] {
                    let mut p = path.clone();
                    p.push((i as u32, child));
                    stack.push((child as usize, p));
                }
            }
            trees.push(slots);
        }
        Some(Self { trees, table, features })
    }

    /// Exact SHAP values of a row, added into `phi`; `scratch` is reused between calls.
    ///
    /// First one walk of each tree carries the pattern down (at a split, the child the row
    /// does not take gets the bit of the split's feature cleared) and lists, for every
    /// leaf, where its table row is; then the rows are added up. Two passes rather than
    /// one: the second is a plain loop of independent loads, so the processor overlaps the
    /// cache misses of the tables (tens of MB) instead of waiting for each in turn.
    pub fn shap(&self, e: &TreeEnsemble, x: &[f64], phi: &mut [f64], scratch: &mut ShapScratch) {
        let ShapScratch { stack, rows } = scratch;
        rows.clear();
        for (t, slots) in e.trees.iter().zip(&self.trees) {
            stack.clear();
            // Node index in the high half, pattern in the low bits.
            stack.push(0xffff);
            while let Some(top) = stack.pop() {
                let (i, pattern) = ((top >> 32) as usize, top & 0xffff);
                let n = &t.nodes[i];
                let s = slots[i];
                if n.is_leaf() {
                    let u = u64::from(s.u);
                    let p = pattern & ((1u64 << u) - 1);
                    // Row start (32 bits), features start (24 bits), width (8 bits).
                    let start = u64::from(s.table) + p * u;
                    rows.push(start << 32 | u64::from(s.features) << 8 | u);
                    continue;
                }
                let taken = next(n, x);
                if s.block {
                    // The sides taken at the block's splits, in the order of `block_table`.
                    let (mut sides, mut m) = (u64::from(taken == n.right), 1);
                    for c in [n.left, n.right] {
                        let c = &t.nodes[c as usize];
                        if !c.is_leaf() {
                            sides |= u64::from(next(c, x) == c.right) << m;
                            m += 1;
                        }
                    }
                    let q = pattern & ((1u64 << s.qbits) - 1);
                    let u = u64::from(s.u);
                    let start = u64::from(s.table) + ((q << m) | sides) * u;
                    rows.push(start << 32 | u64::from(s.features) << 8 | u);
                    continue;
                }
                let off = pattern & !(1u64 << s.bit);
                for child in [n.left, n.right] {
                    let p = if child == taken { pattern } else { off };
                    stack.push(u64::from(child) << 32 | p);
                }
            }
        }
        for &r in rows.iter() {
            let (start, feats, u) =
                ((r >> 32) as usize, ((r >> 8) & 0xff_ffff) as usize, (r & 0xff) as usize);
            for (f, c) in self.features[feats..feats + u].iter().zip(&self.table[start..start + u])
            {
                phi[*f as usize] += c;
            }
        }
    }
}

/// Scratch space of [`ShapTables::shap`], reused between rows.
#[derive(Debug, Clone, Default)]
pub struct ShapScratch {
    stack: Vec<u64>,
    rows: Vec<u64>,
}

impl Node {
    /// A split whose two children are leaves.
    fn depth_one(&self, t: &Tree) -> bool {
        !self.is_leaf()
            && t.nodes[self.left as usize].is_leaf()
            && t.nodes[self.right as usize].is_leaf()
    }
}

/// The table of the block rooted at split `root`, reached by `path`, whose first `qbits`
/// pattern bits are those of the path down to it (its own split's included). Rows are
/// indexed by `q << m | sides`: `q` the pattern bits, `sides` one bit per split of the block
/// (1 = the row goes right), the root's first, then its left child's if a split, then its
/// right child's if a split.
fn block_table(t: &Tree, root: usize, path: &[(u32, u32)], qbits: usize) -> Option<LeafTable> {
    let n = &t.nodes[root];
    let mut splits = vec![root as u32];
    for c in [n.left, n.right] {
        if !t.nodes[c as usize].is_leaf() {
            splits.push(c);
        }
    }
    let m = splits.len();
    // Every leaf of the block: the steps from the block's root, and its table.
    let mut leaves: Vec<(Vec<(u32, u32)>, LeafTable)> = Vec::new();
    for c in [n.left, n.right] {
        let first = (root as u32, c);
        let cn = &t.nodes[c as usize];
        let below: Vec<Vec<(u32, u32)>> = if cn.is_leaf() {
            vec![vec![first]]
        } else {
            vec![vec![first, (c, cn.left)], vec![first, (c, cn.right)]]
        };
        for steps in below {
            let mut full = path.to_vec();
            full.extend_from_slice(&steps);
            let leaf = t.nodes[steps.last().expect("a step").1 as usize].value;
            leaves.push((steps, leaf_table(t, &full, leaf)?));
        }
    }
    // The block's features: the path's, then those first met below its root.
    let mut features: Vec<u32> = Vec::new();
    for (_, leaf) in &leaves {
        for &f in &leaf.features {
            if !features.contains(&f) {
                features.push(f);
            }
        }
    }
    // Keep the path's order first (every leaf lists them first, in the same order).
    let width = features.len();
    let mut table = vec![0.0; (1usize << (qbits + m)) * width];
    for q in 0..(1usize << qbits) {
        for sides in 0..(1usize << m) {
            let row = &mut table[((q << m) | sides) * width..][..width];
            for (steps, leaf) in &leaves {
                // The leaf's pattern, as the walk of `ShapTables::shap` would carry it:
                // bits first met below the block's root start at 1.
                let mut p = q | (usize::MAX << qbits);
                for &(node, child) in steps {
                    let k = splits.iter().position(|&s| s == node).expect("a split of the block");
                    let right = sides >> k & 1 == 1;
                    let nn = &t.nodes[node as usize];
                    if (child == nn.right) != right {
                        let f = nn.feature;
                        let b = leaf.features.iter().position(|&x| x == f).expect("on the path");
                        p &= !(1usize << b);
                    }
                }
                let u = leaf.features.len();
                let p = p & ((1usize << u) - 1);
                for (k, &f) in leaf.features.iter().enumerate() {
                    let at = features.iter().position(|&x| x == f).expect("a block feature");
                    row[at] += leaf.table[p * u + k];
                }
            }
        }
    }
    Some(LeafTable { features, table })
}

/// One leaf's table, while the tables are built.
struct LeafTable {
    features: Vec<u32>,
    table: Vec<f64>,
}

/// The table of one leaf reached by `path` (node, child taken) with value `value`.
fn leaf_table(t: &Tree, path: &[(u32, u32)], value: f64) -> Option<LeafTable> {
    let mut features: Vec<u32> = Vec::new();
    let mut zero: Vec<f64> = Vec::new();
    for &(node, child) in path {
        let n = &t.nodes[node as usize];
        let k = features.iter().position(|&f| f == n.feature).unwrap_or_else(|| {
            features.push(n.feature);
            zero.push(1.0);
            features.len() - 1
        });
        zero[k] *= t.nodes[child as usize].cover / n.cover;
    }
    let u = features.len();
    if u > MAX_TABLE_FEATURES {
        return None;
    }
    let mut table = vec![0.0; (1 << u) * u];
    let mut buf = vec![PathElement::default(); u + 2];
    for pattern in 0..(1usize << u) {
        // The path as `recurse` builds it: the root's dummy element, then one element per
        // distinct feature with its merged fractions.
        extend(&mut buf, 0, 1.0, 1.0, -1);
        for k in 0..u {
            let one = if pattern >> k & 1 == 1 { 1.0 } else { 0.0 };
            extend(&mut buf, k + 1, zero[k], one, i64::from(features[k]));
        }
        for i in 1..=u {
            let w = unwound_sum(&buf, u, i);
            let e = buf[i];
            table[pattern * u + i - 1] = w * (e.one_fraction - e.zero_fraction) * value;
        }
    }
    Some(LeafTable { features, table })
}

/// One element of a TreeSHAP path.
#[derive(Debug, Clone, Copy, Default)]
pub struct PathElement {
    feature: i64,
    zero_fraction: f64,
    one_fraction: f64,
    pweight: f64,
}

fn extend(
    path: &mut [PathElement],
    depth: usize,
    zero_fraction: f64,
    one_fraction: f64,
    feature: i64,
) {
    path[depth] = PathElement {
        feature,
        zero_fraction,
        one_fraction,
        pweight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].pweight += one_fraction * path[i].pweight * (i + 1) as f64 / d1;
        path[i].pweight = zero_fraction * path[i].pweight * (depth - i) as f64 / d1;
    }
}

fn unwind(path: &mut [PathElement], depth: usize, index: usize) {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let d1 = (depth + 1) as f64;
    let mut next_one = path[depth].pweight;
    for i in (0..depth).rev() {
        if one == 0.0 {
            path[i].pweight = path[i].pweight * d1 / (zero * (depth - i) as f64);
        } else {
            let tmp = path[i].pweight;
            path[i].pweight = next_one * d1 / ((i + 1) as f64 * one);
            next_one = tmp - path[i].pweight * zero * (depth - i) as f64 / d1;
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

fn unwound_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let d1 = (depth + 1) as f64;
    let mut next_one = path[depth].pweight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one == 0.0 {
            total += path[i].pweight / zero / ((depth - i) as f64 / d1);
        } else {
            let tmp = next_one * d1 / ((i + 1) as f64 * one);
            total += tmp;
            next_one = path[i].pweight - tmp * zero * (depth - i) as f64 / d1;
        }
    }
    total
}

#[allow(clippy::too_many_arguments)]
fn recurse(
    tree: &Tree,
    x: &[f64],
    phi: &mut [f64],
    buf: &mut [PathElement],
    parent: usize,
    node: usize,
    mut depth: usize,
    parent_zero: f64,
    parent_one: f64,
    parent_feature: i64,
) {
    // This call's path lives right after its parent's, which it copies and extends.
    let start = parent + depth + 1;
    buf.copy_within(parent..=parent + depth, start);
    let (_, path) = buf.split_at_mut(start);
    extend(path, depth, parent_zero, parent_one, parent_feature);
    let n = &tree.nodes[node];
    if n.is_leaf() {
        for i in 1..=depth {
            let w = unwound_sum(path, depth, i);
            let e = path[i];
            phi[e.feature as usize] += w * (e.one_fraction - e.zero_fraction) * n.value;
        }
        return;
    }
    let hot = next(n, x) as usize;
    let cold = if hot == n.left as usize { n.right as usize } else { n.left as usize };
    let hot_zero = tree.nodes[hot].cover / n.cover;
    let cold_zero = tree.nodes[cold].cover / n.cover;
    let (mut in_zero, mut in_one) = (1.0, 1.0);
    // A feature already split on higher up: undo that split, its fractions carry over.
    let feature = i64::from(n.feature);
    if let Some(k) = (0..=depth).find(|&k| path[k].feature == feature) {
        in_zero = path[k].zero_fraction;
        in_one = path[k].one_fraction;
        unwind(path, depth, k);
        depth -= 1;
    }
    recurse(tree, x, phi, buf, start, hot, depth + 1, hot_zero * in_zero, in_one, feature);
    recurse(tree, x, phi, buf, start, cold, depth + 1, cold_zero * in_zero, 0.0, feature);
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    fn leaf(value: f64, cover: f64) -> Node {
        Node { feature: 0, threshold: 0.0, left: 0, right: 0, missing: 0, value, cover }
    }

    fn split(
        feature: u32,
        threshold: f64,
        left: u32,
        right: u32,
        missing_left: bool,
        cover: f64,
    ) -> Node {
        Node {
            feature,
            threshold,
            left,
            right,
            missing: if missing_left { left } else { right },
            value: 0.0,
            cover,
        }
    }

    /// A depth-2 tree on features 0 and 1.
    fn example() -> Tree {
        Tree {
            nodes: vec![
                split(0, 0.5, 1, 2, true, 10.0),
                split(1, 1.0, 3, 4, false, 6.0),
                leaf(3.0, 4.0),
                leaf(-1.0, 2.0),
                leaf(2.0, 4.0),
            ],
        }
    }

    #[test]
    fn margins_of_blocks_equal_each_row_margin_bit_for_bit() {
        // Values on both sides of every threshold and missing ones, over more than one
        // block of 256 rows and a last partial one.
        let second =
            Tree { nodes: vec![split(1, 0.1, 1, 2, false, 5.0), leaf(0.7, 2.0), leaf(-0.3, 3.0)] };
        let e = TreeEnsemble { base: -2.3, trees: vec![example(), second] };
        let value = |f: usize, r: usize| match (r + 3 * f) % 11 {
            0 => f64::NAN,
            _ => ((r * 37 + f * 11) % 23) as f64 / 10.0 - 0.6,
        };
        let mut out = vec![0.0; 700];
        e.margins_with(value, &mut out);
        for (r, m) in out.iter().enumerate() {
            assert_eq!(m.to_bits(), e.margin(&[value(0, r), value(1, r)]).to_bits(), "row {r}");
        }
        // A tree of one leaf among them (no step), and an ensemble without a split at all
        // (no feature read).
        let stump = Tree { nodes: vec![leaf(0.25, 9.0)] };
        let mixed =
            TreeEnsemble { base: 0.5, trees: vec![stump.clone(), example(), stump.clone()] };
        let mut out = vec![0.0; 13];
        mixed.margins_with(value, &mut out);
        for (r, m) in out.iter().enumerate() {
            let one = mixed.margin(&[value(0, r), value(1, r)]);
            assert_eq!(m.to_bits(), one.to_bits(), "row {r}, with stumps");
        }
        let flat = TreeEnsemble { base: -1.0, trees: vec![stump.clone(), stump] };
        let mut out = vec![f64::NAN; 11];
        flat.margins_with(|_, _| unreachable!("no split reads a feature"), &mut out);
        let one = flat.margin(&[0.0, 0.0]);
        assert!(out.iter().all(|m| m.to_bits() == one.to_bits()), "{out:?} against {one}");
        assert!((one + 0.5).abs() < 1e-12, "{one}");
    }

    /// Brute-force Shapley values with the path-dependent value function.
    fn brute(t: &Tree, x: &[f64], k: usize) -> Vec<f64> {
        fn value(t: &Tree, x: &[f64], s: u32, i: usize) -> f64 {
            let n = &t.nodes[i];
            if n.is_leaf() {
                return n.value;
            }
            if s >> n.feature & 1 == 1 {
                value(t, x, s, next(n, x) as usize)
            } else {
                let (l, r) = (&t.nodes[n.left as usize], &t.nodes[n.right as usize]);
                (l.cover * value(t, x, s, n.left as usize)
                    + r.cover * value(t, x, s, n.right as usize))
                    / n.cover
            }
        }
        let fact = |n: usize| (1..=n).product::<usize>() as f64;
        (0..k)
            .map(|i| {
                let mut phi = 0.0;
                for s in 0u32..(1 << k) {
                    if s >> i & 1 == 1 {
                        continue;
                    }
                    let size = s.count_ones() as usize;
                    let w = fact(size) * fact(k - size - 1) / fact(k);
                    phi += w * (value(t, x, s | 1 << i, 0) - value(t, x, s, 0));
                }
                phi
            })
            .collect()
    }

    #[test]
    fn shap_matches_brute_force_and_adds_up() {
        let e = TreeEnsemble { base: -2.0, trees: vec![example()] };
        for x in [[0.0, 0.0], [0.0, 2.0], [1.0, 0.0], [f64::NAN, 2.0], [0.2, f64::NAN]] {
            let mut phi = vec![0.0; 2];
            e.shap(&x, &mut phi, &mut vec![PathElement::default(); e.shap_buffer_len()]);
            let b = brute(&e.trees[0], &x, 2);
            assert_abs_diff_eq!(phi[0], b[0], epsilon = 1e-12);
            assert_abs_diff_eq!(phi[1], b[1], epsilon = 1e-12);
            assert_abs_diff_eq!(
                e.expected_margin() + phi[0] + phi[1],
                e.margin(&x),
                epsilon = 1e-12
            );
        }
        // Expected value: (6 × ((2 × -1 + 4 × 2) / 6) + 4 × 3) / 10.
        assert_abs_diff_eq!(example().expected_value(), 1.8, epsilon = 1e-12);
    }

    /// A random full tree of depth `d` over `k` features, covers consistent.
    /// A chain of `depth` splits on features 0, 1, 2…: one path with `depth` distinct features.
    fn chain(depth: u32) -> Tree {
        let mut nodes = Vec::new();
        for f in 0..depth {
            let i = nodes.len() as u32;
            // Split, then its leaf, then the next split.
            nodes.push(split(f, 0.5, i + 1, i + 2, true, f64::from(depth - f) + 1.0));
            nodes.push(leaf(f64::from(f), 1.0));
        }
        nodes.push(leaf(-1.0, 1.0));
        Tree { nodes }
    }

    #[test]
    fn tables_stop_at_ten_features_per_path() {
        let ok = TreeEnsemble { base: 0.0, trees: vec![chain(10)] };
        let tables = ShapTables::new(&ok).expect("ten distinct features: tabulated");
        let x: Vec<f64> = (0..10).map(|i| if i % 3 == 0 { 0.9 } else { 0.1 }).collect();
        let (mut a, mut b) = (vec![0.0; 10], vec![0.0; 10]);
        ok.shap(&x, &mut a, &mut vec![PathElement::default(); ok.shap_buffer_len()]);
        tables.shap(&ok, &x, &mut b, &mut ShapScratch::default());
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() < 1e-12, "{a:?} vs {b:?}");
        }
        let deep = TreeEnsemble { base: 0.0, trees: vec![chain(11)] };
        assert!(ShapTables::new(&deep).is_none(), "eleven: the recursion is used");
    }

    fn random_tree(seed: u64, d: usize, k: u32) -> Tree {
        fn build(
            nodes: &mut Vec<Node>,
            depth: usize,
            k: u32,
            rnd: &mut dyn FnMut() -> f64,
        ) -> usize {
            let i = nodes.len();
            if depth == 0 {
                nodes.push(leaf(rnd() * 4.0 - 2.0, 1.0 + rnd() * 10.0));
                return i;
            }
            nodes.push(leaf(0.0, 0.0));
            let l = build(nodes, depth - 1, k, rnd);
            let r = build(nodes, depth - 1, k, rnd);
            let cover = nodes[l].cover + nodes[r].cover;
            let feature = (rnd() * f64::from(k)) as u32 % k;
            nodes[i] = split(feature, rnd(), l as u32, r as u32, rnd() < 0.5, cover);
            i
        }
        let mut s = seed;
        let mut rnd = move || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut nodes = Vec::new();
        build(&mut nodes, d, k, &mut rnd);
        Tree { nodes }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        #[test]
        fn tables_give_the_same_shap_as_the_recursion(seed in any::<u64>(), depth in 1usize..6, xs in proptest::collection::vec(prop_oneof![4 => 0.0f64..1.0, 1 => Just(f64::NAN)], 4)) {
            let trees: Vec<Tree> = (0..3).map(|t| random_tree(seed.wrapping_add(t), depth, 4)).collect();
            let e = TreeEnsemble { base: 0.3, trees };
            let tables = ShapTables::new(&e).expect("shallow trees");
            let mut a = vec![0.0; 4];
            let mut b = vec![0.0; 4];
            let mut buf = vec![PathElement::default(); e.shap_buffer_len()];
            e.shap(&xs, &mut a, &mut buf);
            tables.shap(&e, &xs, &mut b, &mut ShapScratch::default());
            for (x, y) in a.iter().zip(&b) {
                prop_assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
            }
        }

        #[test]
        fn shap_is_exact_on_random_trees(seed in any::<u64>(), depth in 1usize..6, xs in proptest::collection::vec(prop_oneof![4 => 0.0f64..1.0, 1 => Just(f64::NAN)], 4)) {
            let trees: Vec<Tree> = (0..3).map(|t| random_tree(seed.wrapping_add(t), depth, 4)).collect();
            let e = TreeEnsemble { base: 0.3, trees };
            let mut phi = vec![0.0; 4];
            e.shap(&xs, &mut phi, &mut vec![PathElement::default(); e.shap_buffer_len()]);
            let total: f64 = phi.iter().sum::<f64>() + e.expected_margin();
            prop_assert!((total - e.margin(&xs)).abs() < 1e-9, "{total} vs {}", e.margin(&xs));
            let mut b = vec![0.0; 4];
            for t in &e.trees {
                for (acc, v) in b.iter_mut().zip(brute(t, &xs, 4)) {
                    *acc += v;
                }
            }
            for (p, q) in phi.iter().zip(&b) {
                prop_assert!((p - q).abs() < 1e-9, "{p} vs {q}");
            }
        }
    }
}
