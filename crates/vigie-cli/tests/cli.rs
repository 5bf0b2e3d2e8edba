//! The `vigie` binary itself. Crash safety of `vigie rescore`: killed with SIGKILL at every phase
//! (features, scoring, explanations, comparison, files, store — before and in the middle
//! of the store transaction) and at seeded random moments, the store still holds exactly
//! the previous complete run and the lock is free; re-running then gives the same result as
//! an uninterrupted run. Also: one rescore at a time per store; tokens and the audit export
//! on the command line; `vigie demo` end to end.
//!
//! Runs on SQLite, and on PostgreSQL when `VIGIE_TEST_POSTGRES_URL` is set (as
//! `bash .ci/run` does).

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use vigie_store::{ScoreRow, Store};

const BIN: &str = env!("CARGO_BIN_EXE_vigie");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn model_dir() -> PathBuf {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("models/demo"))
        .expect("models/demo")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(v.len(), 1, "one demo model");
    v.pop().expect("one")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// `vigie rescore` of the demo sources for `month`.
fn rescore(url: &str, month: &str, reports: &Path, with_model: bool) -> Command {
    let mut c = Command::new(BIN);
    c.args(["rescore", "--demo-key", "--month", month, "--store", url])
        .arg("--input")
        .arg(root().join("data-samples/demo"))
        .arg("--report")
        .arg(reports.join(month))
        .env_remove(vigie_batch_pause_env())
        .env("VIGIE_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if with_model {
        c.arg("--model").arg(model_dir());
    }
    c
}

fn vigie_batch_pause_env() -> &'static str {
    "VIGIE_TEST_PAUSE_AT"
}

fn run_ok(mut c: Command) -> Output {
    let out = c.output().expect("vigie runs");
    assert!(out.status.success(), "vigie failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Starts a rescore that stops at `phase`, and waits until it is there.
fn paused_at(mut c: Command, phase: &str) -> Child {
    let mut child = c.env(vigie_batch_pause_env(), phase).spawn().expect("spawn");
    let stderr = child.stderr.take().expect("piped");
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("stderr");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(&format!("paused at {phase}")) {
            break;
        }
    }
    assert!(seen.contains(&format!("paused at {phase}")), "vigie never reached {phase}:\n{seen}");
    child
}

fn kill(mut child: Child) {
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("reaped");
    assert!(!status.success(), "killed, not finished");
}

struct State {
    runs: Vec<String>,
    scores: Vec<(String, Vec<ScoreRow>)>,
    rows: i64,
}

async fn state(url: &str) -> State {
    let store = Store::open(url).await.expect("open");
    let runs: Vec<String> = store.runs().await.unwrap().into_iter().map(|r| r.run_id).collect();
    let mut scores = Vec::new();
    for r in &runs {
        scores.push((r.clone(), store.run_scores(r).await.unwrap()));
    }
    let rows = store.count_scores(None).await.unwrap();
    // The lock died with the killed process. (PostgreSQL ends the dead session as soon as
    // it reads the closed socket; allow it a moment.)
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match store.lock_rescore().await {
            Ok(lock) => {
                lock.release().await.unwrap();
                break;
            }
            Err(vigie_store::Error::Locked(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the lock is still held after the kill: {e}"),
        }
    }
    store.close().await;
    State { runs, scores, rows }
}

/// A fresh store URL for `test` on `backend`, or `None` when PostgreSQL is not configured.
fn fresh(backend: &str, test: &str, dir: &Path) -> Option<String> {
    if backend == "sqlite" {
        return Some(format!("sqlite://{}", dir.join(format!("{test}.db")).display()));
    }
    let Ok(admin) = std::env::var("VIGIE_TEST_POSTGRES_URL") else {
        assert!(std::env::var("VIGIE_REQUIRE_POSTGRES").is_err(), "PostgreSQL required");
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test} on PostgreSQL: VIGIE_TEST_POSTGRES_URL is not set (`bash .ci/run` \
             starts a server and sets it)"
        );
        return None;
    };
    let name = format!("vigie_cli_{test}");
    rt().block_on(async {
        use sqlx::Connection as _;
        let mut c = sqlx::PgConnection::connect(&admin).await.expect("VIGIE_TEST_POSTGRES_URL");
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.expect("admin SQL");
        }
    });
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    Some(format!("{base}/{name}"))
}

/// A small seeded generator for the random kill times (SplitMix64).
fn splitmix(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / u64::MAX as f64
}

