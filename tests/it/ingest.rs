//! Validation with nothing lost: every rejection reason on the broken sample, file-level
//! errors that stop the run, and no raw SIREN in any output.

use std::collections::BTreeSet;

use vigie_data::Error;
use vigie_data::ingest::IngestOptions;
use vigie_data::panel::PanelOptions;
use vigie_data::rejects::Reason;
use vigie_data::source::Format;
use vigie_data::table::{Col, Table};

use crate::common::{self, broken, build, copy_dir};

#[test]
fn every_rejection_reason_is_caught_and_counted() {
    let (panel, log) =
        build(&broken(), &PanelOptions::default()).expect("bad rows do not stop the run");
    let s = &panel.summary;
    // Data rows in each file of the sample (header excluded).
    let expected_rows = [
        ("companies", 17),
        ("filings", 15),
        ("tax_monthly", 54),
        ("social_monthly", 13),
        ("events", 6),
    ];
    for (source, rows) in expected_rows {
        let c = &s.sources[source];
        assert_eq!(c.rows_read, rows, "{source}: rows read");
        assert_eq!(c.rows_accepted + c.rows_rejected, c.rows_read, "{source}: nothing dropped");
        let in_log = log.rejects().iter().filter(|r| r.source == source).count();
        assert_eq!(in_log, c.rows_rejected, "{source}: every rejected row is in the log");
        let by_reason: usize = c.rejects_by_reason.values().sum();
        assert_eq!(by_reason, c.rows_rejected, "{source}: counts by reason add up");
    }
    assert_eq!(s.rows_rejected, log.len());
    assert_eq!(s.sources["companies"].rows_rejected, 12);
    assert_eq!(s.sources["filings"].rows_rejected, 11);
    assert_eq!(s.sources["tax_monthly"].rows_rejected, 4);
    assert_eq!(s.sources["social_monthly"].rows_rejected, 1);
    assert_eq!(s.sources["events"].rows_rejected, 3);

    let seen: BTreeSet<Reason> = log.rejects().iter().map(|r| r.reason).collect();
    for reason in Reason::ALL {
        assert!(
            seen.contains(&reason),
            "reason {} is exercised by the broken sample",
            reason.as_str()
        );
    }

    // A few rows checked one by one: source, row, column, reason.
    let find = |source: &str, row: u32| {
        log.rejects()
            .iter()
            .find(|r| r.source == source && r.row == row)
            .unwrap_or_else(|| panic!("{source} row {row} rejected"))
    };
    let r = find("companies", 7);
    assert_eq!((r.column, r.reason), ("siren", Reason::InvalidSiren));
    assert!(r.detail.contains("Luhn"));
    let r = find("companies", 8);
    assert_eq!(
        (r.column, r.value.as_str(), r.reason),
        ("departement", "20", Reason::UnknownDepartement)
    );
    let r = find("companies", 13);
    assert_eq!(r.reason, Reason::MalformedRow);
    assert!(r.detail.contains("3 fields"), "{}", r.detail);
    let r = find("filings", 5);
    assert_eq!((r.column, r.value.as_str(), r.reason), ("turnover", "NaN", Reason::NotFinite));
    let r = find("filings", 9);
    assert_eq!((r.column, r.reason), ("total_assets", Reason::AbsurdAmount));
    let r = find("tax_monthly", 50);
    assert_eq!(
        (r.column, r.value.as_str(), r.reason),
        ("late_declaration", "2", Reason::InvalidFlag)
    );
    let r = find("events", 4);
    assert_eq!(
        (r.column, r.value.as_str(), r.reason),
        ("kind", "bankruptcy", Reason::UnknownEventKind)
    );

    // The rejects file holds the same rows.
    let dir = common::tempdir();
    let path = dir.path().join("rejects.csv");
    log.write_csv(&path).expect("written");
    let text = std::fs::read_to_string(&path).expect("readable");
    assert_eq!(text.lines().next(), Some("source,row,column,value,reason,detail"));
    assert_eq!(text.lines().count(), log.len() + 1);
}

