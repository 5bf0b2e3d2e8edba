//! Snapshots (insta) of what the service says: the API's answer to every route and every
//! error code, and the dashboard's pages, normalised (times, secrets and request ids
//! replaced by placeholders). A change of any answer shows up as a diff to review; accept
//! it with `INSTA_UPDATE=always cargo test --workspace -- snapshots` (or `cargo insta
//! review`) and commit the `.snap` files. In CI (`CI` set) a missing or different snapshot
//! fails.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::Value;
use tower::ServiceExt as _;
use vigie_server::Config;

use crate::api::{Api, api, api_with, prepared};
use crate::store::rt;

/// Keys whose values are times or durations (they change from run to run).
fn volatile(key: &str) -> bool {
    key == "at"
        || key.ends_with("_at")
        || key.contains("seconds")
        || key.contains("timings")
        || key.contains("memory")
        || key == "duration"
}

/// The JSON with volatile values replaced by `"[…]"`, and absolute paths (files in the
/// test's temporary directory) by their names.
fn normalise(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let v = if volatile(&k) { Value::String("[…]".into()) } else { normalise(v) };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(normalise).collect()),
        // Files of the run, in the test's temporary directory: their names only.
        Value::String(s) if s.starts_with('/') => {
            let name = s.rsplit('/').next().unwrap_or_default();
            Value::String(format!("[dir]/{name}"))
        }
        other => other,
    }
}

/// Status and normalised body of one request.
fn answer(a: &Api, method: &str, uri: &str, token: Option<&str>, body: Option<&str>) -> Value {
    answer_with(&a.router, method, uri, token, body, "application/json")
}

fn answer_with(
    router: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&str>,
    content_type: &str,
) -> Value {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(text) => {
            b.header(header::CONTENT_TYPE, content_type).body(Body::from(text.to_owned()))
        }
        None => b.body(Body::empty()),
    };
    let r = rt().block_on(router.clone().oneshot(req.unwrap())).unwrap();
    let status = r.status().as_u16();
    let ct = r.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
    let bytes = rt().block_on(axum::body::to_bytes(r.into_body(), usize::MAX)).unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    serde_json::json!({ "status": status, "content_type": ct, "body": normalise(body) })
}

#[test]
fn every_route_answers_as_recorded() {
    let a = api();
    let p = prepared();
    let company = &p.alert_75;
    let score =
        r#"{"features": {"tax_arrears_ratio": 0.4, "fin_roa": -0.1, "soc_debt_ratio": null}}"#;
    let routes: Vec<(&str, String, &str, Option<&str>)> = vec![
        ("healthz", "/healthz".into(), "GET", None),
        ("readyz", "/readyz".into(), "GET", None),
        ("score", "/v1/score".into(), "POST", Some(score)),
        ("company", format!("/v1/companies/{company}"), "GET", None),
        (
            "follow_up",
            format!("/v1/companies/{company}/follow-up"),
            "PUT",
            Some(r#"{"status": "contacted", "note": "appelé"}"#),
        ),
        (
            "feedback",
            format!("/v1/companies/{company}/feedback"),
            "POST",
            Some(r#"{"useful": true}"#),
        ),
        ("alerts", "/v1/alerts?departement=75&limit=3".into(), "GET", None),
        ("export", "/v1/alerts/export?departement=75&level=red".into(), "GET", None),
        ("runs", "/v1/runs".into(), "GET", None),
        ("run", "/v1/runs/2025-12".into(), "GET", None),
        ("monitoring", "/v1/monitoring".into(), "GET", None),
        ("models", "/v1/models".into(), "GET", None),
    ];
    for (name, uri, method, body) in routes {
        insta::assert_json_snapshot!(
            format!("route_{name}"),
            answer(&a, method, &uri, Some(&a.admin), body)
        );
    }
    let version = a.state.model().unwrap().version.clone();
    let uri = format!("/v1/models/{version}/activate");
    insta::assert_json_snapshot!("route_activate", answer(&a, "POST", &uri, Some(&a.admin), None));
    // The metrics' counters depend on what ran before: their names are the contract.
    let m = answer(&a, "GET", "/metrics", None, None);
    let names: Vec<String> = m["body"]
        .as_str()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("# TYPE"))
        .map(str::to_owned)
        .collect();
    insta::assert_json_snapshot!("route_metrics", names);
}

async fn boom() -> &'static str {
    panic!("a bug")
}

