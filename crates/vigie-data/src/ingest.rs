//! Row-level validation: the sources become typed, pseudonymised records; every bad row
//! goes to the [`RejectLog`] with its reason, and the good rows go on.
//!
//! Invariant: for every source, `rows_read = rows_accepted + rows_rejected`, and the
//! rejects never contain a raw SIREN (the value of a `siren` cell is redacted).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;
use vigie_core::{CompanyId, Date, Departement, HeadcountBand, Month, Naf, Siren};

use crate::rejects::{Reason, Reject, RejectLog, SourceCounts};
use crate::source::{self, Format, Kind, MonthWindow, RawTable, SourceSpec};
use crate::{Error, Result};
use vigie_core::Pseudonymiser;

/// Largest plausible amount, in euros (10^12: more than any French company's turnover).
pub const MAX_AMOUNT: f64 = 1e12;
/// Largest plausible headcount.
pub const MAX_HEADCOUNT: f64 = 1e6;

/// The companies, indexed `0..n` in file order (rejected rows removed).
#[derive(Debug, Default)]
pub struct Companies {
    /// Pseudonymous ids.
    pub id: Vec<CompanyId>,
    /// Head-office département.
    pub departement: Vec<Departement>,
    /// Activity code.
    pub naf: Vec<Naf>,
    /// Creation date.
    pub creation: Vec<Date>,
    /// Closure date, if closed.
    pub closure: Vec<Option<Date>>,
    /// Register headcount band.
    pub band: Vec<HeadcountBand>,
    /// SIREN → index. Kept in memory only, to join the other sources; never written.
    index: HashMap<Siren, u32, BuildHasherDefault<SirenHasher>>,
    /// Index → SIREN, in memory only: extracts often list monthly rows in the order of the
    /// companies file, so the company after the previous row's is tried before the map.
    sirens: Vec<Siren>,
}

impl Companies {
    /// Number of companies.
    #[must_use]
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// Whether there is no company.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}

/// A fast hasher for SIRENs (a `u32` each): one multiplication. SipHash's protection
/// against adversarial keys is not needed for keys validated by a checksum, and the join
/// of tens of millions of monthly rows to their company is the hot loop of ingestion.
#[derive(Default)]
pub struct SirenHasher(u64);

impl Hasher for SirenHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (u64::from(n) ^ self.0).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Amount fields of a filing, in the order of the `filings` source.
pub const FILING_AMOUNTS: [&str; 16] = [
    "turnover",
    "value_added",
    "ebitda",
    "operating_income",
    "net_income",
    "total_assets",
    "equity",
    "financial_debt",
    "trade_payables",
    "trade_receivables",
    "inventory",
    "cash",
    "staff_costs",
    "tax_social_liabilities",
    "investment",
    "headcount",
];

/// One annual filing. Amounts use NaN for "not reported".
#[derive(Debug, Clone, PartialEq)]
pub struct Filing {
    /// Company index.
    pub company: u32,
    /// End of the fiscal year.
    pub year_end: Date,
    /// Date the return became available.
    pub filed: Date,
    /// Values in [`FILING_AMOUNTS`] order.
    pub values: [f64; 16],
}

/// Judgment kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// Opening of a safeguard procedure (procédure de sauvegarde).
    Safeguard,
    /// Opening of a receivership (redressement judiciaire).
    Receivership,
    /// Opening of a liquidation (liquidation judiciaire).
    Liquidation,
    /// Adoption of a continuation or safeguard plan: the procedure ends, the company goes on.
    PlanAdoption,
    /// Closure of the procedure or of the company.
    Closure,
}

impl EventKind {
    /// Parses the `kind` column.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "safeguard" => Some(Self::Safeguard),
            "receivership" => Some(Self::Receivership),
            "liquidation" => Some(Self::Liquidation),
            "plan_adoption" => Some(Self::PlanAdoption),
            "closure" => Some(Self::Closure),
            _ => None,
        }
    }

    /// The text form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Safeguard => "safeguard",
            Self::Receivership => "receivership",
            Self::Liquidation => "liquidation",
            Self::PlanAdoption => "plan_adoption",
            Self::Closure => "closure",
        }
    }

    /// Whether this judgment opens a collective procedure (the failure event).
    #[must_use]
    pub fn is_opening(self) -> bool {
        matches!(self, Self::Safeguard | Self::Receivership | Self::Liquidation)
    }
}

