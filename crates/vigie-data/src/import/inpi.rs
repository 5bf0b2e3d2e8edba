//! The public accounts of the commercial courts, into `filings`:
//!
//! - **INPI "bilans saisis"** (RNCS XML): one `<bilan>` per filing, its `<identite>` (SIREN,
//!   closing date and filing date as `YYYYMMDD`, the fiscal year's months, the type of
//!   accounts, confidentiality, whether they were keyed in) and its `<detail>`: pages of
//!   `<liasse code="…" m1="…" m2="…" m3="…" m4="…"/>` rows, amounts as zero-padded signed
//!   text in euros. A row is keyed by its first box code and `m1`…`m4` are its columns,
//!   whose meaning depends on the page ([`box_values`]). The boxes go through the one
//!   mapping of `vigie_core::accounts::liasse`, as the tax extracts' do; flows are
//!   annualised. Confidential, not keyed in, consolidated, bank and insurance accounts are
//!   skipped with their reason.
//! - **ratios_inpi_bce** (the DGE's open data, CSV with `;`): the amounts it carries —
//!   turnover, EBITDA (`ebe`), operating income (`ebit`), net income — the other amounts
//!   missing. It has no filing date: a filing is taken as filed at least eight months
//!   after its closing date (approval within six months, filing within two more: the
//!   first day of the ninth month), so as not to be used before it can have been known.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use quick_xml::events::Event;
use vigie_core::Date;
use vigie_core::accounts::amount;
use vigie_core::accounts::liasse::{self, Regime};

use super::liasse::Filings;
use super::{Encoding, InputSummary, Tally, cell, column, formats, text};
use crate::ingest::MAX_AMOUNT;
use crate::rejects::{Reason, RejectLog};
use crate::source::SourceSpec;
use crate::{Error, Result};

/// The source name of INPI documents in rejects.
const INPI: &str = "inpi";

/// Months between a closing date and the filing date assumed for `ratios_inpi_bce`.
pub const RATIOS_FILING_MONTHS: i32 = 8;

/// One `<liasse>` row: its page and columns.
#[derive(Debug, Clone, Default)]
struct Row {
    page: String,
    m: [Option<f64>; 4],
}

/// One `<bilan>` as read.
#[derive(Debug, Clone, Default)]
struct Bilan {
    identity: HashMap<String, String>,
    rows: HashMap<String, Row>,
    /// A problem met while reading it (an amount that is not a number).
    problem: Option<(String, String)>,
}

/// The second box of an asset row (its depreciation, column `m2`), by the row's code.
const DEPRECIATION: [(&str, &str); 13] = [
    ("BX", "BY"),
    ("BL", "BM"),
    ("BN", "BO"),
    ("BP", "BQ"),
    ("BR", "BS"),
    ("BT", "BU"),
    ("CD", "CE"),
    ("CF", "CG"),
    ("050", "052"),
    ("060", "062"),
    ("068", "070"),
    ("080", "082"),
    ("084", "086"),
];

/// The value of each box of a document: the column of the fiscal year on each page. Normal
/// regime (type C): page 01, assets — gross in `m1`, depreciation in `m2` (the row's
/// second box); pages 02 (liabilities) and 04 (2053) in `m1`; page 03 (2052) in `m3`, the
/// net turnover `FL` being the total of the row `FJ`; other pages in `m1`. Simplified
/// regime (type S): page 01, assets (codes below 100) — gross `m1`, depreciation `m2`;
/// liabilities — the net column `m3`; other pages in `m1`.
fn box_values(rows: &HashMap<String, Row>, regime: Regime) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for (code, row) in rows {
        let simplified_assets = regime == Regime::Simplified
            && row.page == "01"
            && code.parse::<u32>().is_ok_and(|n| n < 100);
        // Assets' gross and every other page's fiscal year are the first column.
        let column = match (regime, row.page.as_str()) {
            (Regime::Normal, "03") => 2,
            (Regime::Simplified, "01") if !simplified_assets => 2,
            _ => 0,
        };
        if let Some(v) = row.m[column] {
            out.insert(code.clone(), v);
        }
        if regime == Regime::Normal
            && row.page == "03"
            && code == "FJ"
            && let Some(v) = row.m[2]
        {
            out.insert("FL".to_owned(), v);
        }
        if ((regime == Regime::Normal && row.page == "01") || simplified_assets)
            && let Some((_, second)) = DEPRECIATION.iter().find(|(first, _)| first == code)
            && let Some(v) = row.m[1]
        {
            out.insert((*second).to_owned(), v);
        }
    }
    out
}

/// An amount as the documents write it: zero-padded signed text in euros.
fn xml_amount(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    t.parse::<i64>().ok().map(|x| x as f64).or_else(|| formats::amount(t))
}

