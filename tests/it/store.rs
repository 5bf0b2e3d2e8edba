//! The store test suite, run against SQLite (always) and PostgreSQL (when
//! `VIGIE_TEST_POSTGRES_URL` names a server; `bash .ci/run` starts one and sets it, and sets
//! `VIGIE_REQUIRE_POSTGRES=1` so that a missing server fails instead of skipping).

use std::io::Write as _;

use vigie_store::{
    AuditEntry, Error, Feedback, FollowUp, FollowUpStatus, ModelRecord, NewToken, Role, RunRecord,
    ScoreRow, Store,
};

use crate::common;

/// A current-thread runtime for one test.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime")
}

/// The URL of a fresh PostgreSQL database named after `test`, or `None` (with a message on
/// the terminal, not captured by the harness) when no server is configured.
pub fn postgres_url(test: &str) -> Option<String> {
    let Ok(admin) = std::env::var("VIGIE_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("VIGIE_REQUIRE_POSTGRES").is_err(),
            "VIGIE_REQUIRE_POSTGRES is set but VIGIE_TEST_POSTGRES_URL is not"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test} on PostgreSQL: VIGIE_TEST_POSTGRES_URL is not set (`bash .ci/run` \
             starts a server and sets it; locally, point it at a server you can create \
             databases on, e.g. postgres://postgres@127.0.0.1:5433/postgres)"
        );
        return None;
    };
    let name = format!("vigie_test_{test}");
    rt().block_on(async {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("VIGIE_TEST_POSTGRES_URL: cannot connect: {e}"));
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.expect("admin SQL");
        }
    });
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    Some(format!("{base}/{name}"))
}

/// Runs `suite` against a fresh SQLite file and, when configured, a fresh PostgreSQL
/// database.
fn both(test: &str, suite: impl Fn(&str)) {
    let dir = common::tempdir();
    suite(&format!("sqlite://{}", dir.path().join("vigie.db").display()));
    if let Some(url) = postgres_url(test) {
        suite(&url);
    }
}

/// Executes raw SQL on the store's database (to try what the application never does).
async fn raw(url: &str, sql: &'static str) -> Result<u64, String> {
    use sqlx::Connection as _;
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.map_err(|e| e.to_string())?;
        sqlx::query(sql).execute(&mut c).await.map(|r| r.rows_affected()).map_err(|e| e.to_string())
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.map_err(|e| e.to_string())?;
        sqlx::query(sql).execute(&mut c).await.map(|r| r.rows_affected()).map_err(|e| e.to_string())
    }
}

/// Score rows handed over as they are, in whatever order.
struct Unsorted(Vec<ScoreRow>);

impl vigie_store::ScoreRows for Unsorted {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn rows(&self, range: std::ops::Range<usize>) -> Vec<ScoreRow> {
        self.0[range].to_vec()
    }
}

fn score(id: &str, dep: &str, p18: f64, level: &str) -> ScoreRow {
    ScoreRow {
        company_id: id.into(),
        departement: dep.into(),
        naf: "47.11D".into(),
        naf_section: "G".into(),
        region: "27".into(),
        size_band: "10-49".into(),
        margin: (p18 / (1.0 - p18)).ln(),
        p: [p18 / 3.0, p18 / 2.0, p18, (p18 * 1.2).min(1.0)].into(),
        level: level.into(),
        explanation: (level != "green").then(|| format!("{{\"top\":\"{id}\"}}")),
        previous_level: (p18 > 0.3).then(|| "orange".to_owned()),
        previous_p_18m: (p18 > 0.3).then_some(p18 / 2.0),
        features: (level != "green").then(|| "[0.5,null]".to_owned()),
    }
}

fn run(id: &str, month: &str, scores: &[ScoreRow]) -> RunRecord {
    let count = |l: &str| scores.iter().filter(|s| s.level == l).count() as i64;
    RunRecord {
        run_id: id.into(),
        month: month.into(),
        model_version: "vtest".into(),
        started_at: "2026-01-01T00:00:00.000Z".into(),
        finished_at: vigie_store::now_utc(),
        status: "complete".into(),
        scored: scores.len() as i64,
        excluded: 3,
        rejected: 2,
        red: count("red"),
        orange: count("orange"),
        green: count("green"),
        report: format!("{{\"run_id\":\"{id}\"}}"),
    }
}

fn no_progress(_: usize) {}

