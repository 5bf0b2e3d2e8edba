//! `vigie import`: real files into Vigie's sources, with the guarantees of ingestion —
//! every input row accepted, rejected with a reason (in the rejects file), or counted as
//! skipped with a reason; SIRENs kept as in the inputs (the pipeline pseudonymises them
//! with the deployment's key) and never written to a log, a summary or the rejects.
//!
//! Read: the INSEE SIRENE stock files (`StockUniteLegale`, `StockEtablissement`) into
//! `companies` ([`sirene`]); the liasse fiscale as a long table of amounts by box into
//! `filings` ([`liasse`], through `vigie_core::accounts::liasse`); the Urssaf débits,
//! cotisations and délais into `social_monthly` ([`urssaf`]); the Urssaf procedure file and
//! the BODACC's notices into `events` ([`events`]). Files are read as real ones come, and
//! block by block whatever their size (`reader`: encodings, separators, header case), and
//! dates, periods and amounts in the shapes the formats write them (`formats`).

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use crate::rejects::{Reason, Reject, RejectLog};
use crate::source::{ColumnSpec, Kind, RawTable};

pub use crate::source::InputNotes;
pub use reader::Encoding;
pub(crate) use reader::Input;

pub mod events;
mod formats;
pub mod inpi;
pub mod liasse;
mod reader;
pub mod sirene;
pub mod urssaf;

/// Every input of one `vigie import`, each optional.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// SIRENE legal units and establishments, and whether to leave out individual
    /// entrepreneurs.
    pub sirene: sirene::SireneInputs,
    /// Long tables of the liasse fiscale.
    pub liasse: Vec<std::path::PathBuf>,
    /// INPI accounts (XML files or directories of them).
    pub inpi: Vec<std::path::PathBuf>,
    /// ratios_inpi_bce files.
    pub ratios_inpi: Vec<std::path::PathBuf>,
    /// The encoding of the CSV inputs of the formats above.
    pub encoding: Encoding,
    /// Urssaf débits, cotisations and délais.
    pub urssaf: urssaf::UrssafInputs,
    /// Urssaf procedure files and BODACC exports.
    pub events: events::EventInputs,
}

impl Inputs {
    /// Whether there is nothing to import.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sirene.legal_units.is_empty()
            && self.sirene.establishments.is_empty()
            && self.liasse.is_empty()
            && self.inpi.is_empty()
            && self.ratios_inpi.is_empty()
            && self.urssaf.debits.is_empty()
            && self.urssaf.cotisations.is_empty()
            && self.urssaf.delais.is_empty()
            && self.events.procol.is_empty()
            && self.events.bodacc.is_empty()
    }
}

/// One source file written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Written {
    /// The file.
    pub file: std::path::PathBuf,
    /// Its rows.
    pub rows: usize,
}

/// What `vigie import` did: one summary per input file, the sources written, the rejects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Per input file.
    pub inputs: Vec<InputSummary>,
    /// Per source written (`companies`, `filings`, `social_monthly`, `events`), and
    /// `rejects`.
    pub outputs: BTreeMap<&'static str, Written>,
}

