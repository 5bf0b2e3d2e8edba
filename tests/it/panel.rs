//! Panel values checked by hand on the broken sample (whose good rows are simple enough
//! to compute every figure on paper), exclusions and labels.

use approx::assert_relative_eq;
use vigie_core::{Month, Siren};
use vigie_data::panel::PanelOptions;

use crate::common::{self, broken, build};

struct Row {
    values: std::collections::HashMap<String, f64>,
}

impl Row {
    fn get(&self, name: &str) -> f64 {
        *self.values.get(name).unwrap_or_else(|| panic!("column {name}"))
    }
}

/// The panel row of a company (by SIREN) at a month, if present.
fn row(siren: &str, month: &str) -> Option<Row> {
    let (panel, _) = build(&broken(), &PanelOptions::default()).expect("run");
    let id = common::pseudo().company_id(Siren::parse(siren).expect("valid")).to_string();
    let df = common::frame(panel);
    let ids = common::texts(&df, "company_id");
    let months = common::texts(&df, "month");
    let i = (0..ids.len()).find(|&i| ids[i] == id && months[i] == month)?;
    let mut values = std::collections::HashMap::new();
    for c in df.columns() {
        if c.dtype().is_primitive_numeric() {
            values.insert(c.name().to_string(), common::floats(&df, c.name())[i]);
        }
    }
    Some(Row { values })
}

const A: &str = "100000017";
const B: &str = "100000025";
const D: &str = "100000041";

#[test]
fn tax_features_by_hand() {
    let r = row(A, "2024-06").expect("A is active in 2024-06");
    // L = 2024-05 (one month of publication lag). Arrears 5 × 2,000; VAT turnover of
    // 2023-06..2024-05 sums to 1,278,000 (12 declared months, so no annualisation needed).
    assert_relative_eq!(r.get("tax_arrears_ratio"), 10_000.0 / 1_278_000.0, max_relative = 1e-12);
    assert_relative_eq!(
        r.get("tax_arrears_ratio_lag3"),
        4_000.0 / 1_278_000.0,
        max_relative = 1e-12
    );
    assert_relative_eq!(
        r.get("tax_arrears_trend_6m"),
        10_000.0 / 1_278_000.0,
        max_relative = 1e-12
    );
    assert_eq!(r.get("tax_arrears_months_12m"), 5.0);
    assert_eq!(r.get("tax_late_declarations_12m"), 0.0);
    assert_eq!(r.get("tax_payment_plan"), 0.0);
    // Same months of the year, same declared turnover: no growth.
    assert_relative_eq!(r.get("act_vat_growth_yoy"), 0.0, epsilon = 1e-12);
    // Mean of 2023-12..2024-05 over mean of 2023-06..2023-11.
    let recent = (112.0 + 101.0 + 102.0 + 103.0 + 104.0 + 105.0) / 6.0;
    let before = (106.0 + 107.0 + 108.0 + 109.0 + 110.0 + 111.0) / 6.0;
    assert_relative_eq!(r.get("act_vat_trend_6m"), recent / before - 1.0, max_relative = 1e-12);
}

#[test]
fn social_features_by_hand() {
    let r = row(A, "2024-06").expect("row");
    // Two months of lag: Ls = 2024-04, overdue 4 × 500 against 30,000 called a month.
    assert_relative_eq!(r.get("soc_debt_ratio"), 2_000.0 / 30_000.0, max_relative = 1e-6);
    assert_eq!(r.get("soc_debt_months_12m"), 4.0);
    assert!(r.get("soc_debt_ratio_lag6").is_nan(), "no social data before 2024-01");
}

#[test]
fn filings_count_from_their_filing_date() {
    // 2024-04: only the 2022 return (filed 2023-05-02) is available.
    let r = row(A, "2024-04").expect("row");
    assert_eq!(r.get("fin_filing_age"), 16.0);
    assert!(r.get("fin_turnover_growth").is_nan(), "no earlier return to compare with");
    assert_relative_eq!(r.get("prof_log_turnover"), 1_250_000f64.ln_1p(), max_relative = 1e-12);
    // 2024-05: the 2023 return (filed 2024-05-03) has arrived; its duplicate filed on
    // 2024-05-10 was rejected.
    let r = row(A, "2024-05").expect("row");
    assert_eq!(r.get("fin_filing_age"), 5.0);
    assert_eq!(r.get("fin_filing_delay"), 5.0);
    assert_relative_eq!(
        r.get("fin_turnover_growth"),
        1_100_000.0 / 1_250_000.0 - 1.0,
        max_relative = 1e-12
    );
    assert_relative_eq!(r.get("fin_ebitda_margin"), 95_000.0 / 1_100_000.0, max_relative = 1e-12);
    assert_relative_eq!(
        r.get("fin_quick_ratio"),
        (85_000.0 + 175_000.0) / (140_000.0 + 70_000.0),
        max_relative = 1e-12
    );
    assert_relative_eq!(r.get("prof_log_headcount"), 15f64.ln(), max_relative = 1e-12);
    assert_relative_eq!(r.get("prof_age_years"), 110.0 / 12.0, max_relative = 1e-12);
}

