//! The validation of each source's rows: a view of the raw columns, per-cell checks with
//! their reject reasons, and the typed records of companies, filings, events and monthly
//! grids. Split from `ingest` (which orchestrates the sources) to keep each file readable.

use polars::prelude::*;
use rayon::prelude::*;
use vigie_core::{Date, Departement, HeadcountBand, Month, Naf, Siren};

use super::{
    BTreeMap, Companies, Event, EventKind, FILING_AMOUNTS, Filing, GridSink, HashMap, MAX_AMOUNT,
    MAX_HEADCOUNT, MonthProfile, MonthlyGrid, STRAY_GAP_MONTHS, csr,
};
use crate::rejects::{Reason, Reject, RejectLog, SourceCounts};
use std::path::Path;

use crate::source::{Kind, RawTable, SourceSpec};
use crate::{Error, Result};
use vigie_core::Pseudonymiser;

/// A cell, as stored.
#[derive(Debug, Clone, Copy)]
enum Cell<'a> {
    Null,
    Text(&'a str),
    Num(f64),
    Bool(bool),
}

/// Typed, single-chunk access to one column.
enum View {
    Absent,
    Text(StringChunked),
    Num(Float64Chunked),
    Bool(BooleanChunked),
}

impl View {
    fn of(raw: &RawTable, name: &str) -> Result<Self> {
        let Ok(column) = raw.df.column(name) else { return Ok(View::Absent) };
        let err = |e: &dyn std::fmt::Display| Error::Unreadable {
            path: raw.path.clone(),
            message: e.to_string(),
        };
        // No rechunk: a copy of every column of tens of millions of rows costs more memory
        // than the chunk lookup of `get` costs time.
        let s = column.as_materialized_series();
        Ok(match s.dtype() {
            DataType::String => View::Text(s.str().map_err(|e| err(&e))?.clone()),
            DataType::Boolean => View::Bool(s.bool().map_err(|e| err(&e))?.clone()),
            DataType::Null => View::Absent,
            _ => {
                let f = s.cast(&DataType::Float64).map_err(|e| err(&e))?;
                View::Num(f.f64().map_err(|e| err(&e))?.clone())
            }
        })
    }

    fn get(&self, i: usize) -> Cell<'_> {
        match self {
            View::Absent => Cell::Null,
            View::Text(ca) => ca.get(i).map_or(Cell::Null, |s| {
                if s.trim().is_empty() { Cell::Null } else { Cell::Text(s) }
            }),
            View::Num(ca) => ca.get(i).map_or(Cell::Null, Cell::Num),
            View::Bool(ca) => ca.get(i).map_or(Cell::Null, Cell::Bool),
        }
    }
}

/// A row-level problem: column, offending value, reason, detail.
struct Bad {
    column: &'static str,
    value: String,
    reason: Reason,
    detail: String,
}

type Check<T> = std::result::Result<T, Bad>;

fn shown(cell: Cell<'_>) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Text(s) => s.chars().take(64).collect(),
        Cell::Num(x) => x.to_string(),
        Cell::Bool(b) => b.to_string(),
    }
}

fn bad(column: &'static str, cell: Cell<'_>, reason: Reason, detail: impl Into<String>) -> Bad {
    // A SIREN is an identifier: even an invalid one may be a typo of a real one.
    let value = if column == "siren" { "<redacted>".to_owned() } else { shown(cell) };
    Bad { column, value, reason, detail: detail.into() }
}

/// Validation of one table: views of its columns, counts and rejects.
pub(super) struct Counter<'r> {
    source: &'static str,
    file: String,
    rows_read: usize,
    rejected: usize,
    rows_outside_window: usize,
    by_reason: BTreeMap<&'static str, usize>,
    log: &'r mut RejectLog,
}

impl<'r> Counter<'r> {
    /// A counter for `raw`, having already rejected the records no parser could read.
    pub(super) fn new(raw: &RawTable, log: &'r mut RejectLog) -> Self {
        let mut c = Self::start(raw.spec, &raw.path, log);
        c.add(raw);
        c
    }

