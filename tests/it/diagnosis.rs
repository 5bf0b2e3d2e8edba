//! The public self-diagnosis: `POST /v1/self-assessment` and the page `/diagnostic`
//! (answers confirmed by rescoring, field errors in French, the rate limit per client
//! address, nothing kept anywhere), and the page in headless Chromium with and without
//! JavaScript.

// The bodies are JSON as clients write it (no digit separators).
#![allow(clippy::unreadable_literal)]

use std::io::{Read as _, Write as _};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt as _;
use vigie_core::Month;
use vigie_core::features::{SELF_ASSESSMENT, lever_of};
use vigie_score::diagnosis::Answers;
use vigie_score::levers;
use vigie_server::Config;

use crate::api::{Api, api, api_with};
use crate::common;
use crate::store::rt;

/// A company in trouble: losses, arrears, falling turnover.
fn distressed() -> Value {
    json!({
        "fiscal_year_end": "2025-12-31",
        "accounts": {
            "turnover": 800000.0, "value_added": 150000.0, "ebitda": -60000.0,
            "operating_income": -90000.0, "net_income": -120000.0, "total_assets": 600000.0,
            "equity": -40000.0, "financial_debt": 300000.0, "trade_payables": 180000.0,
            "trade_receivables": 150000.0, "inventory": 60000.0, "cash": 5000.0,
            "staff_costs": 210000.0, "tax_social_liabilities": 60000.0, "headcount": 6.0
        },
        "previous_turnover": 1000000.0, "previous_equity": 80000.0,
        "tax_arrears": 60000.0, "tax_payment_plan": false,
        "social_overdue": 30000.0, "social_monthly_contributions": 8000.0,
        "social_payment_plan": false,
        "turnover_last_3_months": 150000.0, "turnover_same_3_months_last_year": 250000.0,
        "turnover_last_6_months": 330000.0, "turnover_previous_6_months": 450000.0,
        "created": "2019-05", "naf": "56.10A", "past_procedure": false
    })
}

/// A sound company: profitable, no arrears, growing.
fn sound() -> Value {
    json!({
        "fiscal_year_end": "2025-12-31",
        "accounts": {
            "turnover": 2000000.0, "value_added": 800000.0, "ebitda": 250000.0,
            "operating_income": 200000.0, "net_income": 140000.0, "total_assets": 1500000.0,
            "equity": 700000.0, "financial_debt": 200000.0, "trade_payables": 150000.0,
            "trade_receivables": 250000.0, "cash": 400000.0, "tax_social_liabilities": 60000.0,
            "headcount": 15.0
        },
        "previous_turnover": 1800000.0, "previous_equity": 600000.0,
        "tax_arrears": 0.0, "social_overdue": 0.0, "social_monthly_contributions": 30000.0,
        "turnover_last_3_months": 520000.0, "turnover_same_3_months_last_year": 480000.0,
        "turnover_last_6_months": 1030000.0, "turnover_previous_6_months": 990000.0,
        "created": "2004-09", "naf": "25.62B", "past_procedure": false
    })
}

fn assess(a: &Api, body: &Value) -> crate::api::Resp {
    a.call("POST", "/v1/self-assessment", None, Some(&body.to_string()))
}

/// The month the server counts ages to.
fn this_month() -> Month {
    Month::parse(&vigie_store::now_utc()[..7]).unwrap()
}

