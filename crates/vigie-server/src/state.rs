//! The server's shared state: the store, the loaded model (swapped whole on activation),
//! the in-memory score index and follow-up copy, caches of tokens and sessions, limits.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use vigie_core::Pseudonymiser;
use vigie_core::features::{CATALOGUE, FeatureSet};
use vigie_score::{ModelFile, Scorer};
use vigie_store::Store;

use crate::config::Config;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{self, RateLimiter};
use crate::{audit, metrics, snapshot};

/// The active model, bound to the feature catalogue.
#[derive(Debug)]
pub struct LoadedModel {
    /// Version.
    pub version: String,
    /// The scorer.
    pub scorer: Scorer,
    /// Its out-of-time quality against the full feature set's on the same test rows, when
    /// its metrics say (self-diagnosis models: shown on `/diagnostic`).
    pub against_full: Option<AgainstFull>,
}

/// A self-diagnosis model's out-of-time ROC AUC and average precision beside the full
/// feature set's, on the same test rows (its `metrics.json`: `summary` and
/// `full_feature_set`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AgainstFull {
    /// ROC AUC of the model.
    pub roc_auc: f64,
    /// Average precision of the model.
    pub average_precision: f64,
    /// ROC AUC of the full feature set.
    pub full_roc_auc: f64,
    /// Average precision of the full feature set.
    pub full_average_precision: f64,
}

impl AgainstFull {
    /// Read from a model's metrics (`None` when they lack either figure).
    #[must_use]
    pub fn from_metrics(metrics: &str) -> Option<Self> {
        let m: serde_json::Value = serde_json::from_str(metrics).ok()?;
        let get = |part: &str, k: &str| m.get(part)?.get(k)?.as_f64();
        Some(Self {
            roc_auc: get("summary", "roc_auc")?,
            average_precision: get("summary", "average_precision")?,
            full_roc_auc: get("full_feature_set", "roc_auc")?,
            full_average_precision: get("full_feature_set", "average_precision")?,
        })
    }
}

/// The in-memory follow-ups, polled by entry id.
///
/// On PostgreSQL an id is drawn before its transaction commits, so two instances writing at
/// once may commit id n + 1 before id n: each poll re-reads the last
/// [`FollowUpCopy::RESCAN`] ids and adds the entries it has not seen, in id order.
#[derive(Debug, Default)]
pub struct FollowUpCopy {
    /// The highest entry id read.
    pub last: i64,
    /// The ids read within the rescanned range.
    recent: std::collections::BTreeSet<i64>,
    /// Entries by company, in id order.
    pub by_company: HashMap<String, Vec<(i64, vigie_store::FollowUp)>>,
}

impl FollowUpCopy {
    /// How many of the latest ids each poll reads again.
    pub const RESCAN: i64 = 256;

    /// The id after which the next poll reads.
    #[must_use]
    pub fn poll_after(&self) -> i64 {
        (self.last - Self::RESCAN).max(0)
    }

    /// Adds the entries not seen yet, each at its place in id order.
    pub fn merge(&mut self, rows: Vec<(i64, vigie_store::FollowUp)>) {
        for (id, f) in rows {
            // At or below the rescanned range: read before (by a concurrent refresh whose
            // merge came first), and pruned from `recent`.
            if id <= self.poll_after() || !self.recent.insert(id) {
                continue;
            }
            self.last = self.last.max(id);
            let v = self.by_company.entry(f.company_id.clone()).or_default();
            let at = v.partition_point(|e| e.0 < id);
            v.insert(at, (id, f));
        }
        let floor = self.poll_after();
        self.recent = self.recent.split_off(&(floor + 1));
    }

    /// A company's entries, oldest first.
    #[must_use]
    pub fn of(&self, company_id: &str) -> Vec<vigie_store::FollowUp> {
        self.by_company
            .get(company_id)
            .map_or_else(Vec::new, |v| v.iter().map(|e| e.1.clone()).collect())
    }
}

/// A cached dashboard session: the caller and CSRF secret (`None`: no such live session),
/// and when it was read.
pub type SessionEntry = (Option<(extract::Caller, String)>, Instant);

