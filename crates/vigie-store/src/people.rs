//! What people do with the scores: API tokens, follow-ups, feedback, and the append-only
//! audit log of consultations.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

use crate::{Error, Result, Store, now_utc, on_pool};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A tax-office agent: companies of its départements only.
    Agent,
    /// An analyst: national.
    Analyst,
    /// An administrator: national, manages models and tokens.
    Admin,
}

impl Role {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "agent" => Ok(Role::Agent),
            "analyst" => Ok(Role::Analyst),
            "admin" => Ok(Role::Admin),
            _ => Err(Error::Invalid(format!("unknown role {s:?} (agent, analyst, admin)"))),
        }
    }
}

/// A token to create.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Unique name (who or what holds it).
    pub name: String,
    /// Role.
    pub role: Role,
    /// Départements of an agent (required for agents, empty for the others).
    pub territories: Vec<String>,
}

/// A stored token (never the secret itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    /// Unique name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Départements of an agent; empty = national.
    pub territories: Vec<String>,
    /// Creation time.
    pub created_at: String,
    /// Revocation time, if revoked.
    pub revoked_at: Option<String>,
}

/// Follow-up status of a company in alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpStatus {
    /// To contact.
    ToContact,
    /// Contacted.
    Contacted,
    /// Receiving support.
    InSupport,
    /// Closed.
    Closed,
}

impl FollowUpStatus {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpStatus::ToContact => "to_contact",
            FollowUpStatus::Contacted => "contacted",
            FollowUpStatus::InSupport => "in_support",
            FollowUpStatus::Closed => "closed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "to_contact" => Ok(FollowUpStatus::ToContact),
            "contacted" => Ok(FollowUpStatus::Contacted),
            "in_support" => Ok(FollowUpStatus::InSupport),
            "closed" => Ok(FollowUpStatus::Closed),
            _ => Err(Error::Invalid(format!(
                "unknown follow-up status {s:?} (to_contact, contacted, in_support, closed)"
            ))),
        }
    }
}

/// One follow-up entry (the history is every entry; the status is the latest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    /// Company id.
    pub company_id: String,
    /// Status.
    pub status: FollowUpStatus,
    /// Free-text note.
    pub note: Option<String>,
    /// Token name of the author.
    pub author: String,
    /// Time.
    pub at: String,
}

/// Feedback on an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// Company id.
    pub company_id: String,
    /// The run whose alert it is about.
    pub run_id: Option<String>,
    /// Was the alert useful?
    pub useful: bool,
    /// Why.
    pub reason: Option<String>,
    /// Token name of the author.
    pub author: String,
    /// Time.
    pub at: String,
}

/// One audit log row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Time (set by the store when appended).
    pub at: String,
    /// Token name of the caller.
    pub token_name: String,
    /// Route or action.
    pub route: String,
    /// Company consulted, if any.
    pub company_id: Option<String>,
    /// Territory of the data (département), if any.
    pub territory: Option<String>,
    /// Outcome (`ok`, `not_found`, `forbidden`, `out_of_zone`…).
    pub outcome: String,
    /// Stated reason (out-of-zone access), if any.
    pub reason: Option<String>,
}

/// Rows per INSERT of [`Store::audit_many`] (7 parameters each).
const AUDIT_ROWS_PER_STATEMENT: usize = 1000;

