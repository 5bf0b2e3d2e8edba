//! L2 logistic regression (linfa-logistic) on robust features: each feature goes through
//! a rank-to-normal transform learnt on the training rows, missing values become 0 plus a
//! missing-value indicator. Heavy-tailed financial ratios need this: on raw standardised
//! ratios a linear model is dominated by a few extreme rows.

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, ShapeBuilder};
use serde::{Deserialize, Serialize};
use vigie_score::model::{LinearModel, LinearTerm};
use vigie_score::transform::RankNormal;

use crate::design::Design;
use crate::{Error, Result};

/// Hyperparameters (unchecked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogisticParams {
    /// L2 penalty on the weights (linfa's `alpha`: the loss is the summed log-loss plus
    /// `alpha / 2 · ‖w‖²`, so its effect shrinks as the data grow).
    pub alpha: f64,
    /// Maximum L-BFGS iterations.
    pub max_iterations: u64,
    /// Gradient tolerance of the solver, per training row (the loss is a sum over rows,
    /// so a fixed tolerance would mean a stricter fit the more data there is).
    pub gradient_tolerance: f64,
}

impl Default for LogisticParams {
    fn default() -> Self {
        Self { alpha: 1.0, max_iterations: 300, gradient_tolerance: 1e-6 }
    }
}

/// Checked hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidLogisticParams(LogisticParams);

impl LogisticParams {
    /// Checks ranges.
    pub fn check(self) -> Result<ValidLogisticParams> {
        if !(self.alpha >= 0.0 && self.alpha.is_finite()) {
            return Err(Error::Input("invalid logistic parameter: alpha must be >= 0".into()));
        }
        if self.max_iterations == 0
            || self.gradient_tolerance.is_nan()
            || self.gradient_tolerance <= 0.0
        {
            return Err(Error::Input(
                "invalid logistic parameter: iterations and tolerance must be positive".into(),
            ));
        }
        Ok(ValidLogisticParams(self))
    }
}

impl ValidLogisticParams {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &LogisticParams {
        &self.0
    }

    /// Fits on `x`, `y` (0/1).
    pub fn fit(&self, x: &Design, y: &[f64]) -> Result<LinearModel> {
        let n = x.n;
        if n == 0 || y.len() != n {
            return Err(Error::Input("no training rows".into()));
        }
        let labels: Vec<bool> = y.iter().map(|&v| v > 0.5).collect();
        if labels.iter().all(|&l| l) || labels.iter().all(|&l| !l) {
            return Err(Error::Input("the training rows have a single class".into()));
        }
        // Transformed columns, then missing indicators for features that have missing
        // values in training.
        let transforms: Vec<Option<RankNormal>> =
            (0..x.k()).map(|j| RankNormal::fit(x.col(j))).collect();
        let mut columns: Vec<Vec<f64>> = Vec::new();
        let mut indicator_of: Vec<Option<usize>> = Vec::new();
        let mut means = Vec::with_capacity(x.k());
        for (j, t) in transforms.iter().enumerate() {
            let z: Vec<f64> =
                x.col(j).iter().map(|&v| t.as_ref().map_or(f64::NAN, |t| t.apply(v))).collect();
            let missing = z.iter().filter(|v| v.is_nan()).count();
            let zc: Vec<f64> = z.iter().map(|v| if v.is_nan() { 0.0 } else { *v }).collect();
            means.push((zc.iter().sum::<f64>() / n as f64, missing as f64 / n as f64));
            columns.push(zc);
            indicator_of.push(None);
            if missing > 0 && missing < n {
                indicator_of[j] = Some(columns.len());
                columns.push(z.iter().map(|v| if v.is_nan() { 1.0 } else { 0.0 }).collect());
            }
        }
        let p = columns.len();
        let flat: Vec<f64> = columns.into_iter().flatten().collect();
        let design =
            Array2::from_shape_vec((n, p).f(), flat).map_err(|e| Error::Fit(e.to_string()))?;
        let targets = Array1::from_vec(labels);
        let dataset = Dataset::new(design, targets);
        let params = &self.0;
        let fitted = LogisticRegression::default()
            .alpha(params.alpha)
            .max_iterations(params.max_iterations)
            .gradient_tolerance(params.gradient_tolerance * n as f64)
            .with_intercept(true)
            .fit(&dataset)
            .map_err(|e| Error::Fit(e.to_string()))?;
        // linfa-logistic makes the majority class "positive": bring the model back to
        // log-odds of the label 1 (failure).
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        let w = fitted.params();
        let terms = (0..x.k())
            .map(|j| LinearTerm {
                transform: transforms[j].clone(),
                weight: sign * w[j_col(&indicator_of, j)],
                missing_weight: indicator_of[j].map_or(0.0, |c| sign * w[c]),
                mean_z: means[j].0,
                mean_missing: means[j].1,
            })
            .collect();
        Ok(LinearModel { intercept: sign * fitted.intercept(), terms })
    }
}

/// Column of feature `j`'s transformed value in the design (indicators are interleaved).
fn j_col(indicator_of: &[Option<usize>], j: usize) -> usize {
    j + indicator_of[..j].iter().filter(|i| i.is_some()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn recovers_the_direction_of_effects_on_heavy_tailed_data() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let n = 3000;
        let (mut a, mut b, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let u: f64 = rng.random();
            let v: f64 = rng.random();
            // Heavy tails: the raw values are exp of the latent scores.
            a.push(if rng.random::<f64>() < 0.1 { f64::NAN } else { (6.0 * u).exp() });
            b.push((5.0 * v).exp());
            let logit = 4.0 * u - 3.0 * v - 2.5;
            y.push(f64::from(u8::from(rng.random::<f64>() < 1.0 / (1.0 + (-logit).exp()))));
        }
        let x = Design::from_columns(vec![("a".into(), None, a), ("b".into(), None, b)]);
        let m = LogisticParams::default().check().unwrap().fit(&x, &y).unwrap();
        assert!(m.terms[0].weight > 0.5, "risk rises with a: {}", m.terms[0].weight);
        assert!(m.terms[1].weight < -0.5, "risk falls with b: {}", m.terms[1].weight);
        assert!(m.terms[0].missing_weight != 0.0);
        assert_eq!(m.terms[1].missing_weight, 0.0, "b has no missing value: no indicator");
        assert!((m.terms[0].mean_missing - 0.1).abs() < 0.03);
    }

    #[test]
    fn single_class_is_an_input_error() {
        let x = Design::from_columns(vec![("a".into(), None, vec![1.0, 2.0, 3.0])]);
        assert!(matches!(
            LogisticParams::default().check().unwrap().fit(&x, &[0.0, 0.0, 0.0]),
            Err(Error::Input(_))
        ));
    }
}
