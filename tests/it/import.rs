//! `vigie import` of the Urssaf files and the judgments (procol, BODACC), on files written
//! for the tests in the real layouts and as real files come (Latin-1, a byte-order mark,
//! `;` or `,`, CRLF, columns in any order and case, unknown columns), and on the public
//! parser test files of `../shared/formats/fixtures/`.

use std::path::{Path, PathBuf};

use vigie_data::import::{self, Encoding, InputSummary};
use vigie_data::rejects::RejectLog;
use vigie_data::source::Format;

use crate::common;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn reasons(s: &InputSummary) -> Vec<(&'static str, usize)> {
    s.rejects_by_reason.iter().map(|(k, v)| (*k, *v)).collect()
}

#[test]
fn urssaf_files_become_social_months_per_company() {
    let dir = common::tempdir();
    // Débits: Latin-1 (an accent in a column no field reads), CRLF, columns in another
    // order and case; two establishments of one company; operations on a debt over time.
    let debits = "Urssaf_gestion;num_cpte;SIRET;Siren;Periode;Num_Ecn;Num_Hist_Ecn;Dt_trt_ecn;Mt_PO;Mt_PP;Cd_op_ecn;Libell\u{e9}\r\n\
        1;A1;55203253400017;;202411;1;1;1241015;100000;250000;1;caf\u{e9}\r\n\
        1;A1;55203253400017;;202411;1;2;1241220;40000;100000;2;x\r\n\
        2;A2;55203253400025;;202412;7;1;1241115;50000;0;1;x\r\n\
        2;A2;55203253400025;;202412;7;2;1250110;0;0;2;x\r\n\
        3;B;;732829320;199904;1;1;1241015;1;1;1;x\r\n\
        3;B;;732829320;202411;1;1;1241301;1;1;1;x\r\n\
        3;B;;732829320;202411;1;1;1241101;-5;1;1;x\r\n\
        3;B;;732829320;202411;1;1;1241101;abc;1;1;x\r\n\
        3;B;;;202411;1;1;1241101;1;1;1;x\r\n";
    let latin1: Vec<u8> = debits.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let debits = write(dir.path(), "debits.csv", &latin1);
    // Cotisations: UTF-8 with a byte-order mark, comma-separated, a decimal comma in a
    // quoted field; a whole quarter (Y = 0) spread over its months.
    let cotisations = write(
        dir.path(),
        "cotisations.csv",
        "\u{feff}Compte,Siret,periode,mer,enc_direct\n\
         A1,55203253400017,202440,\"3000,00\",0\n\
         A2,55203253400025,202441,500,0\n\
         A1,55203253400017,202511,1200,0\n\
         A1,55203253400017,2024,1200,0\n"
            .as_bytes(),
    );
    let delais = write(
        dir.path(),
        "delais.csv",
        b"Numero_compte_externe;Siret;Date_creation;Date_echeance;Duree_delai\n\
          A1;55203253400017;15/11/2024;31/12/2024;46\n\
          A1;55203253400017;15/11/2024;01/10/2024;0\n",
    );
    let inputs = import::urssaf::UrssafInputs {
        debits: vec![debits],
        cotisations: vec![cotisations],
        delais: vec![delais],
        encoding: Encoding::Auto,
    };
    let mut log = RejectLog::default();
    let (social, summaries) = import::urssaf::social(&inputs, &mut log).unwrap();
    let [d, c, p] = &summaries[..] else { panic!("{summaries:?}") };
    assert_eq!((d.rows_read, d.rows_accepted, d.rows_rejected), (9, 4, 5));
    assert_eq!(
        reasons(d),
        [
            ("invalid_date", 1),
            ("invalid_month", 1),
            ("invalid_siren", 1),
            ("negative_amount", 1),
            ("not_a_number", 1)
        ]
    );
    assert_eq!((d.encoding, d.separator), (Some("latin-1"), Some(';')));
    assert_eq!(d.ignored_columns, ["urssaf_gestion", "libellé"]);
    assert_eq!((c.rows_accepted, c.rows_rejected), (3, 1));
    assert_eq!((c.encoding, c.separator), (Some("utf-8 with BOM"), Some(',')));
    assert_eq!((p.rows_accepted, p.rows_rejected), (1, 1));
    assert_eq!(reasons(p), [("impossible_date", 1)]);
    // The rejects name the row and the column; SIRENs are never shown.
    let rejects = log.rejects();
    assert!(
        rejects.iter().any(|r| r.source == "urssaf_debits" && r.row == 5 && r.column == "periode")
    );
    assert!(rejects.iter().any(|r| r.row == 6 && r.column == "dt_trt_ecn" && r.value == "1241301"));
    assert!(rejects.iter().filter(|r| r.column == "siren").all(|r| r.value == "<redacted>"));
    // One company, from its first month (October 2024) to the files' last (January 2025):
    // the two establishments' debts summed, cents in euros, each debt as its latest
    // operation by the month's end left it.
    let months: Vec<String> = social.month.iter().map(ToString::to_string).collect();
    assert_eq!(social.siren, ["552032534"; 4]);
    assert_eq!(months, ["2024-10", "2024-11", "2024-12", "2025-01"]);
    assert_eq!(social.overdue_employee, [1000.0, 1500.0, 900.0, 400.0]);
    assert_eq!(social.overdue_employer, [2500.0, 2500.0, 1000.0, 1000.0]);
    assert_eq!(
        social.contributions_called,
        [Some(1500.0), Some(1000.0), Some(1000.0), Some(1200.0)]
    );
    assert_eq!(social.payment_plan, [false, true, true, false]);
    // What is written reads as a `social_monthly` source.
    let out = common::tempdir();
    let path = import::urssaf::write(&social, out.path(), Format::Parquet).unwrap();
    let raw =
        vigie_data::source::read(&vigie_data::source::SOCIAL_MONTHLY, &path, Format::Parquet, None)
            .unwrap();
    assert_eq!(raw.df.height(), 4);
}

