//! The JSON API under `/v1`: one room per resource, each with its wire types and OpenAPI
//! descriptions. The territory and audit rules it shares with the dashboard are in
//! [`crate::access`].

pub mod alerts;
pub mod companies;
pub mod diagnosis;
pub mod models;
pub mod monitoring;
pub mod openapi;
pub mod operations;
pub mod runs;
pub mod score;

use std::sync::Arc;

use axum::extract::State;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

pub(crate) type St = State<Arc<AppState>>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigie API",
        description = "Early warning of business failures: calibrated probabilities, alert \
                       levels and explanations, scoped by territory. Every error is \
                       `{\"code\", \"message\"}` (see docs/api.md).",
        license(name = "EUPL-1.2")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The routes and their OpenAPI document.
pub fn api() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(score::score))
        .routes(routes!(diagnosis::self_assessment))
        .routes(routes!(companies::company))
        .routes(routes!(companies::follow_up))
        .routes(routes!(companies::feedback))
        .routes(routes!(alerts::alerts))
        .routes(routes!(alerts::export))
        .routes(routes!(runs::runs))
        .routes(routes!(runs::run))
        .routes(routes!(monitoring::monitoring))
        .routes(routes!(models::models))
        .routes(routes!(models::activate))
        .routes(routes!(operations::healthz))
        .routes(routes!(operations::readyz))
        .routes(routes!(operations::metrics))
}

/// Runs CPU-bound work (scoring, explanations) on the compute threads (rayon's pool, one
/// per core), off the async runtime, and awaits its result. Measured against
/// `tokio::task::spawn_blocking`: its pool parks and wakes a thread per request, and the
/// context switches cost about a fifth of the server's time under load.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await.map_err(|e| ApiError::internal(&format!("scoring task lost: {e}")))?
}