fn crash_safety(backend: &str) {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let (Some(url), Some(reference)) =
        (fresh(backend, "crash", dir.path()), fresh(backend, "crash_reference", dir.path()))
    else {
        return;
    };
    // The reference: June then July, uninterrupted, in another store.
    run_ok(rescore(&reference, "2025-06", &reports.join("ref"), true));
    let started = Instant::now();
    run_ok(rescore(&reference, "2025-07", &reports.join("ref"), false));
    let july_duration = started.elapsed();
    let expected = rt().block_on(state(&reference));
    assert_eq!(expected.runs, ["2025-07", "2025-06"]);

    // The store under test holds June.
    run_ok(rescore(&url, "2025-06", &reports, true));
    let june = rt().block_on(state(&url));
    assert_eq!(june.runs, ["2025-06"]);
    assert_eq!(june.scores[0].1, expected.scores[1].1, "same sources, same scores");
    let only_june = |s: &State, when: &str| {
        assert_eq!(s.runs, ["2025-06"], "killed {when}: only the previous run");
        assert_eq!(s.scores, june.scores, "killed {when}: the previous run untouched");
        assert_eq!(s.rows, june.rows, "killed {when}: no stray score rows");
    };

    // Killed at each phase of July, including in the middle of the store transaction.
    for phase in ["features", "scoring", "explanations", "compare", "files", "store", "store-write"]
    {
        kill(paused_at(rescore(&url, "2025-07", &reports, false), phase));
        only_june(&rt().block_on(state(&url)), &format!("at {phase}"));
    }

    // Killed at seeded random moments of a run.
    let mut seed = 2026u64;
    let mut completed = false;
    for _ in 0..4 {
        let delay = july_duration.mul_f64(1.2 * splitmix(&mut seed));
        let mut child = rescore(&url, "2025-07", &reports, false).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let finished = child.wait().unwrap().success();
        let s = rt().block_on(state(&url));
        if s.runs.len() == 2 {
            // The kill came after the commit: the new run is whole and right.
            assert!(finished || s.scores == expected.scores, "a committed run is complete");
            assert_eq!(s.scores, expected.scores);
            completed = true;
        } else {
            only_june(&s, &format!("after {delay:?}"));
        }
    }
    let _ = completed;

    // Re-running succeeds and equals the uninterrupted run.
    run_ok(rescore(&url, "2025-07", &reports, false));
    let after = rt().block_on(state(&url));
    assert_eq!(after.runs, expected.runs);
    assert_eq!(after.scores, expected.scores, "identical to an uninterrupted run");
    assert_eq!(after.rows, expected.rows);
}

fn one_at_a_time(backend: &str) {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let Some(url) = fresh(backend, "lock", dir.path()) else { return };
    let first = paused_at(rescore(&url, "2025-06", &reports, true), "scoring");
    let second = rescore(&url, "2025-06", &reports.join("second"), true).output().unwrap();
    assert_eq!(second.status.code(), Some(75), "EX_TEMPFAIL");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("another `vigie rescore` is running on this store"), "{stderr}");
    assert!(!reports.join("second").exists(), "the refused run wrote nothing");
    kill(first);
    // The lock died with the first process.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = rescore(&url, "2025-06", &reports, true).output().unwrap();
        if out.status.success() {
            break;
        }
        assert!(
            out.status.code() == Some(75) && Instant::now() < deadline,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let listed = Command::new(BIN).args(["runs", "list", "--store", &url]).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(listed.lines().count(), 1);
    assert!(listed.starts_with("2025-06\t"), "{listed}");
}

#[test]
fn a_killed_rescore_leaves_the_previous_run_on_sqlite() {
    crash_safety("sqlite");
}

#[test]
fn a_killed_rescore_leaves_the_previous_run_on_postgres() {
    crash_safety("postgres");
}

#[test]
fn one_rescore_at_a_time_on_sqlite() {
    one_at_a_time("sqlite");
}

#[test]
fn one_rescore_at_a_time_on_postgres() {
    one_at_a_time("postgres");
}

fn vigie(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("vigie runs")
}