/// Reads the `<bilan>` documents of one XML file.
fn read_xml(path: &Path) -> Result<Vec<Bilan>> {
    let unreadable = |m: String| Error::Unreadable { path: path.to_owned(), message: m };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let mut reader = quick_xml::Reader::from_str(&text);
    reader.config_mut().trim_text(true);
    let mut out = Vec::new();
    let mut current: Option<Bilan> = None;
    let mut page = String::new();
    let mut in_identity = false;
    let mut field: Option<String> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            unreadable(format!("XML error at byte {}: {e}", reader.buffer_position()))
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let attr = |key: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == key.as_bytes())
                        .and_then(|a| a.unescape_value().ok().map(std::borrow::Cow::into_owned))
                };
                match name.as_str() {
                    "bilan" => current = Some(Bilan::default()),
                    "identite" => in_identity = true,
                    "page" => page = attr("numero").unwrap_or_default(),
                    "liasse" => {
                        if let (Some(b), Some(code)) = (current.as_mut(), attr("code")) {
                            let mut row = Row { page: page.clone(), m: [None; 4] };
                            for (k, slot) in row.m.iter_mut().enumerate() {
                                let Some(v) = attr(&format!("m{}", k + 1)) else { continue };
                                *slot = xml_amount(&v);
                                if slot.is_none() && !v.trim().is_empty() && b.problem.is_none() {
                                    b.problem = Some((code.clone(), v));
                                }
                            }
                            b.rows.insert(code, row);
                        }
                    }
                    other if in_identity => field = Some(other.to_owned()),
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let (Some(b), Some(f)) = (current.as_mut(), field.as_ref()) {
                    let v = t.decode().map_err(|e| unreadable(e.to_string()))?;
                    b.identity.insert(f.clone(), v.trim().to_owned());
                }
            }
            Event::End(e) => match e.name().as_ref() {
                b"bilan" => out.extend(current.take()),
                b"identite" => in_identity = false,
                _ => field = None,
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// Whether accounts of type `code` are a company's own (C complete, S simplified); skips
/// consolidated (K), bank and insurance (A, B) accounts with their reason, rejects any
/// other code.
fn company_accounts(t: &mut Tally<'_>, row: u32, column: &'static str, code: &str) -> bool {
    match code {
        "C" | "S" => true,
        "K" => {
            t.skip("consolidated_accounts");
            false
        }
        "A" | "B" => {
            t.skip("bank_or_insurance_accounts");
            false
        }
        other => {
            t.reject(
                row,
                column,
                other,
                Reason::InvalidFlag,
                "expected C (complete), S (simplified), K, A or B".into(),
            );
            false
        }
    }
}

/// The XML files of `path`: the file, or every `.xml` file of the directory (sorted).
fn xml_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::Unreadable { path: path.to_owned(), message: e.to_string() })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads INPI documents (files, or directories of them) into `filings` rows; one summary
/// per XML file, a `<bilan>` being a row.
#[allow(clippy::too_many_lines)] // the identity's checks, one after the other
pub fn inpi(paths: &[PathBuf], log: &mut RejectLog) -> Result<(Filings, Vec<InputSummary>)> {
    let mut out = Filings::default();
    let mut seen: HashSet<(String, Date, Date)> = HashSet::new();
    let mut summaries = Vec::new();
    for given in paths {
        for path in xml_files(given)? {
            let bilans = read_xml(&path)?;
            let mut t = Tally::plain(INPI, &path, bilans.len(), log);
            for (k, b) in bilans.iter().enumerate() {
                let row = u32::try_from(k + 1).unwrap_or(u32::MAX);
                let id = |f: &str| b.identity.get(f).map_or("", String::as_str);
                let s = formats::siren(id("siren"), "");
                if !t.siren_ok(row, &s) {
                    continue;
                }
                if !company_accounts(&mut t, row, "code_type_bilan", id("code_type_bilan")) {
                    continue;
                }
                if id("code_confidentialite") == "1" {
                    t.skip("confidential_accounts");
                    continue;
                }
                if !matches!(id("code_motif"), "" | "0" | "00") {
                    t.skip("accounts_not_keyed_in");
                    continue;
                }
                let date = |f: &'static str, t: &mut Tally<'_>| {
                    let d = formats::date(id(f), false);
                    if d.is_none() {
                        t.reject(row, f, id(f), Reason::InvalidDate, "expected YYYYMMDD".into());
                    }
                    d
                };
                let Some(end) = date("date_cloture_exercice", &mut t) else { continue };
                let Some(filed) = date("date_depot", &mut t) else { continue };
                if filed < end {
                    t.reject(
                        row,
                        "date_depot",
                        id("date_depot"),
                        Reason::ImpossibleDate,
                        "filed before the end of the fiscal year".into(),
                    );
                    continue;
                }
                let months = match id("duree_exercice_n").parse::<u32>() {
                    Ok(n) if (1..=24).contains(&n) => n,
                    _ => {
                        t.reject(
                            row,
                            "duree_exercice_n",
                            id("duree_exercice_n"),
                            Reason::AbsurdAmount,
                            "a fiscal year lasts 1 to 24 months".into(),
                        );
                        continue;
                    }
                };
                if let Some((code, v)) = &b.problem {
                    t.reject(
                        row,
                        "liasse",
                        v,
                        Reason::NotANumber,
                        format!("box {code}: an amount is a whole number of euros"),
                    );
                    continue;
                }
                let regime =
                    if id("code_type_bilan") == "S" { Regime::Simplified } else { Regime::Normal };
                let boxes = box_values(&b.rows, regime);
                if let Some((code, v)) = boxes.iter().find(|(_, v)| v.abs() > MAX_AMOUNT) {
                    t.reject(
                        row,
                        "liasse",
                        &v.to_string(),
                        Reason::AbsurdAmount,
                        format!("box {code}: over 10^12 €"),
                    );
                    continue;
                }
                let amounts = liasse::amounts(regime, months, &|c| boxes.get(c).copied())
                    .expect("durations were checked");
                if amounts.iter().all(|a| a.is_nan()) {
                    t.skip("no_amount_read");
                    continue;
                }
                if !seen.insert((s.clone(), end, filed)) {
                    t.skip("same_accounts_given_again");
                    continue;
                }
                out.siren.push(s);
                out.fiscal_year_end.push(end.to_string());
                out.filing_date.push(filed.to_string());
                out.amounts.push(amounts);
                t.summary.rows_accepted += 1;
            }
            summaries.push(t.summary);
        }
    }
    Ok((out, summaries))
}

