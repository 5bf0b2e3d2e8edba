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
mod suivi;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value, context};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use vigie_core::{Departement, Naf};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::routes::{self, AlertsQuery, CompanyResponse, FeedbackRequest, FollowUpRequest};

type St = State<Arc<AppState>>;

/// The session cookie.
pub const SESSION_COOKIE: &str = "vigie_session";
/// The sign-in form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "vigie_connexion";
const CSS: &str = include_str!("../../templates/vigie.css");

/// The dashboard's routes.
pub fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/alertes") }))
        .route("/connexion", get(sign_in_page).post(sign_in))
        .route("/deconnexion", post(sign_out))
        .route("/alertes", get(alerts))
        .route("/alertes/export.csv", get(export))
        .route("/recherche", post(search))
        .route("/entreprises/{id}", get(company))
        .route("/entreprises/{id}/suivi", post(follow_up))
        .route("/entreprises/{id}/avis", post(feedback))
        .route("/executions", get(runs))
        .route("/suivi", get(suivi::page))
        .route("/static/vigie.css", get(css))
        .layer(middleware::from_fn_with_state(Arc::clone(state), headers))
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in [
            ("base.html", include_str!("../../templates/base.html")),
            ("connexion.html", include_str!("../../templates/connexion.html")),
            ("erreur.html", include_str!("../../templates/erreur.html")),
            ("alertes.html", include_str!("../../templates/alertes.html")),
            ("entreprise.html", include_str!("../../templates/entreprise.html")),
            ("executions.html", include_str!("../../templates/executions.html")),
            ("suivi.html", include_str!("../../templates/suivi.html")),
        ] {
            env.add_template(name, source).expect("the embedded templates parse");
        }
        env
    })
}

/// A serialisable value as a template value.
fn ser<T: Serialize>(x: T) -> Value {
    Value::from(minijinja::value::Serde(x))
}

/// Renders a template into an HTML response.
fn render(status: StatusCode, name: &str, ctx: &Value) -> Response {
    match templates().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => {
            (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
        }
        Err(e) => {
            tracing::error!(template = name, error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "erreur interne de rendu").into_response()
        }
    }
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

// ---------------------------------------------------------------------------------------
// Errors as pages.

/// An error shown as a page (the API error's status, a French title and message).
#[derive(Debug)]
pub struct PageError {
    error: Box<ApiError>,
    /// The signed-in user, for the page's header.
    who: Option<Box<Who>>,
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        Self { error: Box::new(error), who: None }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = &self.error;
        let (title, message) = match e.status.as_u16() {
            401 => ("Connexion requise", "Connectez-vous pour consulter cette page."),
            403 => (
                "Action refusée",
                "Le formulaire a expiré ou votre rôle ne permet pas cette action. Rechargez la \
                 page et recommencez.",
            ),
            404 => (
                "Introuvable",
                "Cette page ou cette entreprise n'existe pas, ou elle n'est pas dans votre \
                 territoire.",
            ),
            400 | 413 | 415 | 422 => {
                ("Saisie invalide", "La demande contient une valeur invalide.")
            }
            408 => ("Délai dépassé", "La demande a pris trop de temps. Réessayez."),
            429 => ("Trop de demandes", "Trop de demandes en peu de temps. Patientez un instant."),
            _ => ("Service indisponible", "Une erreur est survenue ; elle a été journalisée."),
        };
        // Internal details never reach the page.
        let detail =
            (e.status.as_u16() < 500 && e.status.as_u16() != 404).then(|| e.body.message.clone());
        let who = self.who.as_deref();
        let mut r = render(
            e.status,
            "erreur.html",
            &context! {
                title, message, detail, code => e.body.code,
                who => who.map(ser), csrf => who.map(|w| w.csrf.clone()),
            },
        );
        if let Some(s) = e.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

type PageResult = Result<Response, PageError>;

/// A page's path parameters: the API's extractor ([`ApiPath`]), its error shown as a page
/// (an unreadable segment is the "Introuvable" page, not axum's plain text).
struct WebPath<T>(T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for WebPath<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        let ApiPath(t) = ApiPath::from_request_parts(parts, state).await?;
        Ok(Self(t))
    }
}

/// A page's query string: the API's extractor ([`ApiQuery`]), its error shown as a page
/// ("Saisie invalide").
struct WebQuery<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for WebQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        let ApiQuery(t) = ApiQuery::from_request_parts(parts, state).await?;
        Ok(Self(t))
    }
}

