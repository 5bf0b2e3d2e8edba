//! The one error table of the API: every error is `{"code": "…", "message": "…"}` with a
//! stable snake_case code and an HTTP status; validation errors add `fields`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Every error code, its status and what it means (documented in `docs/api.md`, checked
/// by a test).
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    (
        "invalid_json",
        400,
        "the body is not valid JSON, or not of the expected shape (wrong type, unknown field, too deep, a number out of range)",
    ),
    ("invalid_query", 400, "a query parameter is malformed"),
    ("invalid_cursor", 400, "the pagination cursor was not produced by this API"),
    ("unauthorized", 401, "no `Authorization: Bearer <token>` header"),
    ("invalid_token", 401, "the token is unknown or revoked"),
    ("forbidden", 403, "the token's role may not do this"),
    (
        "not_found",
        404,
        "no such route, company, run, model or territory — or not in the caller's territory",
    ),
    ("method_not_allowed", 405, "the route exists with another method"),
    ("request_timeout", 408, "the request took longer than the configured timeout"),
    ("payload_too_large", 413, "the body is larger than the configured limit"),
    ("unsupported_media_type", 415, "the body is not `application/json`"),
    (
        "validation_failed",
        422,
        "well-formed JSON or query with invalid values; `fields` says which",
    ),
    ("invalid_siren", 422, "a 9-digit identifier whose SIREN check digit (Luhn) is wrong"),
    ("invalid_company_id", 422, "neither a SIREN nor a 16-hex-digit pseudonymous id"),
    ("batch_too_large", 422, "more items than the configured batch limit"),
    ("rate_limited", 429, "too many requests for this token; retry after `Retry-After` seconds"),
    ("internal_error", 500, "a bug; the request was logged"),
    ("not_ready", 503, "the store is unreachable"),
    ("no_active_model", 503, "no model is active in the registry"),
];

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON path or query parameter (`items[3].features.tax_ratio`, `level`).
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

/// The error body.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// The invalid fields (`validation_failed` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// An API error.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorBody,
    /// `Retry-After` seconds (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error of code `code` (which must be in [`ERROR_CODES`]).
    #[must_use]
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        let status = ERROR_CODES.iter().find(|(c, _, _)| *c == code).map_or(500, |(_, s, _)| *s);
        Self {
            status: StatusCode::from_u16(status).expect("valid status"),
            body: ErrorBody { code, message: message.into(), fields: Vec::new() },
            retry_after: None,
        }
    }

    /// `validation_failed` with the invalid fields.
    #[must_use]
    pub fn fields(fields: Vec<FieldError>) -> Self {
        let message = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.problem))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = Self::new("validation_failed", message);
        e.body.fields = fields;
        e
    }

    /// `validation_failed` for one field.
    #[must_use]
    pub fn field(field: &str, problem: impl Into<String>) -> Self {
        Self::fields(vec![FieldError { field: field.to_owned(), problem: problem.into() }])
    }

    /// `not_found`.
    #[must_use]
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new("not_found", what)
    }

    /// `internal_error`, logging the cause (never sent to the client).
    #[must_use]
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new("internal_error", "internal error; it was logged")
    }
}

impl From<vigie_store::Error> for ApiError {
    fn from(e: vigie_store::Error) -> Self {
        match e {
            vigie_store::Error::Invalid(m) => Self::new("validation_failed", m),
            vigie_store::Error::UnknownModel(v) => Self::not_found(format!("no model {v:?}")),
            other => Self::internal(&other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(self.body)).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

/// API results.
pub type ApiResult<T> = Result<T, ApiError>;