    /// A counter for a source read batch by batch: each batch is [`Counter::add`]ed.
    pub(super) fn start(spec: &SourceSpec, path: &Path, log: &'r mut RejectLog) -> Self {
        Self {
            source: spec.name,
            file: path.display().to_string(),
            rows_read: 0,
            rejected: 0,
            rows_outside_window: 0,
            by_reason: BTreeMap::new(),
            log,
        }
    }

    /// Counts the rows of one batch, rejecting the records no parser could read.
    pub(super) fn add(&mut self, raw: &RawTable) {
        self.rows_read += raw.df.height() + raw.malformed.len() + raw.rows_outside_window;
        self.rows_outside_window += raw.rows_outside_window;
        for (row, problem) in &raw.malformed {
            self.reject(
                *row,
                Bad {
                    column: "",
                    value: String::new(),
                    reason: Reason::MalformedRow,
                    detail: format!("unreadable record: {problem}"),
                },
            );
        }
    }

    fn reject(&mut self, row: u32, b: Bad) {
        self.rejected += 1;
        *self.by_reason.entry(b.reason.as_str()).or_default() += 1;
        self.log.push(Reject {
            source: self.source,
            row,
            column: b.column,
            value: b.value,
            reason: b.reason,
            detail: b.detail,
        });
    }

    pub(super) fn finish(self) -> SourceCounts {
        SourceCounts {
            file: Some(self.file),
            rows_read: self.rows_read,
            rows_accepted: self.rows_read - self.rejected - self.rows_outside_window,
            rows_rejected: self.rejected,
            rows_outside_window: self.rows_outside_window,
            rejects_by_reason: self.by_reason,
        }
    }
}

/// The views of all spec columns of a table, with row-shape checks.
struct Rows<'a> {
    raw: &'a RawTable,
    views: Vec<(&'static str, Kind, bool, View)>,
    ragged: HashMap<u32, usize>,
    siren_col: usize,
    month_col: usize,
}

impl<'a> Rows<'a> {
    fn new(raw: &'a RawTable) -> Result<Self> {
        let mut views = Vec::with_capacity(raw.spec.columns.len());
        for c in raw.spec.columns {
            let v = View::of(raw, c.name)?;
            check_column_type(raw, c.name, c.kind, &v)?;
            views.push((c.name, c.kind, c.nullable, v));
        }
        let position = |n: &str| views.iter().position(|v: &(&str, Kind, bool, View)| v.0 == n);
        let siren_col = position("siren").expect("every source has a siren column");
        // Sources without a month column never ask for it.
        let month_col = position("month").unwrap_or(usize::MAX);
        Ok(Self { raw, views, ragged: raw.ragged.iter().copied().collect(), siren_col, month_col })
    }

    fn len(&self) -> usize {
        self.raw.df.height()
    }

    fn row_number(&self, i: usize) -> u32 {
        self.raw.row_numbers[i]
    }

    /// Shape check of row `i`.
    fn shape(&self, i: usize) -> Check<()> {
        match self.ragged.get(&self.row_number(i)) {
            Some(&n) => Err(Bad {
                column: "",
                value: String::new(),
                reason: Reason::MalformedRow,
                detail: format!("record has {n} fields, the header has {}", self.raw.header_fields),
            }),
            None => Ok(()),
        }
    }

    /// The position of a column of the spec (looked up once per table, not per cell).
    fn col(&self, name: &str) -> usize {
        self.views.iter().position(|v| v.0 == name).expect("column of the spec")
    }

    fn cell(&self, i: usize, c: usize) -> (&'static str, Kind, bool, Cell<'_>) {
        let (n, k, nullable, v) = &self.views[c];
        (n, *k, *nullable, v.get(i))
    }

    /// A required text value.
    fn text(&self, i: usize, c: usize) -> Check<Option<&str>> {
        let (n, _, nullable, cell) = self.cell(i, c);
        match cell {
            Cell::Null if nullable => Ok(None),
            Cell::Null => Err(bad(n, cell, Reason::MissingValue, format!("`{n}` is required"))),
            Cell::Text(s) => Ok(Some(s.trim())),
            Cell::Num(_) | Cell::Bool(_) => {
                Err(bad(n, cell, Reason::NotANumber, format!("`{n}` must be text")))
            }
        }
    }

