//! Histogram bins: cut points per feature, learnt from the training rows only, and the
//! binned matrix (one byte per value, column-major: a feature's histogram is built by one
//! pass down its column, into 4 KiB of cells that stay in the L1 cache).
//!
//! Bin 0 holds missing values (NaN); value bins are `1..=cuts.len() + 1`, with
//! `bin(x) = 1 + #{t in cuts : t <= x}`. So "bin ≤ b" is exactly "x < cuts[b - 1]", the
//! comparison of Vigie's portable trees: a split on bins becomes a threshold without loss.

use rayon::prelude::*;

use crate::design::Design;

/// Rows sampled to learn the cut points (every k-th training row; the sorted values of a
/// sample this size place quantiles to well under a bin's width for 255 bins).
const SAMPLE: usize = 262_144;

/// Cut points per feature.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cuts {
    /// Ascending cut points of each feature.
    pub(crate) cuts: Vec<Vec<f64>>,
}

impl Cuts {
    /// Learns at most `max_bins - 1` cut points per feature from the rows `rows` of `x`
    /// (all rows when `None`): midpoints between neighbouring distinct values, placed so
    /// that bins hold about equal numbers of rows (a value taking many rows gets a bin of
    /// its own and the rest are shared out again).
    pub(crate) fn learn(x: &Design, rows: Option<&[usize]>, max_bins: usize) -> Self {
        let n = rows.map_or(x.n, <[usize]>::len);
        let step = n.div_ceil(SAMPLE).max(1);
        let cuts = (0..x.k())
            .into_par_iter()
            .map(|j| {
                let col = x.col(j);
                let mut v: Vec<f64> = match rows {
                    Some(r) => r.iter().step_by(step).map(|&i| col[i]).collect(),
                    None => col.iter().step_by(step).copied().collect(),
                };
                v.retain(|x| !x.is_nan());
                v.sort_unstable_by(f64::total_cmp);
                cut_points(&v, max_bins)
            })
            .collect();
        Self { cuts }
    }

    /// Number of features.
    pub(crate) fn k(&self) -> usize {
        self.cuts.len()
    }

    /// The bin of `v` for feature `j`.
    #[inline]
    pub(crate) fn bin(&self, j: usize, v: f64) -> u8 {
        if v.is_nan() {
            0
        } else {
            // At most 254 cut points: the bin fits a byte.
            (1 + self.cuts[j].partition_point(|&t| t <= v)) as u8
        }
    }

    /// The threshold of the split "bin ≤ b" of feature `j`: for `b = 0` (no value bin
    /// left, only missing values) −∞, below which no value lies.
    pub(crate) fn threshold(&self, j: usize, b: u8) -> f64 {
        match b {
            0 => f64::NEG_INFINITY,
            b => self.cuts[j][usize::from(b) - 1],
        }
    }
}

