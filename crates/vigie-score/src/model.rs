//! The portable model file, `model.json` (specified in `docs/model-format.md`): everything
//! needed to score, calibrate, level and explain, in plain JSON that any language can read.

use std::path::Path;

use serde::{Deserialize, Serialize};
use vigie_core::features::FeatureGroup;

use crate::transform::RankNormal;
use crate::{Error, Result};

/// The format identifier written in every model file.
pub const FORMAT: &str = "vigie-model";
/// The version of the format this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Model name (the folder under `models/`).
    pub name: String,
    /// Version (the sub-folder), derived from the training inputs.
    pub version: String,
    /// The input features, in the order of the model's feature vector.
    pub features: Vec<FeatureSpec>,
    /// The fitted model.
    pub model: Model,
    /// Margin → probability per horizon.
    pub calibration: Calibration,
    /// Alert thresholds on the calibrated 18-month probability.
    pub thresholds: Thresholds,
    /// Where the model comes from.
    pub training: TrainingInfo,
}

/// One input feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// Column name in the data.
    pub name: String,
    /// Topic group (explanations are summed per group); `None` for features outside the
    /// Vigie catalogue (public benchmark data).
    pub group: Option<FeatureGroup>,
}

/// The fitted model: its margin is a log-odds score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case", deny_unknown_fields)]
pub enum Model {
    /// Logistic regression on rank-to-normal transformed features with missing indicators.
    Logistic(LinearModel),
    /// Gradient-boosted decision trees.
    Gbdt(TreeEnsemble),
}

impl Model {
    /// The family name.
    #[must_use]
    pub fn family(&self) -> &'static str {
        match self {
            Model::Logistic(_) => "logistic",
            Model::Gbdt(_) => "gbdt",
        }
    }
}

/// A linear model on transformed features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearModel {
    /// Intercept of the margin.
    pub intercept: f64,
    /// One term per feature, in feature order.
    pub terms: Vec<LinearTerm>,
}

/// The contribution of one feature to a linear margin:
/// `weight · z + missing_weight · m`, where `z` is the transformed value (0 when missing)
/// and `m` the missing indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearTerm {
    /// Rank-to-normal transform; `None` when the feature had no value in training (its
    /// `z` is then always 0).
    pub transform: Option<RankNormal>,
    /// Weight of the transformed value.
    pub weight: f64,
    /// Weight of the missing-value indicator.
    pub missing_weight: f64,
    /// Training mean of the transformed value (missing counted as 0): the reference of
    /// explanations.
    pub mean_z: f64,
    /// Training share of missing values.
    pub mean_missing: f64,
}

/// An additive ensemble of regression trees: `margin = base + Σ tree(x)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeEnsemble {
    /// Base margin.
    pub base: f64,
    /// The trees.
    pub trees: Vec<Tree>,
}

/// One tree, as a flat node array; node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    /// Nodes.
    pub nodes: Vec<Node>,
}

/// A node. A split sends `x[feature] < threshold` left, a larger or equal value right, and
/// a missing value (NaN) to `missing` (which is `left` or `right`). A leaf has no children
/// and contributes `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Split feature (index into the feature vector); unused for leaves.
    pub feature: u32,
    /// Split threshold; −∞ (written `"-Infinity"`) sends every value right and only
    /// missing values to `missing`.
    #[serde(with = "threshold")]
    pub threshold: f64,
    /// Left child index (0 for a leaf).
    pub left: u32,
    /// Right child index (0 for a leaf).
    pub right: u32,
    /// Child taken by a missing value.
    pub missing: u32,
    /// Leaf value (margin contribution); unused for splits.
    pub value: f64,
    /// Training cover (sum of hessians) reaching the node; `cover = left + right` for
    /// splits. Used by TreeSHAP.
    pub cover: f64,
}

