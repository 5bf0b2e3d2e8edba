//! Dashboard sessions: opened with an API token, ended by sign-out, expiry or the token's
//! revocation.

use sqlx::Row as _;

use crate::people::{hex, token_from_row, with_role};
use crate::{Error, Result, Store, Token, hash_token, on_pool};

/// A live session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The token it was opened with.
    pub token: Token,
    /// The secret every form of the session carries (CSRF).
    pub csrf: String,
    /// Expiry (UTC ISO 8601).
    pub expires_at: String,
}

/// 32 random bytes in hex.
pub fn random_secret() -> Result<String> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| Error::Invalid(format!("no system randomness: {e}")))?;
    Ok(hex(&raw))
}

/// UTC ISO 8601 time `seconds` from now (the format of [`crate::now_utc`]).
fn in_seconds(seconds: u64) -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    crate::format_utc((d.as_secs() + seconds) as i64, d.subsec_millis())
}

impl Store {
    /// Opens a session for the live token `token_secret`, valid `ttl_seconds`. Returns the
    /// session secret (for the cookie; only its hash is kept) and the session, or `None`
    /// when the token is unknown or revoked. Expired sessions are purged on the way.
    pub async fn open_session(
        &self,
        token_secret: &str,
        ttl_seconds: u64,
    ) -> Result<Option<(String, Session)>> {
        let token_hash = hash_token(token_secret);
        let Some(token) = self.token_by_hash(&token_hash).await? else { return Ok(None) };
        let secret = random_secret()?;
        let session =
            Session { token, csrf: random_secret()?, expires_at: in_seconds(ttl_seconds) };
        let now = crate::now_utc();
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(&now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        let sql = "INSERT INTO sessions (session_hash, token_hash, csrf, created_at, expires_at) \
                   VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(hash_token(&secret))
                .bind(&token_hash)
                .bind(&session.csrf)
                .bind(&now)
                .bind(&session.expires_at)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(Some((secret, session)))
    }

    /// The live session whose secret hashes to `session_hash`: not expired, and its token
    /// not revoked.
    pub async fn session(&self, session_hash: &str) -> Result<Option<Session>> {
        let sql = "SELECT t.name, t.role, t.territories, t.created_at, t.revoked_at, \
                   s.csrf, s.expires_at FROM sessions s \
                   JOIN api_tokens t ON t.token_hash = s.token_hash \
                   WHERE s.session_hash = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL";
        let found = on_pool!(self, pool => {
            async {
                let row = sqlx::query(sql)
                    .bind(session_hash)
                    .bind(crate::now_utc())
                    .fetch_optional(pool)
                    .await?;
                row.map(|r| {
                    let csrf: String = r.try_get("csrf")?;
                    let expires_at: String = r.try_get("expires_at")?;
                    Ok((token_from_row!(r), csrf, expires_at))
                })
                .transpose()
            }
            .await
        })?;
        found
            .map(|(t, csrf, expires_at)| Ok(Session { token: with_role(t)?, csrf, expires_at }))
            .transpose()
    }

    /// Ends the session whose secret hashes to `session_hash`; `false` if there was none.
    pub async fn end_session(&self, session_hash: &str) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE session_hash = $1")
                .bind(session_hash)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }
}
