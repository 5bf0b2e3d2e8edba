//! Growing one tree on binned rows: gradient histograms, the best split of each leaf, and
//! the partition of the leaf's rows.
//!
//! - A leaf's rows are a contiguous range of one index array; a split partitions the
//!   range in place, stably (left rows first, each side in its former order).
//! - The histogram of the smaller child is built from its rows; the larger child's is its
//!   parent's minus the smaller's (LightGBM's subtraction), so a level of the tree reads
//!   at most half its rows.
//! - Histograms are built feature by feature in parallel, each down its column in row
//!   order, or, for leaves with few rows, row by row from a row-major copy, in blocks of
//!   rows fixed by their number: the same trees for any number of threads.

use rayon::prelude::*;

use super::bins::Binned;

/// Value bins per feature, plus bin 0 for missing values.
pub(crate) const BINS: usize = 256;

/// Gradient and hessian sums.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Sum {
    pub(crate) g: f64,
    pub(crate) h: f64,
}

impl Sum {
    fn add(&mut self, o: Sum) {
        self.g += o.g;
        self.h += o.h;
    }
    fn minus(self, o: Sum) -> Sum {
        Sum { g: self.g - o.g, h: self.h - o.h }
    }
}

/// Settings of one tree.
#[derive(Debug, Clone)]
pub(crate) struct Grow {
    pub(crate) max_depth: usize,
    /// Leaves at most (loss-guided growth picks the best leaf first; depth-wise growth
    /// splits every leaf of a level).
    pub(crate) max_leaves: usize,
    pub(crate) leaf_wise: bool,
    pub(crate) l2: f64,
    pub(crate) gamma: f64,
    pub(crate) min_leaf_weight: f64,
    pub(crate) learning_rate: f64,
}

/// A node of a tree on bins: a split sends bins `1..=bin` left, missing (bin 0) to
/// `missing_left`'s side (`bin` 0: missing values one way, every value the other).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BinNode {
    pub(crate) feature: usize,
    pub(crate) bin: u8,
    pub(crate) missing_left: bool,
    pub(crate) left: usize,
    pub(crate) right: usize,
    /// Leaf value (learning rate applied), 0 for a split.
    pub(crate) value: f64,
    /// Hessian sum of the training rows that reached the node.
    pub(crate) hess: f64,
    pub(crate) leaf: bool,
}

/// A tree on bins (node 0 is the root).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BinTree {
    pub(crate) nodes: Vec<BinNode>,
    /// The leaves' rows after growth: `(node, start, end)`, the leaf's rows being
    /// `Workspace::index[start..end]`.
    pub(crate) leaves: Vec<(usize, usize, usize)>,
}

impl BinTree {
    /// The leaf value of row `r` of `x`.
    #[inline]
    pub(crate) fn value(&self, x: &Binned, r: usize) -> f64 {
        let mut i = 0;
        loop {
            let n = &self.nodes[i];
            if n.leaf {
                return n.value;
            }
            let left = goes_left(x.bins[n.feature * x.n + r], n.bin, n.missing_left);
            i = if left { n.left } else { n.right };
        }
    }
}

/// Whether a row in bin `b` goes left at a split "bins `1..=bin` left, missing (bin 0) to
/// the left when `missing_left`": the one routing rule of growth and of binned margins.
#[inline]
fn goes_left(b: u8, bin: u8, missing_left: bool) -> bool {
    if b == 0 { missing_left } else { b <= bin }
}

/// The best split found for a leaf.
#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    bin: u8,
    missing_left: bool,
    left: Sum,
}

/// A leaf being grown: its rows are `index[start..end]`.
struct Open {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    total: Sum,
    /// Its histogram, per feature (empty once it cannot split).
    hist: Vec<[Sum; BINS]>,
    best: Option<Split>,
}

/// What a tree grows on: the rows' bins and gradients, each feature's number of value bins,
/// the features drawn for the tree (ascending, and flagged by index).
#[derive(Clone, Copy)]
struct On<'a> {
    x: &'a Binned,
    gh: &'a [Sum],
    nbins: &'a [usize],
    features: &'a [usize],
    selected: &'a [bool],
}

/// A leaf split: its two children.
struct Children {
    left: Open,
    right: Open,
}

/// Reused buffers of the growth of many trees.
pub(crate) struct Workspace {
    /// Row indices of the tree's sample, partitioned by leaf.
    pub(crate) index: Vec<u32>,
}

