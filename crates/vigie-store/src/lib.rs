//! The score store: one interface, two real back-ends chosen by URL.
//!
//! - `sqlite://PATH` (the default: one file, zero set-up; created if missing);
//! - `postgres://USER:PASSWORD@HOST/DB` (several server instances share it).
//!
//! Versioned migrations (`migrations/sqlite`, `migrations/postgres`, same tables and
//! columns) are applied when a store is opened.
//!
//! Invariants:
//! - a run is written in **one transaction** ([`Store::write_run`]): readers see the
//!   previous complete run until the new one commits, a crash leaves no partial run, and
//!   writing a run id again replaces that run (never duplicates it);
//! - company ids are pseudonymous (the store never sees a SIREN);
//! - API tokens and dashboard session secrets are stored as SHA-256 hashes only; a
//!   session dies with its token;
//! - the audit log is append-only (update and delete are refused by triggers);
//! - at most one model is active (a unique partial index).

mod alerts;
mod backtests;
mod people;
mod registry;
mod runs;
mod sessions;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Connection as _, PgConnection};

pub use alerts::{AlertCursor, AlertFilter, AlertItem, AlertPage, AlertSort, MAX_PAGE};
pub use backtests::{Backtest, LevelOutcome};
pub use people::{
    AuditEntry, Feedback, FollowUp, FollowUpStatus, NewToken, Role, Token, hash_token,
};
pub use registry::{Comparison, ListOverlap, ModelRecord, ModelSummary};
pub use runs::{RunRecord, ScoreRow, ScoreRows, StoredScore};
pub use sessions::{Session, random_secret};

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL names no supported back-end.
    #[error("unsupported store URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    Url(String),
    /// The database refused or failed an operation.
    #[error("store ({backend}): {message}")]
    Database {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// What failed.
        message: String,
    },
    /// Applying the migrations failed.
    #[error("store ({backend}): migrations failed: {message}")]
    Migration {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// What failed.
        message: String,
    },
    /// Another rescore holds the store's lock.
    #[error(
        "another `vigie rescore` is running on this store ({0}); wait for it to finish, or \
         stop it: its lock is released when its process ends"
    )]
    Locked(String),
    /// A model version that the registry does not hold.
    #[error("no model {0:?} in the registry (see `GET /v1/models` or `vigie runs list`)")]
    UnknownModel(String),
    /// A value the store refuses (NaN probability, empty id, unknown status…).
    #[error("invalid value: {0}")]
    Invalid(String),
}

/// Store results.
pub type Result<T> = std::result::Result<T, Error>;

fn db(backend: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| Error::Database { backend, message: e.to_string() }
}

/// The back-end and its pool.
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    Sqlite { pool: SqlitePool, path: Option<PathBuf> },
    Postgres { pool: PgPool, options: Box<PgConnectOptions> },
}

/// Runs the same statement text on whichever pool the store has. The body is compiled
/// once per back-end, so it may use back-end specific types where it must.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite { pool: $pool, .. } => {
                let r = $body;
                r.map_err($crate::db("sqlite"))
            }
            $crate::Backend::Postgres { pool: $pool, .. } => {
                let r = $body;
                r.map_err($crate::db("postgres"))
            }
        }
    };
}
pub(crate) use on_pool;

/// A score store.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    url: String,
}

