//! Extractors whose rejections are API errors: the caller (bearer token, rate limit), JSON
//! bodies and query strings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use vigie_core::Departement;
use vigie_store::{Role, Token};

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Token name (what the audit log records; never the secret).
    pub name: String,
    /// Role.
    pub role: Role,
    /// Départements of an agent; empty for national roles.
    pub territories: Vec<String>,
}

impl Caller {
    pub(crate) fn from_token(t: Token) -> Self {
        Self { name: t.name, role: t.role, territories: t.territories }
    }

    /// Whether the caller sees the whole country.
    #[must_use]
    pub fn national(&self) -> bool {
        self.role != Role::Agent
    }

    /// Whether `departement` is in the caller's territory.
    #[must_use]
    pub fn covers(&self, departement: &str) -> bool {
        self.national() || self.territories.iter().any(|t| t == departement)
    }

    /// `forbidden` unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::Forbidden, "only an admin token may do this"))
        }
    }

    /// `forbidden` for agents.
    pub fn require_national(&self) -> Result<(), ApiError> {
        if self.national() {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::Forbidden,
                "agents see their territory only; this is national data",
            ))
        }
    }

    /// The territory in audit rows: the agent's départements, or `national`.
    #[must_use]
    pub fn scope(&self) -> String {
        if self.national() { "national".into() } else { self.territories.join(",") }
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::new(ErrorCode::Unauthorized, "missing `Authorization: Bearer <token>`")
        })?;
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "the Authorization header must be `Bearer <token>`",
                )
            })?;
        let caller = state.caller(secret).await?;
        state.limiter.check(&caller.name)?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl AppState {
    /// The live token of `secret`, read from the store at most every
    /// `token_cache_seconds` (so a revocation takes effect within that delay).
    pub async fn caller(&self, secret: &str) -> Result<Caller, ApiError> {
        let hash = vigie_store::hash_token(secret);
        let ttl = std::time::Duration::from_secs_f64(self.config.token_cache_seconds);
        let cached = self.tokens.lock().expect("not poisoned").get(&hash).cloned();
        let found = match cached {
            Some((found, at)) if at.elapsed() < ttl => found,
            _ => {
                let found = self.store.token_by_hash(&hash).await?.map(Caller::from_token);
                let mut tokens = self.tokens.lock().expect("not poisoned");
                if tokens.len() > 10_000 {
                    tokens.clear();
                }
                tokens.insert(hash, (found.clone(), Instant::now()));
                found
            }
        };
        found.ok_or_else(|| ApiError::new(ErrorCode::InvalidToken, "unknown or revoked token"))
    }
}

/// The client address a public route's rate limit counts by: the last address of the
/// configured proxy header (`client_address_header`), else the connection's. An IPv6
/// address counts by its /64 network (what one subscriber holds). Kept in memory only, in
/// the limiter's buckets; never logged.
pub fn client_address(
    state: &crate::AppState,
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
) -> String {
    use std::net::IpAddr;
    // The last address of the last line: the one the proxy added (a client may write
    // lines and addresses of its own before it). With a port (`1.2.3.4:5678`,
    // `[2001:db8::1]:443`) or without.
    let from_header = state.config.client_address_header.as_deref().and_then(|h| {
        let v = headers.get_all(h).iter().next_back()?.to_str().ok()?;
        let a = v.rsplit(',').next()?.trim();
        a.parse::<IpAddr>().ok().or_else(|| a.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
    });
    let ip = from_header.or_else(|| {
        extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip())
    });
    match ip {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or_else(String::new, |v4| v4.to_string()),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        // In-process callers (tests) have no connection: one bucket.
        None => "(no address)".to_owned(),
    }
}

/// Token buckets by key (a token's name; a client address for the public routes).
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// Every this many keys, the buckets refilled to the full burst are dropped (they hold
/// nothing a new bucket would not), so that many clients cannot grow the map for ever.
const PRUNE_EVERY: usize = 4096;

impl RateLimiter {
    /// `per_second` sustained requests, bursts of `burst`.
    #[must_use]
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second, burst: burst.max(1.0), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `key`'s bucket, or `rate_limited` with the wait.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        self.take(key).map_err(|wait| {
            let mut e = ApiError::new(
                ErrorCode::RateLimited,
                format!("more than {} requests per second for this token", self.per_second),
            );
            e.retry_after = Some(wait);
            e
        })
    }

    /// Takes one request from `key`'s bucket, or the seconds to wait.
    ///
    /// # Errors
    /// The wait, in whole seconds (at least 1), when the bucket is empty.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("not poisoned");
        if buckets.len() % PRUNE_EVERY == PRUNE_EVERY - 1 && !buckets.contains_key(key) {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (t, at)| *t + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// A JSON body, with API errors for every way it can be wrong.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(
                |v| {
                    let v = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                    v == "application/json" || v.ends_with("+json")
                },
            );
        if !json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge, "the body is larger than the limit")
            } else {
                ApiError::new(ErrorCode::InvalidJson, format!("unreadable body: {e}"))
            }
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let value: T = serde_path(de).map_err(|(path, e)| {
            let at =
                if path.is_empty() || path == "." { String::new() } else { format!(" at {path}") };
            ApiError::new(ErrorCode::InvalidJson, format!("invalid JSON{at}: {e}"))
        })?;
        Ok(Self(value))
    }
}

/// Deserialises, keeping the path of the first error (`items[2].features.x`).
fn serde_path<'de, T: serde::Deserialize<'de>>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, (String, serde_json::Error)> {
    let value: T = serde_path_to_error::deserialize(&mut *de)
        .map_err(|e| (e.path().to_string(), e.into_inner()))?;
    de.end().map_err(|e| (String::new(), e))?;
    Ok(value)
}

/// Path parameters, with a JSON `not_found` error when a segment cannot be read (a
/// percent-encoded byte that is not UTF-8 names nothing), instead of axum's plain text.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| Self(t))
            .map_err(|e| ApiError::not_found(format!("no such resource: {}", e.body_text())))
    }
}

/// Query parameters, with `invalid_query` errors.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded_like(q)
            .map(Self)
            .map_err(|e| ApiError::new(ErrorCode::InvalidQuery, format!("invalid query: {e}")))
    }
}

fn serde_urlencoded_like<T: DeserializeOwned>(q: &str) -> Result<T, String> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}").parse().map_err(|e: axum::http::uri::InvalidUri| e.to_string())?,
    )
    .map(|axum::extract::Query(t)| t)
    .map_err(|e| e.body_text())
}

/// Validates a département code of a query or body.
pub fn departement(field: &str, value: &str) -> Result<Departement, ApiError> {
    Departement::parse(value).map_err(|e| {
        ApiError::fields(vec![FieldError { field: field.to_owned(), problem: e.to_string() }])
    })
}