/// Cut points of sorted, non-missing values.
fn cut_points(sorted: &[f64], max_bins: usize) -> Vec<f64> {
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for &v in sorted {
        match distinct.last_mut() {
            Some((d, c)) if *d == v => *c += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let between = |a: f64, b: f64| {
        let mid = a + (b - a) / 2.0;
        if mid > a && mid < b { mid } else { b }
    };
    if distinct.len() <= max_bins {
        return distinct.windows(2).map(|w| between(w[0].0, w[1].0)).collect();
    }
    let mut cuts = Vec::with_capacity(max_bins - 1);
    let mut left = sorted.len();
    let mut acc = 0usize;
    for (i, w) in distinct.windows(2).enumerate() {
        let bins_left = max_bins - cuts.len();
        if bins_left <= 1 {
            break;
        }
        acc += w[0].1;
        // Close the bin once it holds its share of what is left, or when every remaining
        // distinct value needs a bin of its own.
        let share = left as f64 / bins_left as f64;
        if acc as f64 >= share || distinct.len() - i - 1 < bins_left {
            cuts.push(between(w[0].0, w[1].0));
            left -= acc;
            acc = 0;
        }
    }
    cuts
}

/// Binned rows, column-major: feature `j` of row `i` is `bins[j * n + i]`; for the training
/// rows, a row-major copy too ([`Binned::with_rows`]), which the histograms of sparse leaves
/// read (`grow::SPARSE`: used for every small leaf, with cells 4 KiB apart, it was measured
/// slower, 14.9 s against 12.7 s for the first walk-forward window of the 200,000-company
/// panel).
#[derive(Debug, Clone)]
pub(crate) struct Binned {
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) bins: Vec<u8>,
    /// The same bins row-major (row `i`'s at `by_row[i * k..(i + 1) * k]`), for the
    /// histograms of leaves whose rows are sparse; empty when not built.
    pub(crate) by_row: Vec<u8>,
}

/// Rows transposed per parallel task.
const ROWS_PER_TASK: usize = 16_384;

impl Binned {
    /// Bins the rows `rows` of `x` (all rows when `None`), in that order.
    pub(crate) fn of(x: &Design, rows: Option<&[usize]>, cuts: &Cuts) -> Self {
        let n = rows.map_or(x.n, <[usize]>::len);
        let k = x.k();
        debug_assert_eq!(k, cuts.k());
        let mut bins = vec![0u8; n * k];
        if n > 0 {
            bins.par_chunks_mut(n).enumerate().for_each(|(j, out)| {
                let col = x.col(j);
                for (r, o) in out.iter_mut().enumerate() {
                    *o = cuts.bin(j, col[rows.map_or(r, |rows| rows[r])]);
                }
            });
        }
        Self { n, k, bins, by_row: Vec::new() }
    }

    /// Adds the row-major copy of the bins.
    pub(crate) fn with_rows(mut self) -> Self {
        let (n, k) = (self.n, self.k);
        let mut by_row = vec![0u8; n * k];
        if n > 0 && k > 0 {
            let bins = &self.bins;
            by_row.par_chunks_mut(ROWS_PER_TASK * k).enumerate().for_each(|(t, out)| {
                let first = t * ROWS_PER_TASK;
                let rows = out.len() / k;
                for j in 0..k {
                    let col = &bins[j * n + first..j * n + first + rows];
                    for (r, &b) in col.iter().enumerate() {
                        out[r * k + j] = b;
                    }
                }
            });
        }
        self.by_row = by_row;
        self
    }

    /// The bins of row `i` (the row-major copy must have been built).
    #[inline]
    pub(crate) fn row(&self, i: usize) -> &[u8] {
        &self.by_row[i * self.k..(i + 1) * self.k]
    }

    /// Column `j`.
    #[inline]
    pub(crate) fn col(&self, j: usize) -> &[u8] {
        &self.bins[j * self.n..(j + 1) * self.n]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(cols: Vec<Vec<f64>>) -> Design {
        Design::from_columns(
            cols.into_iter().enumerate().map(|(j, v)| (format!("f{j}"), None, v)).collect(),
        )
    }

    #[test]
    fn few_distinct_values_get_a_bin_each_and_splits_match_thresholds() {
        let x = design(vec![vec![3.0, 1.0, f64::NAN, 2.0, 1.0, 3.0]]);
        let cuts = Cuts::learn(&x, None, 255);
        assert_eq!(cuts.cuts[0], vec![1.5, 2.5]);
        let b = Binned::of(&x, None, &cuts);
        assert_eq!(b.bins, vec![3, 1, 0, 2, 1, 3]);
        // "bin <= b" is "x < threshold" for every value and every split.
        for split in 0..=2u8 {
            let t = cuts.threshold(0, split);
            for (&v, &bin) in x.col(0).iter().zip(&b.bins) {
                if !v.is_nan() {
                    assert_eq!(bin <= split, v < t, "value {v}, split {split}");
                }
            }
        }
    }

    #[test]
    fn many_values_share_bins_evenly_and_a_heavy_value_keeps_its_own() {
        // Half the rows are 0, the rest 1..=10,000: 0 alone in its bin, then about equal
        // bins over the rest.
        let mut v = vec![0.0; 10_000];
        v.extend((1..=10_000).map(f64::from));
        let x = design(vec![v]);
        let cuts = Cuts::learn(&x, None, 16);
        let c = &cuts.cuts[0];
        assert_eq!(c.len(), 15);
        assert_eq!(c[0], 0.5, "the heavy value has a bin of its own");
        let b = Binned::of(&x, None, &cuts);
        let mut counts = [0usize; 17];
        for &bin in &b.bins {
            counts[usize::from(bin)] += 1;
        }
        assert_eq!(counts[1], 10_000);
        for &c in &counts[2..=16] {
            // 10,000 values over 15 bins: 667 each, the last one the 662 left.
            assert!((662..=667).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn bins_of_chosen_rows_and_infinities() {
        let x = design(vec![vec![f64::NEG_INFINITY, 0.0, f64::INFINITY, 5.0]]);
        let cuts = Cuts::learn(&x, Some(&[0, 1, 2]), 255);
        let b = Binned::of(&x, Some(&[3, 2, 0]), &cuts);
        assert_eq!(b.n, 3);
        assert_eq!(b.bins, vec![2, 3, 1], "5 falls with 0's bin, above it +inf, -inf below");
    }
}