#[test]
fn runs_are_written_whole_replaced_by_id_and_read_back() {
    both("runs", |url| {
        rt().block_on(async {
            let store = Store::open(url).await.expect("open");
            // Migrations are idempotent: opening again is fine.
            let store2 = Store::open(url).await.expect("reopen");
            assert!(store.latest_run().await.unwrap().is_none());

            let may: Vec<ScoreRow> = (0..2500)
                .map(|i| {
                    let level = match i % 50 {
                        0 => "red",
                        1..=4 => "orange",
                        _ => "green",
                    };
                    score(
                        &format!("c{i:05}"),
                        if i % 2 == 0 { "21" } else { "75" },
                        0.001 * f64::from(i % 500) + 0.001,
                        level,
                    )
                })
                .collect();
            let r1 = run("2025-05", "2025-05", &may);
            let calls = std::sync::atomic::AtomicUsize::new(0);
            store
                .write_run(&r1, &may, &|n| {
                    calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    assert!(n <= 2500);
                })
                .await
                .expect("write");
            assert!(calls.into_inner() >= 1, "progress is reported");
            assert_eq!(store2.count_scores(Some("2025-05")).await.unwrap(), 2500);
            let back = store2.run_scores("2025-05").await.unwrap();
            let mut sorted = may.clone();
            sorted.sort_by(|a, b| a.company_id.cmp(&b.company_id));
            assert_eq!(back, sorted, "scores read back bit-identical");
            let stored = store.run("2025-05").await.unwrap().expect("run");
            assert_eq!(stored, r1);
            assert_eq!((stored.red, stored.orange), (50, 200));

            // Same run id again, with other scores: replaced, not duplicated.
            let fewer: Vec<ScoreRow> = may[..1000]
                .iter()
                .map(|s| ScoreRow { level: "green".into(), explanation: None, ..s.clone() })
                .collect();
            store
                .write_run(&run("2025-05", "2025-05", &fewer), &fewer, &no_progress)
                .await
                .unwrap();
            assert_eq!(store.runs().await.unwrap().len(), 1);
            assert_eq!(store.count_scores(None).await.unwrap(), 1000);
            assert_eq!(store.run("2025-05").await.unwrap().unwrap().green, 1000);

            // A later month; previous / latest runs.
            let june: Vec<ScoreRow> = may.iter().take(10).cloned().collect();
            store.write_run(&run("2025-06", "2025-06", &june), &june, &no_progress).await.unwrap();
            let runs = store.runs().await.unwrap();
            assert_eq!(
                runs.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(),
                ["2025-06", "2025-05"]
            );
            assert_eq!(store.latest_run().await.unwrap().unwrap().run_id, "2025-06");
            assert_eq!(store.previous_run("2025-06").await.unwrap().unwrap().run_id, "2025-05");
            assert!(store.previous_run("2025-05").await.unwrap().is_none());

            // History of a company across runs, oldest first.
            let h = store.company_history("c00000").await.unwrap();
            assert_eq!(
                h.iter().map(|s| s.month.as_str()).collect::<Vec<_>>(),
                ["2025-05", "2025-06"]
            );
            assert_eq!(h[1].score, may[0]);
            let levels = store.run_levels("2025-06").await.unwrap();
            assert_eq!(
                levels[0],
                ("c00000".to_owned(), vigie_core::AlertLevel::Red, may[0].p.alert())
            );
            // A second run of June under another id is not June's previous run.
            store
                .write_run(&run("2025-06-bis", "2025-06", &june), &june, &no_progress)
                .await
                .unwrap();
            assert_eq!(store.previous_run("2025-06").await.unwrap().unwrap().run_id, "2025-05");
            // A run id holds one month: reusing it for another is refused, nothing changed.
            let e = store
                .write_run(&run("2025-05", "2025-07", &june), &june, &no_progress)
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains("already holds the run of 2025-05"), "{e}");
            assert_eq!(store.run("2025-05").await.unwrap().unwrap().green, 1000);
            store.close().await;
            store2.close().await;
        });
    });
}

