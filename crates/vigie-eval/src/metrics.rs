//! Metrics of binary risk scores: ranking (ROC AUC, average precision, top-k recall),
//! calibration (Brier, ECE, reliability curve), thresholds (confusion, best F-beta),
//! breakdowns by group with small-cell suppression, and drift (PSI).
//!
//! Conventions shared by every function:
//!
//! - `scores` are "higher = riskier": probabilities or raw margins. `probs` must be
//!   probabilities in `[0, 1]`; the functions that need them return `None` otherwise.
//! - `labels[i]` is `true` when example `i` is a positive (the company failed).
//! - Score and label slices of different lengths are a caller bug: the functions panic with a
//!   message naming both lengths.
//! - A metric that is undefined for the input (no example, a single class where the metric
//!   needs both, a NaN score) is `None`, never NaN, so that it serialises as `null` and
//!   cannot silently poison an average downstream.
//! - Ties between equal scores are handled as scikit-learn does: all examples with the same
//!   score cross a threshold together.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;

/// Number of equal-width bins used for the ECE of a [`Summary`].
pub const SUMMARY_ECE_BINS: usize = 10;

/// Relative margin under which two F-beta values count as tied in
/// [`best_threshold_f_beta`]: the same ratio computed from different counts can differ in
/// the last bit when beta² is not exact, and such ties must go to the higher threshold.
const F_BETA_TIE: f64 = 1e-12;

/// Floor of a bin share in [`psi`], so that an empty bin gives a large but finite term
/// instead of `ln(0)`.
const PSI_FLOOR: f64 = 1e-4;

/// Panics when scores and labels do not describe the same examples.
fn check_lengths(what: &str, scores: usize, labels: usize) {
    assert!(
        scores == labels,
        "vigie-eval: {what} and labels differ in length ({scores} vs {labels})"
    );
}

/// Orders two scores from the highest to the lowest. NaN is excluded before sorting, so
/// `partial_cmp` is total here; it also treats `-0.0` and `0.0` as the tie they are.
fn desc(a: f64, b: f64) -> Ordering {
    b.partial_cmp(&a).unwrap_or(Ordering::Equal)
}

/// Example indices by decreasing score, ties in their original order (a stable sort, like
/// numpy's `argsort(-p, kind="stable")`), or `None` if a score is NaN.
fn order_desc(scores: &[f64]) -> Option<Vec<usize>> {
    if scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| desc(scores[a], scores[b]));
    Some(order)
}

/// The examples sharing one score: they are flagged or not flagged together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TieGroup {
    /// The common score.
    pub score: f64,
    /// Positives with this score.
    pub positives: usize,
    /// Negatives with this score.
    pub negatives: usize,
}

/// Tie groups by decreasing score (the distinct thresholds of a curve), or `None` if a
/// score is NaN.
pub(crate) fn tie_groups(scores: &[f64], labels: &[bool]) -> Option<Vec<TieGroup>> {
    check_lengths("scores", scores.len(), labels.len());
    let order = order_desc(scores)?;
    let mut groups: Vec<TieGroup> = Vec::new();
    for i in order {
        let score = scores[i];
        let group = match groups.last_mut() {
            // Ties are exact equality of scores by definition: `==` on floats is the point.
            Some(last) if last.score == score => last,
            _ => {
                groups.push(TieGroup { score, positives: 0, negatives: 0 });
                groups.last_mut().expect("a group was just pushed")
            }
        };
        if labels[i] {
            group.positives += 1;
        } else {
            group.negatives += 1;
        }
    }
    Some(groups)
}

/// Counts positives and negatives of a tie-group list.
fn class_counts(groups: &[TieGroup]) -> (usize, usize) {
    groups.iter().fold((0, 0), |(p, n), g| (p + g.positives, n + g.negatives))
}

