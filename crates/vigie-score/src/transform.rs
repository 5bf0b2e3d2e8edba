//! Robust feature transforms for linear models: each feature is mapped through its
//! empirical distribution on the training window to a standard normal score
//! ("rank-to-normal"), which tames heavy-tailed ratios; a missing value maps to 0 (the
//! training mean) and raises a missing-value indicator.

use serde::{Deserialize, Serialize};

/// The transform of one feature, learnt on the training window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankNormal {
    /// Quantile knots `q[k]` at probabilities `k / (len - 1)`, non-decreasing.
    pub knots: Vec<f64>,
}

impl RankNormal {
    /// Number of knots used when fitting.
    pub const KNOTS: usize = 201;

    /// Learns the knots from training values (NaN ignored). `None` when there is no value.
    #[must_use]
    pub fn fit(values: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let knots = (0..Self::KNOTS)
            .map(|k| {
                // Linear interpolation between order statistics (type 7 quantiles).
                let pos = k as f64 / (Self::KNOTS - 1) as f64 * (n - 1) as f64;
                let lo = pos.floor() as usize;
                let hi = (lo + 1).min(n - 1);
                v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
            })
            .collect();
        Some(Self { knots })
    }

    /// The empirical CDF at `x`, interpolated between knots; ties resolve to the middle
    /// of the tied range, so a mass of equal values (zeros) maps to its mid-rank.
    #[must_use]
    pub fn cdf(&self, x: f64) -> f64 {
        let q = &self.knots;
        let k = (q.len() - 1) as f64;
        let lo = q.partition_point(|&v| v < x); // first knot >= x
        let hi = q.partition_point(|&v| v <= x); // first knot > x
        if lo < hi {
            return (lo + hi - 1) as f64 / 2.0 / k;
        }
        if lo == 0 {
            return 0.0;
        }
        if lo == q.len() {
            return 1.0;
        }
        let (a, b) = (q[lo - 1], q[lo]);
        ((lo - 1) as f64 + (x - a) / (b - a)) / k
    }

    /// The transformed value: the normal quantile of the clamped CDF (NaN for missing).
    #[must_use]
    pub fn apply(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        let eps = 0.5 / (self.knots.len() - 1) as f64;
        normal_quantile(self.cdf(x).clamp(eps, 1.0 - eps))
    }
}

/// The standard normal quantile function (Acklam's rational approximation, relative error
/// below 1.2e-9 on (0, 1): far below what a rank transform can resolve).
#[must_use]
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let p_low = 0.024_25;
    if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    #[test]
    fn normal_quantile_known_values() {
        assert_abs_diff_eq!(normal_quantile(0.5), 0.0, epsilon = 1e-9);
        assert_abs_diff_eq!(normal_quantile(0.975), 1.959_963_984_540_054, epsilon = 1e-8);
        assert_abs_diff_eq!(normal_quantile(0.025), -1.959_963_984_540_054, epsilon = 1e-8);
        assert_abs_diff_eq!(normal_quantile(0.001), -3.090_232_306_167_813, epsilon = 1e-8);
    }

    #[test]
    fn cdf_interpolates_and_handles_ties() {
        let t = RankNormal::fit(&[0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, f64::NAN]).unwrap();
        assert_eq!(t.cdf(-1.0), 0.0);
        assert_eq!(t.cdf(10.0), 1.0);
        // Half of the values are zero: zero sits at the middle of its tied range.
        let z = t.cdf(0.0);
        assert!(z > 0.2 && z < 0.3, "{z}");
        assert!(t.cdf(2.5) > t.cdf(2.0));
        assert!(t.apply(f64::NAN).is_nan());
        assert!(RankNormal::fit(&[f64::NAN]).is_none());
    }

    proptest! {
        #[test]
        fn transform_is_monotone_and_bounded(mut xs in proptest::collection::vec(-1e6f64..1e6, 5..200), a in -2e6f64..2e6, b in -2e6f64..2e6) {
            let t = RankNormal::fit(&xs).unwrap();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(t.apply(lo) <= t.apply(hi));
            prop_assert!(t.apply(lo).abs() < 4.0);
            xs.sort_by(f64::total_cmp);
            prop_assert!(t.knots.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
