//! The rejects log: every row refused by validation, with its source, row number, column,
//! value and reason. Nothing is dropped silently.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::Result;
use crate::table::{Col, Table, TableWriter};

/// Why a row was refused. The snake_case names are stable: they appear in rejects files
/// and summaries that operations tooling may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A CSV record with more or fewer fields than the header, or unreadable (bad quoting,
    /// bytes that are not UTF-8).
    MalformedRow,
    /// A required value is empty.
    MissingValue,
    /// A SIREN with the wrong length, non-digits or a failing Luhn checksum.
    InvalidSiren,
    /// Not a département code.
    UnknownDepartement,
    /// Not a NAF code `NN.NNL` with an existing division.
    InvalidNaf,
    /// Not an existing `YYYY-MM-DD` date between 1900 and 2199.
    InvalidDate,
    /// Dates that contradict each other (closure before creation, filing before the end of
    /// the fiscal year) or a judgment before the company's creation.
    ImpossibleDate,
    /// Not a `YYYY-MM` month.
    InvalidMonth,
    /// A numeric column holds text that is not a number.
    NotANumber,
    /// NaN or infinite.
    NotFinite,
    /// A negative value where only non-negative ones make sense.
    NegativeAmount,
    /// A magnitude no real company reports (over 10^12 € or 10^6 employees).
    AbsurdAmount,
    /// A flag other than 0 / 1 / true / false.
    InvalidFlag,
    /// Not an INSEE headcount band.
    InvalidHeadcountBand,
    /// Not a known judgment kind.
    UnknownEventKind,
    /// Text longer than 64 characters.
    TextTooLong,
    /// A second row with the same key; the first one is kept.
    DuplicateKey,
    /// A row about a company absent from (or rejected in) `companies`.
    UnknownCompany,
}

impl Reason {
    /// Every reason, for documentation and exhaustive tests.
    pub const ALL: [Reason; 18] = [
        Reason::MalformedRow,
        Reason::MissingValue,
        Reason::InvalidSiren,
        Reason::UnknownDepartement,
        Reason::InvalidNaf,
        Reason::InvalidDate,
        Reason::ImpossibleDate,
        Reason::InvalidMonth,
        Reason::NotANumber,
        Reason::NotFinite,
        Reason::NegativeAmount,
        Reason::AbsurdAmount,
        Reason::InvalidFlag,
        Reason::InvalidHeadcountBand,
        Reason::UnknownEventKind,
        Reason::TextTooLong,
        Reason::DuplicateKey,
        Reason::UnknownCompany,
    ];

    /// The stable snake_case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MalformedRow => "malformed_row",
            Reason::MissingValue => "missing_value",
            Reason::InvalidSiren => "invalid_siren",
            Reason::UnknownDepartement => "unknown_departement",
            Reason::InvalidNaf => "invalid_naf",
            Reason::InvalidDate => "invalid_date",
            Reason::ImpossibleDate => "impossible_date",
            Reason::InvalidMonth => "invalid_month",
            Reason::NotANumber => "not_a_number",
            Reason::NotFinite => "not_finite",
            Reason::NegativeAmount => "negative_amount",
            Reason::AbsurdAmount => "absurd_amount",
            Reason::InvalidFlag => "invalid_flag",
            Reason::InvalidHeadcountBand => "invalid_headcount_band",
            Reason::UnknownEventKind => "unknown_event_kind",
            Reason::TextTooLong => "text_too_long",
            Reason::DuplicateKey => "duplicate_key",
            Reason::UnknownCompany => "unknown_company",
        }
    }
}

/// One refused row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reject {
    /// Source name.
    pub source: &'static str,
    /// 1-based data row number in the file (the header is row 0).
    pub row: u32,
    /// The offending column (empty for a malformed record).
    pub column: &'static str,
    /// The offending value, truncated to 64 characters; SIREN values are redacted.
    pub value: String,
    /// Why.
    pub reason: Reason,
    /// A human-readable explanation.
    pub detail: String,
}

/// Counts for one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceCounts {
    /// The file read, if any.
    pub file: Option<String>,
    /// Data rows of the file: `rows_accepted + rows_rejected + rows_outside_window`.
    pub rows_read: usize,
    /// Rows accepted and used.
    pub rows_accepted: usize,
    /// Rows refused (each is in the rejects log).
    pub rows_rejected: usize,
    /// Rows of a monthly source outside the months the panel needs: skipped unread
    /// (Parquet) or valid but not needed (CSV).
    pub rows_outside_window: usize,
    /// Rejected rows by reason.
    pub rejects_by_reason: BTreeMap<&'static str, usize>,
}