#[test]
fn judgments_from_procol_and_the_bodacc_are_kept_once() {
    let dir = common::tempdir();
    let procol = write(
        dir.path(),
        "procol.csv",
        b"Siret;Siren;Dt_effet;Lib_actx_stdx\n\
          55203253400017;;15MAR2025;Ouverture_redressement\n\
          ;552032534;02SEP2025;Plan_continuation_redressement\n\
          ;732829320;31FEB2025;Ouverture_liquidation\n\
          ;732829320;01MAR2025;Ouverture_liquidation\n\
          ;732829320;01MAR2025;Inclusion_autre_procedure_liquidation\n\
          ;482309382;01APR2025;Foo_bar\n",
    );
    let j = |famille: &str, nature: &str, date: &str| {
        let inner =
            serde_json::json!({"famille": famille, "nature": nature, "date": date}).to_string();
        format!("\"{}\"", inner.replace('"', "\"\""))
    };
    let csv = [
        "id;dateparution;familleavis;numerodepartement;tribunal;registre;jugement".to_owned(),
        // The judgment procol gave too: kept once.
        format!(
            "A-1;2025-03-20;collective;21;TC Dijon;\"552 032 534,552032534\";{}",
            j(
                "Jugement d'ouverture",
                "Jugement d'ouverture d'une procédure de redressement judiciaire",
                "2025-03-15"
            )
        ),
        format!(
            "A-2;2025-04-02;collective;75;TC Paris;\"482 309 382,482309382\";{}",
            j(
                "Jugement d'ouverture",
                "Jugement d'ouverture de liquidation judiciaire",
                "2025-03-28"
            )
        ),
        // Published again (a correction): kept once.
        format!(
            "A-3;2025-04-03;collective;75;TC Paris;\"482 309 382,482309382\";{}",
            j(
                "Jugement d'ouverture",
                "Jugement d'ouverture de liquidation judiciaire",
                "2025-03-28"
            )
        ),
        "A-4;2025-04-03;immatriculation;75;TC Paris;443 061 841;{}".to_owned(),
        format!(
            "A-5;2025-05-01;collective;75;TC Paris;443 061 841;{}",
            j(
                "Jugement modifiant le plan",
                "Jugement modifiant le plan de sauvegarde",
                "2025-04-20"
            )
        ),
        "A-6;2025-05-01;collective;75;TC Paris;443 061 841;{not json".to_owned(),
    ]
    .join("\n");
    let bodacc_csv = write(dir.path(), "bodacc.csv", csv.as_bytes());
    let json = serde_json::json!({"results": [
        {"familleavis": "collective", "registre": ["130 025 265", "130025265"], "dateparution": "2025-06-10",
         "jugement": serde_json::json!({"famille": "Jugement de clôture", "nature": "Jugement de clôture pour insuffisance d'actif"}).to_string()},
        {"familleavis": "collective", "registre": ["13002526"], "dateparution": "2025-06-10", "jugement": "{}"}
    ]});
    let bodacc_json = write(dir.path(), "bodacc.json", json.to_string().as_bytes());
    let inputs = import::events::EventInputs {
        procol: vec![procol],
        bodacc: vec![bodacc_csv, bodacc_json],
        encoding: Encoding::Auto,
    };
    let mut log = RejectLog::default();
    let (events, summaries) = import::events::events(&inputs, &mut log).unwrap();
    let [p, c, js] = &summaries[..] else { panic!("{summaries:?}") };
    assert_eq!((p.rows_read, p.rows_accepted, p.rows_rejected, p.rows_skipped()), (6, 3, 2, 1));
    assert_eq!(reasons(p), [("invalid_date", 1), ("unknown_event_kind", 1)]);
    assert_eq!(p.skipped.get("included_in_another_procedure"), Some(&1));
    assert_eq!((c.rows_read, c.rows_accepted, c.rows_rejected), (6, 1, 1));
    assert_eq!(c.skipped.get("duplicate_judgment"), Some(&2));
    assert_eq!(c.skipped.get("not_a_collective_procedure_notice"), Some(&1));
    assert_eq!(c.skipped.get("other_judgment"), Some(&1));
    assert_eq!(reasons(c), [("malformed_row", 1)]);
    assert_eq!((js.rows_read, js.rows_accepted, js.rows_rejected), (2, 1, 1));
    let got: Vec<String> = (0..events.siren.len())
        .map(|i| format!("{} {} {}", events.siren[i], events.date[i], events.kind[i].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            "130025265 2025-06-10 closure",
            "482309382 2025-03-28 liquidation",
            "552032534 2025-03-15 receivership",
            "552032534 2025-09-02 plan_adoption",
            "732829320 2025-03-01 liquidation",
        ]
    );
    let out = common::tempdir();
    let path = import::events::write(&events, out.path(), Format::Csv).unwrap();
    let raw =
        vigie_data::source::read(&vigie_data::source::EVENTS, &path, Format::Csv, None).unwrap();
    assert_eq!(raw.df.height(), 5);
}

