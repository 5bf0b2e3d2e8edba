//! The point-in-time company × month panel: features from data available at each month,
//! labels looking forward 6 / 12 / 18 / 24 months.
//!
//! Point-in-time rules (the invariant this module exists for):
//! - a filing counts from the month of its filing date (it is available at the end of
//!   that month), never from its fiscal year end;
//! - a monthly source row for period `t` counts from month `t + lag` (publication lag);
//! - the exclusion status of month `m` (not yet created, closed, in procedure) uses
//!   judgments dated in or before `m` only;
//! - labels use judgments after `m`, and are null when `m + H` is later than the
//!   observation end (`as_of`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use vigie_core::features::{self, CATALOGUE};
use vigie_core::{Horizon, Month};

use crate::ingest::{self, Dataset, EventKind, Filing, IngestOptions, Ingested, MonthlyGrid};
use crate::rejects::{RejectLog, SourceCounts};
use crate::table::{Col, Table};
use crate::{Error, Result};
use vigie_core::Pseudonymiser;

/// The longest publication lag accepted, in months (three years; a longer one is a typo).
pub const MAX_LAG_MONTHS: u32 = 36;

/// Months of history before the lag-adjusted month that the monthly features read
/// (12-month means of a value observed 12 months earlier).
pub const LOOKBACK_MONTHS: i32 = 23;

/// Panel options.
#[derive(Debug, Clone)]
pub struct PanelOptions {
    /// First month of the panel; default: the first month of `tax_monthly` plus its lag
    /// (of `social_monthly` without it, else the first filing's month).
    pub from: Option<Month>,
    /// Last month; default: the extraction month (the latest month of `tax_monthly`, else
    /// of `social_monthly`, else the latest filing or judgment date's).
    pub to: Option<Month>,
    /// Keep one month in `step` (1 = every month; 3 = quarterly snapshots from `from`).
    pub step: u32,
    /// Publication lag of `tax_monthly`, in months.
    pub tax_lag: u32,
    /// Publication lag of `social_monthly`, in months.
    pub social_lag: u32,
    /// Observation end for labels; default: the extraction month.
    pub as_of: Option<Month>,
    /// Keep the company-months already in procedure, flagged in an `in_procedure`
    /// column, instead of leaving them out (to measure what excluding them changes; never
    /// to train on).
    pub keep_in_procedure: bool,
    /// Rows of a Parquet source read at a time (see [`IngestOptions::batch_rows`]).
    pub batch_rows: usize,
    /// Companies built at a time (see [`IngestOptions::block_companies`]); the panel is
    /// the same whatever the block size.
    pub block_companies: usize,
}

impl Default for PanelOptions {
    fn default() -> Self {
        Self {
            from: None,
            to: None,
            step: 1,
            tax_lag: 1,
            social_lag: 2,
            as_of: None,
            keep_in_procedure: false,
            batch_rows: crate::source::BATCH_ROWS,
            block_companies: ingest::BLOCK_COMPANIES,
        }
    }
}

/// Observed label counts of one horizon.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LabelRate {
    /// Rows whose horizon is fully observed.
    pub observed: usize,
    /// Of which a procedure opened within the horizon.
    pub positives: usize,
    /// `positives / observed` (null when nothing is observed).
    pub rate: Option<f64>,
}

/// Company-months left out of the panel, by reason.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Excluded {
    /// The company did not exist yet.
    pub not_yet_created: usize,
    /// The company was closed (closure date or closure judgment).
    pub closed: usize,
    /// A collective procedure was open.
    pub in_procedure: usize,
}