/// A threshold in JSON: a number, or `"-Infinity"` / `"Infinity"` (JSON numbers have no
/// infinities; serde_json would write `null` and lose the sign).
mod threshold {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `with` passes a reference
    pub(super) fn serialize<S: Serializer>(t: &f64, s: S) -> Result<S::Ok, S::Error> {
        match *t {
            f64::NEG_INFINITY => s.serialize_str("-Infinity"),
            f64::INFINITY => s.serialize_str("Infinity"),
            t => s.serialize_f64(t),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Threshold {
        Number(f64),
        Text(String),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Threshold::deserialize(d)? {
            Threshold::Number(t) => Ok(t),
            Threshold::Text(t) if t == "-Infinity" => Ok(f64::NEG_INFINITY),
            Threshold::Text(t) if t == "Infinity" => Ok(f64::INFINITY),
            Threshold::Text(other) => Err(D::Error::custom(format!(
                "a threshold is a number, \"-Infinity\" or \"Infinity\", not {other:?}"
            ))),
        }
    }
}

impl Node {
    /// Whether the node is a leaf.
    #[must_use]
    pub fn is_leaf(&self) -> bool {
        self.left == 0 && self.right == 0
    }
}

/// Probability calibration: one Platt map per horizon,
/// `p_h = 1 / (1 + exp(-(a_h · margin + b_h)))`, then `p_h = max(p_h, p_{h-1})` so that
/// probabilities never decrease with the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// `[a, b]` for 6, 12, 18 and 24 months.
    pub platt: [[f64; 2]; 4],
    /// The window the maps were fitted on (`YYYY-MM..YYYY-MM` or a description).
    pub fitted_on: String,
}

/// Alert thresholds on the calibrated 18-month probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Red: the threshold maximising F0.5 on the validation window.
    pub red: f64,
    /// Orange: the threshold maximising F2 (never above red).
    pub orange: f64,
}

/// Provenance of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingInfo {
    /// First and last month of the training rows.
    pub train_window: [String; 2],
    /// Window used for early stopping, calibration and thresholds.
    pub validation_window: [String; 2],
    /// Out-of-time test window.
    pub test_window: [String; 2],
    /// SHA-256 of the training data (panel file bytes), hex.
    pub data_fingerprint: String,
    /// Random seed.
    pub seed: u64,
    /// Version of the code that trained the model (`vigie-train` crate version and git
    /// revision when known).
    pub code_version: String,
    /// Hyperparameters, as given to the trainer.
    pub params: serde_json::Value,
}

/// The fields of a model file read before the rest.
#[derive(Deserialize)]
struct Header {
    format: String,
    format_version: u32,
}

impl ModelFile {
    /// Reads a model file (or the `model.json` of a model directory).
    pub fn load(path: &Path) -> Result<Self> {
        let file = if path.is_dir() { path.join("model.json") } else { path.to_owned() };
        let text = std::fs::read_to_string(&file)
            .map_err(|source| Error::Io { path: file.clone(), source })?;
        Self::from_json(&text, &file)
    }

    /// Parses and checks a model file's text; `origin` names it in errors (a path, or a
    /// store's model registry).
    pub fn from_json(text: &str, origin: &Path) -> Result<Self> {
        let file = origin.to_owned();
        let format_error =
            |e: serde_json::Error| Error::Format { path: file.clone(), message: e.to_string() };
        // The format and its version first: a newer file is refused as such, not for a
        // field this build does not know.
        let h: Header = serde_json::from_str(text).map_err(format_error)?;
        if h.format != FORMAT || h.format_version != FORMAT_VERSION {
            return Err(Error::Format {
                path: file,
                message: format!(
                    "format {} version {}, this build reads {FORMAT} version {FORMAT_VERSION}",
                    h.format, h.format_version
                ),
            });
        }
        let m: Self = serde_json::from_str(text).map_err(format_error)?;
        m.validate().map_err(|message| Error::Format { path: file, message })?;
        Ok(m)
    }

