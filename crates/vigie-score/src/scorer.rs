//! The scorer: a loaded model bound to the columns of the data.

use serde::Serialize;
use vigie_core::features::{self, FeatureGroup};
use vigie_core::{AlertLevel, Horizon, Probabilities};

use crate::explanation::{
    Explanation, Factor, FeatureContribution, GroupContribution, Scratch, Summary,
};
use crate::model::{LinearModel, Model, ModelFile};
use crate::trees::PathElement;
use crate::{Error, Result};

/// A scored row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    /// The model's margin (log-odds, before calibration).
    pub margin: f64,
    /// Calibrated probabilities at 6, 12, 18 and 24 months (non-decreasing).
    pub p: Probabilities,
    /// Alert level from the 18-month probability.
    pub level: AlertLevel,
}

thread_local! {
    /// Scratch of the table-driven TreeSHAP (the branch each node sends the row to).
    static HOT: std::cell::RefCell<crate::trees::ShapScratch> =
        std::cell::RefCell::new(crate::trees::ShapScratch::default());
}

/// A model ready to score rows whose values come in a known column order.
#[derive(Debug, Clone)]
pub struct Scorer {
    model: ModelFile,
    /// For each model feature, its position in the data row.
    positions: Vec<usize>,
    /// Group of each feature, and the distinct groups in order.
    groups: Vec<Option<FeatureGroup>>,
    group_order: Vec<Option<FeatureGroup>>,
    bias: f64,
    /// TreeSHAP scratch size (0 for linear models).
    shap_buffer: usize,
    /// Precomputed TreeSHAP tables (shared between clones), when the trees are shallow
    /// enough.
    shap_tables: Option<std::sync::Arc<crate::trees::ShapTables>>,
    /// For each model feature, its catalogue entry (`None`: not in the catalogue).
    specs: Vec<Option<&'static features::FeatureSpec>>,
    /// For each model feature, the position in the data row of the same measure six
    /// months earlier (`tax_arrears_ratio` → `tax_arrears_ratio_lag6`), when bound.
    lag6: Vec<Option<usize>>,
}

impl Scorer {
    /// Binds `model` to data whose rows hold `columns` in this order. Fails, naming them,
    /// if some model features are not among the columns.
    pub fn bind(model: ModelFile, columns: &[&str]) -> Result<Self> {
        let mut positions = Vec::with_capacity(model.features.len());
        let mut missing = Vec::new();
        for f in &model.features {
            match columns.iter().position(|c| *c == f.name) {
                Some(p) => positions.push(p),
                None => missing.push(f.name.as_str()),
            }
        }
        if !missing.is_empty() {
            return Err(Error::SchemaMismatch {
                model: format!("{}/{}", model.name, model.version),
                missing: missing.join(", "),
            });
        }
        let groups: Vec<_> = model.features.iter().map(|f| f.group).collect();
        let mut group_order: Vec<Option<FeatureGroup>> = Vec::new();
        for g in FeatureGroup::ALL.iter().map(|g| Some(*g)).chain([None]) {
            if groups.contains(&g) {
                group_order.push(g);
            }
        }
        let (bias, shap_buffer) = match &model.model {
            Model::Logistic(l) => (linear_bias(l), 0),
            Model::Gbdt(e) => (e.expected_margin(), e.shap_buffer_len()),
        };
        let shap_tables = match &model.model {
            Model::Gbdt(e) => crate::trees::ShapTables::new(e).map(std::sync::Arc::new),
            Model::Logistic(_) => None,
        };
        let specs = model.features.iter().map(|f| features::spec(&f.name)).collect();
        let lag6 = model
            .features
            .iter()
            .map(|f| {
                let lagged = format!("{}_lag6", f.name);
                columns.iter().position(|c| *c == lagged)
            })
            .collect();
        Ok(Self {
            model,
            positions,
            groups,
            group_order,
            bias,
            shap_buffer,
            shap_tables,
            specs,
            lag6,
        })
    }

    /// Binds `model` to rows laid out exactly in the model's feature order.
    #[must_use]
    pub fn in_model_order(model: ModelFile) -> Self {
        let names: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
        let cols: Vec<&str> = names.iter().map(String::as_str).collect();
        Self::bind(model, &cols).expect("a model matches its own features")
    }

    /// The model file.
    #[must_use]
    pub fn model(&self) -> &ModelFile {
        &self.model
    }

    /// For each model feature, its position in the data rows this scorer was bound to.
    #[must_use]
    pub fn positions(&self) -> &[usize] {
        &self.positions
    }

