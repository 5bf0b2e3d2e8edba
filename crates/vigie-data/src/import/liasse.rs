//! The liasse fiscale as a DGFiP extract holds it — a long table of amounts by form box
//! (`siren, date_cloture_exercice, duree_exercice, date_depot, regime, code, value`) —
//! into `filings`, through the one mapping of boxes to amounts
//! (`vigie_core::accounts::liasse`). A return is the rows of one SIREN, closing date and
//! filing date: an amended return filed later is another version, which ingestion treats
//! as it does any duplicate filing (the earliest filed is kept, point-in-time).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use vigie_core::Date;
use vigie_core::accounts::AMOUNTS;
use vigie_core::accounts::liasse::{self, Regime};

use super::{InputSummary, Tally, cell, column, text};
use crate::ingest::MAX_AMOUNT;
use crate::rejects::{Reason, RejectLog};
use crate::source::{Format, SourceSpec};
use crate::{Error, Result};

/// The columns of the long table.
pub static LIASSE: SourceSpec = SourceSpec {
    name: "liasse",
    grain: "one row per return × box",
    optional: true,
    key: &["siren", "date_cloture_exercice", "date_depot", "code"],
    columns: &[
        text("siren", true),
        text("date_cloture_exercice", true),
        text("duree_exercice", true),
        text("date_depot", true),
        text("regime", true),
        text("code", true),
        text("value", true),
    ],
};

/// The `filings` rows built, one per return, in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filings {
    /// SIRENs, as in the inputs.
    pub siren: Vec<String>,
    /// Closing dates.
    pub fiscal_year_end: Vec<String>,
    /// Filing dates.
    pub filing_date: Vec<String>,
    /// Amounts in `AMOUNTS` order, flows annualised; NaN when no box gives them.
    pub amounts: Vec<[f64; 16]>,
}

impl Filings {
    /// Appends the rows of `other`.
    pub fn extend(&mut self, other: Self) {
        self.siren.extend(other.siren);
        self.fiscal_year_end.extend(other.fiscal_year_end);
        self.filing_date.extend(other.filing_date);
        self.amounts.extend(other.amounts);
    }

    /// The rows as a `filings` source frame (a missing amount is null).
    pub fn frame(&self) -> Result<DataFrame> {
        let mut cols = vec![
            Column::new("siren".into(), &self.siren),
            Column::new("fiscal_year_end".into(), &self.fiscal_year_end),
            Column::new("filing_date".into(), &self.filing_date),
        ];
        for (k, name) in AMOUNTS.iter().enumerate() {
            let v: Vec<Option<f64>> =
                self.amounts.iter().map(|a| Some(a[k]).filter(|x| !x.is_nan())).collect();
            cols.push(Column::new((*name).into(), v));
        }
        DataFrame::new(self.siren.len(), cols).map_err(|e| Error::Unreadable {
            path: PathBuf::from("filings"),
            message: e.to_string(),
        })
    }
}

/// One return being gathered.
struct Return {
    regime: Regime,
    months: u32,
    boxes: HashMap<String, f64>,
}