/// What `vigie panel` prints.
#[derive(Debug, Clone, Serialize)]
pub struct PanelSummary {
    /// Counts per source.
    pub sources: BTreeMap<&'static str, SourceCounts>,
    /// The sources found; the others were absent, and their features are missing.
    pub sources_present: Vec<&'static str>,
    /// The feature groups whose source was present (`financial`: filings; `tax` and
    /// `activity`: tax_monthly; `social`: social_monthly; `profile`: companies).
    pub feature_groups_present: Vec<&'static str>,
    /// Total rows rejected, all sources.
    pub rows_rejected: usize,
    /// First and last month of the panel.
    pub from: String,
    /// Last month of the panel.
    pub to: String,
    /// Month step.
    pub step: u32,
    /// Observation end of the labels.
    pub as_of: String,
    /// Publication lags used.
    pub tax_lag_months: u32,
    /// Publication lags used.
    pub social_lag_months: u32,
    /// Companies read.
    pub companies: usize,
    /// Panel rows written.
    pub rows_written: usize,
    /// Company-months excluded, by reason (with `keep_in_procedure`, those in procedure
    /// are counted here and written, flagged).
    pub excluded: Excluded,
    /// Companies excluded at one month at least because closed or in procedure.
    pub companies_excluded: usize,
    /// Label rates per horizon.
    pub label_rates: BTreeMap<&'static str, LabelRate>,
    /// 18-month label rate per calendar year of the panel month.
    pub label_18m_rate_by_year: BTreeMap<i32, LabelRate>,
}

/// A built panel: the table and its summary.
pub struct Panel {
    /// Columns: `company_id`, `month`, `departement`, `naf`, `size_band`, the features of
    /// the catalogue, `label_6m` … `label_24m`.
    pub table: Table,
    /// Counts.
    pub summary: PanelSummary,
    /// Months in which a collective procedure opened, by pseudonymous company id (every
    /// judgment read, whatever the panel's months): what became of the companies, for
    /// the backtesting of past runs.
    pub openings: std::collections::HashMap<String, Vec<Month>>,
}

/// Reads the sources of `dir` and builds the panel.
pub fn build(
    dir: &Path,
    pseudo: &Pseudonymiser,
    opts: &PanelOptions,
    rejects: &mut RejectLog,
) -> Result<Panel> {
    if opts.step == 0 {
        return Err(Error::Arguments("--step must be at least 1".into()));
    }
    if let (Some(f), Some(t)) = (opts.from, opts.to)
        && f > t
    {
        return Err(Error::Arguments(format!("--from {f} is after --to {t}")));
    }
    if opts.tax_lag.max(opts.social_lag) > MAX_LAG_MONTHS {
        return Err(Error::Arguments(format!(
            "publication lags must be at most {MAX_LAG_MONTHS} months (tax {}, social {})",
            opts.tax_lag, opts.social_lag
        )));
    }
    let max_lag = opts.tax_lag.max(opts.social_lag) as i32;
    let min_lag = opts.tax_lag.min(opts.social_lag) as i32;
    let window = match (opts.from, opts.to) {
        (Some(f), Some(t)) => Some((f.plus(-max_lag - LOOKBACK_MONTHS), t.plus(-min_lag))),
        _ => None,
    };
    let panel_months = opts.from.zip(opts.to);
    let ingested = ingest::ingest(
        dir,
        pseudo,
        &IngestOptions {
            monthly_window: window,
            panel_months,
            batch_rows: opts.batch_rows,
            block_companies: opts.block_companies,
        },
        rejects,
    )?;
    let data = &ingested.data;
    let latest = data.latest_month.ok_or_else(|| {
        Error::Arguments(
            "no month to place the panel in time: tax_monthly and social_monthly have no \
             valid month, and there is no filing or judgment"
                .into(),
        )
    })?;
    let to = opts.to.unwrap_or(latest);
    // The first month the monthly sources can describe (their lag past their first month);
    // without any, the first month with a filing.
    let lag = if data.tax.len > 0 {
        opts.tax_lag
    } else if data.social.is_some() {
        opts.social_lag
    } else {
        0
    };
    let from = opts.from.unwrap_or_else(|| data.tax.start.plus(lag as i32));
    if from > to {
        return Err(Error::Arguments(format!("empty month range: {from} to {to}")));
    }
    let as_of = opts.as_of.unwrap_or(latest);
    let months: Vec<Month> = from.through(to).step_by(opts.step as usize).collect();
    assemble(&ingested, &months, opts, as_of, rejects.len())
}

