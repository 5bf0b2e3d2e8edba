//! The simulation: companies are stepped month by month (time-major, so the monthly files
//! come out sorted by month and Parquet row groups can be skipped by month), each with its
//! own random stream.

use std::path::Path;
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use vigie_core::{Date, Departement, HeadcountBand, Month, Naf, Siren};
use vigie_data::table::{Col, Table, TableWriter};

use crate::sectors::{self, SectionEcon};
use crate::{END_YEAR, GenerateOptions, Generated, Result};

/// Months simulated before the first written month, so that the first months of the
/// history already have a past (filings, arrears, episodes under way).
const BURN_IN: i32 = 24;
/// Monthly rate of distress-episode starts before multipliers.
const EPISODE_RATE: f64 = 0.0016;
/// Share of episodes that end in a judgment (the others recover).
const EPISODE_FAILS: f64 = 0.6;
/// Monthly rate of sudden failures (no visible deterioration).
const SUDDEN_RATE: f64 = 0.00015;
/// Monthly rate of voluntary closures (no procedure).
const CLOSURE_RATE: f64 = 0.0015;
/// Rows buffered before a batch (a Parquet row group) is written.
const BATCH_ROWS: usize = 1 << 20;

/// The economic climate: multiplier of failure rates by calendar year (support measures
/// in 2020–2021 kept failures low; they caught up from 2023).
fn macro_factor(year: i32) -> f64 {
    match year {
        2020 | 2021 => 0.7,
        2022 => 0.9,
        2023 => 1.2,
        2024 | 2025 => 1.3,
        _ => 1.0,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Healthy,
    Deteriorating,
    Recovering,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Proc {
    None,
    Safeguard,
    Receivership,
    Liquidation,
}

/// One company: static attributes and the latent state.
struct Company {
    rng: Xoshiro256PlusPlus,
    naf: u16,
    econ: &'static SectionEcon,
    departement: u16,
    creation: Date,
    legal_form: &'static str,
    headcount: f64,
    /// Annual turnover at full health, €.
    base_turnover: f64,
    /// Persistent weakness (standard normal): raises the episode rate and the distress
    /// floor, and shows in the accounts (thinner margins and equity, more debt).
    frailty: f64,
    /// How visible distress is in tax and social arrears (some failing companies keep
    /// paying the state to the end).
    visibility: f64,
    /// Month of the fiscal year end (12 for most).
    fy_end: u32,
    /// Yearly growth trend.
    trend: f64,
    // Latent state.
    d: f64,
    phase: Phase,
    phase_t: i32,
    phase_len: i32,
    d0: f64,
    fails: bool,
    proc: Proc,
    proc_left: i32,
    closed: bool,
    closure: Option<Date>,
    arrears: f64,
    plan_left: i32,
    soc_emp: f64,
    soc_empr: f64,
    soc_plan_left: i32,
    equity: f64,
    debt: f64,
    growth: f64,
    // Fiscal-year accumulators.
    year_turnover: f64,
    year_d: f64,
    year_months: u32,
}

fn weighted(rng: &mut Xoshiro256PlusPlus, cumulative: &[f64]) -> usize {
    let x = rng.random::<f64>() * cumulative[cumulative.len() - 1];
    cumulative.partition_point(|&c| c <= x).min(cumulative.len() - 1)
}

fn cumulate(w: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    w.map(|x| {
        acc += x;
        acc
    })
    .collect()
}

fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

fn random_day(rng: &mut Xoshiro256PlusPlus, m: Month, not_before: Date) -> Date {
    let last = m.last_day().day();
    let first = if not_before.month() == m { not_before.day() } else { 1 };
    let day = first + rng.random_range(0..=(last - first));
    Date::new(m.year(), m.month(), day).expect("day within the month")
}

struct Tables {
    nafs: Vec<Naf>,
    naf_cum: Vec<f64>,
    deps: Vec<Departement>,
    dep_cum: Vec<f64>,
}

impl Tables {
    fn new() -> Self {
        let nafs: Vec<Naf> =
            sectors::NAF_CODES.iter().map(|(c, _)| Naf::parse(c).expect("valid NAF")).collect();
        let naf_cum = cumulate(sectors::NAF_CODES.iter().map(|x| x.1));
        let deps = Departement::all();
        let dep_cum = cumulate(deps.iter().map(|d| {
            sectors::DEPARTEMENT_WEIGHTS.iter().find(|(c, _)| *c == d.as_str()).map_or(1.0, |x| x.1)
        }));
        Self { nafs, naf_cum, deps, dep_cum }
    }
}

impl Company {
    fn new(seed: u64, i: usize, t: &Tables, start: Month, end: Month) -> Self {
        let stream = seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream);
        let naf = weighted(&mut rng, &t.naf_cum);
        let econ = sectors::econ(t.nafs[naf].section());
        let departement = weighted(&mut rng, &t.dep_cum);
        // 80 % of companies predate the history (age ~ exponential, mean 11 years); the
        // others are created during it.
        let creation_month = if rng.random::<f64>() < 0.8 {
            let age = (-rng.random::<f64>().max(1e-12).ln() * 11.0 * 12.0) as i32;
            start.plus(-BURN_IN - 1 - age.min(70 * 12))
        } else {
            let span = end.since(start).max(7) - 6;
            start.plus(rng.random_range(0..span))
        };
        let creation = random_day(&mut rng, creation_month, creation_month.first_day());
        // Heavy-tailed headcount: a Pareto tail (alpha 1.2) over a mass of very small firms.
        let u: f64 = rng.random::<f64>().max(1e-9);
        let headcount = (3.0 * u.powf(-1.0 / 1.2) - 3.0).floor().clamp(0.0, 20_000.0);
        let base_turnover =
            headcount.max(0.5) * econ.productivity * 1000.0 * (0.5 * normal(&mut rng)).exp();
        let legal_form = match headcount as u32 {
            0 => ["EI", "EURL", "SASU"][rng.random_range(0..3)],
            1..=49 => ["SARL", "SAS", "SAS"][rng.random_range(0..3)],
            _ => ["SAS", "SA"][rng.random_range(0..2)],
        };
        let frailty: f64 = normal(&mut rng);
        let visibility = 0.3 + 0.7 * rng.random::<f64>();
        let fy_end =
            if rng.random::<f64>() < 0.85 { 12 } else { [3, 6, 9][rng.random_range(0..3)] };
        let trend = 0.02 + 0.05 * normal(&mut rng);
        let assets = base_turnover * econ.assets_to_turnover;
        let equity = assets * (0.2 + 0.3 * rng.random::<f64>()) * (-0.4 * frailty).exp();
        let debt = assets * (0.1 + 0.3 * rng.random::<f64>()) * (0.3 * frailty).exp();
        Self {
            rng,
            naf: naf as u16,
            econ,
            departement: departement as u16,
            creation,
            legal_form,
            headcount,
            base_turnover,
            frailty,
            visibility,
            fy_end,
            trend,
            d: 0.1 * frailty.max(0.0),
            phase: Phase::Healthy,
            phase_t: 0,
            phase_len: 0,
            d0: 0.0,
            fails: false,
            proc: Proc::None,
            proc_left: 0,
            closed: false,
            closure: None,
            arrears: 0.0,
            plan_left: 0,
            soc_emp: 0.0,
            soc_empr: 0.0,
            soc_plan_left: 0,
            equity,
            debt,
            growth: 1.0,
            year_turnover: 0.0,
            year_d: 0.0,
            year_months: 0,
        }
    }

    fn episode_rate(&self, m: Month) -> f64 {
        let age = f64::from(m.since(self.creation.month())) / 12.0;
        let age_mult = if age < 3.0 {
            1.8
        } else if age < 5.0 {
            1.4
        } else if age < 10.0 {
            1.0
        } else {
            0.7
        };
        let size_mult = match self.headcount as u32 {
            0 => 1.0,
            1..=9 => 1.1,
            10..=49 => 0.8,
            50..=249 => 0.5,
            _ => 0.3,
        };
        EPISODE_RATE
            * self.econ.hazard
            * age_mult
            * size_mult
            * (self.frailty - 0.5).exp()
            * macro_factor(m.year())
    }
}

/// What one company produced in one month.
#[derive(Default)]
struct MonthOut {
    tax: Vec<(u32, f64, f64, u8, u8)>,
    social: Vec<(u32, f64, f64, f64, u8)>,
    filings: Vec<(u32, Date, Date, [f64; 16])>,
    events: Vec<(u32, Date, &'static str)>,
}

fn open_procedure(c: &mut Company, i: u32, m: Month, out: &mut MonthOut, sudden: bool) {
    let x: f64 = c.rng.random();
    let (proc, kind, left) = if !sudden && x < 0.1 {
        (Proc::Safeguard, "safeguard", c.rng.random_range(6..=12))
    } else if x < 0.62 {
        (Proc::Receivership, "receivership", c.rng.random_range(6..=14))
    } else {
        (Proc::Liquidation, "liquidation", c.rng.random_range(3..=15))
    };
    c.proc = proc;
    c.proc_left = left;
    c.phase = Phase::Healthy;
    c.d = c.d.max(1.0);
    out.events.push((i, random_day(&mut c.rng, m, c.creation), kind));
}

fn step(c: &mut Company, i: u32, m: Month, first_written: Month, out: &mut MonthOut) {
    if c.closed || m < c.creation.month() {
        return;
    }
    // Procedure: its next judgment.
    if c.proc == Proc::None {
        // Latent dynamics of a company outside any procedure.
        match c.phase {
            Phase::Healthy => {
                c.d = (0.85 * c.d + 0.15 * 0.1 * c.frailty.max(0.0) + 0.03 * normal(&mut c.rng))
                    .clamp(0.0, 1.5);
                if c.rng.random::<f64>() < c.episode_rate(m) {
                    c.phase = Phase::Deteriorating;
                    c.phase_t = 0;
                    c.phase_len = c.rng.random_range(6..=24);
                    c.fails = c.rng.random::<f64>() < EPISODE_FAILS;
                    c.d0 = c.d;
                } else if c.rng.random::<f64>() < SUDDEN_RATE * macro_factor(m.year()) {
                    open_procedure(c, i, m, out, true);
                } else if c.rng.random::<f64>() < CLOSURE_RATE {
                    let day = random_day(&mut c.rng, m, c.creation);
                    c.closed = true;
                    c.closure = Some(day);
                    return;
                }
            }
            Phase::Deteriorating => {
                c.phase_t += 1;
                let progress = f64::from(c.phase_t) / f64::from(c.phase_len);
                c.d = (c.d0 + (1.0 - c.d0) * progress.powf(0.7) + 0.05 * normal(&mut c.rng))
                    .clamp(0.0, 1.5);
                if c.phase_t >= c.phase_len {
                    if c.fails {
                        open_procedure(c, i, m, out, false);
                    } else {
                        c.phase = Phase::Recovering;
                    }
                }
            }
            Phase::Recovering => {
                c.d = (0.85 * c.d + 0.03 * normal(&mut c.rng)).clamp(0.0, 1.5);
                if c.d < 0.1 * c.frailty.max(0.0) + 0.05 {
                    c.phase = Phase::Healthy;
                }
            }
        }
    } else {
        c.proc_left -= 1;
        if c.proc_left <= 0 {
            let x: f64 = c.rng.random();
            match c.proc {
                Proc::Safeguard | Proc::Receivership
                    if x < if c.proc == Proc::Safeguard { 0.8 } else { 0.35 } =>
                {
                    out.events.push((i, random_day(&mut c.rng, m, c.creation), "plan_adoption"));
                    c.proc = Proc::None;
                    c.phase = Phase::Recovering;
                    c.d = 0.6;
                    c.arrears *= 0.3;
                    c.soc_emp *= 0.3;
                    c.soc_empr *= 0.3;
                }
                Proc::Safeguard => {
                    out.events.push((i, random_day(&mut c.rng, m, c.creation), "receivership"));
                    c.proc = Proc::Receivership;
                    c.proc_left = c.rng.random_range(6..=14);
                }
                Proc::Receivership => {
                    out.events.push((i, random_day(&mut c.rng, m, c.creation), "liquidation"));
                    c.proc = Proc::Liquidation;
                    c.proc_left = c.rng.random_range(3..=15);
                }
                Proc::Liquidation => {
                    let day = random_day(&mut c.rng, m, c.creation);
                    out.events.push((i, day, "closure"));
                    c.closed = true;
                    c.closure = Some(day);
                    return;
                }
                Proc::None => unreachable!(),
            }
        }
    }
    if c.proc == Proc::Liquidation {
        // Activity has ceased: no declarations until the closure.
        return;
    }

    // Observables of the month.
    let d = c.d.min(1.2);
    c.growth *= 1.0 + c.trend / 12.0;
    let season = c.econ.season[(m.month() - 1) as usize];
    let turnover = (c.base_turnover / 12.0
        * c.growth
        * season
        * (1.0 - 0.6 * d.min(1.0))
        * (0.12 * normal(&mut c.rng)).exp())
    .max(0.0);
    c.year_turnover += turnover;
    c.year_d += d;
    c.year_months += 1;
    let vis = c.visibility;
    // Tax: VAT due ~ 20 % of turnover, partly left unpaid under distress.
    let vat_due = 0.2 * turnover * 0.5;
    let repay = if c.plan_left > 0 { 0.15 } else { 0.6 * (1.0 - d.min(1.0)) + 0.05 };
    let mut new_arrears = vat_due * (vis * d).powf(1.5) * c.rng.random::<f64>() * 2.0;
    if c.rng.random::<f64>() < 0.04 {
        new_arrears += vat_due * c.rng.random::<f64>();
    }
    c.arrears = (c.arrears * (1.0 - repay) + new_arrears).max(0.0);
    if c.arrears < 50.0 {
        c.arrears = 0.0;
    }
    if c.plan_left > 0 {
        c.plan_left -= 1;
    } else if c.arrears > turnover * 0.3 && c.rng.random::<f64>() < 0.08 {
        c.plan_left = 12;
    }
    let missing = c.rng.random::<f64>() < 0.01 + 0.25 * vis * d;
    let late = missing || c.rng.random::<f64>() < 0.03 + 0.3 * vis * d;
    // Social contributions, for employers.
    let social = if c.headcount >= 1.0 {
        let called =
            c.headcount * 1900.0 * (1.0 - 0.3 * d.min(1.0)) * (0.05 * normal(&mut c.rng)).exp();
        let srepay = if c.soc_plan_left > 0 { 0.2 } else { 0.7 * (1.0 - d.min(1.0)) + 0.05 };
        let unpaid = called * (vis * d).powf(1.3) * c.rng.random::<f64>() * 1.5;
        let spike =
            if c.rng.random::<f64>() < 0.03 { called * 0.5 * c.rng.random::<f64>() } else { 0.0 };
        c.soc_emp = (c.soc_emp * (1.0 - srepay) + 0.22 * (unpaid + spike)).max(0.0);
        c.soc_empr = (c.soc_empr * (1.0 - srepay) + 0.78 * (unpaid + spike)).max(0.0);
        if c.soc_emp + c.soc_empr < 20.0 {
            c.soc_emp = 0.0;
            c.soc_empr = 0.0;
        }
        if c.soc_plan_left > 0 {
            c.soc_plan_left -= 1;
        } else if c.soc_emp + c.soc_empr > called && c.rng.random::<f64>() < 0.1 {
            c.soc_plan_left = 12;
        }
        Some(called)
    } else {
        None
    };
    if m >= first_written {
        // Real data have holes: a few monthly rows never arrive.
        if c.rng.random::<f64>() > 0.01 {
            let vat = if missing { f64::NAN } else { turnover.round() };
            out.tax.push((i, vat, c.arrears.round(), u8::from(late), u8::from(c.plan_left > 0)));
        }
        if let Some(called) = social
            && c.rng.random::<f64>() > 0.02
        {
            out.social.push((
                i,
                called.round(),
                c.soc_emp.round(),
                c.soc_empr.round(),
                u8::from(c.soc_plan_left > 0),
            ));
        }
    }

    // Annual filing at the fiscal year end, for a full year of activity.
    if m.month() == c.fy_end {
        let full_year = c.year_months >= 12 && m.since(c.creation.month()) >= 12;
        let months = c.year_months;
        let turnover_y = c.year_turnover;
        let d_y = c.year_d / f64::from(months.max(1));
        c.year_turnover = 0.0;
        c.year_d = 0.0;
        c.year_months = 0;
        if full_year {
            filing(c, i, m, turnover_y, d_y, out);
        }
    }
}

fn filing(c: &mut Company, i: u32, m: Month, turnover: f64, d: f64, out: &mut MonthOut) {
    let e = c.econ;
    let rng = &mut c.rng;
    let va = turnover
        * e.va_rate
        * (1.0 - 0.35 * d.min(1.0))
        * (0.08 * normal(rng) - 0.05 * c.frailty).exp();
    let headcount = (c.headcount * (1.0 - 0.2 * d.min(1.0))).round();
    let staff = (headcount * 42_000.0 * (0.1 * normal(rng)).exp())
        .min(va.max(0.0) * 1.15 + headcount * 20_000.0);
    let ebitda = va - staff - 0.03 * va.abs();
    let assets = (turnover * e.assets_to_turnover * (0.15 * normal(rng)).exp()).max(1000.0);
    let operating = ebitda - 0.05 * assets;
    let net = operating - 0.03 * c.debt - if operating > 0.0 { 0.25 * operating } else { 0.0 };
    c.equity += if net > 0.0 { 0.7 * net } else { net };
    c.debt = (c.debt * (1.0 + 0.1 * d - 0.05) + 0.02 * assets * normal(rng)).max(0.0);
    let cash = (assets * (0.14 - 0.12 * d.min(1.0)) * (0.3 * normal(rng)).exp()).max(0.0);
    let receivables = turnover * 50.0 / 365.0 * (1.0 + 0.5 * d) * (0.2 * normal(rng)).exp();
    let payables =
        turnover * 60.0 / 365.0 * (1.0 + 1.2 * d) * (0.2 * normal(rng) + 0.15 * c.frailty).exp();
    let inventory = turnover * e.inventory_days / 365.0 * (0.3 * normal(rng)).exp();
    let tax_social = turnover * 0.04 * (1.0 + 2.0 * d) + c.arrears + c.soc_emp + c.soc_empr;
    let investment = assets * 0.06 * (1.0 - 0.7 * d.min(1.0)) * (0.5 * normal(rng)).exp();
    // Filing delay: about 4 months, much later (or never) under distress; the smallest
    // companies often file nothing usable.
    let filed_prob = if c.headcount < 1.0 { 0.6 } else { 0.97 } * (1.0 - 0.5 * d.min(1.0));
    if rng.random::<f64>() > filed_prob {
        return;
    }
    let extra = if rng.random::<f64>() < d { rng.random_range(3..=10) } else { 0 };
    let delay = rng.random_range(3..=5) + extra;
    let year_end = m.last_day();
    let filed_month = m.plus(delay);
    let filed = random_day(rng, filed_month, filed_month.first_day());
    let r = |x: f64| x.round();
    let values = [
        r(turnover),
        r(va),
        r(ebitda),
        r(operating),
        r(net),
        r(assets),
        r(c.equity),
        r(c.debt),
        r(payables),
        r(receivables),
        r(inventory),
        r(cash),
        r(staff),
        r(tax_social),
        r(investment),
        headcount,
    ];
    out.filings.push((i, year_end, filed, values));
}

/// Buffers monthly rows and writes them in batches.
struct MonthlyOut {
    writer: TableWriter,
    sirens: Arc<Vec<String>>,
    months: Vec<String>,
    company: Vec<u32>,
    month: Vec<u32>,
    cols: Vec<Vec<f64>>,
    names: &'static [&'static str],
    rows: usize,
}

impl MonthlyOut {
    fn new(
        path: &Path,
        opts: &GenerateOptions,
        sirens: Arc<Vec<String>>,
        months: Vec<String>,
        names: &'static [&'static str],
    ) -> Self {
        Self {
            writer: TableWriter::new(path, opts.format),
            sirens,
            months,
            company: Vec::new(),
            month: Vec::new(),
            cols: vec![Vec::new(); names.len()],
            names,
            rows: 0,
        }
    }

    fn push(&mut self, company: u32, month: u32, values: &[f64]) {
        self.company.push(company);
        self.month.push(month);
        for (c, v) in self.cols.iter_mut().zip(values) {
            c.push(*v);
        }
    }

    fn flush(&mut self, force: bool) -> Result<()> {
        if self.company.is_empty() || (!force && self.company.len() < BATCH_ROWS) {
            return Ok(());
        }
        let months = Arc::new(self.months.clone());
        let mut cols = vec![
            ("siren", Col::Dict(self.sirens.clone(), std::mem::take(&mut self.company))),
            ("month", Col::Dict(months, std::mem::take(&mut self.month))),
        ];
        for (name, c) in self.names.iter().zip(self.cols.iter_mut()) {
            let v = std::mem::take(c);
            // Flags are written as small integers, amounts as floats.
            let col = if name.ends_with("plan") || name.starts_with("late") {
                Col::U8(v.into_iter().map(|x| Some(x as u8)).collect())
            } else {
                Col::F64(v)
            };
            cols.push((name, col));
        }
        let table = Table::new(cols);
        self.rows += table.height();
        self.writer.write(table)?;
        Ok(())
    }

    fn finish(mut self) -> Result<usize> {
        self.flush(true)?;
        self.writer.finish()?;
        Ok(self.rows)
    }
}