    fn siren(&self, i: usize) -> Check<Siren> {
        let s = self.text(i, self.siren_col)?.unwrap_or_default();
        Siren::parse(s)
            .map_err(|e| bad("siren", Cell::Text(s), Reason::InvalidSiren, e.to_string()))
    }

    fn date(&self, i: usize, c: usize) -> Check<Option<Date>> {
        let (n, ..) = self.cell(i, c);
        match self.text(i, c)? {
            None => Ok(None),
            Some(s) => Date::parse(s)
                .map(Some)
                .map_err(|e| bad(n, Cell::Text(s), Reason::InvalidDate, e.to_string())),
        }
    }

    fn month(&self, i: usize) -> Check<Month> {
        let s = self.text(i, self.month_col)?.unwrap_or_default();
        Month::parse(s)
            .map_err(|e| bad("month", Cell::Text(s), Reason::InvalidMonth, e.to_string()))
    }

    /// A numeric value with its range checks; NaN when null and nullable.
    fn number(&self, i: usize, c: usize) -> Check<f64> {
        let (n, kind, nullable, cell) = self.cell(i, c);
        let x = match cell {
            Cell::Null if nullable => return Ok(f64::NAN),
            Cell::Null => {
                return Err(bad(n, cell, Reason::MissingValue, format!("`{n}` is required")));
            }
            Cell::Num(x) => x,
            Cell::Bool(b) => f64::from(u8::from(b)),
            Cell::Text(s) => parse_number(s).ok_or_else(|| {
                bad(
                    n,
                    cell,
                    Reason::NotANumber,
                    format!("`{n}` must be a number (decimal point, no thousands separator)"),
                )
            })?,
        };
        if !x.is_finite() {
            return Err(bad(n, cell, Reason::NotFinite, format!("`{n}` must be finite")));
        }
        match kind {
            Kind::Amount { signed } => {
                if !signed && x < 0.0 {
                    return Err(bad(
                        n,
                        cell,
                        Reason::NegativeAmount,
                        format!("`{n}` cannot be negative"),
                    ));
                }
                if x.abs() > MAX_AMOUNT {
                    return Err(bad(
                        n,
                        cell,
                        Reason::AbsurdAmount,
                        format!("`{n}` exceeds 10^12 €"),
                    ));
                }
            }
            Kind::Count => {
                if x < 0.0 {
                    return Err(bad(
                        n,
                        cell,
                        Reason::NegativeAmount,
                        format!("`{n}` cannot be negative"),
                    ));
                }
                if x > MAX_HEADCOUNT {
                    return Err(bad(n, cell, Reason::AbsurdAmount, format!("`{n}` exceeds 10^6")));
                }
            }
            Kind::Flag if x != 0.0 && x != 1.0 => {
                return Err(bad(n, cell, Reason::InvalidFlag, format!("`{n}` must be 0 or 1")));
            }
            _ => {}
        }
        Ok(x)
    }

