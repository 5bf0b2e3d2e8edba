//! Levers: the smallest plausible changes of actionable features
//! ([`vigie_core::features::LEVERS`]) that would bring a company's 18-month probability
//! under the orange threshold, according to the model.
//!
//! The search is exact on the model: every lever set returned was rescored, changed row and
//! all, and is under the threshold. It is deterministic and bounded: subsets of at most
//! three levers in catalogue order, each moved along one path (a share `t` of the way from
//! the company's value to the plausible bound), `t` found by bisection, and at most
//! [`Search::budget`] rescorings in all. Plausible bounds come from the companies of the
//! same sector and size band ([`LeverRanges`], computed by the nightly batch): a lever never
//! moves a feature beyond what such companies show, nor the wrong way, nor below its floor.
//!
//! What it says is what the model says, not a promise of cause and effect. And it is said
//! of feature values: ratios built on the same amount move independently (raising cash
//! over assets leaves the quick ratio where it was), so a set of two such ratios is two
//! moves the model weighs, not one balance sheet recomputed. Only the features derived from
//! a moved one in the panel (a trend, a mean, a count of months) follow it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use vigie_core::features::{self, CATALOGUE, Direction, LEVERS, Lever};

use crate::{Result, Score, Scorer};

/// One feature changed by a lever set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeverChange {
    /// Catalogue name of the feature.
    pub feature: String,
    /// The company's value.
    pub from: f64,
    /// The value the lever set supposes.
    pub to: f64,
}

/// Changes that together bring the 18-month probability under the orange threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeverSet {
    /// One to three actionable features, in catalogue order.
    pub changes: Vec<LeverChange>,
    /// The 18-month probability of the changed row (rescored).
    pub p_18m_after: f64,
    /// Its alert level (`green`: under the orange threshold).
    pub level_after: String,
    /// Size of the change: for each feature, the share of the way to its plausible bound
    /// (1 for a payment plan set), summed. Sets are ranked by it.
    pub size: f64,
}

/// Plausible bounds of the actionable features: the 10th and 90th percentiles among the
/// companies scored in a run, nationally and by NAF section × size band (groups of at
/// least [`LeverRanges::MIN_GROUP`] companies).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeverRanges {
    /// Feature → [p10, p90], all companies.
    pub national: BTreeMap<String, [f64; 2]>,
    /// `"<section>|<size band>"` → feature → [p10, p90].
    pub groups: BTreeMap<String, BTreeMap<String, [f64; 2]>>,
}

impl LeverRanges {
    /// Fewest companies a group needs for its own bounds (otherwise the national ones).
    pub const MIN_GROUP: usize = 30;

    /// The bounds of the rows whose catalogue columns are `columns` (column-major, in
    /// catalogue order), each row in group `groups[i]`.
    #[must_use]
    pub fn compute<S: AsRef<str>>(columns: &[&[f64]], groups: &[S]) -> Self {
        let mut by_group: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, g) in groups.iter().enumerate() {
            by_group.entry(g.as_ref()).or_default().push(i);
        }
        let bounds = |rows: &mut dyn Iterator<Item = usize>| {
            let rows: Vec<usize> = rows.collect();
            let mut out = BTreeMap::new();
            for l in LEVERS {
                let Some(j) = features::index_of(l.feature) else { continue };
                let Some(col) = columns.get(j) else { continue };
                let mut v: Vec<f64> =
                    rows.iter().map(|&i| col[i]).filter(|x| x.is_finite()).collect();
                if v.len() < Self::MIN_GROUP {
                    continue;
                }
                v.sort_unstable_by(f64::total_cmp);
                let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
                out.insert(l.feature.to_owned(), [q(0.1), q(0.9)]);
            }
            out
        };
        let national = bounds(&mut (0..groups.len()));
        let groups = by_group
            .into_iter()
            .filter(|(_, rows)| rows.len() >= Self::MIN_GROUP)
            .map(|(g, rows)| (g.to_owned(), bounds(&mut rows.into_iter())))
            .collect();
        Self { national, groups }
    }

    /// The group key of a company.
    #[must_use]
    pub fn group(naf_section: &str, size_band: &str) -> String {
        format!("{naf_section}|{size_band}")
    }

    /// The bounds of a feature for a group (its own, else national).
    #[must_use]
    pub fn bounds(&self, group: &str, feature: &str) -> Option<[f64; 2]> {
        self.groups
            .get(group)
            .and_then(|g| g.get(feature))
            .or_else(|| self.national.get(feature))
            .copied()
    }
}