/// The feature groups the sources `present` feed.
fn groups_present(present: &[&str]) -> Vec<&'static str> {
    let has = |s: &str| present.contains(&s);
    [
        ("financial", has("filings")),
        ("tax", has("tax_monthly")),
        ("activity", has("tax_monthly")),
        ("social", has("social_monthly")),
        ("profile", has("companies")),
    ]
    .into_iter()
    .filter_map(|(g, p)| p.then_some(g))
    .collect()
}

/// Per-company output of the panel builder.
#[derive(Default)]
struct Chunk {
    company: Vec<u32>,
    month: Vec<u16>,
    in_procedure: Vec<Option<u8>>,
    features: Vec<f64>,
    labels: [Vec<Option<u8>>; 4],
    excluded: Excluded,
    companies_excluded: usize,
}

/// The distinct texts of `texts` (in order of first appearance) and the index of each
/// text in them.
fn dictionary(texts: &[&str]) -> (Arc<Vec<String>>, Vec<u32>) {
    let mut dict: Vec<String> = Vec::new();
    let mut seen: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let idx = texts
        .iter()
        .map(|&t| {
            *seen.entry(t).or_insert_with(|| {
                dict.push(t.to_owned());
                u32::try_from(dict.len() - 1).expect("fewer than 2^32 distinct texts")
            })
        })
        .collect();
    (Arc::new(dict), idx)
}