    fn flag(&self, i: usize, c: usize) -> Check<bool> {
        let (n, _, _, cell) = self.cell(i, c);
        if let Cell::Text(s) = cell {
            return match s.trim() {
                "0" | "false" | "FALSE" | "False" => Ok(false),
                "1" | "true" | "TRUE" | "True" => Ok(true),
                _ => Err(bad(n, cell, Reason::InvalidFlag, format!("`{n}` must be 0 or 1"))),
            };
        }
        self.number(i, c).map(|x| x > 0.5)
    }
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

/// A CSV column whose every non-empty value fails to parse as a number is a wrong column
/// type (a shifted or mislabelled column), not a series of bad rows: stop the run.
fn check_column_type(raw: &RawTable, name: &'static str, kind: Kind, v: &View) -> Result<()> {
    let View::Text(ca) = v else { return Ok(()) };
    if kind.is_text() {
        return Ok(());
    }
    let mut non_empty = 0usize;
    let mut numeric = 0usize;
    let mut example = None;
    for s in ca.iter().flatten() {
        let t = s.trim();
        if t.is_empty() {
            continue;
        }
        non_empty += 1;
        let ok = parse_number(t).is_some()
            || (kind == Kind::Flag
                && matches!(t, "true" | "false" | "TRUE" | "FALSE" | "True" | "False"));
        if ok {
            numeric += 1;
        } else if example.is_none() {
            example = Some(t.chars().take(32).collect::<String>());
        }
    }
    if non_empty > 0 && numeric == 0 {
        return Err(Error::WrongType {
            path: raw.path.clone(),
            column: name.to_owned(),
            expected: kind.type_name(),
            found: format!("text values only (e.g. {:?})", example.unwrap_or_default()),
        });
    }
    Ok(())
}

pub(super) fn validate_companies(
    raw: &RawTable,
    pseudo: &Pseudonymiser,
    c: &mut Counter<'_>,
) -> Result<Companies> {
    let rows = Rows::new(raw)?;
    let [k_naf, k_dep, k_legal, k_creation, k_closure, k_band] =
        ["naf", "departement", "legal_form", "creation_date", "closure_date", "headcount_band"]
            .map(|n| rows.col(n));
    let mut out = Companies::default();
    let mut sirens = Vec::new();
    for i in 0..rows.len() {
        let parsed = (|| -> Check<_> {
            rows.shape(i)?;
            let siren = rows.siren(i)?;
            let naf_s = rows.text(i, k_naf)?.unwrap_or_default();
            let naf = Naf::parse(naf_s)
                .map_err(|e| bad("naf", Cell::Text(naf_s), Reason::InvalidNaf, e.to_string()))?;
            let dep_s = rows.text(i, k_dep)?.unwrap_or_default();
            let dep = Departement::parse(dep_s).map_err(|e| {
                bad("departement", Cell::Text(dep_s), Reason::UnknownDepartement, e.to_string())
            })?;
            if let Some(lf) = rows.text(i, k_legal)?
                && lf.chars().count() > 64
            {
                return Err(bad(
                    "legal_form",
                    Cell::Text(lf),
                    Reason::TextTooLong,
                    "at most 64 characters",
                ));
            }
            let creation = rows.date(i, k_creation)?.expect("not nullable");
            let closure = rows.date(i, k_closure)?;
            if let Some(cl) = closure
                && cl < creation
            {
                return Err(bad(
                    "closure_date",
                    Cell::Text(&cl.to_string()),
                    Reason::ImpossibleDate,
                    "closure date is before the creation date",
                ));
            }
            let band = match rows.text(i, k_band)? {
                None => HeadcountBand::parse("NN").expect("valid"),
                Some(s) => HeadcountBand::parse(s).map_err(|e| {
                    bad(
                        "headcount_band",
                        Cell::Text(s),
                        Reason::InvalidHeadcountBand,
                        e.to_string(),
                    )
                })?,
            };
            Ok((siren, naf, dep, creation, closure, band))
        })();
        match parsed {
            Err(b) => c.reject(rows.row_number(i), b),
            Ok((siren, naf, dep, creation, closure, band)) => {
                if out.index.contains_key(&siren) {
                    c.reject(
                        rows.row_number(i),
                        bad(
                            "siren",
                            Cell::Null,
                            Reason::DuplicateKey,
                            "a company with this SIREN was already read; the first row is kept",
                        ),
                    );
                    continue;
                }
                out.index.insert(siren, out.naf.len() as u32);
                sirens.push(siren);
                out.naf.push(naf);
                out.departement.push(dep);
                out.creation.push(creation);
                out.closure.push(closure);
                out.band.push(band);
            }
        }
    }
    out.id = sirens.par_iter().map(|s| pseudo.company_id(*s)).collect();
    out.sirens = sirens;
    Ok(out)
}

/// How far past the previous row's company [`company_of`] looks before the SIREN map.
/// Monthly extracts list a month's rows in the companies file's order but skip the
/// companies without a row that month (created later, closed, no employees): in the
/// generator's files 24 % of tax rows and 47 % of social rows are not the next company,
/// and 99.999 % are within 16 (one cache line of SIRENs). Past 5 M companies the map
/// no longer fits in the cache and each lookup is a miss.
const LOOKAHEAD: usize = 16;

/// The company of row `i`. `hint` is the company of the previous row: when the file
/// follows the order of the companies file, one of the next few companies matches
/// without a lookup (SIRENs are unique in `companies`, so the answer is the map's).
fn company_of(rows: &Rows<'_>, companies: &Companies, i: usize, hint: &mut u32) -> Check<u32> {
    let siren = rows.siren(i)?;
    let from = hint.wrapping_add(1) as usize;
    let ahead = companies.sirens.get(from..companies.sirens.len().min(from + LOOKAHEAD));
    if let Some(k) = ahead.and_then(|a| a.iter().position(|s| *s == siren)) {
        *hint = (from + k) as u32;
        return Ok(*hint);
    }
    let found = companies.index.get(&siren).copied();
    if let Some(c) = found {
        *hint = c;
    }
    found.ok_or_else(|| {
        bad(
            "siren",
            Cell::Null,
            Reason::UnknownCompany,
            "no valid row for this company in `companies`",
        )
    })
}

/// What the choice of returns needs of a valid filing row: its key, its row, and where
/// its amounts are when they were kept on the first read (`u32::MAX` otherwise).
#[derive(Debug, Clone, Copy)]
pub(super) struct FilingKey {
    pub(super) company: u32,
    pub(super) year_end: Date,
    pub(super) filed: Date,
    pub(super) row: u32,
    pub(super) slot: u32,
}

/// Validates one batch of `filings` rows: rejects the bad ones and pushes the keys of the
/// good ones; their amounts too, into `values` (a key's `slot`), when given.
pub(super) fn filing_keys(
    raw: &RawTable,
    companies: &Companies,
    c: &mut Counter<'_>,
    keys: &mut Vec<FilingKey>,
    mut values: Option<&mut Vec<[f64; 16]>>,
) -> Result<()> {
    let rows = Rows::new(raw)?;
    let [k_year_end, k_filed] = ["fiscal_year_end", "filing_date"].map(|n| rows.col(n));
    let k_amounts = FILING_AMOUNTS.map(|n| rows.col(n));
    let mut hint = u32::MAX;
    for i in 0..rows.len() {
        let parsed = (|| -> Check<(u32, Date, Date, [f64; 16])> {
            rows.shape(i)?;
            let company = company_of(&rows, companies, i, &mut hint)?;
            let year_end = rows.date(i, k_year_end)?.expect("not nullable");
            let filed = rows.date(i, k_filed)?.expect("not nullable");
            if filed < year_end {
                return Err(bad(
                    "filing_date",
                    Cell::Text(&filed.to_string()),
                    Reason::ImpossibleDate,
                    "filed before the end of the fiscal year",
                ));
            }
            let mut amounts = [f64::NAN; 16];
            for (v, &k) in amounts.iter_mut().zip(&k_amounts) {
                *v = rows.number(i, k)?;
            }
            Ok((company, year_end, filed, amounts))
        })();
        match parsed {
            Ok((company, year_end, filed, amounts)) => {
                let slot = match values.as_deref_mut() {
                    Some(v) => {
                        v.push(amounts);
                        u32::try_from(v.len() - 1).expect("fewer than 2^32 filings")
                    }
                    None => u32::MAX,
                };
                keys.push(FilingKey { company, year_end, filed, row: rows.row_number(i), slot });
            }
            Err(b) => c.reject(rows.row_number(i), b),
        }
    }
    Ok(())
}

/// Chooses the returns among the valid ones, sorted by (company, fiscal year end) on
/// return. Duplicate keys (company, fiscal year end): the earliest filed version is kept
/// (then the first in the file), so that a later amendment can never displace a return
/// that was already available — the panel stays point-in-time; the others are rejected.
/// With the panel's months `window`, only the returns that can matter are kept.
pub(super) fn choose_filings(
    mut keys: Vec<FilingKey>,
    window: Option<(Month, Month)>,
    c: &mut Counter<'_>,
) -> Vec<FilingKey> {
    keys.sort_unstable_by_key(|k| (k.company, k.year_end, k.filed, k.row));
    let mut kept = 0;
    for k in 0..keys.len() {
        if kept > 0
            && keys[kept - 1].company == keys[k].company
            && keys[kept - 1].year_end == keys[k].year_end
        {
            let f = keys[k];
            c.reject(f.row, bad("fiscal_year_end", Cell::Text(&f.year_end.to_string()), Reason::DuplicateKey, "another return for this company and fiscal year was filed earlier; the earliest is kept"));
        } else {
            keys.swap(kept, k);
            kept += 1;
        }
    }
    keys.truncate(kept);
    if let Some((from, to)) = window {
        // Only the two latest returns available at `from`, and those filed during the
        // panel, can be a month's latest or previous return: the others are valid but not
        // needed (counted as outside the window, like monthly rows).
        let mut keep = vec![false; keys.len()];
        let mut start = 0;
        while start < keys.len() {
            let company = keys[start].company;
            let end = start + keys[start..].iter().take_while(|f| f.company == company).count();
            let mut available = 0;
            for k in (start..end).rev() {
                let filed = keys[k].filed.month();
                if filed > from && filed <= to {
                    keep[k] = true;
                } else if filed <= from && available < 2 {
                    keep[k] = true;
                    available += 1;
                }
            }
            start = end;
        }
        let before = keys.len();
        let mut k = 0;
        keys.retain(|_| {
            k += 1;
            keep[k - 1]
        });
        c.rows_outside_window += before - keys.len();
    }
    keys
}

/// Reads the amounts of the chosen returns from one batch of a second read of the file:
/// `by_row` holds the chosen rows' numbers, sorted, with their index in `values`. Their
/// rows were valid on the first read; a row that is not any more means the file changed
/// between the two reads.
pub(super) fn filing_values(
    raw: &RawTable,
    by_row: &[(u32, u32)],
    values: &mut [[f64; 16]],
    found: &mut usize,
) -> Result<()> {
    let rows = Rows::new(raw)?;
    let k_amounts = FILING_AMOUNTS.map(|n| rows.col(n));
    for i in 0..rows.len() {
        let row = rows.row_number(i);
        let Ok(at) = by_row.binary_search_by_key(&row, |&(r, _)| r) else { continue };
        let v = &mut values[by_row[at].1 as usize];
        for (v, &k) in v.iter_mut().zip(&k_amounts) {
            *v = rows.number(i, k).map_err(|_| Error::Unreadable {
                path: raw.path.clone(),
                message: format!("row {row} changed while the file was read"),
            })?;
        }
        *found += 1;
    }
    Ok(())
}

/// The chosen returns with their amounts, and their per-company offsets.
pub(super) fn filings_of(
    chosen: &[FilingKey],
    values: &[[f64; 16]],
    companies: usize,
) -> (Vec<Filing>, Vec<usize>) {
    csr(chosen_filings(chosen, values).collect(), companies, |f| f.company)
}

/// The chosen returns with their amounts (`values`: as for [`filings_of`]).
pub(super) fn chosen_filings<'a>(
    chosen: &'a [FilingKey],
    values: &'a [[f64; 16]],
) -> impl Iterator<Item = Filing> + 'a {
    chosen.iter().enumerate().map(|(i, k)| Filing {
        company: k.company,
        year_end: k.year_end,
        filed: k.filed,
        values: if k.slot == u32::MAX { values[i] } else { values[k.slot as usize] },
    })
}

