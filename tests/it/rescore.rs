//! The nightly batch in-process (`vigie_batch::rescore`) on the demo sources, against SQLite
//! and, when configured, PostgreSQL. The crash-safety tests, which need a process to kill,
//! are in `crates/vigie-cli/tests/rescore.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use vigie_batch::{Outcome, RescoreOptions};
use vigie_core::Pseudonymiser;
use vigie_core::{AlertLevel, Month};
use vigie_store::{ScoreRow, Store};

use crate::common;
use crate::store::{postgres_url, rt};

/// Options of a rescore of `input` for `month` (with the committed demo model registered when
/// `model`), demo key, reports under `report`.
pub fn options(input: &Path, month: &str, report: &Path, model: bool) -> RescoreOptions {
    RescoreOptions {
        input: input.to_owned(),
        month: Month::parse(month).unwrap(),
        run_id: None,
        model: model.then(common::demo_model_dir),
        out: None,
        report_dir: report.to_owned(),
        tax_lag: 1,
        social_lag: 2,
        explain_all: false,
        backfill: false,
        block_companies: vigie_data::ingest::BLOCK_COMPANIES,
        pseudo: Pseudonymiser::demo(),
    }
}

async fn rescore(store: &Store, opts: &RescoreOptions) -> vigie_batch::Result<Outcome> {
    vigie_batch::rescore(store, opts, &|_| {}).await
}

fn parquet_rows(path: &Path) -> polars::prelude::DataFrame {
    use polars::prelude::*;
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

fn rank(l: &str) -> u8 {
    AlertLevel::parse(l).unwrap() as u8
}

/// Two months, then the second again with the same run id.
fn two_months_and_a_rerun(url: &str) {
    let demo = common::root().join("data-samples/demo");
    let dir = common::tempdir();
    rt().block_on(async {
        let store = Store::open(url).await.unwrap();
        // No model given and none active: a clear error, nothing written.
        let err = rescore(&store, &options(&demo, "2025-06", &dir.path().join("x"), false))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no active model"), "{err}");
        assert!(!dir.path().join("x").exists());

        let june = rescore(&store, &options(&demo, "2025-06", &dir.path().join("june"), true))
            .await
            .unwrap();
        let model = common::demo_model_dir();
        let version = model.file_name().unwrap().to_str().unwrap().to_owned();
        assert_eq!(
            store.active_model().await.unwrap().unwrap().version,
            version,
            "--model is activated"
        );
        // July uses the active model without --model.
        let july_opts = options(&demo, "2025-07", &dir.path().join("july"), false);
        let july = rescore(&store, &july_opts).await.unwrap();
        let first = store.run_scores("2025-07").await.unwrap();

        // Counts agree everywhere: summary, store, Parquet.
        let s = &july.summary;
        assert_eq!(s.run_id, "2025-07");
        assert_eq!(s.alerts.values().sum::<usize>(), s.scored);
        assert_eq!(first.len(), s.scored);
        assert!(s.scored > 3000 && s.excluded > 0, "{s:?}");
        assert_eq!(s.rejected, 0, "the demo sources are clean");
        let run = store.run("2025-07").await.unwrap().unwrap();
        assert_eq!(
            (run.scored as usize, run.red as usize, run.orange as usize),
            (s.scored, s.alerts["red"], s.alerts["orange"])
        );
        let df = parquet_rows(&july.scores);
        for c in ["company_id", "departement", "naf", "p_6m", "p_12m", "p_18m", "p_24m", "level"] {
            assert!(df.column(c).is_ok(), "Parquet column {c}");
        }
        assert_eq!(df.height(), s.scored);
        let mut ids = common::texts(&df, "company_id");
        ids.sort();
        assert_eq!(ids, first.iter().map(|r| r.company_id.clone()).collect::<Vec<_>>());
        let p18 = common::floats(&df, "p_18m");
        let by_id: BTreeMap<String, f64> =
            common::texts(&df, "company_id").into_iter().zip(p18).collect();
        assert!(
            first.iter().all(|r| by_id[&r.company_id] == r.p.alert()),
            "Parquet and store agree"
        );

        // Every score: monotone in the horizon, level from the thresholds, explanation for
        // every alert that adds up to the margin.
        let m = vigie_score::ModelFile::load(&model).unwrap();
        for r in &first {
            assert!(r.p.to_array().is_sorted(), "{r:?}");
            let expected =
                AlertLevel::from_probability(r.p.alert(), m.thresholds.orange, m.thresholds.red);
            assert_eq!(r.level, expected.as_str());
            match (&r.explanation, expected) {
                (None, AlertLevel::Green) => {}
                (Some(e), AlertLevel::Red | AlertLevel::Orange) => {
                    let e: serde_json::Value = serde_json::from_str(e).unwrap();
                    let groups: f64 = e["groups"]
                        .as_object()
                        .unwrap()
                        .values()
                        .map(|v| v.as_f64().unwrap())
                        .sum();
                    let total = e["bias"].as_f64().unwrap() + groups;
                    assert!((total - r.margin).abs() < 1e-9, "{total} vs {}", r.margin);
                    assert!(!e["concerning"].as_array().unwrap().is_empty());
                }
                other => panic!("explanation {other:?} for {r:?}"),
            }
        }

        // The diff, recomputed independently from the two stored runs.
        let before: BTreeMap<String, String> = store
            .run_levels("2025-06")
            .await
            .unwrap()
            .into_iter()
            .map(|(i, l, _)| (i, l.as_str().to_owned()))
            .collect();
        let mut new = 0;
        let mut escalated = 0;
        let mut down = 0;
        for r in &first {
            assert_eq!(r.previous_level.as_ref(), before.get(&r.company_id), "previous level kept");
            assert_eq!(r.previous_p_18m.is_some(), r.previous_level.is_some());
            let d = vigie_core::Departement::parse(&r.departement).unwrap();
            assert_eq!(r.region, d.region().code);
            assert_eq!(
                r.naf_section,
                vigie_core::Naf::parse(&r.naf).unwrap().section().to_string()
            );
            match before.get(&r.company_id) {
                None if r.level != "green" => new += 1,
                Some(b) if b == "green" && r.level != "green" => new += 1,
                Some(b) if b == "orange" && r.level == "red" => escalated += 1,
                Some(b) if rank(b) > rank(&r.level) => down += 1,
                _ => {}
            }
        }
        let gone = before
            .keys()
            .filter(|k| first.binary_search_by(|r| r.company_id.cmp(k)).is_err())
            .count();
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&july.report_json).unwrap()).unwrap();
        let counts = &report["change_counts"];
        assert_eq!(counts["new"], new);
        assert_eq!(counts["escalated"], escalated);
        assert_eq!(counts["de_escalated"], down);
        assert_eq!(counts["no_longer_scored"], gone);
        assert_eq!(s.new_alerts, new);
        assert!(new > 0 && gone > 0, "a month changes something on the demo data");
        assert_eq!(report["previous_run"], "2025-06");
        assert_eq!(
            june.summary.new_alerts,
            june.summary.alerts["red"] + june.summary.alerts["orange"],
            "a first run: every alert is new"
        );
        let psi = s.psi_score.expect("a previous run: PSI measured");
        assert!((0.0..0.1).contains(&psi), "one month apart the score is stable: {psi}");
        assert!(
            std::fs::read_to_string(&july.report).unwrap().contains("## Changes since 2025-06")
        );

        // Same run id again, its features built in blocks of 1,500 companies (filings and
        // monthly values spilt to disk): one run, identical scores, file and report.
        let blocks = RescoreOptions { block_companies: 1500, ..july_opts.clone() };
        let again = rescore(&store, &blocks).await.unwrap();
        assert_eq!(store.runs().await.unwrap().len(), 2);
        assert_eq!(store.run_scores("2025-07").await.unwrap(), first);
        assert_eq!(
            store.count_scores(None).await.unwrap() as usize,
            june.summary.scored + first.len()
        );
        assert_eq!(
            again.summary.new_alerts, july.summary.new_alerts,
            "compared with June again, not with itself"
        );
        assert_eq!(parquet_rows(&again.scores), df);
        let again_report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&again.report_json).unwrap()).unwrap();
        for key in ["summary", "changes", "drift", "reference", "lever_ranges", "sources"] {
            assert_eq!(again_report[key], report[key], "{key}");
        }
        store.close().await;
    });
}