/// One judgment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Company index.
    pub company: u32,
    /// Date of the judgment.
    pub date: Date,
    /// Kind.
    pub kind: EventKind,
}

/// A monthly source laid out densely: one slot per company and month of the window.
/// Slot `company * len + (month - start)`.
#[derive(Debug, Clone)]
pub struct MonthlyGrid {
    /// First month of the window.
    pub start: Month,
    /// Number of months.
    pub len: usize,
    /// First value (tax: VAT turnover, NaN if no declaration; social: contributions called).
    pub a: Vec<f32>,
    /// Second value (tax: arrears; social: overdue employee + employer shares).
    pub b: Vec<f32>,
    /// Bit flags: [`MonthlyGrid::PRESENT`], [`MonthlyGrid::LATE`], [`MonthlyGrid::PLAN`].
    pub flags: Vec<u8>,
}

impl MonthlyGrid {
    /// A row exists for this slot.
    pub const PRESENT: u8 = 1;
    /// Late or missing declaration (tax).
    pub const LATE: u8 = 2;
    /// Payment plan active.
    pub const PLAN: u8 = 4;

    fn new(start: Month, len: usize, companies: usize) -> Self {
        let n = len * companies;
        Self { start, len, a: vec![f32::NAN; n], b: vec![f32::NAN; n], flags: vec![0; n] }
    }

    /// Slot index of (company, month), if the month is in the window.
    #[must_use]
    pub fn slot(&self, company: u32, month: Month) -> Option<usize> {
        let t = month.since(self.start);
        (t >= 0 && (t as usize) < self.len).then(|| company as usize * self.len + t as usize)
    }
}

/// Everything read and validated, ready for the panel.
#[derive(Debug)]
pub struct Dataset {
    /// Companies.
    pub companies: Companies,
    /// Filings sorted by (company, fiscal year end).
    pub filings: Vec<Filing>,
    /// `filings[filing_offsets[c]..filing_offsets[c + 1]]` are the filings of company `c`.
    pub filing_offsets: Vec<usize>,
    /// Judgments sorted by (company, date).
    pub events: Vec<Event>,
    /// `events[event_offsets[c]..event_offsets[c + 1]]` are the judgments of company `c`.
    pub event_offsets: Vec<usize>,
    /// Monthly tax data.
    pub tax: MonthlyGrid,
    /// Monthly social data, if the source was given.
    pub social: Option<MonthlyGrid>,
    /// Latest valid month found in `tax_monthly` (the extraction month).
    pub latest_tax_month: Option<Month>,
    /// Counts per source.
    pub counts: BTreeMap<&'static str, SourceCounts>,
}

/// What to read.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Window of the monthly grids (inclusive). `None`: the range of valid months found in
    /// `tax_monthly`.
    pub monthly_window: Option<(Month, Month)>,
    /// The months of the panel, when known: filings that cannot matter to them (older
    /// than the two latest available at the first month, or filed after the last) are
    /// counted and left out, which keeps memory low for the one-month nightly panel.
    pub panel_months: Option<(Month, Month)>,
}

