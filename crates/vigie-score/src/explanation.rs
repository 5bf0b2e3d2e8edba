//! Explanations: the exact per-feature contributions of a score ([`Explanation`]), and the
//! summary the service keeps and answers ([`Summary`]) — stored by the batch, read by the
//! dashboard, returned by the API. Built by [`crate::Scorer::explain`] and
//! [`crate::Scorer::summarize`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigie_core::features::{self, FeatureGroup};

/// One feature's share of an explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureContribution {
    /// Feature name.
    pub feature: String,
    /// Its value in the row (NaN when missing, serialised as null).
    pub value: Option<f64>,
    /// Contribution to the margin, in log-odds; positive = more risk.
    pub contribution: f64,
}

/// A topic group's share of an explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupContribution {
    /// Group (`None` for features outside the catalogue).
    pub group: Option<FeatureGroup>,
    /// Sum of its features' contributions.
    pub contribution: f64,
}

/// An explanation: `bias + Σ contributions = margin`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The margin of an average company of the training window.
    pub bias: f64,
    /// The row's margin.
    pub margin: f64,
    /// Per-feature contributions, in feature order.
    pub features: Vec<FeatureContribution>,
    /// Per-group sums, in group order.
    pub groups: Vec<GroupContribution>,
}

impl Explanation {
    /// The `n` features pushing the risk up most, largest first.
    #[must_use]
    pub fn top_concerning(&self, n: usize) -> Vec<&FeatureContribution> {
        let mut v: Vec<_> = self.features.iter().filter(|f| f.contribution > 0.0).collect();
        v.sort_by(|a, b| {
            b.contribution.total_cmp(&a.contribution).then_with(|| a.feature.cmp(&b.feature))
        });
        v.truncate(n);
        v
    }

    /// The `n` features pulling the risk down most, strongest first.
    #[must_use]
    pub fn top_reassuring(&self, n: usize) -> Vec<&FeatureContribution> {
        let mut v: Vec<_> = self.features.iter().filter(|f| f.contribution < 0.0).collect();
        v.sort_by(|a, b| {
            a.contribution.total_cmp(&b.contribution).then_with(|| a.feature.cmp(&b.feature))
        });
        v.truncate(n);
        v
    }
}

/// The summary of an explanation: `bias + Σ groups = margin` (to rounding), and the
/// features that raise and lower the risk most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Summary {
    /// Margin of the training-average company (log-odds).
    pub bias: f64,
    /// The company's margin (log-odds, before calibration).
    pub margin: f64,
    /// Contributions by topic group (log-odds): `financial`, `tax`, `activity`, `social`,
    /// `profile`, and `other` for features outside the catalogue.
    #[schema(value_type = BTreeMap<String, f64>)]
    #[serde(default)]
    pub groups: BTreeMap<Cow<'static, str>, f64>,
    /// The features raising the risk most, strongest first.
    #[serde(default)]
    pub concerning: Vec<Factor>,
    /// The features lowering the risk most, strongest first.
    #[serde(default)]
    pub reassuring: Vec<Factor>,
}

/// One feature's contribution to the margin (log-odds). Its label and group come from the
/// feature catalogue, also when read back from the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(from = "StoredFactor")]
pub struct Factor {
    /// Feature name (see docs/features.md).
    #[schema(value_type = String)]
    pub feature: Cow<'static, str>,
    /// French label.
    #[schema(value_type = String)]
    pub label: Cow<'static, str>,
    /// Topic group.
    #[schema(value_type = String)]
    pub group: Cow<'static, str>,
    /// The company's value (`null`: missing).
    pub value: Option<f64>,
    /// Contribution to the margin, in log-odds (positive: riskier).
    pub contribution: f64,
    /// The same measure six months earlier, for features the catalogue also has with a
    /// six-month lag (absent otherwise, or when missing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_6m_ago: Option<f64>,
}

/// A factor as stored: label and group are looked up again in the catalogue.
#[derive(Deserialize)]
struct StoredFactor {
    feature: String,
    value: Option<f64>,
    contribution: f64,
    #[serde(default)]
    value_6m_ago: Option<f64>,
}

impl From<StoredFactor> for Factor {
    fn from(f: StoredFactor) -> Self {
        let spec = features::spec(&f.feature);
        Self {
            label: spec
                .map_or_else(|| Cow::Owned(f.feature.clone()), |s| Cow::Borrowed(s.label_fr)),
            group: Cow::Borrowed(spec.map_or("other", |s| s.group.as_str())),
            feature: spec.map_or(Cow::Owned(f.feature), |s| Cow::Borrowed(s.name)),
            value: f.value,
            contribution: f.contribution,
            value_6m_ago: f.value_6m_ago,
        }
    }
}

/// Working vectors of [`crate::Scorer::summarize`], reused from row to row.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) x: Vec<f64>,
    pub(crate) phi: Vec<f64>,
    pub(crate) order: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_factor_gets_its_label_and_group_from_the_catalogue() {
        let f: Factor = serde_json::from_str(
            r#"{"feature":"tax_arrears_ratio","value":0.2,"contribution":0.5,"value_6m_ago":0.1}"#,
        )
        .unwrap();
        let spec = features::spec("tax_arrears_ratio").unwrap();
        assert_eq!(f.label, spec.label_fr);
        assert_eq!(f.group, spec.group.as_str());
        assert_eq!(f.value_6m_ago, Some(0.1));
        let unknown: Factor =
            serde_json::from_str(r#"{"feature":"zz","value":null,"contribution":-1.0}"#).unwrap();
        assert_eq!((unknown.label.as_ref(), unknown.group.as_ref()), ("zz", "other"));
        // Written and read back: the same factor.
        let back: Factor = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(back, f);
        assert!(!serde_json::to_string(&unknown).unwrap().contains("value_6m_ago"));
    }
}