#[test]
fn a_company_head_gets_a_band_factors_levers_and_help() {
    let a = api();
    let model = a.state.self_model().expect("the demo's self-diagnosis model is active");
    let scorer = &model.scorer;
    let orange = scorer.model().thresholds.orange;

    let r = assess(&a, &distressed());
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["model_version"], model.version.as_str());
    assert_ne!(r.body["level"], "green", "{}", r.body);
    assert!(r.body["band"].as_str().unwrap().starts_with("Risque"));
    // The answer is the self model's on the row the figures make (computed here apart).
    let answers: Answers = serde_json::from_value(distressed()).unwrap();
    let row = answers.row(this_month()).unwrap();
    let p18 = scorer.score(&row.values).unwrap().p.m18;
    assert_eq!(r.body["p"]["18m"].as_f64().unwrap().to_bits(), p18.to_bits());
    assert!(p18 >= orange);
    // The factors are self-assessment features, with their values.
    let concerning = r.body["explanation"]["concerning"].as_array().unwrap();
    assert!(!concerning.is_empty());
    for f in concerning.iter().chain(r.body["explanation"]["reassuring"].as_array().unwrap()) {
        assert!(SELF_ASSESSMENT.contains(&f["feature"].as_str().unwrap()), "{f}");
    }
    // Every lever set, rescored apart, is under the orange threshold; at most three
    // actionable features each, moved the possible way.
    let sets: Vec<levers::LeverSet> = serde_json::from_value(r.body["levers"].clone()).unwrap();
    assert!(!sets.is_empty(), "{}", r.body);
    for set in &sets {
        assert!((1..=3).contains(&set.changes.len()));
        for c in &set.changes {
            assert!(
                lever_of(&c.feature).is_some() && SELF_ASSESSMENT.contains(&c.feature.as_str())
            );
        }
        let changed = levers::changed_row(&row.values, set).unwrap();
        let after = scorer.score(&changed).unwrap().p.m18;
        assert_eq!(after.to_bits(), set.p_18m_after.to_bits());
        assert!(after < orange, "{after} ≥ {orange}");
    }
    // Where to get help, each with what it is for.
    let help = r.body["help"].as_array().unwrap();
    let names: String = help.iter().map(|h| h["name"].as_str().unwrap()).collect();
    for who in [
        "Centre d'information sur la prévention",
        "mandat ad hoc",
        "conciliation",
        "CODEFI",
        "Médiation du crédit",
        "impôts",
        "Urssaf",
    ] {
        assert!(names.contains(who), "{who}");
    }
    assert!(help.iter().all(|h| h["what"].as_str().unwrap().len() > 40));
    // What the self model loses against the full one, from its card's metrics.
    let metrics: Value = serde_json::from_str(
        &std::fs::read_to_string(common::demo_self_model_dir().join("metrics.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(r.body["against_full"]["roc_auc"], metrics["summary"]["roc_auc"]);
    assert_eq!(r.body["against_full"]["full_roc_auc"], metrics["full_feature_set"]["roc_auc"]);

    // A sound company: green, no levers.
    let r = assess(&a, &sound());
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["level"], "green", "{}", r.body);
    assert_eq!(r.body["levers"], json!([]));
    // Boxes of the simplified liasse give the answer of the same amounts by label.
    let by_boxes = json!({
        "fiscal_year_end": "2025-12-31", "regime": "simplified",
        "boxes": {"218": 800000.0, "180": 600000.0, "142": -40000.0, "156": 300000.0,
                  "166": 180000.0, "068": 150000.0, "060": 60000.0, "084": 5000.0,
                  "172": 60000.0, "310": -120000.0, "270": -90000.0, "376": 6.0},
        "created": "2019-05", "naf": "56.10A"
    });
    let mut by_labels = by_boxes.clone();
    let o = by_labels.as_object_mut().unwrap();
    o.remove("regime");
    o.remove("boxes");
    o.insert(
        "accounts".into(),
        json!({
            "turnover": 800000.0, "value_added": 800000.0, "ebitda": 800000.0,
            "total_assets": 600000.0, "equity": -40000.0, "financial_debt": 300000.0,
            "trade_payables": 180000.0, "trade_receivables": 150000.0, "inventory": 60000.0,
            "cash": 5000.0, "tax_social_liabilities": 60000.0, "net_income": -120000.0,
            "operating_income": -90000.0, "headcount": 6.0
        }),
    );
    let (x, y) = (assess(&a, &by_boxes), assess(&a, &by_labels));
    assert_eq!(x.status, StatusCode::OK, "{}", x.body);
    assert_eq!(x.body["p"], y.body["p"]);
}

#[test]
fn bad_figures_get_field_errors_in_french() {
    let a = api();
    let mut body = distressed();
    body["accounts"]["turnover"] = json!(-5.0);
    body["accounts"]["cash"] = json!(2_000_000.0);
    body["naf"] = json!("99");
    body["created"] = json!("2999-01");
    let r = assess(&a, &body);
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["code"], "validation_failed");
    let fields: Vec<(&str, &str)> = r.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["problem"].as_str().unwrap()))
        .collect();
    let names: Vec<&str> = fields.iter().map(|f| f.0).collect();
    assert_eq!(names, ["accounts.turnover", "accounts.total_assets", "created", "naf"]);
    assert!(fields[0].1.contains("ne peut pas être négatif"), "{}", fields[0].1);
    assert!(fields[1].1.contains("inférieur à la somme"), "{}", fields[1].1);
    // Nothing needed missing: the needed figures are named.
    let r = assess(&a, &json!({}));
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let names: Vec<&str> =
        r.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["fiscal_year_end", "accounts.turnover", "accounts.total_assets", "created", "naf"]
    );
    // Text that is not a code, whatever its characters: a French 422, never a crash.
    let mut body = distressed();
    body["naf"] = json!("aé12");
    let r = assess(&a, &body);
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["fields"][0]["field"], "naf");
    // Not JSON of this shape: 400, as everywhere in the API.
    for bad in [r#"{"tax_arrears": "douze"}"#, r#"{"surprise": 1}"#, "[1"] {
        let r = a.call("POST", "/v1/self-assessment", None, Some(bad));
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // POST only: the figures never travel in a URL.
    let r = a.call("GET", "/v1/self-assessment", None, None);
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn the_public_routes_are_rate_limited_per_client_address() {
    let a = api_with(Config {
        public_rate_limit_per_minute: 1.0,
        public_rate_limit_burst: 2.0,
        client_address_header: Some("x-forwarded-for".into()),
        ..Config::default()
    });
    let send = |from: &str, path: &str, json: bool| {
        let body = if json {
            distressed().to_string()
        } else {
            "saisie=libelles&accounts.turnover=douze".to_owned()
        };
        // A line the client wrote, then the proxy's own (its address with a port).
        let req = Request::post(path)
            .header("x-forwarded-for", "192.0.2.77")
            .header("x-forwarded-for", format!("203.0.113.9, {from}:4242"))
            .header(
                header::CONTENT_TYPE,
                if json { "application/json" } else { "application/x-www-form-urlencoded" },
            )
            .body(Body::from(body))
            .unwrap();
        rt().block_on(async {
            let r = a.router.clone().oneshot(req).await.unwrap();
            let status = r.status();
            let retry =
                r.headers().get(header::RETRY_AFTER).map(|v| v.to_str().unwrap().to_owned());
            let b = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
            (status, retry, String::from_utf8_lossy(&b).into_owned())
        })
    };
    // The API and the page share one bucket per address: two, then refused.
    assert_eq!(send("198.51.100.1", "/v1/self-assessment", true).0, StatusCode::OK);
    assert_eq!(send("198.51.100.1", "/diagnostic", false).0, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, retry, body) = send("198.51.100.1", "/v1/self-assessment", true);
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "rate_limited");
    assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);
    // The page says so in words, and keeps what was typed.
    let (status, retry, page) = send("198.51.100.1", "/diagnostic", false);
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some());
    assert!(page.contains("Trop de diagnostics demandés") && page.contains("value=\"douze\""));
    // Another address (the proxy's last one counts, not what a client may write before).
    assert_eq!(send("198.51.100.2", "/v1/self-assessment", true).0, StatusCode::OK);
    // The agents' API is not limited by it.
    let r = a.call("GET", "/v1/runs", Some(&a.analyst), None);
    assert_eq!(r.status, StatusCode::OK);
}