/// Reads and validates every source of `dir`.
pub fn ingest(
    dir: &Path,
    pseudo: &Pseudonymiser,
    opts: &IngestOptions,
    rejects: &mut RejectLog,
) -> Result<Dataset> {
    let mut counts = BTreeMap::new();
    let locate = |spec: &'static SourceSpec| -> Result<Option<(std::path::PathBuf, Format)>> {
        match source::locate(dir, spec) {
            Some(found) => Ok(Some(found)),
            None if spec.optional => Ok(None),
            None => Err(Error::SourceMissing { source_name: spec.name, dir: dir.to_owned() }),
        }
    };
    // Locate everything first: a missing source fails before any work is done.
    let found: Vec<_> = source::ALL.iter().map(|s| locate(s)).collect::<Result<_>>()?;
    let [companies_f, filings_f, tax_f, social_f, events_f] =
        <[_; 5]>::try_from(found).expect("five sources");
    let (companies_path, companies_fmt) = companies_f.expect("required");
    let raw = source::read(&source::COMPANIES, &companies_path, companies_fmt, None)?;
    let mut c = Counter::new(&raw, rejects);
    let companies = validate_companies(&raw, pseudo, &mut c)?;
    counts.insert("companies", c.finish());
    drop(raw);

    let (filings_path, filings_fmt) = filings_f.expect("required");
    let raw = source::read(&source::FILINGS, &filings_path, filings_fmt, None)?;
    let mut c = Counter::new(&raw, rejects);
    let (filings, filing_offsets) = validate_filings(&raw, &companies, opts.panel_months, &mut c)?;
    counts.insert("filings", c.finish());
    drop(raw);

    let (events_path, events_fmt) = events_f.expect("required");
    let raw = source::read(&source::EVENTS, &events_path, events_fmt, None)?;
    let mut c = Counter::new(&raw, rejects);
    let (events, event_offsets) = validate_events(&raw, &companies, &mut c)?;
    counts.insert("events", c.finish());
    drop(raw);

    let (tax_path, tax_fmt) = tax_f.expect("required");
    let profile = month_profile(&tax_path, tax_fmt)?;
    let latest_tax_month = profile.range.map(|r| r.1);
    let window = opts
        .monthly_window
        .or(profile.range)
        .unwrap_or((Month::new(2000, 1).expect("valid"), Month::new(2000, 1).expect("valid")));
    let also = |p: &MonthProfile| {
        p.malformed.iter().cloned().chain(p.stray.iter().map(ToString::to_string)).collect()
    };
    let mw =
        MonthWindow { from: window.0.to_string(), to: window.1.to_string(), also: also(&profile) };
    let len = (window.1.since(window.0) + 1).max(0) as usize;

    let raw = source::read(&source::TAX_MONTHLY, &tax_path, tax_fmt, Some(&mw))?;
    let mut c = Counter::new(&raw, rejects);
    let mut tax = MonthlyGrid::new(window.0, len, companies.len());
    validate_monthly(&raw, &companies, &mut tax, MonthlyKind::Tax, &profile, &mut c)?;
    counts.insert("tax_monthly", c.finish());
    drop(raw);

    let social = if let Some((path, fmt)) = social_f {
        let profile = month_profile(&path, fmt)?;
        let mw = MonthWindow { also: also(&profile), ..mw };
        let raw = source::read(&source::SOCIAL_MONTHLY, &path, fmt, Some(&mw))?;
        let mut c = Counter::new(&raw, rejects);
        let mut grid = MonthlyGrid::new(window.0, len, companies.len());
        validate_monthly(&raw, &companies, &mut grid, MonthlyKind::Social, &profile, &mut c)?;
        counts.insert("social_monthly", c.finish());
        Some(grid)
    } else {
        counts.insert("social_monthly", SourceCounts::default());
        None
    };

    Ok(Dataset {
        companies,
        filings,
        filing_offsets,
        events,
        event_offsets,
        tax,
        social,
        latest_tax_month,
        counts,
    })
}

/// What the `month` column of a monthly source holds, read before the rows themselves.
#[derive(Debug, Clone, Default)]
pub struct MonthProfile {
    /// First and last month of the bulk of the data: valid months holding at least 1 % of
    /// the median number of rows per month, so that a stray typo (`2052-01`) cannot stretch
    /// the panel or the observation end. Rows of the stray months are read only if they
    /// fall inside the window of the panel.
    pub range: Option<(Month, Month)>,
    /// Distinct values that are not exactly valid months: their rows are always read (and
    /// rejected, or accepted once trimmed), whatever the month window.
    pub malformed: Vec<String>,
    /// Valid months isolated from the extraction (more than 12 months from the run of
    /// months holding most rows), sorted: typos such as `2052-01` for `2025-01`. Their rows
    /// are always read, and rejected as impossible dates.
    pub stray: Vec<Month>,
}

/// How far a month may lie from the previous one and still belong to the same extraction.
const STRAY_GAP_MONTHS: i32 = 12;