/// Limits of a search.
#[derive(Debug, Clone, Copy)]
pub struct Search {
    /// Most features per lever set.
    pub max_features: usize,
    /// Most lever sets returned.
    pub max_sets: usize,
    /// Most rescorings in all (the search's time bound; BENCHMARKS gives its cost).
    pub budget: usize,
}

impl Default for Search {
    fn default() -> Self {
        Self { max_features: 3, max_sets: 3, budget: 3000 }
    }
}

/// Steps of the bisection on the share of the way moved.
const BISECTION_STEPS: usize = 10;

/// A lever applicable to a row: the feature's position, its value, its target.
#[derive(Debug, Clone, Copy)]
struct Move {
    lever: &'static Lever,
    at: usize,
    from: f64,
    target: f64,
}

impl Move {
    /// The value after moving a share `t` of the way.
    fn value(&self, t: f64) -> f64 {
        match self.lever.direction {
            Direction::Set => 1.0,
            Direction::Down | Direction::Up => {
                let v = self.from + t * (self.target - self.from);
                match (self.lever.whole, self.lever.direction) {
                    (true, Direction::Down) => v.ceil(),
                    (true, _) => v.floor(),
                    _ => v,
                }
            }
        }
    }

    /// Its share of the size of a set moved by `t`.
    fn size(&self, t: f64) -> f64 {
        if self.lever.direction == Direction::Set { 1.0 } else { t }
    }
}

/// The levers that apply to `row` (catalogue order) for a company of `group`.
fn moves(row: &[f64], ranges: &LeverRanges, group: &str) -> Vec<Move> {
    LEVERS
        .iter()
        .filter_map(|lever| {
            let at = features::index_of(lever.feature)?;
            let from = *row.get(at)?;
            if !from.is_finite() {
                return None;
            }
            let target = match lever.direction {
                Direction::Set => {
                    return (from == 0.0).then_some(Move { lever, at, from, target: 1.0 });
                }
                Direction::Down => ranges.bounds(group, lever.feature)?[0].max(lever.floor),
                Direction::Up => ranges.bounds(group, lever.feature)?[1],
            };
            let room = match lever.direction {
                Direction::Down => from - target,
                _ => target - from,
            };
            (room > 0.0 && (!lever.whole || room >= 1.0)).then_some(Move {
                lever,
                at,
                from,
                target,
            })
        })
        .collect()
}

/// Applies a moved feature to `row`, with the features derived from it: a six-month trend
/// follows its current value, a twelve-month mean moves by a twelfth of the change, and a
/// count of months in arrears over the last twelve loses the current month when the
/// arrears are cleared.
fn apply(row: &mut [f64], m: &Move, v: f64) {
    use features::index_const as at;
    row[m.at] = v;
    let cleared = m.from > 0.0 && v <= 0.0;
    // Positions resolved at compile time: this runs for every rescoring of a search.
    let (trend, lag6, mean, months) = match m.lever.feature {
        "tax_arrears_ratio" => (
            Some(const { at("tax_arrears_trend_6m") }),
            Some(const { at("tax_arrears_ratio_lag6") }),
            None,
            Some(const { at("tax_arrears_months_12m") }),
        ),
        "soc_debt_ratio" => (
            None,
            None,
            Some(const { at("soc_debt_mean_12m") }),
            Some(const { at("soc_debt_months_12m") }),
        ),
        _ => return,
    };
    if let (Some(t), Some(l)) = (trend, lag6)
        && row[t].is_finite()
        && row[l].is_finite()
    {
        row[t] = v - row[l];
    }
    if let Some(k) = mean
        && row[k].is_finite()
    {
        row[k] += (v - m.from) / 12.0;
    }
    if let Some(k) = months
        && cleared
        && row[k].is_finite()
    {
        row[k] = (row[k] - 1.0).max(0.0);
    }
}

