//! The dashboard: in-process (sessions, CSRF, territory, pages without JavaScript) and in a
//! real headless Chromium driven over WebDriver (sign in, filter, open a company, follow it
//! up, export, another territory, accessibility with axe-core, JavaScript disabled).

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use tower::ServiceExt as _;
use vigie_server::Config;

use crate::api::{Api, api, api_with, prepared};
use crate::common;
use crate::store::rt;

/// A dashboard response: status, headers, body text.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The value of the first hidden `csrf` field.
    fn csrf(&self) -> String {
        let at = self.text.find("name=\"csrf\" value=\"").expect("a form with a CSRF field");
        self.text[at + 19..at + 19 + 64].to_owned()
    }
}

fn send(a: &Api, method: &str, uri: &str, cookie: &str, form: Option<&str>) -> Page {
    let mut b = Request::builder().method(method).uri(uri);
    if !cookie.is_empty() {
        b = b.header(header::COOKIE, cookie);
    }
    let req = match form {
        Some(f) => b
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(f.to_owned())),
        None => b.body(Body::empty()),
    }
    .unwrap();
    rt().block_on(async {
        let r = a.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
        Page { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    })
}

/// Signs in with `token`; returns the session cookie (`vigie_session=…`).
pub(crate) fn sign_in(a: &Api, token: &str) -> String {
    let form = send(a, "GET", "/connexion", "", None);
    let login = form.cookies()[0].split(';').next().unwrap().to_owned();
    let body = format!("jeton={token}&csrf={}", form.csrf());
    let r = send(a, "POST", "/connexion", &login, Some(&body));
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/alertes"), "{}", r.text);
    r.cookies()
        .iter()
        .find(|c| c.starts_with("vigie_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("a session cookie")
}

#[test]
fn sign_in_gives_a_strict_cookie_and_every_form_needs_its_csrf_secret() {
    let a = api_with(Config { token_cache_seconds: 0.0, ..Config::default() });
    let p = prepared();
    // Signed out: every page leads to the sign-in form.
    for uri in ["/alertes", "/executions", &format!("/entreprises/{}", p.in_21)] {
        let r = send(&a, "GET", uri, "", None);
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/connexion"), "{uri}");
    }
    let r = send(&a, "GET", "/alertes", "vigie_session=not-a-session", None);
    assert_eq!(r.location(), "/connexion");

    // The sign-in form needs its double-submit cookie.
    let form = send(&a, "GET", "/connexion", "", None);
    assert_eq!(form.status, StatusCode::OK);
    let login_cookie = &form.cookies()[0];
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"));
    let body = format!("jeton={}&csrf={}", a.agent21, form.csrf());
    let r = send(&a, "POST", "/connexion", "", Some(&body));
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.cookies().iter().all(|c| !c.starts_with("vigie_session=")));
    // A wrong token.
    let login = login_cookie.split(';').next().unwrap();
    let r = send(
        &a,
        "POST",
        "/connexion",
        login,
        Some(&format!("jeton=vigie_nope&csrf={}", form.csrf())),
    );
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text.contains("Jeton inconnu ou révoqué"));

    // The session cookie: HttpOnly, SameSite=Strict, Secure behind a TLS proxy only.
    let r = send(&a, "POST", "/connexion", login, Some(&body));
    let session = r.cookies().into_iter().find(|c| c.starts_with("vigie_session=")).unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    assert!(!session.contains("Secure"));
    let req = Request::builder()
        .method("POST")
        .uri("/connexion")
        .header(header::COOKIE, login)
        .header("x-forwarded-proto", "https")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.clone()))
        .unwrap();
    let tls = rt().block_on(a.router.clone().oneshot(req)).unwrap();
    let secure = tls.headers().get_all(header::SET_COOKIE).iter().any(|v| {
        let v = v.to_str().unwrap();
        v.starts_with("vigie_session=") && v.contains("; Secure")
    });
    assert!(secure, "Secure over TLS");
    let cookie = session.split(';').next().unwrap().to_owned();

    // The store keeps the session's hash, never the secret.
    let secret = cookie.trim_start_matches("vigie_session=");
    let stored = rt().block_on(a.state.store.session(&vigie_store::hash_token(secret))).unwrap();
    assert_eq!(stored.unwrap().token.name, "agent-21");

    // A follow-up without (or with a wrong) CSRF secret changes nothing.
    let company = send(&a, "GET", &format!("/entreprises/{}", p.in_21), &cookie, None);
    assert_eq!(company.status, StatusCode::OK, "{}", company.text);
    let csrf = company.csrf();
    let uri = format!("/entreprises/{}/suivi", p.in_21);
    for bad in ["status=contacted", "status=contacted&csrf=0000"] {
        let r = send(&a, "POST", &uri, &cookie, Some(bad));
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::BAD_REQUEST,
            "{bad}: {}",
            r.status
        );
    }
    assert!(rt().block_on(a.state.store.follow_ups(&p.in_21)).unwrap().is_empty());
    let r = send(
        &a,
        "POST",
        &uri,
        &cookie,
        Some(&format!("status=contacted&note=Appel+du+jour&csrf={csrf}")),
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), format!("/entreprises/{}?ok=suivi", p.in_21));
    let f = rt().block_on(a.state.store.follow_ups(&p.in_21)).unwrap();
    assert_eq!(
        (f.len(), f[0].status.as_str(), f[0].note.as_deref()),
        (1, "contacted", Some("Appel du jour"))
    );
    assert_eq!(f[0].author, "agent-21");

    // Sign-out ends the session (in the store too).
    let r = send(&a, "POST", "/deconnexion", &cookie, Some(&format!("csrf={csrf}")));
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/connexion?fin=1"));
    assert_eq!(send(&a, "GET", "/alertes", &cookie, None).location(), "/connexion");

    // Revoking the token ends its sessions.
    let cookie = sign_in(&a, &a.analyst);
    assert_eq!(send(&a, "GET", "/alertes", &cookie, None).status, StatusCode::OK);
    assert!(rt().block_on(a.state.store.revoke_token("analyst")).unwrap());
    assert_eq!(send(&a, "GET", "/alertes", &cookie, None).location(), "/connexion");

    // The audit log has the sign-in, the consultations and the sign-out.
    let audit = a.audit();
    let routes: Vec<(&str, &str)> =
        audit.iter().map(|e| (e.route.as_str(), e.outcome.as_str())).collect();
    for expected in [
        ("POST /connexion", "signed_in"),
        ("GET /entreprises/{id}", "in_zone"),
        ("POST /entreprises/{id}/suivi", "in_zone"),
        ("POST /deconnexion", "signed_out"),
    ] {
        assert!(routes.contains(&expected), "{expected:?} in {routes:?}");
    }
}