fn assemble(
    ingested: &Ingested,
    months: &[Month],
    opts: &PanelOptions,
    as_of: Month,
    rejected: usize,
) -> Result<Panel> {
    const CHUNK: usize = 2048;
    // Chunks are built in parallel a group at a time and appended to the columns before the
    // next group: the rows are never held twice whole (row-major in the chunks, by column
    // in the table), which was the peak of the one-month panel of 5,000,000 companies.
    const GROUP: usize = 8;
    let n = ingested.data.companies.len();
    let k = CATALOGUE.len();
    // Room for every row there can be (a row per company and month): address space only,
    // pages become resident as rows are written, and no column is copied as it grows.
    let most = n * months.len();
    let mut company = Vec::with_capacity(most);
    let mut month = Vec::with_capacity(most);
    let mut in_procedure = Vec::with_capacity(most);
    let mut feats: Vec<Vec<f64>> = (0..k).map(|_| Vec::with_capacity(most)).collect();
    let mut labels: [Vec<Option<u8>>; 4] = std::array::from_fn(|_| Vec::with_capacity(most));
    let mut excluded = Excluded::default();
    let mut companies_excluded = 0;
    // Block after block of companies (one block when nothing was spilt), each block's
    // companies indexed from its first.
    for range in ingested.blocks() {
        let part = ingested.block(&range)?;
        let data = part.as_ref().unwrap_or(&ingested.data);
        let first = u32::try_from(range.start).expect("u32 companies");
        let starts: Vec<usize> = (0..range.len()).step_by(CHUNK).collect();
        for group in starts.chunks(GROUP) {
            let chunks: Vec<Chunk> = group
                .par_iter()
                .map(|&s| {
                    let mut out = Chunk::default();
                    let mut scratch = Series::default();
                    for c in s..(s + CHUNK).min(range.len()) {
                        company_rows(data, c as u32, months, opts, as_of, &mut scratch, &mut out);
                    }
                    out
                })
                .collect();
            for ch in chunks {
                company.extend(ch.company.iter().map(|&c| c + first));
                month.extend(ch.month.iter().map(|&m| u32::from(m)));
                in_procedure.extend_from_slice(&ch.in_procedure);
                for (j, f) in feats.iter_mut().enumerate() {
                    f.extend(ch.features.iter().skip(j).step_by(k));
                }
                for (h, l) in labels.iter_mut().enumerate() {
                    l.extend_from_slice(&ch.labels[h]);
                }
                excluded.not_yet_created += ch.excluded.not_yet_created;
                excluded.closed += ch.excluded.closed;
                excluded.in_procedure += ch.excluded.in_procedure;
                companies_excluded += ch.companies_excluded;
            }
        }
    }
    let data = &ingested.data;

    // Label rates, overall and per year (18 months), over the rows a model trains on.
    let trainable = |i: &usize| in_procedure[*i] != Some(1);
    let mut label_rates = BTreeMap::new();
    for (h, horizon) in Horizon::ALL.iter().enumerate() {
        label_rates.insert(
            horizon.label_column(),
            rate((0..labels[h].len()).filter(trainable).map(|i| labels[h][i])),
        );
    }
    let mut labels_by_year: BTreeMap<i32, Vec<Option<u8>>> = BTreeMap::new();
    for (i, l) in labels[2].iter().enumerate().filter(|(i, _)| trainable(i)) {
        labels_by_year.entry(months[month[i] as usize].year()).or_default().push(*l);
    }
    let by_year: BTreeMap<i32, LabelRate> = labels_by_year
        .into_iter()
        .map(|(year, l)| (year, rate(l.into_iter())))
        .filter(|(_, r)| r.observed > 0)
        .collect();

    let c = &data.companies;
    let ids = Arc::new(c.id.iter().map(|id| id.as_str().to_owned()).collect::<Vec<_>>());
    let month_names = Arc::new(months.iter().map(ToString::to_string).collect::<Vec<_>>());
    // The few distinct départements, activities and size bands, each row an index into
    // them (one text per company was 0.8 GB at 5,000,000 companies).
    let by_row = |texts: Vec<&str>| {
        let (dict, of_company) = dictionary(&texts);
        Col::Dict(dict, company.iter().map(|&c| of_company[c as usize]).collect())
    };
    let deps = by_row(c.departement.iter().map(vigie_core::Departement::as_str).collect());
    let nafs = by_row(c.naf.iter().map(vigie_core::Naf::as_str).collect());
    let bands = by_row(c.band.iter().map(|b| b.size_band().as_str()).collect());
    let mut cols: Vec<(String, Col)> = vec![
        ("company_id".into(), Col::Dict(ids, company)),
        ("month".into(), Col::Dict(month_names, month)),
        ("departement".into(), deps),
        ("naf".into(), nafs),
        ("size_band".into(), bands),
    ];
    for (spec, f) in CATALOGUE.iter().zip(feats) {
        cols.push((spec.name.into(), Col::F64(f)));
    }
    for (h, l) in Horizon::ALL.iter().zip(labels) {
        cols.push((h.label_column().into(), Col::U8(l)));
    }
    if opts.keep_in_procedure {
        cols.push(("in_procedure".into(), Col::U8(in_procedure)));
    }
    let table = Table::new(cols);
    let summary = PanelSummary {
        sources: data.counts.clone(),
        sources_present: data.present.clone(),
        feature_groups_present: groups_present(&data.present),
        rows_rejected: rejected,
        from: months[0].to_string(),
        to: months[months.len() - 1].to_string(),
        step: opts.step,
        as_of: as_of.to_string(),
        tax_lag_months: opts.tax_lag,
        social_lag_months: opts.social_lag,
        companies: n,
        rows_written: table.height(),
        excluded,
        companies_excluded,
        label_rates,
        label_18m_rate_by_year: by_year,
    };
    let mut openings: std::collections::HashMap<String, Vec<Month>> =
        std::collections::HashMap::new();
    for e in data.events.iter().filter(|e| e.kind.is_opening()) {
        openings
            .entry(data.companies.id[e.company as usize].as_str().to_owned())
            .or_default()
            .push(e.date.month());
    }
    Ok(Panel { table, summary, openings })
}