/// The lever sets of a company whose model row is `row` (catalogue order), best first.
/// Empty when the row is already under the orange threshold, or when no set of at most
/// `search.max_features` levers brings it there within the budget.
pub fn levers(
    scorer: &Scorer,
    row: &[f64],
    ranges: &LeverRanges,
    group: &str,
    search: Search,
) -> Result<Vec<LeverSet>> {
    let orange = scorer.model().thresholds.orange;
    if scorer.score(row)?.p.alert() < orange {
        return Ok(Vec::new());
    }
    let moves = moves(row, ranges, group);
    let mut work = row.to_vec();
    let spent = std::cell::Cell::new(0usize);
    let mut found: Vec<(Vec<usize>, f64, Score)> = Vec::new(); // subset, t, score after
    let eval = |subset: &[usize], t: f64, work: &mut Vec<f64>| -> Result<Score> {
        work.copy_from_slice(row);
        for &k in subset {
            apply(work, &moves[k], moves[k].value(t));
        }
        spent.set(spent.get() + 1);
        scorer.score(work)
    };
    'sizes: for k in 1..=search.max_features.min(moves.len()) {
        for subset in Subsets::new(moves.len(), k) {
            if found.iter().any(|(s, _, _)| s.iter().all(|x| subset.contains(x))) {
                continue; // a smaller set already does it
            }
            if spent.get() >= search.budget {
                break 'sizes;
            }
            let mut best = eval(&subset, 1.0, &mut work)?;
            if best.p.alert() >= orange {
                continue;
            }
            let continuous = subset.iter().any(|&x| moves[x].lever.direction != Direction::Set);
            let (mut lo, mut hi) = (0.0, 1.0);
            if continuous {
                for _ in 0..BISECTION_STEPS {
                    if spent.get() >= search.budget {
                        break;
                    }
                    let mid = f64::midpoint(lo, hi);
                    let s = eval(&subset, mid, &mut work)?;
                    if s.p.alert() < orange {
                        hi = mid;
                        best = s;
                    } else {
                        lo = mid;
                    }
                }
            }
            found.push((subset, hi, best));
        }
    }
    let mut sets: Vec<LeverSet> = found
        .into_iter()
        .map(|(subset, t, after)| LeverSet {
            changes: subset
                .iter()
                .map(|&x| LeverChange {
                    feature: moves[x].lever.feature.to_owned(),
                    from: moves[x].from,
                    to: moves[x].value(t),
                })
                .collect(),
            p_18m_after: after.p.alert(),
            level_after: after.level.as_str().to_owned(),
            size: subset.iter().map(|&x| moves[x].size(t)).sum(),
        })
        .collect();
    // Stable: equal sizes keep the search's (catalogue) order.
    sets.sort_by(|a, b| a.size.total_cmp(&b.size));
    sets.truncate(search.max_sets);
    Ok(sets)
}

/// The row a lever set supposes: `row` with the set's changes and the features derived
/// from them (what [`levers`] rescored; for checks and displays). `None` if a change names
/// a feature that is not actionable.
#[must_use]
pub fn changed_row(row: &[f64], set: &LeverSet) -> Option<Vec<f64>> {
    let mut out = row.to_vec();
    for c in &set.changes {
        let lever = features::lever_of(&c.feature)?;
        let at = features::index_of(&c.feature)?;
        apply(&mut out, &Move { lever, at, from: c.from, target: c.to }, c.to);
    }
    Some(out)
}

/// The subsets of `k` of `0..n`, in lexicographic order.
struct Subsets {
    n: usize,
    next: Option<Vec<usize>>,
}

impl Subsets {
    fn new(n: usize, k: usize) -> Self {
        Self { n, next: (k <= n).then(|| (0..k).collect()) }
    }
}

impl Iterator for Subsets {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        let current = self.next.take()?;
        let mut s = current.clone();
        let k = s.len();
        // The rightmost position that can still move right.
        if let Some(i) = (0..k).rev().find(|&i| s[i] < self.n - k + i) {
            s[i] += 1;
            for j in i + 1..k {
                s[j] = s[j - 1] + 1;
            }
            self.next = Some(s);
        }
        Some(current)
    }
}