/// Reads long tables of the liasse into `filings` rows; one summary per input file.
pub fn filings(
    paths: &[PathBuf],
    encoding: super::Encoding,
    log: &mut RejectLog,
) -> Result<(Filings, Vec<InputSummary>)> {
    let used: std::collections::HashSet<&str> = liasse::boxes(Regime::Normal)
        .into_iter()
        .chain(liasse::boxes(Regime::Simplified))
        .collect();
    let mut order: Vec<(String, Date, Date)> = Vec::new();
    let mut returns: HashMap<(String, Date, Date), Return> = HashMap::new();
    let mut summaries = Vec::new();
    for path in paths {
        let mut input = super::Input::open(&LIASSE, path, encoding)?;
        let mut t = Tally::open(&input, log);
        while let Some(raw) = input.next_block()? {
            t.block(&raw);
            let col = |n| column(&raw, n);
            let (siren, closing, duration, filed, regime, code, value) = (
                col("siren"),
                col("date_cloture_exercice"),
                col("duree_exercice"),
                col("date_depot"),
                col("regime"),
                col("code"),
                col("value"),
            );
            for i in 0..raw.df.height() {
                let Some((row, s)) = t.exact_company(&raw, i, siren) else { continue };
                let date = |c, name: &'static str, t: &mut Tally<'_>| {
                    let d = cell(c, i);
                    let parsed = Date::parse(d);
                    if parsed.is_err() {
                        t.reject(row, name, d, Reason::InvalidDate, "not a YYYY-MM-DD date".into());
                    }
                    parsed.ok()
                };
                let Some(end) = date(closing, "date_cloture_exercice", &mut t) else { continue };
                let Some(depot) = date(filed, "date_depot", &mut t) else { continue };
                if depot < end {
                    let d = depot.to_string();
                    t.reject(
                        row,
                        "date_depot",
                        &d,
                        Reason::ImpossibleDate,
                        "filed before the end of the fiscal year".into(),
                    );
                    continue;
                }
                let m = cell(duration, i);
                let months = match m.parse::<u32>() {
                    Ok(n) if (1..=24).contains(&n) => n,
                    Ok(_) => {
                        t.reject(
                            row,
                            "duree_exercice",
                            m,
                            Reason::AbsurdAmount,
                            "a fiscal year lasts 1 to 24 months".into(),
                        );
                        continue;
                    }
                    Err(_) => {
                        t.reject(
                            row,
                            "duree_exercice",
                            m,
                            Reason::NotANumber,
                            "a whole number of months".into(),
                        );
                        continue;
                    }
                };
                let r = cell(regime, i);
                let regime = match r {
                    "normal" => Regime::Normal,
                    "simplified" => Regime::Simplified,
                    _ => {
                        t.reject(
                            row,
                            "regime",
                            r,
                            Reason::InvalidFlag,
                            "expected normal or simplified".into(),
                        );
                        continue;
                    }
                };
                let c = cell(code, i);
                if liasse::regime_of(c) != Some(regime) {
                    t.reject(
                        row,
                        "code",
                        c,
                        Reason::InvalidFlag,
                        format!("not a box of the {r} forms"),
                    );
                    continue;
                }
                let v = cell(value, i);
                let amount = match v.parse::<f64>() {
                    Ok(x) if !x.is_finite() => {
                        t.reject(row, "value", v, Reason::NotFinite, "NaN or infinite".into());
                        continue;
                    }
                    Ok(x) if x.abs() > MAX_AMOUNT => {
                        t.reject(row, "value", v, Reason::AbsurdAmount, "over 10^12 €".into());
                        continue;
                    }
                    Ok(x) => x,
                    Err(_) => {
                        t.reject(row, "value", v, Reason::NotANumber, "not a number".into());
                        continue;
                    }
                };
                if !used.contains(c) {
                    t.skip("box_not_mapped");
                    continue;
                }
                let key = (s.to_owned(), end, depot);
                let ret = returns.entry(key.clone()).or_insert_with(|| {
                    order.push(key);
                    Return { regime, months, boxes: HashMap::new() }
                });
                if ret.regime != regime || ret.months != months {
                    t.reject(
                        row,
                        "regime",
                        r,
                        Reason::InvalidFlag,
                        "regime or duration differs from the return's other rows".into(),
                    );
                    continue;
                }
                if ret.boxes.contains_key(c) {
                    t.reject(
                        row,
                        "code",
                        c,
                        Reason::DuplicateKey,
                        "this box of this return was read before; the first is kept".into(),
                    );
                    continue;
                }
                ret.boxes.insert(c.to_owned(), amount);
                t.summary.rows_accepted += 1;
            }
        }
        summaries.push(t.summary);
    }
    let mut out = Filings::default();
    for key in order {
        let ret = &returns[&key];
        let amounts = liasse::amounts(ret.regime, ret.months, &|c| ret.boxes.get(c).copied())
            .expect("durations were checked");
        out.siren.push(key.0);
        out.fiscal_year_end.push(key.1.to_string());
        out.filing_date.push(key.2.to_string());
        out.amounts.push(amounts);
    }
    Ok((out, summaries))
}

/// Writes `filings.<ext>` into `dir`; returns its path.
pub fn write(filings: &Filings, dir: &Path, format: Format) -> Result<PathBuf> {
    let path = dir.join(format!("filings.{}", format.extension()));
    let mut df = filings.frame()?;
    crate::table::write_frame(&mut df, &path, format)?;
    Ok(path)
}
