//! The model registry: every model version that scored or may score, and which one is
//! active.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use crate::{Error, Result, Store, on_pool};

/// A registered model, with its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// Version (the artifact's content-derived version, e.g. `ve187bb1186e2`).
    pub version: String,
    /// Model name.
    pub name: String,
    /// `gbdt` or `logistic`.
    pub family: String,
    /// Registration time (UTC ISO 8601).
    pub registered_at: String,
    /// Whether this is the active model.
    pub active: bool,
    /// The model file (JSON, `docs/model-format.md`).
    pub model_json: String,
    /// The model card (Markdown), when known.
    pub card: Option<String>,
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
    /// Registration time.
    pub registered_at: String,
    /// Whether this is the active model.
    pub active: bool,
}

macro_rules! model_from_row {
    ($r:expr) => {
        ModelRecord {
            version: $r.try_get("version")?,
            name: $r.try_get("name")?,
            family: $r.try_get("family")?,
            registered_at: $r.try_get("registered_at")?,
            active: $r.try_get::<i32, _>("active")? == 1,
            model_json: $r.try_get("model_json")?,
            card: $r.try_get("card")?,
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
        let sql = "INSERT INTO models (version, name, family, registered_at, active, model_json, \
                   card) VALUES ($1, $2, $3, $4, 0, $5, $6)";
        on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(&model.version)
                .bind(&model.name)
                .bind(&model.family)
                .bind(&model.registered_at)
                .bind(&model.model_json)
                .bind(&model.card)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Makes `version` the active model (and no other), atomically.
    pub async fn activate_model(&self, version: &str) -> Result<()> {
        let activated = on_pool!(self, pool => {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query("UPDATE models SET active = 0 WHERE active = 1")
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
        if activated { Ok(()) } else { Err(Error::UnknownModel(version.to_owned())) }
    }

    /// The active model, if any.
    pub async fn active_model(&self) -> Result<Option<ModelRecord>> {
        let sql = "SELECT version, name, family, registered_at, active, model_json, card \
                   FROM models WHERE active = 1";
        on_pool!(self, pool => {
            async {
                let row = sqlx::query(sql).fetch_optional(pool).await?;
                row.map(|r| Ok(model_from_row!(r))).transpose()
            }
            .await
        })
    }

    /// The version of the active model, if any (cheap: no model file).
    pub async fn active_model_version(&self) -> Result<Option<String>> {
        on_pool!(self, pool => {
            sqlx::query_scalar::<_, String>("SELECT version FROM models WHERE active = 1")
                .fetch_optional(pool)
                .await
        })
    }

    /// One registered model.
    pub async fn model(&self, version: &str) -> Result<Option<ModelRecord>> {
        let sql = "SELECT version, name, family, registered_at, active, model_json, card \
                   FROM models WHERE version = $1";
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
        let sql = "SELECT version, name, family, registered_at, active FROM models \
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