/// Companies stepped by one rayon task.
const CHUNK: usize = 4096;

/// Generates the five sources into `out`.
pub fn generate(opts: &GenerateOptions, out: &Path) -> Result<Generated> {
    crate::prepare(opts, out)?;
    let end = Month::new(END_YEAR, 12).expect("valid");
    let start = Month::new(END_YEAR - opts.years as i32 + 1, 1).expect("valid");
    let sim_start = start.plus(-BURN_IN);
    let tables = Tables::new();
    let n = opts.companies;
    let mut companies: Vec<Company> =
        (0..n).into_par_iter().map(|i| Company::new(opts.seed, i, &tables, start, end)).collect();
    // Distinct SIRENs from an affine bijection of 0..10^8 (multiplier coprime with 10).
    let sirens: Arc<Vec<String>> = Arc::new(
        (0..n as u64)
            .map(|i| {
                Siren::from_body(((i * 7_368_787 + 12_345_679) % 100_000_000) as u32).as_digits()
            })
            .collect(),
    );
    let month_names: Vec<String> = start.through(end).map(|m| m.to_string()).collect();
    let ext = opts.format.extension();
    let mut tax = MonthlyOut::new(
        &out.join(format!("tax_monthly.{ext}")),
        opts,
        sirens.clone(),
        month_names.clone(),
        &["vat_turnover", "tax_arrears", "late_declaration", "payment_plan"],
    );
    let mut social = MonthlyOut::new(
        &out.join(format!("social_monthly.{ext}")),
        opts,
        sirens.clone(),
        month_names,
        &["contributions_called", "overdue_employee", "overdue_employer", "payment_plan"],
    );
    let mut filings_w = TableWriter::new(&out.join(format!("filings.{ext}")), opts.format);
    let mut filings: Vec<(u32, Date, Date, [f64; 16])> = Vec::new();
    let mut events: Vec<(u32, Date, &'static str)> = Vec::new();
    let mut n_filings = 0;
    for m in sim_start.through(end) {
        let outs: Vec<MonthOut> = companies
            .par_chunks_mut(CHUNK)
            .enumerate()
            .map(|(k, chunk)| {
                let mut o = MonthOut::default();
                for (j, c) in chunk.iter_mut().enumerate() {
                    step(c, (k * CHUNK + j) as u32, m, start, &mut o);
                }
                o
            })
            .collect();
        let mi = m.since(start).max(0) as u32;
        for o in outs {
            for (c, vat, arrears, late, plan) in o.tax {
                tax.push(c, mi, &[vat, arrears, f64::from(late), f64::from(plan)]);
            }
            for (c, called, emp, empr, plan) in o.social {
                social.push(c, mi, &[called, emp, empr, f64::from(plan)]);
            }
            // Filings filed after the end of the history are not in the extract yet.
            filings.extend(
                o.filings
                    .into_iter()
                    .filter(|f| f.2.month() <= end && f.1.month() >= start.plus(-12)),
            );
            events.extend(o.events);
        }
        tax.flush(false)?;
        social.flush(false)?;
        if filings.len() >= BATCH_ROWS / 4 {
            n_filings += filings.len();
            filings_w.write(filings_table(&sirens, &filings))?;
            filings.clear();
        }
    }
    n_filings += filings.len();
    if !filings.is_empty() || n_filings == 0 {
        filings_w.write(filings_table(&sirens, &filings))?;
    }
    filings_w.finish()?;
    let n_tax = tax.finish()?;
    let n_social = social.finish()?;

    let n_events = events.len();
    Table::new(vec![
        ("siren", Col::Dict(sirens.clone(), events.iter().map(|e| e.0).collect())),
        ("date", Col::Str(events.iter().map(|e| Some(e.1.to_string())).collect())),
        ("kind", Col::Str(events.iter().map(|e| Some(e.2.to_owned())).collect())),
    ])
    .write(&out.join(format!("events.{ext}")), opts.format)?;

    let band = |c: &Company| HeadcountBand::from_headcount(c.headcount as u32).code().to_owned();
    Table::new(vec![
        ("siren", Col::Dict(sirens, (0..n as u32).collect())),
        (
            "naf",
            Col::Str(
                companies
                    .iter()
                    .map(|c| Some(tables.nafs[c.naf as usize].as_str().to_owned()))
                    .collect(),
            ),
        ),
        (
            "departement",
            Col::Str(
                companies
                    .iter()
                    .map(|c| Some(tables.deps[c.departement as usize].as_str().to_owned()))
                    .collect(),
            ),
        ),
        ("legal_form", Col::Str(companies.iter().map(|c| Some(c.legal_form.to_owned())).collect())),
        (
            "creation_date",
            Col::Str(companies.iter().map(|c| Some(c.creation.to_string())).collect()),
        ),
        (
            "closure_date",
            Col::Str(companies.iter_mut().map(|c| c.closure.map(|d| d.to_string())).collect()),
        ),
        ("headcount_band", Col::Str(companies.iter().map(|c| Some(band(c))).collect())),
    ])
    .write(&out.join(format!("companies.{ext}")), opts.format)?;

    Ok(Generated {
        companies: n,
        filings: n_filings,
        tax_monthly: n_tax,
        social_monthly: n_social,
        events: n_events,
        first_month: start.to_string(),
        last_month: end.to_string(),
    })
}

fn filings_table(sirens: &Arc<Vec<String>>, rows: &[(u32, Date, Date, [f64; 16])]) -> Table {
    let mut cols = vec![
        ("siren", Col::Dict(sirens.clone(), rows.iter().map(|f| f.0).collect())),
        ("fiscal_year_end", Col::Str(rows.iter().map(|f| Some(f.1.to_string())).collect())),
        ("filing_date", Col::Str(rows.iter().map(|f| Some(f.2.to_string())).collect())),
    ];
    for (k, name) in vigie_data::ingest::FILING_AMOUNTS.iter().enumerate() {
        cols.push((name, Col::F64(rows.iter().map(|f| f.3[k]).collect())));
    }
    Table::new(cols)
}