    /// The canonical JSON text (compact — tree ensembles are large —, stable field order,
    /// floats that read back exactly).
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string(self).expect("model files serialise");
        s.push('\n');
        s
    }

    /// Structural checks, so that no file content can make scoring panic, loop or
    /// overflow the stack: indices in range, feature counts consistent, every tree a tree
    /// (each node but the root the child of exactly one node, depth at most
    /// [`MAX_TREE_DEPTH`]), transforms, calibration and thresholds well-formed.
    fn validate(&self) -> std::result::Result<(), String> {
        let k = self.features.len();
        if !self.calibration.platt.iter().flatten().all(|v| v.is_finite()) {
            return Err("calibration: non-finite Platt coefficients".into());
        }
        let t = &self.thresholds;
        if !(0.0 <= t.orange && t.orange <= t.red && t.red <= 1.0) {
            return Err(format!(
                "thresholds: need 0 ≤ orange ≤ red ≤ 1, found orange {} and red {}",
                t.orange, t.red
            ));
        }
        match &self.model {
            Model::Logistic(l) if l.terms.len() != k => {
                Err(format!("{} linear terms for {k} features", l.terms.len()))
            }
            Model::Logistic(l) => {
                if !l.intercept.is_finite() {
                    return Err("a non-finite intercept".into());
                }
                for (j, term) in l.terms.iter().enumerate() {
                    let finite = [term.weight, term.missing_weight, term.mean_z, term.mean_missing]
                        .iter()
                        .all(|v| v.is_finite());
                    let knots_ok = term.transform.as_ref().is_none_or(|r| {
                        r.knots.len() >= 2
                            && r.knots.iter().all(|v| v.is_finite())
                            && r.knots.windows(2).all(|w| w[0] <= w[1])
                    });
                    if !finite || !knots_ok {
                        return Err(format!(
                            "linear term {j}: non-finite values, or transform knots that are not \
                             at least two finite non-decreasing values"
                        ));
                    }
                }
                Ok(())
            }
            Model::Gbdt(e) => {
                if !e.base.is_finite() {
                    return Err("a non-finite base margin".into());
                }
                for (t, tree) in e.trees.iter().enumerate() {
                    let n = tree.nodes.len() as u32;
                    if n == 0 {
                        return Err(format!("tree {t} is empty"));
                    }
                    // Parents and depths, in index order (children come after parents).
                    let mut parents = vec![0u8; tree.nodes.len()];
                    let mut depth = vec![0usize; tree.nodes.len()];
                    for (i, node) in tree.nodes.iter().enumerate() {
                        if i > 0 && parents[i] != 1 {
                            return Err(format!(
                                "tree {t}: node {i} is the child of {} nodes, not one",
                                parents[i]
                            ));
                        }
                        if node.is_leaf() {
                            continue;
                        }
                        for c in [node.left, node.right] {
                            if let Some(p) = parents.get_mut(c as usize)
                                && (c as usize) > i
                            {
                                *p = p.saturating_add(1);
                                depth[c as usize] = depth[i] + 1;
                                if depth[c as usize] > MAX_TREE_DEPTH {
                                    return Err(format!(
                                        "tree {t} is deeper than {MAX_TREE_DEPTH} splits"
                                    ));
                                }
                            }
                        }
                    }
                    for (i, node) in tree.nodes.iter().enumerate() {
                        if !(node.cover > 0.0 && node.cover.is_finite() && node.value.is_finite()) {
                            return Err(format!(
                                "tree {t} has a node with a non-positive cover or a non-finite value"
                            ));
                        }
                        if !node.is_leaf() {
                            let (l, r) = (node.left as usize, node.right as usize);
                            if let (Some(a), Some(b)) = (tree.nodes.get(l), tree.nodes.get(r)) {
                                // TreeSHAP is exact only if covers add up.
                                if (a.cover + b.cover - node.cover).abs()
                                    > 1e-9 * node.cover.max(1.0)
                                    || l == r
                                {
                                    return Err(format!(
                                        "tree {t} has inconsistent covers or children"
                                    ));
                                }
                            }
                        }
                        // Children after their parent: the tree is acyclic by construction.
                        let i = i as u32;
                        if !node.is_leaf()
                            && (node.left >= n
                                || node.left <= i
                                || node.right <= i
                                || node.right >= n
                                || (node.missing != node.left && node.missing != node.right)
                                || node.feature as usize >= k)
                        {
                            return Err(format!("tree {t} has an invalid node"));
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// The deepest tree a model file may hold (training grows at most 16 splits deep).
pub const MAX_TREE_DEPTH: usize = 64;