/// The log of refused rows of a run: held in memory, or written to its file as it goes
/// ([`RejectLog::spilling`]) when a run may refuse more rows than memory should hold.
#[derive(Default)]
pub struct RejectLog {
    rejects: Vec<Reject>,
    /// Where rejects go once [`SPILL_ROWS`] are held, and how many went.
    spill: Option<(TableWriter, usize)>,
    /// The spill file's first write error (rejects are then kept in memory; `finish`
    /// reports it).
    failed: Option<crate::Error>,
}

impl std::fmt::Debug for RejectLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RejectLog").field("len", &self.len()).finish_non_exhaustive()
    }
}

/// Rejects held before a spilling log writes them.
const SPILL_ROWS: usize = 65_536;

impl RejectLog {
    /// A log written to `path` (CSV, as [`RejectLog::write_csv`] writes it) by batches as
    /// rows are refused, so that its memory stays bounded; [`RejectLog::finish`] completes
    /// the file.
    #[must_use]
    pub fn spilling(path: &Path) -> Self {
        Self {
            rejects: Vec::new(),
            spill: Some((TableWriter::new(path, crate::source::Format::Csv), 0)),
            failed: None,
        }
    }

    /// Records a refused row.
    pub fn push(&mut self, r: Reject) {
        self.rejects.push(r);
        if self.rejects.len() >= SPILL_ROWS
            && self.failed.is_none()
            && let Some((w, written)) = &mut self.spill
        {
            match w.write(Self::table(&self.rejects)) {
                Ok(()) => {
                    *written += self.rejects.len();
                    self.rejects.clear();
                }
                Err(e) => self.failed = Some(e),
            }
        }
    }

    /// The refused rows held in memory, in the order they were found (all of them, unless
    /// the log is spilling).
    #[must_use]
    pub fn rejects(&self) -> &[Reject] {
        &self.rejects
    }

    /// Number of refused rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rejects.len() + self.spill.as_ref().map_or(0, |s| s.1)
    }

    /// Whether no row was refused.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Completes a spilling log's file (with its header when no row was refused); writes
    /// the log to `path` when it is held in memory. Returns the number of rows.
    pub fn finish(self, path: &Path) -> Result<usize> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let Some((mut w, written)) = self.spill else {
            self.write_csv(path)?;
            return Ok(self.rejects.len());
        };
        if !self.rejects.is_empty() || written == 0 {
            w.write(Self::table(&self.rejects))?;
        }
        w.finish()
    }

    /// Writes the log as CSV (`source,row,column,value,reason,detail`), atomically.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        Self::table(&self.rejects).write(path, crate::source::Format::Csv)
    }

    fn table(r: &[Reject]) -> Table {
        Table::new(vec![
            ("source", Col::Str(r.iter().map(|x| Some(x.source.to_owned())).collect())),
            ("row", Col::U32(r.iter().map(|x| Some(x.row)).collect())),
            ("column", Col::Str(r.iter().map(|x| Some(x.column.to_owned())).collect())),
            ("value", Col::Str(r.iter().map(|x| Some(x.value.clone())).collect())),
            ("reason", Col::Str(r.iter().map(|x| Some(x.reason.as_str().to_owned())).collect())),
            ("detail", Col::Str(r.iter().map(|x| Some(x.detail.clone())).collect())),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reject(row: u32) -> Reject {
        Reject {
            source: "test",
            row,
            column: "amount",
            value: format!("x{row}, \"quoted\""),
            reason: Reason::NotANumber,
            detail: "not a number".into(),
        }
    }

    #[test]
    fn a_spilling_log_writes_every_reject_once_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rejects.csv");
        let mut log = RejectLog::spilling(&path);
        let n = 2 * SPILL_ROWS as u32 + 7;
        for row in 1..=n {
            log.push(reject(row));
        }
        assert_eq!(log.len(), n as usize);
        assert!(log.rejects().len() < SPILL_ROWS, "written as it goes");
        assert_eq!(log.finish(&path).unwrap(), n as usize);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), n as usize + 1);
        assert_eq!(lines[0], "source,row,column,value,reason,detail");
        assert_eq!(lines[1], r#"test,1,amount,"x1, ""quoted""",not_a_number,not a number"#);
        assert!(lines[n as usize].starts_with(&format!("test,{n},")));
    }

    #[test]
    fn a_spilling_log_without_rejects_writes_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rejects.csv");
        assert_eq!(RejectLog::spilling(&path).finish(&path).unwrap(), 0);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap().trim(),
            "source,row,column,value,reason,detail"
        );
    }
}