/// Profiles the `month` column of a monthly source (reads that column only).
pub fn month_profile(path: &Path, format: Format) -> Result<MonthProfile> {
    let err = |e: &dyn std::fmt::Display| Error::Unreadable {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let lf = match format {
        Format::Parquet => {
            let p = path.to_str().ok_or_else(|| err(&"path is not UTF-8"))?;
            LazyFrame::scan_parquet(PlRefPath::new(p), ScanArgsParquet::default())
                .map_err(|e| err(&e))?
        }
        Format::Csv => {
            // The records no parser can read are left out here as in `source::read`, which
            // rejects them one by one.
            let bytes = std::fs::read(path).map_err(|e| err(&e))?;
            let mut split = crate::source::split_csv(&bytes).map_err(|e| err(&e))?;
            let bytes = split.cleaned.take().unwrap_or(bytes);
            let df = CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(Some(0))
                .with_columns(Some(Arc::from(vec![PlSmallStr::from("month")])))
                .map_parse_options(|o| {
                    o.with_truncate_ragged_lines(true).with_missing_is_null(true)
                })
                .into_reader_with_file_handle(std::io::Cursor::new(bytes))
                .finish()
                .map_err(|e| err(&e))?;
            df.lazy()
        }
    };
    let df =
        lf.group_by([col("month")]).agg([len().alias("rows")]).collect().map_err(|e| err(&e))?;
    let months = df.column("month").map_err(|e| err(&e))?;
    let Ok(months) = months.str() else {
        return Err(Error::WrongType {
            path: path.to_owned(),
            column: "month".into(),
            expected: "string",
            found: months.dtype().to_string(),
        });
    };
    let counts = df.column("rows").and_then(|c| c.cast(&DataType::UInt64)).map_err(|e| err(&e))?;
    let counts = counts.u64().map_err(|e| err(&e))?;
    let mut valid: Vec<(Month, u64)> = Vec::new();
    let mut malformed = Vec::new();
    for (m, n) in months.iter().zip(counts.iter()) {
        let (Some(m), Some(n)) = (m, n) else { continue };
        // A value that is not exactly `YYYY-MM` (even one that trims to a valid month) may
        // fall outside the window by text comparison: read it whatever the window.
        if Month::parse(m).is_err() {
            malformed.push(m.to_owned());
        }
        if let Ok(month) = Month::parse(m.trim()) {
            valid.push((month, n));
        }
    }
    malformed.sort();
    // Runs of months at most a year apart; the run holding the most rows is the
    // extraction, the months of the other runs are stray values.
    valid.sort_unstable();
    let mut runs: Vec<(usize, usize, u64)> = Vec::new();
    for (i, &(m, n)) in valid.iter().enumerate() {
        match runs.last_mut() {
            Some(r) if m.since(valid[r.1 - 1].0) <= STRAY_GAP_MONTHS => {
                r.1 = i + 1;
                r.2 += n;
            }
            _ => runs.push((i, i + 1, n)),
        }
    }
    let (start, end) =
        runs.iter().max_by_key(|r| (r.2, std::cmp::Reverse(r.0))).map_or((0, 0), |r| (r.0, r.1));
    let mut stray: Vec<Month> = valid[..start].iter().chain(&valid[end..]).map(|v| v.0).collect();
    stray.dedup();
    let valid = &valid[start..end];
    let mut sizes: Vec<u64> = valid.iter().map(|v| v.1).collect();
    sizes.sort_unstable();
    let floor = sizes.get(sizes.len() / 2).map_or(1, |median| (median / 100).max(1));
    let bulk = valid.iter().filter(|v| v.1 >= floor).map(|v| v.0);
    let range = bulk.clone().min().zip(bulk.max());
    Ok(MonthProfile { range, malformed, stray })
}

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
struct Counter<'r> {
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
    fn new(raw: &RawTable, log: &'r mut RejectLog) -> Self {
        let mut c = Self {
            source: raw.spec.name,
            file: raw.path.display().to_string(),
            rows_read: raw.df.height() + raw.malformed.len() + raw.rows_outside_window,
            rejected: 0,
            rows_outside_window: raw.rows_outside_window,
            by_reason: BTreeMap::new(),
            log,
        };
        for (row, problem) in &raw.malformed {
            c.reject(
                *row,
                Bad {
                    column: "",
                    value: String::new(),
                    reason: Reason::MalformedRow,
                    detail: format!("unreadable record: {problem}"),
                },
            );
        }
        c
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

    fn finish(self) -> SourceCounts {
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

fn validate_companies(
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

/// The company of row `i`. `hint` is the company of the previous row: when the file
/// follows the order of the companies file, the next company matches without a lookup.
fn company_of(rows: &Rows<'_>, companies: &Companies, i: usize, hint: &mut u32) -> Check<u32> {
    let siren = rows.siren(i)?;
    let next = hint.wrapping_add(1);
    if companies.sirens.get(next as usize) == Some(&siren) {
        *hint = next;
        return Ok(next);
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

/// Offsets of per-company slices of `items`, which callers have sorted by company.
fn csr<T>(items: Vec<T>, n: usize, company: impl Fn(&T) -> u32) -> (Vec<T>, Vec<usize>) {
    debug_assert!(items.windows(2).all(|w| company(&w[0]) <= company(&w[1])), "sorted by company");
    let mut offsets = vec![0usize; n + 1];
    for x in &items {
        offsets[company(x) as usize + 1] += 1;
    }
    for k in 0..n {
        offsets[k + 1] += offsets[k];
    }
    (items, offsets)
}

fn validate_filings(
    raw: &RawTable,
    companies: &Companies,
    window: Option<(Month, Month)>,
    c: &mut Counter<'_>,
) -> Result<(Vec<Filing>, Vec<usize>)> {
    let rows = Rows::new(raw)?;
    let [k_year_end, k_filed] = ["fiscal_year_end", "filing_date"].map(|n| rows.col(n));
    let k_amounts = FILING_AMOUNTS.map(|n| rows.col(n));
    let mut out: Vec<(Filing, u32)> = Vec::with_capacity(rows.len());
    let mut hint = u32::MAX;
    for i in 0..rows.len() {
        let parsed = (|| -> Check<Filing> {
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
            let mut values = [f64::NAN; 16];
            for (v, &k) in values.iter_mut().zip(&k_amounts) {
                *v = rows.number(i, k)?;
            }
            Ok(Filing { company, year_end, filed, values })
        })();
        match parsed {
            Ok(f) => out.push((f, rows.row_number(i))),
            Err(b) => c.reject(rows.row_number(i), b),
        }
    }
    // Duplicate keys (company, fiscal year end): keep the earliest filed version (then the
    // first in the file), so that a later amendment can never displace a return that was
    // already available — the panel stays point-in-time.
    // (In place: the filings are the largest records held in memory.)
    out.sort_unstable_by_key(|(f, row)| (f.company, f.year_end, f.filed, *row));
    let mut kept = 0;
    for k in 0..out.len() {
        if kept > 0
            && out[kept - 1].0.company == out[k].0.company
            && out[kept - 1].0.year_end == out[k].0.year_end
        {
            let (f, row) = &out[k];
            c.reject(*row, bad("fiscal_year_end", Cell::Text(&f.year_end.to_string()), Reason::DuplicateKey, "another return for this company and fiscal year was filed earlier; the earliest is kept"));
        } else {
            out.swap(kept, k);
            kept += 1;
        }
    }
    out.truncate(kept);
    if let Some((from, to)) = window {
        // Only the two latest returns available at `from`, and those filed during the
        // panel, can be a month's latest or previous return: the others are valid but not
        // needed (counted as outside the window, like monthly rows).
        let mut keep = vec![false; out.len()];
        let mut start = 0;
        while start < out.len() {
            let company = out[start].0.company;
            let end = start + out[start..].iter().take_while(|(f, _)| f.company == company).count();
            let mut available = 0;
            for k in (start..end).rev() {
                let filed = out[k].0.filed.month();
                if filed > from && filed <= to {
                    keep[k] = true;
                } else if filed <= from && available < 2 {
                    keep[k] = true;
                    available += 1;
                }
            }
            start = end;
        }
        let before = out.len();
        let mut k = 0;
        out.retain(|_| {
            k += 1;
            keep[k - 1]
        });
        c.rows_outside_window += before - out.len();
    }
    let filings: Vec<Filing> = out.into_iter().map(|(f, _)| f).collect();
    Ok(csr(filings, companies.len(), |f| f.company))
}

fn validate_events(
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
enum MonthlyKind {
    Tax,
    Social,
}

fn validate_monthly(
    raw: &RawTable,
    companies: &Companies,
    grid: &mut MonthlyGrid,
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
                if grid.flags[slot] & MonthlyGrid::PRESENT != 0 {
                    c.reject(rows.row_number(i), bad("month", Cell::Text(&month.to_string()), Reason::DuplicateKey, "a row for this company and month was already read; the first row is kept"));
                    continue;
                }
                grid.a[slot] = a as f32;
                grid.b[slot] = b as f32;
                grid.flags[slot] = MonthlyGrid::PRESENT
                    | if late { MonthlyGrid::LATE } else { 0 }
                    | if plan { MonthlyGrid::PLAN } else { 0 };
            }
        }
    }
    Ok(())
}
