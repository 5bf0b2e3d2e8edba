//! `POST /v1/score`: feature vectors scored with the active model, explained on request.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigie_core::features::{self, CATALOGUE};
use vigie_core::{AlertLevel, Probabilities};
use vigie_score::Summary;

use super::{St, off_runtime};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode, FieldError};
use crate::extract::{ApiJson, Caller};

/// One company's features, read straight from the JSON object into catalogue order (`NaN`:
/// missing, from `null` or an absent name). A name given twice is refused (JSON parsers
/// let the last value win, which would score a vector the caller did not mean); unknown
/// names are kept, to be reported field by field.
#[derive(Debug)]
pub struct FeatureVector {
    /// Values in catalogue order.
    values: Vec<f64>,
    /// Names not in the catalogue, in the order given.
    unknown: Vec<String>,
}

/// Most unknown feature names read in one vector before the body is refused.
const MAX_UNKNOWN: usize = 100;

/// A key of the features object: a catalogue position, or an unknown name. Known names
/// are matched without copying them.
enum Key {
    Known(usize),
    Unknown(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Key;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a feature name")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(features::index_of(v).map_or_else(|| Key::Unknown(v.to_owned()), Key::Known))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for FeatureVector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = FeatureVector;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of feature values")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<FeatureVector, A::Error> {
                let mut values = vec![f64::NAN; CATALOGUE.len()];
                let mut seen = vec![false; CATALOGUE.len()];
                // Unknown names: more than `MAX_UNKNOWN` of them refuse the body, so the
                // duplicate check below scans at most that many.
                let mut unknown: Vec<String> = Vec::new();
                while let Some(key) = map.next_key::<Key>()? {
                    let value = map.next_value::<Option<f64>>()?;
                    let twice = match key {
                        Key::Known(i) => {
                            values[i] = value.unwrap_or(f64::NAN);
                            std::mem::replace(&mut seen[i], true)
                                .then(|| CATALOGUE[i].name.to_owned())
                        }
                        Key::Unknown(name) if unknown.contains(&name) => Some(name),
                        Key::Unknown(name) => {
                            if unknown.len() >= MAX_UNKNOWN {
                                return Err(serde::de::Error::custom(format!(
                                    "more than {MAX_UNKNOWN} unknown feature names"
                                )));
                            }
                            unknown.push(name);
                            None
                        }
                    };
                    if let Some(name) = twice {
                        return Err(serde::de::Error::custom(format!(
                            "feature `{name}` is given twice"
                        )));
                    }
                }
                Ok(FeatureVector { values, unknown })
            }
        }
        d.deserialize_map(Visitor)
    }
}

impl utoipa::PartialSchema for FeatureVector {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, SchemaType, Type};
        let mut o = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Features of one company, by catalogue name (docs/features.md); `null` or an \
                 absent name is a missing value. Every name at most once; unknown names are \
                 refused.",
            ))
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        for f in CATALOGUE {
            o = o.property(
                f.name,
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::Number, Type::Null]))
                    .description(Some(format!("{} ({}).", f.label_fr, f.unit))),
            );
        }
        utoipa::openapi::RefOr::T(o.build().into())
    }
}

impl utoipa::ToSchema for FeatureVector {}

/// One item to score.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreItem {
    /// The caller's reference, echoed back (at most 200 characters).
    #[serde(rename = "ref")]
    #[schema(max_length = 200)]
    pub reference: Option<String>,
    /// The features.
    pub features: FeatureVector,
}

/// One feature vector (`features`) or a batch (`items`): exactly one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// A single feature vector.
    pub features: Option<FeatureVector>,
    /// A batch (at most the configured `batch_limit`, 1,000 by default).
    #[schema(min_items = 1)]
    pub items: Option<Vec<ScoreItem>>,
    /// Compute the explanations (default `true`). Exact explanations cost about 300 times
    /// the score itself; `false` answers probabilities and levels only.
    pub explain: Option<bool>,
}

