//! `/v1/models`: the model registry and activation.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::St;
use crate::access::audit;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, Caller};

/// A registered model.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelOut {
    /// Version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Family.
    pub family: String,
    /// What it serves, from its inputs: `full` scores companies, `self` answers the public
    /// self-diagnosis (`POST /v1/self-assessment`). One active model per feature set.
    #[schema(pattern = "^(full|self)$")]
    pub feature_set: String,
    /// Registration time.
    pub registered_at: String,
    /// The active model of its feature set.
    pub active: bool,
    /// Its last comparison with the model active then (`vigie models compare`), shown
    /// before activation; null when never compared.
    pub comparison: Option<crate::api::monitoring::ComparisonOut>,
}

/// The registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelsResponse {
    /// Models, newest first.
    pub items: Vec<ModelOut>,
    /// Version of the company-scoring model loaded by this instance.
    pub loaded: Option<String>,
    /// Version of the self-diagnosis model loaded by this instance.
    pub loaded_self: Option<String>,
}

/// The model registry.
#[utoipa::path(get, path = "/v1/models", tag = "models", responses((status = 200, body = ModelsResponse)))]
pub(crate) async fn models(State(state): St, _caller: Caller) -> ApiResult<Json<ModelsResponse>> {
    let mut items = Vec::new();
    for m in state.store.models().await? {
        let comparison = state.store.comparison(&m.version).await?.map(Into::into);
        items.push(ModelOut {
            version: m.version,
            name: m.name,
            family: m.family,
            feature_set: m.feature_set.as_str().to_owned(),
            registered_at: m.registered_at,
            active: m.active,
            comparison,
        });
    }
    Ok(Json(ModelsResponse {
        items,
        loaded: state.model().map(|m| m.version.clone()),
        loaded_self: state.self_model().map(|m| m.version.clone()),
    }))
}

/// Activate a registered model (admins) in place of the active model of its feature set,
/// swapped in without dropping requests.
#[utoipa::path(
    post, path = "/v1/models/{version}/activate", tag = "models",
    params(("version" = String, Path, description = "Model version")),
    responses((status = 200, body = ModelsResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn activate(
    State(state): St,
    caller: Caller,
    ApiPath(version): ApiPath<String>,
) -> ApiResult<Json<ModelsResponse>> {
    caller.require_admin()?;
    state.store.activate_model(&version).await?;
    state.refresh_model().await?;
    state.refresh_self_model().await?;
    audit(&state, &caller, "POST /v1/models/{version}/activate", None, None, "ok", Some(&version))
        .await?;
    models(State(state), caller).await
}
