//! Runs and their scores.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use vigie_core::{AlertLevel, Probabilities};

use crate::{Backend, Error, Result, Store, db, on_pool};

/// One rescoring run (without its scores).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Run id (default: the month).
    pub run_id: String,
    /// Month scored, `YYYY-MM`.
    pub month: String,
    /// Version of the model that scored it.
    pub model_version: String,
    /// Start time (UTC ISO 8601).
    pub started_at: String,
    /// Commit time (UTC ISO 8601).
    pub finished_at: String,
    /// Always `complete`: a run is committed whole or not at all.
    pub status: String,
    /// Companies scored.
    pub scored: i64,
    /// Companies excluded (not yet created, closed, in procedure).
    pub excluded: i64,
    /// Source rows rejected.
    pub rejected: i64,
    /// Companies in red.
    pub red: i64,
    /// Companies in orange.
    pub orange: i64,
    /// Companies in green.
    pub green: i64,
    /// The run report (JSON text).
    pub report: String,
}

/// The score of one company in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    /// Pseudonymous company id.
    pub company_id: String,
    /// Département code.
    pub departement: String,
    /// NAF code.
    pub naf: String,
    /// NAF section letter.
    pub naf_section: String,
    /// INSEE region code.
    pub region: String,
    /// Size band.
    pub size_band: String,
    /// Model margin (log-odds before calibration).
    pub margin: f64,
    /// Calibrated probabilities at 6, 12, 18, 24 months.
    pub p: Probabilities,
    /// `red`, `orange` or `green`.
    pub level: String,
    /// Explanation (JSON text: group contributions, top features), for alerts at least.
    pub explanation: Option<String>,
    /// Level in the previous run (`None`: not scored then, or no previous run).
    pub previous_level: Option<String>,
    /// 18-month probability in the previous run.
    pub previous_p_18m: Option<f64>,
    /// The model's input row (JSON array in catalogue order, `null` for a missing value),
    /// for the explained companies: what their levers rescore.
    pub features: Option<String>,
}

/// A score with the run it belongs to (a company's history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredScore {
    /// Run id.
    pub run_id: String,
    /// Month of the run.
    pub month: String,
    /// The score.
    pub score: ScoreRow,
}

/// Longest run id, in bytes (alert-list cursors carry it in hex, at most 400 digits).
pub const MAX_RUN_ID_LEN: usize = 100;

/// Rows per SQLite INSERT statement (17 parameters each; SQLite allows 32,766).
const SQLITE_ROWS_PER_STATEMENT: usize = 1000;

const SCORE_COLUMNS: &str = "run_id, company_id, departement, naf, naf_section, region, \
                             size_band, margin, p_6m, p_12m, p_18m, p_24m, level, explanation, \
                             previous_level, previous_p_18m, features";
/// The columns of [`ScoreRow`], for SELECTs.
pub(crate) const SCORE_ROW_COLUMNS: &str = "company_id, departement, naf, naf_section, region, \
                             size_band, margin, p_6m, p_12m, p_18m, p_24m, level, explanation, \
                             previous_level, previous_p_18m, features";
const RUN_COLUMNS: &str = "run_id, month, model_version, started_at, finished_at, status, \
                           scored, excluded, rejected, red, orange, green, report";

/// The columns of a run without its report (an empty text in its place).
const SUMMARY_COLUMNS: &str = "run_id, month, model_version, started_at, finished_at, status, \
                               scored, excluded, rejected, red, orange, green, '' AS report";

macro_rules! run_from_row {
    ($r:expr) => {
        RunRecord {
            run_id: $r.try_get("run_id")?,
            month: $r.try_get("month")?,
            model_version: $r.try_get("model_version")?,
            started_at: $r.try_get("started_at")?,
            finished_at: $r.try_get("finished_at")?,
            status: $r.try_get("status")?,
            scored: $r.try_get("scored")?,
            excluded: $r.try_get("excluded")?,
            rejected: $r.try_get("rejected")?,
            red: $r.try_get("red")?,
            orange: $r.try_get("orange")?,
            green: $r.try_get("green")?,
            report: $r.try_get("report")?,
        }
    };
}