#[test]
fn the_public_parser_test_files_import_with_their_corrupt_rows_rejected() {
    let f = Path::new("../shared/formats/fixtures/signaux-faibles");
    let f = common::root().join(f);
    let file = |n: &str| f.join(n);
    let inputs = import::Inputs {
        urssaf: import::urssaf::UrssafInputs {
            debits: vec![file("urssaf-debitTestData.csv")],
            cotisations: vec![file("urssaf-cotisationTestData.csv")],
            delais: vec![file("urssaf-delaiTestData.csv")],
            encoding: Encoding::Auto,
        },
        events: import::events::EventInputs {
            procol: vec![file("urssaf-procolTestData.csv")],
            ..Default::default()
        },
        ..Default::default()
    };
    let out = common::tempdir();
    let report = import::run(&inputs, out.path(), Format::Csv).unwrap();
    // Each file: every row accepted or rejected with its reason; their SIRENs are
    // synthetic, and only 000000000 passes the check digit.
    let counts: Vec<(usize, usize, usize)> =
        report.inputs.iter().map(|s| (s.rows_read, s.rows_accepted, s.rows_rejected)).collect();
    assert_eq!(counts, [(3, 1, 2), (3, 1, 2), (3, 1, 2), (3, 0, 3)]);
    assert!(
        report.inputs.iter().all(|s| s.rejects_by_reason.keys().all(|r| *r == "invalid_siren"))
    );
    // The debit of 000000000: 1,959.07 € and 8,644.97 € (cents), from its processing date
    // (5 May 1999, written 990505).
    let social = std::fs::read_to_string(&report.outputs["social_monthly"].file).unwrap();
    assert!(
        social.lines().nth(1).unwrap().starts_with("000000000,1999-05,,1959.07,8644.97,0"),
        "{social}"
    );
    // The 2010-05 contributions (period 1022) and the plan of 2000-01 to 2001-04.
    assert!(social.contains("000000000,2010-05,9.0,1959.07,8644.97,0"), "{social}");
    assert!(social.contains("000000000,2000-01,,1959.07,8644.97,1"), "{social}");
    assert_eq!(report.outputs["rejects"].rows, 9);
}
