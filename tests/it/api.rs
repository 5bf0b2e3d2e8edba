//! The scoring API in-process (the axum router, `tower::ServiceExt::oneshot`) and as a real
//! server on an ephemeral port, over a SQLite store holding two demo runs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt as _;
use vigie_core::Pseudonymiser;
use vigie_server::{AppState, Config};
use vigie_store::{NewToken, Role, Store};

use crate::common;
use crate::store::rt;

/// A store with the demo runs of 2025-11 and 2025-12, built once; each test copies it.
pub(crate) struct Prepared {
    _dir: tempfile::TempDir,
    db: PathBuf,
    /// Département with the most alerts.
    pub(crate) busy: String,
    /// A scored company of 21 and one of 75 (pseudonymous ids).
    pub(crate) in_21: String,
    pub(crate) in_75: String,
    /// An alert of département 75.
    pub(crate) alert_75: String,
    /// A SIREN of the sources, scored, and its id.
    pub(crate) siren: (String, String),
}

pub(crate) fn prepared() -> &'static Prepared {
    static P: OnceLock<Prepared> = OnceLock::new();
    P.get_or_init(|| {
        let dir = common::tempdir();
        let db = dir.path().join("vigie.db");
        let url = format!("sqlite://{}", db.display());
        let demo = common::root().join("data-samples/demo");
        rt().block_on(async {
            let store = Store::open(&url).await.unwrap();
            for (i, m) in ["2025-11", "2025-12"].iter().enumerate() {
                let opts = crate::rescore::options(&demo, m, &dir.path().join(m), i == 0);
                vigie_batch::rescore(&store, &opts, &|_| {}).await.unwrap();
            }
            let scores = store.run_scores("2025-12").await.unwrap();
            let mut alerts: BTreeMap<&str, usize> = BTreeMap::new();
            for s in scores.iter().filter(|s| s.level != "green") {
                *alerts.entry(&s.departement).or_default() += 1;
            }
            let busy = alerts
                .iter()
                .filter(|(d, _)| **d != "75")
                .max_by_key(|(_, n)| **n)
                .unwrap()
                .0
                .to_string();
            let first = |dep: &str, alert: bool| {
                scores
                    .iter()
                    .find(|s| s.departement == dep && (!alert || s.level != "green"))
                    .unwrap()
                    .company_id
                    .clone()
            };
            let companies = common::frame_of(&demo.join("companies.parquet"));
            let sirens = common::texts(&companies, "siren");
            let pseudo = Pseudonymiser::demo();
            let siren = sirens
                .iter()
                .map(|s| {
                    (
                        s.clone(),
                        pseudo.company_id(vigie_core::Siren::parse(s).unwrap()).as_str().to_owned(),
                    )
                })
                .find(|(_, id)| scores.binary_search_by(|s| s.company_id.as_str().cmp(id)).is_ok())
                .unwrap();
            // The public self-diagnosis's model.
            let record =
                vigie_batch::register(&store, &common::demo_self_model_dir()).await.unwrap();
            store.activate_model(&record.version).await.unwrap();
            store.close().await;
            Prepared {
                busy,
                in_21: first("21", false),
                in_75: first("75", false),
                alert_75: first("75", true),
                siren,
                db,
                _dir: dir,
            }
        })
    })
}

pub(crate) struct Api {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) url: String,
    pub(crate) state: Arc<AppState>,
    pub(crate) router: axum::Router,
    pub(crate) agent21: String,
    pub(crate) agent_busy: String,
    pub(crate) analyst: String,
    pub(crate) admin: String,
}

pub(crate) fn api_with(config: Config) -> Api {
    let p = prepared();
    let dir = common::tempdir();
    let db = dir.path().join("vigie.db");
    std::fs::copy(&p.db, &db).unwrap();
    let url = format!("sqlite://{}", db.display());
    rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        let token = async |name: &str, role, territories: Vec<String>| {
            store.create_token(&NewToken { name: name.into(), role, territories }).await.unwrap().1
        };
        let agent21 = token("agent-21", Role::Agent, vec!["21".into()]).await;
        let agent_busy = token("agent-busy", Role::Agent, vec![p.busy.clone()]).await;
        let analyst = token("analyst", Role::Analyst, vec![]).await;
        let admin = token("admin", Role::Admin, vec![]).await;
        let state = Arc::new(AppState::new(
            store,
            Some(Pseudonymiser::demo()),
            Config { store: url.clone(), ..config },
        ));
        state.refresh_model().await.unwrap();
        state.refresh_self_model().await.unwrap();
        state.refresh_snapshot().await.unwrap();
        state.refresh_follow_ups().await.unwrap();
        let (router, _) = vigie_server::app(Arc::clone(&state));
        Api { dir, url, state, router, agent21, agent_busy, analyst, admin }
    })
}

pub(crate) fn api() -> Api {
    api_with(Config::default())
}

/// A response: status, headers, JSON body (or the text as a JSON string).
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: Value,
}

impl Api {
    fn send(&self, req: Request<Body>) -> Resp {
        rt().block_on(async {
            let r = self.router.clone().oneshot(req).await.unwrap();
            let status = r.status();
            let headers = r.headers().clone();
            let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
            let body = serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            Resp { status, headers, body }
        })
    }

    pub(crate) fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(text) => {
                b.header(header::CONTENT_TYPE, "application/json").body(Body::from(text.to_owned()))
            }
            None => b.body(Body::empty()),
        };
        let r = self.send(req.unwrap());
        assert!(
            r.status.as_u16() < 500 || r.status.as_u16() == 503,
            "{method} {uri}: {} {}",
            r.status,
            r.body
        );
        if !r.status.is_success() && r.status != StatusCode::CREATED && uri != "/metrics" {
            // Every error has the documented shape and a known code.
            let code = r.body["code"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {uri}: no code in {}", r.body));
            let known = vigie_server::error::ErrorCode::parse(code);
            assert_eq!(
                known.map(vigie_server::error::ErrorCode::status),
                Some(r.status),
                "{code} has the status of the table"
            );
            assert!(r.body["message"].is_string());
        }
        r
    }

    /// A request whose answer may be a 5xx (store failure tests).
    fn call_raw(&self, method: &str, uri: &str, token: Option<&str>) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(b.body(Body::empty()).unwrap())
    }

    pub(crate) fn audit(&self) -> Vec<vigie_store::AuditEntry> {
        rt().block_on(async { self.state.store.audit_log().await.unwrap() })
    }
}

/// token, route, company, territory, outcome, reason.
type AuditRow<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str, Option<&'a str>);

fn code(r: &Resp) -> &str {
    r.body["code"].as_str().unwrap_or("")
}

#[test]
fn the_openapi_document_is_generated_and_in_sync() {
    let a = api();
    let r = a.call("GET", "/v1/openapi.json", None, None);
    assert_eq!(r.status, StatusCode::OK);
    let paths = r.body["paths"].as_object().unwrap();
    for p in [
        "/v1/score",
        "/v1/companies/{id}",
        "/v1/companies/{id}/follow-up",
        "/v1/companies/{id}/feedback",
        "/v1/alerts",
        "/v1/alerts/export",
        "/v1/runs",
        "/v1/runs/{id}",
        "/v1/models",
        "/v1/models/{version}/activate",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(p), "{p} documented");
    }
    let text = serde_json::to_string_pretty(&r.body).unwrap() + "\n";
    let committed = common::root().join("docs/openapi.json");
    if std::env::var("VIGIE_UPDATE_DOCS").is_ok() {
        std::fs::write(&committed, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&committed).unwrap_or_default(),
        text,
        "docs/openapi.json is stale: VIGIE_UPDATE_DOCS=1 cargo test --workspace api::"
    );
    // The error table of docs/api.md lists every code with its status.
    let doc = std::fs::read_to_string(common::root().join("docs/api.md")).unwrap();
    for c in vigie_server::error::ErrorCode::ALL {
        let status = c.status().as_u16();
        assert!(doc.contains(&format!("| `{c}` | {status} |")), "docs/api.md lists {c}");
    }
}