/// Area under the ROC curve: the probability that a random positive scores higher than a
/// random negative, ties counted half (the Mann–Whitney statistic with average ranks).
///
/// `None` when there is no positive, no negative, or a NaN score. O(n log n).
#[must_use]
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let groups = tie_groups(scores, labels)?;
    let (positives, negatives) = class_counts(&groups);
    if positives == 0 || negatives == 0 {
        return None;
    }
    // Twice the number of won pairs, counted exactly in integers (a tie is half a win, so
    // doubling keeps it whole); u128 so that no input size can overflow the pair count.
    let mut twice_wins: u128 = 0;
    let mut negatives_below: u128 = 0;
    for g in groups.iter().rev() {
        let (p, n) = (g.positives as u128, g.negatives as u128);
        twice_wins += p * (2 * negatives_below + n);
        negatives_below += n;
    }
    let pairs = positives as u128 * negatives as u128;
    Some(twice_wins as f64 / (2 * pairs) as f64)
}

/// Average precision, as scikit-learn's `average_precision_score`:
/// AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct scores taken as thresholds in decreasing order,
/// all examples of equal score entering together (no interpolation).
///
/// `None` when there is no positive (recall is undefined) or a NaN score; with positives
/// only it is 1.
#[must_use]
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let groups = tie_groups(scores, labels)?;
    let (positives, _) = class_counts(&groups);
    if positives == 0 {
        return None;
    }
    let (mut tp, mut flagged) = (0usize, 0usize);
    let mut ap = 0.0;
    for g in &groups {
        tp += g.positives;
        flagged += g.positives + g.negatives;
        // Rₙ − Rₙ₋₁ is the share of positives entering at this threshold.
        ap += (g.positives as f64 / positives as f64) * (tp as f64 / flagged as f64);
    }
    Some(ap)
}

/// Whether every value is a probability, so that calibration metrics are defined.
fn are_probabilities(probs: &[f64]) -> bool {
    probs.iter().all(|p| (0.0..=1.0).contains(p))
}

/// Brier score: the mean squared difference between the probability and the 0/1 outcome.
///
/// `None` on empty input or when a value is not a probability in `[0, 1]` (a margin has
/// no Brier score). Defined for a single class.
#[must_use]
pub fn brier(probs: &[f64], labels: &[bool]) -> Option<f64> {
    check_lengths("probabilities", probs.len(), labels.len());
    if probs.is_empty() || !are_probabilities(probs) {
        return None;
    }
    let sum: f64 =
        probs.iter().zip(labels).map(|(&p, &y)| (p - f64::from(u8::from(y))).powi(2)).sum();
    Some(sum / probs.len() as f64)
}

/// One non-empty bin of a reliability (calibration) curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lower edge of the bin (inclusive).
    pub lo: f64,
    /// Upper edge of the bin (exclusive, but inclusive for the last bin).
    pub hi: f64,
    /// Examples whose probability falls in the bin.
    pub count: usize,
    /// Mean predicted probability in the bin.
    pub mean_predicted: f64,
    /// Share of positives in the bin.
    pub observed_rate: f64,
}

/// Equal-width bin of a probability on `[0, 1]`; 1.0 belongs to the last bin.
fn probability_bin(p: f64, bins: usize) -> usize {
    ((p * bins as f64) as usize).min(bins - 1)
}