#[test]
fn pages_are_whole_without_javascript_and_keep_to_the_territory() {
    let a = api();
    let p = prepared();
    let cookie = sign_in(&a, &a.agent_busy);

    // The list: no script anywhere, a strict policy, counts and rows of the agent's
    // département only.
    let list = send(&a, "GET", "/alertes", &cookie, None);
    assert_eq!(list.status, StatusCode::OK);
    let csp = list.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"));
    assert_eq!(list.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(!list.text.contains("<script"));
    assert!(
        list.text.contains("<html lang=\"fr\">") && list.text.contains("Alertes de mon territoire")
    );
    let api_list: serde_json::Value = {
        let req = Request::builder()
            .uri("/v1/alerts?limit=1000")
            .header(header::AUTHORIZATION, format!("Bearer {}", a.agent_busy))
            .body(Body::empty())
            .unwrap();
        let r = rt().block_on(a.router.clone().oneshot(req)).unwrap();
        serde_json::from_slice(
            &rt().block_on(axum::body::to_bytes(r.into_body(), usize::MAX)).unwrap(),
        )
        .unwrap()
    };
    let items = api_list["items"].as_array().unwrap();
    let rows = list.text.matches("<td><a href=\"/entreprises/").count();
    assert_eq!(rows, items.len().min(50), "one row per alert of the first page");
    for item in items.iter().take(50) {
        assert!(list.text.contains(item["company_id"].as_str().unwrap()));
        assert_eq!(item["departement"], p.busy.as_str());
    }
    // Counts: the API's, with those under 5 suppressed.
    for level in ["red", "orange"] {
        let n = api_list["counts"][level].as_i64().unwrap();
        let shown = if (1..5).contains(&n) { "&lt; 5".to_owned() } else { n.to_string() };
        assert!(
            list.text.contains(&format!("<strong>{shown}</strong>")),
            "{level} count {n} shown as {shown}"
        );
    }

    // Filtering by level keeps only that level.
    let red = send(&a, "GET", "/alertes?level=red&departement=&naf_section=", &cookie, None);
    assert_eq!(red.status, StatusCode::OK, "{}", red.text);
    assert_eq!(red.text.matches("niveau niveau-orange\">Orange</span></td>").count(), 0);

    // The company page: charts as inline SVG with titles, the explanation in French.
    let alert = items[0]["company_id"].as_str().unwrap();
    let company = send(&a, "GET", &format!("/entreprises/{alert}"), &cookie, None);
    assert_eq!(company.status, StatusCode::OK);
    assert!(!company.text.contains("<script"));
    for id in ["horizons", "historique", "cascade"] {
        assert!(
            company.text.contains(&format!("role=\"img\" aria-labelledby=\"{id}-t {id}-d\"")),
            "chart {id}"
        );
    }
    assert!(company.text.contains("Facteurs les plus préoccupants"));
    assert!(company.text.contains("Probabilité de défaillance"));

    // Another département: 404 everywhere, audited as a refusal.
    let other = send(&a, "GET", &format!("/entreprises/{}", p.alert_75), &cookie, None);
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(other.text.contains("Introuvable"));
    assert!(!other.text.contains(&p.alert_75), "nothing of the company is shown");
    assert_eq!(
        send(&a, "GET", "/alertes?departement=75", &cookie, None).status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&a, "GET", "/alertes/export.csv?departement=75", &cookie, None).status,
        StatusCode::NOT_FOUND
    );
    let csrf = list.csrf();
    let follow = send(
        &a,
        "POST",
        &format!("/entreprises/{}/suivi", p.alert_75),
        &cookie,
        Some(&format!("status=closed&csrf={csrf}")),
    );
    assert_eq!(follow.status, StatusCode::NOT_FOUND);
    assert!(rt().block_on(a.state.store.follow_ups(&p.alert_75)).unwrap().is_empty());
    // With a stated reason, the out-of-zone page opens and says so.
    let search = send(
        &a,
        "POST",
        "/recherche",
        &cookie,
        Some(&format!("id={}&motif=Demande+du+CODEFI&csrf={csrf}", p.siren.0)),
    );
    assert_eq!(search.status, StatusCode::SEE_OTHER);
    assert!(!search.location().contains(&p.siren.0), "no SIREN in URLs");
    let denied = a
        .audit()
        .into_iter()
        .filter(|e| e.route == "GET /entreprises/{id}" && e.outcome == "denied_out_of_zone")
        .count();
    assert_eq!(denied, 1);

    // The CSV export of the filtered list: the API's rows.
    let csv = send(&a, "GET", "/alertes/export.csv?level=red", &cookie, None);
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    let reds = items.iter().filter(|i| i["level"] == "red").count();
    assert_eq!(lines.len(), 1 + reds);
    assert!(lines[1..].iter().all(|l| l.split(',').nth(6) == Some("red")));

    // Model monitoring is national: the agent gets the forbidden page and no menu link;
    // an analyst gets the page, with the backtests the store holds.
    let suivi = send(&a, "GET", "/suivi", &cookie, None);
    assert_eq!(suivi.status, StatusCode::FORBIDDEN);
    let analyst = sign_in(&a, &a.analyst);
    rt().block_on(a.state.store.write_backtests(&[backtest("2025-11", 6)])).unwrap();
    let suivi = send(&a, "GET", "/suivi", &analyst, None);
    assert_eq!(suivi.status, StatusCode::OK);
    assert!(suivi.text.contains("href=\"/suivi\" aria-current=\"page\""));
    assert!(suivi.text.contains("<th scope=\"row\">2025-11</th>"), "the run is listed");
    assert!(suivi.text.contains("role=\"img\""), "with its chart");
    assert!(!send(&a, "GET", "/executions", &cookie, None).text.contains("href=\"/suivi\""));

    // The runs page: runs, the agent's départements, the model card.
    let runs = send(&a, "GET", "/executions", &cookie, None);
    assert_eq!(runs.status, StatusCode::OK);
    assert!(runs.text.contains("2025-12") && runs.text.contains("2025-11"));
    let by_dep = &runs.text[runs.text.find("id=\"dep-titre\"").unwrap()
        ..runs.text.find("id=\"derive-titre\"").unwrap()];
    assert!(by_dep.contains(&format!("<th scope=\"row\">{}</th>", p.busy)));
    assert_eq!(
        by_dep.matches("<tr><th scope=\"row\">").count(),
        1,
        "other départements are not listed"
    );
    assert!(runs.text.contains("Modèle actif"));

    // A page reached by SIREN redirects, after a form, to the pseudonymous id.
    let analyst = sign_in(&a, &a.analyst);
    let page = send(&a, "GET", &format!("/entreprises/{}", p.siren.0), &analyst, None);
    assert_eq!(page.status, StatusCode::OK);
    let r = send(
        &a,
        "POST",
        &format!("/entreprises/{}/suivi", p.siren.0),
        &analyst,
        Some(&format!("status=contacted&csrf={}", page.csrf())),
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), format!("/entreprises/{}?ok=suivi", p.siren.1));

    // A company the latest run no longer scores says so.
    let report = rt().block_on(a.state.store.run("2025-12")).unwrap().unwrap().report;
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let gone = report["changes"]["no_longer_scored"][0].as_str().unwrap();
    let old = send(&a, "GET", &format!("/entreprises/{gone}"), &analyst, None);
    assert_eq!(old.status, StatusCode::OK);
    assert!(old.text.contains("pas été notée par la dernière exécution"), "{}", old.text);
    assert!(!page.text.contains("pas été notée par la dernière exécution"));

    // Odd addresses get pages, never axum's plain text nor a dropped connection.
    let odd = send(&a, "GET", "/entreprises/%FF", &analyst, None);
    assert_eq!(odd.status, StatusCode::NOT_FOUND);
    assert!(odd.text.contains("Introuvable"), "{}", odd.text);
    let bad = send(&a, "GET", "/alertes?page=abc", &analyst, None);
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("Saisie invalide"), "{}", bad.text);
    // An unknown address: a page for a browser, the JSON error for an API client.
    let req = Request::get("/nulle-part").header(header::ACCEPT, "text/html").body(Body::empty());
    let r = rt().block_on(a.router.clone().oneshot(req.unwrap())).unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let r = send(&a, "GET", "/nulle-part", "", None);
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("\"code\":\"not_found\""), "{}", r.text);
    // A tracking parameter on a shared link is ignored; the last page number does not wrap.
    let tracked = send(&a, "GET", "/alertes?utm_source=courriel&level=red", &analyst, None);
    assert_eq!(tracked.status, StatusCode::OK);
    let far = send(&a, "GET", "/alertes?page=4294967295", &analyst, None);
    assert_eq!(far.status, StatusCode::OK);
    if far.text.contains("cursor=") {
        assert!(far.text.contains("page=4294967295"), "saturates instead of wrapping");
    }
}