/// The columns of ratios_inpi_bce read.
pub static RATIOS: SourceSpec = SourceSpec {
    name: "ratios_inpi",
    grain: "one row per SIREN × closing date × type of accounts",
    optional: true,
    key: &["siren", "date_cloture_exercice", "type_bilan"],
    columns: &[
        text("siren", true),
        text("date_cloture_exercice", true),
        text("chiffre_d_affaires", true),
        text("ebe", true),
        text("ebit", true),
        text("resultat_net", true),
        text("type_bilan", false),
        text("confidentiality", false),
    ],
};

/// Reads ratios_inpi_bce files into `filings` rows (turnover, EBITDA, operating income, net
/// income; the rest missing); one summary per file.
pub fn ratios(
    paths: &[PathBuf],
    encoding: Encoding,
    log: &mut RejectLog,
) -> Result<(Filings, Vec<InputSummary>)> {
    let mut out = Filings::default();
    let mut seen: HashSet<(String, Date)> = HashSet::new();
    let mut summaries = Vec::new();
    let fields = [
        ("chiffre_d_affaires", "turnover"),
        ("ebe", "ebitda"),
        ("ebit", "operating_income"),
        ("resultat_net", "net_income"),
    ];
    for path in paths {
        let mut input = super::Input::open(&RATIOS, path, encoding)?;
        let mut t = Tally::open(&input, log);
        while let Some(raw) = input.next_block()? {
            t.block(&raw);
            let c = |n| column(&raw, n);
            let (siren, closing, kind) = (c("siren"), c("date_cloture_exercice"), c("type_bilan"));
            let values: Vec<_> = fields.iter().map(|(f, _)| c(f)).collect();
            'rows: for i in 0..raw.df.height() {
                let Some((row, s)) = t.company(&raw, i, siren, None) else { continue };
                // The type may be left empty in this file: a company's own accounts.
                let kind = cell(kind, i);
                if !kind.is_empty() && !company_accounts(&mut t, row, "type_bilan", kind) {
                    continue;
                }
                let d = cell(closing, i);
                let Some(end) = formats::date(d, false) else {
                    t.reject(
                        row,
                        "date_cloture_exercice",
                        d,
                        Reason::InvalidDate,
                        "expected a date".into(),
                    );
                    continue;
                };
                let mut amounts = [f64::NAN; 16];
                for (k, (name, to)) in fields.iter().enumerate() {
                    let v = cell(values[k], i);
                    if v.is_empty() {
                        continue;
                    }
                    let Some(x) = formats::amount(v) else {
                        t.reject(row, name, v, Reason::NotANumber, "not a number".into());
                        continue 'rows;
                    };
                    if x.abs() > MAX_AMOUNT {
                        t.reject(row, name, v, Reason::AbsurdAmount, "over 10^12 €".into());
                        continue 'rows;
                    }
                    if *to == "turnover" && x < 0.0 {
                        t.reject(row, name, v, Reason::NegativeAmount, "a turnover is ≥ 0".into());
                        continue 'rows;
                    }
                    amounts[amount(to)] = x;
                }
                if amounts.iter().all(|a| a.is_nan()) {
                    t.skip("confidential_accounts");
                    continue;
                }
                if !seen.insert((s.clone(), end)) {
                    t.skip("same_accounts_given_again");
                    continue;
                }
                // The first day of the month after the eighth: at least eight months.
                let filed = end.month().plus(RATIOS_FILING_MONTHS + 1);
                let filed = Date::new(filed.year(), filed.month(), 1).expect("a month's first day");
                out.siren.push(s);
                out.fiscal_year_end.push(end.to_string());
                out.filing_date.push(filed.to_string());
                out.amounts.push(amounts);
                t.summary.rows_accepted += 1;
            }
        }
        summaries.push(t.summary);
    }
    Ok((out, summaries))
}
