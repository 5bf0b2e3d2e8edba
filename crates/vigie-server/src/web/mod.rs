//! The dashboard: French pages rendered on the server (minijinja templates, inline SVG
//! charts), served by the API's process from assets embedded in the binary.
//!
//! Invariants:
//! - a page works without JavaScript (there is none) and without any external resource;
//! - sign-in exchanges an API token for a session cookie (`HttpOnly`, `SameSite=Strict`,
//!   `Secure` when served over TLS); the store keeps the session's hash only, and revoking
//!   the token ends its sessions;
//! - every form carries the session's CSRF secret (sign-in: a double-submit cookie), and a
//!   form without the right one changes nothing (403);
//! - company data goes through the API's own functions: the same territorial rules, the
//!   same 404 outside an agent's territory, the same audit rows (with the page's route);
//! - pages are never cached by the browser (`Cache-Control: no-store`) and a strict
//!   content security policy forbids scripts.

pub mod charts;
pub mod fr;
mod pages;
mod render;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::AppState;

pub use render::PageError;
pub use session::{LOGIN_COOKIE, SESSION_COOKIE, Session};

pub(crate) type St = State<Arc<AppState>>;

const CSS: &str = include_str!("../../templates/vigie.css");

/// The dashboard's routes.
pub fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/alertes") }))
        .route("/connexion", get(pages::connexion::sign_in_page).post(pages::connexion::sign_in))
        .route("/deconnexion", post(pages::connexion::sign_out))
        .route("/alertes", get(pages::alertes::alerts))
        .route("/alertes/export.csv", get(pages::alertes::export))
        .route("/recherche", post(pages::entreprise::search))
        .route("/entreprises/{id}", get(pages::entreprise::company))
        .route("/entreprises/{id}/suivi", post(pages::entreprise::follow_up))
        .route("/entreprises/{id}/avis", post(pages::entreprise::feedback))
        .route("/executions", get(pages::executions::runs))
        .route("/suivi", get(pages::suivi::page))
        .route("/diagnostic", get(pages::diagnostic::form).post(pages::diagnostic::answer))
        .route("/static/vigie.css", get(css))
        .layer(middleware::from_fn_with_state(Arc::clone(state), headers))
}

/// Security headers on every dashboard response.
async fn headers(State(_): St, req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}
