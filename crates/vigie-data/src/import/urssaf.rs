//! The Urssaf files exchanged for the state's early-warning work (semicolon CSV, one file
//! per kind; `../shared/formats/README.md`, section 3) into `social_monthly`, aggregated
//! from accounts and establishments to the company (SIREN):
//!
//! - **débits**: each debt (account, period, `Num_Ecn`) is a series of operations; its
//!   remaining employee and employer shares (`Mt_PO`, `Mt_PP`, in **cents**) after the
//!   latest operation processed by the end of a month are what it owes then, until another
//!   operation changes them. A company's overdue shares in a month are the sum over its
//!   debts, in euros;
//! - **cotisations**: contributions called (`mer`, euros) by period (`AAAAXY`/`AAXY`; a
//!   quarter's amount, `Y` = 0, is spread evenly over its three months), summed over
//!   accounts;
//! - **délais**: a payment plan is active from the month of `Date_creation` to the month of
//!   `Date_echeance`.
//!
//! A company's rows run from its first month in any of the files to the last month the
//! files cover; contributions are empty in the months no cotisation row covers (the social
//! debt ratio is then missing, not infinite).

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use vigie_core::{Date, Month};

use super::{Encoding, InputSummary, Tally, cell, column, formats, siren_number, text};
use crate::ingest::MAX_AMOUNT;
use crate::rejects::{Reason, RejectLog};
use crate::source::{Format, SourceSpec};
use crate::{Error, Result};

/// Débits (arrears events).
pub static DEBITS: SourceSpec = SourceSpec {
    name: "urssaf_debits",
    grain: "one row per operation on a debt",
    optional: true,
    key: &["num_cpte", "periode", "num_ecn", "num_hist_ecn"],
    columns: &[
        text("num_cpte", true),
        text("siren", false),
        text("siret", false),
        text("periode", true),
        text("num_ecn", true),
        text("num_hist_ecn", true),
        text("dt_trt_ecn", true),
        text("mt_po", true),
        text("mt_pp", true),
        text("cd_op_ecn", false),
        text("etat_cpte", false),
        text("cd_pro_col", false),
        text("motif_ecn", false),
    ],
};

/// Cotisations (contributions called).
pub static COTISATIONS: SourceSpec = SourceSpec {
    name: "urssaf_cotisations",
    grain: "one row per account × period",
    optional: true,
    key: &["compte", "periode"],
    columns: &[
        text("compte", true),
        text("siren", false),
        text("siret", false),
        text("periode", true),
        text("mer", true),
        text("enc_direct", false),
        text("cotis_due", false),
    ],
};

/// Délais (payment plans).
pub static DELAIS: SourceSpec = SourceSpec {
    name: "urssaf_delais",
    grain: "one row per payment plan",
    optional: true,
    key: &["numero_compte_externe", "date_creation"],
    columns: &[
        text("numero_compte_externe", false),
        text("siren", false),
        text("siret", false),
        text("date_creation", true),
        text("date_echeance", true),
        text("duree_delai", false),
        text("montant_global_echeancier", false),
    ],
};

/// The Urssaf files of one import.
#[derive(Debug, Clone, Default)]
pub struct UrssafInputs {
    /// Débits files.
    pub debits: Vec<PathBuf>,
    /// Cotisations files.
    pub cotisations: Vec<PathBuf>,
    /// Délais files.
    pub delais: Vec<PathBuf>,
    /// Their encoding.
    pub encoding: Encoding,
}

/// The `social_monthly` rows built, by SIREN then month.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Social {
    /// SIRENs, as in the inputs.
    pub siren: Vec<String>,
    /// Months.
    pub month: Vec<Month>,
    /// Contributions called (€), `None` when no cotisation row covers the month.
    pub contributions_called: Vec<Option<f64>>,
    /// Overdue employee share at the end of the month (€).
    pub overdue_employee: Vec<f64>,
    /// Overdue employer share (€).
    pub overdue_employer: Vec<f64>,
    /// A payment plan is active.
    pub payment_plan: Vec<bool>,
}

impl Social {
    /// Appends the rows of `other`.
    pub fn extend(&mut self, other: Self) {
        self.siren.extend(other.siren);
        self.month.extend(other.month);
        self.contributions_called.extend(other.contributions_called);
        self.overdue_employee.extend(other.overdue_employee);
        self.overdue_employer.extend(other.overdue_employer);
        self.payment_plan.extend(other.payment_plan);
    }