#[test]
fn two_months_and_a_rerun_on_sqlite() {
    let dir = common::tempdir();
    two_months_and_a_rerun(&format!("sqlite://{}", dir.path().join("vigie.db").display()));
}

#[test]
fn two_months_and_a_rerun_on_postgres() {
    if let Some(url) = postgres_url("rescore") {
        two_months_and_a_rerun(&url);
    }
}

#[test]
fn bad_rows_are_rejected_with_reasons_and_the_run_still_happens() {
    let dir = common::tempdir();
    let url = format!("sqlite://{}", dir.path().join("vigie.db").display());
    rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        let opts = options(&common::broken(), "2025-04", &dir.path().join("run"), true);
        let out = rescore(&store, &opts).await.unwrap();
        assert!(out.summary.rejected > 10, "{:?}", out.summary);
        let rejects = std::fs::read_to_string(&out.rejects).unwrap();
        assert_eq!(
            rejects.lines().count() - 1,
            out.summary.rejected,
            "every rejected row is in the file"
        );
        assert!(rejects.lines().next().unwrap().contains("reason"));
        let run = store.run("2025-04").await.unwrap().expect("the run is stored");
        assert_eq!(run.rejected as usize, out.summary.rejected);
        assert!(run.scored > 0);
        let scores: Vec<ScoreRow> = store.run_scores("2025-04").await.unwrap();
        assert_eq!(scores.len(), out.summary.scored);
    });
}

#[test]
fn a_missing_column_fails_before_anything_is_written() {
    let src = common::copy_dir(common::small_csv());
    let tax = src.path().join("tax_monthly.csv");
    let text = std::fs::read_to_string(&tax).unwrap();
    // Drop the `tax_arrears` column.
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let drop = header.iter().position(|c| *c == "tax_arrears").expect("column exists");
    let cut: String = text
        .lines()
        .map(|l| {
            l.split(',')
                .enumerate()
                .filter(|(i, _)| *i != drop)
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    std::fs::write(&tax, cut).unwrap();
    let dir = common::tempdir();
    let db = dir.path().join("vigie.db");
    rt().block_on(async {
        let store = Store::open(&format!("sqlite://{}", db.display())).await.unwrap();
        let mut opts = options(src.path(), "2025-06", &dir.path().join("run"), true);
        opts.out = Some(dir.path().join("scores.parquet"));
        let err = rescore(&store, &opts).await.unwrap_err().to_string();
        assert!(err.contains("tax_monthly") && err.contains("tax_arrears"), "{err}");
        assert!(store.latest_run().await.unwrap().is_none());
        assert!(store.models().await.unwrap().is_empty(), "not even the model is registered");
        assert!(!dir.path().join("run").exists() && !dir.path().join("scores.parquet").exists());
    });
}
