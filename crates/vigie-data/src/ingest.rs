//! Row-level validation: the sources become typed, pseudonymised records; every bad row
//! goes to the [`RejectLog`] with its reason, and the good rows go on.
//!
//! Invariant: for every source, `rows_read = rows_accepted + rows_rejected`, and the
//! rejects never contain a raw SIREN (the value of a `siren` cell is redacted).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use polars::prelude::*;
use vigie_core::{CompanyId, Date, Departement, HeadcountBand, Month, Naf, Siren};

use crate::rejects::{RejectLog, SourceCounts};
use crate::source::{self, Format, MonthWindow, SourceSpec};
use crate::{Error, Result};
use vigie_core::Pseudonymiser;

mod spill;
mod validate;
use validate::{
    Counter, MonthlyKind, choose_filings, chosen_filings, filing_keys, filing_values, filings_of,
    validate_companies, validate_events, validate_monthly,
};

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
    /// The companies `range`, indexed from its first (without the SIREN index: a block of
    /// the panel joins nothing).
    fn slice(&self, range: &std::ops::Range<usize>) -> Self {
        let r = range.clone();
        Self {
            id: self.id[r.clone()].to_vec(),
            departement: self.departement[r.clone()].to_vec(),
            naf: self.naf[r.clone()].to_vec(),
            creation: self.creation[r.clone()].to_vec(),
            closure: self.closure[r.clone()].to_vec(),
            band: self.band[r].to_vec(),
            index: HashMap::default(),
            sirens: Vec::new(),
        }
    }

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

/// Amount fields of a filing, in the order of the `filings` source (their one definition
/// is `vigie_core::accounts::AMOUNTS`).
pub use vigie_core::accounts::AMOUNTS as FILING_AMOUNTS;

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
    /// Monthly tax data (a grid of no month when the source is absent).
    pub tax: MonthlyGrid,
    /// Monthly social data, if the source was given.
    pub social: Option<MonthlyGrid>,
    /// The extraction month: the latest valid month of `tax_monthly`, else of
    /// `social_monthly`, else the latest filing or judgment date's.
    pub latest_month: Option<Month>,
    /// The sources found, in `source::ALL` order (the others are absent: their features
    /// are missing).
    pub present: Vec<&'static str>,
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
    /// Rows of a Parquet source read at a time ([`source::BATCH_ROWS`] by default): the
    /// filings and the monthly sources are validated batch by batch, so that their text is
    /// never held whole.
    pub batch_rows: usize,
    /// Companies per block: with more companies than this, the filings and monthly values
    /// are spilt to temporary files by block and handed over one block at a time
    /// ([`Ingested::block`]).
    pub block_companies: usize,
}

impl IngestOptions {
    /// Every month of the sources, batches of the default size, one block.
    #[must_use]
    pub fn whole() -> Self {
        Self {
            monthly_window: None,
            panel_months: None,
            batch_rows: source::BATCH_ROWS,
            block_companies: usize::MAX,
        }
    }
}

/// Companies per block by default: about 0.6 GB of filings, grids and panel rows.
pub const BLOCK_COMPANIES: usize = 500_000;

/// Where a monthly source's accepted rows go: its grid, or its spill by block.
enum GridSink {
    Dense(MonthlyGrid),
    Spill(spill::GridSpill),
}

impl GridSink {
    fn slot(&self, company: u32, month: Month) -> Option<usize> {
        match self {
            Self::Dense(g) => g.slot(company, month),
            Self::Spill(s) => s.slot(company, month),
        }
    }

    fn is_present(&self, slot: usize) -> bool {
        match self {
            Self::Dense(g) => g.flags[slot] & MonthlyGrid::PRESENT != 0,
            Self::Spill(s) => s.is_present(slot),
        }
    }

    /// The grid read; spilt, a grid of the window without values and the spill's blocks.
    fn into_grid(self) -> Result<(MonthlyGrid, Option<spill::GridBlocks>)> {
        match self {
            Self::Dense(g) => Ok((g, None)),
            Self::Spill(s) => {
                let (window, blocks) = s.finish()?;
                Ok((window, Some(blocks)))
            }
        }
    }