/// Reliability curve: `bins` equal-width bins on `[0, 1]` (probability 1.0 goes in the
/// last one), non-empty bins only, in increasing order.
///
/// Empty when the input is empty or a value is not a probability.
///
/// # Panics
///
/// If `bins` is 0, or the lengths differ.
#[must_use]
pub fn calibration_curve(probs: &[f64], labels: &[bool], bins: usize) -> Vec<CalibrationBin> {
    check_lengths("probabilities", probs.len(), labels.len());
    assert!(bins > 0, "vigie-eval: calibration needs at least one bin");
    if !are_probabilities(probs) {
        return Vec::new();
    }
    let mut count = vec![0usize; bins];
    let mut sum_p = vec![0.0f64; bins];
    let mut sum_y = vec![0usize; bins];
    for (&p, &y) in probs.iter().zip(labels) {
        let b = probability_bin(p, bins);
        count[b] += 1;
        sum_p[b] += p;
        sum_y[b] += usize::from(y);
    }
    (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| CalibrationBin {
            lo: b as f64 / bins as f64,
            hi: (b + 1) as f64 / bins as f64,
            count: count[b],
            mean_predicted: sum_p[b] / count[b] as f64,
            observed_rate: sum_y[b] as f64 / count[b] as f64,
        })
        .collect()
}

/// Expected calibration error: Σ_b (n_b / N)·|mean(p)_b − mean(y)_b| over `bins`
/// equal-width bins on `[0, 1]`.
///
/// `None` on empty input or when a value is not a probability.
///
/// # Panics
///
/// If `bins` is 0, or the lengths differ.
#[must_use]
pub fn expected_calibration_error(probs: &[f64], labels: &[bool], bins: usize) -> Option<f64> {
    let curve = calibration_curve(probs, labels, bins);
    if curve.is_empty() {
        return None;
    }
    let n = probs.len() as f64;
    Some(
        curve.iter().map(|b| b.count as f64 / n * (b.mean_predicted - b.observed_rate).abs()).sum(),
    )
}

/// Confusion counts at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Confusion {
    /// Flagged positives.
    pub tp: usize,
    /// Flagged negatives.
    pub fp: usize,
    /// Unflagged negatives.
    pub tn: usize,
    /// Unflagged positives (`fn` is a keyword; serialised as `fn`).
    #[serde(rename = "fn")]
    pub fn_: usize,
}

impl Confusion {
    /// Examples flagged (predicted positive).
    #[must_use]
    pub fn flagged(&self) -> usize {
        self.tp + self.fp
    }

    /// Share of flagged examples that are positive; `None` when nothing is flagged.
    #[must_use]
    pub fn precision(&self) -> Option<f64> {
        let flagged = self.flagged();
        (flagged > 0).then(|| self.tp as f64 / flagged as f64)
    }

    /// Share of positives that are flagged; `None` when there is no positive.
    #[must_use]
    pub fn recall(&self) -> Option<f64> {
        let positives = self.tp + self.fn_;
        (positives > 0).then(|| self.tp as f64 / positives as f64)
    }

    /// F-beta: (1 + β²)·TP / ((1 + β²)·TP + β²·FN + FP), which weighs recall β times as
    /// much as precision.
    ///
    /// `None` when there is no positive (recall undefined). Computed from counts, so a
    /// threshold that flags nothing has F = 0 (precision counted as 0, as scikit-learn's
    /// default does), except for β = 0 where F is the precision and is undefined.
    ///
    /// # Panics
    ///
    /// If `beta` is negative or not finite.
    #[must_use]
    pub fn f_beta(&self, beta: f64) -> Option<f64> {
        assert!(
            beta.is_finite() && beta >= 0.0,
            "vigie-eval: beta must be finite and non-negative, got {beta}"
        );
        if self.tp + self.fn_ == 0 {
            return None;
        }
        let b2 = beta * beta;
        let weighted_tp = (1.0 + b2) * self.tp as f64;
        let denominator = weighted_tp + b2 * self.fn_ as f64 + self.fp as f64;
        (denominator > 0.0).then(|| weighted_tp / denominator)
    }
}

/// Confusion counts when an example is flagged if `score >= threshold`.
///
/// A NaN score is never flagged (the comparison is false).
#[must_use]
pub fn confusion_at(scores: &[f64], labels: &[bool], threshold: f64) -> Confusion {
    check_lengths("scores", scores.len(), labels.len());
    let mut c = Confusion::default();
    for (&s, &y) in scores.iter().zip(labels) {
        match (s >= threshold, y) {
            (true, true) => c.tp += 1,
            (true, false) => c.fp += 1,
            (false, false) => c.tn += 1,
            (false, true) => c.fn_ += 1,
        }
    }
    c
}

