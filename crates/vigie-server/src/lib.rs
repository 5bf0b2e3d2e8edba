//! The scoring API: axum on tokio, JSON under `/v1`, described by an OpenAPI document
//! generated from the handlers (`/v1/openapi.json`); and the agents' dashboard ([`web`]),
//! French pages served by the same process.
//!
//! Invariants:
//! - every error is `{"code", "message"}` with a stable code from [`error::ErrorCode`];
//!   malformed input never yields a 500;
//! - an agent sees companies and alerts of its départements only: anything else is a 404
//!   (existence is not leaked) unless the request states a reason for out-of-zone access,
//!   which is then allowed and audited as such;
//! - every request that reads or changes company-level data appends to the audit log;
//! - logs and metrics name route templates, never raw paths (a path may hold a SIREN);
//! - scoring runs on compute threads (rayon's pool), off the async runtime;
//! - activating a model swaps it without dropping requests (in-flight requests finish on
//!   the model they started with).

pub mod access;
pub mod api;
pub mod audit;
pub mod config;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod snapshot;
pub mod state;
pub mod web;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

pub use config::Config;
use error::{ApiError, ErrorCode};
pub use state::{AppState, FollowUpCopy, LoadedModel, SessionEntry};

/// The router and its OpenAPI document.
pub fn app(state: Arc<AppState>) -> (Router, serde_json::Value) {
    let (api, openapi) = api::api().split_for_parts();
    let openapi = api::openapi::complete(&openapi, state.pseudo.is_some());
    let doc: axum::body::Bytes =
        serde_json::to_vec(&openapi).expect("the document serialises").into();
    let router = Router::new()
        .merge(api)
        .merge(web::router(&state))
        .route(
            "/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], doc) }
            }),
        )
        .fallback(|req: Request| async move {
            // A browser asking for a page gets the dashboard's French "Introuvable" page;
            // API clients get the JSON error.
            let html = req
                .headers()
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"));
            let e = ApiError::not_found("no such route");
            if html && !req.uri().path().starts_with("/v1/") {
                web::PageError::from(e).into_response()
            } else {
                e.into_response()
            }
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(ErrorCode::MethodNotAllowed, "this route exists with another method")
        })
        .with_state(Arc::clone(&state));
    let router = layers(router, &state);
    drop(state);
    (router, openapi)
}

/// The middleware, outermost first: the request id (`x-request-id`, kept from the client
/// or drawn, echoed in the answer); the bearer token and the session cookie marked
/// sensitive (never printed by the layers below); a trace span per request (its route
/// template recorded once routed, never the raw path: a path may hold a SIREN); a panic in
/// a handler answered as a JSON `internal_error` and counted; the bare answers of the
/// body limit and the timeout turned into the API's JSON errors; the body limit; the
/// timeout. All of it tower-http, wrapped once around the router (not around each route:
/// measured, that boxed every layer's future and body per route, and cost a third of
/// `/healthz`'s rate). Inside the router, per route, [`observe`]: metrics by route
/// template and `Cache-Control`.
pub fn layers(router: Router, state: &Arc<AppState>) -> Router {
    use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
    use tower::ServiceBuilder;
    use tower_http::catch_panic::CatchPanicLayer;
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
    use tower_http::sensitive_headers::{
        SetSensitiveRequestHeadersLayer, SetSensitiveResponseHeadersLayer,
    };
    use tower_http::timeout::TimeoutLayer;
    use tower_http::trace::TraceLayer;
    let timeout = Duration::from_secs_f64(state.config.request_timeout_seconds);
    let on_panic = {
        let state = Arc::clone(state);
        move |_: Box<dyn std::any::Any + Send + 'static>| {
            // The panic's message is in the log (the panic hook); never in the answer.
            state.metrics.panicked();
            state.metrics.count("-", "(unobserved)", 500);
            no_store(
                ApiError::new(ErrorCode::InternalError, "internal error; it was logged")
                    .into_response(),
            )
        }
    };
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!(
                "request",
                method = %req.method(),
                route = tracing::field::Empty,
                request_id = id
            )
        })
        .on_request(())
        .on_response(|r: &Response<_>, latency: Duration, _: &tracing::Span| {
            tracing::info!(
                status = r.status().as_u16(),
                ms = latency.as_secs_f64() * 1000.0,
                "request"
            );
        });
    let routed = router
        .layer(middleware::from_fn_with_state(Arc::clone(state), observe))
        .layer(axum::extract::DefaultBodyLimit::disable());
    let stack = ServiceBuilder::new()
        .map_request(sane_request_id)
        .layer(SetRequestIdLayer::x_request_id(RequestIds::new()))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION, COOKIE]))
        .layer(SetSensitiveResponseHeadersLayer::new([SET_COOKIE]))
        .layer(trace)
        .layer(CatchPanicLayer::custom(on_panic))
        .map_response({
            let state = Arc::clone(state);
            move |r: Response<_>| json_errors(&state, r)
        })
        .layer(RequestBodyLimitLayer::new(state.config.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout))
        .service(routed);
    Router::new().fallback_service(stack)
}