/// Sends a raw HTTP/1.1 request to a live server; returns the whole answer as text.
fn http(addr: std::net::SocketAddr, method: &str, path: &str, kind: &str, body: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn nothing_typed_is_stored_logged_audited_or_set_in_a_cookie() {
    let logs = crate::middleware::logs();
    let a = api();
    let audited = a.audit().len();
    let before = logs.lock().unwrap().len();
    // Figures no other test types, through the API and the page, answered and refused.
    let mut body = distressed();
    body["accounts"]["turnover"] = json!(7_654_321.0);
    body["tax_arrears"] = json!(123_457.0);
    body["naf"] = json!("47.73Z");
    let live = common::Live::start(Arc::clone(&a.state));
    let mut answers = Vec::new();
    answers.push(http(
        live.addr,
        "POST",
        "/v1/self-assessment",
        "application/json",
        &body.to_string(),
    ));
    body["accounts"]["cash"] = json!(9_876_543.0);
    answers.push(http(
        live.addr,
        "POST",
        "/v1/self-assessment",
        "application/json",
        &body.to_string(),
    ));
    let form = "saisie=libelles&fiscal_year_end=31%2F12%2F2025&accounts.turnover=7+654+321\
                &accounts.total_assets=5+432+109&tax_arrears=123457&created=2011-03&naf=47.73Z";
    answers.push(http(live.addr, "POST", "/diagnostic", "application/x-www-form-urlencoded", form));
    let refused = form.replace("created=2011-03", "created=quarante-deux");
    answers.push(http(
        live.addr,
        "POST",
        "/diagnostic",
        "application/x-www-form-urlencoded",
        &refused,
    ));
    live.stop();
    assert!(answers[0].starts_with("HTTP/1.1 200"), "{}", answers[0]);
    assert!(answers[1].starts_with("HTTP/1.1 422"), "{}", answers[1]);
    assert!(answers[2].starts_with("HTTP/1.1 200") && answers[2].contains("Votre résultat"));
    assert!(answers[3].starts_with("HTTP/1.1 422") && answers[3].contains("quarante-deux"));
    for answer in &answers {
        assert!(!answer.to_ascii_lowercase().contains("set-cookie"), "no cookie: {answer}");
    }
    let _ = std::io::stderr().flush();
    let text = String::from_utf8_lossy(&logs.lock().unwrap()[before..]).into_owned();
    assert!(text.contains("route=\"/v1/self-assessment\""), "the requests are logged: {text}");
    assert!(text.contains("route=\"/diagnostic\""), "{text}");
    // The figures, as typed and as numbers: in no log line, no audit row, no store byte.
    let typed = [
        "7654321",
        "7 654 321",
        "7+654+321",
        "123457",
        "9876543",
        "5432109",
        "5 432 109",
        "quarante-deux",
    ];
    for t in typed.iter().chain(&["47.73Z", "2011-03"]) {
        assert!(!text.contains(t), "{t} is in the logs");
    }
    assert_eq!(a.audit().len(), audited, "no consultation audited");
    rt().block_on(a.state.store.checkpoint()).unwrap();
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(a.dir.path()).unwrap() {
        // (The write-ahead log may be gone by now, checkpointed.)
        if let Ok(bytes) = std::fs::read(entry.unwrap().path()) {
            stored.extend(bytes);
        }
    }
    let found = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
    // (Not the NAF code or the creation month: the store holds those of the companies it
    // scores.)
    for t in typed {
        assert!(!found(t.as_bytes()), "{t} is in the store");
    }
    for x in [7_654_321.0f64, 123_457.0, 9_876_543.0, 5_432_109.0] {
        assert!(!found(&x.to_le_bytes()) && !found(&x.to_be_bytes()), "{x} is in the store");
        assert!(!found(&(x as i64).to_be_bytes()[5..]), "{x} (as an integer) is in the store");
    }
}

/// A page answer in process: status and text.
fn page(a: &Api, method: &str, uri: &str, form: Option<&str>) -> (StatusCode, String) {
    let mut b = Request::builder().method(method).uri(uri).header(header::ACCEPT, "text/html");
    let req = if let Some(f) = form {
        b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(f.to_owned()))
    } else {
        b = b.header(header::CONTENT_LENGTH, "0");
        b.body(Body::empty())
    }
    .unwrap();
    rt().block_on(async {
        let r = a.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    })
}