/// The threshold chosen by [`best_threshold_f_beta`] and what it achieves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ThresholdChoice {
    /// One of the observed scores; flag when `score >= threshold`.
    pub threshold: f64,
    /// F-beta at this threshold.
    pub f_beta: f64,
    /// Precision at this threshold (at least one example is flagged).
    pub precision: f64,
    /// Recall at this threshold.
    pub recall: f64,
    /// Examples flagged at this threshold.
    pub flagged: usize,
}

/// The observed score that, as a threshold (`score >= threshold`), maximises F-beta.
///
/// Scans the distinct scores in decreasing order (O(n log n)); ties in F-beta go to the
/// higher threshold, which flags fewer companies. `None` on empty input, without positives,
/// or with a NaN score.
///
/// # Panics
///
/// If `beta` is negative or not finite, or the lengths differ.
#[must_use]
pub fn best_threshold_f_beta(
    scores: &[f64],
    labels: &[bool],
    beta: f64,
) -> Option<ThresholdChoice> {
    let groups = tie_groups(scores, labels)?;
    let (positives, negatives) = class_counts(&groups);
    let mut best: Option<(ThresholdChoice, f64)> = None;
    let (mut tp, mut fp) = (0usize, 0usize);
    for g in &groups {
        tp += g.positives;
        fp += g.negatives;
        let c = Confusion { tp, fp, tn: negatives - fp, fn_: positives - tp };
        let (Some(f), Some(precision), Some(recall)) = (c.f_beta(beta), c.precision(), c.recall())
        else {
            continue;
        };
        // Strictly better, beyond rounding noise, or the higher threshold stays.
        if best.is_none_or(|(_, best_f)| f > best_f + F_BETA_TIE * best_f.abs()) {
            let choice = ThresholdChoice {
                threshold: g.score,
                f_beta: f,
                precision,
                recall,
                flagged: c.flagged(),
            };
            best = Some((choice, f));
        }
    }
    best.map(|(choice, _)| choice)
}

/// Number of examples in the top `fraction` of `n`: ceil(fraction·n), at least 1.
///
/// The product is snapped to an integer when within rounding noise of one, so that the top
/// 10 % of 30 is 3 and not 4 (0.1·30 is 3.0000000000000004 in floating point).
fn top_count(n: usize, fraction: f64) -> usize {
    assert!(
        fraction > 0.0 && fraction <= 1.0,
        "vigie-eval: top fraction must be in (0, 1], got {fraction}"
    );
    let x = fraction * n as f64;
    let k = if (x - x.round()).abs() <= 1e-9 * x.max(1.0) { x.round() } else { x.ceil() };
    (k as usize).clamp(1, n)
}

/// Positives among the top `fraction` of examples, and how many examples that is.
fn hits_at_top(scores: &[f64], labels: &[bool], fraction: f64) -> Option<(usize, usize)> {
    check_lengths("scores", scores.len(), labels.len());
    if scores.is_empty() {
        return None;
    }
    let k = top_count(scores.len(), fraction);
    let order = order_desc(scores)?;
    let hits = order[..k].iter().filter(|&&i| labels[i]).count();
    Some((hits, k))
}

/// Share of all positives found among the ceil(fraction·n) highest scores (ties broken by
/// original index, like numpy's stable `argsort(-p)`).
///
/// `None` on empty input, without positives, or with a NaN score.
///
/// # Panics
///
/// If `fraction` is not in `(0, 1]`, or the lengths differ.
#[must_use]
pub fn recall_at_top(scores: &[f64], labels: &[bool], fraction: f64) -> Option<f64> {
    let (hits, _) = hits_at_top(scores, labels, fraction)?;
    let positives = labels.iter().filter(|&&y| y).count();
    (positives > 0).then(|| hits as f64 / positives as f64)
}