fn rate(it: impl Iterator<Item = Option<u8>>) -> LabelRate {
    let mut r = LabelRate::default();
    for v in it.flatten() {
        r.observed += 1;
        r.positives += usize::from(v);
    }
    r.rate = (r.observed > 0).then(|| r.positives as f64 / r.observed as f64);
    r
}

/// Per-company series derived from the monthly grids, indexed like the grid window.
#[derive(Default)]
struct Series {
    /// 12 × mean VAT turnover over the 12 months ending at t (NaN if none declared).
    vat_annual: Vec<f64>,
    /// Tax arrears / annualised VAT turnover at t.
    tax_ratio: Vec<f64>,
    /// Mean monthly contributions called over the 12 months ending at t.
    soc_called_mean: Vec<f64>,
    /// Social debt in months of contributions at t.
    soc_ratio: Vec<f64>,
}

fn nan_mean(it: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0u32);
    for x in it.filter(|x| !x.is_nan()) {
        s += x;
        n += 1;
    }
    if n == 0 { f64::NAN } else { s / f64::from(n) }
}

use vigie_core::accounts::div_pos;

impl Series {
    fn fill(&mut self, data: &Dataset, c: u32) {
        let g = &data.tax;
        let base = c as usize * g.len;
        let a = |t: usize| f64::from(g.a[base + t]);
        self.vat_annual.clear();
        self.tax_ratio.clear();
        for t in 0..g.len {
            let lo = t.saturating_sub(11);
            let annual = 12.0 * nan_mean((lo..=t).map(a));
            self.vat_annual.push(annual);
            let arrears = if g.flags[base + t] & MonthlyGrid::PRESENT != 0 {
                f64::from(g.b[base + t])
            } else {
                f64::NAN
            };
            self.tax_ratio.push(div_pos(arrears, annual));
        }
        self.soc_called_mean.clear();
        self.soc_ratio.clear();
        if let Some(s) = &data.social {
            let base = c as usize * s.len;
            for t in 0..s.len {
                let lo = t.saturating_sub(11);
                let mean = nan_mean((lo..=t).map(|u| f64::from(s.a[base + u])));
                self.soc_called_mean.push(mean);
                let overdue = if s.flags[base + t] & MonthlyGrid::PRESENT != 0 {
                    f64::from(s.b[base + t])
                } else {
                    f64::NAN
                };
                self.soc_ratio.push(div_pos(overdue, mean));
            }
        }
    }
}

/// Procedure status of a company at the end of a month, from judgments up to that month.
#[derive(Default, Clone, Copy)]
struct Status {
    in_procedure: bool,
    closed: bool,
    past_procedure: bool,
}

fn company_rows(
    data: &Dataset,
    c: u32,
    months: &[Month],
    opts: &PanelOptions,
    as_of: Month,
    series: &mut Series,
    out: &mut Chunk,
) {
    let cs = &data.companies;
    let ci = c as usize;
    let events = &data.events[data.event_offsets[ci]..data.event_offsets[ci + 1]];
    let filings = &data.filings[data.filing_offsets[ci]..data.filing_offsets[ci + 1]];
    let created = cs.creation[ci].month();
    let closure = cs.closure[ci].map(vigie_core::Date::month);
    series.fill(data, c);
    let mut was_excluded = false;
    for (mi, &m) in months.iter().enumerate() {
        if m < created {
            out.excluded.not_yet_created += 1;
            continue;
        }
        let mut st = Status::default();
        for e in events.iter().take_while(|e| e.date.month() <= m) {
            match e.kind {
                k if k.is_opening() => st.in_procedure = true,
                EventKind::PlanAdoption => {
                    st.in_procedure = false;
                    st.past_procedure = true;
                }
                _ => st.closed = true,
            }
        }
        if st.closed || closure.is_some_and(|cl| cl <= m) {
            out.excluded.closed += 1;
            was_excluded = true;
            continue;
        }
        if st.in_procedure {
            out.excluded.in_procedure += 1;
            was_excluded = true;
            if !opts.keep_in_procedure {
                continue;
            }
        }
        out.company.push(c);
        out.month.push(mi as u16);
        out.in_procedure.push(Some(u8::from(st.in_procedure)));
        let first_opening = events
            .iter()
            .find(|e| e.kind.is_opening() && e.date.month() > m)
            .map(|e| e.date.month());
        for (h, horizon) in Horizon::ALL.iter().enumerate() {
            let end = m.plus(horizon.months());
            out.labels[h].push(if end > as_of {
                None
            } else {
                Some(u8::from(first_opening.is_some_and(|d| horizon.covers(m, d))))
            });
        }
        let start = out.features.len();
        out.features.resize(start + CATALOGUE.len(), f64::NAN);
        features_at(data, c, m, opts, filings, st, series, &mut out.features[start..]);
    }
    if was_excluded {
        out.companies_excluded += 1;
    }
}

