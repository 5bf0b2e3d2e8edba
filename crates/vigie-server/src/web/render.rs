//! Rendering pages: the embedded templates, errors shown as French pages, the extractors
//! whose errors are pages, form helpers, and the Markdown of model cards.

use std::fmt::Write as _;
use std::sync::OnceLock;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::{Environment, Value, context};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::session::Who;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiPath, ApiQuery};

pub(crate) fn templates() -> &'static Environment<'static> {
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
            ("diagnostic.html", include_str!("../../templates/diagnostic.html")),
        ] {
            env.add_template(name, source).expect("the embedded templates parse");
        }
        env
    })
}

/// A serialisable value as a template value.
pub(crate) fn ser<T: Serialize>(x: T) -> Value {
    Value::from(minijinja::value::Serde(x))
}

/// Renders a template into an HTML response.
pub(crate) fn render(status: StatusCode, name: &str, ctx: &Value) -> Response {
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

/// An error shown as a page (the API error's status, a French title and message).
#[derive(Debug)]
pub struct PageError {
    pub(crate) error: Box<ApiError>,
    /// The signed-in user, for the page's header.
    pub(crate) who: Option<Box<Who>>,
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
                title, message, detail, code => e.body.code.as_str(),
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

pub(crate) type PageResult = Result<Response, PageError>;

/// A page's path parameters: the API's extractor ([`ApiPath`]), its error shown as a page
/// (an unreadable segment is the "Introuvable" page, not axum's plain text).
pub(crate) struct WebPath<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for WebPath<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        let ApiPath(t) = ApiPath::from_request_parts(parts, state).await?;
        Ok(Self(t))
    }
}

/// A page's query string: the API's extractor ([`ApiQuery`]), its error shown as a page
/// ("Saisie invalide").
pub(crate) struct WebQuery<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for WebQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        let ApiQuery(t) = ApiQuery::from_request_parts(parts, state).await?;
        Ok(Self(t))
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
                ErrorCode::PayloadTooLarge
            } else if e.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                ErrorCode::UnsupportedMediaType
            } else {
                ErrorCode::InvalidQuery
            };
            PageError::from(ApiError::new(code, e.body_text()))
        })
    }
}

/// Percent-encodes a query value.
pub(crate) fn encode(s: &str) -> String {
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
pub(crate) struct Opt {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct Select {
    name: &'static str,
    label: &'static str,
    options: Vec<Opt>,
}

pub(crate) fn select(
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

/// Markdown to HTML, with any raw HTML of the source escaped and headings moved two levels
/// down (the card sits under the page's `h2`).
pub(crate) fn markdown(md: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse() {
        for name in [
            "base.html",
            "connexion.html",
            "erreur.html",
            "alertes.html",
            "entreprise.html",
            "executions.html",
            "suivi.html",
            "diagnostic.html",
        ] {
            assert!(templates().get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn markdown_keeps_no_raw_html() {
        let html =
            markdown("# Card\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h3>Card</h3>") && html.contains("<table>"));
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    }
}