    /// The rows as a `social_monthly` source frame.
    pub fn frame(&self) -> Result<DataFrame> {
        let months: Vec<String> = self.month.iter().map(ToString::to_string).collect();
        let plan: Vec<i32> = self.payment_plan.iter().map(|&p| i32::from(p)).collect();
        DataFrame::new(
            self.siren.len(),
            vec![
                Column::new("siren".into(), &self.siren),
                Column::new("month".into(), months),
                Column::new("contributions_called".into(), &self.contributions_called),
                Column::new("overdue_employee".into(), &self.overdue_employee),
                Column::new("overdue_employer".into(), &self.overdue_employer),
                Column::new("payment_plan".into(), plan),
            ],
        )
        .map_err(|e| Error::Unreadable {
            path: PathBuf::from("social_monthly"),
            message: e.to_string(),
        })
    }
}

/// One operation on a debt: when, its order, the remaining shares in euros.
#[derive(Debug, Clone, Copy)]
struct Operation {
    date: Date,
    order: i64,
    employee: f64,
    employer: f64,
}

/// The rows of one range of SIRENs, read back from its spill file: operations with their
/// SIREN and debt (the debt's key as the spill wrote it: account, period, `Num_Ecn`),
/// contributions called, plans — each sorted by SIREN, the operations then by debt, date
/// and order (stable sorts: rows equal on those stay in file order).
#[derive(Default)]
struct Bucket<'a> {
    debts: Vec<(u32, &'a [u8], Operation)>,
    called: Vec<(u32, Month, f64)>,
    plans: Vec<(u32, Month, Month)>,
}

/// Ranges of SIREN the checked rows wait in ([`Spill`]).
const BUCKETS: u64 = 64;

/// Rows of `social_monthly` gathered before they are handed on by [`stream`].
pub const BATCH_ROWS: usize = 1 << 20;

/// The files' checked rows, written as they are read into one spill file per range of
/// SIRENs, so that a company's rows — scattered over the files — are gathered one range at
/// a time: the memory of the import is that of one range (a 64th of the companies), not
/// of the files. Records are binary: a tag, the SIREN, then the row's values.
struct Spill {
    dir: PathBuf,
    files: Vec<BufWriter<File>>,
    /// A record being written (kept to spare an allocation per row).
    buf: Vec<u8>,
}

const DEBT: u8 = 0;
const CALLED: u8 = 1;
const PLAN: u8 = 2;

impl Spill {
    fn new(work: &Path) -> Result<Self> {
        let dir = work.join(format!(".urssaf-spill-{}", std::process::id()));
        let err = |e: std::io::Error| Error::Write { path: dir.clone(), message: e.to_string() };
        std::fs::create_dir_all(&dir).map_err(err)?;
        // Built before its files are opened: a failure removes the directory (`Drop`).
        let mut spill = Self { dir, files: Vec::new(), buf: Vec::new() };
        for k in 0..BUCKETS {
            let file = File::create(spill.dir.join(format!("{k}.bin"))).map_err(spill.err())?;
            spill.files.push(BufWriter::new(file));
        }
        Ok(spill)
    }

    fn err(&self) -> impl Fn(std::io::Error) -> Error + '_ {
        |e| Error::Write { path: self.dir.clone(), message: e.to_string() }
    }

    fn put(&mut self, siren: u32, tag: u8, bytes: &[u8]) -> Result<()> {
        let k = usize::try_from(u64::from(siren) * BUCKETS / 1_000_000_000).unwrap_or(0);
        let w = &mut self.files[k];
        let r = w
            .write_all(&[tag])
            .and_then(|()| w.write_all(&siren.to_le_bytes()))
            .and_then(|()| w.write_all(bytes));
        r.map_err(self.err())
    }

    fn debt(&mut self, siren: u32, key: [&str; 3], op: Operation) -> Result<()> {
        let mut b = std::mem::take(&mut self.buf);
        b.clear();
        for part in key {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(&part.as_bytes()[..len as usize]);
        }
        b.extend_from_slice(&op.date.month().index().to_le_bytes());
        b.push(u8::try_from(op.date.day()).unwrap_or(1));
        b.extend_from_slice(&op.order.to_le_bytes());
        b.extend_from_slice(&op.employee.to_le_bytes());
        b.extend_from_slice(&op.employer.to_le_bytes());
        let r = self.put(siren, DEBT, &b);
        self.buf = b;
        r
    }

    fn called(&mut self, siren: u32, month: Month, amount: f64) -> Result<()> {
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&month.index().to_le_bytes());
        b[4..].copy_from_slice(&amount.to_le_bytes());
        self.put(siren, CALLED, &b)
    }

    fn plan(&mut self, siren: u32, from: Month, to: Month) -> Result<()> {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&from.index().to_le_bytes());
        b[4..].copy_from_slice(&to.index().to_le_bytes());
        self.put(siren, PLAN, &b)
    }

    /// The spill file of range `k`, whole.
    fn bytes(&mut self, k: usize) -> Result<Vec<u8>> {
        self.files[k].flush().map_err(self.err())?;
        let path = self.dir.join(format!("{k}.bin"));
        let bytes = std::fs::read(&path).map_err(self.err())?;
        // Emptied once read: the disk holds the files' rows once, not twice.
        let _ignored = self.files[k].get_mut().set_len(0);
        Ok(bytes)
    }
}