#[test]
fn the_page_answers_in_french_and_keeps_what_was_typed() {
    let a = api();
    let (status, html) = page(&a, "GET", "/diagnostic", None);
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<form method=\"post\" action=\"/diagnostic\""));
    assert!(html.contains("ni conservés, ni journalisés") && html.contains("Aucun cookie"));
    assert!(html.contains("Médiation du crédit") && html.contains("mandat ad hoc"));
    assert!(!html.contains("Se déconnecter"), "no sign-in on the public page");
    assert!(!html.contains("<script"));
    // French numbers, a date typed the French way: an answer, with the figures kept.
    let form = "saisie=libelles&fiscal_year_end=31%2F12%2F2025&accounts.turnover=800+000\
                &accounts.total_assets=600%C2%A0000&accounts.equity=-40000&accounts.cash=5000\
                &accounts.financial_debt=300000&accounts.trade_payables=180000\
                &accounts.tax_social_liabilities=60000&accounts.net_income=-120000\
                &tax_arrears=60+000&tax_payment_plan=non&social_overdue=30000\
                &social_monthly_contributions=8000&turnover_last_3_months=150000\
                &turnover_same_3_months_last_year=250000&turnover_last_6_months=330000\
                &turnover_previous_6_months=450000&created=05%2F2019&naf=5610A&past_procedure=";
    let (status, html) = page(&a, "POST", "/diagnostic", Some(form));
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Votre résultat"), "{html}");
    assert!(html.contains("Parmi 100 entreprises aux chiffres comparables"));
    assert!(html.contains("Ce qui pèse le plus"));
    assert!(html.contains("Ce qui ferait baisser le risque"), "levers shown");
    // The arrears in euros, from the figures typed.
    assert!(html.contains("ramenées de") || html.contains("ramenés de"), "{html}");
    assert!(html.contains("aire sous la courbe ROC"), "the self model's loss is shown");
    assert!(html.contains("value=\"800 000\"") && html.contains("value=\"5610A\""));
    assert!(
        html.contains(
            "id=\"f-tax_payment_plan-non\" name=\"tax_payment_plan\" value=\"non\" checked"
        )
    );
    // Text in a number, a negative turnover: each field says it, in French, and keeps it.
    let bad = form
        .replace("accounts.turnover=800+000", "accounts.turnover=-5")
        .replace("tax_arrears=60+000", "tax_arrears=beaucoup");
    let (status, html) = page(&a, "POST", "/diagnostic", Some(&bad));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Certains chiffres sont à corriger"));
    assert!(html.contains("href=\"#f-accounts-turnover\""), "{html}");
    assert!(html.contains("ne peut pas être négatif") && html.contains("Saisissez un nombre"));
    assert!(html.contains("value=\"beaucoup\"") && html.contains("aria-invalid=\"true\""));
    assert!(!html.contains("Votre résultat"));
    // By boxes of the normal liasse.
    let (status, html) = page(&a, "GET", "/diagnostic?saisie=normal", None);
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Case FL — Chiffre d&#x27;affaires net (2052)"), "{html}");
    let boxes = "saisie=normal&fiscal_year_end=2025-12-31&boxes.FL=800000&boxes.EE=600000\
                 &boxes.DL=-40000&boxes.DU=300000&boxes.DX=180000&boxes.DY=60000\
                 &boxes.CF=5000&boxes.HN=-120000&created=2019-05&naf=56.10A";
    let (status, html) = page(&a, "POST", "/diagnostic", Some(boxes));
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Votre résultat") && html.contains("value=\"800000\""));
}