#[test]
fn tokens_are_created_listed_revoked_and_the_audit_log_exported() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let out = vigie(&[
        "token",
        "create",
        "--store",
        &url,
        "--name",
        "dijon",
        "--role",
        "agent",
        "--territories",
        "21,25",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap();
    assert!(
        token.starts_with("vigie_") && !token.contains(' '),
        "the token alone on the last line: {stdout}"
    );
    assert!(stdout.contains("role agent, territories 21,25"));
    // The token works against the store; its secret is not listed.
    let found = rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        store.verify_token(token).await.unwrap()
    });
    assert_eq!(found.unwrap().territories, ["21", "25"]);
    let list = String::from_utf8(vigie(&["token", "list", "--store", &url]).stdout).unwrap();
    assert!(
        list.starts_with("dijon\trole=agent\tterritories=21,25") && !list.contains(token),
        "{list}"
    );
    // Refusals: an unknown département, an agent without territory, a duplicate name.
    for args in [
        vec!["--name", "x", "--role", "agent", "--territories", "20"],
        vec!["--name", "y", "--role", "agent"],
        vec!["--name", "dijon", "--role", "analyst"],
    ] {
        let mut full = vec!["token", "create", "--store", &url];
        full.extend(args);
        let out = vigie(&full);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
    }
    assert!(vigie(&["token", "revoke", "--store", &url, "--name", "dijon"]).status.success());
    assert!(
        !vigie(&["token", "revoke", "--store", &url, "--name", "dijon"]).status.success(),
        "already revoked"
    );
    assert!(
        String::from_utf8(vigie(&["token", "list", "--store", &url]).stdout)
            .unwrap()
            .contains("revoked=")
    );
    // The audit log as CSV, quoting what needs it.
    rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        store
            .audit(&vigie_store::AuditEntry {
                at: String::new(),
                token_name: "dijon".into(),
                route: "GET /v1/companies/{id}".into(),
                company_id: Some("0123456789abcdef".into()),
                territory: Some("75".into()),
                outcome: "out_of_zone".into(),
                reason: Some("joint case, \"urgent\"".into()),
            })
            .await
            .unwrap();
    });
    let csv_path = dir.path().join("audit.csv");
    assert!(
        vigie(&["audit", "export", "--store", &url, "--out", csv_path.to_str().unwrap()])
            .status
            .success()
    );
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "at,token_name,route,company_id,territory,outcome,reason");
    assert!(lines[1].ends_with(",dijon,GET /v1/companies/{id},0123456789abcdef,75,out_of_zone,\"joint case, \"\"urgent\"\"\""), "{}", lines[1]);
    assert_eq!(lines.len(), 2);
}

/// One HTTP/1.1 GET over a real socket.
fn get(addr: &str, path: &str, token: &str) -> (u16, String) {
    use std::io::Read as _;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).unwrap().parse().unwrap();
    (status, out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned())
}

/// Starts `vigie demo` in `dir` and waits until it serves; returns the process, its
/// address, the printed tokens by role and what it wrote on stderr before serving.
fn start_demo(dir: &Path) -> (Child, String, BTreeMap<&'static str, String>) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args(["demo", "--addr", &addr, "--dir"])
        .arg(dir)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut tokens = BTreeMap::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        for role in ["agent", "analyst", "admin"] {
            if line.starts_with(role) {
                tokens.insert(role, line.rsplit(' ').next().unwrap().to_owned());
            }
        }
        if line.starts_with("OpenAPI") {
            break;
        }
    }
    assert_eq!(tokens.len(), 3, "an agent, an analyst and an admin token are printed");
    // The server is up once the URL is printed; give it a moment to bind.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "the demo server never listened");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, addr, tokens)
}