#[test]
fn invalid_runs_are_refused_and_change_nothing() {
    both("invalid_runs", |url| {
        rt().block_on(async {
            let store = Store::open(url).await.unwrap();
            let ok = vec![score("a", "21", 0.2, "red")];
            store.write_run(&run("r1", "2025-01", &ok), &ok, &no_progress).await.unwrap();
            let mut nan = vec![score("b", "21", 0.2, "red")];
            nan[0].p.m12 = f64::NAN;
            let dup = vec![score("b", "21", 0.2, "red"), score("b", "21", 0.3, "red")];
            let bad_level = vec![score("b", "21", 0.2, "purple")];
            for bad in [nan, dup, bad_level] {
                let err = store
                    .write_run(&run("r1", "2025-01", &bad), &bad, &no_progress)
                    .await
                    .unwrap_err();
                assert!(matches!(err, Error::Invalid(_)), "{err}");
            }
            // Rows handed over a chunk at a time must come in ascending company id: out of
            // order, the transaction is rolled back.
            let unsorted = vec![score("c", "21", 0.2, "red"), score("b", "21", 0.2, "red")];
            let err = store
                .write_run_from(&run("r1", "2025-01", &unsorted), &Unsorted(unsorted), &no_progress)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("ascending company id"), "{err}");
            // The same in a later chunk (rows are written 20,000 at a time): the rows
            // already inserted are rolled back with the rest.
            let mut many: Vec<ScoreRow> =
                (0..20_001).map(|i| score(&format!("c{i:06}"), "21", 0.2, "green")).collect();
            many.swap(20_000, 19_999);
            let err = store
                .write_run_from(&run("r1", "2025-01", &many), &Unsorted(many), &no_progress)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("ascending company id"), "{err}");
            assert_eq!(store.run_scores("r1").await.unwrap(), ok, "the stored run is untouched");
            assert_eq!(store.count_scores(None).await.unwrap(), 1);
            // Run ids are bounded (cursors carry them): an overlong or empty one is refused.
            for bad in [String::new(), "x".repeat(101)] {
                let err = store.check_run_id(&bad, "2025-12").await.unwrap_err();
                assert!(matches!(err, Error::Invalid(_)), "{err}");
            }
            store.check_run_id(&"x".repeat(100), "2025-12").await.unwrap();
            assert!(matches!(Store::open("mysql://x").await.unwrap_err(), Error::Url(_)));
        });
    });
}

#[test]
fn the_registry_holds_one_active_model() {
    both("registry", |url| {
        rt().block_on(async {
            let store = Store::open(url).await.unwrap();
            let m = |v: &str, json: &str| ModelRecord {
                version: v.into(),
                name: "risk".into(),
                family: "gbdt".into(),
                feature_set: vigie_core::features::FeatureSet::Full,
                registered_at: vigie_store::now_utc(),
                active: false,
                model_json: json.into(),
                card: Some("# card".into()),
                metrics: None,
            };
            assert!(store.active_model().await.unwrap().is_none());
            store.register_model(&m("v1", "{}")).await.unwrap();
            store.register_model(&m("v1", "{}")).await.expect("same content again: no-op");
            assert!(matches!(
                store.register_model(&m("v1", "{\"x\":1}")).await,
                Err(Error::Invalid(_))
            ));
            store.register_model(&m("v2", "{\"y\":2}")).await.unwrap();
            store.activate_model("v1").await.unwrap();
            store.activate_model("v2").await.unwrap();
            let active = store.active_model().await.unwrap().unwrap();
            assert_eq!((active.version.as_str(), active.model_json.as_str()), ("v2", "{\"y\":2}"));
            assert!(matches!(store.activate_model("v9").await, Err(Error::UnknownModel(_))));
            assert_eq!(store.active_model().await.unwrap().unwrap().version, "v2", "unchanged");
            let all = store.models().await.unwrap();
            assert_eq!(all.iter().filter(|m| m.active).count(), 1);
            assert_eq!(all.len(), 2);
            // The database itself refuses a second active model.
            assert!(raw(url, "UPDATE models SET active = 1").await.is_err());
            // One active model per feature set: a self-diagnosis model beside the company
            // scorer, each swapped within its set only.
            let s = |v: &str| ModelRecord {
                feature_set: vigie_core::features::FeatureSet::SelfAssessment,
                ..m(v, "{\"s\":1}")
            };
            store.register_model(&s("s1")).await.unwrap();
            store
                .register_model(&ModelRecord { model_json: "{\"s\":2}".into(), ..s("s2") })
                .await
                .unwrap();
            assert_eq!(
                store.activate_model("s1").await.unwrap(),
                vigie_core::features::FeatureSet::SelfAssessment
            );
            assert_eq!(store.active_model().await.unwrap().unwrap().version, "v2", "untouched");
            assert_eq!(
                store
                    .active_model_version_of(vigie_core::features::FeatureSet::SelfAssessment)
                    .await
                    .unwrap()
                    .as_deref(),
                Some("s1")
            );
            store.activate_model("s2").await.unwrap();
            store.activate_model("v1").await.unwrap();
            let mut active: Vec<(String, vigie_core::features::FeatureSet)> = store
                .models()
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.active)
                .map(|m| (m.version, m.feature_set))
                .collect();
            active.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(
                active,
                [
                    ("s2".to_owned(), vigie_core::features::FeatureSet::SelfAssessment),
                    ("v1".to_owned(), vigie_core::features::FeatureSet::Full)
                ]
            );
            assert_eq!(
                store
                    .active_model_of(vigie_core::features::FeatureSet::SelfAssessment)
                    .await
                    .unwrap()
                    .unwrap()
                    .model_json,
                "{\"s\":2}"
            );
        });
    });
}