#[test]
fn authentication_and_roles() {
    let a = api_with(Config { token_cache_seconds: 0.0, ..Config::default() });
    let r = a.call("GET", "/v1/alerts", None, None);
    assert_eq!((r.status, code(&r)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let r = a.call("GET", "/v1/alerts", Some("vigie_0000"), None);
    assert_eq!((r.status, code(&r)), (StatusCode::UNAUTHORIZED, "invalid_token"));
    let mut req = Request::get("/v1/alerts")
        .header(header::AUTHORIZATION, "Basic abc")
        .body(Body::empty())
        .unwrap();
    assert_eq!(code(&a.send(req)), "unauthorized");
    // Runs: everyone lists; the report (national company lists) is for analysts and admins.
    for t in [&a.agent21, &a.analyst, &a.admin] {
        assert_eq!(a.call("GET", "/v1/runs", Some(t), None).status, StatusCode::OK);
        assert_eq!(a.call("GET", "/v1/models", Some(t), None).status, StatusCode::OK);
    }
    let r = a.call("GET", "/v1/runs/2025-12", Some(&a.agent21), None);
    assert_eq!((r.status, code(&r)), (StatusCode::FORBIDDEN, "forbidden"));
    let r = a.call("GET", "/v1/runs/2025-12", Some(&a.analyst), None);
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["run_id"], "2025-12");
    assert_eq!(r.body["previous_run"], "2025-11");
    assert_eq!(code(&a.call("GET", "/v1/runs/1999-01", Some(&a.analyst), None)), "not_found");
    // The report lists company ids: its consultation is audited.
    let seen = a.audit().into_iter().filter(|e| e.route == "GET /v1/runs/{id}").count();
    assert_eq!(seen, 1, "one audit row for the one report read");
    let runs = a.call("GET", "/v1/runs", Some(&a.analyst), None).body;
    assert_eq!(runs["items"].as_array().unwrap().len(), 2);
    // Only admins activate models.
    let version = a.state.model().unwrap().version.clone();
    for t in [&a.agent21, &a.analyst] {
        let r = a.call("POST", &format!("/v1/models/{version}/activate"), Some(t), None);
        assert_eq!(code(&r), "forbidden");
    }
    let r = a.call("POST", &format!("/v1/models/{version}/activate"), Some(&a.admin), None);
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        code(&a.call("POST", "/v1/models/v000000000000/activate", Some(&a.admin), None)),
        "not_found"
    );
    // A revoked token stops working at once.
    rt().block_on(async { assert!(a.state.store.revoke_token("analyst").await.unwrap()) });
    assert_eq!(code(&a.call("GET", "/v1/runs", Some(&a.analyst), None)), "invalid_token");
    req = Request::get("/healthz").body(Body::empty()).unwrap();
    assert_eq!(a.send(req).body["status"], "ok");

    // With the token cache, a revocation takes effect within `token_cache_seconds`.
    let cached = api_with(Config { token_cache_seconds: 0.3, ..Config::default() });
    assert_eq!(cached.call("GET", "/v1/runs", Some(&cached.analyst), None).status, StatusCode::OK);
    rt().block_on(async { assert!(cached.state.store.revoke_token("analyst").await.unwrap()) });
    let started = std::time::Instant::now();
    while cached.call("GET", "/v1/runs", Some(&cached.analyst), None).status == StatusCode::OK {
        assert!(
            started.elapsed().as_secs_f64() < 0.3 + 0.5,
            "revocation not seen within the cache delay"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(code(&cached.call("GET", "/v1/runs", Some(&cached.analyst), None)), "invalid_token");
}

#[test]
fn an_agent_sees_only_its_territory() {
    let a = api();
    let p = prepared();
    // Reading, following and giving feedback on a company of 75: 404, as for an unknown one.
    let r = a.call("GET", &format!("/v1/companies/{}", p.in_75), Some(&a.agent21), None);
    assert_eq!((r.status, code(&r)), (StatusCode::NOT_FOUND, "not_found"));
    let unknown = a.call("GET", "/v1/companies/0123456789abcdef", Some(&a.agent21), None);
    assert_eq!(unknown.body["message"], r.body["message"], "existence is not leaked");
    let put = a.call(
        "PUT",
        &format!("/v1/companies/{}/follow-up", p.alert_75),
        Some(&a.agent21),
        Some(r#"{"status":"contacted"}"#),
    );
    assert_eq!(code(&put), "not_found");
    let fb = a.call(
        "POST",
        &format!("/v1/companies/{}/feedback", p.alert_75),
        Some(&a.agent21),
        Some(r#"{"useful":true}"#),
    );
    assert_eq!(code(&fb), "not_found");
    assert!(
        rt().block_on(a.state.store.follow_ups(&p.alert_75)).unwrap().is_empty(),
        "nothing written"
    );
    // Listing 75 (by département or by its region): 404.
    assert_eq!(
        code(&a.call("GET", "/v1/alerts?departement=75", Some(&a.agent21), None)),
        "not_found"
    );
    assert_eq!(code(&a.call("GET", "/v1/alerts?region=11", Some(&a.agent21), None)), "not_found");
    // Filters are a conjunction: a département outside the region selects nothing (an empty
    // page with zero counts), and is not a territory refused.
    let r = a.call("GET", "/v1/alerts?departement=21&region=11", Some(&a.agent21), None);
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"], serde_json::json!([]));
    assert_eq!(
        (r.body["counts"]["red"].as_i64(), r.body["counts"]["orange"].as_i64()),
        (Some(0), Some(0))
    );
    // Its own list holds 21 only; the busy agent's list holds its département only.
    let own = a.call("GET", "/v1/alerts?limit=1000", Some(&a.agent21), None);
    assert!(own.body["items"].as_array().unwrap().iter().all(|i| i["departement"] == "21"));
    let busy = a.call("GET", "/v1/alerts?limit=1000", Some(&a.agent_busy), None);
    let items = busy.body["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.iter().all(|i| i["departement"] == p.busy.as_str()));
    // Its own company: fine.
    let mine = a.call("GET", &format!("/v1/companies/{}", p.in_21), Some(&a.agent21), None);
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert_eq!(mine.body["access"], "in_zone");
    // Out of zone with a stated reason: allowed, and logged as such.
    let reason = a.call(
        "GET",
        &format!("/v1/companies/{}?reason=joint%20case%20with%20DDFIP%2075", p.in_75),
        Some(&a.agent21),
        None,
    );
    assert_eq!(reason.status, StatusCode::OK);
    assert_eq!(reason.body["access"], "out_of_zone");
    // The audit log, row by row.
    let log = a.audit();
    let rows: Vec<AuditRow> = log
        .iter()
        .map(|e| {
            (
                e.token_name.as_str(),
                e.route.as_str(),
                e.company_id.as_deref(),
                e.territory.as_deref(),
                e.outcome.as_str(),
                e.reason.as_deref(),
            )
        })
        .collect();
    let get = "GET /v1/companies/{id}";
    assert_eq!(
        rows[0],
        ("agent-21", get, Some(p.in_75.as_str()), Some("75"), "denied_out_of_zone", None)
    );
    assert_eq!(rows[1], ("agent-21", get, Some("0123456789abcdef"), None, "not_found", None));
    assert_eq!(
        rows[2],
        (
            "agent-21",
            "PUT /v1/companies/{id}/follow-up",
            Some(p.alert_75.as_str()),
            Some("75"),
            "denied_out_of_zone",
            None
        )
    );
    assert_eq!(rows[3].4, "denied_out_of_zone");
    assert_eq!(
        rows[4],
        ("agent-21", "GET /v1/alerts", None, Some("75"), "denied_out_of_zone", None)
    );
    assert_eq!(
        rows[5],
        ("agent-21", "GET /v1/alerts", None, Some("region 11"), "denied_out_of_zone", None)
    );
    // Département 21 within region 11: no département read.
    assert_eq!(rows[6], ("agent-21", "GET /v1/alerts", None, Some("none"), "ok", None));
    assert_eq!(rows[7], ("agent-21", "GET /v1/alerts", None, Some("21"), "ok", None));
    assert_eq!(rows[8], ("agent-busy", "GET /v1/alerts", None, Some(p.busy.as_str()), "ok", None));
    assert_eq!(rows[9], ("agent-21", get, Some(p.in_21.as_str()), Some("21"), "in_zone", None));
    assert_eq!(
        rows[10],
        (
            "agent-21",
            get,
            Some(p.in_75.as_str()),
            Some("75"),
            "out_of_zone",
            Some("joint case with DDFIP 75")
        )
    );
    assert_eq!(rows.len(), 11);
    assert!(log.iter().all(|e| !e.at.is_empty()));
}

#[test]
fn companies_by_siren_or_id_with_history_changes_and_follow_up() {
    let a = api();
    let p = prepared();
    let (siren, id) = &p.siren;
    let by_siren = a.call("GET", &format!("/v1/companies/{siren}"), Some(&a.analyst), None);
    assert_eq!(by_siren.status, StatusCode::OK, "{}", by_siren.body);
    assert_eq!(by_siren.body["company_id"], id.as_str());
    let by_id = a.call("GET", &format!("/v1/companies/{id}"), Some(&a.analyst), None);
    assert_eq!(by_id.body, by_siren.body);
    let b = &by_id.body;
    let history = b["history"].as_array().unwrap();
    assert_eq!(
        history.iter().map(|h| h["month"].as_str().unwrap()).collect::<Vec<_>>(),
        ["2025-11", "2025-12"]
    );
    assert_eq!(b["latest"]["run_id"], "2025-12");
    assert_eq!(b["latest"]["in_latest_run"], true);
    // A company the latest run no longer scores: its last score, marked as not current,
    // on the API and on the dashboard.
    let report = a.call("GET", "/v1/runs/2025-12", Some(&a.analyst), None).body;
    let gone = report["changes"]["no_longer_scored"][0].as_str().expect("a company left");
    let old = a.call("GET", &format!("/v1/companies/{gone}"), Some(&a.analyst), None);
    assert_eq!(old.status, StatusCode::OK, "{}", old.body);
    assert_eq!(old.body["latest"]["run_id"], "2025-11");
    assert_eq!(old.body["latest"]["in_latest_run"], false);
    assert_eq!(b["latest"]["p"]["18m"], history[1]["p_18m"]);
    assert_eq!(b["changes"]["previous_level"], history[0]["level"]);
    let delta = b["changes"]["delta_p_18m"].as_f64().unwrap();
    let expected = history[1]["p_18m"].as_f64().unwrap() - history[0]["p_18m"].as_f64().unwrap();
    assert!((delta - expected).abs() < 1e-12);
    assert_eq!(b["follow_up"]["status"], "to_contact");
    // No raw SIREN anywhere in the answer, nor in the audit log.
    assert!(!by_siren.body.to_string().contains(siren.as_str()));
    assert!(a.audit().iter().all(|e| !format!("{e:?}").contains(siren.as_str())));
    // Invalid identifiers.
    let mut bad_luhn = siren.clone();
    let last = bad_luhn.pop().unwrap();
    bad_luhn.push(if last == '9' { '0' } else { char::from(last as u8 + 1) });
    // No company has a number whose check digit is wrong: a 404, whose code says why.
    let luhn = a.call("GET", &format!("/v1/companies/{bad_luhn}"), Some(&a.analyst), None);
    assert_eq!((luhn.status, code(&luhn)), (StatusCode::NOT_FOUND, "invalid_siren"));
    for bad in ["12345", "ABCDEF0123456789", "0123456789abcdeg", "%20", "1234567890"] {
        assert_eq!(
            code(&a.call("GET", &format!("/v1/companies/{bad}"), Some(&a.analyst), None)),
            "invalid_company_id",
            "{bad}"
        );
    }
    // An alert's explanation adds up to its margin.
    let alert =
        a.call("GET", &format!("/v1/companies/{}", p.alert_75), Some(&a.analyst), None).body;
    let e = &alert["latest"]["explanation"];
    let sum: f64 = e["groups"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
    assert!(
        (e["bias"].as_f64().unwrap() + sum - alert["latest"]["margin"].as_f64().unwrap()).abs()
            < 1e-9
    );
    // Follow-up and feedback.
    let uri = format!("/v1/companies/{}/follow-up", p.alert_75);
    let r = a.call(
        "PUT",
        &uri,
        Some(&a.analyst),
        Some(r#"{"status":"contacted","note":"phoned the manager"}"#),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = a.call("PUT", &uri, Some(&a.admin), Some(r#"{"status":"in_support"}"#));
    assert_eq!(r.body["status"], "in_support");
    assert_eq!(r.body["history"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["history"][0]["note"], "phoned the manager");
    assert_eq!(r.body["history"][0]["author"], "analyst");
    let r = a.call("PUT", &uri, Some(&a.admin), Some(r#"{"status":"lost"}"#));
    assert_eq!(code(&r), "validation_failed");
    assert_eq!(r.body["fields"][0]["field"], "status");
    let fb = a.call(
        "POST",
        &format!("/v1/companies/{}/feedback", p.alert_75),
        Some(&a.analyst),
        Some(r#"{"useful":false,"reason":"already known"}"#),
    );
    assert_eq!(fb.status, StatusCode::CREATED);
    assert_eq!(fb.body["run_id"], "2025-12");
    let stored = rt().block_on(a.state.store.feedback(&p.alert_75)).unwrap();
    assert_eq!((stored[0].useful, stored[0].reason.as_deref()), (false, Some("already known")));
    let page = a.call("GET", &format!("/v1/companies/{}", p.alert_75), Some(&a.analyst), None).body;
    assert_eq!(page["follow_up"]["status"], "in_support");
}

#[test]
fn alert_lists_filter_sort_paginate_and_count() {
    let a = api();
    let all = a.call("GET", "/v1/alerts?limit=1000", Some(&a.analyst), None).body;
    let items = all["items"].as_array().unwrap().clone();
    let red = items.iter().filter(|i| i["level"] == "red").count() as i64;
    let orange = items.iter().filter(|i| i["level"] == "orange").count() as i64;
    assert_eq!(all["counts"], json!({"red": red, "orange": orange}));
    assert_eq!(all["next_cursor"], Value::Null);
    assert_eq!(all["run_id"], "2025-12");
    let run = rt().block_on(a.state.store.run("2025-12")).unwrap().unwrap();
    assert_eq!((red, orange), (run.red, run.orange), "the national list is every alert of the run");
    let p18: Vec<f64> = items.iter().map(|i| i["p_18m"].as_f64().unwrap()).collect();
    assert!(p18.windows(2).all(|w| w[0] >= w[1]), "riskiest first");
    // Pages of 7 cover the list exactly, in order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/v1/alerts?limit=7&cursor={c}"),
            None => "/v1/alerts?limit=7".into(),
        };
        let page = a.call("GET", &uri, Some(&a.analyst), None).body;
        paged.extend(page["items"].as_array().unwrap().iter().map(|i| i["company_id"].clone()));
        assert_eq!(page["counts"], all["counts"], "counts ignore pagination");
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, items.iter().map(|i| i["company_id"].clone()).collect::<Vec<_>>());
    // Filters, each checked against the full list.
    let check = |query: &str, keep: &dyn Fn(&Value) -> bool| {
        let got = a.call("GET", &format!("/v1/alerts?limit=1000&{query}"), Some(&a.analyst), None);
        assert_eq!(got.status, StatusCode::OK, "{query}: {}", got.body);
        let ids: Vec<&Value> =
            got.body["items"].as_array().unwrap().iter().map(|i| &i["company_id"]).collect();
        let want: Vec<&Value> =
            items.iter().filter(|i| keep(i)).map(|i| &i["company_id"]).collect();
        assert_eq!(ids, want, "{query}");
        assert!(
            !want.is_empty() || query.contains("follow_up=closed"),
            "{query} selects something"
        );
    };
    let dep = items[0]["departement"].as_str().unwrap().to_owned();
    let section = items[0]["naf_section"].as_str().unwrap().to_owned();
    let band = items[0]["size_band"].as_str().unwrap().to_owned();
    let region = items[0]["region"].as_str().unwrap().to_owned();
    check(&format!("departement={dep}"), &|i| i["departement"] == dep.as_str());
    check(&format!("region={region}"), &|i| i["region"] == region.as_str());
    check(&format!("naf_section={section}"), &|i| i["naf_section"] == section.as_str());
    check(&format!("size_band={band}"), &|i| i["size_band"] == band.as_str());
    check("level=red", &|i| i["level"] == "red");
    check("first_only=true", &|i| i["first_alert"] == true);
    check("follow_up=to_contact", &|_| true);
    check("follow_up=closed", &|_| false);
    // Sorting.
    let asc = a.call("GET", "/v1/alerts?limit=1000&sort=risk_asc", Some(&a.analyst), None).body;
    let asc: Vec<f64> =
        asc["items"].as_array().unwrap().iter().map(|i| i["p_18m"].as_f64().unwrap()).collect();
    assert!(asc.windows(2).all(|w| w[0] <= w[1]));
    let by_dep =
        a.call("GET", "/v1/alerts?limit=1000&sort=departement", Some(&a.analyst), None).body;
    let deps: Vec<&str> = by_dep["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["departement"].as_str().unwrap())
        .collect();
    assert!(deps.windows(2).all(|w| w[0] <= w[1]));
    // Following a company up changes its status in the list.
    let target = items[0]["company_id"].as_str().unwrap();
    a.call(
        "PUT",
        &format!("/v1/companies/{target}/follow-up"),
        Some(&a.analyst),
        Some(r#"{"status":"closed"}"#),
    );
    let closed = a.call("GET", "/v1/alerts?follow_up=closed", Some(&a.analyst), None).body;
    assert_eq!(closed["items"][0]["company_id"], target);
    assert_eq!(closed["items"].as_array().unwrap().len(), 1);
    // Invalid parameters.
    for (q, field) in [
        ("level=green", "level"),
        ("naf_section=Z", "naf_section"),
        ("size_band=huge", "size_band"),
        ("sort=name", "sort"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("follow_up=maybe", "follow_up"),
        ("region=99", "region"),
    ] {
        let r = a.call("GET", &format!("/v1/alerts?{q}"), Some(&a.analyst), None);
        assert_eq!(
            (code(&r), r.body["fields"][0]["field"].as_str()),
            ("validation_failed", Some(field)),
            "{q}"
        );
    }
    assert_eq!(
        code(&a.call("GET", "/v1/alerts?departement=20", Some(&a.analyst), None)),
        "validation_failed"
    );
    assert_eq!(
        code(&a.call("GET", "/v1/alerts?limit=abc", Some(&a.analyst), None)),
        "invalid_query"
    );
    assert_eq!(
        code(&a.call("GET", "/v1/alerts?colour=red", Some(&a.analyst), None)),
        "invalid_query"
    );
    assert_eq!(
        code(&a.call("GET", "/v1/alerts?cursor=zz", Some(&a.analyst), None)),
        "invalid_cursor"
    );
    // A cursor is a position: one made by hand is taken (the alerts below p = 0.5, in the
    // order asked); one naming no run is a 404.
    let at = |p_18m: f64, run: &str| {
        vigie_store::AlertCursor {
            departement: "21".into(),
            p_18m,
            company_id: "0000000000000000".into(),
            run_id: run.into(),
        }
        .encode()
    };
    let below =
        a.call("GET", &format!("/v1/alerts?cursor={}", at(0.5, "2025-12")), Some(&a.analyst), None);
    assert_eq!(below.status, StatusCode::OK, "{}", below.body);
    let below = below.body["items"].as_array().unwrap().clone();
    assert!(!below.is_empty() && below.iter().all(|i| i["p_18m"].as_f64().unwrap() < 0.5));
    let above = format!("/v1/alerts?sort=risk_asc&cursor={}", at(0.5, "2025-12"));
    let above = a.call("GET", &above, Some(&a.analyst), None);
    assert!(
        above.body["items"].as_array().unwrap().iter().all(|i| i["p_18m"].as_f64().unwrap() > 0.5)
    );
    assert_eq!(
        code(&a.call(
            "GET",
            &format!("/v1/alerts?cursor={}", at(0.5, "1999-01")),
            Some(&a.analyst),
            None
        )),
        "not_found"
    );
    // A cursor keeps its run: page 2 of a list begun on run 2025-11 comes from 2025-11,
    // though 2025-12 is newer; a run named in the query wins over the cursor's.
    let first = a.call("GET", "/v1/alerts?run_id=2025-11&limit=2", Some(&a.analyst), None);
    let next = first.body["next_cursor"].as_str().expect("more than two alerts").to_owned();
    let second = a.call("GET", &format!("/v1/alerts?cursor={next}"), Some(&a.analyst), None);
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["run_id"], "2025-11");
    let ids = |r: &Resp| -> Vec<String> {
        r.body["items"].as_array().unwrap().iter().map(|i| i["company_id"].to_string()).collect()
    };
    assert!(ids(&second).iter().all(|id| !ids(&first).contains(id)), "no company repeated");
    let mixed = format!("/v1/alerts?run_id=2025-12&cursor={next}");
    let mixed = a.call("GET", &mixed, Some(&a.analyst), None);
    assert_eq!(
        (mixed.status, &mixed.body["run_id"]),
        (StatusCode::OK, &serde_json::json!("2025-12"))
    );
    assert_eq!(
        code(&a.call("GET", "/v1/alerts?run_id=1999-01", Some(&a.analyst), None)),
        "not_found"
    );
}

/// A feature vector: every catalogue feature at a plausible value, every fifth missing.
fn feature_vector() -> String {
    let mut f = serde_json::Map::new();
    for (i, spec) in vigie_core::features::CATALOGUE.iter().enumerate() {
        f.insert(spec.name.into(), if i % 5 == 0 { Value::Null } else { json!(0.1 * i as f64) });
    }
    json!({ "features": f }).to_string()
}

#[test]
fn scoring_feature_vectors() {
    let a = api();
    let one = feature_vector();
    let r = a.call("POST", "/v1/score", Some(&a.agent21), Some(&one));
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let item = &r.body["items"][0];
    let p: Vec<f64> =
        ["6m", "12m", "18m", "24m"].iter().map(|h| item["p"][h].as_f64().unwrap()).collect();
    assert!(p.windows(2).all(|w| w[0] <= w[1]) && p.iter().all(|x| (0.0..=1.0).contains(x)));
    let x = &item["explanation"];
    let sum: f64 = x["groups"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
    assert!((x["bias"].as_f64().unwrap() + sum - item["margin"].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(x["margin"], item["margin"]);
    // The same through the scorer's explanation: same factors, same order.
    let e = a
        .state
        .model()
        .unwrap()
        .scorer
        .explain(
            &vigie_core::features::CATALOGUE
                .iter()
                .enumerate()
                .map(|(i, _)| if i % 5 == 0 { f64::NAN } else { 0.1 * i as f64 })
                .collect::<Vec<_>>(),
        )
        .unwrap();
    let names = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| f["feature"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&x["concerning"]),
        e.top_concerning(5).iter().map(|f| f.feature.clone()).collect::<Vec<_>>()
    );
    assert_eq!(
        names(&x["reassuring"]),
        e.top_reassuring(5).iter().map(|f| f.feature.clone()).collect::<Vec<_>>()
    );
    // The same through the scorer directly.
    let model = a.state.model().unwrap();
    let row: Vec<f64> = vigie_core::features::CATALOGUE
        .iter()
        .enumerate()
        .map(|(i, _)| if i % 5 == 0 { f64::NAN } else { 0.1 * i as f64 })
        .collect();
    assert_eq!(model.scorer.score(&row).unwrap().p.alert(), item["p"]["18m"].as_f64().unwrap());
    assert_eq!(r.body["model_version"], model.version.as_str());
    // Without explanations: the same probabilities, no contributions.
    let mut quick: Value = serde_json::from_str(&one).unwrap();
    quick["explain"] = json!(false);
    let q = a.call("POST", "/v1/score", Some(&a.agent21), Some(&quick.to_string()));
    assert_eq!(q.body["items"][0]["p"], item["p"]);
    assert_eq!(q.body["items"][0]["level"], item["level"]);
    assert!(q.body["items"][0].get("explanation").is_none(), "{}", q.body);
    // A batch keeps order and references.
    let batch = json!({"items": [
        {"ref": "a", "features": {"tax_arrears_ratio": 0.5}},
        {"ref": "b", "features": {}},
    ]})
    .to_string();
    let r = a.call("POST", "/v1/score", Some(&a.analyst), Some(&batch));
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["items"][0]["ref"].as_str(), r.body["items"][1]["ref"].as_str()),
        (Some("a"), Some("b"))
    );
    // Field-level validation.
    let r = a.call(
        "POST",
        "/v1/score",
        Some(&a.analyst),
        Some(r#"{"items":[{"features":{"tax_ratio":1}},{"features":{"nope":2}}]}"#),
    );
    assert_eq!(code(&r), "validation_failed");
    let fields: Vec<&str> =
        r.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["items[0].features.tax_ratio", "items[1].features.nope"]);
    assert_eq!(
        code(&a.call("POST", "/v1/score", Some(&a.analyst), Some(r#"{"features":{},"items":[]}"#))),
        "validation_failed"
    );
    assert_eq!(
        code(&a.call("POST", "/v1/score", Some(&a.analyst), Some(r#"{"items":[]}"#))),
        "validation_failed"
    );
    let many = json!({"items": vec![json!({"features": {}}); 1001]}).to_string();
    assert_eq!(
        code(&a.call("POST", "/v1/score", Some(&a.analyst), Some(&many))),
        "batch_too_large"
    );
}

#[test]
fn malformed_input_never_crashes_and_never_returns_500() {
    let a = api_with(Config { body_limit_bytes: 64 * 1024, ..Config::default() });
    let t = Some(a.analyst.as_str());
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let cases: Vec<(String, &str)> = vec![
        ("{\"features\": {\"tax_arrears_ratio\": 0.1".into(), "invalid_json"),
        (String::new(), "invalid_json"),
        ("null".into(), "invalid_json"),
        ("{\"features\": {\"tax_arrears_ratio\": \"high\"}}".into(), "invalid_json"),
        ("{\"features\": [1, 2]}".into(), "invalid_json"),
        (format!("{{\"features\": {{\"tax_arrears_ratio\": {deep}}}}}"), "invalid_json"),
        (deep.clone(), "invalid_json"),
        ("{\"features\": {}, \"extra\": 1}".into(), "invalid_json"),
        ("{\"items\": [{\"features\": {}, \"colour\": \"red\"}]}".into(), "invalid_json"),
        ("{\"features\": {\"tax_arrears_ratio\": NaN}}".into(), "invalid_json"),
        ("{\"features\": {\"tax_arrears_ratio\": Infinity}}".into(), "invalid_json"),
        ("{\"features\": {\"tax_arrears_ratio\": 1e999}}".into(), "invalid_json"),
        ("{\"features\": {\"tax_arrears_ratio\": -1e999}}".into(), "invalid_json"),
        ("{\"features\": {}} trailing".into(), "invalid_json"),
        ("{\"features\": {\"fin_roa\": 1, \"fin_roa\": 2}}".into(), "invalid_json"),
        ("{\"items\": [{\"features\": {\"a\": 1, \"a\": null}}]}".into(), "invalid_json"),
        ("\u{0}\u{1}binary".into(), "invalid_json"),
        (
            format!("{{\"features\": {{\"x\": \"{}\"}}}}", "a".repeat(70 * 1024)),
            "payload_too_large",
        ),
    ];
    for (body, expected) in &cases {
        let r = a.call("POST", "/v1/score", t, Some(body));
        assert_eq!(code(&r), *expected, "{}", &body[..body.len().min(80)]);
    }
    let twice = a.call("POST", "/v1/score", t, Some(r#"{"features": {"x": 1, "x": 2}}"#));
    let message = twice.body["message"].as_str().unwrap();
    assert!(message.contains("feature `x` is given twice"), "{message}");
    // Huge but finite numbers score normally.
    let r = a.call(
        "POST",
        "/v1/score",
        t,
        Some(r#"{"features": {"tax_arrears_ratio": 1e300, "fin_equity_to_assets": -1e300}}"#),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Wrong content type; wrong method; unknown route.
    let req = Request::post("/v1/score")
        .header(header::AUTHORIZATION, format!("Bearer {}", a.analyst))
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(code(&a.send(req)), "unsupported_media_type");
    assert_eq!(code(&a.call("DELETE", "/v1/alerts", t, None)), "method_not_allowed");
    assert_eq!(code(&a.call("GET", "/v1/nothing-here", t, None)), "not_found");
    // Follow-up bodies too.
    let p = prepared();
    let uri = format!("/v1/companies/{}/follow-up", p.alert_75);
    for (body, expected) in [
        ("{\"status\": 3}", "invalid_json"),
        ("{\"status\": \"closed\", \"by\": \"me\"}", "invalid_json"),
        ("[]", "invalid_json"),
    ] {
        assert_eq!(code(&a.call("PUT", &uri, t, Some(body))), expected, "{body}");
    }
    let long = json!({"status": "closed", "note": "x".repeat(2001)}).to_string();
    assert_eq!(code(&a.call("PUT", &uri, t, Some(&long))), "validation_failed");
    let odd = a.call("GET", "/v1/companies/%C3%A9%00", t, None);
    assert_eq!(code(&odd), "invalid_company_id");
    // A path segment that is not UTF-8 names nothing: the JSON 404, not axum's plain text.
    for uri in ["/v1/companies/%FF", "/v1/runs/%FF", "/v1/companies/%FF/feedback"] {
        let method = if uri.ends_with("feedback") { "POST" } else { "GET" };
        let r = a.call(method, uri, t, Some("{\"useful\": true}").filter(|_| method == "POST"));
        assert_eq!((r.status, code(&r)), (StatusCode::NOT_FOUND, "not_found"), "{uri}");
    }
    // Company data stays out of browser and proxy caches.
    let r = a.call("GET", &format!("/v1/companies/{}", p.alert_75), t, None);
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
}

#[test]
fn rate_limits_and_timeouts_answer_with_their_codes() {
    let a = api_with(Config {
        rate_limit_per_second: 0.01,
        rate_limit_burst: 3.0,
        ..Config::default()
    });
    for _ in 0..3 {
        assert_eq!(a.call("GET", "/v1/runs", Some(&a.analyst), None).status, StatusCode::OK);
    }
    let r = a.call("GET", "/v1/runs", Some(&a.analyst), None);
    assert_eq!((r.status, code(&r)), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    let wait: u64 = r.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=100).contains(&wait), "{wait}");
    // Per token: another token is not limited.
    assert_eq!(a.call("GET", "/v1/runs", Some(&a.admin), None).status, StatusCode::OK);

    // A 1,000-item batch with explanations takes far longer than 5 ms.
    let slow = api_with(Config { request_timeout_seconds: 0.005, ..Config::default() });
    let many =
        json!({"items": vec![json!({"features": {"tax_arrears_ratio": 0.3}}); 1000]}).to_string();
    let r = slow.call("POST", "/v1/score", Some(&slow.analyst), Some(&many));
    assert_eq!((r.status, code(&r)), (StatusCode::REQUEST_TIMEOUT, "request_timeout"));
}

#[test]
fn readiness_metrics_and_a_missing_model() {
    let a = api();
    let r = a.call("GET", "/readyz", None, None);
    assert_eq!(r.body["model"], a.state.model().unwrap().version.as_str());
    a.call("GET", &format!("/v1/companies/{}", prepared().siren.0), Some(&a.analyst), None);
    let m = a.call("GET", "/metrics", None, None).body;
    let m = m.as_str().unwrap();
    assert!(m.contains("vigie_http_requests_total{method=\"GET\",route=\"/v1/companies/{id}\",status=\"200\"} 1"), "{m}");
    assert!(m.contains(&format!(
        "vigie_model_info{{version=\"{}\"}} 1",
        a.state.model().unwrap().version
    )));
    assert!(!m.contains(&prepared().siren.0), "metrics never hold identifiers");
    // A store without an active model.
    let dir = common::tempdir();
    let url = format!("sqlite://{}", dir.path().join("empty.db").display());
    rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        let (_, secret) = store
            .create_token(&NewToken { name: "a".into(), role: Role::Analyst, territories: vec![] })
            .await
            .unwrap();
        let state = Arc::new(AppState::new(store, None, Config::default()));
        assert_eq!(state.refresh_model().await.unwrap(), None);
        let (router, _) = vigie_server::app(state);
        let req = Request::post("/v1/score")
            .header(header::AUTHORIZATION, format!("Bearer {secret}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"features\":{}}"))
            .unwrap();
        let r = router.clone().oneshot(req).await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: Value =
            serde_json::from_slice(&axum::body::to_bytes(r.into_body(), 10_000).await.unwrap())
                .unwrap();
        assert_eq!(body["code"], "no_active_model");
        let r = router
            .clone()
            .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        let r = router
            .oneshot(
                Request::get("/v1/alerts")
                    .header(header::AUTHORIZATION, format!("Bearer {secret}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "no run yet");
        // Without a key, SIRENs cannot be looked up.
    });
}

#[test]
fn a_model_is_hot_swapped_without_dropping_requests() {
    let a = api();
    let old = a.state.model().unwrap().version.clone();
    // A second version: the demo model with another version name and calibration.
    let mut m = vigie_score::ModelFile::load(&common::demo_model_dir()).unwrap();
    m.version = "vswappedmodel".into();
    m.calibration.platt[2][1] -= 1.0;
    rt().block_on(a.state.store.register_model(&vigie_store::ModelRecord {
        version: m.version.clone(),
        name: m.name.clone(),
        family: "gbdt".into(),
        feature_set: vigie_core::features::FeatureSet::Full,
        registered_at: vigie_store::now_utc(),
        active: false,
        model_json: m.to_json(),
        card: None,
        metrics: None,
    }))
    .unwrap();
    // The candidate compared with the active model on the latest run's companies
    // (`vigie models compare`): the activation's answer shows it.
    let cand = common::tempdir();
    std::fs::write(cand.path().join("model.json"), m.to_json()).unwrap();
    let compared = rt()
        .block_on(vigie_batch::compare::compare(
            &a.state.store,
            &vigie_batch::compare::CompareOptions {
                input: common::root().join("data-samples/demo"),
                model: cand.path().to_owned(),
                tax_lag: 1,
                social_lag: 2,
                pseudo: vigie_core::Pseudonymiser::demo(),
            },
        ))
        .unwrap();
    assert_eq!(
        (compared.active_version.as_str(), compared.run_id.as_str()),
        (old.as_str(), "2025-12")
    );
    assert!(compared.removed_alerts > 0 && compared.new_alerts == 0);
    let body = feature_vector();
    let results = rt().block_on(async {
        let mut tasks = Vec::new();
        for i in 0..60 {
            let router = a.router.clone();
            let token = if i == 30 { a.admin.clone() } else { a.analyst.clone() };
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                let req = if i == 30 {
                    Request::post("/v1/models/vswappedmodel/activate")
                        .header(header::AUTHORIZATION, format!("Bearer {token}"))
                        .body(Body::empty())
                        .unwrap()
                } else {
                    Request::post("/v1/score")
                        .header(header::AUTHORIZATION, format!("Bearer {token}"))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(body))
                        .unwrap()
                };
                let r = router.oneshot(req).await.unwrap();
                let status = r.status();
                let b: Value = serde_json::from_slice(
                    &axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap(),
                )
                .unwrap();
                (status, b)
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    assert!(results.iter().all(|(s, _)| *s == StatusCode::OK), "no request dropped");
    let activation = &results[30].1;
    let item = activation["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["version"] == "vswappedmodel")
        .unwrap();
    assert_eq!(item["comparison"]["changed"], compared.changed);
    assert_eq!(item["comparison"]["red"]["both"], compared.red.both);
    assert_eq!(item["comparison"]["active_version"], old.as_str());
    let versions: std::collections::BTreeSet<&str> =
        results.iter().filter_map(|(_, b)| b["model_version"].as_str()).collect();
    assert!(versions.iter().all(|v| *v == old || *v == "vswappedmodel"));
    assert_eq!(a.state.model().unwrap().version, "vswappedmodel");
    let after = a.call("POST", "/v1/score", Some(&a.analyst), Some(&body));
    assert_eq!(after.body["model_version"], "vswappedmodel");
    let models = a.call("GET", "/v1/models", Some(&a.analyst), None).body;
    assert_eq!(models["loaded"], "vswappedmodel");
    // One active model per feature set: the swapped company scorer, and the self-diagnosis
    // model untouched.
    let active: Vec<(&str, &str)> = models["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["active"] == true)
        .map(|m| (m["version"].as_str().unwrap(), m["feature_set"].as_str().unwrap()))
        .collect();
    let self_version = a.state.self_model().unwrap().version.clone();
    assert_eq!(active.len(), 2, "{active:?}");
    assert!(active.contains(&("vswappedmodel", "full")));
    assert!(active.contains(&(self_version.as_str(), "self")));
    assert_eq!(models["loaded_self"], self_version.as_str());
    let _ = &a.url;
}

/// One HTTP/1.1 request over a real socket.
fn http(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).unwrap().parse().unwrap();
    (status, out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned())
}

#[test]
fn a_real_server_on_an_ephemeral_port_shuts_down_gracefully() {
    let a = api();
    let live = common::Live::start(Arc::clone(&a.state));
    let addr = live.addr;
    let (status, body) =
        http(addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!((status, body.contains("\"ok\"")), (200, true));
    let req = format!(
        "GET /v1/alerts?limit=2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        a.agent_busy
    );
    let (status, body) = http(addr, &req);
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(
        addr,
        "POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{\"a\":",
    );
    assert_eq!(status, 401, "{body}");
    let (status, _) = http(addr, "GARBAGE\r\n\r\n");
    assert_eq!(status, 400, "hyper refuses a malformed request line");
    live.stop();
    assert!(std::net::TcpStream::connect(addr).is_err(), "the port is closed after shutdown");
}

#[test]
fn alert_exports_are_csv_scoped_and_audited() {
    let a = api();
    let p = prepared();
    let list = a.call("GET", "/v1/alerts?limit=1000", Some(&a.agent_busy), None).body;
    let r = a.call("GET", "/v1/alerts/export", Some(&a.agent_busy), None);
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let csv = r.body.as_str().unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("company_id,departement,region,naf,naf_section,size_band,level,p_6m")
    );
    let items = list["items"].as_array().unwrap();
    assert_eq!(lines.len() - 1, items.len(), "every alert of the list, no more");
    for (line, item) in lines[1..].iter().zip(items) {
        let cols: Vec<&str> = line.split(',').collect();
        assert_eq!(cols[0], item["company_id"].as_str().unwrap());
        assert_eq!(cols[1], p.busy.as_str());
        assert_eq!(cols[9].parse::<f64>().unwrap(), item["p_18m"].as_f64().unwrap());
    }
    // Filters apply; another territory is not exportable.
    let red = a.call("GET", "/v1/alerts/export?level=red", Some(&a.agent_busy), None);
    assert!(red.body.as_str().unwrap().lines().skip(1).all(|l| l.split(',').nth(6) == Some("red")));
    let r = a.call("GET", "/v1/alerts/export?departement=75", Some(&a.agent21), None);
    assert_eq!((r.status, code(&r)), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(
        code(&a.call("GET", "/v1/alerts/export?limit=5", Some(&a.agent21), None)),
        "validation_failed"
    );
    let log = a.audit();
    let exports: Vec<_> = log.iter().filter(|e| e.route == "GET /v1/alerts/export").collect();
    assert_eq!(exports.len(), 3);
    assert_eq!(
        (exports[0].outcome.as_str(), exports[0].territory.as_deref()),
        ("ok", Some(p.busy.as_str()))
    );
    assert_eq!(
        exports[0].reason.as_deref(),
        Some(format!("{} rows of run 2025-12", items.len()).as_str())
    );
    assert_eq!(
        (
            exports[2].token_name.as_str(),
            exports[2].outcome.as_str(),
            exports[2].territory.as_deref()
        ),
        ("agent-21", "denied_out_of_zone", Some("75"))
    );
}

#[test]
fn store_failures_answer_internal_error_and_not_ready_without_details() {
    let a = api();
    let p = prepared();
    // A broken table: the request fails cleanly, and the message says nothing of SQL. (The
    // audit log: a consultation that cannot be audited is not answered.)
    rt().block_on(async {
        use sqlx::Connection as _;
        let mut c = sqlx::SqliteConnection::connect(&a.url).await.unwrap();
        sqlx::query("DROP TABLE audit_log").execute(&mut c).await.unwrap();
    });
    let r = a.call_raw("GET", &format!("/v1/companies/{}", p.alert_75), Some(&a.analyst));
    assert_eq!((r.status, code(&r)), (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"));
    let message = r.body["message"].as_str().unwrap().to_lowercase();
    assert!(!message.contains("audit_log") && !message.contains("sql"), "{message}");
    // A closed store: not ready.
    rt().block_on(a.state.store.close());
    let r = a.call_raw("GET", "/readyz", None);
    assert_eq!((r.status, code(&r)), (StatusCode::SERVICE_UNAVAILABLE, "not_ready"));
}

#[test]
fn two_instances_on_one_postgres_serve_the_same_data() {
    let Some(url) = crate::store::postgres_url("api_two_instances") else { return };
    let demo = common::root().join("data-samples/demo");
    let dir = common::tempdir();
    let (analyst, admin) = rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        for (i, m) in ["2025-11", "2025-12"].iter().enumerate() {
            let opts = crate::rescore::options(&demo, m, &dir.path().join(m), i == 0);
            vigie_batch::rescore(&store, &opts, &|_| {}).await.unwrap();
        }
        let mut m = vigie_score::ModelFile::load(&common::demo_model_dir()).unwrap();
        m.version = "vsecondmodel".into();
        store
            .register_model(&vigie_store::ModelRecord {
                version: m.version.clone(),
                name: m.name.clone(),
                family: "gbdt".into(),
                feature_set: vigie_core::features::FeatureSet::Full,
                registered_at: vigie_store::now_utc(),
                active: false,
                model_json: m.to_json(),
                card: None,
                metrics: None,
            })
            .await
            .unwrap();
        let mk = async |name: &str, role| {
            store
                .create_token(&NewToken { name: name.into(), role, territories: vec![] })
                .await
                .unwrap()
                .1
        };
        let analyst = mk("analyst", Role::Analyst).await;
        let admin = mk("admin", Role::Admin).await;
        store.close().await;
        (analyst, admin)
    });
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut servers = Vec::new();
    let mut addrs = Vec::new();
    for _ in 0..2 {
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        addrs.push(listener.local_addr().unwrap());
        let store = runtime.block_on(Store::open(&url)).unwrap();
        let state = Arc::new(AppState::new(
            store,
            Some(Pseudonymiser::demo()),
            Config { model_refresh_seconds: 1.0, ..Config::default() },
        ));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        servers.push((
            stop,
            runtime.spawn(vigie_server::serve(state, listener, async {
                let _ = stopped.await;
            })),
        ));
    }
    let get = |addr, path: &str, token: &str| {
        http(
            addr,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
            ),
        )
    };
    let wait_ready = |addr| {
        for _ in 0..100 {
            let (s, b) = get(addr, "/readyz", "");
            if s == 200 {
                return b;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("instance never ready");
    };
    wait_ready(addrs[0]);
    wait_ready(addrs[1]);
    let (s0, alerts0) = get(addrs[0], "/v1/alerts?limit=1000", &analyst);
    let (s1, alerts1) = get(addrs[1], "/v1/alerts?limit=1000", &analyst);
    assert_eq!((s0, s1), (200, 200));
    assert_eq!(alerts0, alerts1, "the same alert list from both instances");
    let first: Value = serde_json::from_str(&alerts0).unwrap();
    let id = first["items"][0]["company_id"].as_str().unwrap().to_owned();
    // A follow-up written through one instance is read through the other.
    let body = r#"{"status":"contacted","note":"via instance 0"}"#;
    let put = format!(
        "PUT /v1/companies/{id}/follow-up HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {analyst}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(http(addrs[0], &put).0, 200);
    // Each instance reads the others' follow-ups within a second.
    let mut company = Value::Null;
    for _ in 0..40 {
        let (_, body) = get(addrs[1], &format!("/v1/companies/{id}"), &analyst);
        company = serde_json::from_str(&body).unwrap();
        if company["follow_up"]["status"] == "contacted" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(company["follow_up"]["status"], "contacted");
    assert_eq!(company["follow_up"]["history"][0]["note"], "via instance 0");
    // A model activated through one instance is picked up by the other.
    let act = format!(
        "POST /v1/models/vsecondmodel/activate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(http(addrs[0], &act).0, 200);
    let mut swapped = false;
    for _ in 0..60 {
        if wait_ready(addrs[1]).contains("vsecondmodel") {
            swapped = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(swapped, "instance 1 reloads the model activated through instance 0");
    for (stop, server) in servers {
        stop.send(()).unwrap();
        runtime.block_on(server).unwrap().unwrap();
    }
    // Both instances audited into the one store.
    let log = rt().block_on(async { Store::open(&url).await.unwrap().audit_log().await.unwrap() });
    assert_eq!(log.iter().filter(|e| e.route == "GET /v1/alerts").count(), 2);
    // One PUT through instance 0, one or more GETs through instance 1.
    let rows: Vec<_> =
        log.iter().filter(|e| e.company_id.as_deref() == Some(id.as_str())).collect();
    assert_eq!(rows[0].route, "PUT /v1/companies/{id}/follow-up");
    assert!(rows.len() >= 2 && rows[1..].iter().all(|e| e.route == "GET /v1/companies/{id}"));
}

#[test]
fn the_in_memory_index_answers_exactly_as_the_store_and_follows_new_runs() {
    let unlimited =
        Config { rate_limit_per_second: 1e9, rate_limit_burst: 1e9, ..Config::default() };
    let a = api_with(unlimited.clone());
    let snap = a.state.snapshot().expect("built");
    assert_eq!(snap.runs.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["2025-11", "2025-12"]);
    // A second state over the same store, without the index: every company, same answer.
    let plain = rt().block_on(async {
        let store = Store::open(&a.url).await.unwrap();
        let state = Arc::new(AppState::new(store, Some(Pseudonymiser::demo()), unlimited));
        state.refresh_model().await.unwrap();
        state
    });
    assert!(plain.snapshot().is_none());
    let (plain_router, _) = vigie_server::app(Arc::clone(&plain));
    let ids: Vec<String> = snap.companies.keys().map(ToString::to_string).take(300).collect();
    for id in &ids {
        let uri = format!("/v1/companies/{id}");
        let fast = a.call("GET", &uri, Some(&a.analyst), None);
        let req = Request::get(&uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", a.analyst))
            .body(Body::empty())
            .unwrap();
        let slow = rt().block_on(async {
            let r = plain_router.clone().oneshot(req).await.unwrap();
            serde_json::from_slice::<Value>(
                &axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap(),
            )
            .unwrap()
        });
        assert_eq!(fast.body, slow, "{id}");
    }
    // A new run: the index follows once refreshed (the server polls; here, by hand).
    rt().block_on(async {
        let opts = vigie_batch::RescoreOptions {
            run_id: Some("2025-12-bis".into()),
            ..crate::rescore::options(
                &common::root().join("data-samples/demo"),
                "2025-12",
                &a.dir.path().join("bis"),
                false,
            )
        };
        vigie_batch::rescore(&a.state.store, &opts, &|_| {}).await.unwrap();
        a.state.refresh_snapshot().await.unwrap();
    });
    let page = a.call("GET", &format!("/v1/companies/{}", ids[0]), Some(&a.analyst), None).body;
    assert_eq!(page["history"].as_array().unwrap().len(), 3);
    assert_eq!(page["latest"]["run_id"], "2025-12-bis");
    // A backfill of an earlier month is not the latest run, but changes histories: the
    // index follows it too.
    rt().block_on(async {
        let opts = crate::rescore::options(
            &common::root().join("data-samples/demo"),
            "2025-10",
            &a.dir.path().join("october"),
            false,
        );
        // Refused unless asked for: later runs keep the diff they were written with.
        let e = vigie_batch::rescore(&a.state.store, &opts, &|_| {}).await.unwrap_err();
        assert!(e.to_string().contains("already holds a run of 2025-12"), "{e}");
        let opts = vigie_batch::RescoreOptions { backfill: true, ..opts };
        vigie_batch::rescore(&a.state.store, &opts, &|_| {}).await.unwrap();
        a.state.refresh_snapshot().await.unwrap();
    });
    let page = a.call("GET", &format!("/v1/companies/{}", ids[0]), Some(&a.analyst), None).body;
    let history = page["history"].as_array().unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history[0]["month"], "2025-10");
    assert_eq!(page["latest"]["run_id"], "2025-12-bis");
}

/// The Python interpreter of the OpenAPI tools (`VIGIE_PYTHON`, else `python3`), when it
/// has them; `None` with a message otherwise (a failure when `VIGIE_REQUIRE_PYTHON` is set,
/// as in CI).
fn openapi_python() -> Option<String> {
    let python = std::env::var("VIGIE_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import openapi_spec_validator, openapi_python_client, schemathesis"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    let msg = format!(
        "{python} lacks openapi-spec-validator, openapi-python-client or schemathesis \
         (pip install -r tests/python/requirements.txt)"
    );
    assert!(std::env::var("VIGIE_REQUIRE_PYTHON").is_err(), "{msg}");
    eprintln!("skipped: {msg}");
    None
}

#[test]
fn the_openapi_document_is_valid_openapi_3_1_and_types_the_explanation() {
    let a = api();
    let doc = a.call("GET", "/v1/openapi.json", None, None).body;
    // The explanation has a schema with named properties, in both answers.
    let schemas = &doc["components"]["schemas"];
    let summary = schemas["Summary"]["properties"].as_object().expect("Summary is an object");
    for p in ["bias", "margin", "groups", "concerning", "reassuring"] {
        assert!(summary.contains_key(p), "Summary.{p}");
    }
    let factor = schemas["Factor"]["properties"].as_object().unwrap();
    assert!(factor.contains_key("feature") && factor.contains_key("value_6m_ago"));
    let refers = |v: &Value| v.to_string().contains("#/components/schemas/Summary");
    assert!(refers(&schemas["LatestScore"]["properties"]["explanation"]));
    assert!(refers(&schemas["ScoreOut"]["properties"]["explanation"]));
    // Every operation lists the statuses of its extractors, and every response says what
    // it is.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for s in ["408", "500"] {
                assert!(responses.contains_key(s), "{method} {path} lists {s}");
            }
            if op.get("security") != Some(&serde_json::json!([{}])) {
                assert!(
                    responses.contains_key("401") && responses.contains_key("429"),
                    "{method} {path}"
                );
            }
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(s), "{method} {path} lists {s}");
                }
            }
            for (s, r) in responses {
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} {s}"
                );
            }
        }
    }
    let Some(python) = openapi_python() else { return };
    let path = common::root().join("docs/openapi.json");
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import json, sys\nfrom openapi_spec_validator import OpenAPIV31SpecValidator as V\n\
             errors = list(V(json.load(open(sys.argv[1]))).iter_errors())\n\
             [print(e.message[:300], list(e.path)) for e in errors]\nsys.exit(len(errors) > 0)",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docs/openapi.json is not valid OpenAPI 3.1:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_generated_python_client_calls_every_route() {
    let Some(python) = openapi_python() else { return };
    let a = api();
    let p = prepared();
    let dir = common::tempdir();
    let generated = dir.path().join("vigie_client");
    let out = std::process::Command::new(&python)
        .args(["-m", "openapi_python_client", "generate", "--meta", "none", "--path"])
        .arg(common::root().join("docs/openapi.json"))
        .arg("--output-path")
        .arg(&generated)
        .output()
        .unwrap();
    assert!(out.status.success(), "generation failed: {}", String::from_utf8_lossy(&out.stderr));
    let live = common::Live::start(Arc::clone(&a.state));
    let model = a.state.model().unwrap().version.clone();
    let config = serde_json::json!({
        "agent": a.agent_busy, "analyst": a.analyst, "admin": a.admin,
        "company": alert_of(&a, &p.busy), "model": model,
    });
    let out = std::process::Command::new(&python)
        .arg(common::root().join("tests/python/client_calls_every_route.py"))
        .arg(live.base())
        .arg(config.to_string())
        .env("PYTHONPATH", dir.path())
        .output()
        .unwrap();
    live.stop();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let called: Value = serde_json::from_str(stdout.trim()).unwrap();
    // Every documented operation was called (the script names each call after its
    // operation id, with a note in parentheses for the extra calls).
    let doc = a.call("GET", "/v1/openapi.json", None, None).body;
    let operations: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|i| i.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().unwrap())
        .collect();
    assert_eq!(operations.len(), 15);
    let called: Vec<&str> = called["called"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().split(" (").next().unwrap())
        .collect();
    for op in operations {
        assert!(called.contains(&op), "{op} was not called: {stdout}");
    }
}

/// Schemathesis, driven by the served document, sends every route requests it calls valid
/// (by the document's schemas, patterns and enums) and invalid, with a national analyst's
/// token and without: none that the document calls valid is refused (`positive_data_
/// acceptance`), every status answered is documented, every answer matches its schema, and
/// the server never fails (5xx). Fixed seed, bounded examples: the same requests each run.
#[test]
fn a_property_based_tester_finds_the_document_exact() {
    let Some(python) = openapi_python() else { return };
    // Rate limits out of the tester's way, so that every route's logic is reached.
    let a = api_with(Config {
        rate_limit_per_second: 100_000.0,
        rate_limit_burst: 100_000.0,
        public_rate_limit_per_minute: 6_000_000.0,
        public_rate_limit_burst: 100_000.0,
        ..Config::default()
    });
    let live = common::Live::start(Arc::clone(&a.state));
    let dir = common::tempdir();
    // The one documented exception: the self-diagnosis checks figures against each other
    // and against today (a balance sheet's total below the amounts it holds, a closing date
    // in the future), which no JSON Schema states; its document says that a body the schema
    // allows may be a 422 with `fields`. Every other check, and every other route, as is.
    std::fs::write(
        dir.path().join("schemathesis.toml"),
        "[[operations]]\ninclude-path = \"/v1/self-assessment\"\n\
         checks.positive_data_acceptance.expected-statuses = [\"2xx\", 422, 429]\n",
    )
    .unwrap();
    let out = std::process::Command::new(&python)
        .args([
            "-c",
            "import sys\nfrom schemathesis.cli import schemathesis\nsys.exit(schemathesis())",
        ])
        .args(["run", &format!("{}/v1/openapi.json", live.base())])
        .args(["--header", &format!("Authorization: Bearer {}", a.analyst)])
        .args(["--checks", "all", "--max-examples", "40", "--seed", "1", "--workers", "1"])
        .arg("--no-color")
        .current_dir(dir.path())
        .output()
        .unwrap();
    live.stop();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found requests the document does not describe:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It ran, on every operation (a summary that tested nothing would also succeed).
    assert!(stdout.contains("Tested: 15"), "{stdout}");
    assert!(!stdout.contains("Rate limited"), "{stdout}");
}

/// A company in alert in département `dep`.
pub(crate) fn alert_of(a: &Api, dep: &str) -> String {
    let r = a.call("GET", &format!("/v1/alerts?departement={dep}&limit=1"), Some(&a.analyst), None);
    r.body["items"][0]["company_id"].as_str().expect("an alert").to_owned()
}

#[test]
fn red_alerts_come_with_levers_that_the_model_confirms() {
    // On the demo store (runs 2025-11 and 2025-12): at least 90 % of the red alerts of the
    // latest run get a lever set; every set has one to three actionable features, moved
    // the possible way, and rescoring its row independently (the stored row, the set's
    // changes, the active model) gives its probability, under the orange threshold.
    let a = api();
    let model = a.state.model().unwrap();
    let orange = model.scorer.model().thresholds.orange;
    let reds = a.call("GET", "/v1/alerts?level=red&limit=1000", Some(&a.analyst), None).body;
    let reds = reds["items"].as_array().unwrap();
    assert!(reds.len() >= 20, "{} red alerts", reds.len());
    let stored = rt().block_on(a.state.store.run_scores("2025-12")).unwrap();
    let mut with_levers = 0;
    for item in reds {
        let id = item["company_id"].as_str().unwrap();
        let page = a.call("GET", &format!("/v1/companies/{id}"), Some(&a.analyst), None).body;
        let sets: Vec<vigie_score::levers::LeverSet> =
            serde_json::from_value(page["levers"].clone()).unwrap();
        with_levers += usize::from(!sets.is_empty());
        let s = stored.iter().find(|s| s.company_id == id).unwrap();
        let row = vigie_score::levers::row_from_json(s.features.as_deref().unwrap()).unwrap();
        assert!(sets.len() <= 3);
        for set in &sets {
            assert!((1..=3).contains(&set.changes.len()), "{id}: {set:?}");
            for c in &set.changes {
                let lever = vigie_core::features::lever_of(&c.feature)
                    .unwrap_or_else(|| panic!("{id}: {} is not actionable", c.feature));
                let at = vigie_core::features::index_of(&c.feature).unwrap();
                assert_eq!(c.from.to_bits(), row[at].to_bits(), "{id}: from is the company's");
                let ok = match lever.direction {
                    vigie_core::features::Direction::Down => c.to < c.from && c.to >= lever.floor,
                    vigie_core::features::Direction::Up => c.to > c.from,
                    vigie_core::features::Direction::Set => c.from == 0.0 && c.to == 1.0,
                };
                assert!(ok, "{id}: {} from {} to {}", c.feature, c.from, c.to);
            }
            let changed = vigie_score::levers::changed_row(&row, set).unwrap();
            let p = model.scorer.score(&changed).unwrap().p.alert();
            assert_eq!(p.to_bits(), set.p_18m_after.to_bits(), "{id}");
            assert!(p < orange, "{id}: {p} is not under {orange}");
            assert_eq!(set.level_after, "green");
        }
        // Ranked by size, smallest first.
        assert!(sets.windows(2).all(|w| w[0].size <= w[1].size), "{id}");
    }
    let share = with_levers as f64 / reds.len() as f64;
    assert!(share >= 0.9, "{with_levers} of {} red alerts have levers", reds.len());
    // A green company has none.
    let green = stored.iter().find(|s| s.level == "green").unwrap();
    let page =
        a.call("GET", &format!("/v1/companies/{}", green.company_id), Some(&a.analyst), None);
    assert_eq!(page.body["levers"], json!([]));
}