#[test]
fn good_rows_go_on_despite_bad_ones() {
    let (panel, _) = build(&broken(), &PanelOptions::default()).expect("run");
    // Companies A, B, C, D and M are valid; D closed in 2024 after a liquidation.
    assert_eq!(panel.summary.companies, 5);
    assert!(panel.summary.rows_written > 0);
}

#[test]
fn unreadable_records_are_rejected_one_by_one_and_the_rest_is_read() {
    use std::io::Write;
    let dir = copy_dir(&broken());
    let append = |file: &str, bytes: &[u8]| {
        let mut f =
            std::fs::OpenOptions::new().append(true).open(dir.path().join(file)).expect("open");
        f.write_all(bytes).expect("append");
    };
    // A Latin-1 `é`, a quote inside a field, text after a closing quote, then a good row.
    append(
        "companies.csv",
        b"100000058,56.10A,21,Soci\xe9t\xe9,2015-03-01,,11\n\
          100000066,56.10A,21,S\"AS,2015-03-01,,11\n\
          100000074,56.10A,21,\"S\"AS,2015-03-01,,11\n\
          200000107,56.10A,21,SAS,2015-03-01,,11\n",
    );
    // In a monthly source too (its month profile reads the file first).
    append("tax_monthly.csv", b"100000017,2023-02,1010\xe9,0,0,0\n");
    let (_, log) = build(dir.path(), &PanelOptions::default()).expect("the run goes on");
    let malformed: Vec<(&str, u32, &str)> = log
        .rejects()
        .iter()
        .filter(|r| r.detail.starts_with("unreadable record"))
        .map(|r| (r.source, r.row, r.detail.as_str()))
        .collect();
    assert_eq!(malformed.len(), 4, "{malformed:?}");
    assert_eq!(
        malformed.iter().map(|m| (m.0, m.1)).collect::<Vec<_>>(),
        [("companies", 18), ("companies", 19), ("companies", 20), ("tax_monthly", 55)]
    );
    assert!(malformed[0].2.contains("not UTF-8"), "{}", malformed[0].2);
    assert!(malformed[1].2.contains("holds a quote"), "{}", malformed[1].2);
    assert!(malformed[2].2.contains("after its closing quote"), "{}", malformed[2].2);
    for r in log.rejects().iter().filter(|r| r.detail.starts_with("unreadable record")) {
        assert_eq!(r.reason, Reason::MalformedRow);
    }
    // Counted, and the good row after them is read.
    let (panel, _) = build(dir.path(), &PanelOptions::default()).expect("run");
    let c = &panel.summary.sources["companies"];
    assert_eq!((c.rows_read, c.rows_rejected, c.rows_accepted), (21, 15, 6));
    let t = &panel.summary.sources["tax_monthly"];
    assert_eq!((t.rows_read, t.rows_rejected), (55, 5));
}

#[test]
fn a_month_far_from_the_rest_of_the_file_is_rejected_not_stretching_the_panel() {
    use std::io::Write;
    let (before, _) = build(&broken(), &PanelOptions::default()).expect("run");
    let dir = copy_dir(&broken());
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("tax_monthly.csv"))
        .expect("open");
    f.write_all(b"100000017,2052-01,101000,0,0,0\n").expect("append");
    drop(f);
    let (after, log) = build(dir.path(), &PanelOptions::default()).expect("run");
    let r = log
        .rejects()
        .iter()
        .find(|r| r.source == "tax_monthly" && r.row == 55)
        .expect("the stray row is rejected");
    assert_eq!(
        (r.reason, r.column, r.value.as_str()),
        (Reason::ImpossibleDate, "month", "2052-01")
    );
    assert!(r.detail.contains("more than 12 months away"), "{}", r.detail);
    // The panel and its observation end are those of the file without the typo.
    assert_eq!(after.summary.as_of, before.summary.as_of);
    assert_eq!(after.summary.rows_written, before.summary.rows_written);
    let t = &after.summary.sources["tax_monthly"];
    assert_eq!((t.rows_read, t.rows_rejected, t.rows_outside_window), (55, 5, 0));
}

