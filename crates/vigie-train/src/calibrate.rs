//! Calibration: Platt maps (a logistic regression of the label on the margin, one per
//! horizon) fitted on a held-out window, and the alert thresholds.

use serde::Serialize;
use vigie_eval::metrics;

/// Fits `p = σ(a · s + b)` to labels (Platt, 1999): targets smoothed to
/// `(N₊ + 1) / (N₊ + 2)` and `1 / (N₋ + 2)` so that separable data cannot send the map to
/// infinity, Newton steps halved until the log-loss decreases. Returns `[a, b]`.
#[must_use]
pub fn platt(scores: &[f64], labels: &[bool]) -> [f64; 2] {
    let n_pos = labels.iter().filter(|&&l| l).count() as f64;
    let n_neg = labels.len() as f64 - n_pos;
    let t_pos = (n_pos + 1.0) / (n_pos + 2.0);
    let t_neg = 1.0 / (n_neg + 2.0);
    let targets: Vec<f64> = labels.iter().map(|&l| if l { t_pos } else { t_neg }).collect();
    let loss = |a: f64, b: f64| -> f64 {
        scores
            .iter()
            .zip(&targets)
            .map(|(&s, &t)| {
                let z = a * s + b;
                // log(1 + e^z) - t z, computed stably.
                (if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() }) - t * z
            })
            .sum()
    };
    let (mut a, mut b) = (0.0f64, ((n_pos + 1.0) / (n_neg + 1.0)).ln());
    let mut current = loss(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-12, 0.0, 1e-12);
        for (&s, &t) in scores.iter().zip(&targets) {
            let p = 1.0 / (1.0 + (-(a * s + b)).exp());
            let r = p - t;
            let w = (p * (1.0 - p)).max(1e-12);
            ga += r * s;
            gb += r;
            haa += w * s * s;
            hab += w * s;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-300 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-10 {
            let (na, nb) = (a - step * da, b - step * db);
            let l = loss(na, nb);
            if l <= current {
                (a, b, current) = (na, nb, l);
                improved = true;
                break;
            }
            step /= 2.0;
        }
        if !improved || (step * da).abs().max((step * db).abs()) < 1e-10 {
            break;
        }
    }
    [a, b]
}

/// The log-odds shift `δ` that makes the mean of `σ(a · s + b + δ)` over `scores` equal
/// `rate` (calibration-in-the-large, the anchor of the level). `None` without rows or for
/// a rate outside `(0, 1)` (no finite shift). The mean is increasing in `δ`, so Newton
/// steps, bisected when they overshoot, converge.
#[must_use]
pub fn level_shift(scores: &[f64], rate: f64, [a, b]: [f64; 2]) -> Option<f64> {
    if scores.is_empty() || !(rate > 0.0 && rate < 1.0) {
        return None;
    }
    let target = rate * scores.len() as f64;
    let excess = |d: f64| -> (f64, f64) {
        let (mut sum, mut slope) = (0.0, 0.0);
        for &s in scores {
            let p = 1.0 / (1.0 + (-(a * s + b + d)).exp());
            sum += p;
            slope += p * (1.0 - p);
        }
        (sum - target, slope)
    };
    // Bracket the root, then Newton steps kept inside the bracket.
    let (mut lo, mut hi) = (-30.0f64, 30.0f64);
    let mut d = 0.0;
    for _ in 0..200 {
        let (f, slope) = excess(d);
        if f.abs() < 1e-9 * target.max(1.0) {
            break;
        }
        if f > 0.0 {
            hi = d;
        } else {
            lo = d;
        }
        let newton = d - f / slope.max(1e-300);
        d = if newton > lo && newton < hi { newton } else { f64::midpoint(lo, hi) };
        if hi - lo < 1e-12 {
            break;
        }
    }
    Some(d)
}

/// The alert thresholds chosen on a validation window.
#[derive(Debug, Clone, Serialize)]
pub struct Alerts {
    /// Red: maximises F0.5.
    pub red: metrics::ThresholdChoice,
    /// Orange: maximises F2 (capped at red).
    pub orange: metrics::ThresholdChoice,
}

/// Picks red (best F0.5) and orange (best F2, never above red) on calibrated
/// probabilities. `None` without positives.
#[must_use]
pub fn alert_thresholds(probs: &[f64], labels: &[bool]) -> Option<Alerts> {
    let red = metrics::best_threshold_f_beta(probs, labels, 0.5)?;
    let mut orange = metrics::best_threshold_f_beta(probs, labels, 2.0)?;
    if orange.threshold > red.threshold {
        orange = red;
    }
    Some(Alerts { red, orange })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platt_recovers_a_known_map() {
        // Labels drawn deterministically at the exact probabilities σ(2s - 1).
        let mut scores = Vec::new();
        let mut labels = Vec::new();
        for i in 0..2000 {
            let s = -2.0 + 4.0 * f64::from(i % 200) / 200.0;
            let p = 1.0 / (1.0 + (-(2.0 * s - 1.0)).exp());
            // Stratified: within each score, a share p of positives.
            let k = f64::from(i / 200);
            scores.push(s);
            labels.push(k / 10.0 + 0.05 < p);
        }
        let [a, b] = platt(&scores, &labels);
        assert!((a - 2.0).abs() < 0.3, "slope {a}");
        assert!((b + 1.0).abs() < 0.3, "intercept {b}");
    }

    #[test]
    fn separable_data_keep_a_finite_map() {
        let scores: Vec<f64> = (0..200).map(f64::from).collect();
        let labels: Vec<bool> = (0..200).map(|i| i >= 190).collect();
        let [a, b] = platt(&scores, &labels);
        assert!(a.is_finite() && b.is_finite() && a > 0.0 && a < 50.0, "{a} {b}");
    }

    #[test]
    fn level_shift_matches_the_observed_rate() {
        let scores: Vec<f64> = (0..1000).map(|i| -4.0 + f64::from(i) / 250.0).collect();
        // 60 failures: a rate of 6 %.
        let labels: Vec<bool> = (0..1000).map(|i| i % 50 < 3).collect();
        let map = [0.8, -1.5];
        let rate = labels.iter().filter(|&&l| l).count() as f64 / labels.len() as f64;
        let d = level_shift(&scores, rate, map).unwrap();
        let mean = scores.iter().map(|&s| 1.0 / (1.0 + (-(0.8 * s - 1.5 + d)).exp())).sum::<f64>()
            / 1000.0;
        assert!((mean - 0.06).abs() < 1e-9, "{mean}");
        // Already at the rate: no shift.
        let d2 = level_shift(&scores, rate, [0.8, -1.5 + d]).unwrap();
        assert!(d2.abs() < 1e-9, "{d2}");
        assert_eq!(level_shift(&scores, 0.0, map), None);
        assert_eq!(level_shift(&[], 0.06, map), None);
    }

    #[test]
    fn constant_scores_give_the_base_rate() {
        let [a, b] = platt(&[0.0; 100], &(0..100).map(|i| i < 10).collect::<Vec<_>>());
        assert!(a.abs() < 1e-6);
        assert!((1.0 / (1.0 + (-b).exp()) - 0.1).abs() < 0.01);
    }
}
