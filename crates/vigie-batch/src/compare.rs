//! Champion and challenger (`vigie models compare`): the companies of the store's latest
//! run scored by a candidate model beside the active one, on the same features (built
//! from the sources as the run built them). How many levels would change, how much the
//! red and alert lists overlap, and both models' walk-forward figures. The comparison is
//! kept in the registry with the candidate, so that its activation shows it.

use std::path::PathBuf;

use vigie_core::Pseudonymiser;
use vigie_core::{AlertLevel, Month};
use vigie_score::{ModelFile, Scorer};
use vigie_store::{Comparison, ListOverlap, Store};

use crate::{Error, Result, feature_columns, month_features, score_all};

/// What to compare.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Directory of the sources.
    pub input: PathBuf,
    /// The candidate model (`models/NAME/VERSION`).
    pub model: PathBuf,
    /// Publication lag of `tax_monthly`, in months.
    pub tax_lag: u32,
    /// Publication lag of `social_monthly`, in months.
    pub social_lag: u32,
    /// The pseudonymiser of the sources' SIRENs.
    pub pseudo: Pseudonymiser,
}

fn walk_forward_summary(metrics: Option<&str>) -> Option<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(metrics?).ok()?;
    v.get("walk_forward_summary").cloned()
}

/// Scores the latest run's month with the candidate and the active model, registers the
/// candidate (inactive) with the comparison, and returns it.
pub async fn compare(store: &Store, opts: &CompareOptions) -> Result<Comparison> {
    let run =
        store.latest_run_summary().await?.ok_or_else(|| Error::NoRun(store.url().to_owned()))?;
    let active =
        store.active_model().await?.ok_or_else(|| Error::NoModel(store.url().to_owned()))?;
    let candidate = ModelFile::load(&opts.model)?;
    let record = crate::model_record(&candidate, &opts.model);
    if record.feature_set != vigie_core::features::FeatureSet::Full {
        return Err(Error::SelfModel(candidate.version));
    }
    let month = Month::parse(&run.month)
        .map_err(|e| Error::Store(vigie_store::Error::Invalid(e.to_string())))?;
    let (built, _) = month_features(
        &opts.input,
        &opts.pseudo,
        month,
        (opts.tax_lag, opts.social_lag),
        vigie_data::ingest::BLOCK_COMPANIES,
    )
    .await?;
    let table = built.table;
    let n = table.height();
    let features = feature_columns(&table);
    let names: Vec<&str> = vigie_core::features::CATALOGUE.iter().map(|s| s.name).collect();
    let origin = PathBuf::from(format!("{}#models/{}", store.url(), active.version));
    let champion = Scorer::bind(ModelFile::from_json(&active.model_json, &origin)?, &names)?;
    let challenger = Scorer::bind(candidate.clone(), &names)?;
    let a = score_all(&champion, &features, n);
    let b = score_all(&challenger, &features, n);
    let mut c = Comparison {
        run_id: run.run_id.clone(),
        month: run.month.clone(),
        active_version: active.version.clone(),
        candidate_version: candidate.version.clone(),
        compared_at: vigie_store::now_utc(),
        scored: n as i64,
        changed: 0,
        new_alerts: 0,
        removed_alerts: 0,
        escalated: 0,
        de_escalated: 0,
        red: ListOverlap::default(),
        alerts: ListOverlap::default(),
        active_walk_forward: walk_forward_summary(active.metrics.as_deref()),
        candidate_walk_forward: walk_forward_summary(record.metrics.as_deref()),
    };
    let rank = |l: AlertLevel| match l {
        AlertLevel::Green => 0,
        AlertLevel::Orange => 1,
        AlertLevel::Red => 2,
    };
    for (x, y) in a.iter().zip(&b) {
        let (from, to) = (rank(x.level), rank(y.level));
        c.changed += i64::from(from != to);
        c.new_alerts += i64::from(from == 0 && to > 0);
        c.removed_alerts += i64::from(from > 0 && to == 0);
        c.escalated += i64::from(from > 0 && to > from);
        c.de_escalated += i64::from(to > 0 && to < from);
        c.red.add(from == 2, to == 2);
        c.alerts.add(from > 0, to > 0);
    }
    store.register_model(&record).await?;
    store.set_comparison(&c).await?;
    Ok(c)
}