impl<'a> Bucket<'a> {
    /// The records of a spill file.
    fn read(bytes: &'a [u8]) -> Self {
        let mut r = Cursor(bytes);
        let mut b = Bucket::default();
        while !r.0.is_empty() {
            let tag = r.take::<1>()[0];
            let siren = u32::from_le_bytes(r.take());
            match tag {
                DEBT => {
                    let start = r.0;
                    let mut len = 0;
                    for _ in 0..3 {
                        let part = u32::from_le_bytes(r.take()) as usize;
                        r.bytes(part);
                        len += 4 + part;
                    }
                    let key = &start[..len];
                    let month = Month::from_index(i32::from_le_bytes(r.take()));
                    let day = u32::from(r.take::<1>()[0]);
                    let date = Date::new(month.year(), month.month(), day)
                        .expect("a date written from a Date");
                    let order = i64::from_le_bytes(r.take());
                    let employee = f64::from_le_bytes(r.take());
                    let employer = f64::from_le_bytes(r.take());
                    b.debts.push((siren, key, Operation { date, order, employee, employer }));
                }
                CALLED => {
                    let month = Month::from_index(i32::from_le_bytes(r.take()));
                    b.called.push((siren, month, f64::from_le_bytes(r.take())));
                }
                _ => {
                    let from = Month::from_index(i32::from_le_bytes(r.take()));
                    let to = Month::from_index(i32::from_le_bytes(r.take()));
                    b.plans.push((siren, from, to));
                }
            }
        }
        b.debts
            .sort_by(|x, y| (x.0, x.1, x.2.date, x.2.order).cmp(&(y.0, y.1, y.2.date, y.2.order)));
        b.called.sort_by_key(|c| (c.0, c.1));
        b.plans.sort_by_key(|p| p.0);
        b
    }

    /// The `social_monthly` rows of the range's companies, by SIREN then month, each
    /// company from its first month in the files to `last`.
    fn rows(&self, last: Month, out: &mut Social) {
        let (mut d, mut c, mut p) = (0, 0, 0);
        loop {
            let next = [
                self.debts.get(d).map(|x| x.0),
                self.called.get(c).map(|x| x.0),
                self.plans.get(p).map(|x| x.0),
            ];
            let Some(siren) = next.into_iter().flatten().min() else { return };
            let run = |from: usize, len: usize, at: &dyn Fn(usize) -> u32| {
                (from..len).find(|&i| at(i) != siren).unwrap_or(len)
            };
            let d_end = run(d, self.debts.len(), &|i| self.debts[i].0);
            let c_end = run(c, self.called.len(), &|i| self.called[i].0);
            let p_end = run(p, self.plans.len(), &|i| self.plans[i].0);
            company_rows(
                siren,
                &self.debts[d..d_end],
                &self.called[c..c_end],
                &self.plans[p..p_end],
                last,
                out,
            );
            (d, c, p) = (d_end, c_end, p_end);
        }
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        let _ignored = std::fs::remove_dir_all(&self.dir);
    }
}

/// Reads a spill file's records.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        self.bytes(N).try_into().expect("N bytes")
    }
}

/// A whole number in a cell, or the row's rejection.
fn whole(t: &mut Tally<'_>, row: u32, name: &'static str, v: &str) -> Option<i64> {
    let parsed = v.trim().parse::<i64>().ok();
    if parsed.is_none() {
        t.reject(row, name, v, Reason::NotANumber, "not a whole number".into());
    }
    parsed
}

/// An amount in a cell, in euros (`cents`: the file's are in cents), not negative, or the
/// row's rejection.
fn euros(t: &mut Tally<'_>, row: u32, name: &'static str, v: &str, cents: bool) -> Option<f64> {
    let Some(x) = formats::amount(v) else {
        t.reject(row, name, v, Reason::NotANumber, "not a number".into());
        return None;
    };
    let x = if cents { x / 100.0 } else { x };
    if x < 0.0 {
        t.reject(row, name, v, Reason::NegativeAmount, "an amount owed or called is ≥ 0".into());
        return None;
    }
    if x > MAX_AMOUNT {
        t.reject(row, name, v, Reason::AbsurdAmount, "over 10^12 €".into());
        return None;
    }
    Some(x)
}

