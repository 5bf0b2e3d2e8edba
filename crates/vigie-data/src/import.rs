//! `vigie import`: real files into Vigie's sources, with the guarantees of ingestion —
//! every input row accepted, rejected with a reason (in the rejects file), or counted as
//! skipped with a reason; SIRENs kept as in the inputs (the pipeline pseudonymises them
//! with the deployment's key) and never written to a log, a summary or the rejects.
//!
//! Read so far: the INSEE SIRENE stock files (`StockUniteLegale`, `StockEtablissement`)
//! into `companies` ([`sirene`]); the liasse fiscale as a long table of amounts by box into
//! `filings` ([`liasse`], through `vigie_core::accounts::liasse`). The other formats of
//! `../shared/formats/README.md` (INPI accounts, Urssaf files, BODACC) come next.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use crate::rejects::{Reason, Reject, RejectLog};
use crate::source::{ColumnSpec, Kind, RawTable};

pub mod liasse;
pub mod sirene;

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
    /// Rows with the wrong number of fields (rejected on creation).
    ragged: std::collections::HashSet<u32>,
    log: &'r mut RejectLog,
}

impl<'r> Tally<'r> {
    pub(crate) fn new(raw: &RawTable, log: &'r mut RejectLog) -> Self {
        let mut t = Self {
            source: raw.spec.name,
            summary: InputSummary {
                file: raw.path.display().to_string(),
                rows_read: raw.df.height() + raw.malformed.len(),
                ..InputSummary::default()
            },
            ragged: raw.ragged.iter().map(|(row, _)| *row).collect(),
            log,
        };
        for (row, problem) in &raw.malformed {
            t.reject(*row, "", "", Reason::MalformedRow, format!("unreadable record: {problem}"));
        }
        // Rows with more or fewer fields than the header: their values may be shifted, so
        // none is read (nor shown: a shifted SIREN would not be redacted).
        for (row, fields) in &raw.ragged {
            t.reject(
                *row,
                "",
                "",
                Reason::MalformedRow,
                format!("{fields} fields where the header has {}", raw.header_fields),
            );
        }
        t
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