macro_rules! score_from_row {
    ($r:expr) => {
        ScoreRow {
            company_id: $r.try_get("company_id")?,
            departement: $r.try_get("departement")?,
            naf: $r.try_get("naf")?,
            naf_section: $r.try_get("naf_section")?,
            region: $r.try_get("region")?,
            size_band: $r.try_get("size_band")?,
            margin: $r.try_get("margin")?,
            p: Probabilities::from_array([
                $r.try_get("p_6m")?,
                $r.try_get("p_12m")?,
                $r.try_get("p_18m")?,
                $r.try_get("p_24m")?,
            ]),
            level: $r.try_get("level")?,
            explanation: $r.try_get("explanation")?,
            previous_level: $r.try_get("previous_level")?,
            previous_p_18m: $r.try_get("previous_p_18m")?,
            features: $r.try_get("features")?,
        }
    };
}

fn validate_run(run: &RunRecord) -> Result<()> {
    if run.run_id.trim().is_empty() {
        return Err(Error::Invalid("empty run id".into()));
    }
    Ok(())
}

/// Checks a chunk of score rows: valid values, company ids ascending and distinct across
/// the whole run (`last` is the previous chunk's last id).
fn validate_chunk(chunk: &[ScoreRow], last: &mut Option<String>) -> Result<()> {
    for s in chunk {
        if s.company_id.is_empty() {
            return Err(Error::Invalid("a score has an empty company id".into()));
        }
        let valid = |l: &str| matches!(l, "red" | "orange" | "green");
        if !valid(&s.level) || s.previous_level.as_deref().is_some_and(|l| !valid(l)) {
            return Err(Error::Invalid(format!(
                "unknown level {:?} (previous {:?})",
                s.level, s.previous_level
            )));
        }
        if !s.margin.is_finite() || s.p.to_array().iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(Error::Invalid(format!(
                "company {}: margin and probabilities must be finite, probabilities in [0, 1]",
                s.company_id
            )));
        }
    }
    let ids = last.as_deref().into_iter().chain(chunk.iter().map(|s| s.company_id.as_str()));
    for (a, b) in ids.clone().zip(ids.skip(1)) {
        if a == b {
            return Err(Error::Invalid(format!("company {b} scored twice")));
        }
        if a > b {
            return Err(Error::Invalid(format!(
                "score rows must come in ascending company id ({b} after {a})"
            )));
        }
    }
    if let Some(s) = chunk.last() {
        *last = Some(s.company_id.clone());
    }
    Ok(())
}

/// The score rows of a run, handed to [`Store::write_run_from`] a chunk at a time in
/// ascending company id, so that a national run is never held whole as [`ScoreRow`]s
/// (4,000,000 of them held over 2 GB).
pub trait ScoreRows: Sync {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether there is no row.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The rows of `range`; over the whole run, in ascending company id.
    fn rows(&self, range: std::ops::Range<usize>) -> Vec<ScoreRow>;
}

/// Rows held in memory, sorted by company id when written.
struct Sorted<'a>(Vec<&'a ScoreRow>);

impl ScoreRows for Sorted<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn rows(&self, range: std::ops::Range<usize>) -> Vec<ScoreRow> {
        self.0[range].iter().map(|&s| s.clone()).collect()
    }
}