#[test]
fn labels_look_forward_and_stop_at_the_observation_end() {
    // B: receivership on 2025-03-15; the data end (as of) in 2025-03.
    let r = row(B, "2024-09").expect("row");
    assert_eq!(r.get("label_6m"), 1.0);
    assert!(r.get("label_12m").is_nan(), "2025-09 is after the observation end");
    let r = row(B, "2024-08").expect("row");
    assert_eq!(r.get("label_6m"), 0.0, "the judgment is 7 months after 2024-08");
    let r = row(B, "2023-09").expect("row");
    assert_eq!(r.get("label_18m"), 1.0);
    assert_eq!(r.get("label_12m"), 0.0);
    let r = row(A, "2023-09").expect("row");
    assert_eq!(r.get("label_18m"), 0.0);
}

#[test]
fn companies_in_procedure_or_closed_are_excluded_and_counted() {
    assert!(row(B, "2025-02").is_some());
    assert!(row(B, "2025-03").is_none(), "in receivership from 2025-03");
    assert!(row(D, "2023-12").is_some());
    assert!(row(D, "2024-01").is_none(), "in liquidation from 2024-01");
    assert!(row(D, "2024-06").is_none(), "closed on 2024-05-31");
    let (panel, _) = build(&broken(), &PanelOptions::default()).expect("run");
    let s = panel.summary;
    assert_eq!(
        (s.from.as_str(), s.to.as_str(), s.as_of.as_str()),
        ("2023-02", "2025-03", "2025-03")
    );
    assert_eq!(s.excluded.in_procedure, 4 + 1, "D over 2024-01..04, B in 2025-03");
    assert_eq!(s.excluded.closed, 11, "D over 2024-05..2025-03");
    assert_eq!(s.companies_excluded, 2);
    // C (created 2018) and M (2019) exist throughout: 5 companies × 26 months minus exclusions.
    assert_eq!(s.rows_written, 5 * 26 - 16);
}

#[test]
fn month_range_and_step_are_respected() {
    let opts = PanelOptions {
        from: Some(Month::parse("2024-01").unwrap()),
        to: Some(Month::parse("2024-12").unwrap()),
        step: 3,
        ..PanelOptions::default()
    };
    let (panel, _) = build(&broken(), &opts).expect("run");
    let df = common::frame(panel);
    let mut months = common::texts(&df, "month");
    months.sort();
    months.dedup();
    assert_eq!(months, ["2024-01", "2024-04", "2024-07", "2024-10"]);
    let bad = PanelOptions {
        from: Some(Month::parse("2024-05").unwrap()),
        to: Some(Month::parse("2024-01").unwrap()),
        ..PanelOptions::default()
    };
    assert!(build(&broken(), &bad).is_err());
    // A lag of years is a typo, refused by name (it used to overflow the month arithmetic).
    let lag = PanelOptions { tax_lag: u32::MAX, ..PanelOptions::default() };
    let e = build(&broken(), &lag).err().expect("refused").to_string();
    assert!(e.contains("publication lags must be at most 36 months"), "{e}");
}

/// Features of one month by company id, bit-exact.
fn month_features(
    df: &polars::prelude::DataFrame,
    month: &str,
) -> std::collections::BTreeMap<String, Vec<u64>> {
    let ids = common::texts(df, "company_id");
    let months = common::texts(df, "month");
    let cols: Vec<Vec<f64>> =
        vigie_core::features::CATALOGUE.iter().map(|s| common::floats(df, s.name)).collect();
    (0..ids.len())
        .filter(|&i| months[i] == month)
        .map(|i| (ids[i].clone(), cols.iter().map(|c| c[i].to_bits()).collect()))
        .collect()
}

#[test]
fn the_one_month_panel_equals_that_month_of_the_full_panel() {
    // The nightly path reads only the months it needs (Parquet filter pushed down) and
    // keeps only the returns that can matter: it must give exactly the same features.
    for format in [vigie_synth::Format::Parquet, vigie_synth::Format::Csv] {
        let dir = common::tempdir();
        let opts = vigie_synth::GenerateOptions { companies: 300, years: 4, seed: 9, format };
        vigie_synth::generate(&opts, dir.path()).expect("generation");
        let (full, _) = build(dir.path(), &PanelOptions::default()).expect("full panel");
        let full = common::frame(full);
        for month in ["2023-03", "2025-11"] {
            let m = Month::parse(month).unwrap();
            let one = PanelOptions { from: Some(m), to: Some(m), ..PanelOptions::default() };
            let (panel, _) = build(dir.path(), &one).expect("one-month panel");
            let s = &panel.summary;
            for c in s.sources.values() {
                assert_eq!(c.rows_read, c.rows_accepted + c.rows_rejected + c.rows_outside_window);
            }
            let expected = month_features(&full, month);
            assert!(expected.len() > 150, "{month}: companies present");
            assert_eq!(
                month_features(&common::frame(panel), month),
                expected,
                "{format:?} {month}"
            );
        }
    }
}