/// Share of positives among the ceil(fraction·n) highest scores (ties broken by original
/// index). Defined (0) without positives.
///
/// `None` on empty input or with a NaN score.
///
/// # Panics
///
/// If `fraction` is not in `(0, 1]`, or the lengths differ.
#[must_use]
pub fn precision_at_top(scores: &[f64], labels: &[bool], fraction: f64) -> Option<f64> {
    let (hits, k) = hits_at_top(scores, labels, fraction)?;
    Some(hits as f64 / k as f64)
}

/// What a score is, which decides whether calibration metrics apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreKind {
    /// Probabilities in `[0, 1]`: every metric is computed.
    Probability,
    /// Raw margins or any monotone risk score: only ranking metrics are computed.
    Margin,
}

/// The headline metrics of a set of scores.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Summary {
    /// Examples.
    pub n: usize,
    /// Positive examples.
    pub positives: usize,
    /// See [`roc_auc`].
    pub roc_auc: Option<f64>,
    /// See [`average_precision`].
    pub average_precision: Option<f64>,
    /// See [`brier`]; `None` for margins.
    pub brier: Option<f64>,
    /// See [`expected_calibration_error`], with [`SUMMARY_ECE_BINS`] bins; `None` for
    /// margins.
    pub ece: Option<f64>,
    /// Recall in the top 1 % of scores.
    pub recall_top1: Option<f64>,
    /// Recall in the top 5 % of scores.
    pub recall_top5: Option<f64>,
    /// Recall in the top 10 % of scores.
    pub recall_top10: Option<f64>,
}

/// Every headline metric of probabilities.
#[must_use]
pub fn summarize(probs: &[f64], labels: &[bool]) -> Summary {
    summarize_scores(probs, labels, ScoreKind::Probability)
}

/// Every headline metric; calibration metrics (Brier, ECE) only for
/// [`ScoreKind::Probability`].
#[must_use]
pub fn summarize_scores(scores: &[f64], labels: &[bool], kind: ScoreKind) -> Summary {
    check_lengths("scores", scores.len(), labels.len());
    let probabilities = kind == ScoreKind::Probability;
    Summary {
        n: scores.len(),
        positives: labels.iter().filter(|&&y| y).count(),
        roc_auc: roc_auc(scores, labels),
        average_precision: average_precision(scores, labels),
        brier: if probabilities { brier(scores, labels) } else { None },
        ece: if probabilities {
            expected_calibration_error(scores, labels, SUMMARY_ECE_BINS)
        } else {
            None
        },
        recall_top1: recall_at_top(scores, labels, 0.01),
        recall_top5: recall_at_top(scores, labels, 0.05),
        recall_top10: recall_at_top(scores, labels, 0.10),
    }
}

/// Metrics of one group (a sector, a département, a size band) in a [`breakdown`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    /// Group name.
    pub group: String,
    /// Examples in the group (0 when suppressed).
    pub n: usize,
    /// Positives in the group (0 when suppressed).
    pub positives: usize,
    /// See [`roc_auc`].
    pub roc_auc: Option<f64>,
    /// See [`average_precision`].
    pub average_precision: Option<f64>,
    /// Recall in the top 10 % of the group's scores.
    pub recall_top10: Option<f64>,
    /// Share of positives.
    pub observed_rate: Option<f64>,
    /// Mean predicted probability.
    pub mean_predicted: Option<f64>,
    /// Whether the cell was too small to publish.
    pub suppressed: bool,
}

