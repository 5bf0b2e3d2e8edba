//! `vigie import`: real files into Vigie's sources, with the guarantees of ingestion —
//! every input row accepted, rejected with a reason (in the rejects file), or counted as
//! skipped with a reason; SIRENs kept as in the inputs (the pipeline pseudonymises them
//! with the deployment's key) and never written to a log, a summary or the rejects.
//!
//! Read so far: the INSEE SIRENE stock files (`StockUniteLegale`, `StockEtablissement`)
//! into `companies` ([`sirene`]). The other formats of `../shared/formats/README.md`
//! (liasse fiscale, INPI accounts, Urssaf files, BODACC) come next; the liasse's boxes
//! already map to filing amounts in `vigie_core::accounts::liasse`.

use std::collections::BTreeMap;

use serde::Serialize;

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
