//! The model registry: every model version that scored or may score, and which one is
//! active.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use vigie_core::features::FeatureSet;

use crate::{Error, Result, Store, on_pool};

/// A stored feature set (the column allows `full` and `self` only).
fn feature_set(s: &str) -> sqlx::Result<FeatureSet> {
    FeatureSet::parse(s).ok_or_else(|| sqlx::Error::Decode(format!("feature set {s:?}").into()))
}

/// A registered model, with its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// Version (the artifact's content-derived version, e.g. `ve187bb1186e2`).
    pub version: String,
    /// Model name.
    pub name: String,
    /// `gbdt` or `logistic`.
    pub family: String,
    /// What it serves, from its inputs ([`FeatureSet::of`]): `full` scores companies, `self`
    /// answers the public self-diagnosis.
    pub feature_set: FeatureSet,
    /// Registration time (UTC ISO 8601).
    pub registered_at: String,
    /// Whether this is the active model of its feature set.
    pub active: bool,
    /// The model file (JSON, `docs/model-format.md`).
    pub model_json: String,
    /// The model card (Markdown), when known.
    pub card: Option<String>,
    /// The training metrics (`metrics.json`, with the walk-forward series), when known.
    pub metrics: Option<String>,
}

/// A registered model without its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// Version.
    pub version: String,
    /// Model name.
    pub name: String,
    /// `gbdt` or `logistic`.
    pub family: String,
    /// `full` or `self`.
    pub feature_set: FeatureSet,
    /// Registration time.
    pub registered_at: String,
    /// Whether this is the active model of its feature set.
    pub active: bool,
}

macro_rules! model_from_row {
    ($r:expr) => {
        ModelRecord {
            version: $r.try_get("version")?,
            name: $r.try_get("name")?,
            family: $r.try_get("family")?,
            feature_set: feature_set($r.try_get::<&str, _>("feature_set")?)?,
            registered_at: $r.try_get("registered_at")?,
            active: $r.try_get::<i32, _>("active")? == 1,
            model_json: $r.try_get("model_json")?,
            card: $r.try_get("card")?,
            metrics: $r.try_get("metrics")?,
        }
    };
}

impl Store {
    /// Registers a model version (inactive). Registering the same version again with the
    /// same file is a no-op; with a different file it is an error (versions name content).
    pub async fn register_model(&self, model: &ModelRecord) -> Result<()> {
        if let Some(existing) = self.model(&model.version).await? {
            if existing.model_json == model.model_json {
                return Ok(());
            }
            return Err(Error::Invalid(format!(
                "model version {} is already registered with a different file",
                model.version
            )));
        }
        let sql = "INSERT INTO models (version, name, family, feature_set, registered_at, active, \
                   model_json, card, metrics) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8)";
        on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(&model.version)
                .bind(&model.name)
                .bind(&model.family)
                .bind(model.feature_set.as_str())
                .bind(&model.registered_at)
                .bind(&model.model_json)
                .bind(&model.card)
                .bind(&model.metrics)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Makes `version` the active model of its feature set (and no other of that set),
    /// atomically. Returns that feature set.
    pub async fn activate_model(&self, version: &str) -> Result<FeatureSet> {
        let Some(set) = self.model_feature_set(version).await? else {
            return Err(Error::UnknownModel(version.to_owned()));
        };
        let activated = on_pool!(self, pool => {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query("UPDATE models SET active = 0 WHERE active = 1 AND feature_set = $1")
                    .bind(set.as_str())
                    .execute(&mut *tx)
                    .await?;
                let n = sqlx::query("UPDATE models SET active = 1 WHERE version = $1")
                    .bind(version)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 1 {
                    tx.commit().await?;
                }
                sqlx::Result::Ok(n == 1)
            }
            .await
        })?;
        if activated { Ok(set) } else { Err(Error::UnknownModel(version.to_owned())) }
    }

    /// The feature set of a registered model.
    async fn model_feature_set(&self, version: &str) -> Result<Option<FeatureSet>> {
        let set = on_pool!(self, pool => {
            sqlx::query_scalar::<_, String>("SELECT feature_set FROM models WHERE version = $1")
                .bind(version)
                .fetch_optional(pool)
                .await
        })?;
        Ok(set.and_then(|s| FeatureSet::parse(&s)))
    }

    /// The active model that scores companies (feature set `full`), if any.
    pub async fn active_model(&self) -> Result<Option<ModelRecord>> {
        self.active_model_of(FeatureSet::Full).await
    }

    /// The active model of a feature set, if any.
    pub async fn active_model_of(&self, set: FeatureSet) -> Result<Option<ModelRecord>> {
        let sql = "SELECT version, name, family, feature_set, registered_at, active, model_json, \
                   card, metrics FROM models WHERE active = 1 AND feature_set = $1";
        on_pool!(self, pool => {
            async {
                let row = sqlx::query(sql).bind(set.as_str()).fetch_optional(pool).await?;
                row.map(|r| Ok(model_from_row!(r))).transpose()
            }
            .await
        })
    }