fn period(t: &mut Tally<'_>, row: u32, v: &str) -> Option<Vec<Month>> {
    let p = formats::period(v);
    if p.is_none() {
        t.reject(
            row,
            "periode",
            v,
            Reason::InvalidMonth,
            "expected AAAAXY or AAXY (year, quarter 1-4, month of the quarter 0-3)".into(),
        );
    }
    p
}

fn date(
    t: &mut Tally<'_>,
    row: u32,
    name: &'static str,
    v: &str,
    urssaf_1900: bool,
) -> Option<Date> {
    let d = formats::date(v, urssaf_1900);
    if d.is_none() {
        let expected = if urssaf_1900 { "(A)AAMMJJ, the year minus 1900" } else { "DD/MM/YYYY" };
        t.reject(row, name, v, Reason::InvalidDate, format!("expected a date as {expected}"));
    }
    d
}

/// Reads the Urssaf files into `social_monthly` rows; one summary per input file. All rows
/// in memory: for small files and tests; [`stream`] is the bounded version. `work` is a
/// directory for the spill files (removed after).
pub fn social(
    inputs: &UrssafInputs,
    log: &mut RejectLog,
    work: &Path,
) -> Result<(Social, Vec<InputSummary>)> {
    let mut all = Social::default();
    let summaries = stream(inputs, log, work, |batch| {
        all.extend(batch);
        Ok(())
    })?;
    Ok((all, summaries))
}

/// Reads the Urssaf files and hands `social_monthly` rows to `emit` by batches of about
/// [`BATCH_ROWS`] (by SIREN then month; a company's rows are never split across batches;
/// no batch is empty); returns one summary per input file. The checked rows wait in spill
/// files in `work` ([`Spill`], removed after), so memory is set by the largest range of
/// SIRENs, not by the files.
#[allow(clippy::too_many_lines)] // three file kinds read one after the other
pub fn stream(
    inputs: &UrssafInputs,
    log: &mut RejectLog,
    work: &Path,
    mut emit: impl FnMut(Social) -> Result<()>,
) -> Result<Vec<InputSummary>> {
    let mut spill = Spill::new(work)?;
    let mut summaries = Vec::new();
    let mut last: Option<Month> = None;
    // The latest start of a plan: the files' coverage when only délais are given.
    let mut last_plan: Option<Month> = None;
    for path in &inputs.debits {
        let mut input = super::Input::open(&DEBITS, path, inputs.encoding)?;
        let mut t = Tally::open(&input, log);
        while let Some(raw) = input.next_block()? {
            t.block(&raw);
            let c = |n| column(&raw, n);
            let (account, siren, siret, per, ecn, hist, when, po, pp) = (
                c("num_cpte"),
                c("siren"),
                c("siret"),
                c("periode"),
                c("num_ecn"),
                c("num_hist_ecn"),
                c("dt_trt_ecn"),
                c("mt_po"),
                c("mt_pp"),
            );
            for i in 0..raw.df.height() {
                let Some((row, s)) = t.company(&raw, i, siren, siret) else { continue };
                let p = cell(per, i);
                let Some(_) = period(&mut t, row, p) else { continue };
                let Some(_) = whole(&mut t, row, "num_ecn", cell(ecn, i)) else { continue };
                let Some(order) = whole(&mut t, row, "num_hist_ecn", cell(hist, i)) else {
                    continue;
                };
                let Some(d) = date(&mut t, row, "dt_trt_ecn", cell(when, i), true) else {
                    continue;
                };
                let Some(employee) = euros(&mut t, row, "mt_po", cell(po, i), true) else {
                    continue;
                };
                let Some(employer) = euros(&mut t, row, "mt_pp", cell(pp, i), true) else {
                    continue;
                };
                let op = Operation { date: d, order, employee, employer };
                spill.debt(siren_number(&s), [cell(account, i), p, cell(ecn, i)], op)?;
                last = last.max(Some(d.month()));
                t.summary.rows_accepted += 1;
            }
        }
        summaries.push(t.summary);
    }
    for path in &inputs.cotisations {
        let mut input = super::Input::open(&COTISATIONS, path, inputs.encoding)?;
        let mut t = Tally::open(&input, log);
        while let Some(raw) = input.next_block()? {
            t.block(&raw);
            let c = |n| column(&raw, n);
            let (siren, siret, per, mer) = (c("siren"), c("siret"), c("periode"), c("mer"));
            for i in 0..raw.df.height() {
                let Some((row, s)) = t.company(&raw, i, siren, siret) else { continue };
                let Some(months) = period(&mut t, row, cell(per, i)) else { continue };
                let Some(called) = euros(&mut t, row, "mer", cell(mer, i), false) else { continue };
                let share = called / months.len() as f64;
                for m in &months {
                    spill.called(siren_number(&s), *m, share)?;
                }
                last = last.max(months.last().copied());
                t.summary.rows_accepted += 1;
            }
        }
        summaries.push(t.summary);
    }
    for path in &inputs.delais {
        let mut input = super::Input::open(&DELAIS, path, inputs.encoding)?;
        let mut t = Tally::open(&input, log);
        while let Some(raw) = input.next_block()? {
            t.block(&raw);
            let c = |n| column(&raw, n);
            let (siren, siret, start, end) =
                (c("siren"), c("siret"), c("date_creation"), c("date_echeance"));
            for i in 0..raw.df.height() {
                let Some((row, s)) = t.company(&raw, i, siren, siret) else { continue };
                let Some(a) = date(&mut t, row, "date_creation", cell(start, i), false) else {
                    continue;
                };
                let Some(b) = date(&mut t, row, "date_echeance", cell(end, i), false) else {
                    continue;
                };
                if b < a {
                    let v = cell(end, i).to_owned();
                    t.reject(
                        row,
                        "date_echeance",
                        &v,
                        Reason::ImpossibleDate,
                        "the plan ends before it starts".into(),
                    );
                    continue;
                }
                spill.plan(siren_number(&s), a.month(), b.month())?;
                last_plan = last_plan.max(Some(a.month()));
                t.summary.rows_accepted += 1;
            }
        }
        summaries.push(t.summary);
    }
    // A plan's months count towards the files' coverage only where no other file says
    // more (a plan's end is a due date, often in the future).
    let Some(last) = last.or(last_plan) else { return Ok(summaries) };
    let mut out = Social::default();
    for k in 0..BUCKETS as usize {
        let bytes = spill.bytes(k)?;
        Bucket::read(&bytes).rows(last, &mut out);
        if out.siren.len() >= BATCH_ROWS {
            emit(std::mem::take(&mut out))?;
        }
    }
    if !out.siren.is_empty() {
        emit(out)?;
    }
    Ok(summaries)
}