/// Imports every input given into the sources of `out` (written in `format`), with the
/// rejects in `out/import-rejects.csv`.
pub fn run(
    inputs: &Inputs,
    out: &std::path::Path,
    format: crate::source::Format,
) -> crate::Result<Report> {
    let rejects = out.join("import-rejects.csv");
    let mut log = RejectLog::spilling(&rejects);
    let mut summaries = Vec::new();
    let mut outputs = BTreeMap::new();
    let s = &inputs.sirene;
    if !s.legal_units.is_empty() || !s.establishments.is_empty() {
        let file = out.join(format!("companies.{}", format.extension()));
        let mut w = crate::table::TableWriter::new(&file, format);
        let sums = sirene::stream(s, &mut log, |batch| w.write_frame(&batch.frame()?))?;
        if w.rows() == 0 {
            w.write_frame(&sirene::Companies::default().frame()?)?;
        }
        let rows = w.finish()?;
        outputs.insert("companies", Written { file, rows });
        summaries.extend(sums);
    }
    if !inputs.liasse.is_empty() || !inputs.inpi.is_empty() || !inputs.ratios_inpi.is_empty() {
        // One `filings` from every form of accounts; a return given twice is one filing
        // filed twice, which ingestion resolves (the earliest filed is kept).
        let mut filings = liasse::Filings::default();
        if !inputs.liasse.is_empty() {
            let (f, sums) = liasse::filings(&inputs.liasse, inputs.encoding, &mut log)?;
            filings.extend(f);
            summaries.extend(sums);
        }
        if !inputs.inpi.is_empty() {
            let (f, sums) = inpi::inpi(&inputs.inpi, &mut log)?;
            filings.extend(f);
            summaries.extend(sums);
        }
        if !inputs.ratios_inpi.is_empty() {
            let (f, sums) = inpi::ratios(&inputs.ratios_inpi, inputs.encoding, &mut log)?;
            filings.extend(f);
            summaries.extend(sums);
        }
        let file = liasse::write(&filings, out, format)?;
        outputs.insert("filings", Written { file, rows: filings.siren.len() });
    }
    let u = &inputs.urssaf;
    if !u.debits.is_empty() || !u.cotisations.is_empty() || !u.delais.is_empty() {
        let file = out.join(format!("social_monthly.{}", format.extension()));
        let mut w = crate::table::TableWriter::new(&file, format);
        let sums = urssaf::stream(u, &mut log, out, |batch| w.write_frame(&batch.frame()?))?;
        if w.rows() == 0 {
            w.write_frame(&urssaf::Social::default().frame()?)?;
        }
        let rows = w.finish()?;
        outputs.insert("social_monthly", Written { file, rows });
        summaries.extend(sums);
    }
    if !inputs.events.procol.is_empty() || !inputs.events.bodacc.is_empty() {
        let (events, sums) = events::events(&inputs.events, &mut log)?;
        let file = events::write(&events, out, format)?;
        outputs.insert("events", Written { file, rows: events.siren.len() });
        summaries.extend(sums);
    }
    let rows = log.finish(&rejects)?;
    outputs.insert("rejects", Written { file: rejects, rows });
    Ok(Report { inputs: summaries, outputs })
}

/// What happened to the rows of one input file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InputSummary {
    /// The file.
    pub file: String,
    /// Its data rows: `accepted + rejected + skipped`.
    pub rows_read: usize,
    /// Rows that made (or contributed to) an output row.
    pub rows_accepted: usize,
    /// Rows refused, each in the rejects file with its reason.
    pub rows_rejected: usize,
    /// Rows rejected, by reason.
    pub rejects_by_reason: BTreeMap<&'static str, usize>,
    /// Rows left out on purpose, by reason (not a company; not the head office; …).
    pub skipped: BTreeMap<&'static str, usize>,
    /// How the file's text was read (`utf-8`, `utf-8 with BOM`, `latin-1`), when detected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    /// The field separator found in its header, when detected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<char>,
    /// Columns of the file that no field of the format reads, listed once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_columns: Vec<String>,
}

impl InputSummary {
    /// Rows skipped in all.
    #[must_use]
    pub fn rows_skipped(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// A text column of an input format (CSV is read as text, parsed per cell).
pub(crate) const fn text(name: &'static str, required: bool) -> ColumnSpec {
    ColumnSpec { name, kind: Kind::Text, required, nullable: true, meaning: "", example: "" }
}

/// One input file's counts and its rejects, as rows are decided.
pub(crate) struct Tally<'r> {
    source: &'static str,
    pub(crate) summary: InputSummary,
    /// Rows of the current block with the wrong number of fields (rejected when counted).
    ragged: std::collections::HashSet<u32>,
    log: &'r mut RejectLog,
}

impl<'r> Tally<'r> {
    /// The counts of `input`, before its first block.
    pub(crate) fn open(input: &Input, log: &'r mut RejectLog) -> Self {
        Self {
            source: input.spec().name,
            summary: InputSummary {
                file: input.path().display().to_string(),
                encoding: input.notes.encoding,
                separator: input.notes.separator,
                ignored_columns: input.notes.ignored_columns.clone(),
                ..InputSummary::default()
            },
            ragged: std::collections::HashSet::new(),
            log,
        }
    }