    /// The version of the active model that scores companies, if any (cheap: no model
    /// file).
    pub async fn active_model_version(&self) -> Result<Option<String>> {
        self.active_model_version_of(FeatureSet::Full).await
    }

    /// The version of the active model of a feature set, if any.
    pub async fn active_model_version_of(&self, set: FeatureSet) -> Result<Option<String>> {
        on_pool!(self, pool => {
            sqlx::query_scalar::<_, String>(
                "SELECT version FROM models WHERE active = 1 AND feature_set = $1",
            )
            .bind(set.as_str())
            .fetch_optional(pool)
            .await
        })
    }

    /// One registered model.
    pub async fn model(&self, version: &str) -> Result<Option<ModelRecord>> {
        let sql = "SELECT version, name, family, feature_set, registered_at, active, model_json, \
                   card, metrics FROM models WHERE version = $1";
        on_pool!(self, pool => {
            async {
                let row = sqlx::query(sql).bind(version).fetch_optional(pool).await?;
                row.map(|r| Ok(model_from_row!(r))).transpose()
            }
            .await
        })
    }

    /// All registered models, newest registration first.
    pub async fn models(&self) -> Result<Vec<ModelSummary>> {
        let sql = "SELECT version, name, family, feature_set, registered_at, active FROM models \
                   ORDER BY registered_at DESC, version";
        on_pool!(self, pool => {
            async {
                let rows = sqlx::query(sql).fetch_all(pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(ModelSummary {
                            version: r.try_get("version")?,
                            name: r.try_get("name")?,
                            family: r.try_get("family")?,
                            feature_set: feature_set(r.try_get::<&str, _>("feature_set")?)?,
                            registered_at: r.try_get("registered_at")?,
                            active: r.try_get::<i32, _>("active")? == 1,
                        })
                    })
                    .collect::<sqlx::Result<Vec<_>>>()
            }
            .await
        })
    }
}

/// Sizes of a list under two models and of their intersection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListOverlap {
    /// Companies in the active model's list.
    pub active: i64,
    /// Companies in the candidate's list.
    pub candidate: i64,
    /// Companies in both.
    pub both: i64,
}

impl ListOverlap {
    /// Counts a company: in the active model's list or not, in the candidate's or not.
    pub fn add(&mut self, in_active: bool, in_candidate: bool) {
        self.active += i64::from(in_active);
        self.candidate += i64::from(in_candidate);
        self.both += i64::from(in_active && in_candidate);
    }

    /// `both / (active + candidate − both)` (`None` when both lists are empty).
    #[must_use]
    pub fn jaccard(&self) -> Option<f64> {
        let union = self.active + self.candidate - self.both;
        (union > 0).then(|| self.both as f64 / union as f64)
    }
}

/// A candidate model against the active one, on the companies of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The run whose companies were scored.
    pub run_id: String,
    /// Its month.
    pub month: String,
    /// The model active then.
    pub active_version: String,
    /// The candidate.
    pub candidate_version: String,
    /// When (UTC ISO 8601).
    pub compared_at: String,
    /// Companies scored by both.
    pub scored: i64,
    /// Companies whose level would change.
    pub changed: i64,
    /// Green under the active model, orange or red under the candidate.
    pub new_alerts: i64,
    /// In alert under the active model, green under the candidate.
    pub removed_alerts: i64,
    /// Orange to red.
    pub escalated: i64,
    /// Red to orange.
    pub de_escalated: i64,
    /// The red lists.
    pub red: ListOverlap,
    /// The alert lists (orange or red).
    pub alerts: ListOverlap,
    /// The active model's walk-forward summary (`metrics.json`), when known.
    pub active_walk_forward: Option<serde_json::Value>,
    /// The candidate's.
    pub candidate_walk_forward: Option<serde_json::Value>,
}

impl Store {
    /// Keeps a comparison with its candidate (replacing an earlier one).
    pub async fn set_comparison(&self, c: &Comparison) -> Result<()> {
        let text = serde_json::to_string(c).expect("comparisons serialise");
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE models SET comparison = $1 WHERE version = $2")
                .bind(&text)
                .bind(&c.candidate_version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        if n == 1 { Ok(()) } else { Err(Error::UnknownModel(c.candidate_version.clone())) }
    }

    /// The training metrics (`metrics.json`) kept with a model, without its file: what
    /// the monitoring compares realised figures with, on every request.
    pub async fn model_metrics(&self, version: &str) -> Result<Option<String>> {
        let text = on_pool!(self, pool => {
            sqlx::query_scalar::<_, Option<String>>("SELECT metrics FROM models WHERE version = $1")
                .bind(version)
                .fetch_optional(pool)
                .await
        })?;
        Ok(text.flatten())
    }

    /// The comparison kept with a model, if any.
    pub async fn comparison(&self, version: &str) -> Result<Option<Comparison>> {
        let text = on_pool!(self, pool => {
            sqlx::query_scalar::<_, Option<String>>("SELECT comparison FROM models WHERE version = $1")
                .bind(version)
                .fetch_optional(pool)
                .await
        })?;
        Ok(text.flatten().and_then(|t| serde_json::from_str(&t).ok()))
    }
}