/// Request ids: a random prefix drawn once per process and a counter (no system call per
/// request, unlike UUIDs: measured at 4 % of `/healthz`'s time).
#[derive(Debug, Clone)]
struct RequestIds {
    prefix: u64,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl RequestIds {
    fn new() -> Self {
        use std::hash::BuildHasher as _;
        // Seeded from the system's randomness once (std's hash keys).
        let prefix = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        Self { prefix, next: Arc::new(std::sync::atomic::AtomicU64::new(0)) }
    }
}

impl tower_http::request_id::MakeRequestId for RequestIds {
    fn make_request_id<B>(
        &mut self,
        _: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{:016x}-{n:012x}", self.prefix);
        axum::http::HeaderValue::from_str(&id).ok().map(tower_http::request_id::RequestId::new)
    }
}

/// The bare answers of tower-http's timeout and body limit as the API's errors, counted
/// (as route `(unobserved)`: [`observe`] never saw them) and marked `no-store`; every
/// other answer as it is. Done here rather than in a middleware of its own: measured, one
/// more `from_fn` layer cost a tenth of the companies lookup's rate.
fn json_errors<B>(state: &AppState, r: axum::http::Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    // tower-http's answers have no type, or plain text; the dashboard's pages (HTML) and
    // the API's errors (JSON) stay as they are.
    let bare = r
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    let error = match r.status() {
        axum::http::StatusCode::REQUEST_TIMEOUT if bare => {
            ApiError::new(ErrorCode::RequestTimeout, "the request took too long")
        }
        axum::http::StatusCode::PAYLOAD_TOO_LARGE if bare => {
            ApiError::new(ErrorCode::PayloadTooLarge, "the body is larger than the limit")
        }
        _ => return r.map(axum::body::Body::new),
    };
    state.metrics.count("-", "(unobserved)", error.status.as_u16());
    no_store(error.into_response())
}

/// `Cache-Control: no-store` on an answer.
fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// `Cache-Control: no-store` by default and metrics by route template around every
/// request, whose template it records in the request's trace span.
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(unmatched)".to_owned(), |m| m.as_str().to_owned());
    tracing::Span::current().record("route", route.as_str());
    let mut response = next.run(req).await;
    // Company data must not stay in a browser's or a proxy's cache; a route that serves
    // something cacheable (the dashboard's style sheet) says so itself.
    if !response.headers().contains_key(axum::http::header::CACHE_CONTROL) {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.request(&method, &route, response.status().as_u16(), seconds);
    response
}

/// Drops a client's `x-request-id` unless it is short and plain (letters, digits, `._:-`,
/// at most 64): the id is logged with every line of the request, and must not carry
/// anything else. A new one is drawn instead.
fn sane_request_id(mut req: Request) -> Request {
    let plain = req.headers().get("x-request-id").is_none_or(|v| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= 64
            && b.iter().all(|c| c.is_ascii_alphanumeric() || b"._:-".contains(c))
    });
    if !plain {
        req.headers_mut().remove("x-request-id");
    }
    req
}

/// Serves until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Err(e) = state.refresh_model().await {
        tracing::warn!(code = e.body.code.as_str(), "no model loaded at start: {}", e.body.message);
    }
    match state.refresh_self_model().await {
        Ok(Some(_)) => {}
        Ok(None) => tracing::info!(
            "no active self-diagnosis model: /diagnostic and POST /v1/self-assessment answer 503"
        ),
        Err(e) => tracing::warn!(
            code = e.body.code.as_str(),
            "no self-diagnosis model loaded at start: {}",
            e.body.message
        ),
    }
    if let Err(e) = state.refresh_snapshot().await {
        tracing::warn!(code = e.body.code.as_str(), "no score index at start: {}", e.body.message);
    }
    if let Err(e) = state.refresh_follow_ups().await {
        tracing::warn!(
            code = e.body.code.as_str(),
            "follow-ups not loaded at start: {}",
            e.body.message
        );
    }
    let refresher = {
        let state = Arc::clone(&state);
        let every = Duration::from_secs_f64(state.config.model_refresh_seconds.max(1.0));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                for refreshed in [state.refresh_model().await, state.refresh_self_model().await] {
                    if let Err(e) = refreshed {
                        tracing::warn!(
                            code = e.body.code.as_str(),
                            "model refresh failed: {}",
                            e.body.message
                        );
                    }
                }
                if let Err(e) = state.refresh_snapshot().await {
                    tracing::warn!(
                        code = e.body.code.as_str(),
                        "index refresh failed: {}",
                        e.body.message
                    );
                }
            }
        })
    };
    // Checkpoints of SQLite's write-ahead log, off the request path (audit commits would
    // otherwise pay for them now and then).
    let checkpointer = {
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                // Follow-ups written by other instances, within a second.
                if let Err(e) = state.refresh_follow_ups().await {
                    tracing::warn!(
                        code = e.body.code.as_str(),
                        "follow-up refresh failed: {}",
                        e.body.message
                    );
                }
                // Every 250 ms: small checkpoints are short. Measured on `GET
                // /v1/companies/{id}` under load: every 30 s, 2 s and 1 s gave longer stalls
                // of the audit commits; at 1 s the p99 was 4.9–6.4 ms, at 250 ms 2.9–3.2 ms.
                if let Err(e) = state.store.checkpoint().await {
                    tracing::warn!("checkpoint failed: {e}");
                }
            }
        })
    };
    let (router, _) = app(state);
    // The connection's address: the public self-diagnosis is rate limited by it.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    refresher.abort();
    checkpointer.abort();
    result
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: draining requests");
}
