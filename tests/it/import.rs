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
    let (social, summaries) = import::urssaf::social(&inputs, &mut log, dir.path()).unwrap();
    let spills = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("spill"))
        .count();
    assert_eq!(spills, 0, "the spill files are removed");
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
fn urssaf_companies_scattered_over_files_come_out_gathered_in_siren_order() {
    // Three companies whose SIRENs fall in different ranges of the spill, met in the
    // reverse order and each in two files: one company's rows are gathered, and companies
    // come out by SIREN as the whole-memory import wrote them.
    let dir = common::tempdir();
    let [low, mid, high] = ["112345673", "552032534", "987654324"];
    for s in [low, mid, high] {
        assert!(vigie_core::Siren::parse(s).is_ok(), "{s}");
    }
    let debits = format!(
        "num_cpte;Siren;Periode;Num_Ecn;Num_Hist_Ecn;Dt_trt_ecn;Mt_PO;Mt_PP\n\
         H;{high};202411;1;1;1241105;10000;0\n\
         M;{mid};202411;1;1;1241205;20000;0\n\
         L;{low};202411;1;1;1250105;30000;0\n"
    );
    let cotisations = format!(
        "Compte;Siren;periode;mer\n\
         L;{low};202441;100\n\
         H;{high};202511;200\n\
         M;{mid};202441;300\n"
    );
    let inputs = import::urssaf::UrssafInputs {
        debits: vec![write(dir.path(), "d.csv", debits.as_bytes())],
        cotisations: vec![write(dir.path(), "c.csv", cotisations.as_bytes())],
        delais: vec![],
        encoding: Encoding::Auto,
    };
    let mut log = RejectLog::default();
    let (social, _) = import::urssaf::social(&inputs, &mut log, dir.path()).unwrap();
    assert!(log.is_empty(), "{:?}", log.rejects());
    let rows: Vec<(String, String, f64, Option<f64>)> = (0..social.siren.len())
        .map(|i| {
            (
                social.siren[i].clone(),
                social.month[i].to_string(),
                social.overdue_employee[i],
                social.contributions_called[i],
            )
        })
        .collect();
    // Each company from its first month to the files' last (January 2025).
    let r = |s: &str, m: &str, e: f64, c: Option<f64>| (s.to_owned(), m.to_owned(), e, c);
    assert_eq!(
        rows,
        [
            r(low, "2024-10", 0.0, Some(100.0)),
            r(low, "2024-11", 0.0, None),
            r(low, "2024-12", 0.0, None),
            r(low, "2025-01", 300.0, None),
            r(mid, "2024-10", 0.0, Some(300.0)),
            r(mid, "2024-11", 0.0, None),
            r(mid, "2024-12", 200.0, None),
            r(mid, "2025-01", 200.0, None),
            r(high, "2024-11", 100.0, None),
            r(high, "2024-12", 100.0, None),
            r(high, "2025-01", 100.0, Some(200.0)),
        ]
    );
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

/// An INPI document's `<bilan>`: identity fields, then pages of rows `(code, [m1..m4])`.
/// A page of an INPI document: its number and its rows `(code, [m1..m4])`.
type Page<'a> = (&'a str, &'a [(&'a str, [i64; 4])]);

fn bilan(identity: &[(&str, &str)], pages: &[Page<'_>]) -> String {
    use std::fmt::Write as _;
    let mut x = String::from("<bilan><identite>");
    for (k, v) in identity {
        let _ = write!(x, "<{k}>{v}</{k}>");
    }
    x.push_str("</identite><detail>");
    for (page, rows) in pages {
        let _ = write!(x, "<page numero=\"{page}\">");
        for (code, m) in *rows {
            // Zero-padded signed text, as the documents write amounts.
            let f = |v: i64| format!("{v:015}");
            let _ = write!(
                x,
                "<liasse code=\"{code}\" m1=\"{}\" m2=\"{}\" m3=\"{}\" m4=\"{}\"/>",
                f(m[0]),
                f(m[1]),
                f(m[2]),
                f(m[3])
            );
        }
        x.push_str("</page>");
    }
    x.push_str("</detail></bilan>");
    x
}

fn identity<'a>(
    siren: &'a str,
    kind: &'a str,
    months: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("siren", siren),
        ("date_cloture_exercice", "20241231"),
        ("duree_exercice_n", months),
        ("date_depot", "20250715"),
        ("code_type_bilan", kind),
        ("code_confidentialite", "0"),
        ("code_motif", "00"),
    ];
    for (k, val) in extra {
        v.retain(|(key, _)| key != k);
        v.push((k, val));
    }
    v
}