/// SIGTERM: graceful shutdown, exit 0.
fn stop_demo(mut child: Child) {
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// Checks `/v1/monitoring` of the demo against a recomputation from the demo's events file
/// and the scores the demo store holds.
fn check_monitoring(addr: &str, tokens: &BTreeMap<&str, String>, db: &Path) {
    let (status, body) = get(addr, "/v1/monitoring", &tokens["agent"]);
    assert_eq!(status, 403, "agents do not see national monitoring: {body}");
    let (status, body) = get(addr, "/v1/monitoring", &tokens["analyst"]);
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let items = doc["items"].as_array().unwrap();
    let six: Vec<&serde_json::Value> = items.iter().filter(|i| i["horizon_months"] == 6).collect();
    assert!(!six.is_empty(), "a run whose 6-month horizon has elapsed is listed");
    assert!(items.iter().any(|i| i["horizon_months"] == 18), "and one at 18 months");

    // Openings by pseudonymous id, from the events file.
    let pseudo = vigie_core::Pseudonymiser::demo();
    let events =
        vigie_data::tabular::read(&root().join("data-samples/demo/events.parquet")).unwrap();
    let text = |name: &str| events.text(name).unwrap().to_vec();
    let (sirens, dates, kinds) = (text("siren"), text("date"), text("kind"));
    let mut openings: BTreeMap<String, Vec<vigie_core::Month>> = BTreeMap::new();
    for i in 0..events.rows {
        let kind = kinds[i].as_deref().unwrap();
        if !matches!(kind, "safeguard" | "receivership" | "liquidation") {
            continue;
        }
        let siren = vigie_core::Siren::parse(sirens[i].as_deref().unwrap()).unwrap();
        let month = vigie_core::Month::parse(&dates[i].as_deref().unwrap()[..7]).unwrap();
        openings.entry(pseudo.company_id(siren).as_str().to_owned()).or_default().push(month);
    }
    let url = format!("sqlite://{}", db.display());
    let checked = rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        let mut checked = 0;
        for item in items.iter().filter(|i| i["horizon_months"] == 6 || i["horizon_months"] == 18) {
            let run_id = item["run_id"].as_str().unwrap();
            let h = item["horizon_months"].as_i64().unwrap() as i32;
            let month = vigie_core::Month::parse(item["month"].as_str().unwrap()).unwrap();
            let scores: Vec<ScoreRow> = store.run_scores(run_id).await.unwrap();
            let failed = |c: &str| {
                openings
                    .get(c)
                    .is_some_and(|ms| ms.iter().any(|&d| d > month && d <= month.plus(h)))
            };
            let k = if h == 6 { 0 } else { 2 };
            let failures = scores.iter().filter(|s| failed(&s.company_id)).count();
            let red: Vec<&ScoreRow> = scores.iter().filter(|s| s.level == "red").collect();
            let red_failed = red.iter().filter(|s| failed(&s.company_id)).count();
            let alerts = scores.iter().filter(|s| s.level != "green").count();
            let mean = scores.iter().map(|s| s.p[vigie_core::Horizon::ALL[k]]).sum::<f64>()
                / scores.len() as f64;
            assert_eq!(item["scored"].as_u64().unwrap() as usize, scores.len(), "{run_id}");
            assert_eq!(item["failures"].as_u64().unwrap() as usize, failures, "{run_id} at {h}");
            assert_eq!(item["red"]["flagged"].as_u64().unwrap() as usize, red.len());
            assert_eq!(item["red"]["failed"].as_u64().unwrap() as usize, red_failed);
            assert_eq!(item["orange"]["flagged"].as_u64().unwrap() as usize, alerts);
            assert!((item["mean_predicted"].as_f64().unwrap() - mean).abs() < 1e-12);
            assert!(
                (item["observed_rate"].as_f64().unwrap() - failures as f64 / scores.len() as f64)
                    .abs()
                    < 1e-15
            );
            if !red.is_empty() {
                let precision = red_failed as f64 / red.len() as f64;
                assert!((item["red"]["precision"].as_f64().unwrap() - precision).abs() < 1e-15);
            }
            checked += 1;
        }
        store.close().await;
        checked
    });
    assert!(checked >= 2);
}

#[test]
fn the_demo_serves_the_demo_data_with_ready_tokens_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let mut previous: Option<BTreeMap<&str, String>> = None;
    // Twice in the same folder, as a user who stops the demo and starts it again: the
    // second start reuses the store (same runs) and prints new tokens.
    for start in 0..2 {
        let (child, addr, tokens) = start_demo(&dir);
        let (status, body) = get(&addr, "/v1/alerts?limit=3", &tokens["agent"]);
        assert_eq!(status, 200, "start {start}: {body}");
        let alerts: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(alerts["run_id"], "2025-12");
        assert!(
            !alerts["items"].as_array().unwrap().is_empty(),
            "the agent's département has alerts"
        );
        let (status, _) = get(&addr, "/readyz", "");
        assert_eq!(status, 200);
        let (status, body) = get(&addr, "/v1/runs/2025-12", &tokens["agent"]);
        assert_eq!(status, 403, "{body}");
        let (status, body) = get(&addr, "/v1/runs", &tokens["analyst"]);
        assert_eq!(status, 200);
        let runs: serde_json::Value = serde_json::from_str(&body).unwrap();
        let months: Vec<&str> = runs["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["month"].as_str().unwrap())
            .collect();
        assert_eq!(months.len(), 24, "start {start}: monthly runs 2024-01 to 2025-12");
        assert_eq!((months[0], months[23]), ("2025-12", "2024-01"));
        if start == 0 {
            check_monitoring(&addr, &tokens, &dir.join("vigie.db"));
        }
        if let Some(old) = &previous {
            // The first start's tokens were revoked by the second.
            let (status, _) = get(&addr, "/v1/alerts?limit=1", &old["agent"]);
            assert_eq!(status, 401);
        }
        previous = Some(tokens);
        stop_demo(child);
    }
}