fn replace_in(dir: &std::path::Path, file: &str, from: &str, to: &str) {
    let p = dir.join(file);
    let text = std::fs::read_to_string(&p).expect("readable");
    assert!(text.contains(from), "{file} contains {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).expect("writable");
}

#[test]
fn missing_required_column_stops_the_run_naming_file_and_column() {
    let dir = copy_dir(&broken());
    replace_in(
        dir.path(),
        "tax_monthly.csv",
        "siren,month,vat_turnover,tax_arrears,",
        "siren,month,vat_turnover,arrears,",
    );
    let err = build(dir.path(), &PanelOptions::default()).err().expect("must fail");
    match &err {
        Error::MissingColumn { path, column } => {
            assert!(path.ends_with("tax_monthly.csv"));
            assert_eq!(column, "tax_arrears");
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(err.to_string().contains("tax_monthly.csv") && err.to_string().contains("tax_arrears"));
}

#[test]
fn missing_source_stops_the_run_before_anything_is_read() {
    // Companies are the universe: without them nothing is read.
    let dir = copy_dir(&broken());
    std::fs::remove_file(dir.path().join("companies.csv")).expect("removed");
    let err = build(dir.path(), &PanelOptions::default()).err().expect("must fail");
    assert!(matches!(err, Error::SourceMissing { source_name: "companies", .. }), "{err}");
    // The others may be absent: the run goes on, their features missing, and the summary
    // says which were present.
    for absent in ["social_monthly", "events", "filings"] {
        let dir = copy_dir(&broken());
        std::fs::remove_file(dir.path().join(format!("{absent}.csv"))).expect("removed");
        let (panel, _) = build(dir.path(), &PanelOptions::default()).expect("optional source");
        assert_eq!(panel.summary.sources[absent].rows_read, 0);
        assert!(!panel.summary.sources_present.contains(&absent));
        assert_eq!(panel.summary.sources_present.len(), 4);
    }
}

#[test]
fn wrong_column_type_stops_the_run_csv() {
    let dir = copy_dir(&broken());
    let p = dir.path().join("social_monthly.csv");
    let text = std::fs::read_to_string(&p).expect("readable");
    // Every contributions_called value becomes text: a shifted or mislabelled column.
    let broken: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return l.to_owned();
            }
            let mut f: Vec<&str> = l.split(',').collect();
            f[2] = "SAS";
            f.join(",")
        })
        .collect();
    std::fs::write(&p, broken.join("\n")).expect("writable");
    let err = build(dir.path(), &PanelOptions::default()).err().expect("must fail");
    match err {
        Error::WrongType { path, column, .. } => {
            assert!(path.ends_with("social_monthly.csv"));
            assert_eq!(column, "contributions_called");
        }
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn wrong_column_type_stops_the_run_parquet() {
    let dir = copy_dir(&broken());
    std::fs::remove_file(dir.path().join("events.csv")).expect("removed");
    // events.parquet whose `date` column is an integer.
    Table::new(vec![
        ("siren", Col::Str(vec![Some("100000025".into())])),
        ("date", Col::I32(vec![Some(20_250_315)])),
        ("kind", Col::Str(vec![Some("receivership".into())])),
    ])
    .write(&dir.path().join("events.parquet"), Format::Parquet)
    .expect("written");
    let err = build(dir.path(), &PanelOptions::default()).err().expect("must fail");
    match err {
        Error::WrongType { path, column, expected, found } => {
            assert!(path.ends_with("events.parquet"));
            assert_eq!(column, "date");
            assert_eq!(expected, "string");
            assert_eq!(found, "i32");
        }
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn unreadable_file_stops_the_run_naming_the_file() {
    let dir = copy_dir(&broken());
    std::fs::remove_file(dir.path().join("companies.csv")).expect("removed");
    std::fs::write(dir.path().join("companies.parquet"), b"this is not parquet").expect("written");
    let err = build(dir.path(), &PanelOptions::default()).err().expect("must fail");
    assert!(
        matches!(&err, Error::Unreadable { path, .. } if path.ends_with("companies.parquet")),
        "{err}"
    );
}

/// Every SIREN-like token (9 digits) of the input files.
fn input_sirens(dir: &std::path::Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("text");
        for line in text.lines().skip(1) {
            let first = line.split(',').next().unwrap_or_default();
            if first.len() >= 8 {
                out.insert(first.to_owned());
            }
        }
    }
    out
}

#[test]
fn no_raw_siren_in_any_output() {
    for input in [broken(), common::small_csv().to_owned()] {
        let sirens = input_sirens(&input);
        assert!(sirens.len() >= 10, "the inputs have SIRENs to leak");
        let (panel, log) = build(&input, &PanelOptions::default()).expect("run");
        let out = common::tempdir();
        let rejects = out.path().join("rejects.csv");
        log.write_csv(&rejects).expect("rejects");
        let summary = serde_json::to_string(&panel.summary).expect("json");
        let texts = [
            std::fs::read_to_string(&rejects).expect("rejects"),
            summary,
            format!("{:?}", log.rejects()),
        ];
        for s in &sirens {
            for t in &texts {
                assert!(!t.contains(s.as_str()), "an output contains an input SIREN");
            }
        }
        // The panel: text columns must not contain a SIREN, numeric ones must not hold one
        // as a value (searching digits inside printed floats would find false positives).
        let numeric: BTreeSet<u64> = sirens.iter().filter_map(|s| s.parse().ok()).collect();
        let df = common::frame(panel);
        for column in df.columns() {
            let name = column.name().as_str();
            if column.dtype() == &polars::prelude::DataType::String {
                for v in common::texts(&df, name) {
                    assert!(
                        !sirens.iter().any(|s| v.contains(s.as_str())),
                        "panel column {name} leaks a SIREN"
                    );
                }
            } else {
                for v in common::floats(&df, name) {
                    assert!(
                        !(v.fract() == 0.0 && v >= 0.0 && numeric.contains(&(v as u64))),
                        "panel column {name} holds a SIREN value"
                    );
                }
            }
        }
    }
}

/// Appends copies of the first rows of a Parquet file (of `month`, if given) to it:
/// duplicates, in a later batch than the rows they repeat.
fn append_duplicates(path: &std::path::Path, rows: usize, month: Option<&str>) {
    use polars::prelude::*;
    let file = std::fs::File::open(path).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    let repeated = match month {
        Some(m) => df.clone().lazy().filter(col("month").eq(lit(m))).collect().unwrap(),
        None => df.clone(),
    };
    let mut both = df.vstack(&repeated.slice(0, rows)).unwrap();
    vigie_data::table::write_frame(&mut both, path, Format::Parquet).unwrap();
}

#[test]
fn reading_by_batches_or_blocks_changes_nothing() {
    // Batches of 50,003 rows cut the files anywhere (mid row group, mid month); duplicates
    // at the end of the files are found across batches. The panel, its counts and its
    // rejects (row numbers included) must be those of one batch per file, for the nightly
    // one-month panel (returns read twice) and the full panel (read once).
    let dir = copy_dir(common::large_parquet());
    append_duplicates(&dir.path().join("filings.parquet"), 7, None);
    // A month that the one-month panel of 2025-11 reads (tax lag 1).
    append_duplicates(&dir.path().join("tax_monthly.parquet"), 11, Some("2025-10"));
    let m = vigie_core::Month::parse("2025-11").unwrap();
    for (what, base) in [
        ("one month", PanelOptions { from: Some(m), to: Some(m), ..PanelOptions::default() }),
        ("full", PanelOptions::default()),
    ] {
        let whole = PanelOptions { batch_rows: usize::MAX, ..base.clone() };
        let batched = PanelOptions { batch_rows: 50_003, ..base };
        let (a, a_rejects) = build(dir.path(), &whole).expect("whole");
        let (b, b_rejects) = build(dir.path(), &batched).expect("batched");
        // Blocks of companies (filings and monthly values spilt to disk): three, the last
        // one shorter, over batches that cut across blocks.
        let blocks = PanelOptions {
            block_companies: a.summary.companies.div_ceil(3) + 1,
            ..batched.clone()
        };
        let (c, c_rejects) = build(dir.path(), &blocks).expect("blocks");
        assert_eq!(
            serde_json::to_value(&a.summary).unwrap(),
            serde_json::to_value(&b.summary).unwrap(),
            "{what}"
        );
        assert_eq!(
            serde_json::to_value(&a.summary).unwrap(),
            serde_json::to_value(&c.summary).unwrap(),
            "{what}: blocks"
        );
        assert_eq!(a.openings, c.openings, "{what}: blocks");
        let dup = a.summary.sources["tax_monthly"].rejects_by_reason.get("duplicate_key");
        assert_eq!(dup, Some(&11), "{what}: the appended rows are duplicates");
        let csv = |log: &vigie_data::rejects::RejectLog| {
            let out = common::tempdir();
            log.write_csv(&out.path().join("r.csv")).unwrap();
            std::fs::read_to_string(out.path().join("r.csv")).unwrap()
        };
        assert_eq!(csv(&a_rejects), csv(&b_rejects), "{what}");
        assert_eq!(csv(&a_rejects), csv(&c_rejects), "{what}: blocks");
        assert!(a_rejects.len() >= 18, "{what}: {} rejects", a_rejects.len());
        let (a, b, c) = (common::frame(a), common::frame(b), common::frame(c));
        assert!(a.height() > 10_000, "{what}: {} rows", a.height());
        assert!(a.equals_missing(&b), "{what}: the panels differ");
        assert!(a.equals_missing(&c), "{what}: the panels in blocks differ");
    }
}

#[test]
fn a_spilt_ingest_is_read_by_blocks_never_whole() {
    // The small CSV set in blocks of 40 companies: the dataset is not offered whole (its
    // filings and months wait in the blocks), each block holds its own; in one block it is
    // offered whole, and there is no block apart.
    let pseudo = vigie_core::Pseudonymiser::demo();
    let read = |block_companies| {
        let mut rejects = vigie_data::rejects::RejectLog::default();
        let opts = IngestOptions { block_companies, ..IngestOptions::whole() };
        vigie_data::ingest::ingest(common::small_csv(), &pseudo, &opts, &mut rejects).unwrap()
    };
    let (spilt, whole) = (read(40), read(usize::MAX));
    let all = whole.whole().expect("nothing spilt: the dataset whole");
    let n = all.companies.len();
    assert!(n > 120, "{n} companies");
    assert!(!all.filings.is_empty());
    assert!(whole.block(&whole.blocks()[0]).unwrap().is_none());
    assert!(spilt.whole().is_none(), "a spilt dataset is never offered whole");
    assert_eq!(spilt.companies().len(), n);
    let blocks = spilt.blocks();
    assert_eq!(blocks.len(), n.div_ceil(40));
    let mut filings = 0;
    for b in &blocks {
        let part = spilt.block(b).unwrap().expect("a spilt ingest gives its blocks");
        assert_eq!(part.companies.len(), b.len());
        filings += part.filings.len();
    }
    assert_eq!(filings, all.filings.len(), "every filing in one block or another");
}

#[test]
fn blocks_of_any_size_give_the_same_panel_from_csv_and_from_partial_sources() {
    // The small CSV set (150 companies), whole and without its social, filings and events
    // sources: blocks of 40 (the last one shorter), of all but one company (a last block
    // of one), of exactly all and of more than all give the panel of one block.
    let full = copy_dir(common::small_csv());
    let partial = copy_dir(common::small_csv());
    for s in ["social_monthly", "filings", "events"] {
        std::fs::remove_file(partial.path().join(format!("{s}.csv"))).unwrap();
    }
    for (what, dir) in [("full", full.path()), ("partial", partial.path())] {
        let (one, one_rejects) = build(dir, &PanelOptions::default()).expect("one block");
        let n = one.summary.companies;
        assert_eq!(n, 150, "{what}");
        let one_summary = serde_json::to_value(&one.summary).unwrap();
        let one_openings = one.openings.clone();
        let one = common::frame(one);
        assert!(one.height() > 1000, "{what}: {} rows", one.height());
        for block in [40, n - 1, n, n + 1] {
            let opts = PanelOptions { block_companies: block, ..PanelOptions::default() };
            let (b, b_rejects) = build(dir, &opts).expect("blocks");
            assert_eq!(serde_json::to_value(&b.summary).unwrap(), one_summary, "{what} {block}");
            assert_eq!(b.openings, one_openings, "{what} {block}");
            assert_eq!(b_rejects.len(), one_rejects.len(), "{what} {block}");
            assert!(common::frame(b).equals_missing(&one), "{what} {block}: the panels differ");
        }
    }
    // Blocks so small that there would be too many files: a clear error.
    let opts = PanelOptions { block_companies: 1, ..PanelOptions::default() };
    let err = build(common::large_parquet(), &opts).err().expect("too many blocks");
    assert!(err.to_string().contains("blocks of at least"), "{err}");
}

/// A valid SIREN starting with `prefix` (8 digits): the check digit that passes Luhn.
fn siren_from(prefix: &str) -> String {
    (0..10)
        .map(|d| format!("{prefix}{d}"))
        .find(|s| vigie_core::Siren::parse(s).is_ok())
        .expect("one check digit passes")
}

#[test]
fn sirene_stock_files_become_companies_with_every_row_accounted_for() {
    use vigie_data::import::sirene::{SireneInputs, companies};
    let dir = common::tempdir();
    let [a, b, c, d, e, f, g] =
        ["12345678", "23456789", "34567890", "45678901", "56789012", "67890123", "78901234"]
            .map(siren_from);
    // Columns in another order than INSEE's, and one more: read by name.
    let ul = format!(
        "etatAdministratifUniteLegale,siren,dateCreationUniteLegale,trancheEffectifsUniteLegale,\
         dateDebut,categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,\
         nomenclatureActivitePrincipaleUniteLegale,denominationUniteLegale\n\
         A,{a},2011-04-18,12,2011-04-18,5710,56.10A,NAFRev2,alpha\n\
         C,{b},2005-02-01,NN,2023-09-30,5499,47.11D,NAFRev2,beta\n\
         A,{c},2019-06-01,,2019-06-01,1000,43.21A,NAFRev2,\n\
         A,{d},1990-01-01,03,1990-01-01,5710,52.1A,NAFRev1,delta\n\
         A,{e},2020-13-01,01,2020-01-01,5710,62.01Z,NAFRev2,epsilon\n\
         A,{a},2011-04-18,12,2011-04-18,5710,56.10A,NAFRev2,alpha again\n\
         A,{f},2015-03-03,99,2015-03-03,5710,62.01Z,NAFRev2,phi\n\
         A,{g},2016-03-03,02,2016-03-03,5710,62.01Z,NAFRev2,gamma\n\
         A,123456789,2016-03-03,02,2016-03-03,5710,62.01Z,NAFRev2,bad\n\
         A,{f},2015-03-03,11,2015-03-03,5710,62.01Z,NAFRev2,phi corrected\n\
         A,{g},2016-03-03,02,2016-03-03,5710,62.01Z,NAFRev2,gamma,one field too many\n"
    );
    let etab = format!(
        "siren,nic,etablissementSiege,codeCommuneEtablissement\n\
         {a},00011,true,21231\n\
         {a},00029,false,75056\n\
         {b},00012,true,2A004\n\
         {c},00013,true,97411\n\
         {d},00014,true,69123\n\
         {e},00015,true,13055\n\
         {f},00016,true,99999\n\
         {f},00017,true,33063\n"
    );
    std::fs::write(dir.path().join("ul.csv"), ul).unwrap();
    std::fs::write(dir.path().join("etab.csv"), etab).unwrap();
    let inputs = |only| SireneInputs {
        legal_units: vec![dir.path().join("ul.csv")],
        establishments: vec![dir.path().join("etab.csv")],
        legal_entities_only: only,
        encoding: vigie_data::import::Encoding::Auto,
    };
    let mut log = vigie_data::rejects::RejectLog::default();
    let (out, summaries) = companies(&inputs(true), &mut log).unwrap();
    // f's first row has a bad band, its corrected row comes later: the later one is taken
    // (a rejected row keeps nothing); its head office with a bad commune is replaced by a
    // valid one.
    assert_eq!(out.siren, [a.clone(), b.clone(), f.clone()]);
    assert_eq!(out.departement, ["21", "2A", "33"]);
    assert_eq!(out.naf, ["56.10A", "47.11D", "62.01Z"]);
    assert_eq!(out.closure_date, [None, Some("2023-09-30".to_owned()), None]);
    assert_eq!(out.headcount_band, [Some("12".to_owned()), None, Some("11".to_owned())]);
    let (etab_s, ul_s) = (&summaries[0], &summaries[1]);
    assert_eq!(ul_s.skipped.get("individual_entrepreneur"), Some(&1));
    let by = |s: &vigie_data::import::InputSummary, r: &str| s.rejects_by_reason.get(r).copied();
    assert_eq!(by(ul_s, "invalid_naf"), Some(1), "NAFRev1");
    assert_eq!(by(ul_s, "invalid_date"), Some(1));
    assert_eq!(by(ul_s, "duplicate_key"), Some(1));
    assert_eq!(by(ul_s, "invalid_headcount_band"), Some(1));
    assert_eq!(by(ul_s, "unknown_departement"), Some(1), "no head office for g");
    assert_eq!(by(ul_s, "invalid_siren"), Some(1));
    assert_eq!(by(ul_s, "malformed_row"), Some(1), "a row with one field too many");
    assert_eq!(by(etab_s, "unknown_departement"), Some(1), "commune 99999");
    for s in [etab_s, ul_s] {
        assert_eq!(s.rows_read, s.rows_accepted + s.rows_rejected + s.rows_skipped(), "{s:?}");
    }
    assert_eq!(etab_s.skipped.get("not_the_head_office"), Some(&1));
    assert_eq!(etab_s.rows_accepted, 3);
    // c (an individual entrepreneur, skipped) and d, e (rejected) had head offices.
    assert_eq!(etab_s.skipped.get("legal_unit_rejected_or_skipped"), Some(&3));
    // Without --legal-entities-only the individual entrepreneur is a company (overseas).
    let mut log2 = vigie_data::rejects::RejectLog::default();
    let (all, _) = companies(&inputs(false), &mut log2).unwrap();
    assert_eq!(all.departement, ["21", "2A", "974", "33"]);
    // No raw SIREN in the rejects, nor in the summaries.
    let rejects = dir.path().join("r.csv");
    log.write_csv(&rejects).unwrap();
    let text =
        std::fs::read_to_string(&rejects).unwrap() + &serde_json::to_string(&summaries).unwrap();
    for s in [&a, &b, &c, &d, &e, &f, &g, &"123456789".to_owned()] {
        assert!(!text.contains(s.as_str()), "a raw SIREN leaked");
    }
    // What is written is a `companies` source the pipeline reads.
    let path = vigie_data::import::sirene::write(&out, dir.path(), Format::Parquet).unwrap();
    let raw =
        vigie_data::source::read(&vigie_data::source::COMPANIES, &path, Format::Parquet, None)
            .unwrap();
    assert_eq!(raw.df.height(), 3);
    // One kind of SIRENE file without the other: refused before reading.
    let no_etab = SireneInputs { establishments: vec![], ..inputs(true) };
    assert!(companies(&no_etab, &mut log).is_err());
    let no_ul = SireneInputs { legal_units: vec![], ..inputs(true) };
    assert!(companies(&no_ul, &mut log).is_err());
}

#[test]
fn the_public_sirene_test_files_are_read_with_every_row_accounted_for() {
    // The parser test data of signaux-faibles (synthetic values in the real layouts; their
    // SIRENs fail the check digit, so they are rejected, each with its reason).
    let dir = common::root().join("../shared/formats/fixtures/signaux-faibles");
    let inputs = vigie_data::import::sirene::SireneInputs {
        legal_units: vec![dir.join("sirene_ul-sireneULTestData.csv")],
        establishments: vec![dir.join("sirene-sireneTestData.csv")],
        legal_entities_only: false,
        encoding: vigie_data::import::Encoding::Auto,
    };
    let mut log = vigie_data::rejects::RejectLog::default();
    let (_, summaries) = vigie_data::import::sirene::companies(&inputs, &mut log).unwrap();
    for s in &summaries {
        assert!(s.rows_read > 0);
        assert_eq!(s.rows_read, s.rows_accepted + s.rows_rejected + s.rows_skipped(), "{s:?}");
    }
    assert_eq!(log.len(), summaries.iter().map(|s| s.rows_rejected).sum::<usize>());
}

#[test]
fn a_long_table_of_the_liasse_becomes_filings_that_ingestion_reads() {
    let dir = common::tempdir();
    let (a, b) = (siren_from("12345678"), siren_from("23456789"));
    let table = format!(
        "siren,date_cloture_exercice,duree_exercice,date_depot,regime,code,value\n\
         {a},2023-12-31,12,2024-04-30,normal,FL,2000000\n\
         {a},2023-12-31,12,2024-04-30,normal,FS,1200000\n\
         {a},2023-12-31,12,2024-04-30,normal,DL,500000\n\
         {a},2023-12-31,12,2024-04-30,normal,EE,1500000\n\
         {a},2023-12-31,12,2024-04-30,normal,ZZ,3\n\
         {a},2023-12-31,12,2024-04-30,normal,FL,1\n\
         {a},2023-12-31,12,2024-04-30,normal,210,5\n\
         {b},2024-06-30,18,2024-10-15,simplified,210,1200000\n\
         {b},2024-06-30,18,2024-10-15,simplified,142,150000\n\
         {b},2024-06-30,18,2024-10-15,simplified,180,abc\n\
         {b},2024-06-30,18,2024-05-15,simplified,180,1\n\
         {b},2024-06-30,30,2024-10-15,simplified,180,1\n\
         {b},2024-06-30,18,2024-10-15,simplifie,180,1\n\
         123456789,2024-06-30,18,2024-10-15,simplified,180,1\n\
         {a},2023-12-31,12,2024-04-30,normal,FN,1,234,567\n"
    );
    let path = dir.path().join("liasse.csv");
    std::fs::write(&path, table).unwrap();
    let mut log = vigie_data::rejects::RejectLog::default();
    let (filings, summaries) =
        vigie_data::import::liasse::filings(&[path], vigie_data::import::Encoding::Auto, &mut log)
            .unwrap();
    assert_eq!(filings.siren, [a.clone(), b.clone()]);
    let at = |k: usize, n: &str| filings.amounts[k][vigie_core::accounts::amount(n)];
    assert_eq!(at(0, "turnover"), 2_000_000.0, "the first FL is kept");
    assert_eq!(at(0, "value_added"), 800_000.0);
    assert_eq!(at(0, "equity"), 500_000.0);
    assert!((at(1, "turnover") - 800_000.0).abs() < 1e-9, "18 months annualised");
    assert_eq!(at(1, "equity"), 150_000.0, "a stock is not");
    assert!(at(1, "total_assets").is_nan(), "box 180 was not a number");
    let s = &summaries[0];
    let by_reason =
        |s: &vigie_data::import::InputSummary, r: &str| s.rejects_by_reason.get(r).copied();
    assert_eq!(s.rows_read, 15);
    assert_eq!(s.rows_accepted, 6);
    assert_eq!(by_reason(s, "malformed_row"), Some(1), "9 fields: its values are not read");
    assert!(at(0, "value_added") == 800_000.0, "FN of the ragged row not added");
    assert_eq!(s.skipped.get("box_not_mapped"), Some(&1), "ZZ is a box no amount needs");
    let by = |r: &str| s.rejects_by_reason.get(r).copied();
    assert_eq!(by("duplicate_key"), Some(1));
    assert_eq!(by("invalid_flag"), Some(2), "a 2033 box on a normal return; a bad regime");
    assert_eq!(by("not_a_number"), Some(1));
    assert_eq!(by("impossible_date"), Some(1));
    assert_eq!(by("absurd_amount"), Some(1), "a 30-month fiscal year");
    assert_eq!(by("invalid_siren"), Some(1));
    assert_eq!(s.rows_read, s.rows_accepted + s.rows_rejected + s.rows_skipped());
    // The file written is a `filings` source ingestion reads (types and columns).
    let written = vigie_data::import::liasse::write(&filings, dir.path(), Format::Parquet).unwrap();
    let raw =
        vigie_data::source::read(&vigie_data::source::FILINGS, &written, Format::Parquet, None)
            .unwrap();
    assert_eq!(raw.df.height(), 2);
}
