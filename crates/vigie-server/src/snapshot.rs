//! An in-memory index of the scores, for company lookups without a database round trip:
//! every company's latest score (of the latest run) and its 18-month history across runs,
//! compact (repeated texts shared, history points of 16 bytes). Rebuilt when a run commits
//! (polled), swapped whole; a company it does not hold (not scored in the latest run) is
//! read from the store.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use vigie_store::{ScoreRow, Store};

/// One history point: run index (into [`Snapshot::runs`]), 18-month probability, level.
pub type Point = (u16, f64, &'static str);

/// A company's latest score, with repeated texts shared between companies.
#[derive(Debug, Clone)]
pub struct Latest {
    /// Département, region, NAF, NAF section, size band.
    pub texts: [Arc<str>; 5],
    /// Margin.
    pub margin: f64,
    /// Probabilities.
    pub p: vigie_core::Probabilities,
    /// Level.
    pub level: &'static str,
    /// Explanation (JSON), for alerts.
    pub explanation: Option<Box<str>>,
    /// The model's input row (JSON), for alerts: what their levers rescore.
    pub features: Option<Box<str>>,
    /// Previous level and 18-month probability.
    pub previous: Option<(&'static str, f64)>,
}

impl Latest {
    /// Back to a store row.
    #[must_use]
    pub fn row(&self, company_id: &str) -> ScoreRow {
        let t = |i: usize| self.texts[i].to_string();
        ScoreRow {
            company_id: company_id.to_owned(),
            departement: t(0),
            region: t(1),
            naf: t(2),
            naf_section: t(3),
            size_band: t(4),
            margin: self.margin,
            p: self.p,
            level: self.level.to_owned(),
            explanation: self.explanation.as_deref().map(str::to_owned),
            previous_level: self.previous.map(|(l, _)| l.to_owned()),
            previous_p_18m: self.previous.map(|(_, p)| p),
            features: self.features.as_deref().map(str::to_owned),
        }
    }
}

/// A company in the index.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// Its score in the latest run, if scored there.
    pub latest: Option<Latest>,
    /// Its scores across runs, oldest first.
    pub points: Vec<Point>,
}

/// The index of one state of the store.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Runs, oldest first: `(run_id, month)`.
    pub runs: Vec<(String, String)>,
    /// The store's runs version when the index was built ([`Store::runs_version`], what a
    /// refresh compares: any run written, a backfill of an earlier month included).
    pub version: String,
    /// Companies by id.
    pub companies: HashMap<Box<str>, Entry>,
    /// The latest run's plausible bounds of the actionable features (its report's
    /// `lever_ranges`; empty for a run written before they were).
    pub lever_ranges: Arc<vigie_score::levers::LeverRanges>,
}

/// The `lever_ranges` of a run report (empty when absent or unreadable, logged).
pub(crate) fn lever_ranges(report: &str) -> vigie_score::levers::LeverRanges {
    #[derive(serde::Deserialize)]
    struct Part {
        #[serde(default)]
        lever_ranges: vigie_score::levers::LeverRanges,
    }
    serde_json::from_str::<Part>(report).map_or_else(
        |e| {
            tracing::warn!(%e, "the latest run's report is unreadable: no levers");
            vigie_score::levers::LeverRanges::default()
        },
        |p| p.lever_ranges,
    )
}

fn level(l: &str) -> &'static str {
    match l {
        "red" => "red",
        "orange" => "orange",
        _ => "green",
    }
}

impl Snapshot {
    /// Builds the index from the store; `None` without any run.
    pub async fn load(store: &Store) -> vigie_store::Result<Option<Self>> {
        // Read first: a run committed while the index is built changes it again, and the
        // next refresh rebuilds.
        let Some(version) = store.runs_version().await? else { return Ok(None) };
        // The latest run is the first of the same list (newest first, the order of
        // `latest_run_summary`): a run committed meanwhile cannot relabel its scores.
        let mut runs: Vec<vigie_store::RunRecord> = store.runs().await?;
        let Some(latest) = runs.first().cloned() else { return Ok(None) };
        runs.reverse(); // oldest first, as company histories are
        let index: HashMap<String, u16> =
            runs.iter().enumerate().map(|(i, r)| (r.run_id.clone(), i as u16)).collect();
        let mut companies: HashMap<Box<str>, Entry> = HashMap::new();
        store
            .for_each_score_point(|run, id, p18, l| {
                if let Some(&i) = index.get(run) {
                    companies.entry(id.into()).or_default().points.push((i, p18, level(l)));
                }
            })
            .await?;
        for e in companies.values_mut() {
            e.points.sort_by_key(|p| p.0);
            e.points.shrink_to_fit();
        }
        let mut texts: HashSet<Arc<str>> = HashSet::new();
        let mut share = |s: String| -> Arc<str> {
            if let Some(t) = texts.get(s.as_str()) {
                return Arc::clone(t);
            }
            let t: Arc<str> = s.into();
            texts.insert(Arc::clone(&t));
            t
        };
        store
            .for_each_run_score(&latest.run_id, |row| {
                if let Some(e) = companies.get_mut(row.company_id.as_str()) {
                    e.latest = Some(Latest {
                        texts: [
                            share(row.departement),
                            share(row.region),
                            share(row.naf),
                            share(row.naf_section),
                            share(row.size_band),
                        ],
                        margin: row.margin,
                        p: row.p,
                        level: level(&row.level),
                        explanation: row.explanation.map(String::into_boxed_str),
                        features: row.features.map(String::into_boxed_str),
                        previous: row.previous_level.as_deref().map(level).zip(row.previous_p_18m),
                    });
                }
            })
            .await?;
        let lever_ranges = Arc::new(match store.run(&latest.run_id).await? {
            Some(run) => lever_ranges(&run.report),
            None => vigie_score::levers::LeverRanges::default(),
        });
        Ok(Some(Self {
            runs: runs.into_iter().map(|r| (r.run_id, r.month)).collect(),
            version,
            companies,
            lever_ranges,
        }))
    }
}