    /// Counts a block of the file and rejects its unreadable records.
    pub(crate) fn block(&mut self, raw: &RawTable) {
        self.summary.rows_read += raw.df.height() + raw.malformed.len();
        self.ragged = raw.ragged.iter().map(|(row, _)| *row).collect();
        for (row, problem) in &raw.malformed {
            self.reject(
                *row,
                "",
                "",
                Reason::MalformedRow,
                format!("unreadable record: {problem}"),
            );
        }
        // Rows with more or fewer fields than the header: their values may be shifted, so
        // none is read (nor shown: a shifted SIREN would not be redacted).
        for (row, fields) in &raw.ragged {
            self.reject(
                *row,
                "",
                "",
                Reason::MalformedRow,
                format!("{fields} fields where the header has {}", raw.header_fields),
            );
        }
    }

    /// The counts of a file read otherwise than as a table (a JSON document of `rows`
    /// records).
    pub(crate) fn plain(
        source: &'static str,
        file: &std::path::Path,
        rows: usize,
        log: &'r mut RejectLog,
    ) -> Self {
        Self {
            source,
            summary: InputSummary {
                file: file.display().to_string(),
                rows_read: rows,
                ..InputSummary::default()
            },
            ragged: std::collections::HashSet::new(),
            log,
        }
    }

    /// Whether a row was rejected as malformed when read (its values are not to be used).
    pub(crate) fn malformed(&self, row: u32) -> bool {
        self.ragged.contains(&row)
    }

    pub(crate) fn reject(
        &mut self,
        row: u32,
        column: &'static str,
        value: &str,
        reason: Reason,
        detail: String,
    ) {
        self.summary.rows_rejected += 1;
        *self.summary.rejects_by_reason.entry(reason.as_str()).or_default() += 1;
        let value = if column == "siren" {
            "<redacted>".to_owned()
        } else {
            value.chars().take(64).collect()
        };
        self.log.push(Reject { source: self.source, row, column, value, reason, detail });
    }

    /// Whether `value` is a valid SIREN; rejects the row (value redacted) when not.
    pub(crate) fn siren_ok(&mut self, row: u32, value: &str) -> bool {
        let ok = vigie_core::Siren::parse(value).is_ok();
        if !ok {
            self.reject(row, "siren", value, Reason::InvalidSiren, "not a valid SIREN".into());
        }
        ok
    }

    /// The row number and SIREN of data row `i` of `raw`: the `siren` cell, else the first
    /// nine digits of the `siret` cell (`formats::siren`). `None` when the row was rejected
    /// as malformed when read, or its SIREN is invalid (rejected now).
    pub(crate) fn company(
        &mut self,
        raw: &RawTable,
        i: usize,
        siren: Option<&StringChunked>,
        siret: Option<&StringChunked>,
    ) -> Option<(u32, String)> {
        let row = raw.row_numbers[i];
        if self.malformed(row) {
            return None;
        }
        let s = formats::siren(cell(siren, i), cell(siret, i));
        self.siren_ok(row, &s).then_some((row, s))
    }

    /// The row number and SIREN of data row `i` of `raw`, the `siren` cell taken exactly as
    /// written (the SIRENE and the liasse write nine digits: no SIRET, no spaces, unlike
    /// [`Tally::company`]). `None` when the row was rejected as malformed when read, or
    /// its SIREN is invalid (rejected now).
    pub(crate) fn exact_company<'a>(
        &mut self,
        raw: &RawTable,
        i: usize,
        siren: Option<&'a StringChunked>,
    ) -> Option<(u32, &'a str)> {
        let row = raw.row_numbers[i];
        if self.malformed(row) {
            return None;
        }
        let s = cell(siren, i);
        self.siren_ok(row, s).then_some((row, s))
    }

    pub(crate) fn skip(&mut self, why: &'static str) {
        *self.summary.skipped.entry(why).or_default() += 1;
    }
}

/// A text column of a raw table (absent optional columns read as empty).
pub(crate) fn column<'a>(raw: &'a RawTable, name: &str) -> Option<&'a StringChunked> {
    raw.df.column(name).ok().and_then(|c| c.str().ok())
}

pub(crate) fn cell(c: Option<&StringChunked>, i: usize) -> &str {
    c.and_then(|c| c.get(i)).map_or("", str::trim)
}

/// The number of a SIREN already checked (nine digits): the compact key of the imports'
/// state across files.
pub(crate) fn siren_number(s: &str) -> u32 {
    s.parse().expect("a SIREN checked is nine digits")
}