// ---------------------------------------------------------------------------------------
// Sessions.

/// The signed-in user, as the header shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Who {
    name: String,
    scope: String,
    #[serde(skip)]
    csrf: String,
}

/// A signed-in dashboard user: the caller (same rules as the API) and the session's CSRF
/// secret. Without a live session, a request is redirected to the sign-in page.
#[derive(Debug, Clone)]
pub struct Session {
    /// The caller.
    pub caller: Caller,
    /// The secret every form must carry.
    pub csrf: String,
    hash: String,
}

impl Session {
    fn who(&self) -> Who {
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
    fn check(&self, form_csrf: &str) -> Result<(), PageError> {
        if constant_time_eq(form_csrf.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(self.error(ApiError::new("forbidden", "missing or wrong CSRF token")))
        }
    }

    fn error(&self, e: ApiError) -> PageError {
        PageError { error: Box::new(e), who: Some(Box::new(self.who())) }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name`.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(name: &str, value: &str, path: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("cookie values are hex")
}

fn to_sign_in() -> Response {
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

/// A form body, with a page for every way it can be wrong.
#[derive(Debug)]
pub struct WebForm<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for WebForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        axum::Form::<T>::from_request(req, state).await.map(|f| Self(f.0)).map_err(|e| {
            let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "payload_too_large"
            } else if e.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                "unsupported_media_type"
            } else {
                "invalid_query"
            };
            PageError::from(ApiError::new(code, e.body_text()))
        })
    }
}

// ---------------------------------------------------------------------------------------
// Sign-in and sign-out.

#[derive(Debug, Deserialize)]
struct SignInQuery {
    fin: Option<String>,
}

async fn sign_in_page(
    State(state): St,
    headers: HeaderMap,
    WebQuery(q): WebQuery<SignInQuery>,
) -> PageResult {
    let notice = q.fin.is_some().then_some("Vous êtes déconnecté.");
    Ok(sign_in_form(&state, &headers, StatusCode::OK, None, notice))
}

fn sign_in_form(
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
const SIGN_IN_BUCKET: &str = "(sign-in)";

#[derive(Debug, Deserialize)]
struct SignInForm {
    jeton: String,
    csrf: String,
}

async fn sign_in(
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
    routes::audit(&state, &caller, "POST /connexion", None, None, "signed_in", None).await?;
    let mut r = Redirect::to("/alertes").into_response();
    let secure = secure(&state, &headers);
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &secret, "/", ttl, secure));
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", "/connexion", 0, secure));
    Ok(r)
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn sign_out(
    State(state): St,
    headers: HeaderMap,
    session: Session,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    state.store.end_session(&session.hash).await.map_err(ApiError::from)?;
    state.sessions.lock().expect("not poisoned").remove(&session.hash);
    routes::audit(&state, &session.caller, "POST /deconnexion", None, None, "signed_out", None)
        .await?;
    let mut r = Redirect::to("/connexion?fin=1").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", "/", 0, secure(&state, &headers)),
    );
    Ok(r)
}

// ---------------------------------------------------------------------------------------
// Alerts.

/// The alert list's query string: the API's filters, where an empty value (a select left
/// on "all") means no filter.
/// Unknown parameters are ignored (a link may carry tracking parameters); the API, not
/// the pages, is strict about them.
#[derive(Debug, Default, Clone, Deserialize)]
struct ListQuery {
    departement: Option<String>,
    naf_section: Option<String>,
    level: Option<String>,
    first_only: Option<String>,
    size_band: Option<String>,
    follow_up: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    page: Option<u32>,
}

impl ListQuery {
    fn api(&self, paged: bool) -> AlertsQuery {
        let some = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        AlertsQuery {
            departement: some(&self.departement),
            naf_section: some(&self.naf_section),
            level: some(&self.level),
            first_only: self.first_only.as_deref().map(|v| v == "true" || v == "on"),
            size_band: some(&self.size_band),
            follow_up: some(&self.follow_up),
            sort: some(&self.sort),
            cursor: if paged { some(&self.cursor) } else { None },
            ..AlertsQuery::default()
        }
    }

    /// The query string of these filters (no cursor), plus `extra`.
    fn url(&self, path: &str, extra: &[(&str, String)]) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("departement", &self.departement),
            ("naf_section", &self.naf_section),
            ("level", &self.level),
            ("size_band", &self.size_band),
            ("follow_up", &self.follow_up),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().filter(|s| !s.is_empty()).map(|v| (k, v.clone())))
        .collect();
        if self.first_only.as_deref().is_some_and(|v| v == "true" || v == "on") {
            pairs.push(("first_only", "true".into()));
        }
        pairs.extend(extra.iter().cloned());
        if pairs.is_empty() {
            return path.to_owned();
        }
        let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        format!("{path}?{}", q.join("&"))
    }
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[derive(Debug, Serialize)]
struct Opt {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Debug, Serialize)]
struct Select {
    name: &'static str,
    label: &'static str,
    options: Vec<Opt>,
}

fn select(
    name: &'static str,
    label: &'static str,
    all: &str,
    current: Option<&str>,
    values: impl IntoIterator<Item = (String, String)>,
) -> Select {
    let current = current.unwrap_or("");
    let mut options =
        vec![Opt { value: String::new(), label: all.to_owned(), selected: current.is_empty() }];
    options.extend(values.into_iter().map(|(value, label)| Opt {
        selected: value == current,
        value,
        label,
    }));
    Select { name, label, options }
}

#[derive(Debug, Serialize)]
struct AlertRow {
    company_id: String,
    level: String,
    level_label: &'static str,
    departement: String,
    naf: String,
    naf_section_label: String,
    size_label: &'static str,
    p_18m: String,
    first_alert: bool,
    follow_up_label: &'static str,
}

async fn alerts(
    State(state): St,
    session: Session,
    WebQuery(q): WebQuery<ListQuery>,
) -> PageResult {
    let caller = &session.caller;
    let page = routes::alerts_page(&state, caller, &q.api(true), "GET /alertes")
        .await
        .map_err(|e| session.error(e))?;
    let month = state
        .store
        .run_summary(&page.run_id)
        .await
        .map_err(|e| session.error(e.into()))?
        .map(|r| r.month)
        .unwrap_or_default();
    let count = |l: &str| page.counts.get(l).copied().unwrap_or(0);
    let counts: Vec<_> = ["red", "orange"]
        .iter()
        .map(
            |l| context! { level => *l, label => fr::level(l), value => fr::small_count(count(l)) },
        )
        .collect();
    let departements: Vec<(String, String)> = if caller.national() {
        Departement::all().iter().map(|d| (d.as_str().to_owned(), d.as_str().to_owned())).collect()
    } else {
        caller.territories.iter().map(|d| (d.clone(), d.clone())).collect()
    };
    let selects = vec![
        select("departement", "Département", "Tous", q.departement.as_deref(), departements),
        select(
            "level",
            "Niveau",
            "Rouge et orange",
            q.level.as_deref(),
            ["red", "orange"].map(|l| (l.to_owned(), fr::level(l).to_owned())),
        ),
        select(
            "naf_section",
            "Secteur (section NAF)",
            "Tous",
            q.naf_section.as_deref(),
            Naf::sections().into_iter().map(|c| (c.to_string(), fr::naf_section(&c.to_string()))),
        ),
        select(
            "size_band",
            "Taille",
            "Toutes",
            q.size_band.as_deref(),
            fr::SIZE_BANDS.map(|b| (b.to_owned(), fr::size_band(b).to_owned())),
        ),
        select(
            "follow_up",
            "Suivi",
            "Tous",
            q.follow_up.as_deref(),
            fr::FOLLOW_UPS.map(|s| (s.to_owned(), fr::follow_up(s).to_owned())),
        ),
        select(
            "sort",
            "Tri",
            "Risque décroissant",
            q.sort.as_deref(),
            [("risk_asc", "Risque croissant"), ("departement", "Département")]
                .map(|(v, l)| (v.to_owned(), l.to_owned())),
        ),
    ];
    let sort_label = match q.sort.as_deref() {
        Some("risk_asc") => "par risque croissant",
        Some("departement") => "par département",
        _ => "par risque décroissant",
    };
    let page_number = q.page.unwrap_or(1).max(1);
    let items: Vec<AlertRow> = page
        .items
        .into_iter()
        .map(|a| AlertRow {
            level_label: fr::level(&a.level),
            naf_section_label: fr::naf_section(&a.naf_section),
            size_label: fr::size_band(&a.size_band),
            p_18m: fr::percent(a.p_18m),
            follow_up_label: fr::follow_up(&a.follow_up),
            first_alert: a.first_alert,
            company_id: a.company_id,
            level: a.level,
            departement: a.departement,
            naf: a.naf,
        })
        .collect();
    let next_url = page.next_cursor.as_ref().map(|c| {
        q.url(
            "/alertes",
            &[("cursor", c.clone()), ("page", page_number.saturating_add(1).to_string())],
        )
    });
    let first_url = q.cursor.as_ref().map(|_| q.url("/alertes", &[]));
    Ok(render(
        StatusCode::OK,
        "alertes.html",
        &context! {
            page => "alertes", who => ser(session.who()), csrf => &session.csrf,
            run_id => page.run_id, month, scope => session.who().scope,
            counts, selects => ser(&selects), first_only => q.api(false).first_only.unwrap_or(false),
            items => ser(&items), next_url, first_url, page_number, sort_label,
            export_url => q.url("/alertes/export.csv", &[]),
        },
    ))
}

async fn export(
    State(state): St,
    session: Session,
    WebQuery(q): WebQuery<ListQuery>,
) -> PageResult {
    let csv = routes::export_csv(&state, &session.caller, &q.api(false), "GET /alertes/export.csv")
        .await
        .map_err(|e| session.error(e))?;
    Ok(routes::csv_response(csv))
}

// ---------------------------------------------------------------------------------------
// Companies.

#[derive(Debug, Deserialize)]
struct SearchForm {
    csrf: String,
    id: String,
    motif: Option<String>,
}

/// The page of a company, with the out-of-zone reason when there is one.
fn company_url(id: &str, reason: Option<&str>, extra: Option<&str>) -> String {
    let mut q = Vec::new();
    if let Some(r) = reason.map(str::trim).filter(|r| !r.is_empty()) {
        q.push(format!("motif={}", encode(r)));
    }
    if let Some(e) = extra {
        q.push(e.to_owned());
    }
    if q.is_empty() {
        format!("/entreprises/{id}")
    } else {
        format!("/entreprises/{id}?{}", q.join("&"))
    }
}

async fn search(
    State(state): St,
    session: Session,
    WebForm(form): WebForm<SearchForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let raw = form.id.trim().replace(' ', "");
    // A SIREN is pseudonymised here, so that it never appears in a URL.
    let id = routes::company_id(&state, &raw).map_err(|e| session.error(e))?;
    Ok(Redirect::to(&company_url(&id, form.motif.as_deref(), None)).into_response())
}

#[derive(Debug, Deserialize)]
struct CompanyQuery {
    motif: Option<String>,
    ok: Option<String>,
}

#[derive(Debug, Serialize)]
struct FactorView {
    sentence: String,
    contribution: String,
}

/// The stored explanation (see `vigie-batch`'s `explanation_json`).
#[derive(Debug, Deserialize)]
struct StoredExplanation {
    bias: f64,
    margin: f64,
    groups: BTreeMap<String, f64>,
    #[serde(default)]
    concerning: Vec<StoredFactor>,
    #[serde(default)]
    reassuring: Vec<StoredFactor>,
}

#[derive(Debug, Deserialize)]
struct StoredFactor {
    feature: String,
    value: Option<f64>,
    contribution: f64,
    value_6m_ago: Option<f64>,
}

fn changes(c: &CompanyResponse) -> Vec<String> {
    let ch = &c.changes;
    let mut out = Vec::new();
    match (&ch.previous_level, ch.previous_p_18m) {
        (Some(before), Some(p)) => {
            let now = fr::level(&c.latest.level);
            if before == &c.latest.level {
                out.push(format!("Niveau inchangé : {now}."));
            } else {
                out.push(format!("Niveau : {} → {now}.", fr::level(before)));
            }
            out.push(format!(
                "Probabilité à 18 mois : {} → {} ({} points de pourcentage).",
                fr::percent(p),
                fr::percent(c.latest.p.m18),
                fr::signed((c.latest.p.m18 - p) * 100.0)
            ));
        }
        _ => out.push("Pas de score à l'exécution précédente.".into()),
    }
    if ch.first_alert {
        out.push("C'est une première alerte.".into());
    }
    if ch.escalated {
        out.push("L'alerte est passée d'orange à rouge.".into());
    }
    if ch.de_escalated {
        out.push("Le niveau d'alerte a baissé.".into());
    }
    out
}

async fn company(
    State(state): St,
    session: Session,
    WebPath(id): WebPath<String>,
    WebQuery(q): WebQuery<CompanyQuery>,
) -> PageResult {
    let reason = q.motif.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let c = routes::company_view(&state, &session.caller, "GET /entreprises/{id}", &id, reason)
        .await
        .map_err(|e| session.error(e))?;
    let p = &c.latest.p;
    let probabilities: Vec<_> =
        [("6 mois", p.m6), ("12 mois", p.m12), ("18 mois", p.m18), ("24 mois", p.m24)]
            .iter()
            .map(|(h, v)| context! { horizon => *h, value => fr::percent(*v) })
            .collect();
    let history_points: Vec<(String, f64, String)> =
        c.history.iter().map(|h| (h.month.clone(), h.p_18m, h.level.clone())).collect();
    let history: Vec<_> = c
        .history
        .iter()
        .map(|h| {
            context! {
                month => h.month.clone(), run_id => h.run_id.clone(), p_18m => fr::percent(h.p_18m),
                level => h.level.clone(), level_label => fr::level(&h.level),
            }
        })
        .collect();
    let explanation: Option<StoredExplanation> =
        c.latest.explanation.clone().and_then(|v| serde_json::from_value(v).ok());
    let (mut groups_view, mut waterfall, mut concerning, mut reassuring) =
        (Vec::new(), String::new(), Vec::new(), Vec::new());
    let (mut bias, mut margin) = (String::new(), String::new());
    if let Some(e) = &explanation {
        // Largest effects first.
        let mut groups: Vec<(String, f64)> =
            e.groups.iter().map(|(g, v)| (fr::group(g).to_owned(), *v)).collect();
        groups.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        waterfall = charts::waterfall("cascade", e.bias, &groups, e.margin);
        groups_view = groups
            .iter()
            .map(|(g, v)| {
                let effect = if *v >= 0.0 { "augmente le risque" } else { "réduit le risque" };
                context! { label => g, contribution => fr::signed(*v), effect }
            })
            .collect();
        let view = |f: &StoredFactor| FactorView {
            sentence: fr::factor(&f.feature, f.value, f.value_6m_ago),
            contribution: fr::log_odds(f.contribution),
        };
        concerning = e.concerning.iter().map(view).collect();
        reassuring = e.reassuring.iter().map(view).collect();
        bias = fr::signed(e.bias);
        margin = fr::signed(e.margin);
    }
    let follow_ups: Vec<_> = c
        .follow_up
        .history
        .iter()
        .rev()
        .map(|f| {
            context! {
                status => fr::follow_up(&f.status), at => format!("{} UTC", f.at.replace('T', " ").trim_end_matches('Z')),
                author => f.author.clone(), note => f.note.clone(),
            }
        })
        .collect();
    let statuses: Vec<Opt> = fr::FOLLOW_UPS
        .iter()
        .map(|s| Opt {
            value: (*s).to_owned(),
            label: fr::follow_up(s).to_owned(),
            selected: *s == c.follow_up.status,
        })
        .collect();
    let notice = match q.ok.as_deref() {
        Some("suivi") => Some("Suivi enregistré."),
        Some("avis") => Some("Merci, votre avis est enregistré."),
        _ => None,
    };
    let changes = changes(&c);
    let view = context! {
        company_id => c.company_id.clone(), level => c.latest.level.clone(), level_label => fr::level(&c.latest.level),
        departement => c.departement, region => c.region, naf => c.naf,
        naf_section_label => fr::naf_section(&c.naf_section), size_label => fr::size_band(&c.size_band),
        in_latest_run => c.latest.in_latest_run,
        run_id => c.latest.run_id, month => c.latest.month,
        follow_up_label => fr::follow_up(&c.follow_up.status), follow_ups,
        out_of_zone => c.access == "out_of_zone", reason,
        probabilities,
        term_chart => Value::from_safe_string(charts::term_structure("horizons", [p.m6, p.m12, p.m18, p.m24])),
        history, history_chart => Value::from_safe_string(charts::history("historique", &history_points)),
        explained => explanation.is_some(), waterfall_chart => Value::from_safe_string(waterfall),
        groups => groups_view, bias, margin,
        concerning => ser(&concerning), reassuring => ser(&reassuring),
        changes,
    };
    Ok(render(
        StatusCode::OK,
        "entreprise.html",
        &context! {
            page => "entreprise", who => ser(session.who()), csrf => &session.csrf,
            c => view, statuses => ser(&statuses), notice,
        },
    ))
}

#[derive(Debug, Deserialize)]
struct FollowUpForm {
    csrf: String,
    status: String,
    note: Option<String>,
    motif: Option<String>,
}

async fn follow_up(
    State(state): St,
    session: Session,
    WebPath(id): WebPath<String>,
    WebForm(form): WebForm<FollowUpForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let reason = form.motif.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let req = FollowUpRequest { status: form.status, note: form.note };
    routes::set_follow_up(
        &state,
        &session.caller,
        "POST /entreprises/{id}/suivi",
        &id,
        reason,
        req,
    )
    .await
    .map_err(|e| session.error(e))?;
    // Back to the page under the pseudonymous id, even if the path held a SIREN.
    let id = routes::company_id(&state, &id).map_err(|e| session.error(e))?;
    Ok(Redirect::to(&company_url(&id, reason, Some("ok=suivi"))).into_response())
}

#[derive(Debug, Deserialize)]
struct FeedbackForm {
    csrf: String,
    utile: String,
    raison: Option<String>,
    motif: Option<String>,
}

async fn feedback(
    State(state): St,
    session: Session,
    WebPath(id): WebPath<String>,
    WebForm(form): WebForm<FeedbackForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let useful = match form.utile.as_str() {
        "oui" => true,
        "non" => false,
        _ => return Err(session.error(ApiError::field("utile", "oui or non"))),
    };
    let reason = form.motif.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let req = FeedbackRequest { useful, reason: form.raison.filter(|r| !r.trim().is_empty()) };
    routes::give_feedback(&state, &session.caller, "POST /entreprises/{id}/avis", &id, reason, req)
        .await
        .map_err(|e| session.error(e))?;
    let id = routes::company_id(&state, &id).map_err(|e| session.error(e))?;
    Ok(Redirect::to(&company_url(&id, reason, Some("ok=avis"))).into_response())
}

// ---------------------------------------------------------------------------------------
// Runs and the model card.

/// The parts of a run report the page shows.
#[derive(Debug, Default, Deserialize)]
struct ReportView {
    #[serde(default)]
    alerts_by_departement: BTreeMap<String, BTreeMap<String, i64>>,
    #[serde(default)]
    drift: Option<DriftView>,
}

#[derive(Debug, Default, Deserialize)]
struct DriftView {
    score: Option<f64>,
    #[serde(default)]
    warnings: Vec<WarningView>,
}

#[derive(Debug, Deserialize)]
struct WarningView {
    what: String,
    psi: f64,
    severity: String,
}

/// Markdown to HTML, with any raw HTML of the source escaped and headings moved two levels
/// down (the card sits under the page's `h2`).
fn markdown(md: &str) -> String {
    use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
    let down = |l: HeadingLevel| HeadingLevel::try_from((l as usize + 2).min(6)).unwrap_or(l);
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES).map(move |e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        Event::Start(Tag::Heading { level, id, classes, attrs }) => {
            Event::Start(Tag::Heading { level: down(level), id, classes, attrs })
        }
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(down(level))),
        // Links and images would make every reader's browser request their address: only
        // their text is kept.
        Event::Start(Tag::Link { .. } | Tag::Image { .. })
        | Event::End(TagEnd::Link | TagEnd::Image) => Event::Text("".into()),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

async fn runs(State(state): St, session: Session) -> PageResult {
    let caller = &session.caller;
    let err = |e: vigie_store::Error| session.error(e.into());
    let all = state.store.runs().await.map_err(err)?;
    let rows: Vec<_> = all
        .iter()
        .map(|r| {
            context! {
                run_id => r.run_id.clone(), month => r.month.clone(), model_version => r.model_version.clone(),
                scored => fr::count(r.scored), red => fr::small_count(r.red), orange => fr::small_count(r.orange),
                rejected => fr::count(r.rejected),
                finished_at => format!("{} UTC", r.finished_at.replace('T', " ").trim_end_matches('Z')),
            }
        })
        .collect();
    // Oldest first, the last twelve.
    // `all` is newest first: the first run of each month is its latest.
    let mut series: Vec<(String, i64, i64)> = Vec::new();
    for r in &all {
        if !series.iter().any(|s| s.0 == r.month) {
            series.push((r.month.clone(), r.red, r.orange));
        }
    }
    series.reverse();
    let series = &series[series.len().saturating_sub(12)..];
    let volumes_chart =
        (!series.is_empty()).then(|| Value::from_safe_string(charts::volumes("volumes", series)));
    let latest = match state.store.latest_run().await.map_err(err)? {
        Some(r) => {
            let report: ReportView = serde_json::from_str(&r.report).unwrap_or_default();
            let departements: Vec<_> = report
                .alerts_by_departement
                .iter()
                .filter(|(d, _)| caller.covers(d))
                .map(|(d, by)| {
                    let n = |l: &str| fr::small_count(by.get(l).copied().unwrap_or(0));
                    context! { departement => d, red => n("red"), orange => n("orange") }
                })
                .collect();
            let drift = report.drift.unwrap_or_default();
            let warnings: Vec<_> = drift
                .warnings
                .iter()
                .map(|w| {
                    let severity = if w.severity == "major" { "forte" } else { "modérée" };
                    let what = if w.what == "score" {
                        "Probabilité à 18 mois (score)".to_owned()
                    } else {
                        vigie_core::features::CATALOGUE
                            .iter()
                            .find(|f| f.name == w.what)
                            .map_or_else(
                                || w.what.clone(),
                                |f| format!("{} ({})", f.label_fr, f.name),
                            )
                    };
                    context! { what, psi => fr::number(w.psi, 3), severity }
                })
                .collect();
            Some(context! {
                run_id => r.run_id, departements, drift => warnings,
                psi_score => drift.score.map(|p| fr::number(p, 4)),
            })
        }
        None => None,
    };
    let model = state.store.active_model().await.map_err(err)?.map(|m| {
        context! {
            version => m.version, name => m.name, family => m.family,
            registered_at => format!("{} UTC", m.registered_at.replace('T', " ").trim_end_matches('Z')),
            card => m.card.as_deref().map(|c| Value::from_safe_string(markdown(c))),
        }
    });
    Ok(render(
        StatusCode::OK,
        "executions.html",
        &context! {
            page => "executions", who => ser(session.who()), csrf => &session.csrf,
            runs => rows, volumes_chart, latest, model,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_cookies_are_read() {
        let _ = templates();
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; vigie_session=abc ; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn markdown_keeps_no_raw_html() {
        let html =
            markdown("# Card\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h3>Card</h3>") && html.contains("<table>"));
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    }

    #[test]
    fn list_urls_keep_filters_and_encode() {
        let q = ListQuery {
            departement: Some("21".into()),
            level: Some(String::new()),
            first_only: Some("true".into()),
            ..ListQuery::default()
        };
        assert_eq!(
            q.url("/alertes", &[("cursor", "a b".into())]),
            "/alertes?departement=21&first_only=true&cursor=a%20b"
        );
        let api = q.api(true);
        assert_eq!(api.level, None);
        assert_eq!(api.first_only, Some(true));
    }
}