#[test]
fn tokens_are_hashed_scoped_and_revocable() {
    both("tokens", |url| {
        rt().block_on(async {
            let store = Store::open(url).await.unwrap();
            let agent = NewToken {
                name: "agent-21".into(),
                role: Role::Agent,
                territories: vec!["21".into(), "25".into()],
            };
            let (token, secret) = store.create_token(&agent).await.unwrap();
            assert!(secret.starts_with("vigie_") && secret.len() == 70, "{secret}");
            let found = store.verify_token(&secret).await.unwrap().expect("valid token");
            assert_eq!(found, token);
            assert_eq!(found.territories, ["21", "25"]);
            assert!(store.verify_token("vigie_00").await.unwrap().is_none());
            assert!(
                matches!(store.create_token(&agent).await, Err(Error::Invalid(_))),
                "unique names"
            );
            let no_zone = NewToken { name: "x".into(), role: Role::Agent, territories: vec![] };
            assert!(matches!(store.create_token(&no_zone).await, Err(Error::Invalid(_))));
            let zoned_admin =
                NewToken { name: "y".into(), role: Role::Admin, territories: vec!["21".into()] };
            assert!(matches!(store.create_token(&zoned_admin).await, Err(Error::Invalid(_))));
            assert!(store.revoke_token("agent-21").await.unwrap());
            assert!(!store.revoke_token("agent-21").await.unwrap(), "already revoked");
            assert!(store.verify_token(&secret).await.unwrap().is_none());
            assert!(store.tokens().await.unwrap()[0].revoked_at.is_some());
            if let Some(path) = url.strip_prefix("sqlite://") {
                store.close().await;
                let mut bytes = std::fs::read(path).unwrap();
                if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
                    bytes.extend(wal);
                }
                let hay = String::from_utf8_lossy(&bytes);
                assert!(!hay.contains(&secret[6..]), "the secret itself is never stored");
                assert!(hay.contains(&vigie_store::hash_token(&secret)), "its hash is");
            }
        });
    });
}

#[test]
fn dashboard_sessions_die_with_sign_out_expiry_and_their_token() {
    both("sessions", |url| {
        rt().block_on(async {
            let store = Store::open(url).await.unwrap();
            let agent = NewToken {
                name: "agent-21".into(),
                role: Role::Agent,
                territories: vec!["21".into()],
            };
            let (_, token) = store.create_token(&agent).await.unwrap();
            assert!(store.open_session("vigie_unknown", 3600).await.unwrap().is_none());
            let (secret, session) = store.open_session(&token, 3600).await.unwrap().unwrap();
            assert_eq!(secret.len(), 64);
            assert_eq!(session.csrf.len(), 64);
            assert_ne!(secret, session.csrf);
            let hash = vigie_store::hash_token(&secret);
            let found = store.session(&hash).await.unwrap().expect("a live session");
            assert_eq!(
                (found.token.name.as_str(), found.token.territories.clone()),
                ("agent-21", vec!["21".to_owned()])
            );
            assert_eq!(found.csrf, session.csrf);
            // Only the hash is stored: the secret itself finds nothing.
            assert!(store.session(&secret).await.unwrap().is_none());
            // Sign-out.
            assert!(store.end_session(&hash).await.unwrap());
            assert!(store.session(&hash).await.unwrap().is_none());
            assert!(!store.end_session(&hash).await.unwrap());
            // Expiry (a session of 0 seconds is already over).
            let (old, _) = store.open_session(&token, 0).await.unwrap().unwrap();
            assert!(store.session(&vigie_store::hash_token(&old)).await.unwrap().is_none());
            // Revoking the token ends its sessions.
            let (live, _) = store.open_session(&token, 3600).await.unwrap().unwrap();
            let live = vigie_store::hash_token(&live);
            assert!(store.session(&live).await.unwrap().is_some());
            assert!(store.revoke_token("agent-21").await.unwrap());
            assert!(store.session(&live).await.unwrap().is_none());
            assert!(store.open_session(&token, 3600).await.unwrap().is_none());
            store.close().await;
        });
    });
}

