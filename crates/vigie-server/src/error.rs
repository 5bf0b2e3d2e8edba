//! The one error table of the API: every error is `{"code": "…", "message": "…"}` with a
//! stable snake_case code and an HTTP status; validation errors add `fields`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Declares the error codes: the enum, and its code, status and meaning in one place.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = ($code:literal, $status:literal, $meaning:literal),)*) => {
        /// Every error code of the API, with its HTTP status and meaning (listed in
        /// `docs/api.md`, checked by a test). A mistyped code does not compile.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &[ErrorCode] = &[$(Self::$variant,)*];

            /// The stable snake_case code.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// The HTTP status.
            #[must_use]
            pub fn status(self) -> StatusCode {
                let s: u16 = match self {
                    $(Self::$variant => $status,)*
                };
                StatusCode::from_u16(s).expect("the table's statuses are valid")
            }

            /// What it means.
            #[must_use]
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Self::$variant => $meaning,)*
                }
            }
        }
    };
}

error_codes! {
    /// The body is not valid JSON, or not of the expected shape (wrong type, unknown field, too deep, a number out of range).
    InvalidJson = ("invalid_json", 400, "the body is not valid JSON, or not of the expected shape (wrong type, unknown field, too deep, a number out of range)"),
    /// A query parameter is malformed.
    InvalidQuery = ("invalid_query", 400, "a query parameter is malformed"),
    /// The pagination cursor is not of the form this API produces.
    InvalidCursor = ("invalid_cursor", 400, "the pagination cursor is not of the form this API produces"),
    /// No `Authorization: Bearer <token>` header.
    Unauthorized = ("unauthorized", 401, "no `Authorization: Bearer <token>` header"),
    /// The token is unknown or revoked.
    InvalidToken = ("invalid_token", 401, "the token is unknown or revoked"),
    /// The token"s role may not do this.
    Forbidden = ("forbidden", 403, "the token's role may not do this"),
    /// No such route, company, run, model or territory — or not in the caller's territory.
    NotFound = ("not_found", 404, "no such route, company, run, model or territory — or not in the caller's territory"),
    /// The route exists with another method.
    MethodNotAllowed = ("method_not_allowed", 405, "the route exists with another method"),
    /// The request took longer than the configured timeout.
    RequestTimeout = ("request_timeout", 408, "the request took longer than the configured timeout"),
    /// The body is larger than the configured limit.
    PayloadTooLarge = ("payload_too_large", 413, "the body is larger than the configured limit"),
    /// The body is not `application/json`.
    UnsupportedMediaType = ("unsupported_media_type", 415, "the body is not `application/json`"),
    /// Well-formed JSON or query with invalid values; `fields` says which.
    ValidationFailed = ("validation_failed", 422, "well-formed JSON or query with invalid values; `fields` says which"),
    /// A 9-digit identifier whose SIREN check digit (Luhn) is wrong: no company has it.
    InvalidSiren = ("invalid_siren", 404, "a 9-digit identifier whose SIREN check digit (Luhn) is wrong: no company has it"),
    /// Neither a SIREN nor a 16-hex-digit pseudonymous id.
    InvalidCompanyId = ("invalid_company_id", 422, "neither a SIREN nor a 16-hex-digit pseudonymous id"),
    /// More items than the configured batch limit.
    BatchTooLarge = ("batch_too_large", 422, "more items than the configured batch limit"),
    /// Too many requests for this token (the public self-diagnosis: from this client address); retry after `Retry-After` seconds.
    RateLimited = ("rate_limited", 429, "too many requests for this token (the public self-diagnosis: from this client address); retry after `Retry-After` seconds"),
    /// A bug; the request was logged.
    InternalError = ("internal_error", 500, "a bug; the request was logged"),
    /// The store is unreachable.
    NotReady = ("not_ready", 503, "the store is unreachable"),
    /// No model is active in the registry.
    NoActiveModel = ("no_active_model", 503, "no model is active in the registry"),
}

impl ErrorCode {
    /// The code named `s`, if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// The codes answered with `status`.
    pub fn with_status(status: u16) -> impl Iterator<Item = ErrorCode> {
        Self::ALL.iter().copied().filter(move |c| c.status().as_u16() == status)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let o = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("Stable snake_case error code (see docs/api.md)."))
            .enum_values(Some(Self::ALL.iter().map(|c| c.as_str())));
        utoipa::openapi::RefOr::T(o.build().into())
    }
}

impl ToSchema for ErrorCode {}

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
    pub code: ErrorCode,
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
    /// An error of code `code`.
    #[must_use]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: code.status(),
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
        let mut e = Self::new(ErrorCode::ValidationFailed, message);
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
        Self::new(ErrorCode::NotFound, what)
    }

    /// `internal_error`, logging the cause (never sent to the client).
    #[must_use]
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(ErrorCode::InternalError, "internal error; it was logged")
    }
}

impl From<vigie_store::Error> for ApiError {
    fn from(e: vigie_store::Error) -> Self {
        match e {
            vigie_store::Error::Invalid(m) => Self::new(ErrorCode::ValidationFailed, m),
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