impl Workspace {
    pub(crate) fn new() -> Self {
        Self { index: Vec::new() }
    }
}

/// Rows per partition block: at least this many, and at most 16 blocks per leaf (fixed by
/// the number of rows alone).
const MIN_BLOCK: usize = 16_384;

fn block_of(n: usize) -> usize {
    n.div_ceil(16).max(MIN_BLOCK)
}

/// Share of a parent's missing hessian under which a subtracted missing cell is residue.
const MISSING_RESIDUE: f64 = 1e-9;

/// A leaf holding under one row in this many is histogrammed row by row
/// ([`by_rows`]): its rows lie far apart, and a column-major pass would miss the cache
/// once per row and feature. Measured on the 200,000-company panel (growth of the four
/// fits of `vigie train --model gbdt --cv-folds 0`; both paths give the same sums up to
/// rounding, added in another order): 16 → 31.1 s, 32 → 30.2 s,
/// 64 → 27.5 / 28.9 / 28.1 s, 128 → 31.2 s, 256 → 31.1 s, never (columns only) → 31.6 s.
const SPARSE: usize = 64;

/// Rows under which a leaf's histogram is built on one thread.
const PARALLEL_ROWS: usize = 4096;

/// Adds the gradients `gh[r]` into `hist` at bins `bin(r)`, for every `r` in order, through
/// four interleaved copies: consecutive rows falling in the same bin (a frequent value)
/// would otherwise wait on each other's store; the copies are added in a fixed order.
fn accumulate(hist: &mut [Sum; BINS], gh: &[Sum], bin: impl Fn(usize) -> u8) {
    let mut sub = [[Sum::default(); BINS]; 4];
    let whole = gh.len() / 4 * 4;
    for r in (0..whole).step_by(4) {
        for t in 0..4 {
            let cell = &mut sub[t][usize::from(bin(r + t))];
            cell.g += gh[r + t].g;
            cell.h += gh[r + t].h;
        }
    }
    for (r, s) in gh.iter().enumerate().skip(whole) {
        sub[0][usize::from(bin(r))].add(*s);
    }
    for (b, cell) in hist.iter_mut().enumerate() {
        *cell = Sum {
            g: sub[0][b].g + sub[1][b].g + sub[2][b].g + sub[3][b].g,
            h: sub[0][b].h + sub[1][b].h + sub[2][b].h + sub[3][b].h,
        };
    }
}

/// The histogram of the rows `rows` over the tree's features (other features' cells stay
/// zero): for sparse rows, row by row ([`SPARSE`]); otherwise the gradients gathered once
/// in row order, then each feature's column read down those rows, features in parallel.
/// Every row: the columns and gradients are read straight down.
fn histogram(x: &Binned, gh: &[Sum], rows: &[u32], on: &On<'_>) -> Vec<[Sum; BINS]> {
    if !x.by_row.is_empty() && rows.len() * SPARSE < x.n {
        return by_rows(x, gh, rows, on.features, on.nbins);
    }
    let selected = on.selected;
    let all = rows.len() == x.n;
    let ordered: Vec<Sum> =
        if all { Vec::new() } else { rows.iter().map(|&i| gh[i as usize]).collect() };
    let one = |j: usize, hist: &mut [Sum; BINS]| {
        if !selected[j] {
            return;
        }
        let col = x.col(j);
        if all {
            accumulate(hist, gh, |r| col[r]);
        } else {
            accumulate(hist, &ordered, |r| col[rows[r] as usize]);
        }
    };
    let mut hist = vec![[Sum::default(); BINS]; x.k];
    if rows.len() < PARALLEL_ROWS {
        hist.iter_mut().enumerate().for_each(|(j, h)| one(j, h));
    } else {
        hist.par_iter_mut().enumerate().for_each(|(j, h)| one(j, h));
    }
    hist
}