/// Shared state of the server.
#[derive(Debug)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// Pseudonymiser of SIRENs given to `GET /v1/companies/{siren}`.
    pub pseudo: Option<Pseudonymiser>,
    /// The active model (swapped whole on activation).
    pub model: RwLock<Option<Arc<LoadedModel>>>,
    /// The active self-diagnosis model (feature set `self`), likewise.
    pub self_model: RwLock<Option<Arc<LoadedModel>>>,
    /// Limits and settings.
    pub config: Config,
    /// Per-token rate limits.
    pub limiter: RateLimiter,
    /// Per-client-address rate limits of the public self-diagnosis.
    pub public_limiter: RateLimiter,
    /// Prometheus metrics.
    pub metrics: metrics::Metrics,
    /// Group commit of audit rows.
    pub audit: audit::AuditWriter,
    /// In-memory index of the scores (company lookups), when built.
    pub snapshot: RwLock<Option<Arc<snapshot::Snapshot>>>,
    /// In-memory copy of the follow-ups, when loaded.
    pub follow_ups: RwLock<Option<FollowUpCopy>>,
    /// Verified tokens by hash, with when they were read (`None`: no such live token).
    pub tokens:
        std::sync::Mutex<std::collections::HashMap<String, (Option<extract::Caller>, Instant)>>,
    /// Dashboard sessions by hash, with their CSRF secret and when they were read (`None`:
    /// no such live session).
    pub sessions: std::sync::Mutex<HashMap<String, SessionEntry>>,
}

impl AppState {
    /// State over an open store.
    #[must_use]
    pub fn new(store: Store, pseudo: Option<Pseudonymiser>, config: Config) -> Self {
        Self {
            store,
            pseudo,
            model: RwLock::new(None),
            self_model: RwLock::new(None),
            limiter: RateLimiter::new(config.rate_limit_per_second, config.rate_limit_burst),
            public_limiter: RateLimiter::new(
                config.public_rate_limit_per_minute / 60.0,
                config.public_rate_limit_burst,
            ),
            config,
            metrics: metrics::Metrics::default(),
            audit: audit::AuditWriter::default(),
            snapshot: RwLock::new(None),
            follow_ups: RwLock::new(None),
            tokens: std::sync::Mutex::new(std::collections::HashMap::new()),
            sessions: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The active model, if loaded.
    pub fn model(&self) -> Option<Arc<LoadedModel>> {
        self.model.read().expect("not poisoned").clone()
    }

    /// The active self-diagnosis model, if loaded.
    pub fn self_model(&self) -> Option<Arc<LoadedModel>> {
        self.self_model.read().expect("not poisoned").clone()
    }

    /// The in-memory index, if built.
    pub fn snapshot(&self) -> Option<Arc<snapshot::Snapshot>> {
        self.snapshot.read().expect("not poisoned").clone()
    }

    /// Rebuilds the in-memory index if a run was committed since it was built (of any
    /// month: a backfill changes company histories too).
    pub async fn refresh_snapshot(&self) -> Result<(), ApiError> {
        let Some(current) = self.store.runs_version().await? else { return Ok(()) };
        if self.snapshot().is_some_and(|s| s.version == current) {
            return Ok(());
        }
        let started = Instant::now();
        if let Some(s) = snapshot::Snapshot::load(&self.store).await? {
            tracing::info!(
                runs = %s.version,
                companies = s.companies.len(),
                seconds = started.elapsed().as_secs_f64(),
                "score index built"
            );
            *self.snapshot.write().expect("not poisoned") = Some(Arc::new(s));
        }
        Ok(())
    }

    /// Reads the follow-ups appended since the last read into the in-memory copy (all of
    /// them the first time).
    pub async fn refresh_follow_ups(&self) -> Result<(), ApiError> {
        let after = self
            .follow_ups
            .read()
            .expect("not poisoned")
            .as_ref()
            .map_or(0, FollowUpCopy::poll_after);
        let new = self.store.follow_ups_since(after).await?;
        let mut guard = self.follow_ups.write().expect("not poisoned");
        // Another refresh may have read some of these rows meanwhile: `merge` skips them.
        guard.get_or_insert_with(FollowUpCopy::default).merge(new);
        Ok(())
    }

    /// Loads the store's active model if it differs from the loaded one. Returns its
    /// version.
    pub async fn refresh_model(&self) -> Result<Option<String>, ApiError> {
        self.refresh(FeatureSet::Full, &self.model).await
    }

    /// Loads the store's active self-diagnosis model if it differs from the loaded one.
    pub async fn refresh_self_model(&self) -> Result<Option<String>, ApiError> {
        self.refresh(FeatureSet::SelfAssessment, &self.self_model).await
    }

    async fn refresh(
        &self,
        set: FeatureSet,
        slot: &RwLock<Option<Arc<LoadedModel>>>,
    ) -> Result<Option<String>, ApiError> {
        let loaded = || slot.read().expect("not poisoned").clone();
        let Some(version) = self.store.active_model_version_of(set).await? else {
            *slot.write().expect("not poisoned") = None;
            return Ok(None);
        };
        if loaded().is_some_and(|m| m.version == version) {
            return Ok(Some(version));
        }
        let record =
            self.store.model(&version).await?.ok_or_else(|| {
                ApiError::new(ErrorCode::NoActiveModel, "the active model vanished")
            })?;
        let origin = std::path::PathBuf::from(format!("store#models/{version}"));
        let against_full = record.metrics.as_deref().and_then(AgainstFull::from_metrics);
        let scorer = tokio::task::spawn_blocking(move || {
            let model = ModelFile::from_json(&record.model_json, &origin)?;
            let names: Vec<&str> = CATALOGUE.iter().map(|f| f.name).collect();
            Scorer::bind(model, &names)
        })
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))?;
        // The registry's column against the model's inputs (a store registered before the
        // column existed says `full` of every model): a model that reads more than a
        // company head can type never answers the public self-diagnosis.
        let inputs = FeatureSet::of(scorer.model().features.iter().map(|f| f.name.as_str()));
        if set == FeatureSet::SelfAssessment && inputs != set {
            return Err(ApiError::internal(&format!(
                "model {version} is registered as a self-diagnosis model but reads features a \
                 company head cannot type"
            )));
        }
        tracing::info!(model = %version, feature_set = set.as_str(), "active model loaded");
        *slot.write().expect("not poisoned") =
            Some(Arc::new(LoadedModel { version: version.clone(), scorer, against_full }));
        Ok(Some(version))
    }
}