#[test]
fn every_error_code_answers_as_recorded() {
    let a = api();
    let bad = |name: &str, v: Value| insta::assert_json_snapshot!(format!("error_{name}"), v);
    bad("invalid_json", answer(&a, "POST", "/v1/score", Some(&a.analyst), Some("{")));
    bad("invalid_query", answer(&a, "GET", "/v1/alerts?bogus=1", Some(&a.analyst), None));
    bad("invalid_cursor", answer(&a, "GET", "/v1/alerts?cursor=zz", Some(&a.analyst), None));
    bad("unauthorized", answer(&a, "GET", "/v1/alerts", None, None));
    bad("invalid_token", answer(&a, "GET", "/v1/alerts", Some("vigie_0000"), None));
    bad("forbidden", answer(&a, "GET", "/v1/runs/2025-12", Some(&a.agent21), None));
    bad("not_found", answer(&a, "GET", "/v1/companies/0000000000000000", Some(&a.analyst), None));
    bad("method_not_allowed", answer(&a, "DELETE", "/v1/alerts", Some(&a.analyst), None));
    let big = format!("{{\"features\": {{\"x\": \"{}\"}}}}", "a".repeat(2 << 20));
    bad("payload_too_large", answer(&a, "POST", "/v1/score", Some(&a.analyst), Some(&big)));
    bad(
        "unsupported_media_type",
        answer_with(&a.router, "POST", "/v1/score", Some(&a.analyst), Some("{}"), "text/plain"),
    );
    bad(
        "validation_failed",
        answer(&a, "POST", "/v1/score", Some(&a.analyst), Some(r#"{"features": {"nope": 1}}"#)),
    );
    bad("invalid_siren", answer(&a, "GET", "/v1/companies/123456789", Some(&a.analyst), None));
    bad("invalid_company_id", answer(&a, "GET", "/v1/companies/xyz", Some(&a.analyst), None));
    let small = api_with(Config {
        batch_limit: 1,
        rate_limit_per_second: 1e-6,
        rate_limit_burst: 3.0,
        ..Config::default()
    });
    let two = r#"{"items": [{"features": {}}, {"features": {}}]}"#;
    bad("batch_too_large", answer(&small, "POST", "/v1/score", Some(&small.analyst), Some(two)));
    for _ in 0..3 {
        answer(&small, "GET", "/v1/runs", Some(&small.analyst), None);
    }
    bad("rate_limited", answer(&small, "GET", "/v1/runs", Some(&small.analyst), None));
    let slow = api_with(Config { request_timeout_seconds: 1e-9, ..Config::default() });
    bad("request_timeout", answer(&slow, "GET", "/v1/alerts", Some(&slow.analyst), None));
    let panics = vigie_server::layers(
        axum::Router::new().route("/boom", axum::routing::get(boom)),
        &a.state,
    );
    bad("internal_error", answer_with(&panics, "GET", "/boom", None, None, ""));
    *a.state.model.write().unwrap() = None;
    bad(
        "no_active_model",
        answer(&a, "POST", "/v1/score", Some(&a.analyst), Some(r#"{"features": {}}"#)),
    );
    rt().block_on(a.state.store.close());
    bad("not_ready", answer(&a, "GET", "/readyz", None, None));
    // Every code of the table is recorded above.
    let recorded = std::fs::read_dir(crate::common::root().join("tests/it/snapshots")).unwrap();
    let names: Vec<String> =
        recorded.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    for c in vigie_server::error::ErrorCode::ALL {
        assert!(names.iter().any(|n| n.contains(&format!("error_{c}"))), "no snapshot of {c}");
    }
    let _ = Arc::clone(&a.state);
}

/// A page with what changes from run to run replaced: CSRF secrets, times.
fn normalise_html(html: &str) -> String {
    let csrf = regex::Regex::new(r#"name="(csrf|login_csrf)" value="[0-9a-f]+""#).unwrap();
    let time = regex::Regex::new(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z?").unwrap();
    let html = csrf.replace_all(html, r#"name="$1" value="[secret]""#);
    time.replace_all(&html, "[time]").into_owned()
}

#[test]
fn every_page_renders_as_recorded() {
    let a = api();
    let p = prepared();
    let cookie = crate::dashboard::sign_in(&a, &a.agent_busy);
    let national = crate::dashboard::sign_in(&a, &a.analyst);
    let page = |uri: &str, cookie: &str| {
        let req = Request::get(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
        let r = rt().block_on(a.router.clone().oneshot(req)).unwrap();
        let status = r.status().as_u16();
        let bytes = rt().block_on(axum::body::to_bytes(r.into_body(), usize::MAX)).unwrap();
        format!("{status}\n{}", normalise_html(&String::from_utf8_lossy(&bytes)))
    };
    let alert = crate::api::alert_of(&a, &p.busy);
    for (name, uri, who) in [
        ("connexion", "/connexion".to_owned(), ""),
        ("alertes", "/alertes".to_owned(), cookie.as_str()),
        ("entreprise", format!("/entreprises/{alert}"), cookie.as_str()),
        ("introuvable", "/entreprises/0000000000000000".to_owned(), cookie.as_str()),
        ("executions", "/executions".to_owned(), national.as_str()),
        ("suivi", "/suivi".to_owned(), national.as_str()),
        // The public self-diagnosis's form (its answers count ages to today: they are
        // checked by value in `diagnosis`, not recorded).
        ("diagnostic", "/diagnostic".to_owned(), ""),
        ("diagnostic_normal", "/diagnostic?saisie=normal".to_owned(), ""),
    ] {
        insta::assert_snapshot!(format!("page_{name}"), page(&uri, who));
    }
}