    fn put(&mut self, slot: usize, a: f32, b: f32, flags: u8) -> Result<()> {
        match self {
            Self::Dense(g) => {
                g.a[slot] = a;
                g.b[slot] = b;
                g.flags[slot] = flags;
                Ok(())
            }
            Self::Spill(s) => s.put(slot, a, b, flags),
        }
    }
}

/// The filings and monthly values of a dataset spilt by block of companies.
struct Spilt {
    block: usize,
    filings: Option<spill::FilingSpill>,
    tax: Option<spill::GridBlocks>,
    social: Option<spill::GridBlocks>,
    /// Kept until the blocks are read (the files are removed with it, last).
    _dir: spill::SpillDir,
}

/// What ingestion hands the panel: a whole [`Dataset`], or, with more companies than a
/// block, the companies and judgments whole and the rest spilt by block of companies.
pub struct Ingested {
    /// The dataset; when spilt, its filings are empty and its grids have no values (their
    /// window only), and [`Ingested::block`] gives each block's. Not public: read whole,
    /// a spilt dataset would look like companies without filings or months.
    pub(crate) data: Dataset,
    spilt: Option<Spilt>,
}

impl Ingested {
    /// The whole dataset when nothing was spilt; `None` when it was: read it by
    /// [`Ingested::blocks`] and [`Ingested::block`].
    #[must_use]
    pub fn whole(&self) -> Option<&Dataset> {
        self.spilt.is_none().then_some(&self.data)
    }

    /// Every company, in order (whole, spilt or not).
    #[must_use]
    pub fn companies(&self) -> &Companies {
        &self.data.companies
    }

    /// The blocks of companies, in order (one block when nothing was spilt).
    #[must_use]
    pub fn blocks(&self) -> Vec<std::ops::Range<usize>> {
        let n = self.data.companies.len();
        let size = self.spilt.as_ref().map_or(n.max(1), |s| s.block);
        (0..n.max(1)).step_by(size).map(|lo| lo..(lo + size).min(n)).collect()
    }

    /// The dataset of the companies `range` (one of [`Ingested::blocks`], asked in order),
    /// indexed from its first company; `None` when nothing was spilt (the dataset is then
    /// [`Ingested::whole`]).
    pub fn block(&self, range: &std::ops::Range<usize>) -> Result<Option<Dataset>> {
        let Some(spilt) = &self.spilt else { return Ok(None) };
        let d = &self.data;
        let (lo, hi) = (range.start, range.end);
        let first = u32::try_from(lo).expect("u32 companies");
        let rebase = |offsets: &[usize]| -> Vec<usize> {
            offsets[lo..=hi].iter().map(|o| o - offsets[lo]).collect()
        };
        let filing_offsets = rebase(&d.filing_offsets);
        let filings = match &spilt.filings {
            Some(f) => f.read(d.filing_offsets[lo], filing_offsets[hi - lo], lo)?,
            None => Vec::new(),
        };
        let events = d.events[d.event_offsets[lo]..d.event_offsets[hi]]
            .iter()
            .map(|e| Event { company: e.company - first, ..*e })
            .collect();
        let grid = |blocks: &Option<spill::GridBlocks>, whole: &MonthlyGrid| match blocks {
            Some(b) => b.load(range),
            None => Ok(MonthlyGrid::new(whole.start, whole.len, hi - lo)),
        };
        let tax = grid(&spilt.tax, &d.tax)?;
        let social = match &d.social {
            Some(s) => Some(grid(&spilt.social, s)?),
            None => None,
        };
        Ok(Some(Dataset {
            companies: d.companies.slice(range),
            filings,
            filing_offsets,
            events,
            event_offsets: rebase(&d.event_offsets),
            tax,
            social,
            latest_month: d.latest_month,
            present: d.present.clone(),
            counts: d.counts.clone(),
        }))
    }
}