impl Store {
    /// Writes a run and its scores in one transaction, replacing any run with the same id,
    /// and updates the companies table. `progress` is called with the number of score rows
    /// written so far, after each statement.
    pub async fn write_run(
        &self,
        run: &RunRecord,
        scores: &[ScoreRow],
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<()> {
        // Sorted by company id: sequential B-tree appends, and deterministic row order.
        let mut order: Vec<&ScoreRow> = scores.iter().collect();
        order.sort_unstable_by(|a, b| a.company_id.cmp(&b.company_id));
        self.write_run_from(run, &Sorted(order), progress).await
    }

    /// [`Store::write_run`] with rows produced a chunk at a time, in ascending company id
    /// (refused otherwise, as are invalid values: the transaction is then rolled back and
    /// the store keeps what it held).
    pub async fn write_run_from(
        &self,
        run: &RunRecord,
        rows: &dyn ScoreRows,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<()> {
        validate_run(run)?;
        self.check_run_id(&run.run_id, &run.month).await?;
        match &self.backend {
            Backend::Sqlite { pool, .. } => write_sqlite(pool, run, rows, progress).await,
            Backend::Postgres { pool, .. } => write_postgres(pool, run, rows, progress).await,
        }
    }

    /// Refuses a run id that already holds another month's run: reusing it would silently
    /// delete that run. (The batch is the only writer, so checking first is enough; it
    /// checks before writing any file too.)
    pub async fn check_run_id(&self, run_id: &str, month: &str) -> Result<()> {
        // Bounded: alert-list cursors carry the run id (`AlertCursor::PATTERN`).
        if run_id.is_empty() || run_id.len() > MAX_RUN_ID_LEN {
            return Err(Error::Invalid(format!(
                "a run id has 1 to {MAX_RUN_ID_LEN} bytes ({} given)",
                run_id.len()
            )));
        }
        match self.run_summary(run_id).await? {
            Some(held) if held.month != month => Err(Error::Invalid(format!(
                "run id {run_id:?} already holds the run of {}; choose another --run-id for \
                 {month}",
                held.month
            ))),
            _ => Ok(()),
        }
    }

    /// All runs, newest month first, without their reports.
    pub async fn runs(&self) -> Result<Vec<RunRecord>> {
        let sql = const_format(SUMMARY_COLUMNS, "FROM runs ORDER BY month DESC, finished_at DESC");
        on_pool!(self, pool => {
            async {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await?;
                rows.iter().map(|r| Ok(run_from_row!(r))).collect::<sqlx::Result<Vec<_>>>()
            }
            .await
        })
    }

    /// The latest complete run, without its report (cheap: for every API request).
    pub async fn latest_run_summary(&self) -> Result<Option<RunRecord>> {
        let sql = const_format(
            SUMMARY_COLUMNS,
            "FROM runs ORDER BY month DESC, finished_at DESC LIMIT 1",
        );
        on_pool!(self, pool => {
            async {
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).fetch_optional(pool).await?;
                row.map(|r| Ok(run_from_row!(r))).transpose()
            }
            .await
        })
    }

    /// One run, with its report.
    pub async fn run(&self, run_id: &str) -> Result<Option<RunRecord>> {
        self.run_by_id(RUN_COLUMNS, run_id).await
    }

    /// One run, without its report (cheap: an existence check, a month).
    pub async fn run_summary(&self, run_id: &str) -> Result<Option<RunRecord>> {
        self.run_by_id(SUMMARY_COLUMNS, run_id).await
    }

    async fn run_by_id(&self, columns: &str, run_id: &str) -> Result<Option<RunRecord>> {
        let sql = const_format(columns, "FROM runs WHERE run_id = $1");
        on_pool!(self, pool => {
            async {
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(run_id)
                    .fetch_optional(pool)
                    .await?;
                row.map(|r| Ok(run_from_row!(r))).transpose()
            }
            .await
        })
    }

    /// A version of the whole set of runs (their number and latest commit time): it changes
    /// with every run written, an earlier month's backfill included. `None` without runs.
    pub async fn runs_version(&self) -> Result<Option<String>> {
        on_pool!(self, pool => {
            async {
                let (n, last): (i64, Option<String>) =
                    sqlx::query_as("SELECT COUNT(*), MAX(finished_at) FROM runs")
                        .fetch_one(pool)
                        .await?;
                Ok(last.map(|t| format!("{n} runs, last committed {t}")))
            }
            .await
        })
    }

    /// The latest complete run (by month, then commit time).
    pub async fn latest_run(&self) -> Result<Option<RunRecord>> {
        // Every month (`YYYY-MM`) sorts before this bound.
        self.previous_run("9999-99").await
    }

    /// The run a run of `month` is compared with: the latest complete run of an earlier
    /// month. Never one of the same month (a second run of a month, under another id, is
    /// not its "previous" run: re-runs must give the same diff).
    pub async fn previous_run(&self, month: &str) -> Result<Option<RunRecord>> {
        let sql = const_format(
            RUN_COLUMNS,
            "FROM runs WHERE month < $1 ORDER BY month DESC, finished_at DESC LIMIT 1",
        );
        on_pool!(self, pool => {
            async {
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(month)
                    .fetch_optional(pool)
                    .await?;
                row.map(|r| Ok(run_from_row!(r))).transpose()
            }
            .await
        })
    }

    /// The scores of a run, by company id.
    pub async fn run_scores(&self, run_id: &str) -> Result<Vec<ScoreRow>> {
        let sql =
            format!("SELECT {SCORE_ROW_COLUMNS} FROM scores WHERE run_id = $1 ORDER BY company_id");
        on_pool!(self, pool => {
            async {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(run_id)
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(|r| Ok(score_from_row!(r))).collect::<sqlx::Result<Vec<_>>>()
            }
            .await
        })
    }

    /// Calls `f` with every score of a run, streamed (no vector of the whole run).
    pub async fn for_each_run_score(
        &self,
        run_id: &str,
        mut f: impl FnMut(ScoreRow) + Send,
    ) -> Result<()> {
        use futures_util::TryStreamExt as _;
        let sql = format!("SELECT {SCORE_ROW_COLUMNS} FROM scores WHERE run_id = $1");
        on_pool!(self, pool => {
            async {
                let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(run_id).fetch(pool);
                while let Some(r) = rows.try_next().await? {
                    f(score_from_row!(r));
                }
                sqlx::Result::Ok(())
            }
            .await
        })
    }

    /// `(company_id, level, p_18m)` of every company of a run, by company id: what the
    /// month-over-month diff needs, without the explanations (streamed into a compact
    /// vector: a national run has millions of rows).
    pub async fn run_levels(&self, run_id: &str) -> Result<Vec<(String, AlertLevel, f64)>> {
        use futures_util::TryStreamExt as _;
        let sql = "SELECT company_id, level, p_18m FROM scores WHERE run_id = $1 \
                   ORDER BY company_id";
        let mut out = Vec::new();
        let mut bad = None;
        on_pool!(self, pool => {
            async {
                let mut rows = sqlx::query(sql).bind(run_id).fetch(pool);
                while let Some(r) = rows.try_next().await? {
                    let level: &str = r.try_get(1)?;
                    let Ok(l) = AlertLevel::parse(level) else {
                        bad = Some(level.to_owned());
                        break;
                    };
                    out.push((r.try_get::<String, _>(0)?, l, r.try_get(2)?));
                }
                sqlx::Result::Ok(())
            }
            .await
        })?;
        match bad {
            Some(l) => Err(Error::Invalid(format!("stored level {l:?}"))),
            None => Ok(out),
        }
    }

    /// Calls `f(run_id, company_id, p_18m, level)` for every score of every run, streamed
    /// (the server's in-memory index of histories is built from it).
    pub async fn for_each_score_point(
        &self,
        mut f: impl FnMut(&str, &str, f64, &str) + Send,
    ) -> Result<()> {
        use futures_util::TryStreamExt as _;
        let sql = "SELECT run_id, company_id, p_18m, level FROM scores";
        on_pool!(self, pool => {
            async {
                let mut rows = sqlx::query(sql).fetch(pool);
                while let Some(r) = rows.try_next().await? {
                    let run: &str = r.try_get(0)?;
                    let id: &str = r.try_get(1)?;
                    let level: &str = r.try_get(3)?;
                    f(run, id, r.try_get(2)?, level);
                }
                sqlx::Result::Ok(())
            }
            .await
        })
    }

    /// A company's scores across runs, oldest month first.
    pub async fn company_history(&self, company_id: &str) -> Result<Vec<StoredScore>> {
        let cols = SCORE_ROW_COLUMNS.replace(", ", ", s.");
        let sql = format!(
            "SELECT s.run_id, r.month, s.{cols} FROM scores s JOIN runs r ON r.run_id = s.run_id \
             WHERE s.company_id = $1 ORDER BY r.month, r.finished_at"
        );
        on_pool!(self, pool => {
            async {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(company_id)
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(StoredScore {
                            run_id: r.try_get("run_id")?,
                            month: r.try_get("month")?,
                            score: score_from_row!(r),
                        })
                    })
                    .collect::<sqlx::Result<Vec<_>>>()
            }
            .await
        })
    }

    /// Number of score rows of a run (or of all runs).
    pub async fn count_scores(&self, run_id: Option<&str>) -> Result<i64> {
        on_pool!(self, pool => {
            match run_id {
                Some(id) => {
                    sqlx::query_scalar("SELECT COUNT(*) FROM scores WHERE run_id = $1")
                        .bind(id)
                        .fetch_one(pool)
                        .await
                }
                None => sqlx::query_scalar("SELECT COUNT(*) FROM scores").fetch_one(pool).await,
            }
        })
    }
}