/// The histogram of sparse rows, built row by row from the row-major copy: each row's
/// gradient and bins are read once for all the features (its bins share a cache line,
/// where a column-major pass would miss the cache once per feature). Large leaves are cut
/// into blocks fixed by their number of rows alone, added in order: the same sums for any
/// number of threads. The cells are packed, each feature's `nbins[j] + 1` after the
/// previous one's: 256 cells apart (4 KiB), a row's updates would fall in the same few
/// sets of the L1 cache and alias each other's stores.
fn by_rows(
    x: &Binned,
    gh: &[Sum],
    rows: &[u32],
    features: &[usize],
    nbins: &[usize],
) -> Vec<[Sum; BINS]> {
    let mut offsets = Vec::with_capacity(features.len());
    let mut cells = 0;
    for &j in features {
        offsets.push(cells);
        cells += nbins[j] + 1;
    }
    let build = |rows: &[u32]| {
        let mut packed = vec![Sum::default(); cells];
        for &i in rows {
            let s = gh[i as usize];
            let row = x.row(i as usize);
            for (&j, &o) in features.iter().zip(&offsets) {
                debug_assert!(usize::from(row[j]) <= nbins[j], "a bin within its feature's cells");
                let cell = &mut packed[o + usize::from(row[j])];
                cell.g += s.g;
                cell.h += s.h;
            }
        }
        packed
    };
    let packed = if rows.len() < PARALLEL_ROWS {
        build(rows)
    } else {
        let blocks: Vec<Vec<Sum>> = rows.par_chunks(block_of(rows.len())).map(build).collect();
        let mut blocks = blocks.into_iter();
        let mut packed = blocks.next().expect("a leaf has rows");
        for block in blocks {
            for (c, s) in packed.iter_mut().zip(&block) {
                c.add(*s);
            }
        }
        packed
    };
    let mut hist = vec![[Sum::default(); BINS]; x.k];
    for (&j, &o) in features.iter().zip(&offsets) {
        hist[j][..=nbins[j]].copy_from_slice(&packed[o..=o + nbins[j]]);
    }
    hist
}

/// Partitions `rows` stably, those for which `left` holds first; returns their number.
fn partition(rows: &mut [u32], left: impl Fn(u32) -> bool + Sync) -> usize {
    // Without a branch on the side (as likely one way as the other): each row is written
    // at the front (left rows, in order) and at the back (right rows, in reverse order) of
    // one buffer, and only the side it belongs to moves on.
    let split = |rows: &[u32]| -> (Vec<u32>, usize) {
        let mut out = vec![0u32; rows.len()];
        let (mut l, mut r) = (0, rows.len());
        for &i in rows {
            let go = left(i);
            out[l] = i;
            out[r - 1] = i;
            l += usize::from(go);
            r -= usize::from(!go);
        }
        (out, l)
    };
    let parts: Vec<(Vec<u32>, usize)> = if rows.len() <= MIN_BLOCK {
        vec![split(rows)]
    } else {
        rows.par_chunks(block_of(rows.len())).map(split).collect()
    };
    let mut at = 0;
    for (out, l) in &parts {
        rows[at..at + l].copy_from_slice(&out[..*l]);
        at += l;
    }
    let n_left = at;
    for (out, l) in &parts {
        for (o, &i) in rows[at..at + out.len() - l].iter_mut().zip(out[*l..].iter().rev()) {
            *o = i;
        }
        at += out.len() - l;
    }
    n_left
}

/// Cuts `index` into the disjoint ranges of `leaves` (ascending, non-overlapping).
fn carve<'a>(mut index: &'a mut [u32], leaves: &[Open]) -> Vec<&'a mut [u32]> {
    let mut offset = 0;
    let mut out = Vec::with_capacity(leaves.len());
    for o in leaves {
        debug_assert!(o.start >= offset, "leaves in ascending order");
        let rest = std::mem::take(&mut index);
        let (_, rest) = rest.split_at_mut(o.start - offset);
        let (mine, rest) = rest.split_at_mut(o.end - o.start);
        out.push(mine);
        index = rest;
        offset = o.end;
    }
    out
}

impl Grow {
    fn leaf_value(&self, s: Sum) -> f64 {
        -s.g / (s.h + self.l2) * self.learning_rate
    }

    fn score(&self, s: Sum) -> f64 {
        s.g * s.g / (s.h + self.l2)
    }

    fn leaf(&self, s: Sum) -> BinNode {
        BinNode {
            feature: 0,
            bin: 0,
            missing_left: false,
            left: 0,
            right: 0,
            value: self.leaf_value(s),
            hess: s.h,
            leaf: true,
        }
    }