/// A company's `social_monthly` rows, from its first month in the files to `last`: its
/// operations (sorted by debt, date, order), contributions called (by month) and plans.
fn company_rows(
    siren: u32,
    debts: &[(u32, &[u8], Operation)],
    called: &[(u32, Month, f64)],
    plans: &[(u32, Month, Month)],
    last: Month,
    out: &mut Social,
) {
    let first = debts
        .iter()
        .map(|x| x.2.date.month())
        .chain(called.iter().map(|x| x.1))
        .chain(plans.iter().map(|x| x.1))
        .min();
    let Some(first) = first.filter(|f| *f <= last) else { return };
    let siren = format!("{siren:09}");
    // Each debt's operations, in order.
    let runs: Vec<&[(u32, &[u8], Operation)]> = debts.chunk_by(|a, b| a.1 == b.1).collect();
    // Contributions called per month, summed in file order.
    let mut by_month: Vec<(Month, f64)> = Vec::new();
    for &(_, m, x) in called {
        if by_month.last().is_none_or(|l| l.0 != m) {
            by_month.push((m, 0.0));
        }
        by_month.last_mut().expect("pushed above").1 += x;
    }
    for m in first.through(last) {
        let (mut employee, mut employer) = (0.0, 0.0);
        for ops in &runs {
            // The state after the latest operation processed by the end of the month.
            let done = ops.partition_point(|o| o.2.date.month() <= m);
            if let Some(o) = done.checked_sub(1).map(|k| ops[k].2) {
                employee += o.employee;
                employer += o.employer;
            }
        }
        out.siren.push(siren.clone());
        out.month.push(m);
        let c = by_month.binary_search_by_key(&m, |x| x.0).ok().map(|k| by_month[k].1);
        out.contributions_called.push(c);
        out.overdue_employee.push(employee);
        out.overdue_employer.push(employer);
        out.payment_plan.push(plans.iter().any(|&(_, a, b)| a <= m && m <= b));
    }
}

/// Writes `social_monthly.<ext>` into `dir`; returns its path.
pub fn write(social: &Social, dir: &Path, format: Format) -> Result<PathBuf> {
    let path = dir.join(format!("social_monthly.{}", format.extension()));
    let mut df = social.frame()?;
    crate::table::write_frame(&mut df, &path, format)?;
    Ok(path)
}