    /// The model's feature vector of a data row.
    fn gather(&self, row: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.positions.iter().map(|&p| row[p]));
    }

    fn check(&self, row: &[f64]) -> Result<()> {
        let needed = self.positions.iter().max().map_or(0, |m| m + 1);
        if row.len() < needed {
            return Err(Error::RowLength { expected: needed, found: row.len() });
        }
        Ok(())
    }

    /// The margin of a data row.
    pub fn margin(&self, row: &[f64]) -> Result<f64> {
        self.check(row)?;
        let mut x = Vec::with_capacity(self.positions.len());
        self.gather(row, &mut x);
        Ok(self.margin_of(&x))
    }

    fn margin_of(&self, x: &[f64]) -> f64 {
        match &self.model.model {
            Model::Logistic(l) => {
                l.intercept
                    + l.terms
                        .iter()
                        .zip(x)
                        .map(|(t, &v)| {
                            let z = t.transform.as_ref().map_or(0.0, |tr| tr.apply(v));
                            if z.is_nan() { t.missing_weight } else { t.weight * z }
                        })
                        .sum::<f64>()
            }
            Model::Gbdt(e) => e.margin(x),
        }
    }

    /// Calibrated probabilities and level of a margin. A NaN margin (a corrupt model)
    /// gives NaN probabilities, never a reassuring zero.
    #[must_use]
    pub fn calibrate(&self, margin: f64) -> Score {
        if margin.is_nan() {
            return Score {
                margin,
                p: Probabilities::from_array([f64::NAN; 4]),
                level: AlertLevel::Green,
            };
        }
        let mut p = Probabilities::default();
        let mut floor = 0.0f64;
        for (&h, [a, b]) in Horizon::ALL.iter().zip(&self.model.calibration.platt) {
            let v = 1.0 / (1.0 + (-(a * margin + b)).exp());
            floor = floor.max(v);
            p[h] = floor;
        }
        let t = &self.model.thresholds;
        Score { margin, p, level: AlertLevel::from_probability(p.alert(), t.orange, t.red) }
    }

    /// Scores a data row.
    pub fn score(&self, row: &[f64]) -> Result<Score> {
        let margin = self.margin(row)?;
        if !margin.is_finite() {
            return Err(Error::NotFinite);
        }
        Ok(self.calibrate(margin))
    }

    /// Scores many rows (row-major, `width` values each).
    pub fn score_rows(&self, rows: &[f64], width: usize) -> Result<Vec<Score>> {
        if width == 0 || !rows.len().is_multiple_of(width) {
            return Err(Error::RowLength { expected: width, found: rows.len() % width.max(1) });
        }
        let mut x = Vec::with_capacity(self.positions.len());
        rows.chunks(width)
            .map(|row| {
                self.check(row)?;
                self.gather(row, &mut x);
                Ok(self.calibrate(self.margin_of(&x)))
            })
            .collect()
    }

    /// The per-feature contributions of a data row, written into `phi` (model feature
    /// order, resized as needed), without allocating names: the batch path. Returns the
    /// margin; `bias + Σ phi = margin`.
    pub fn contributions(&self, row: &[f64], x: &mut Vec<f64>, phi: &mut Vec<f64>) -> Result<f64> {
        self.check(row)?;
        self.gather(row, x);
        phi.clear();
        phi.resize(x.len(), 0.0);
        match &self.model.model {
            Model::Logistic(l) => {
                for ((p, t), &v) in phi.iter_mut().zip(&l.terms).zip(x.iter()) {
                    let z = t.transform.as_ref().map_or(0.0, |tr| tr.apply(v));
                    let (z, m) = if z.is_nan() { (0.0, 1.0) } else { (z, 0.0) };
                    *p = t.weight * (z - t.mean_z) + t.missing_weight * (m - t.mean_missing);
                }
            }
            Model::Gbdt(e) => {
                if let Some(t) = &self.shap_tables {
                    HOT.with_borrow_mut(|hot| t.shap(e, x, phi, hot));
                } else {
                    let mut buf = vec![PathElement::default(); self.shap_buffer];
                    e.shap(x, phi, &mut buf);
                }
            }
        }
        Ok(self.margin_of(x))
    }

    /// The bias of explanations: the margin of the training-average company.
    #[must_use]
    pub fn bias(&self) -> f64 {
        self.bias
    }

    /// Explains a data row: exact per-feature contributions to the margin, named, with
    /// group sums.
    pub fn explain(&self, row: &[f64]) -> Result<Explanation> {
        let mut x = Vec::with_capacity(self.positions.len());
        let mut phi = Vec::with_capacity(self.positions.len());
        let margin = self.contributions(row, &mut x, &mut phi)?;
        let features = self
            .model
            .features
            .iter()
            .zip(&phi)
            .zip(&x)
            .map(|((f, &c), &v)| FeatureContribution {
                feature: f.name.clone(),
                value: if v.is_nan() { None } else { Some(v) },
                contribution: c,
            })
            .collect();
        let groups = self
            .group_order
            .iter()
            .map(|g| GroupContribution {
                group: *g,
                contribution: phi
                    .iter()
                    .zip(&self.groups)
                    .filter(|(_, fg)| *fg == g)
                    .map(|(c, _)| c)
                    .sum(),
            })
            .collect();
        Ok(Explanation { bias: self.bias, margin, features, groups })
    }

    /// The summary of a data row's explanation: bias, margin, contributions by topic group,
    /// and the `top` most concerning and most reassuring features, with their values six
    /// months earlier where the row has them. The one way to build a [`Summary`]; it
    /// allocates only the summary itself (the working vectors live in `scratch`).
    pub fn summarize(&self, row: &[f64], top: usize, scratch: &mut Scratch) -> Result<Summary> {
        let Scratch { x, phi, order } = scratch;
        let margin = self.contributions(row, x, phi)?;
        let mut groups = std::collections::BTreeMap::new();
        for (g, c) in self.groups.iter().zip(phi.iter()) {
            *groups
                .entry(std::borrow::Cow::Borrowed(g.map_or("other", FeatureGroup::as_str)))
                .or_default() += c;
        }
        let names = &self.model.features;
        let factor = |i: usize| Factor {
            feature: self.specs[i].map_or_else(
                || std::borrow::Cow::Owned(names[i].name.clone()),
                |s| std::borrow::Cow::Borrowed(s.name),
            ),
            label: self.specs[i].map_or_else(
                || std::borrow::Cow::Owned(names[i].name.clone()),
                |s| std::borrow::Cow::Borrowed(s.label_fr),
            ),
            group: std::borrow::Cow::Borrowed(self.groups[i].map_or("other", FeatureGroup::as_str)),
            value: if x[i].is_nan() { None } else { Some(x[i]) },
            contribution: phi[i],
            value_6m_ago: self.lag6[i].and_then(|p| row.get(p).copied()).filter(|v| v.is_finite()),
        };
        // Strongest first, ties by name (as `Explanation::top_concerning` and
        // `top_reassuring`).
        order.clear();
        order.extend((0..phi.len()).filter(|&i| phi[i] > 0.0));
        order.sort_by(|&a, &b| {
            phi[b].total_cmp(&phi[a]).then_with(|| names[a].name.cmp(&names[b].name))
        });
        let concerning = order.iter().take(top).map(|&i| factor(i)).collect();
        order.clear();
        order.extend((0..phi.len()).filter(|&i| phi[i] < 0.0));
        order.sort_by(|&a, &b| {
            phi[a].total_cmp(&phi[b]).then_with(|| names[a].name.cmp(&names[b].name))
        });
        let reassuring = order.iter().take(top).map(|&i| factor(i)).collect();
        Ok(Summary { bias: self.bias, margin, groups, concerning, reassuring })
    }
}