/// A model row as stored beside its explanation: a JSON array in catalogue order, `null`
/// for a missing value (the shortest decimal of each number, which reads back exactly).
#[must_use]
pub fn row_to_json(row: &[f64]) -> String {
    let mut s = String::with_capacity(row.len() * 12);
    s.push('[');
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        if v.is_finite() {
            let _ = write!(s, "{v}");
        } else {
            s.push_str("null");
        }
    }
    s.push(']');
    s
}

/// Reads [`row_to_json`]'s output back; `None` if it is not an array of the catalogue's
/// width.
#[must_use]
pub fn row_from_json(text: &str) -> Option<Vec<f64>> {
    let values: Vec<Option<f64>> = serde_json::from_str(text).ok()?;
    (values.len() == CATALOGUE.len())
        .then(|| values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_are_all_there_once_in_order() {
        let all: Vec<Vec<usize>> = Subsets::new(4, 2).collect();
        assert_eq!(all, [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
        assert_eq!(Subsets::new(13, 3).count(), 286);
        assert_eq!(Subsets::new(2, 3).count(), 0);
    }

    #[test]
    fn rows_round_trip_exactly_with_missing_values() {
        let mut row: Vec<f64> = (0..CATALOGUE.len()).map(|i| (i as f64).sqrt() / 7.0).collect();
        row[3] = f64::NAN;
        row[5] = -1.0e-12;
        row[6] = 123_456_789.123_456_78;
        let back = row_from_json(&row_to_json(&row)).unwrap();
        for (a, b) in row.iter().zip(&back) {
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{a} {b}");
        }
        assert!(row_from_json("[1,2]").is_none(), "wrong width");
        assert!(row_from_json("not json").is_none());
    }

    #[test]
    fn a_moved_arrears_ratio_carries_its_trend_mean_and_months() {
        let at = |n| features::index_of(n).unwrap();
        let mut row = vec![f64::NAN; CATALOGUE.len()];
        row[at("tax_arrears_ratio")] = 0.4;
        row[at("tax_arrears_ratio_lag6")] = 0.1;
        row[at("tax_arrears_trend_6m")] = 0.3;
        row[at("tax_arrears_months_12m")] = 5.0;
        let lever = features::lever_of("tax_arrears_ratio").unwrap();
        let m = Move { lever, at: at("tax_arrears_ratio"), from: 0.4, target: 0.0 };
        apply(&mut row, &m, m.value(0.5));
        assert!((row[at("tax_arrears_ratio")] - 0.2).abs() < 1e-15);
        assert!((row[at("tax_arrears_trend_6m")] - 0.1).abs() < 1e-15);
        assert_eq!(row[at("tax_arrears_months_12m")], 5.0, "not cleared");
        apply(&mut row, &m, m.value(1.0));
        assert_eq!(row[at("tax_arrears_months_12m")], 4.0, "cleared this month");
        let mut social = vec![f64::NAN; CATALOGUE.len()];
        social[at("soc_debt_ratio")] = 2.4;
        social[at("soc_debt_mean_12m")] = 1.0;
        let lever = features::lever_of("soc_debt_ratio").unwrap();
        let m = Move { lever, at: at("soc_debt_ratio"), from: 2.4, target: 0.0 };
        apply(&mut social, &m, 1.2);
        assert!((social[at("soc_debt_mean_12m")] - 0.9).abs() < 1e-12);
    }

    #[test]
    fn bounds_come_from_the_group_else_the_nation() {
        let n = 100;
        let at = features::index_of("fin_payables_days").unwrap();
        let mut cols: Vec<Vec<f64>> = vec![vec![f64::NAN; n]; CATALOGUE.len()];
        for (i, v) in cols[at].iter_mut().enumerate() {
            *v = i as f64;
        }
        let groups: Vec<String> =
            (0..n).map(|i| if i < 40 { "G|small".into() } else { "C|micro".into() }).collect();
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let r = LeverRanges::compute(&refs, &groups);
        assert_eq!(r.national["fin_payables_days"], [10.0, 89.0]);
        assert_eq!(r.bounds("G|small", "fin_payables_days"), Some([4.0, 35.0]));
        assert_eq!(r.bounds("Z|large", "fin_payables_days"), Some([10.0, 89.0]));
        assert_eq!(r.bounds("G|small", "tax_arrears_ratio"), None, "no finite values");
    }
}