#[test]
fn inpi_accounts_satisfy_the_accounting_identities() {
    use vigie_core::accounts::amount;
    // A complete (type C) filing written from the layout: page 01 assets (gross,
    // depreciation, net N, net N−1), 02 liabilities (N, N−1), 03 the income statement
    // (sales rows: France, export, total N, N−1; other rows N in m3), 04 (N, N−1).
    let assets: &[(&str, [i64; 4])] = &[
        ("AN", [500_000, 200_000, 300_000, 0]),
        ("BL", [40_000, 0, 40_000, 0]),
        ("BT", [60_000, 10_000, 50_000, 0]),
        ("BX", [220_000, 20_000, 200_000, 0]),
        ("CD", [30_000, 0, 30_000, 0]),
        ("CF", [80_000, 0, 80_000, 0]),
        ("CO", [930_000, 230_000, 700_000, 0]),
    ];
    let liabilities: &[(&str, [i64; 4])] = &[
        ("DA", [100_000, 0, 0, 0]),
        ("DD", [105_000, 0, 0, 0]),
        ("DI", [45_000, 0, 0, 0]),
        ("DL", [250_000, 0, 0, 0]),
        ("DU", [200_000, 0, 0, 0]),
        ("DV", [20_000, 0, 0, 0]),
        ("DX", [150_000, 0, 0, 0]),
        ("DY", [60_000, 0, 0, 0]),
        ("EA", [20_000, 0, 0, 0]),
        ("EE", [700_000, 0, 0, 0]),
    ];
    let n = |v: i64| [0, 0, v, 0];
    let income: Vec<(&str, [i64; 4])> = vec![
        ("FA", [300_000, 0, 300_000, 0]),
        ("FG", [600_000, 100_000, 700_000, 0]),
        ("FJ", [900_000, 100_000, 1_000_000, 0]),
        ("FM", n(10_000)),
        ("FO", n(5_000)),
        ("FP", n(3_000)),
        ("FQ", n(2_000)),
        ("FS", n(180_000)),
        ("FT", n(-5_000)),
        ("FU", n(100_000)),
        ("FV", n(2_000)),
        ("FW", n(230_000)),
        ("FX", n(20_000)),
        ("FY", n(250_000)),
        ("FZ", n(100_000)),
        ("GA", n(40_000)),
        ("GB", n(5_000)),
        ("GE", n(3_000)),
        ("GG", n(95_000)),
    ];
    let result: &[(&str, [i64; 4])] = &[("HN", [45_000, 0, 0, 0])];
    let complete = bilan(
        &identity("552032534", "C", "12", &[]),
        &[("01", assets), ("02", liabilities), ("03", &income), ("04", result)],
    );
    // A simplified one of six months, and filings to skip or reject.
    let simplified = bilan(
        &identity("732829320", "S", "6", &[]),
        &[
            (
                "01",
                &[
                    ("068", [100_000, 10_000, 90_000, 0]),
                    ("142", [0, 0, 50_000, 0]),
                    ("180", [0, 0, 300_000, 0]),
                ],
            ),
            ("02", &[("210", [400_000, 0, 0, 0]), ("310", [20_000, 0, 0, 0])]),
        ],
    );
    let confidential =
        bilan(&identity("482309382", "C", "12", &[("code_confidentialite", "1")]), &[]);
    let consolidated = bilan(&identity("443061841", "K", "12", &[]), &[]);
    let not_keyed = bilan(&identity("130025265", "C", "12", &[("code_motif", "01")]), &[]);
    let bad_siren = bilan(&identity("552032535", "C", "12", &[]), &[]);
    let early = bilan(&identity("542065479", "C", "12", &[("date_depot", "20241130")]), &[]);
    let dir = common::tempdir();
    write(
        dir.path(),
        "a.xml",
        format!("<?xml version=\"1.0\"?><bilans>{complete}{simplified}</bilans>").as_bytes(),
    );
    write(
        dir.path(),
        "b.xml",
        format!("<bilans>{confidential}{consolidated}{not_keyed}{bad_siren}{early}</bilans>")
            .as_bytes(),
    );
    write(dir.path(), "notes.txt", b"not read");
    let mut log = RejectLog::default();
    let (filings, summaries) = import::inpi::inpi(&[dir.path().to_owned()], &mut log).unwrap();
    let counts: Vec<(usize, usize, usize, usize)> = summaries
        .iter()
        .map(|s| (s.rows_read, s.rows_accepted, s.rows_rejected, s.rows_skipped()))
        .collect();
    assert_eq!(counts, [(2, 2, 0, 0), (5, 0, 2, 3)]);
    let b = &summaries[1];
    assert_eq!(reasons(b), [("impossible_date", 1), ("invalid_siren", 1)]);
    for why in ["confidential_accounts", "consolidated_accounts", "accounts_not_keyed_in"] {
        assert_eq!(b.skipped.get(why), Some(&1), "{why}");
    }
    assert_eq!(filings.siren, ["552032534", "732829320"]);
    assert_eq!(
        (filings.fiscal_year_end[0].as_str(), filings.filing_date[0].as_str()),
        ("2024-12-31", "2025-07-15")
    );
    let a = &filings.amounts[0];
    let at = |name: &str| a[amount(name)];
    assert_eq!(at("turnover"), 1_000_000.0, "FL is the total (m3) of the row FJ");
    // EBITDA plus the other operating items (reversals and other income, less
    // depreciation, provisions and other charges) is the operating income.
    let other_items = (3_000.0 + 2_000.0) - (40_000.0 + 5_000.0 + 3_000.0);
    assert_eq!(at("ebitda") + other_items, at("operating_income"));
    assert_eq!((at("ebitda"), at("operating_income")), (138_000.0, 95_000.0));
    // The balance sheet balances: the liabilities' total is the assets' net total (CO, m3).
    assert_eq!(at("total_assets"), 700_000.0);
    assert_eq!(at("equity"), 250_000.0);
    assert_eq!(at("net_income"), 45_000.0, "as DI, the liabilities' result");
    assert_eq!(at("cash"), 110_000.0);
    assert_eq!(at("trade_receivables"), 200_000.0, "gross less depreciation (m1 − m2)");
    assert_eq!(at("inventory"), 90_000.0);
    assert_eq!(at("financial_debt"), 220_000.0);
    assert_eq!(at("tax_social_liabilities"), 60_000.0);
    // The simplified one: six months of flows brought to twelve, stocks as they are.
    let s = &filings.amounts[1];
    assert_eq!(s[amount("turnover")], 800_000.0);
    assert_eq!(s[amount("net_income")], 40_000.0);
    assert_eq!(s[amount("trade_receivables")], 90_000.0);
    assert_eq!((s[amount("equity")], s[amount("total_assets")]), (50_000.0, 300_000.0));
}