// ---------------------------------------------------------------------------------------
// In headless Chromium.

/// A chromedriver process in its own process group, killed with the browsers it started
/// on drop (a failed test must not leave Chromium running).
pub(crate) struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = std::process::Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts chromedriver on a free port, or `None` (with a SKIPPED line) when it is not
/// installed and the run does not require it.
pub(crate) fn chromedriver() -> Option<(Driver, String)> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p).map(|d| d.join("chromedriver")).find(|f| f.is_file())
    });
    let Some(bin) = found else {
        assert!(
            std::env::var("VIGIE_REQUIRE_BROWSER").is_err(),
            "VIGIE_REQUIRE_BROWSER is set but chromedriver is not installed"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the dashboard's browser tests: chromedriver is not installed (Debian \
             packages `chromium` and `chromium-driver`; `bash .ci/run` installs them)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(bin)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((driver, format!("http://127.0.0.1:{port}")));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("chromedriver did not listen on {port}");
}

/// A GET over a real socket with a cookie: status and body.
fn http_get(base: &str, path: &str, cookie: &str) -> (u16, String) {
    use std::io::Read as _;
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).unwrap().parse().unwrap();
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // Chunked or not, the CSV has no blank line: drop chunk sizes if any.
    let body = if out.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body.lines().filter(|l| l.contains(',')).collect::<Vec<_>>().join("\n")
    } else {
        body.to_owned()
    };
    (status, body)
}