pub(super) fn validate_events(
    raw: &RawTable,
    companies: &Companies,
    c: &mut Counter<'_>,
) -> Result<(Vec<Event>, Vec<usize>)> {
    let rows = Rows::new(raw)?;
    let [k_date, k_kind] = ["date", "kind"].map(|n| rows.col(n));
    let mut out: Vec<(Event, u32)> = Vec::new();
    let mut hint = u32::MAX;
    for i in 0..rows.len() {
        let parsed = (|| -> Check<Event> {
            rows.shape(i)?;
            let company = company_of(&rows, companies, i, &mut hint)?;
            let date = rows.date(i, k_date)?.expect("not nullable");
            let kind_s = rows.text(i, k_kind)?.unwrap_or_default();
            let kind = EventKind::parse(kind_s).ok_or_else(|| {
                bad(
                    "kind",
                    Cell::Text(kind_s),
                    Reason::UnknownEventKind,
                    "expected safeguard, receivership, liquidation, plan_adoption or closure",
                )
            })?;
            if date < companies.creation[company as usize] {
                return Err(bad(
                    "date",
                    Cell::Text(&date.to_string()),
                    Reason::ImpossibleDate,
                    "judgment before the company's creation",
                ));
            }
            Ok(Event { company, date, kind })
        })();
        match parsed {
            Ok(e) => out.push((e, rows.row_number(i))),
            Err(b) => c.reject(rows.row_number(i), b),
        }
    }
    out.sort_unstable_by_key(|(e, row)| (e.company, e.date, e.kind, *row));
    let mut kept: Vec<Event> = Vec::with_capacity(out.len());
    for (e, row) in out {
        if kept.last() == Some(&e) {
            c.reject(
                row,
                bad(
                    "kind",
                    Cell::Text(e.kind.as_str()),
                    Reason::DuplicateKey,
                    "the same judgment was already read; the first row is kept",
                ),
            );
        } else {
            kept.push(e);
        }
    }
    Ok(csr(kept, companies.len(), |e| e.company))
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MonthlyKind {
    Tax,
    Social,
}

pub(super) fn validate_monthly(
    raw: &RawTable,
    companies: &Companies,
    grid: &mut GridSink,
    kind: MonthlyKind,
    profile: &MonthProfile,
    c: &mut Counter<'_>,
) -> Result<()> {
    let rows = Rows::new(raw)?;
    let names = match kind {
        MonthlyKind::Tax => ["vat_turnover", "tax_arrears", "late_declaration", "payment_plan"],
        MonthlyKind::Social => {
            ["contributions_called", "overdue_employee", "overdue_employer", "payment_plan"]
        }
    };
    let [k0, k1, k2, k3] = names.map(|n| rows.col(n));
    let mut hint = u32::MAX;
    for i in 0..rows.len() {
        let parsed = (|| -> Check<_> {
            rows.shape(i)?;
            let company = company_of(&rows, companies, i, &mut hint)?;
            let month = rows.month(i)?;
            if profile.stray.binary_search(&month).is_ok() {
                let (from, to) = profile.range.unwrap_or((month, month));
                return Err(bad(
                    "month",
                    Cell::Text(&month.to_string()),
                    Reason::ImpossibleDate,
                    format!(
                        "{month} is more than {STRAY_GAP_MONTHS} months away from the rest of \
                         the file ({from} to {to}): a typo?"
                    ),
                ));
            }
            let (a, b, late, plan) = match kind {
                MonthlyKind::Tax => {
                    (rows.number(i, k0)?, rows.number(i, k1)?, rows.flag(i, k2)?, rows.flag(i, k3)?)
                }
                MonthlyKind::Social => {
                    let called = rows.number(i, k0)?;
                    let emp = rows.number(i, k1)?;
                    let empr = rows.number(i, k2)?;
                    (called, emp + empr, false, rows.flag(i, k3)?)
                }
            };
            Ok((company, month, a, b, late, plan))
        })();
        match parsed {
            Err(b) => c.reject(rows.row_number(i), b),
            Ok((company, month, a, b, late, plan)) => {
                let Some(slot) = grid.slot(company, month) else {
                    // Valid, but outside the months the panel needs (CSV inputs are read
                    // whole): counted as outside the window, not stored.
                    c.rows_outside_window += 1;
                    continue;
                };
                if grid.is_present(slot) {
                    c.reject(rows.row_number(i), bad("month", Cell::Text(&month.to_string()), Reason::DuplicateKey, "a row for this company and month was already read; the first row is kept"));
                    continue;
                }
                let flags = MonthlyGrid::PRESENT
                    | if late { MonthlyGrid::LATE } else { 0 }
                    | if plan { MonthlyGrid::PLAN } else { 0 };
                grid.put(slot, a as f32, b as f32, flags)?;
            }
        }
    }
    Ok(())
}