#[test]
fn ratios_inpi_carry_four_amounts_and_an_assumed_filing_date() {
    use vigie_core::accounts::amount;
    let dir = common::tempdir();
    let path = write(
        dir.path(),
        "ratios.csv",
        b"siren;date_cloture_exercice;chiffre_d_affaires;marge_brute;ebe;ebit;resultat_net;taux_d_endettement;type_bilan;confidentiality\n\
          552032534;2024-12-31;1000000;400000;138000;95000;45000;12,5;C;Public\n\
          552032534;2024-12-31;1100000;;;;;;K;Public\n\
          732829320;2023-06-30;;;;;;;S;Confidentiel\n\
          482309382;2024-12-31;abc;;;;;;C;Public\n\
          552032534;2024-12-31;1000000;;138000;95000;45000;;S;Public\n",
    );
    let mut log = RejectLog::default();
    let (f, summaries) = import::inpi::ratios(&[path], Encoding::Auto, &mut log).unwrap();
    let s = &summaries[0];
    assert_eq!((s.rows_read, s.rows_accepted, s.rows_rejected, s.rows_skipped()), (5, 1, 1, 3));
    assert_eq!(reasons(s), [("not_a_number", 1)]);
    assert_eq!(s.ignored_columns, ["marge_brute", "taux_d_endettement"]);
    assert_eq!(f.siren, ["552032534"]);
    assert_eq!(f.filing_date, ["2025-09-01"], "at least eight months after the closing");
    let a = &f.amounts[0];
    assert_eq!(
        [
            a[amount("turnover")],
            a[amount("ebitda")],
            a[amount("operating_income")],
            a[amount("net_income")]
        ],
        [1_000_000.0, 138_000.0, 95_000.0, 45_000.0]
    );
    assert!(a[amount("total_assets")].is_nan() && a[amount("equity")].is_nan(), "not in the file");
}
