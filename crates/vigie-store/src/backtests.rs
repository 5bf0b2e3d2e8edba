//! Backtests of past runs: for a run whose horizon has elapsed, what became of the
//! companies it scored (written by the batch after each run, read by `/v1/monitoring`).

use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use vigie_core::Probabilities;

use crate::{Result, Store, on_pool};

/// Alerts of one level (or above) against what followed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelOutcome {
    /// Companies flagged at this level or above.
    pub flagged: i64,
    /// Of which entered a procedure within the horizon.
    pub failed: i64,
    /// `failed / flagged` (`None` without a flagged company).
    pub precision: Option<f64>,
    /// Share of the failures that were flagged (`None` without a failure).
    pub recall: Option<f64>,
}

impl LevelOutcome {
    /// The outcome of `flagged` alerts of which `failed` failed, out of `failures`.
    #[must_use]
    pub fn new(flagged: i64, failed: i64, failures: i64) -> Self {
        Self {
            flagged,
            failed,
            precision: (flagged > 0).then(|| failed as f64 / flagged as f64),
            recall: (failures > 0).then(|| failed as f64 / failures as f64),
        }
    }
}

/// One past run at one elapsed horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// The run.
    pub run_id: String,
    /// Its month.
    pub month: String,
    /// The horizon (6, 12, 18 or 24 months).
    pub horizon_months: i32,
    /// The month of the run that computed this row (events known then).
    pub as_of: String,
    /// Companies scored by the run.
    pub scored: i64,
    /// Of which entered a procedure within the horizon.
    pub failures: i64,
    /// ROC AUC of the run's probabilities at this horizon (`None` without both outcomes).
    pub roc_auc: Option<f64>,
    /// Red alerts.
    pub red: LevelOutcome,
    /// Orange-or-red alerts.
    pub orange: LevelOutcome,
    /// Mean probability at this horizon.
    pub mean_predicted: f64,
    /// `failures / scored`.
    pub observed_rate: f64,
}

impl Store {
    /// Writes backtests, replacing those of the same run and horizon, in one transaction.
    pub async fn write_backtests(&self, rows: &[Backtest]) -> Result<()> {
        let delete = "DELETE FROM backtests WHERE run_id = $1 AND horizon_months = $2";
        let insert = "INSERT INTO backtests (run_id, horizon_months, as_of, scored, failures, \
                      roc_auc, red_flagged, red_failed, orange_flagged, orange_failed, \
                      mean_predicted, observed_rate) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        on_pool!(self, pool => {
            async {
                let mut tx = pool.begin().await?;
                for b in rows {
                    sqlx::query(delete).bind(&b.run_id).bind(b.horizon_months).execute(&mut *tx).await?;
                    sqlx::query(insert)
                        .bind(&b.run_id)
                        .bind(b.horizon_months)
                        .bind(&b.as_of)
                        .bind(b.scored)
                        .bind(b.failures)
                        .bind(b.roc_auc)
                        .bind(b.red.flagged)
                        .bind(b.red.failed)
                        .bind(b.orange.flagged)
                        .bind(b.orange.failed)
                        .bind(b.mean_predicted)
                        .bind(b.observed_rate)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await
            }
            .await
        })
    }

    /// Every backtest, newest run month first, then by horizon.
    pub async fn backtests(&self) -> Result<Vec<Backtest>> {
        let sql = "SELECT b.run_id, r.month, b.horizon_months, b.as_of, b.scored, b.failures, \
                   b.roc_auc, b.red_flagged, b.red_failed, b.orange_flagged, b.orange_failed, \
                   b.mean_predicted, b.observed_rate \
                   FROM backtests b JOIN runs r ON r.run_id = b.run_id \
                   ORDER BY r.month DESC, b.run_id, b.horizon_months";
        on_pool!(self, pool => {
            async {
                let rows = sqlx::query(sql).fetch_all(pool).await?;
                rows.iter()
                    .map(|r| {
                        let failures: i64 = r.try_get("failures")?;
                        Ok(Backtest {
                            run_id: r.try_get("run_id")?,
                            month: r.try_get("month")?,
                            horizon_months: r.try_get("horizon_months")?,
                            as_of: r.try_get("as_of")?,
                            scored: r.try_get("scored")?,
                            failures,
                            roc_auc: r.try_get("roc_auc")?,
                            red: LevelOutcome::new(
                                r.try_get("red_flagged")?,
                                r.try_get("red_failed")?,
                                failures,
                            ),
                            orange: LevelOutcome::new(
                                r.try_get("orange_flagged")?,
                                r.try_get("orange_failed")?,
                                failures,
                            ),
                            mean_predicted: r.try_get("mean_predicted")?,
                            observed_rate: r.try_get("observed_rate")?,
                        })
                    })
                    .collect::<sqlx::Result<Vec<_>>>()
            }
            .await
        })
    }

    /// `(company_id, probabilities at 6 … 24 months, level)` of every company of a run.
    pub async fn run_probabilities(
        &self,
        run_id: &str,
    ) -> Result<Vec<(String, Probabilities, String)>> {
        let sql = "SELECT company_id, p_6m, p_12m, p_18m, p_24m, level FROM scores \
                   WHERE run_id = $1 ORDER BY company_id";
        let rows = on_pool!(self, pool => {
            sqlx::query_as::<_, (String, f64, f64, f64, f64, String)>(sql)
                .bind(run_id)
                .fetch_all(pool)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(c, a, b, d, e, l)| (c, Probabilities::from_array([a, b, d, e]), l))
            .collect())
    }

    /// Feedback on the alerts of each run: `(run_id, useful, not useful)`.
    pub async fn feedback_by_run(&self) -> Result<Vec<(String, i64, i64)>> {
        let sql = "SELECT run_id, \
                   SUM(CASE WHEN useful = 1 THEN 1 ELSE 0 END) AS yes, \
                   SUM(CASE WHEN useful = 1 THEN 0 ELSE 1 END) AS no \
                   FROM feedback WHERE run_id IS NOT NULL GROUP BY run_id ORDER BY run_id";
        on_pool!(self, pool => {
            async {
                let rows = sqlx::query(sql).fetch_all(pool).await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("run_id")?, r.try_get("yes")?, r.try_get("no")?)))
                    .collect::<sqlx::Result<Vec<_>>>()
            }
            .await
        })
    }
}