pub(crate) async fn browser(driver: &str, javascript: bool) -> fantoccini::Client {
    let mut prefs = serde_json::Map::new();
    if !javascript {
        prefs.insert("profile.managed_default_content_settings.javascript".into(), 2.into());
    }
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,1800", "--lang=fr-FR"],
            "prefs": prefs,
        }
    });
    let serde_json::Value::Object(caps) = caps else { unreachable!() };
    fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("a Chromium session")
}

fn screenshots() -> PathBuf {
    let dir = std::env::var_os("VIGIE_SCREENSHOTS")
        .map_or_else(|| common::root().join("target/screenshots"), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) async fn shot(c: &fantoccini::Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

/// Runs axe-core (vendored under `tests/assets/axe-core`) on the page; panics on any
/// serious or critical violation of WCAG 2.1 A/AA.
pub(crate) async fn accessible(c: &fantoccini::Client, page: &str) {
    let axe =
        std::fs::read_to_string(common::root().join("tests/assets/axe-core/axe.min.js")).unwrap();
    c.execute(&axe, vec![]).await.unwrap();
    let script = "const done = arguments[arguments.length - 1];\
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})\
          .then(r => done(JSON.stringify({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))})))\
          .catch(e => done(JSON.stringify({error: String(e)})));";
    let out = c.execute_async(script, vec![]).await.unwrap();
    let report: serde_json::Value = serde_json::from_str(out.as_str().unwrap()).unwrap();
    assert!(report.get("error").is_none(), "{page}: axe failed: {report}");
    assert!(report["passes"].as_u64().unwrap() > 10, "{page}: axe ran its rules");
    let bad: Vec<&serde_json::Value> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(bad.is_empty(), "{page}: serious or critical accessibility violations: {bad:?}");
    let others = report["violations"].as_array().unwrap();
    if !others.is_empty() {
        let _ = writeln!(std::io::stderr(), "{page}: minor or moderate axe findings: {others:?}");
    }
}

/// The page's URL once `done` holds of it (a click's navigation may still be under way),
/// or after 10 s.
async fn settle(c: &fantoccini::Client, done: impl Fn(&url::Url) -> bool) -> url::Url {
    for _ in 0..100 {
        let u = c.current_url().await.unwrap();
        if done(&u) {
            return u;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    c.current_url().await.unwrap()
}

pub(crate) async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    c.find(fantoccini::Locator::Css(css)).await.unwrap().text().await.unwrap()
}

pub(crate) async fn count(c: &fantoccini::Client, css: &str) -> usize {
    c.find_all(fantoccini::Locator::Css(css)).await.unwrap().len()
}

/// A backtest row for the pages' tests (the figures of a small list).
fn backtest(run_id: &str, horizon_months: i32) -> vigie_store::Backtest {
    vigie_store::Backtest {
        run_id: run_id.into(),
        month: run_id.into(),
        horizon_months,
        as_of: "2026-06".into(),
        scored: 3_800,
        failures: 40,
        roc_auc: Some(0.81),
        red: vigie_store::LevelOutcome::new(30, 12, 40),
        orange: vigie_store::LevelOutcome::new(120, 25, 40),
        mean_predicted: 0.0095,
        observed_rate: 40.0 / 3_800.0,
    }
}

async fn sign_in_browser(c: &fantoccini::Client, base: &str, token: &str) {
    use fantoccini::Locator;
    c.goto(&format!("{base}/alertes")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/connexion");
    c.find(Locator::Id("jeton")).await.unwrap().send_keys(token).await.unwrap();
    c.find(Locator::Css("form[action='/connexion'] button")).await.unwrap().click().await.unwrap();
    assert_eq!(settle(c, |u| u.path() == "/alertes").await.path(), "/alertes");
}

#[test]
fn in_headless_chromium() {
    use fantoccini::Locator;
    let Some((_driver, driver_url)) = chromedriver() else { return };
    let a = api();
    let p = prepared();
    let live = common::Live::start(Arc::clone(&a.state));
    let base = live.base();
    live.runtime.block_on(async {
        let c = browser(&driver_url, true).await;

        // Sign in as the agent of the busiest département.
        c.goto(&format!("{base}/alertes")).await.unwrap();
        shot(&c, "01-connexion").await;
        accessible(&c, "sign-in").await;
        sign_in_browser(&c, &base, &a.agent_busy).await;
        shot(&c, "02-alertes").await;
        accessible(&c, "alert list").await;
        // Keyboard: the first Tab reaches the skip link, which leads to the main content;
        // the next ones reach the menu.
        let body = c.find(Locator::Css("body")).await.unwrap();
        body.send_keys(&fantoccini::key::Key::Tab.to_string()).await.unwrap();
        let focused = c.active_element().await.unwrap();
        assert_eq!(focused.text().await.unwrap(), "Aller au contenu");
        assert_eq!(focused.attr("href").await.unwrap().as_deref(), Some("#contenu"));
        let mut reached = Vec::new();
        for _ in 0..4 {
            c.active_element()
                .await
                .unwrap()
                .send_keys(&fantoccini::key::Key::Tab.to_string())
                .await
                .unwrap();
            reached.push(c.active_element().await.unwrap().text().await.unwrap());
        }
        assert!(reached.iter().any(|t| t == "Alertes"), "{reached:?}");
        assert!(reached.iter().any(|t| t == "Exécutions et modèle"), "{reached:?}");
        let all_rows = count(&c, "tbody tr td a[href^='/entreprises/']").await;
        assert!(all_rows > 0);

        // Filter on the level of the first alert listed.
        let level = text_of(&c, "tbody tr td:first-child .niveau").await.to_lowercase();
        let value = if level == "rouge" { "red" } else { "orange" };
        c.find(Locator::Id("f-level")).await.unwrap().select_by_value(value).await.unwrap();
        c.find(Locator::Css("form[action='/alertes'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let url = settle(&c, |u| u.query().unwrap_or("").contains(&format!("level={value}"))).await;
        assert!(url.query().unwrap_or("").contains(&format!("level={value}")), "{url}");
        let levels = c.find_all(Locator::Css("tbody tr td:first-child .niveau")).await.unwrap();
        assert!(!levels.is_empty() && levels.len() <= all_rows);
        for l in &levels {
            assert_eq!(l.text().await.unwrap().to_lowercase(), level);
        }
        shot(&c, "03-alertes-filtrees").await;

        // Export the filtered list: the CSV's rows are the list's (fetched with the
        // browser's own session cookie).
        let href = c
            .find(Locator::Css("a[href^='/alertes/export.csv']"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        assert!(href.contains(&format!("level={value}")), "{href}");
        let session = c.get_named_cookie("vigie_session").await.unwrap();
        let (status, csv) = http_get(&base, &href, &format!("vigie_session={}", session.value()));
        assert_eq!(status, 200);
        let csv_ids: Vec<&str> =
            csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
        let mut page_ids = Vec::new();
        for link in c.find_all(Locator::Css("tbody tr td a[href^='/entreprises/']")).await.unwrap()
        {
            page_ids.push(link.text().await.unwrap());
        }
        assert!(csv_ids.len() >= page_ids.len());
        if csv_ids.len() <= 50 {
            assert_eq!(csv_ids.len(), page_ids.len(), "one page holds every alert");
        }
        assert_eq!(&csv_ids[..page_ids.len()], page_ids.as_slice(), "same rows, same order");

        // Open the first company: history chart, waterfall, term structure.
        let first = page_ids[0].clone();
        c.find(Locator::LinkText(&first)).await.unwrap().click().await.unwrap();
        let path = format!("/entreprises/{first}");
        assert_eq!(settle(&c, |u| u.path() == path).await.path(), path);
        assert!(text_of(&c, "h1").await.contains(&first));
        for chart in ["historique", "cascade", "horizons"] {
            let svg =
                c.find(Locator::Css(&format!("svg[aria-labelledby='{chart}-t {chart}-d']"))).await;
            assert!(svg.is_ok(), "the {chart} chart is on the page");
        }
        assert!(count(&c, "svg[aria-labelledby='historique-t historique-d'] circle").await >= 1);
        assert!(count(&c, "svg[aria-labelledby='cascade-t cascade-d'] rect").await >= 3);
        assert!(count(&c, "ul.facteurs li").await >= 2);
        shot(&c, "04-entreprise").await;
        accessible(&c, "company").await;

        // Change its follow-up status.
        c.find(Locator::Id("statut")).await.unwrap().select_by_value("in_support").await.unwrap();
        c.find(Locator::Id("note")).await.unwrap().send_keys("Rendez-vous fixé").await.unwrap();
        c.find(Locator::Css("form[action$='/suivi'] button")).await.unwrap().click().await.unwrap();
        settle(&c, |u| u.query() == Some("ok=suivi")).await;
        assert!(text_of(&c, "[role=status]").await.contains("Suivi enregistré"));
        assert!(text_of(&c, "#suivi-titre + p").await.contains("En accompagnement"));
        assert!(
            text_of(&c, "section[aria-labelledby='suivi-titre'] ol")
                .await
                .contains("Rendez-vous fixé")
        );
        let stored = a.state.store.follow_ups(&first).await.unwrap();
        assert_eq!(stored.last().unwrap().status.as_str(), "in_support");
        shot(&c, "05-suivi").await;

        // Feedback on the alert.
        c.find(Locator::Id("utile-oui")).await.unwrap().click().await.unwrap();
        c.find(Locator::Css("form[action$='/avis'] button")).await.unwrap().click().await.unwrap();
        settle(&c, |u| u.query() == Some("ok=avis")).await;
        assert!(text_of(&c, "[role=status]").await.contains("avis est enregistré"));
        assert_eq!(a.state.store.feedback(&first).await.unwrap().len(), 1);

        // A company of another département is not reachable.
        c.goto(&format!("{base}/entreprises/{}", p.alert_75)).await.unwrap();
        assert_eq!(text_of(&c, "h1").await, "Introuvable");
        shot(&c, "06-hors-territoire").await;
        accessible(&c, "not found").await;

        // Runs and the model card.
        c.goto(&format!("{base}/executions")).await.unwrap();
        assert!(text_of(&c, "h1").await.contains("Exécutions"));
        shot(&c, "07-executions").await;
        accessible(&c, "runs").await;

        // Model monitoring, as an analyst (after signing the agent out).
        c.find(Locator::Css("form[action='/deconnexion'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        settle(&c, |u| u.path() == "/connexion").await;
        a.state
            .store
            .write_backtests(&[backtest("2025-11", 6), backtest("2025-12", 6)])
            .await
            .unwrap();
        sign_in_browser(&c, &base, &a.analyst).await;
        c.goto(&format!("{base}/suivi")).await.unwrap();
        assert_eq!(text_of(&c, "h1").await, "Suivi du modèle");
        assert!(count(&c, "svg[role=img]").await >= 1);
        assert_eq!(count(&c, "tbody tr th[scope=row]").await, 2);
        shot(&c, "07b-suivi").await;
        accessible(&c, "monitoring").await;

        // Sign out.
        c.find(Locator::Css("form[action='/deconnexion'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(settle(&c, |u| u.path() == "/connexion").await.path(), "/connexion");
        c.goto(&format!("{base}/alertes")).await.unwrap();
        assert_eq!(c.current_url().await.unwrap().path(), "/connexion");
        c.close().await.unwrap();

        // JavaScript disabled: the list and the company page are whole.
        let c = browser(&driver_url, false).await;
        // Scripts really are off in this browser: this page's script would rename it.
        c.goto("data:text/html,<title>static</title><script>document.title='js'</script>")
            .await
            .unwrap();
        assert_eq!(c.title().await.unwrap(), "static", "JavaScript is disabled");
        sign_in_browser(&c, &base, &a.agent_busy).await;
        assert_eq!(count(&c, "tbody tr td a[href^='/entreprises/']").await, all_rows);
        assert!(text_of(&c, ".compteurs").await.to_lowercase().contains("rouge"));
        shot(&c, "08-alertes-sans-js").await;
        c.goto(&format!("{base}/entreprises/{first}")).await.unwrap();
        assert!(count(&c, "svg[role=img]").await >= 3);
        assert!(text_of(&c, "#suivi-titre + p").await.contains("En accompagnement"));
        shot(&c, "09-entreprise-sans-js").await;
        c.close().await.unwrap();
    });
    live.stop();
}