/// Metrics per group, one row per distinct group sorted by name.
///
/// Small cells are suppressed entirely, for privacy: a group with fewer than `min_count`
/// examples or fewer than `min_positives` positives has `suppressed: true`, `n` and
/// `positives` set to 0 and every metric `None`, so that neither its size nor its failures
/// can be read from the report (only the group's existence remains). Suppression is also
/// complementary: the totals of a report minus its published rows give the suppressed
/// cells' sum, so further cells (the smallest first) are suppressed until that sum is not
/// itself a small cell.
///
/// # Panics
///
/// If the lengths of `probs`, `labels` and `groups` differ.
#[must_use]
pub fn breakdown(
    probs: &[f64],
    labels: &[bool],
    groups: &[&str],
    min_count: usize,
    min_positives: usize,
) -> Vec<GroupRow> {
    check_lengths("probabilities", probs.len(), labels.len());
    check_lengths("groups", groups.len(), labels.len());
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, &g) in groups.iter().enumerate() {
        members.entry(g).or_default().push(i);
    }
    let sizes: Vec<(usize, usize)> = members
        .values()
        .map(|idx| (idx.len(), idx.iter().filter(|&&i| labels[i]).count()))
        .collect();
    let mut hidden: Vec<bool> =
        sizes.iter().map(|&(n, pos)| n < min_count || pos < min_positives).collect();
    while hidden.contains(&true) {
        let (n, pos) = sizes
            .iter()
            .zip(&hidden)
            .filter(|x| *x.1)
            .fold((0, 0), |(n, p), (s, _)| (n + s.0, p + s.1));
        if n >= min_count && pos >= min_positives {
            break;
        }
        let Some(next) = (0..sizes.len()).filter(|&i| !hidden[i]).min_by_key(|&i| (sizes[i], i))
        else {
            break;
        };
        hidden[next] = true;
    }
    members
        .into_iter()
        .zip(hidden)
        .map(|((group, idx), hide)| {
            let p: Vec<f64> = idx.iter().map(|&i| probs[i]).collect();
            let y: Vec<bool> = idx.iter().map(|&i| labels[i]).collect();
            let n = p.len();
            let positives = y.iter().filter(|&&v| v).count();
            if hide {
                return GroupRow {
                    group: group.to_owned(),
                    n: 0,
                    positives: 0,
                    roc_auc: None,
                    average_precision: None,
                    recall_top10: None,
                    observed_rate: None,
                    mean_predicted: None,
                    suppressed: true,
                };
            }
            GroupRow {
                group: group.to_owned(),
                n,
                positives,
                roc_auc: roc_auc(&p, &y),
                average_precision: average_precision(&p, &y),
                recall_top10: recall_at_top(&p, &y, 0.10),
                observed_rate: Some(positives as f64 / n as f64),
                mean_predicted: Some(p.iter().sum::<f64>() / n as f64),
                suppressed: false,
            }
        })
        .collect()
}

/// Quantile `q` of sorted finite values, interpolated linearly (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = pos - lo as f64;
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

/// Bin shares of `values` between `edges` (right-closed bins, the outer ones unbounded),
/// each floored at [`PSI_FLOOR`].
fn psi_shares(values: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut counts = vec![0usize; edges.len() + 1];
    for &v in values {
        // Right-closed bins put a mass point (say, many zeros) in the bin that ends at it,
        // which is what deduplicated quantile edges describe.
        counts[edges.partition_point(|&e| e < v)] += 1;
    }
    counts.into_iter().map(|c| (c as f64 / values.len() as f64).max(PSI_FLOOR)).collect()
}