/// The latest filing available at `m` and the one before it (by fiscal year end).
fn latest_filings(filings: &[Filing], m: Month) -> (Option<&Filing>, Option<&Filing>) {
    let mut avail = filings.iter().filter(|f| f.filed.month() <= m);
    // Filings are sorted by fiscal year end: the last two available are F and F-1.
    let mut last = None;
    let mut prev = None;
    for f in avail.by_ref() {
        prev = last;
        last = Some(f);
    }
    (last, prev)
}

#[allow(clippy::too_many_arguments)]
fn features_at(
    data: &Dataset,
    c: u32,
    m: Month,
    opts: &PanelOptions,
    filings: &[Filing],
    st: Status,
    s: &Series,
    out: &mut [f64],
) {
    // Feature positions are resolved at compile time (a misspelt name fails the build).
    macro_rules! set {
        ($name:literal, $v:expr $(,)?) => {{
            const I: usize = features::index_const($name);
            out[I] = $v;
        }};
    }
    let cs = &data.companies;
    let ci = c as usize;

    // Financial health from the latest available filing.
    let (f, fp) = latest_filings(filings, m);
    let v = |f: &Filing, name: &str| {
        f.values[ingest::FILING_AMOUNTS.iter().position(|n| *n == name).expect("amount")]
    };
    if let Some(f) = f {
        vigie_core::accounts::financial_features(&f.values, fp.map(|p| &p.values), out);
        set!("fin_filing_age", f64::from(m.since(f.year_end.month())));
        set!("fin_filing_delay", f64::from(f.filed.month().since(f.year_end.month())));
    }

    // Tax and activity, at the latest published month L.
    let g = &data.tax;
    let l = m.plus(-(opts.tax_lag as i32)).since(g.start);
    let at = |series: &[f64], t: i32| -> f64 {
        if t >= 0 && (t as usize) < series.len() { series[t as usize] } else { f64::NAN }
    };
    let base = ci * g.len;
    let flags = |t: i32| -> u8 {
        if t >= 0 && (t as usize) < g.len { g.flags[base + t as usize] } else { 0 }
    };
    let vat = |t: i32| -> f64 {
        if t >= 0 && (t as usize) < g.len { f64::from(g.a[base + t as usize]) } else { f64::NAN }
    };
    let ratio = at(&s.tax_ratio, l);
    set!("tax_arrears_ratio", ratio);
    set!("tax_arrears_ratio_lag3", at(&s.tax_ratio, l - 3));
    set!("tax_arrears_ratio_lag6", at(&s.tax_ratio, l - 6));
    set!("tax_arrears_ratio_lag12", at(&s.tax_ratio, l - 12));
    set!("tax_arrears_trend_6m", ratio - at(&s.tax_ratio, l - 6));
    let present: Vec<i32> =
        (l - 11..=l).filter(|&t| flags(t) & MonthlyGrid::PRESENT != 0).collect();
    if !present.is_empty() {
        let count =
            |pred: &dyn Fn(i32) -> bool| present.iter().filter(|&&t| pred(t)).count() as f64;
        set!("tax_arrears_months_12m", count(&|t| g.b[base + t as usize] > 0.0));
        set!("tax_late_declarations_12m", count(&|t| flags(t) & MonthlyGrid::LATE != 0));
    }
    if flags(l) & MonthlyGrid::PRESENT != 0 {
        set!("tax_payment_plan", f64::from(u8::from(flags(l) & MonthlyGrid::PLAN != 0)));
    }
    let mean_vat = |lo: i32, hi: i32| nan_mean((lo..=hi).map(vat));
    set!("act_vat_growth_yoy", div_pos(mean_vat(l - 2, l), mean_vat(l - 14, l - 12)) - 1.0);
    set!("act_vat_trend_6m", div_pos(mean_vat(l - 5, l), mean_vat(l - 11, l - 6)) - 1.0);
    if let Some(f) = f {
        set!("act_vat_to_filing_turnover", div_pos(at(&s.vat_annual, l), v(f, "turnover")));
    }

    // Social debt, at the latest published month of the social source.
    if let Some(sg) = &data.social {
        let ls = m.plus(-(opts.social_lag as i32)).since(sg.start);
        let sbase = ci * sg.len;
        let sflags = |t: i32| -> u8 {
            if t >= 0 && (t as usize) < sg.len { sg.flags[sbase + t as usize] } else { 0 }
        };
        let r = at(&s.soc_ratio, ls);
        set!("soc_debt_ratio", r);
        set!("soc_debt_ratio_lag3", at(&s.soc_ratio, ls - 3));
        set!("soc_debt_ratio_lag6", at(&s.soc_ratio, ls - 6));
        set!("soc_debt_ratio_lag12", at(&s.soc_ratio, ls - 12));
        set!("soc_debt_mean_12m", nan_mean((ls - 11..=ls).map(|t| at(&s.soc_ratio, t))));
        let present: Vec<i32> =
            (ls - 11..=ls).filter(|&t| sflags(t) & MonthlyGrid::PRESENT != 0).collect();
        if !present.is_empty() {
            let months = present.iter().filter(|&&t| sg.b[sbase + t as usize] > 0.0).count();
            set!("soc_debt_months_12m", months as f64);
        }
        if sflags(ls) & MonthlyGrid::PRESENT != 0 {
            set!("soc_payment_plan", f64::from(u8::from(sflags(ls) & MonthlyGrid::PLAN != 0)));
        }
    }

    // Profile.
    set!("prof_age_years", f64::from(m.since(cs.creation[ci].month())) / 12.0);
    let filed_headcount = f.map_or(f64::NAN, |f| v(f, "headcount"));
    let headcount = if filed_headcount.is_nan() {
        cs.band[ci].midpoint().unwrap_or(f64::NAN)
    } else {
        filed_headcount
    };
    set!("prof_log_headcount", if headcount.is_nan() { f64::NAN } else { headcount.ln_1p() });
    // NAF sections are the consecutive letters A to U.
    set!("prof_sector", f64::from(cs.naf[ci].section() as u8 - b'A'));
    set!("prof_past_procedure", f64::from(u8::from(st.past_procedure)));
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_dictionary_holds_each_text_once_and_indexes_every_one() {
        let (dict, idx) = super::dictionary(&["75", "13", "75", "2A", "13"]);
        assert_eq!(*dict, ["75", "13", "2A"]);
        assert_eq!(idx, [0, 1, 0, 2, 1]);
        let back: Vec<&str> = idx.iter().map(|&i| dict[i as usize].as_str()).collect();
        assert_eq!(back, ["75", "13", "75", "2A", "13"]);
    }
}