#[cfg(test)]
mod tests {
    use super::FollowUpCopy;
    use vigie_store::{FollowUp, FollowUpStatus};

    fn entry(id: i64, company: &str, status: FollowUpStatus) -> (i64, FollowUp) {
        let f = FollowUp {
            company_id: company.into(),
            status,
            note: None,
            author: "a".into(),
            at: format!("t{id}"),
        };
        (id, f)
    }

    #[test]
    fn follow_ups_committed_out_of_id_order_are_not_lost() {
        let mut c = FollowUpCopy::default();
        // Id 2 commits first; id 1 (drawn earlier, committed later) appears on a later poll.
        c.merge(vec![entry(2, "x", FollowUpStatus::Contacted)]);
        assert_eq!(c.poll_after(), 0, "the next poll reads id 1 again");
        c.merge(vec![
            entry(1, "x", FollowUpStatus::ToContact),
            entry(2, "x", FollowUpStatus::Contacted),
        ]);
        let at: Vec<String> = c.of("x").into_iter().map(|f| f.at).collect();
        assert_eq!(at, ["t1", "t2"], "once each, in id order: the status is id 2's");
        // Far behind the latest id, the range read again is bounded.
        c.merge((3..=1000).map(|i| entry(i, "y", FollowUpStatus::Contacted)).collect());
        assert_eq!(c.poll_after(), 1000 - FollowUpCopy::RESCAN);
        c.merge(vec![entry(900, "y", FollowUpStatus::Contacted)]);
        assert_eq!(c.of("y").len(), 998, "a re-read id is not added twice");
    }
}