impl Store {
    /// Opens (creating a SQLite file if missing) the store at `url` and applies the
    /// migrations. A SQLite store gets 128 MiB of page cache per connection, for the batch's
    /// writes of millions of rows; the server opens it with [`Store::open_serving`].
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with_cache(url, 128 << 10).await
    }

    /// Opens the store for `vigie serve`: a SQLite store gets 8 MiB of page cache per
    /// connection. The server's writes (the audit log's group commits) come from the
    /// pool's connections in turn, and each commit by one connection makes the next
    /// another one takes empty its whole cache first: with the batch's 128 MiB that
    /// emptying was the largest single cost of a company lookup (5.6 % of the server's
    /// time), and lookups on the 5,000,000-company store went from 27,342/s to about
    /// 31,700/s with the smaller cache (`BENCHMARKS.md`, issue #13).
    pub async fn open_serving(url: &str) -> Result<Self> {
        Self::open_with_cache(url, 8 << 10).await
    }

    async fn open_with_cache(url: &str, cache_kib: u32) -> Result<Self> {
        let backend = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| Error::Database { backend: "sqlite", message: e.to_string() })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                // Page cache per connection, in KiB (negative: a size, not pages). The
                // default 2 MiB thrashes when a run of a million rows is written.
                .pragma("cache_size", format!("-{cache_kib}"))
                // Commits checkpoint the write-ahead log past 40 MB only; the server
                // checkpoints in the background every 2 s (see `Store::checkpoint`).
                .pragma("wal_autocheckpoint", "10000");
            let path = options.get_filename();
            let memory = path.as_os_str().is_empty() || path.to_string_lossy().contains(":memory:");
            let path = (!memory).then(|| path.to_path_buf());
            let pool = SqlitePoolOptions::new()
                // One in-memory database lives in one connection.
                .max_connections(if memory { 1 } else { 4 })
                .connect_with(options)
                .await
                .map_err(|e| Error::Database {
                    backend: "sqlite",
                    message: format!("{}: {e}", redact(url)),
                })?;
            sqlx::migrate!("./migrations/sqlite")
                .run(&pool)
                .await
                .map_err(|e| Error::Migration { backend: "sqlite", message: e.to_string() })?;
            Backend::Sqlite { pool, path }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| Error::Database { backend: "postgres", message: e.to_string() })?;
            // One direct connection first: a pool only says that it timed out, this says
            // why (refused, unknown host, authentication), naming the server.
            let unreachable = |message: String| Error::Database {
                backend: "postgres",
                message: format!("{}: {message}", redact(url)),
            };
            match tokio::time::timeout(
                Duration::from_secs(10),
                PgConnection::connect_with(&options),
            )
            .await
            {
                Ok(Ok(c)) => c.close().await.map_err(|e| unreachable(e.to_string()))?,
                Ok(Err(e)) => return Err(unreachable(e.to_string())),
                Err(_) => return Err(unreachable("no answer within 10 s".into())),
            }
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options.clone())
                .await
                .map_err(db("postgres"))?;
            sqlx::migrate!("./migrations/postgres")
                .run(&pool)
                .await
                .map_err(|e| Error::Migration { backend: "postgres", message: e.to_string() })?;
            Backend::Postgres { pool, options: Box::new(options) }
        } else {
            return Err(Error::Url(redact(url)));
        };
        Ok(Self { backend, url: redact(url) })
    }

    /// `sqlite` or `postgres`.
    #[must_use]
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }

    /// The URL with any password masked: safe to log.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Takes the store's rescore lock, or fails with [`Error::Locked`] if another process
    /// holds it. The lock dies with its process (a file lock for SQLite, a session-level
    /// advisory lock for PostgreSQL), so a killed rescore never leaves a stale lock.
    pub async fn lock_rescore(&self) -> Result<RescoreLock> {
        match &self.backend {
            Backend::Sqlite { path: None, .. } => Ok(RescoreLock { inner: LockInner::InMemory }),
            Backend::Sqlite { path: Some(path), .. } => {
                let mut name = path.as_os_str().to_owned();
                name.push(".rescore.lock");
                let lock_path = PathBuf::from(name);
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock_path)
                    .map_err(|e| Error::Database {
                        backend: "sqlite",
                        message: format!("cannot open lock file {}: {e}", lock_path.display()),
                    })?;
                match file.try_lock() {
                    Ok(()) => Ok(RescoreLock { inner: LockInner::File(file) }),
                    Err(std::fs::TryLockError::WouldBlock) => {
                        Err(Error::Locked(format!("lock file {}", lock_path.display())))
                    }
                    Err(std::fs::TryLockError::Error(e)) => Err(Error::Database {
                        backend: "sqlite",
                        message: format!("cannot lock {}: {e}", lock_path.display()),
                    }),
                }
            }
            Backend::Postgres { options, .. } => {
                // A dedicated connection, outside the pool: closing it (or the process
                // dying) releases the advisory lock.
                let mut conn =
                    PgConnection::connect_with(options.as_ref()).await.map_err(db("postgres"))?;
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(RESCORE_LOCK_KEY)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(db("postgres"))?;
                if got {
                    Ok(RescoreLock { inner: LockInner::Postgres(Box::new(conn)) })
                } else {
                    Err(Error::Locked(format!("advisory lock {RESCORE_LOCK_KEY}")))
                }
            }
        }
    }

    /// Moves the SQLite write-ahead log into the database file without blocking writers
    /// (`PRAGMA wal_checkpoint(PASSIVE)`); a no-op on PostgreSQL. The server runs it in the
    /// background so that commits on the request path never pay for a checkpoint.
    pub async fn checkpoint(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { pool, path: Some(_) } => {
                sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(pool)
                    .await
                    .map(|_| ())
                    .map_err(db("sqlite"))
            }
            _ => Ok(()),
        }
    }

    /// Checks that the database answers (readiness probes).
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { pool, .. } => pool.close().await,
            Backend::Postgres { pool, .. } => pool.close().await,
        }
    }
}