/// Reads and validates every source of `dir` (spilling by block of companies when there
/// are more than `opts.block_companies`).
pub fn ingest(
    dir: &Path,
    pseudo: &Pseudonymiser,
    opts: &IngestOptions,
    rejects: &mut RejectLog,
) -> Result<Ingested> {
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
    let present: Vec<&'static str> =
        source::ALL.iter().zip(&found).filter(|(_, f)| f.is_some()).map(|(s, _)| s.name).collect();
    let [companies_f, filings_f, tax_f, social_f, events_f] =
        <[_; 5]>::try_from(found).expect("five sources");
    let (companies_path, companies_fmt) = companies_f.expect("required");
    let raw = source::read(&source::COMPANIES, &companies_path, companies_fmt, None)?;
    let mut c = Counter::new(&raw, rejects);
    let companies = validate_companies(&raw, pseudo, &mut c)?;
    counts.insert("companies", c.finish());
    drop(raw);
    let n = companies.len();
    let block = opts.block_companies.max(1);
    if n.div_ceil(block) > spill::MAX_BLOCKS {
        return Err(Error::Arguments(format!(
            "{n} companies in blocks of {block} make {} blocks; at most {}: use blocks of at \
             least {} companies",
            n.div_ceil(block),
            spill::MAX_BLOCKS,
            n.div_ceil(spill::MAX_BLOCKS)
        )));
    }
    let spill_dir = if n > block { Some(spill::SpillDir::new()?) } else { None };
    let mut filing_spill = None;
    let mut filed_range = None;

    let (filings, filing_offsets) = if let Some((filings_path, filings_fmt)) = filings_f {
        let mut c = Counter::start(&source::FILINGS, &filings_path, rejects);
        // For the nightly panel (its months known) a Parquet file is read twice: first the keys
        // of every return, to choose the few that can matter, then the amounts of those only
        // (holding every return's amounts cost 1.2 GB for 1,000,000 companies × 8 years).
        let two_reads = opts.panel_months.is_some() && matches!(filings_fmt, Format::Parquet);
        let (mut keys, mut first_values) = (Vec::new(), Vec::new());
        source::read_batches(
            &source::FILINGS,
            &filings_path,
            filings_fmt,
            None,
            opts.batch_rows,
            &mut |raw| {
                c.add(&raw);
                filing_keys(
                    &raw,
                    &companies,
                    &mut c,
                    &mut keys,
                    (!two_reads).then_some(&mut first_values),
                )
            },
        )?;
        let chosen = choose_filings(keys, opts.panel_months, &mut c);
        let values = if two_reads {
            let mut by_row: Vec<(u32, u32)> =
                chosen.iter().zip(0u32..).map(|(k, i)| (k.row, i)).collect();
            by_row.sort_unstable();
            let mut values = vec![[f64::NAN; 16]; chosen.len()];
            let mut found = 0;
            source::read_batches(
                &source::FILINGS,
                &filings_path,
                filings_fmt,
                None,
                opts.batch_rows,
                &mut |raw| filing_values(&raw, &by_row, &mut values, &mut found),
            )?;
            if found != chosen.len() {
                return Err(Error::Unreadable {
                    path: filings_path,
                    message: "the file changed while it was read".into(),
                });
            }
            values
        } else {
            first_values
        };
        let filed = chosen.iter().map(|k| k.filed.month());
        filed_range = filed.clone().min().zip(filed.max());
        let out = if let Some(dir) = &spill_dir {
            debug_assert!(chosen.is_sorted_by_key(|k| k.company), "sorted by company");
            filing_spill = Some(spill::FilingSpill::write(dir, chosen_filings(&chosen, &values))?);
            (Vec::new(), offsets_of(chosen.iter().map(|k| k.company), n))
        } else {
            filings_of(&chosen, &values, n)
        };
        counts.insert("filings", c.finish());
        out
    } else {
        counts.insert("filings", SourceCounts::default());
        (Vec::new(), vec![0; companies.len() + 1])
    };

    let (events, event_offsets) = if let Some((events_path, events_fmt)) = events_f {
        let raw = source::read(&source::EVENTS, &events_path, events_fmt, None)?;
        let mut c = Counter::new(&raw, rejects);
        let out = validate_events(&raw, &companies, &mut c)?;
        counts.insert("events", c.finish());
        out
    } else {
        counts.insert("events", SourceCounts::default());
        (Vec::new(), vec![0; companies.len() + 1])
    };

    // The extraction's months: those of `tax_monthly`, else of `social_monthly`, else the
    // filing and judgment dates.
    let tax_profile = tax_f.as_ref().map(|(p, f)| month_profile(p, *f)).transpose()?;
    let social_profile = social_f.as_ref().map(|(p, f)| month_profile(p, *f)).transpose()?;
    let extraction = tax_profile
        .as_ref()
        .and_then(|p| p.range)
        .or_else(|| social_profile.as_ref().and_then(|p| p.range))
        .or_else(|| dated_range(filed_range, &events));
    let latest_month = extraction.map(|r| r.1);
    let window = opts
        .monthly_window
        .or(extraction)
        .unwrap_or((Month::new(2000, 1).expect("valid"), Month::new(2000, 1).expect("valid")));
    let also = |p: &MonthProfile| {
        p.malformed.iter().cloned().chain(p.stray.iter().map(ToString::to_string)).collect()
    };
    let mw = MonthWindow { from: window.0.to_string(), to: window.1.to_string(), also: vec![] };
    let len = (window.1.since(window.0) + 1).max(0) as usize;

    // An absent monthly source is a grid of no month: its features are missing.
    let sink = |name: &str| -> Result<GridSink> {
        Ok(match &spill_dir {
            Some(dir) => {
                GridSink::Spill(spill::GridSpill::new(dir, name, (window.0, len), n, block)?)
            }
            None => GridSink::Dense(MonthlyGrid::new(window.0, len, n)),
        })
    };
    // Each monthly source into its grid (or its spill); `None` when it is absent.
    let mut monthly = |found: Option<(std::path::PathBuf, Format)>,
                       profile: Option<&MonthProfile>,
                       spec: &'static SourceSpec,
                       kind: MonthlyKind|
     -> Result<Option<(MonthlyGrid, Option<spill::GridBlocks>)>> {
        let (Some((path, fmt)), Some(profile)) = (found, profile) else {
            counts.insert(spec.name, SourceCounts::default());
            return Ok(None);
        };
        let mw = MonthWindow { also: also(profile), ..mw.clone() };
        let (sink, c) = read_monthly(
            (spec, &path, fmt),
            &mw,
            (kind, profile),
            &companies,
            sink(spec.name)?,
            opts.batch_rows,
            rejects,
        )?;
        counts.insert(spec.name, c);
        sink.into_grid().map(Some)
    };
    let (tax, tax_blocks) =
        monthly(tax_f, tax_profile.as_ref(), &source::TAX_MONTHLY, MonthlyKind::Tax)?
            .unwrap_or_else(|| (MonthlyGrid::new(window.0, 0, n), None));
    let (social, social_blocks) =
        monthly(social_f, social_profile.as_ref(), &source::SOCIAL_MONTHLY, MonthlyKind::Social)?
            .map_or((None, None), |(grid, blocks)| (Some(grid), blocks));
    let spilt = spill_dir.map(|dir| Spilt {
        block,
        filings: filing_spill,
        tax: tax_blocks,
        social: social_blocks,
        _dir: dir,
    });

    let data = Dataset {
        companies,
        filings,
        filing_offsets,
        events,
        event_offsets,
        tax,
        social,
        latest_month,
        present,
        counts,
    };
    Ok(Ingested { data, spilt })
}