/// Population stability index of `actual` against `expected`:
/// PSI = Σ (a − e)·ln(a / e) over bins whose edges are the quantiles of `expected`
/// (`bins` equal-count bins, duplicate edges merged, outer bins unbounded), each share
/// floored at 10⁻⁴ so that an empty bin is finite.
///
/// Non-finite values (NaN, ±∞) are ignored. `None` when either sample has no finite value.
/// Rule of thumb: below 0.1 stable, 0.1–0.25 moderate shift, above 0.25 major shift.
///
/// # Panics
///
/// If `bins` is 0.
#[must_use]
pub fn psi(expected: &[f64], actual: &[f64], bins: usize) -> Option<f64> {
    assert!(bins > 0, "vigie-eval: PSI needs at least one bin");
    let mut reference: Vec<f64> = expected.iter().copied().filter(|v| v.is_finite()).collect();
    let current: Vec<f64> = actual.iter().copied().filter(|v| v.is_finite()).collect();
    if reference.is_empty() || current.is_empty() {
        return None;
    }
    reference.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> =
        (1..bins).map(|i| quantile(&reference, i as f64 / bins as f64)).collect();
    edges.dedup();
    let e = psi_shares(&reference, &edges);
    let a = psi_shares(&current, &edges);
    Some(e.iter().zip(&a).map(|(&e, &a)| (a - e) * (a / e).ln()).sum())
}

/// A reference distribution for the population stability index, kept so that later
/// samples can be compared with it without the reference values themselves (a nightly run
/// stores the profile of each feature; the next run computes its PSI against it).
///
/// The bins are those of [`psi`] (quantile edges of the reference, duplicates merged,
/// right-closed, outer bins unbounded) plus one bin for missing values (NaN), so that a
/// source that stops arriving shows as drift.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PsiProfile {
    /// Inner bin edges.
    pub edges: Vec<f64>,
    /// Share of the finite values in each bin (`edges.len() + 1` bins), unfloored.
    pub shares: Vec<f64>,
    /// Share of missing (non-finite) values.
    pub missing: f64,
}

impl PsiProfile {
    /// The profile of `values` with `bins` quantile bins (plus the missing bin). `None` when
    /// `values` is empty.
    ///
    /// # Panics
    ///
    /// If `bins` is 0.
    #[must_use]
    pub fn of(values: &[f64], bins: usize) -> Option<Self> {
        assert!(bins > 0, "vigie-eval: PSI needs at least one bin");
        if values.is_empty() {
            return None;
        }
        let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        // Values equal in the total order are the same bits: an unstable sort gives the
        // same sorted values, faster.
        finite.sort_unstable_by(f64::total_cmp);
        let mut edges: Vec<f64> = if finite.is_empty() {
            Vec::new()
        } else {
            (1..bins).map(|i| quantile(&finite, i as f64 / bins as f64)).collect()
        };
        edges.dedup();
        let (shares, missing) = Self::shares(values, &edges);
        Some(Self { edges, shares, missing })
    }

    /// Unfloored shares of the finite values per bin, over all values, and the missing share.
    fn shares(values: &[f64], edges: &[f64]) -> (Vec<f64>, f64) {
        let mut counts = vec![0usize; edges.len() + 1];
        let mut missing = 0usize;
        for &v in values {
            if v.is_finite() {
                counts[edges.partition_point(|&e| e < v)] += 1;
            } else {
                missing += 1;
            }
        }
        let n = values.len() as f64;
        (counts.into_iter().map(|c| c as f64 / n).collect(), missing as f64 / n)
    }

    /// PSI of `actual` against this profile: Σ (a − e)·ln(a / e) over the bins and the
    /// missing bin, each share floored at 10⁻⁴. `None` when `actual` is empty.
    #[must_use]
    pub fn psi(&self, actual: &[f64]) -> Option<f64> {
        if actual.is_empty() {
            return None;
        }
        let (a, a_missing) = Self::shares(actual, &self.edges);
        let term = |e: f64, a: f64| {
            let (e, a) = (e.max(PSI_FLOOR), a.max(PSI_FLOOR));
            (a - e) * (a / e).ln()
        };
        // A bin empty on both sides contributes nothing (the floors cancel).
        Some(
            self.shares.iter().zip(&a).map(|(&e, &a)| term(e, a)).sum::<f64>()
                + term(self.missing, a_missing),
        )
    }
}

#[cfg(test)]
mod tests;