/// The advisory lock key of rescoring on PostgreSQL ("VIGIE" in ASCII, then 1).
const RESCORE_LOCK_KEY: i64 = 0x5649_4749_4501;

/// The rescore lock; released by [`RescoreLock::release`] or when the process ends.
#[derive(Debug)]
pub struct RescoreLock {
    inner: LockInner,
}

#[derive(Debug)]
enum LockInner {
    InMemory,
    File(std::fs::File),
    Postgres(Box<PgConnection>),
}

impl RescoreLock {
    /// Releases the lock.
    pub async fn release(self) -> Result<()> {
        match self.inner {
            LockInner::InMemory => Ok(()),
            LockInner::File(f) => f.unlock().map_err(|e| Error::Database {
                backend: "sqlite",
                message: format!("cannot unlock: {e}"),
            }),
            LockInner::Postgres(mut conn) => {
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(RESCORE_LOCK_KEY)
                    .execute(&mut *conn)
                    .await
                    .map_err(db("postgres"))?;
                conn.close().await.map_err(db("postgres"))
            }
        }
    }
}

/// Masks the password of a URL, wherever it is: in the user information
/// (`postgres://user:secret@host` → `postgres://user:***@host`, the last `@` of the
/// authority ending it, as URL parsers read it) and in a `password` or `sslpassword` query
/// parameter, which PostgreSQL's drivers also accept.
#[must_use]
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_owned() };
    let start = scheme_end + 3;
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..start]);
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..colon]);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    let tail = &rest[authority_end..];
    let Some(q) = tail.find('?') else {
        out.push_str(tail);
        return out;
    };
    out.push_str(&tail[..=q]);
    let query = &tail[q + 1..];
    let (query, fragment) = query.split_at(query.find('#').unwrap_or(query.len()));
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let key = pair.split('=').next().unwrap_or_default();
        if key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("sslpassword") {
            out.push_str(key);
            out.push_str("=***");
        } else {
            out.push_str(pair);
        }
    }
    out.push_str(fragment);
    out
}

/// The current UTC time as ISO 8601 text with milliseconds (`2026-11-29T02:37:32.123Z`):
/// sortable as text, identical in both back-ends.
#[must_use]
pub fn now_utc() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format_utc(d.as_secs() as i64, d.subsec_millis())
}

/// Formats seconds since the Unix epoch (plus milliseconds) as ISO 8601 UTC.
#[must_use]
pub fn format_utc(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting_matches_known_dates() {
        assert_eq!(format_utc(0, 0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a leap day of a century leap year) 12:34:56.
        assert_eq!(format_utc(951_827_696, 7), "2000-02-29T12:34:56.007Z");
        // `date -u -d @1795919852`: Sun Nov 29 02:37:32 UTC 2026.
        assert_eq!(format_utc(1_795_919_852, 999), "2026-11-29T02:37:32.999Z");
    }

    #[test]
    fn redaction_masks_passwords_only() {
        assert_eq!(
            redact("postgres://vigie:s3cret@db:5432/vigie"),
            "postgres://vigie:***@db:5432/vigie"
        );
        assert_eq!(redact("postgres://vigie@db/vigie"), "postgres://vigie@db/vigie");
        assert_eq!(redact("sqlite://vigie.db"), "sqlite://vigie.db");
        assert_eq!(redact("sqlite://vigie.db?mode=rwc"), "sqlite://vigie.db?mode=rwc");
        // An unencoded `@` in the password: the last `@` of the authority ends it.
        assert_eq!(redact("postgres://vigie:p@ss@db/vigie"), "postgres://vigie:***@db/vigie");
        // The password as a query parameter, in any case, among others.
        assert_eq!(
            redact("postgres://vigie@db/vigie?sslmode=require&password=s3cret&PASSWORD=x#f"),
            "postgres://vigie@db/vigie?sslmode=require&password=***&PASSWORD=***#f"
        );
        assert_eq!(redact("postgres://db?sslpassword=k"), "postgres://db?sslpassword=***");
        // An `@` in the path is not user information.
        assert_eq!(redact("sqlite:///data/a@b.db"), "sqlite:///data/a@b.db");
    }
}
