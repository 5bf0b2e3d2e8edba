//! Dashboard sessions: the session cookie exchanged for an API token at sign-in, the CSRF
//! secret every form carries, and the cookies' attributes.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use super::render::PageError;
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::Caller;

/// The session cookie.
pub const SESSION_COOKIE: &str = "vigie_session";

/// The sign-in form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "vigie_connexion";

/// The signed-in user, as the header shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Who {
    name: String,
    pub(crate) scope: String,
    #[serde(skip)]
    pub(crate) csrf: String,
}

/// A signed-in dashboard user: the caller (same rules as the API) and the session's CSRF
/// secret. Without a live session, a request is redirected to the sign-in page.
#[derive(Debug, Clone)]
pub struct Session {
    /// The caller.
    pub caller: Caller,
    /// The secret every form must carry.
    pub csrf: String,
    pub(crate) hash: String,
}

impl Session {
    pub(crate) fn who(&self) -> Who {
        let scope = if self.caller.national() {
            "national".to_owned()
        } else if self.caller.territories.len() == 1 {
            format!("département {}", self.caller.territories[0])
        } else {
            format!("départements {}", self.caller.territories.join(", "))
        };
        Who { name: self.caller.name.clone(), scope, csrf: self.csrf.clone() }
    }

    /// `forbidden` unless `form_csrf` is this session's secret.
    pub(crate) fn check(&self, form_csrf: &str) -> Result<(), PageError> {
        if constant_time_eq(form_csrf.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(self.error(ApiError::new(ErrorCode::Forbidden, "missing or wrong CSRF token")))
        }
    }

    pub(crate) fn error(&self, e: ApiError) -> PageError {
        PageError { error: Box::new(e), who: Some(Box::new(self.who())) }
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name`.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Whether cookies must be `Secure`: configured so, or the request came over TLS through
/// a proxy.
pub(crate) fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

pub(crate) fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: u64,
    secure: bool,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("cookie values are hex")
}

pub(crate) fn to_sign_in() -> Response {
    Redirect::to("/connexion").into_response()
}

impl FromRequestParts<Arc<AppState>> for Session {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE)
            .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            return Err(to_sign_in());
        };
        let hash = vigie_store::hash_token(secret);
        let ttl = std::time::Duration::from_secs_f64(state.config.token_cache_seconds);
        let cached = state.sessions.lock().expect("not poisoned").get(&hash).cloned();
        let found = match cached {
            Some((found, at)) if at.elapsed() < ttl => found,
            _ => {
                let found = state
                    .store
                    .session(&hash)
                    .await
                    .map_err(|e| PageError::from(ApiError::from(e)).into_response())?
                    .map(|s| (Caller::from_token(s.token), s.csrf));
                // Only live sessions are cached: random cookies must not fill the cache.
                if found.is_some() {
                    let mut sessions = state.sessions.lock().expect("not poisoned");
                    if sessions.len() > 10_000 {
                        sessions.retain(|_, (_, at)| at.elapsed() < ttl);
                    }
                    sessions.insert(hash.clone(), (found.clone(), Instant::now()));
                }
                found
            }
        };
        let Some((caller, csrf)) = found else { return Err(to_sign_in()) };
        if let Err(e) = state.limiter.check(&caller.name) {
            return Err(PageError::from(e).into_response());
        }
        parts.extensions.insert(caller.clone());
        Ok(Self { caller, csrf, hash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_and_secrets_compared_in_constant_time() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; vigie_session=abc ; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
