//! The open-data route end to end (`docs/open-data.md`): synthetic companies written as the
//! public downloads them (SIRENE stock files, INPI accounts, BODACC notices) → `vigie
//! import` → panel → model → nightly run → the API serving it.

use std::sync::Arc;

use vigie_core::Pseudonymiser;
use vigie_core::accounts::AMOUNTS;
use vigie_data::panel::PanelOptions;
use vigie_data::source::Format;
use vigie_synth::GenerateOptions;
use vigie_train::Family;
use vigie_train::gbdt::GbdtParams;
use vigie_train::train::{TrainOptions, train};

use crate::common;
use crate::store::rt;

#[test]
fn the_open_data_route_runs_end_to_end() {
    let dir = common::tempdir();
    let sources = dir.path().join("sources");
    let opts = GenerateOptions { companies: 3000, years: 6, seed: 5, format: Format::Parquet };
    vigie_synth::generate(&opts, &sources).unwrap();
    let open = vigie_synth::open_data::write(&sources, dir.path()).unwrap();
    assert_eq!(open.legal_units, 3000);
    assert!(open.establishments > 3000 && open.bodacc_notices > 100);

    // Import what the public holds.
    let imported = dir.path().join("imported");
    std::fs::create_dir_all(&imported).unwrap();
    let inputs = vigie_data::import::Inputs {
        sirene: vigie_data::import::sirene::SireneInputs {
            legal_units: vec![dir.path().join("StockUniteLegale.csv")],
            establishments: vec![dir.path().join("StockEtablissement.csv")],
            legal_entities_only: false,
            encoding: vigie_data::import::Encoding::Auto,
        },
        inpi: vec![dir.path().join("inpi")],
        events: vigie_data::import::events::EventInputs {
            bodacc: vec![dir.path().join("bodacc.csv")],
            ..Default::default()
        },
        ..Default::default()
    };
    let report = vigie_data::import::run(&inputs, &imported, Format::Parquet).unwrap();
    assert!(report.inputs.iter().all(|s| s.rows_rejected == 0), "{:?}", report.inputs);
    assert_eq!(report.outputs["companies"].rows, 3000);
    assert_eq!(report.outputs["filings"].rows, open.inpi_filings);
    // The accounts come back as generated, to the euro; the judgments once each.
    let generated = vigie_data::tabular::read(&sources.join("filings.parquet")).unwrap();
    let read = vigie_data::tabular::read(&report.outputs["filings"].file).unwrap();
    for name in AMOUNTS {
        let (a, b) = (generated.numeric(name).unwrap(), read.numeric(name).unwrap());
        for (x, y) in a.iter().zip(b) {
            assert!(
                x.is_nan() == y.is_nan() && (x.is_nan() || (x - y).abs() <= 1.0),
                "{name}: {x} {y}"
            );
        }
    }
    let events = vigie_data::tabular::read(&sources.join("events.parquet")).unwrap();
    assert_eq!(report.outputs["events"].rows, events.rows);

    // A panel of what is there: no monthly source.
    let mut log = vigie_data::rejects::RejectLog::default();
    let popts = PanelOptions { keep_in_procedure: true, ..PanelOptions::default() };
    let built =
        vigie_data::panel::build(&imported, &Pseudonymiser::demo(), &popts, &mut log).unwrap();
    assert_eq!(built.summary.sources_present, ["companies", "filings", "events"]);
    assert_eq!(built.summary.feature_groups_present, ["financial", "profile"]);
    let panel = dir.path().join("panel.parquet");
    built.table.write(&panel, Format::Parquet).unwrap();

    // A model; its card names what it never saw.
    let topts = TrainOptions {
        family: Family::Gbdt,
        name: "open-data".into(),
        seed: 3,
        test_from: None,
        cv_folds: 0,
        gbdt: GbdtParams { iterations: 60, learning_rate: 0.1, ..GbdtParams::default() },
        logistic: vigie_train::logistic::LogisticParams::default(),
        refit: true,
        train_months: vigie_train::walk::DEFAULT_TRAIN_MONTHS,
        feature_set: vigie_core::features::FeatureSet::Full,
        fit_rows: None,
    };
    let models = dir.path().join("models");
    let outcome = train(&panel, &models, &topts).unwrap();
    let card = std::fs::read_to_string(outcome.dir.join("card.md")).unwrap();
    assert!(card.contains("without any: tax, activity, social"), "{card}");
    assert!(outcome.metrics.summary.roc_auc.unwrap() > 0.55);

    // The nightly run, then the API.
    let url = format!("sqlite://{}", dir.path().join("vigie.db").display());
    let (store, analyst) = rt().block_on(async {
        let store = vigie_store::Store::open(&url).await.unwrap();
        let mut o = crate::rescore::options(&imported, "2025-12", &dir.path().join("run"), false);
        o.model = Some(outcome.dir.clone());
        let run = vigie_batch::rescore(&store, &o, &|_| {}).await.unwrap();
        assert!(run.summary.scored > 2000, "{}", run.summary.scored);
        let new = vigie_store::NewToken {
            name: "analyst".into(),
            role: vigie_store::Role::Analyst,
            territories: vec![],
        };
        let (_, secret) = store.create_token(&new).await.unwrap();
        (store, secret)
    });
    let state = Arc::new(vigie_server::AppState::new(
        store,
        Some(Pseudonymiser::demo()),
        vigie_server::Config { store: url, ..vigie_server::Config::default() },
    ));
    let live = common::Live::start(Arc::clone(&state));
    let answer = live.runtime.block_on(async {
        use std::io::{Read as _, Write as _};
        let mut s = std::net::TcpStream::connect(live.addr).unwrap();
        write!(
            s,
            "GET /v1/alerts?limit=3 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {analyst}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    });
    live.stop();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\"run_id\":\"2025-12\"") && answer.contains("\"company_id\""),
        "{answer}"
    );
}