/// SHA-256 of a token, in hex: what the store keeps.
#[must_use]
pub fn hash_token(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

macro_rules! token_from_row {
    ($r:expr) => {{
        let territories: String = $r.try_get("territories")?;
        let role: String = $r.try_get("role")?;
        (
            role,
            $crate::Token {
                name: $r.try_get("name")?,
                role: $crate::Role::Agent,
                territories: territories
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                created_at: $r.try_get("created_at")?,
                revoked_at: $r.try_get("revoked_at")?,
            },
        )
    }};
}
pub(crate) use token_from_row;

pub(crate) fn with_role((role, mut token): (String, Token)) -> Result<Token> {
    token.role = Role::parse(&role)?;
    Ok(token)
}

impl Store {
    /// Creates a token; returns it with its secret, which is shown once and never stored.
    pub async fn create_token(&self, new: &NewToken) -> Result<(Token, String)> {
        if new.name.trim().is_empty() {
            return Err(Error::Invalid("a token needs a name".into()));
        }
        match (new.role, new.territories.is_empty()) {
            (Role::Agent, true) => {
                return Err(Error::Invalid("an agent token needs its départements".into()));
            }
            (Role::Analyst | Role::Admin, false) => {
                return Err(Error::Invalid(format!(
                    "an {} token is national: it takes no départements",
                    new.role.as_str()
                )));
            }
            _ => {}
        }
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw)
            .map_err(|e| Error::Invalid(format!("no system randomness for a token: {e}")))?;
        let secret = format!("vigie_{}", hex(&raw));
        let token = Token {
            name: new.name.clone(),
            role: new.role,
            territories: new.territories.clone(),
            created_at: now_utc(),
            revoked_at: None,
        };
        let sql = "INSERT INTO api_tokens (name, role, territories, token_hash, created_at) \
                   VALUES ($1, $2, $3, $4, $5)";
        let result = on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(&token.name)
                .bind(token.role.as_str())
                .bind(token.territories.join(","))
                .bind(hash_token(&secret))
                .bind(&token.created_at)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        });
        match result {
            Ok(_) => Ok((token, secret)),
            Err(Error::Database { message, .. }) if message.to_lowercase().contains("unique") => {
                Err(Error::Invalid(format!("a token named {:?} already exists", new.name)))
            }
            Err(e) => Err(e),
        }
    }

    /// The live (not revoked) token with this secret.
    pub async fn verify_token(&self, secret: &str) -> Result<Option<Token>> {
        self.token_by_hash(&hash_token(secret)).await
    }

    /// The live (not revoked) token whose secret hashes to `hash` ([`hash_token`]).
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        let sql = "SELECT name, role, territories, created_at, revoked_at FROM api_tokens \
                   WHERE token_hash = $1 AND revoked_at IS NULL";
        let found = on_pool!(self, pool => {
            async {
                let row = sqlx::query(sql).bind(hash).fetch_optional(pool).await?;
                row.map(|r| Ok(token_from_row!(r))).transpose()
            }
            .await
        })?;
        found.map(with_role).transpose()
    }

    /// Revokes the token named `name`; `false` if there is no live token of that name.
    pub async fn revoke_token(&self, name: &str) -> Result<bool> {
        let sql = "UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL";
        let n = on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(now_utc())
                .bind(name)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// All tokens (revoked ones included), by name.
    pub async fn tokens(&self) -> Result<Vec<Token>> {
        let sql = "SELECT name, role, territories, created_at, revoked_at FROM api_tokens \
                   ORDER BY name";
        let rows = on_pool!(self, pool => {
            async {
                let rows = sqlx::query(sql).fetch_all(pool).await?;
                rows.iter().map(|r| Ok(token_from_row!(r))).collect::<sqlx::Result<Vec<_>>>()
            }
            .await
        })?;
        rows.into_iter().map(with_role).collect()
    }

    /// Appends a follow-up entry.
    pub async fn add_follow_up(&self, f: &FollowUp) -> Result<()> {
        let sql = "INSERT INTO follow_ups (company_id, status, note, author, at) \
                   VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(&f.company_id)
                .bind(f.status.as_str())
                .bind(&f.note)
                .bind(&f.author)
                .bind(&f.at)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// A company's follow-up history, oldest first (the last entry is the current status).
    pub async fn follow_ups(&self, company_id: &str) -> Result<Vec<FollowUp>> {
        let sql = "SELECT company_id, status, note, author, at FROM follow_ups \
                   WHERE company_id = $1 ORDER BY id";
        let rows = on_pool!(self, pool => {
            sqlx::query_as::<_, (String, String, Option<String>, String, String)>(sql)
                .bind(company_id)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter()
            .map(|(company_id, status, note, author, at)| {
                Ok(FollowUp {
                    company_id,
                    status: FollowUpStatus::parse(&status)?,
                    note,
                    author,
                    at,
                })
            })
            .collect()
    }

    /// Follow-up entries appended after entry `after` (an id of this table), in order, with
    /// their ids: what a server's in-memory copy polls.
    pub async fn follow_ups_since(&self, after: i64) -> Result<Vec<(i64, FollowUp)>> {
        let sql = "SELECT id, company_id, status, note, author, at FROM follow_ups \
                   WHERE id > $1 ORDER BY id";
        let rows = on_pool!(self, pool => {
            sqlx::query_as::<_, (i64, String, String, Option<String>, String, String)>(sql)
                .bind(after)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter()
            .map(|(id, company_id, status, note, author, at)| {
                let status = FollowUpStatus::parse(&status)?;
                Ok((id, FollowUp { company_id, status, note, author, at }))
            })
            .collect()
    }

    /// Records feedback on an alert.
    pub async fn add_feedback(&self, f: &Feedback) -> Result<()> {
        let sql = "INSERT INTO feedback (company_id, run_id, useful, reason, author, at) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(&f.company_id)
                .bind(&f.run_id)
                .bind(i32::from(f.useful))
                .bind(&f.reason)
                .bind(&f.author)
                .bind(&f.at)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Feedback on a company's alerts, oldest first.
    pub async fn feedback(&self, company_id: &str) -> Result<Vec<Feedback>> {
        let sql = "SELECT company_id, run_id, useful, reason, author, at FROM feedback \
                   WHERE company_id = $1 ORDER BY id";
        let rows = on_pool!(self, pool => {
            async {
                let rows = sqlx::query(sql).bind(company_id).fetch_all(pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(Feedback {
                            company_id: r.try_get("company_id")?,
                            run_id: r.try_get("run_id")?,
                            useful: r.try_get::<i32, _>("useful")? == 1,
                            reason: r.try_get("reason")?,
                            author: r.try_get("author")?,
                            at: r.try_get("at")?,
                        })
                    })
                    .collect::<sqlx::Result<Vec<_>>>()
            }
            .await
        })?;
        Ok(rows)
    }

    /// Appends to the audit log (the time is the store's). Returns the time recorded.
    pub async fn audit(&self, e: &AuditEntry) -> Result<String> {
        self.audit_many(std::slice::from_ref(e)).await
    }

    /// Appends several rows (group commit: the server batches the rows of concurrent
    /// requests), one statement per 1,000 rows, each its own transaction. Returns the time
    /// recorded, the same for the whole batch. When a statement fails, the rows of the
    /// statements before it stay written while the caller learns of the failure: a request
    /// may then be audited and not answered, never answered and not audited.
    pub async fn audit_many(&self, entries: &[AuditEntry]) -> Result<String> {
        let at = now_utc();
        // One multi-row statement per chunk: one round trip to the database per batch.
        for chunk in entries.chunks(AUDIT_ROWS_PER_STATEMENT) {
            let sqlite = matches!(self.backend, crate::Backend::Sqlite { .. });
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    if sqlite {
                        "(?, ?, ?, ?, ?, ?, ?)".to_owned()
                    } else {
                        let n = i * 7;
                        format!(
                            "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                            n + 1,
                            n + 2,
                            n + 3,
                            n + 4,
                            n + 5,
                            n + 6,
                            n + 7
                        )
                    }
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit_log (at, token_name, route, company_id, territory, outcome, \
                 reason) VALUES {}",
                values.join(", ")
            );
            on_pool!(self, pool => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for e in chunk {
                    q = q
                        .bind(at.clone())
                        .bind(e.token_name.clone())
                        .bind(e.route.clone())
                        .bind(e.company_id.clone())
                        .bind(e.territory.clone())
                        .bind(e.outcome.clone())
                        .bind(e.reason.clone());
                }
                q.execute(pool).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(at)
    }

    /// The whole audit log, in order of appending.
    pub async fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        let sql = "SELECT at, token_name, route, company_id, territory, outcome, reason \
                   FROM audit_log ORDER BY id";
        on_pool!(self, pool => {
            async {
                let rows = sqlx::query(sql).fetch_all(pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(AuditEntry {
                            at: r.try_get("at")?,
                            token_name: r.try_get("token_name")?,
                            route: r.try_get("route")?,
                            company_id: r.try_get("company_id")?,
                            territory: r.try_get("territory")?,
                            outcome: r.try_get("outcome")?,
                            reason: r.try_get("reason")?,
                        })
                    })
                    .collect::<sqlx::Result<Vec<_>>>()
            }
            .await
        })
    }
}