fn const_format(columns: &str, rest: &str) -> String {
    format!("SELECT {columns} {rest}")
}

/// Deletes any run with `run`'s id (and its scores) and inserts `run`, inside the
/// transaction `$tx` of either back-end.
macro_rules! replace_run {
    ($tx:expr, $run:expr) => {{
        sqlx::query("DELETE FROM scores WHERE run_id = $1")
            .bind(&$run.run_id)
            .execute(&mut *$tx)
            .await?;
        sqlx::query("DELETE FROM runs WHERE run_id = $1")
            .bind(&$run.run_id)
            .execute(&mut *$tx)
            .await?;
        let sql = format!(
            "INSERT INTO runs ({RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13)"
        );
        bind_run(sqlx::query(sqlx::AssertSqlSafe(sql)), $run).execute(&mut *$tx).await?;
    }};
}

/// A transaction that has replaced the run `run` (its scores deleted, its record written).
macro_rules! begin_run {
    ($pool:expr, $run:expr, $e:expr) => {{
        let mut tx = $pool.begin().await.map_err(&$e)?;
        async {
            replace_run!(tx, $run);
            sqlx::Result::Ok(())
        }
        .await
        .map_err(&$e)?;
        tx
    }};
}

fn bind_run<'q, DB: sqlx::Database>(
    q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    run: &RunRecord,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    q.bind(run.run_id.clone())
        .bind(run.month.clone())
        .bind(run.model_version.clone())
        .bind(run.started_at.clone())
        .bind(run.finished_at.clone())
        .bind(run.status.clone())
        .bind(run.scored)
        .bind(run.excluded)
        .bind(run.rejected)
        .bind(run.red)
        .bind(run.orange)
        .bind(run.green)
        .bind(run.report.clone())
}