#[test]
fn follow_ups_feedback_and_an_append_only_audit_log() {
    both("people", |url| {
        rt().block_on(async {
            let store = Store::open(url).await.unwrap();
            for (status, note) in [(FollowUpStatus::ToContact, None), (FollowUpStatus::Contacted, Some("called the manager"))] {
                store
                    .add_follow_up(&FollowUp { company_id: "c1".into(), status, note: note.map(Into::into), author: "agent-21".into(), at: vigie_store::now_utc() })
                    .await
                    .unwrap();
            }
            let h = store.follow_ups("c1").await.unwrap();
            assert_eq!(h.iter().map(|f| f.status).collect::<Vec<_>>(), [FollowUpStatus::ToContact, FollowUpStatus::Contacted]);
            assert_eq!(h[1].note.as_deref(), Some("called the manager"));
            assert!(store.follow_ups("c2").await.unwrap().is_empty());
            assert!(raw(url, "INSERT INTO follow_ups (company_id, status, author, at) VALUES ('c1', 'lost', 'x', 'y')").await.is_err(), "unknown status refused by the schema");

            let fb = Feedback { company_id: "c1".into(), run_id: Some("2025-05".into()), useful: false, reason: Some("already in support".into()), author: "agent-21".into(), at: vigie_store::now_utc() };
            store.add_feedback(&fb).await.unwrap();
            assert_eq!(store.feedback("c1").await.unwrap(), [fb]);

            let e = AuditEntry { at: String::new(), token_name: "agent-21".into(), route: "GET /v1/companies/{id}".into(), company_id: Some("c1".into()), territory: Some("21".into()), outcome: "ok".into(), reason: None };
            let at = store.audit(&e).await.unwrap();
            store.audit(&AuditEntry { outcome: "out_of_zone".into(), reason: Some("joint case".into()), ..e.clone() }).await.unwrap();
            let log = store.audit_log().await.unwrap();
            assert_eq!(log.len(), 2);
            assert_eq!(log[0], AuditEntry { at, ..e });
            assert_eq!(log[1].reason.as_deref(), Some("joint case"));
            for sql in ["UPDATE audit_log SET outcome = 'x'", "DELETE FROM audit_log"] {
                let err = raw(url, sql).await.expect_err("append-only");
                assert!(err.contains("append-only"), "{err}");
            }
            assert_eq!(store.audit_log().await.unwrap().len(), 2);
        });
    });
}

#[test]
fn one_rescore_lock_per_store() {
    both("lock", |url| {
        rt().block_on(async {
            let store = Store::open(url).await.unwrap();
            let other = Store::open(url).await.unwrap();
            let lock = store.lock_rescore().await.unwrap();
            let err = other.lock_rescore().await.unwrap_err();
            assert!(matches!(err, Error::Locked(_)));
            assert!(err.to_string().contains("another `vigie rescore` is running"), "{err}");
            lock.release().await.unwrap();
            other.lock_rescore().await.expect("free again").release().await.unwrap();
        });
    });
}

#[test]
fn an_unreachable_store_is_named_with_its_password_masked() {
    rt().block_on(async {
        let e = Store::open("postgres://vigie:s3cret@127.0.0.1:1/vigie").await.unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("postgres://vigie:***@127.0.0.1:1/vigie"), "{msg}");
        assert!(!msg.contains("s3cret") && !msg.contains("timed out"), "{msg}");
        let e = Store::open("sqlite:///nonexistent-dir/x.db").await.unwrap_err();
        assert!(e.to_string().contains("/nonexistent-dir/x.db"), "{e}");
    });
}