/// The margin of the training-average company: intercept plus every term at its mean.
fn linear_bias(l: &LinearModel) -> f64 {
    l.intercept
        + l.terms
            .iter()
            .map(|t| t.weight * t.mean_z + t.missing_weight * t.mean_missing)
            .sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::transform::RankNormal;
    use approx::assert_abs_diff_eq;
    use std::path::Path;

    fn calibration() -> Calibration {
        Calibration {
            platt: [[1.0, -2.0], [1.0, -1.5], [1.0, -1.0], [1.0, -0.5]],
            fitted_on: "test".into(),
        }
    }

    fn info() -> TrainingInfo {
        TrainingInfo {
            train_window: ["2020-01".into(), "2021-12".into()],
            validation_window: ["2022-01".into(), "2022-06".into()],
            test_window: ["2023-01".into(), "2023-06".into()],
            data_fingerprint: "00".into(),
            seed: 1,
            code_version: "test".into(),
            params: serde_json::json!({}),
        }
    }

    pub(crate) fn logistic() -> ModelFile {
        let t = |w: f64, mw: f64| LinearTerm {
            transform: RankNormal::fit(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            weight: w,
            missing_weight: mw,
            mean_z: 0.1,
            mean_missing: 0.2,
        };
        ModelFile {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            name: "t".into(),
            version: "v".into(),
            features: vec![
                FeatureSpec { name: "tax_arrears_ratio".into(), group: Some(FeatureGroup::Tax) },
                FeatureSpec { name: "fin_roa".into(), group: Some(FeatureGroup::Financial) },
                FeatureSpec { name: "soc_debt_ratio".into(), group: Some(FeatureGroup::Social) },
            ],
            model: Model::Logistic(LinearModel {
                intercept: -3.0,
                terms: vec![t(0.8, 0.3), t(-0.5, 0.1), t(0.4, -0.2)],
            }),
            calibration: calibration(),
            thresholds: Thresholds { red: 0.5, orange: 0.2 },
            training: info(),
        }
    }

    /// A one-feature tree model whose trees are `trees` (built node by node).
    fn with_trees(trees: Vec<Tree>) -> ModelFile {
        ModelFile {
            model: Model::Gbdt(TreeEnsemble { base: -2.0, trees }),
            features: vec![FeatureSpec { name: "fin_roa".into(), group: None }],
            ..logistic()
        }
    }

    fn split(left: u32, right: u32, cover: f64) -> Node {
        Node { feature: 0, threshold: 0.5, left, right, missing: left, value: 0.0, cover }
    }

    fn leaf(cover: f64) -> Node {
        Node { feature: 0, threshold: 0.0, left: 0, right: 0, missing: 0, value: 0.1, cover }
    }

    /// Serialises `m` and reads it back as a file would be.
    fn reload(m: &ModelFile) -> std::result::Result<ModelFile, String> {
        ModelFile::from_json(&m.to_json(), Path::new("m.json")).map_err(|e| e.to_string())
    }

    #[test]
    fn model_files_that_would_hang_crash_or_mislead_are_refused() {
        // A well-formed tree loads.
        let good = with_trees(vec![Tree { nodes: vec![split(1, 2, 2.0), leaf(1.0), leaf(1.0)] }]);
        assert!(reload(&good).is_ok());
        // Shared children (a graph, exponential to walk): node 2 has two parents.
        let shared = Tree { nodes: vec![split(1, 2, 3.0), split(2, 3, 2.0), leaf(1.0), leaf(1.0)] };
        let e = reload(&with_trees(vec![shared])).unwrap_err();
        assert!(e.contains("node 2 is the child of 2 nodes"), "{e}");
        // A chain deeper than the cap (a stack overflow when walked recursively).
        let mut nodes = Vec::new();
        let deep = MAX_TREE_DEPTH as u32 + 1;
        for i in 0..deep {
            nodes.push(split(2 * i + 1, 2 * i + 2, f64::from(deep - i) + 1.0));
            nodes.push(leaf(1.0));
        }
        nodes.push(leaf(1.0));
        // Renumber: node 2i is the split, 2i+1 its leaf, 2i+2 the next split.
        for (i, n) in nodes.iter_mut().enumerate().filter(|(_, n)| !n.is_leaf()) {
            let i = i as u32;
            (n.left, n.right, n.missing) = (i + 1, i + 2, i + 1);
        }
        let e = reload(&with_trees(vec![Tree { nodes }])).unwrap_err();
        assert!(e.contains("deeper than 64"), "{e}");
        // Transform knots: too few, unsorted (JSON cannot hold a non-finite one).
        for knots in [vec![], vec![0.0], vec![2.0, 1.0], vec![0.0, 1.0, 0.5]] {
            let mut m = logistic();
            let Model::Logistic(l) = &mut m.model else { unreachable!() };
            l.terms[0].transform = Some(RankNormal { knots: knots.clone() });
            let e = reload(&m).unwrap_err();
            assert!(e.contains("transform knots"), "{knots:?}: {e}");
        }
        // Orange above red would silently never be shown.
        let e =
            reload(&ModelFile { thresholds: Thresholds { red: 0.05, orange: 0.5 }, ..logistic() })
                .unwrap_err();
        assert!(e.contains("orange ≤ red"), "{e}");
        // Unknown fields in a transform, and a newer version, are named as such.
        let text = logistic().to_json().replacen("\"knots\":", "\"scale\":2,\"knots\":", 1);
        let e = ModelFile::from_json(&text, Path::new("m.json")).unwrap_err().to_string();
        assert!(e.contains("unknown field `scale`"), "{e}");
        let newer = logistic()
            .to_json()
            .replace("\"format_version\":1", "\"format_version\":2")
            .replacen("\"knots\":", "\"isotonic\":[],\"knots\":", 1);
        let e = ModelFile::from_json(&newer, Path::new("m.json")).unwrap_err().to_string();
        assert!(e.contains("version 2, this build reads"), "{e}");
    }

    #[test]
    fn linear_contributions_add_up_and_schema_is_checked() {
        let m = logistic();
        let s = Scorer::bind(m.clone(), &["x", "soc_debt_ratio", "fin_roa", "tax_arrears_ratio"])
            .unwrap();
        for row in [[9.0, 2.0, 3.5, 6.0], [0.0, f64::NAN, 1.0, f64::NAN], [0.0, 100.0, -5.0, 2.5]] {
            let e = s.explain(&row).unwrap();
            let sum: f64 = e.features.iter().map(|f| f.contribution).sum();
            assert_abs_diff_eq!(e.bias + sum, s.margin(&row).unwrap(), epsilon = 1e-12);
            let gsum: f64 = e.groups.iter().map(|g| g.contribution).sum();
            assert_abs_diff_eq!(gsum, sum, epsilon = 1e-12);
            assert_eq!(e.groups.len(), 3);
        }
        let err = Scorer::bind(m, &["tax_arrears_ratio"]).unwrap_err();
        assert!(err.to_string().contains("fin_roa, soc_debt_ratio"), "{err}");
    }

    #[test]
    fn the_summary_is_the_explanation_cut_to_its_top_factors() {
        let cols =
            ["x", "soc_debt_ratio", "fin_roa", "tax_arrears_ratio", "tax_arrears_ratio_lag6"];
        let s = Scorer::bind(logistic(), &cols).unwrap();
        let mut scratch = Scratch::default();
        for row in [
            [9.0, 2.0, 3.5, 6.0, 4.0],
            [0.0, f64::NAN, 1.0, f64::NAN, 1.0],
            [0.0, 100.0, -5.0, 2.5, f64::NAN],
        ] {
            let e = s.explain(&row).unwrap();
            for top in [1, 5] {
                let sum = s.summarize(&row, top, &mut scratch).unwrap();
                assert_eq!((sum.bias, sum.margin), (e.bias, e.margin));
                let gsum: f64 = sum.groups.values().sum();
                assert_abs_diff_eq!(sum.bias + gsum, sum.margin, epsilon = 1e-12);
                let names =
                    |v: &[Factor]| v.iter().map(|f| f.feature.to_string()).collect::<Vec<_>>();
                let want = |v: Vec<&FeatureContribution>| {
                    v.iter().map(|f| f.feature.clone()).collect::<Vec<_>>()
                };
                assert_eq!(names(&sum.concerning), want(e.top_concerning(top)));
                assert_eq!(names(&sum.reassuring), want(e.top_reassuring(top)));
                for f in sum.concerning.iter().chain(&sum.reassuring) {
                    let c = e.features.iter().find(|c| c.feature == f.feature).unwrap();
                    assert_eq!((f.value, f.contribution), (c.value, c.contribution));
                    // Only the tax arrears ratio has a lagged column here, with a finite
                    // value in the first two rows only.
                    let lag =
                        (f.feature == "tax_arrears_ratio" && row[4].is_finite()).then_some(row[4]);
                    assert_eq!(f.value_6m_ago, lag, "{}", f.feature);
                }
            }
        }
        // The catalogue names its labels and groups.
        let sum = s.summarize(&[0.0, 100.0, -5.0, 2.5, 1.0], 5, &mut scratch).unwrap();
        let f =
            sum.concerning.iter().chain(&sum.reassuring).find(|f| f.feature == "fin_roa").unwrap();
        assert_eq!(f.group, "financial");
        assert_eq!(f.label, vigie_core::features::spec("fin_roa").unwrap().label_fr);
    }

    #[test]
    fn probabilities_are_monotone_in_the_horizon() {
        let s = Scorer::in_model_order(logistic());
        for margin in [-20.0, -3.0, 0.0, 2.0, 20.0] {
            let sc = s.calibrate(margin);
            assert!(sc.p.to_array().is_sorted(), "{:?}", sc.p);
        }
        // Crossing Platt maps are repaired by the running maximum.
        let mut m = logistic();
        m.calibration.platt = [[2.0, -1.0], [1.0, -1.0], [0.5, -1.0], [0.25, -1.0]];
        let s = Scorer::in_model_order(m);
        let sc = s.calibrate(3.0);
        assert!(sc.p.to_array().is_sorted(), "{:?}", sc.p);
        assert_eq!(s.calibrate(10.0).level, AlertLevel::Red);
        assert_eq!(s.calibrate(-10.0).level, AlertLevel::Green);
    }

    #[test]
    fn json_round_trip_is_exact() {
        let m = logistic();
        let text = m.to_json();
        let back: ModelFile = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.to_json(), text);
    }

    #[test]
    fn scorer_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Scorer>();
        check::<ModelFile>();
    }
}