/// The months from the earliest filing date to the latest filing or judgment date (the
/// extraction's, when no monthly source gives it), given the range of the filing months.
fn dated_range(filed: Option<(Month, Month)>, events: &[Event]) -> Option<(Month, Month)> {
    let (first, last) = filed?;
    Some((first, events.iter().map(|e| e.date.month()).fold(last, Month::max)))
}

/// Validates a monthly source (its spec, file and format) batch by batch into `grid`.
fn read_monthly(
    (spec, path, format): (&'static SourceSpec, &Path, Format),
    window: &MonthWindow,
    (kind, profile): (MonthlyKind, &MonthProfile),
    companies: &Companies,
    mut grid: GridSink,
    batch_rows: usize,
    rejects: &mut RejectLog,
) -> Result<(GridSink, SourceCounts)> {
    let mut c = Counter::start(spec, path, rejects);
    source::read_batches(spec, path, format, Some(window), batch_rows, &mut |raw| {
        c.add(&raw);
        validate_monthly(&raw, companies, &mut grid, kind, profile, &mut c)
    })?;
    Ok((grid, c.finish()))
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
    // Rows per distinct `month` value. A Parquet file is counted by slices: its month
    // column alone, read whole, held 1.5 GB for 1,000,000 companies × 8 years.
    let mut per_value: BTreeMap<String, u64> = BTreeMap::new();
    let mut count = |lf: LazyFrame| -> Result<()> {
        let df = lf
            .select([col("month")])
            .group_by([col("month")])
            .agg([len().alias("rows")])
            .collect()
            .map_err(|e| err(&e))?;
        let months = df.column("month").map_err(|e| err(&e))?;
        let Ok(months) = months.str() else {
            return Err(Error::WrongType {
                path: path.to_owned(),
                column: "month".into(),
                expected: "string",
                found: months.dtype().to_string(),
            });
        };
        let counts =
            df.column("rows").and_then(|c| c.cast(&DataType::UInt64)).map_err(|e| err(&e))?;
        let counts = counts.u64().map_err(|e| err(&e))?;
        for (m, n) in months.iter().zip(counts.iter()) {
            if let (Some(m), Some(n)) = (m, n) {
                *per_value.entry(m.to_owned()).or_default() += n;
            }
        }
        Ok(())
    };
    match format {
        Format::Parquet => {
            let p = path.to_str().ok_or_else(|| err(&"path is not UTF-8"))?;
            let scan = || {
                LazyFrame::scan_parquet(PlRefPath::new(p), ScanArgsParquet::default())
                    .map_err(|e| err(&e))
            };
            let total = scan()?.select([len()]).collect().map_err(|e| err(&e))?;
            let total = total.column("len").and_then(|c| c.get(0)).map_err(|e| err(&e))?;
            let total = total.extract::<usize>().unwrap_or(0);
            let step = source::BATCH_ROWS * 4;
            for first in (0..total.max(1)).step_by(step) {
                let first_i = i64::try_from(first).map_err(|e| err(&e))?;
                count(scan()?.slice(first_i, IdxSize::try_from(step).unwrap_or(IdxSize::MAX)))?;
            }
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
            count(df.lazy())?;
        }
    }
    let mut valid: Vec<(Month, u64)> = Vec::new();
    let mut malformed = Vec::new();
    for (m, &n) in &per_value {
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

/// Offsets of per-company slices of `items`, which callers have sorted by company.
fn csr<T>(items: Vec<T>, n: usize, company: impl Fn(&T) -> u32) -> (Vec<T>, Vec<usize>) {
    debug_assert!(items.windows(2).all(|w| company(&w[0]) <= company(&w[1])), "sorted by company");
    let offsets = offsets_of(items.iter().map(company), n);
    (items, offsets)
}

/// The offsets of the per-company slices of items of these companies (in company order).
fn offsets_of(companies: impl Iterator<Item = u32>, n: usize) -> Vec<usize> {
    let mut offsets = vec![0usize; n + 1];
    for c in companies {
        offsets[c as usize + 1] += 1;
    }
    for k in 0..n {
        offsets[k + 1] += offsets[k];
    }
    offsets
}