    /// The best split of a leaf with histogram `hist` and sums `total` over `features`
    /// (`nbins[j]`: feature `j`'s value bins). Ties go to the first feature, the first bin
    /// ("missing or not" before "bins 1..=b"), missing values to the right.
    fn best(
        &self,
        hist: &[[Sum; BINS]],
        total: Sum,
        features: &[usize],
        nbins: &[usize],
    ) -> Option<Split> {
        let parent = self.score(total);
        let mut best: Option<Split> = None;
        let mut consider = |gain: f64, split: Split| {
            if gain > self.gamma && best.is_none_or(|s| gain > s.gain) {
                best = Some(split);
            }
        };
        for &j in features {
            let h = &hist[j];
            let miss = h[0];
            // Missing values left, every value right (bin 0: no value bin goes left).
            if miss.h > 0.0 {
                let right = total.minus(miss);
                if miss.h >= self.min_leaf_weight && right.h >= self.min_leaf_weight {
                    let gain = 0.5 * (self.score(miss) + self.score(right) - parent);
                    consider(
                        gain,
                        Split { gain, feature: j, bin: 0, missing_left: true, left: miss },
                    );
                }
            }
            let mut acc = Sum::default();
            for (b, cell) in h.iter().enumerate().take(nbins[j]).skip(1) {
                acc.add(*cell);
                // Missing values right, then (when the leaf has some) left.
                for missing_left in [false, true] {
                    if missing_left && miss.h <= 0.0 {
                        continue;
                    }
                    let left = if missing_left {
                        Sum { g: acc.g + miss.g, h: acc.h + miss.h }
                    } else {
                        acc
                    };
                    let right = total.minus(left);
                    if left.h < self.min_leaf_weight || right.h < self.min_leaf_weight {
                        continue;
                    }
                    let gain = 0.5 * (self.score(left) + self.score(right) - parent);
                    consider(gain, Split { gain, feature: j, bin: b as u8, missing_left, left });
                }
            }
        }
        // A leaf without missing values at training sends them to its heavier side.
        best.map(|mut s| {
            if hist[s.feature][0].h <= 0.0 {
                s.missing_left = s.left.h >= total.minus(s.left).h;
            }
            s
        })
    }

    /// Splits `leaf`, whose rows are `rows`: partitions them; unless the children are at
    /// the deepest level (leaves, never split), builds the smaller child's histogram,
    /// subtracts it from the leaf's for the other and finds the children's best splits. The
    /// children's node numbers are set by the caller.
    fn split(&self, on: &On<'_>, leaf: Open, rows: &mut [u32]) -> Children {
        let On { x, gh, nbins, features, .. } = *on;
        let split = leaf.best.expect("a split leaf has a split");
        let (col, bin, missing_left) = (x.col(split.feature), split.bin, split.missing_left);
        let n_left = partition(rows, |i| goes_left(col[i as usize], bin, missing_left));
        let (lrows, rrows) = rows.split_at(n_left);
        let depth = leaf.depth + 1;
        let mid = leaf.start + n_left;
        let (lsum, rsum) = (split.left, leaf.total.minus(split.left));
        if depth >= self.max_depth {
            // Children at the deepest level never split: they need no histogram.
            let child = |start, end, total| Open {
                node: 0,
                start,
                end,
                depth,
                total,
                hist: Vec::new(),
                best: None,
            };
            return Children {
                left: child(leaf.start, mid, lsum),
                right: child(mid, leaf.end, rsum),
            };
        }
        let small_left = lrows.len() <= rrows.len();
        let small = histogram(x, gh, if small_left { lrows } else { rrows }, on);
        let mut large = leaf.hist;
        for &j in features {
            let parent_missing = large[j][0].h;
            for (c, s) in large[j].iter_mut().zip(&small[j]) {
                *c = c.minus(*s);
            }
            // When the smaller child took every missing row, the subtraction leaves
            // rounding residue (±1e-17), not zero: missing rows carrying under 1e-9 of the
            // parent's missing hessian count as none (the side of missing values then
            // follows the rule for leaves that saw none; LightGBM and XGBoost compare
            // hessians with an epsilon alike).
            if large[j][0].h.abs() <= MISSING_RESIDUE * parent_missing {
                large[j][0] = Sum::default();
            }
        }
        let (lhist, rhist) = if small_left { (small, large) } else { (large, small) };
        let child = |start, end, total, hist: Vec<[Sum; BINS]>| {
            let best = self.best(&hist, total, features, nbins);
            // A leaf that will not split needs no histogram.
            let hist = if best.is_some() { hist } else { Vec::new() };
            Open { node: 0, start, end, depth, total, hist, best }
        };
        Children {
            left: child(leaf.start, mid, lsum, lhist),
            right: child(mid, leaf.end, rsum, rhist),
        }
    }