/// `(?, ?, …), (…)` for a multi-row SQLite INSERT. Anonymous `?` on purpose: SQLite
/// resolves a numbered parameter's name by walking a list, so binding thousands of `$n`
/// parameters is quadratic (it made a 1,000-row statement take 250 ms).
fn placeholders(rows: usize, cols: usize) -> String {
    let row = format!("({})", vec!["?"; cols].join(","));
    vec![row; rows].join(",")
}

/// Rows produced, validated and written per chunk of a run.
const CHUNK_ROWS: usize = 20_000;

async fn write_sqlite(
    pool: &sqlx::SqlitePool,
    run: &RunRecord,
    rows: &dyn ScoreRows,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<()> {
    let e = db("sqlite");
    let mut tx = begin_run!(pool, run, e);
    let (n, mut last, mut written) = (rows.len(), None, 0);
    let insert = |rows: usize| {
        format!("INSERT INTO scores ({SCORE_COLUMNS}) VALUES {}", placeholders(rows, 17))
    };
    let full_sql = insert(SQLITE_ROWS_PER_STATEMENT);
    // Texts are bound by value (sqlx copies a borrowed one), the run id as one shared
    // `Arc<str>`: at 5,000,000 companies the copies and allocations were a fifth of the
    // store phase.
    let run_id: std::sync::Arc<str> = std::sync::Arc::from(run.run_id.as_str());
    for start in (0..n).step_by(CHUNK_ROWS) {
        let chunk = rows.rows(start..(start + CHUNK_ROWS).min(n));
        validate_chunk(&chunk, &mut last)?;
        for part in chunk.chunks(SQLITE_ROWS_PER_STATEMENT * 2) {
            let sql = format!(
                "INSERT INTO companies (company_id, departement, naf, size_band, last_run_id) \
                 VALUES {} ON CONFLICT (company_id) DO UPDATE SET departement = \
                 excluded.departement, naf = excluded.naf, size_band = excluded.size_band, \
                 last_run_id = excluded.last_run_id",
                placeholders(part.len(), 5)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for s in part {
                q = q
                    .bind(s.company_id.clone())
                    .bind(s.departement.clone())
                    .bind(s.naf.clone())
                    .bind(s.size_band.clone())
                    .bind(std::sync::Arc::clone(&run_id));
            }
            q.execute(&mut *tx).await.map_err(&e)?;
        }
        let mut chunk = chunk.into_iter().peekable();
        while chunk.peek().is_some() {
            let part: Vec<ScoreRow> = chunk.by_ref().take(SQLITE_ROWS_PER_STATEMENT).collect();
            let sql = if part.len() == SQLITE_ROWS_PER_STATEMENT {
                full_sql.clone()
            } else {
                insert(part.len())
            };
            let rows = part.len();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for s in part {
                let alert = s.p.alert();
                q = q
                    .bind(std::sync::Arc::clone(&run_id))
                    .bind(s.company_id)
                    .bind(s.departement)
                    .bind(s.naf)
                    .bind(s.naf_section)
                    .bind(s.region)
                    .bind(s.size_band)
                    .bind(s.margin)
                    .bind(s.p.m6)
                    .bind(s.p.m12)
                    .bind(alert)
                    .bind(s.p.m24)
                    .bind(s.level)
                    .bind(s.explanation)
                    .bind(s.previous_level)
                    .bind(s.previous_p_18m)
                    .bind(s.features);
            }
            q.execute(&mut *tx).await.map_err(&e)?;
            written += rows;
            progress(written);
        }
    }
    tx.commit().await.map_err(&e)
}

async fn write_postgres(
    pool: &sqlx::PgPool,
    run: &RunRecord,
    rows: &dyn ScoreRows,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<()> {
    let e = db("postgres");
    let mut tx = begin_run!(pool, run, e);
    let (n, mut last) = (rows.len(), None);
    for start in (0..n).step_by(CHUNK_ROWS) {
        let chunk = rows.rows(start..(start + CHUNK_ROWS).min(n));
        validate_chunk(&chunk, &mut last)?;
        let len = chunk.len();
        let text = |f: fn(&ScoreRow) -> &str| -> Vec<String> {
            chunk.iter().map(|s| f(s).to_owned()).collect()
        };
        sqlx::query(
            "INSERT INTO companies (company_id, departement, naf, size_band, last_run_id) \
             SELECT u.*, $5 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) AS u \
             ON CONFLICT (company_id) DO UPDATE SET departement = excluded.departement, \
             naf = excluded.naf, size_band = excluded.size_band, \
             last_run_id = excluded.last_run_id",
        )
        .bind(text(|s| &s.company_id))
        .bind(text(|s| &s.departement))
        .bind(text(|s| &s.naf))
        .bind(text(|s| &s.size_band))
        .bind(run.run_id.clone())
        .execute(&mut *tx)
        .await
        .map_err(&e)?;
        // The scores' columns take the rows' texts (no copy).
        let mut c = PgColumns::default();
        for s in chunk {
            c.push(s);
        }
        let sql = format!(
            "INSERT INTO scores ({SCORE_COLUMNS}) SELECT $1, * FROM UNNEST($2::text[], \
             $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], \
             $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::text[], \
             $14::text[], $15::text[], $16::float8[], $17::text[])"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(run.run_id.clone())
            .bind(c.company_id)
            .bind(c.departement)
            .bind(c.naf)
            .bind(c.naf_section)
            .bind(c.region)
            .bind(c.size_band)
            .bind(c.margin)
            .bind(c.p6)
            .bind(c.p12)
            .bind(c.p18)
            .bind(c.p24)
            .bind(c.level)
            .bind(c.explanation)
            .bind(c.previous_level)
            .bind(c.previous_p_18m)
            .bind(c.features)
            .execute(&mut *tx)
            .await
            .map_err(&e)?;
        progress(start + len);
    }
    tx.commit().await.map_err(&e)
}

/// A chunk of score rows as the columns PostgreSQL's `UNNEST` takes.
#[derive(Default)]
struct PgColumns {
    company_id: Vec<String>,
    departement: Vec<String>,
    naf: Vec<String>,
    naf_section: Vec<String>,
    region: Vec<String>,
    size_band: Vec<String>,
    margin: Vec<f64>,
    p6: Vec<f64>,
    p12: Vec<f64>,
    p18: Vec<f64>,
    p24: Vec<f64>,
    level: Vec<String>,
    explanation: Vec<Option<String>>,
    previous_level: Vec<Option<String>>,
    previous_p_18m: Vec<Option<f64>>,
    features: Vec<Option<String>>,
}

impl PgColumns {
    fn push(&mut self, s: ScoreRow) {
        self.margin.push(s.margin);
        self.p6.push(s.p.m6);
        self.p12.push(s.p.m12);
        self.p18.push(s.p.alert());
        self.p24.push(s.p.m24);
        self.company_id.push(s.company_id);
        self.departement.push(s.departement);
        self.naf.push(s.naf);
        self.naf_section.push(s.naf_section);
        self.region.push(s.region);
        self.size_band.push(s.size_band);
        self.level.push(s.level);
        self.explanation.push(s.explanation);
        self.previous_level.push(s.previous_level);
        self.previous_p_18m.push(s.previous_p_18m);
        self.features.push(s.features);
    }
}