/// The score of one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreOut {
    /// The caller's reference.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Probabilities by horizon.
    pub p: Probabilities,
    /// Alert level, from the 18-month probability.
    pub level: AlertLevel,
    /// Margin (log-odds before calibration).
    pub margin: f64,
    /// The explanation: bias, contributions by topic group, the five features raising the
    /// risk most and the five lowering it most (absent with `"explain": false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Summary>,
}

/// Scores, in the order of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreResponse {
    /// The model that scored.
    pub model_version: String,
    /// One score per item.
    pub items: Vec<ScoreOut>,
}

/// Most rows scored without explanations on the runtime's thread (see [`score`]).
const INLINE_ROWS: usize = 16;

/// Score feature vectors with the active model.
#[utoipa::path(
    post, path = "/v1/score", tag = "scores",
    request_body = ScoreRequest,
    responses(
        (status = 200, body = ScoreResponse),
        (status = 400, body = ErrorBody, description = "invalid_json"),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "validation_failed, batch_too_large"),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody, description = "no_active_model"),
    )
)]
pub(crate) async fn score(
    State(state): St,
    _caller: Caller,
    ApiJson(req): ApiJson<ScoreRequest>,
) -> ApiResult<Json<ScoreResponse>> {
    let explain = req.explain.unwrap_or(true);
    let items: Vec<ScoreItem> = match (req.features, req.items) {
        (Some(features), None) => vec![ScoreItem { reference: None, features }],
        (None, Some(items)) => items,
        _ => {
            return Err(ApiError::field(
                "features",
                "give either `features` or `items`, not both or neither",
            ));
        }
    };
    if items.is_empty() {
        return Err(ApiError::field("items", "empty batch"));
    }
    if items.len() > state.config.batch_limit {
        return Err(ApiError::new(
            ErrorCode::BatchTooLarge,
            format!("{} items; at most {} per request", items.len(), state.config.batch_limit),
        ));
    }
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if item.reference.as_ref().is_some_and(|r| r.chars().count() > 200) {
            errors.push(FieldError {
                field: format!("items[{i}].ref"),
                problem: "at most 200 characters".into(),
            });
        }
        for name in item.features.unknown.iter().take(100usize.saturating_sub(errors.len())) {
            errors.push(FieldError {
                field: format!("items[{i}].features.{name}"),
                problem: "unknown feature (see docs/features.md)".into(),
            });
        }
        if errors.len() >= 100 {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let model = state.model().ok_or_else(|| {
        ApiError::new(ErrorCode::NoActiveModel, "no model is active in the registry")
    })?;
    let n = items.len();
    let work = move || {
        let mut scratch = vigie_score::explanation::Scratch::default();
        let scorer = &model.scorer;
        items
            .into_iter()
            .map(|item| {
                let row = &item.features.values;
                let (score, explanation) = if explain {
                    let e = scorer
                        .summarize(row, 5, &mut scratch)
                        .map_err(|e| ApiError::internal(&e))?;
                    (scorer.calibrate(e.margin), Some(e))
                } else {
                    (scorer.score(row).map_err(|e| ApiError::internal(&e))?, None)
                };
                Ok(ScoreOut {
                    reference: item.reference,
                    p: score.p,
                    level: score.level,
                    margin: score.margin,
                    explanation,
                })
            })
            .collect::<ApiResult<Vec<_>>>()
            .map(|items| ScoreResponse { model_version: model.version.clone(), items })
    };
    // A few scores without explanations take microseconds (185 trees: about 1.5 µs a
    // row): handing them to the compute threads would cost more than the work, so they
    // are computed here. Explanations and large batches go to the compute threads.
    let out = if !explain && n <= INLINE_ROWS { work()? } else { off_runtime(work).await? };
    state.metrics.scored(n as u64);
    Ok(Json(out))
}