#[test]
fn in_headless_chromium_with_and_without_javascript() {
    use crate::dashboard::{accessible, browser, chromedriver, shot};
    use fantoccini::Locator;
    let Some((_driver, driver_url)) = chromedriver() else { return };
    let a = api();
    let live = common::Live::start(Arc::clone(&a.state));
    let base = live.base();
    live.runtime.block_on(async {
        for javascript in [true, false] {
            let c = browser(&driver_url, javascript).await;
            let tag = if javascript { "js" } else { "sans-js" };
            if !javascript {
                // Scripts really are off in this browser: this page's script would rename it.
                c.goto("data:text/html,<title>static</title><script>document.title='js'</script>")
                    .await
                    .unwrap();
                assert_eq!(c.title().await.unwrap(), "static", "JavaScript is disabled");
            }
            // axe-core is itself a script: it audits the pages in the browser that runs
            // scripts; the other one shows they work without.
            let audit = async |c: &fantoccini::Client, page: &str| {
                if javascript {
                    accessible(c, page).await;
                }
            };
            c.goto(&format!("{base}/diagnostic")).await.unwrap();
            audit(&c, "self-diagnosis form").await;
            shot(&c, &format!("20-diagnostic-{tag}")).await;
            let typed = [
                ("f-fiscal_year_end", "31/12/2025"),
                ("f-accounts-turnover", "800 000"),
                ("f-accounts-total_assets", "600 000"),
                ("f-accounts-equity", "-40 000"),
                ("f-accounts-financial_debt", "300 000"),
                ("f-accounts-trade_payables", "180 000"),
                ("f-accounts-cash", "5 000"),
                ("f-accounts-net_income", "-120 000"),
                ("f-tax_arrears", "60 000"),
                ("f-social_overdue", "30 000"),
                ("f-social_monthly_contributions", "8 000"),
                ("f-turnover_last_3_months", "150 000"),
                ("f-turnover_same_3_months_last_year", "250 000"),
                ("f-created", "05/2019"),
                ("f-naf", "56.10A"),
            ];
            for (id, v) in typed {
                c.find(Locator::Id(id)).await.unwrap().send_keys(v).await.unwrap();
            }
            c.find(Locator::Id("f-tax_payment_plan-non")).await.unwrap().click().await.unwrap();
            c.find(Locator::Css("form.diagnostic button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            // The answer is another page: wait for it to load (10 s at most).
            let wait = || c.wait().at_most(std::time::Duration::from_secs(10));
            let title = wait().for_element(Locator::Id("resultat-titre")).await.unwrap();
            let title = title.text().await.unwrap();
            assert!(title.starts_with("Votre résultat"), "{title}");
            assert!(!c.find_all(Locator::Css("ol.leviers li")).await.unwrap().is_empty());
            let kept = c.find(Locator::Id("f-accounts-turnover")).await.unwrap();
            assert_eq!(kept.prop("value").await.unwrap().as_deref(), Some("800 000"));
            audit(&c, "self-diagnosis answer").await;
            shot(&c, &format!("21-diagnostic-resultat-{tag}")).await;
            // An error: the list of problems links to the field, which keeps its text.
            let field = c.find(Locator::Id("f-tax_arrears")).await.unwrap();
            field.clear().await.unwrap();
            field.send_keys("beaucoup").await.unwrap();
            c.find(Locator::Css("form.diagnostic button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let errors = wait().for_element(Locator::Id("erreurs")).await.unwrap();
            let errors = errors.text().await.unwrap();
            assert!(errors.contains("Saisissez un nombre"), "{errors}");
            let kept = c.find(Locator::Id("f-tax_arrears")).await.unwrap();
            assert_eq!(kept.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
            assert_eq!(kept.prop("value").await.unwrap().as_deref(), Some("beaucoup"));
            audit(&c, "self-diagnosis errors").await;
            assert!(c.get_all_cookies().await.unwrap().is_empty(), "no cookie");
            c.close().await.unwrap();
        }
    });
    live.stop();
}

#[test]
fn a_model_reading_more_than_a_company_head_types_never_answers_the_public() {
    // A store can say `self` of a model that reads the full catalogue (a column filled in
    // by hand, or before it existed): the server refuses to load it, and keeps its model.
    let a = api();
    let before = a.state.self_model().unwrap().version.clone();
    let mut m = vigie_score::ModelFile::load(&common::demo_model_dir()).unwrap();
    m.version = "vmislabelled".into();
    rt().block_on(async {
        a.state
            .store
            .register_model(&vigie_store::ModelRecord {
                version: m.version.clone(),
                name: m.name.clone(),
                family: "gbdt".into(),
                feature_set: vigie_core::features::FeatureSet::SelfAssessment,
                registered_at: vigie_store::now_utc(),
                active: false,
                model_json: m.to_json(),
                card: None,
                metrics: None,
            })
            .await
            .unwrap();
        a.state.store.activate_model("vmislabelled").await.unwrap();
        assert!(a.state.refresh_self_model().await.is_err());
    });
    assert_eq!(a.state.self_model().unwrap().version, before);
    let r = assess(&a, &distressed());
    assert_eq!(
        (r.status, r.body["model_version"].as_str()),
        (StatusCode::OK, Some(before.as_str()))
    );
}