    /// Grows one tree on the rows `ws.index` of `x`, with gradients `gh` (indexed by row),
    /// over the features `features` (ascending).
    ///
    /// Depth-wise growth splits the leaves of a level together, in parallel; loss-guided
    /// growth splits the leaf of largest gain (the first of equals) until `max_leaves`.
    pub(crate) fn tree(
        &self,
        x: &Binned,
        gh: &[Sum],
        nbins: &[usize],
        features: &[usize],
        ws: &mut Workspace,
    ) -> BinTree {
        let n = ws.index.len();
        let mut selected = vec![false; x.k];
        for &j in features {
            selected[j] = true;
        }
        let on = On { x, gh, nbins, features, selected: &selected };
        let hist = histogram(x, gh, &ws.index, &on);
        let total = ws.index.iter().fold(Sum::default(), |mut s, &i| {
            s.add(gh[i as usize]);
            s
        });
        let mut nodes = vec![self.leaf(total)];
        let best = self.best(&hist, total, features, nbins);
        let mut open = vec![Open { node: 0, start: 0, end: n, depth: 0, total, hist, best }];
        let mut leaves = 1;
        loop {
            // The leaves split in this step, in the order of `open`.
            let chosen: Vec<Open> = if self.leaf_wise {
                let mut at: Option<usize> = None;
                for (i, o) in open.iter().enumerate() {
                    if let Some(b) = o.best
                        && at.is_none_or(|a| b.gain > open[a].best.expect("chosen").gain)
                    {
                        at = Some(i);
                    }
                }
                at.map(|a| vec![open.remove(a)]).unwrap_or_default()
            } else {
                let (split, stay): (Vec<Open>, Vec<Open>) =
                    open.into_iter().partition(|o| o.best.is_some());
                open = stay;
                split
            };
            if chosen.is_empty() || leaves >= self.max_leaves {
                open.extend(chosen);
                break;
            }
            let slices = carve(&mut ws.index, &chosen);
            let children: Vec<(usize, Split, Children)> = chosen
                .into_par_iter()
                .zip(slices)
                .map(|(leaf, rows)| {
                    let (node, split) = (leaf.node, leaf.best.expect("chosen"));
                    (node, split, self.split(&on, leaf, rows))
                })
                .collect();
            for (node, split, Children { mut left, mut right }) in children {
                let li = nodes.len();
                nodes.push(self.leaf(left.total));
                nodes.push(self.leaf(right.total));
                let hess = nodes[node].hess;
                nodes[node] = BinNode {
                    feature: split.feature,
                    bin: split.bin,
                    missing_left: split.missing_left,
                    left: li,
                    right: li + 1,
                    value: 0.0,
                    hess,
                    leaf: false,
                };
                (left.node, right.node) = (li, li + 1);
                open.push(left);
                open.push(right);
                leaves += 1;
            }
        }
        let mut ranges: Vec<(usize, usize, usize)> =
            open.iter().map(|o| (o.node, o.start, o.end)).collect();
        ranges.sort_unstable_by_key(|r| r.1);
        BinTree { nodes, leaves: ranges }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grow() -> Grow {
        Grow {
            max_depth: 3,
            max_leaves: 8,
            leaf_wise: false,
            l2: 0.0,
            gamma: 0.0,
            min_leaf_weight: 0.0,
            learning_rate: 1.0,
        }
    }

    #[test]
    fn a_stump_finds_the_separating_bin_and_the_side_of_missing_values() {
        // Feature 0: bins 1, 2 carry gradient -1 (to raise), bins 3, 4 gradient +1; missing
        // rows carry -1 too, so they belong left. Feature 1 is noise.
        let mut bins: Vec<u8> = (0..40u8).map(|i| i % 5).collect();
        bins.extend((0..40u8).map(|i| 1 + i % 2));
        let gh: Vec<Sum> =
            (0..40u8).map(|i| Sum { g: if i % 5 <= 2 { -1.0 } else { 1.0 }, h: 1.0 }).collect();
        let x = Binned { n: 40, k: 2, bins, by_row: Vec::new() };
        let mut ws = Workspace::new();
        ws.index = (0..40).collect();
        let t = Grow { max_depth: 1, ..grow() }.tree(&x, &gh, &[4, 2], &[0, 1], &mut ws);
        let root = &t.nodes[0];
        assert!(!root.leaf);
        assert_eq!((root.feature, root.bin, root.missing_left), (0, 2, true));
        // 24 rows left (missing, 1, 2) with g = -24: value 24 / 24 = 1; right -1.
        assert_eq!(t.nodes[root.left].value, 1.0);
        assert_eq!(t.nodes[root.right].value, -1.0);
        assert_eq!(t.nodes[root.left].hess + t.nodes[root.right].hess, 40.0);
        for (r, s) in gh.iter().enumerate() {
            let expect = if s.g < 0.0 { 1.0 } else { -1.0 };
            assert_eq!(t.value(&x, r), expect);
        }
        // The rows are partitioned: left leaf's rows first.
        assert!(ws.index[..24].iter().all(|&i| gh[i as usize].g < 0.0));
    }

    #[test]
    fn a_larger_child_that_got_no_missing_row_has_none() {
        // Feature 0 sends rows i % 3 == 0 (the smaller side, 14 rows) left; feature 1 is
        // missing exactly on those rows. The larger child's missing cell of feature 1 is the
        // parent's minus the smaller child's, summed in different orders: rounding residue,
        // which must count as no missing row.
        let n = 40usize;
        let mut bins: Vec<u8> = (0..n).map(|i| if i % 3 == 0 { 1 } else { 2 }).collect();
        bins.extend((0..n).map(|i| if i % 3 == 0 { 0 } else { 1 + (i % 5) as u8 }));
        let gh: Vec<Sum> = (0..n)
            .map(|i| Sum {
                g: if i % 3 == 0 {
                    -4.0
                } else if i % 5 < 2 {
                    1.0
                } else {
                    3.0
                },
                h: 0.1 * (1 + i % 7) as f64 + 0.017 * i as f64,
            })
            .collect();
        let x = Binned { n, k: 2, bins, by_row: Vec::new() };
        let (nbins, features, selected) = ([2, 5], [0, 1], [true, true]);
        let g = Grow { max_depth: 3, ..grow() };
        let mut rows: Vec<u32> = (0..n as u32).collect();
        let on = On { x: &x, gh: &gh, nbins: &nbins, features: &features, selected: &selected };
        let hist = histogram(&x, &gh, &rows, &on);
        let total = gh.iter().fold(Sum::default(), |mut s, &c| {
            s.add(c);
            s
        });
        let best = g.best(&hist, total, &features, &nbins);
        assert_eq!(best.map(|s| (s.feature, s.bin)), Some((0, 1)));
        let parent_missing = hist[1][0];
        let leaf = Open { node: 0, start: 0, end: n, depth: 0, total, hist, best };
        let Children { left, right } = g.split(&on, leaf, &mut rows);
        assert_eq!(left.end, 14);
        let small = histogram(&x, &gh, &rows[..14], &on);
        assert_ne!(parent_missing.minus(small[1][0]).h, 0.0, "the data leave residue");
        assert_eq!(right.hist[1][0], Sum::default(), "no missing row in the larger child");
        // So the larger child's split on feature 1 sends missing values to its heavier side.
        let s = right.best.expect("the larger child splits on feature 1");
        assert_eq!(s.feature, 1);
        assert_eq!(s.missing_left, s.left.h >= right.total.minus(s.left).h);
    }

    #[test]
    fn a_stump_splits_missing_from_every_value() {
        // One value bin only (a constant column) and missing rows of another gradient.
        let bins: Vec<u8> = (0..20u8).map(|i| u8::from(i % 2 == 0)).collect();
        let gh: Vec<Sum> =
            (0..20u8).map(|i| Sum { g: if i % 2 == 0 { 1.0 } else { -1.0 }, h: 1.0 }).collect();
        let x = Binned { n: 20, k: 1, bins, by_row: Vec::new() };
        let mut ws = Workspace::new();
        ws.index = (0..20).collect();
        let t = Grow { max_depth: 1, ..grow() }.tree(&x, &gh, &[1], &[0], &mut ws);
        let root = &t.nodes[0];
        assert_eq!((root.leaf, root.bin, root.missing_left), (false, 0, true));
        assert_eq!((t.nodes[root.left].value, t.nodes[root.right].value), (1.0, -1.0));
    }

    #[test]
    fn histograms_sum_every_row_of_the_chosen_features() {
        let n = 100_000usize;
        let k = 3;
        let bins: Vec<u8> = (0..n * k).map(|v| (v * 7919 % 251) as u8).collect();
        let gh: Vec<Sum> =
            (0..n).map(|i| Sum { g: (i % 13) as f64 - 6.0, h: 1.0 + (i % 3) as f64 }).collect();
        let x = Binned { n, k, bins, by_row: Vec::new() };
        let rows: Vec<u32> = (0..n as u32).collect();
        let on = On {
            x: &x,
            gh: &gh,
            nbins: &[250; 3],
            features: &[0, 2],
            selected: &[true, false, true],
        };
        let built = histogram(&x, &gh, &rows, &on);
        let mut one = vec![[Sum::default(); BINS]; k];
        for i in 0..n {
            for j in [0, 2] {
                one[j][usize::from(x.bins[j * n + i])].add(gh[i]);
            }
        }
        assert_eq!(built, one, "feature 1, not chosen, stays empty");
    }

    #[test]
    fn sparse_rows_histogram_row_by_row_to_the_same_sums() {
        // 2^21 rows with their row-major copy; leaves of every 3rd row (dense: by
        // columns), every 100th (sparse: by rows, 20,972 rows so in two blocks) and every
        // 997th (sparse, one block). Integer gradients: sums exact in any order.
        let (n, k) = (1usize << 21, 4usize);
        let bins: Vec<u8> =
            (0..n * k).map(|v| (v.wrapping_mul(2_654_435_761) >> 7) as u8 % 200).collect();
        let gh: Vec<Sum> =
            (0..n).map(|i| Sum { g: (i % 13) as f64 - 6.0, h: 1.0 + (i % 3) as f64 }).collect();
        let x = Binned { n, k, bins, by_row: Vec::new() }.with_rows();
        for i in [0, 1, 777, n - 1] {
            for j in 0..k {
                assert_eq!(x.row(i)[j], x.col(j)[i], "row {i}, feature {j}");
            }
        }
        let on = On {
            x: &x,
            gh: &gh,
            nbins: &[199; 4],
            features: &[0, 1, 3],
            selected: &[true, true, false, true],
        };
        for step in [3u32, 100, 997] {
            let rows: Vec<u32> = (0..n as u32).step_by(step as usize).collect();
            assert_eq!(rows.len() * SPARSE < n, step > 3, "the path taken");
            let in_blocks = rows.len() >= PARALLEL_ROWS && rows.len() > block_of(rows.len());
            assert_eq!(rows.len() * SPARSE < n && in_blocks, step == 100, "by rows in blocks");
            let built = histogram(&x, &gh, &rows, &on);
            let mut one = vec![[Sum::default(); BINS]; k];
            for &i in &rows {
                for j in [0, 1, 3] {
                    one[j][usize::from(x.col(j)[i as usize])].add(gh[i as usize]);
                }
            }
            assert_eq!(built, one, "every {step}th row");
        }
    }

    #[test]
    fn loss_guided_growth_stops_at_its_leaves() {
        let n = 64usize;
        let bins: Vec<u8> = (0..n).map(|i| 1 + (i % 16) as u8).collect();
        let gh: Vec<Sum> =
            (0..n).map(|i| Sum { g: ((i % 16) as f64 - 7.5).powi(3), h: 1.0 }).collect();
        let x = Binned { n, k: 1, bins, by_row: Vec::new() };
        let mut ws = Workspace::new();
        ws.index = (0..n as u32).collect();
        let g = Grow { max_depth: 6, max_leaves: 5, leaf_wise: true, ..grow() };
        let t = g.tree(&x, &gh, &[16], &[0], &mut ws);
        assert_eq!(t.nodes.iter().filter(|n| n.leaf).count(), 5);
        let d = Grow { max_depth: 2, max_leaves: 64, ..grow() }.tree(&x, &gh, &[16], &[0], &mut ws);
        assert_eq!(d.nodes.iter().filter(|n| n.leaf).count(), 4, "depth 2: four leaves");
    }
}