#[test]
fn backtests_feedback_counts_and_comparisons_round_trip() {
    use vigie_store::{Backtest, Comparison, LevelOutcome, ListOverlap};
    both("backtests", |url| {
        rt().block_on(async {
            let store = Store::open(url).await.unwrap();
            let scores = [score("a", "21", 0.4, "red"), score("b", "21", 0.1, "orange"), score("c", "75", 0.01, "green")];
            store.write_run(&run("2025-05", "2025-05", &scores), &scores, &no_progress).await.unwrap();
            let probs = store.run_probabilities("2025-05").await.unwrap();
            assert_eq!(probs.iter().map(|p| (p.0.as_str(), p.2.as_str())).collect::<Vec<_>>(), [("a", "red"), ("b", "orange"), ("c", "green")]);
            assert_eq!(probs[0].1, scores[0].p);
            let b = |h: i32, failures: i64| Backtest {
                run_id: "2025-05".into(),
                month: "2025-05".into(),
                horizon_months: h,
                as_of: "2025-11".into(),
                scored: 3,
                failures,
                roc_auc: None,
                red: LevelOutcome::new(1, 1, failures),
                orange: LevelOutcome::new(2, 1, failures),
                mean_predicted: 0.17,
                observed_rate: failures as f64 / 3.0,
            };
            store.write_backtests(&[b(6, 1), b(12, 1)]).await.unwrap();
            // Written again with later events: replaced, not duplicated.
            store.write_backtests(&[b(6, 2)]).await.unwrap();
            let got = store.backtests().await.unwrap();
            assert_eq!(got, [b(6, 2), b(12, 1)]);
            assert_eq!(got[0].red.precision, Some(1.0));
            assert_eq!(got[0].red.recall, Some(0.5));
            assert!(raw(url, "INSERT INTO backtests (run_id, horizon_months, as_of, scored, failures, red_flagged, red_failed, orange_flagged, orange_failed, mean_predicted, observed_rate) VALUES ('2025-05', 7, 'x', 0, 0, 0, 0, 0, 0, 0, 0)").await.is_err(), "horizons are 6, 12, 18 or 24");

            for (useful, who) in [(true, "a"), (false, "b"), (true, "c")] {
                let fb = Feedback { company_id: who.into(), run_id: Some("2025-05".into()), useful, reason: None, author: "agent-21".into(), at: vigie_store::now_utc() };
                store.add_feedback(&fb).await.unwrap();
            }
            assert_eq!(store.feedback_by_run().await.unwrap(), [("2025-05".to_owned(), 2, 1)]);

            // A re-run of the month removes its backtests with it.
            store.write_run(&run("2025-05", "2025-05", &scores), &scores, &no_progress).await.unwrap();
            assert!(store.backtests().await.unwrap().is_empty());

            let m = ModelRecord { version: "v2".into(), name: "risk".into(), family: "gbdt".into(), feature_set: vigie_core::features::FeatureSet::Full, registered_at: vigie_store::now_utc(), active: false, model_json: "{}".into(), card: None, metrics: Some("{\"walk_forward\": []}".into()) };
            store.register_model(&m).await.unwrap();
            assert_eq!(store.model("v2").await.unwrap().unwrap().metrics, m.metrics);
            assert_eq!(store.model_metrics("v2").await.unwrap(), m.metrics);
            assert_eq!(store.model_metrics("v404").await.unwrap(), None);
            assert_eq!(store.comparison("v2").await.unwrap(), None);
            let mut red = ListOverlap::default();
            red.add(true, true);
            red.add(true, false);
            assert_eq!(red.jaccard(), Some(0.5));
            let c = Comparison { run_id: "2025-05".into(), month: "2025-05".into(), active_version: "v1".into(), candidate_version: "v2".into(), compared_at: vigie_store::now_utc(), scored: 3, changed: 1, new_alerts: 0, removed_alerts: 0, escalated: 0, de_escalated: 1, red, alerts: ListOverlap::default(), active_walk_forward: None, candidate_walk_forward: Some(serde_json::json!({"windows": 3})) };
            store.set_comparison(&c).await.unwrap();
            assert_eq!(store.comparison("v2").await.unwrap(), Some(c.clone()));
            assert!(store.set_comparison(&Comparison { candidate_version: "v9".into(), ..c }).await.is_err(), "unknown model");
        });
    });
}