#[test]
fn errors_name_their_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such.key");
    let out = vigie(&[
        "panel",
        "--input",
        dir.path().to_str().unwrap(),
        "--out",
        dir.path().join("p.parquet").to_str().unwrap(),
        "--key-file",
        missing.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| l.starts_with("error: ")).expect("an error line");
    assert!(line.contains("no-such.key"), "{line}");
    assert_eq!(line.matches("No such file or directory").count(), 1, "{line}");
}

#[test]
fn a_candidate_is_compared_with_the_active_model_and_activation_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vigie.db").display());
    run_ok(rescore(&url, "2025-12", dir.path(), true));
    // The candidate: the demo model with a lower 18-month intercept (fewer alerts).
    let mut m = vigie_score::ModelFile::load(&model_dir()).unwrap();
    let active = m.version.clone();
    m.version = "vcandidate0001".into();
    m.calibration.platt[2][1] -= 1.0;
    let cand = dir.path().join("candidate");
    std::fs::create_dir_all(&cand).unwrap();
    std::fs::write(cand.join("model.json"), m.to_json()).unwrap();
    std::fs::copy(model_dir().join("metrics.json"), cand.join("metrics.json")).unwrap();
    let out = vigie(&[
        "models",
        "compare",
        "--demo-key",
        "--store",
        &url,
        "--model",
        cand.to_str().unwrap(),
        "--input",
        root().join("data-samples/demo").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["active_version"], active.as_str());
    assert_eq!(c["candidate_version"], "vcandidate0001");
    assert_eq!(c["run_id"], "2025-12");
    // Recomputed from the stored run: the active model's levels are those of the run.
    let scores = rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        let s = store.run_scores("2025-12").await.unwrap();
        store.close().await;
        s
    });
    assert_eq!(c["scored"].as_u64().unwrap() as usize, scores.len());
    let red_now = scores.iter().filter(|s| s.level == "red").count() as u64;
    let alerts_now = scores.iter().filter(|s| s.level != "green").count() as u64;
    assert_eq!(c["red"]["active"].as_u64().unwrap(), red_now);
    assert_eq!(c["alerts"]["active"].as_u64().unwrap(), alerts_now);
    // A lower intercept only removes alerts and de-escalates.
    let (removed, changed) =
        (c["removed_alerts"].as_u64().unwrap(), c["changed"].as_u64().unwrap());
    assert!(removed > 0 && changed >= removed, "{c}");
    assert_eq!((c["new_alerts"].as_u64(), c["escalated"].as_u64()), (Some(0), Some(0)));
    assert_eq!(c["red"]["both"], c["red"]["candidate"], "the candidate's reds are reds now");
    assert!(c["candidate_walk_forward"]["ratio"].is_object());
    // Activation prints the comparison, then activates.
    let out = vigie(&["models", "activate", "--store", &url, "vcandidate0001"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["activated"], "vcandidate0001");
    assert_eq!(a["comparison"], c);
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{changed} of")));
    let active_now = rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        let v = store.active_model_version().await.unwrap();
        store.close().await;
        v
    });
    assert_eq!(active_now.as_deref(), Some("vcandidate0001"));
}

#[test]
fn the_demo_never_deletes_a_store_that_is_not_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigie.db");
    let url = format!("sqlite://{}", db.display());
    // A store scored by a model of another name (a real deployment's, say).
    let mut m = vigie_score::ModelFile::load(&model_dir()).unwrap();
    m.name = "risk".into();
    m.version = "vproduction001".into();
    let prod = dir.path().join("prod-model");
    std::fs::create_dir_all(&prod).unwrap();
    std::fs::write(prod.join("model.json"), m.to_json()).unwrap();
    let mut c = rescore(&url, "2025-12", dir.path(), false);
    c.arg("--model").arg(&prod);
    run_ok(c);
    let out = Command::new(BIN)
        .args(["demo", "--addr", "127.0.0.1:0", "--dir"])
        .arg(dir.path())
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("vproduction001") && err.contains("another --dir"), "{err}");
    let runs = rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        let r = store.runs().await.unwrap();
        store.close().await;
        r
    });
    assert_eq!(runs.len(), 1, "the store is untouched");
    assert_eq!(runs[0].model_version, "vproduction001");
}
