//! `/connexion` and `/deconnexion`: signing in with an API token, and out.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use crate::AppState;
use crate::access::audit;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::web::St;
use crate::web::render::{PageError, PageResult, WebForm, WebQuery, render};
use crate::web::session::{
    LOGIN_COOKIE, SESSION_COOKIE, Session, constant_time_eq, cookie, secure, set_cookie,
};

#[derive(Debug, Deserialize)]
pub(crate) struct SignInQuery {
    fin: Option<String>,
}

pub(crate) async fn sign_in_page(
    State(state): St,
    headers: HeaderMap,
    WebQuery(q): WebQuery<SignInQuery>,
) -> PageResult {
    let notice = q.fin.is_some().then_some("Vous êtes déconnecté.");
    Ok(sign_in_form(&state, &headers, StatusCode::OK, None, notice))
}

pub(crate) fn sign_in_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response {
    let Ok(login_csrf) = vigie_store::random_secret() else {
        return PageError::from(ApiError::internal(&"no system randomness")).into_response();
    };
    let mut r = render(
        status,
        "connexion.html",
        &context! { login_csrf => login_csrf.clone(), error, notice },
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &login_csrf, "/connexion", 3600, secure(state, headers)),
    );
    r
}

/// The rate limiter's bucket of sign-in attempts (a token with this very name would share
/// it: harmless, it only limits sign-ins).
pub(crate) const SIGN_IN_BUCKET: &str = "(sign-in)";

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    jeton: String,
    csrf: String,
}

pub(crate) async fn sign_in(
    State(state): St,
    headers: HeaderMap,
    WebForm(form): WebForm<SignInForm>,
) -> PageResult {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        let msg = "Le formulaire a expiré (ou les cookies sont bloqués) : recommencez.";
        return Ok(sign_in_form(&state, &headers, StatusCode::FORBIDDEN, Some(msg), None));
    }
    // Every attempt reads the store and a success writes a session: attempts share one
    // bucket of the rate limiter (tokens are too long to guess; this bounds the load).
    state.limiter.check(SIGN_IN_BUCKET)?;
    let token = form.jeton.trim();
    let ttl = (state.config.session_hours * 3600.0) as u64;
    let opened = if token.is_empty() || token.len() > 200 {
        None
    } else {
        state.store.open_session(token, ttl).await.map_err(ApiError::from)?
    };
    let Some((secret, session)) = opened else {
        let msg = "Jeton inconnu ou révoqué.";
        return Ok(sign_in_form(&state, &headers, StatusCode::UNAUTHORIZED, Some(msg), None));
    };
    let caller = Caller::from_token(session.token);
    audit(&state, &caller, "POST /connexion", None, None, "signed_in", None).await?;
    let mut r = Redirect::to("/alertes").into_response();
    let secure = secure(&state, &headers);
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &secret, "/", ttl, secure));
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", "/connexion", 0, secure));
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn sign_out(
    State(state): St,
    headers: HeaderMap,
    session: Session,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    state.store.end_session(&session.hash).await.map_err(ApiError::from)?;
    state.sessions.lock().expect("not poisoned").remove(&session.hash);
    audit(&state, &session.caller, "POST /deconnexion", None, None, "signed_out", None).await?;
    let mut r = Redirect::to("/connexion?fin=1").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", "/", 0, secure(&state, &headers)),
    );
    Ok(r)
}
