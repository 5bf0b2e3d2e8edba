//! The middleware every route goes through (tower-http): a panic in a handler is a JSON 500,
//! counted; request ids are drawn or kept and echoed; and no bearer token or session secret
//! reaches the logs, even at the most verbose level.

use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt as _;

use crate::api::api;
use crate::store::rt;

/// Everything logged by this test binary from the moment the first test here asks for it
/// (a global subscriber: handlers log from runtime and compute threads).
pub(crate) fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let buf = Arc::clone(&buf);
            move || Sink(Arc::clone(&buf))
        };
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("info,vigie_server=trace,tower_http=trace")
            .with_writer(writer)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        buf
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn boom() -> &'static str {
    panic!("a bug in a handler")
}

#[test]
fn a_panicking_handler_answers_a_json_500_and_is_counted() {
    let a = api();
    let boom = axum::Router::new().route("/boom", axum::routing::get(boom));
    let router = vigie_server::layers(boom, &a.state);
    let before = a.state.metrics.render(None);
    assert!(before.contains("vigie_http_panics_total 0"), "{before}");
    let r = rt().block_on(async {
        let req = Request::get("/boom").header("x-request-id", "abc-123").body(Body::empty());
        router.oneshot(req.unwrap()).await.unwrap()
    });
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.headers()["x-request-id"], "abc-123", "the client's request id is echoed");
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    let body = rt().block_on(axum::body::to_bytes(r.into_body(), usize::MAX)).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["code"], "internal_error");
    assert!(!v["message"].as_str().unwrap().contains("a bug"), "the panic stays in the log");
    assert!(a.state.metrics.render(None).contains("vigie_http_panics_total 1"));
    // Without a request id, one is drawn and echoed, a new one each time.
    let id = || {
        let req = Request::get("/healthz").body(Body::empty()).unwrap();
        let r = rt().block_on(a.router.clone().oneshot(req)).unwrap();
        r.headers()["x-request-id"].to_str().unwrap().to_owned()
    };
    let (first, second) = (id(), id());
    assert!(first.len() >= 16 && first != second, "{first} {second}");
}

#[test]
fn no_token_or_session_secret_reaches_the_logs() {
    let logs = logs();
    let a = api();
    let before = logs.lock().unwrap().len();
    // A bearer token on API calls, a session through the dashboard (its cookie on pages and
    // on a form), and a wrong token.
    for uri in ["/v1/alerts", "/v1/runs", "/v1/companies/0123456789abcdef", "/nowhere"] {
        let req = Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", a.agent21))
            .body(Body::empty());
        let _ = rt().block_on(a.router.clone().oneshot(req.unwrap())).unwrap();
    }
    let wrong = "vigie_0123456789abcdef0123456789abcdef";
    let req = Request::get("/v1/alerts").header(header::AUTHORIZATION, format!("Bearer {wrong}"));
    let _ = rt().block_on(a.router.clone().oneshot(req.body(Body::empty()).unwrap())).unwrap();
    let cookie = crate::dashboard::sign_in(&a, &a.analyst);
    let secret = cookie.split_once('=').unwrap().1.to_owned();
    for uri in ["/alertes", "/executions", "/entreprises/0123456789abcdef"] {
        let req = Request::get(uri).header(header::COOKIE, &cookie).body(Body::empty());
        let _ = rt().block_on(a.router.clone().oneshot(req.unwrap())).unwrap();
    }
    let _ = std::io::stderr().flush();
    let text = String::from_utf8_lossy(&logs.lock().unwrap()[before..]).into_owned();
    // The log is not empty: the requests are there, by route template.
    assert!(text.contains("route=\"/v1/companies/{id}\""), "{text}");
    assert!(text.contains("route=\"/alertes\""), "{text}");
    for (what, secret) in [
        ("agent token", a.agent21.as_str()),
        ("analyst token", a.analyst.as_str()),
        ("wrong token", wrong),
        ("session secret", secret.as_str()),
    ] {
        assert!(!text.contains(secret), "the {what} is in the logs");
    }
    assert!(!text.contains("/v1/companies/0123456789abcdef"), "no raw path in the logs");
}

#[test]
fn timeouts_are_counted_and_odd_request_ids_replaced() {
    let slow = crate::api::api_with(vigie_server::Config {
        request_timeout_seconds: 1e-9,
        ..vigie_server::Config::default()
    });
    let req = Request::get("/v1/alerts")
        .header(header::AUTHORIZATION, format!("Bearer {}", slow.analyst))
        .header("x-request-id", "552032534 and a sentence");
    let r = rt().block_on(slow.router.clone().oneshot(req.body(Body::empty()).unwrap())).unwrap();
    assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let id = r.headers()["x-request-id"].to_str().unwrap();
    assert!(!id.contains("552032534"), "a client's id with spaces is replaced: {id}");
    let metrics = slow.state.metrics.render(None);
    assert!(
        metrics.contains(
            "vigie_http_requests_total{method=\"-\",route=\"(unobserved)\",status=\"408\"} 1"
        ),
        "{metrics}"
    );
}

/// Status and JSON body of `POST /v1/score` with `body`, as the analyst.
fn post_score(a: &crate::api::Api, body: String) -> (StatusCode, serde_json::Value) {
    let req = Request::post("/v1/score")
        .header(header::AUTHORIZATION, format!("Bearer {}", a.analyst))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body));
    let r = rt().block_on(a.router.clone().oneshot(req.unwrap())).unwrap();
    let status = r.status();
    let bytes = rt().block_on(axum::body::to_bytes(r.into_body(), usize::MAX)).unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[test]
fn a_body_of_made_up_feature_names_is_refused_at_once() {
    let a = api();
    let body = |n: usize| {
        let names: Vec<String> = (0..n).map(|i| format!("\"made_up_{i}\": 0")).collect();
        format!("{{\"features\": {{{}}}}}", names.join(","))
    };
    let (status, v) = post_score(&a, body(50_000));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["code"], "invalid_json");
    assert!(v["message"].as_str().unwrap().contains("more than 100 unknown"), "{v}");
    // Up to 100, each is named as a field error.
    let (status, v) = post_score(&a, body(100));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["fields"].as_array().unwrap().len(), 100);
}
