//! The scoring API: axum on tokio, JSON under `/v1`, described by an OpenAPI document
//! generated from the handlers (`/v1/openapi.json`); and the agents' dashboard ([`web`]),
//! French pages served by the same process.
//!
//! Invariants:
//! - every error is `{"code", "message"}` with a stable code from [`error::ERROR_CODES`];
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
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

pub use config::Config;
use error::ApiError;
pub use state::{AppState, FollowUpCopy, LoadedModel, SessionEntry};

/// The router and its OpenAPI document.
pub fn app(state: Arc<AppState>) -> (Router, utoipa::openapi::OpenApi) {
    let (api, openapi) = api::api().split_for_parts();
    let doc = Arc::new(openapi.clone());
    let router = Router::new()
        .merge(api)
        .merge(web::router(&state))
        .route(
            "/v1/openapi.json",
            axum::routing::get(move || {
                let doc = Arc::clone(&doc);
                async move { axum::Json(doc.as_ref().clone()) }
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
            ApiError::new("method_not_allowed", "this route exists with another method")
        })
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), observe))
        .with_state(state);
    (router, openapi)
}

/// Timeout, `Cache-Control: no-store` by default, request log and metrics around every
/// request.
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(unmatched)".to_owned(), |m| m.as_str().to_owned());
    let timeout = Duration::from_secs_f64(state.config.request_timeout_seconds);
    let mut response = match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new("request_timeout", "the request took too long").into_response(),
    };
    // Company data must not stay in a browser's or a proxy's cache; a route that serves
    // something cacheable (the dashboard's style sheet) says so itself.
    if !response.headers().contains_key(axum::http::header::CACHE_CONTROL) {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state.metrics.request(&method, &route, status, seconds);
    tracing::info!(method, route, status, ms = seconds * 1000.0, "request");
    response
}

/// Serves until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Err(e) = state.refresh_model().await {
        tracing::warn!(code = e.body.code, "no model loaded at start: {}", e.body.message);
    }
    if let Err(e) = state.refresh_snapshot().await {
        tracing::warn!(code = e.body.code, "no score index at start: {}", e.body.message);
    }
    if let Err(e) = state.refresh_follow_ups().await {
        tracing::warn!(code = e.body.code, "follow-ups not loaded at start: {}", e.body.message);
    }
    let refresher = {
        let state = Arc::clone(&state);
        let every = Duration::from_secs_f64(state.config.model_refresh_seconds.max(1.0));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = state.refresh_model().await {
                    tracing::warn!(code = e.body.code, "model refresh failed: {}", e.body.message);
                }
                if let Err(e) = state.refresh_snapshot().await {
                    tracing::warn!(code = e.body.code, "index refresh failed: {}", e.body.message);
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
                        code = e.body.code,
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
    let result = axum::serve(listener, router).with_graceful_shutdown(shutdown).await;
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
