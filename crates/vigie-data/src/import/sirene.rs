//! INSEE SIRENE stock files (`../shared/formats/README.md`, section 1) into `companies`:
//! `StockUniteLegale` gives the creation date, the activity (NAF rév. 2), the headcount
//! band, the legal form and, for a ceased unit, its closure date; `StockEtablissement` gives
//! the head office's commune, whose first characters are the département. Columns are read
//! by name (their order changes between releases).
//!
//! National files (25 million legal units, 40 million establishments) go through in
//! bounded memory: files are read block by block, `companies` is written by batches
//! ([`stream`]), and what must be remembered across files is compact — the head offices'
//! départements by SIREN as numbers (about 13 bytes each), the SIRENs read and accepted as
//! bits over the 10⁹ possible SIRENs (touched pages only, 125 MB each at most).

use std::path::{Path, PathBuf};

use polars::prelude::PlHashMap;
use polars::prelude::*;
use vigie_core::{Date, Departement, HeadcountBand, Naf};

use super::{InputSummary, Tally, cell, column, siren_number, text};
use crate::rejects::{Reason, RejectLog};
use crate::source::{Format, SourceSpec};
use crate::{Error, Result};

/// The columns of `StockUniteLegale` read.
pub static LEGAL_UNITS: SourceSpec = SourceSpec {
    name: "sirene_ul",
    grain: "one row per legal unit",
    optional: true,
    key: &["siren"],
    columns: &[
        text("siren", true),
        text("datecreationunitelegale", true),
        text("trancheeffectifsunitelegale", true),
        text("etatadministratifunitelegale", true),
        text("datedebut", true),
        text("categoriejuridiqueunitelegale", true),
        text("activiteprincipaleunitelegale", true),
        text("nomenclatureactiviteprincipaleunitelegale", false),
    ],
};

/// The columns of `StockEtablissement` read.
pub static ESTABLISHMENTS: SourceSpec = SourceSpec {
    name: "sirene_etab",
    grain: "one row per establishment",
    optional: true,
    key: &["siret"],
    columns: &[
        text("siren", true),
        text("etablissementsiege", true),
        text("codecommuneetablissement", true),
    ],
};

/// The legal form of individual entrepreneurs (natural persons).
const INDIVIDUAL: &str = "1000";

/// The SIRENE files to read.
#[derive(Debug, Clone, Default)]
pub struct SireneInputs {
    /// `StockUniteLegale` files.
    pub legal_units: Vec<PathBuf>,
    /// `StockEtablissement` files (the head offices' communes).
    pub establishments: Vec<PathBuf>,
    /// Leave out individual entrepreneurs (legal form 1000), counted as skipped.
    pub legal_entities_only: bool,
    /// The files' encoding.
    pub encoding: super::Encoding,
}

/// The `companies` rows built, in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Companies {
    /// SIRENs, as in the inputs.
    pub siren: Vec<String>,
    /// NAF rév. 2 codes.
    pub naf: Vec<String>,
    /// Départements of the head offices.
    pub departement: Vec<String>,
    /// Legal form codes (INSEE, 4 digits).
    pub legal_form: Vec<String>,
    /// Creation dates.
    pub creation_date: Vec<String>,
    /// Closure dates of ceased units.
    pub closure_date: Vec<Option<String>>,
    /// INSEE headcount bands (`None`: unknown).
    pub headcount_band: Vec<Option<String>>,
}

impl Companies {
    /// Appends the rows of `other`.
    pub fn extend(&mut self, other: Self) {
        self.siren.extend(other.siren);
        self.naf.extend(other.naf);
        self.departement.extend(other.departement);
        self.legal_form.extend(other.legal_form);
        self.creation_date.extend(other.creation_date);
        self.closure_date.extend(other.closure_date);
        self.headcount_band.extend(other.headcount_band);
    }

    /// The rows as a `companies` source frame.
    pub fn frame(&self) -> Result<DataFrame> {
        let s = |name: &str, v: &[String]| Column::new(name.into(), v);
        let o = |name: &str, v: &[Option<String>]| Column::new(name.into(), v);
        DataFrame::new(
            self.siren.len(),
            vec![
                s("siren", &self.siren),
                s("naf", &self.naf),
                s("departement", &self.departement),
                s("legal_form", &self.legal_form),
                s("creation_date", &self.creation_date),
                o("closure_date", &self.closure_date),
                o("headcount_band", &self.headcount_band),
            ],
        )
        .map_err(|e| Error::Unreadable { path: PathBuf::from("companies"), message: e.to_string() })
    }
}

/// The département of an INSEE commune code (`21231` → 21, `2A004` → 2A, `97411` → 974).
fn departement_of(commune: &str) -> Option<Departement> {
    let code = if commune.starts_with("97") { commune.get(..3)? } else { commune.get(..2)? };
    (commune.len() == 5).then(|| Departement::parse(code).ok()).flatten()
}

/// A set of SIRENs: one bit per possible SIREN (10⁹), allocated zeroed, so that only the
/// pages of SIRENs met are ever resident.
struct SirenSet(Vec<u64>);

impl SirenSet {
    fn new() -> Self {
        Self(vec![0; 1_000_000_000 / 64 + 1])
    }

    fn insert(&mut self, siren: u32) {
        self.0[siren as usize / 64] |= 1 << (siren % 64);
    }

    fn contains(&self, siren: u32) -> bool {
        self.0[siren as usize / 64] & (1 << (siren % 64)) != 0
    }
}

/// A head office read: its département (`None`: rejected for its commune, the reason in
/// `rejected_heads`) and the establishment file that gave it.
#[derive(Clone, Copy)]
struct Head {
    departement: Option<[u8; 3]>,
    file: u16,
}

fn code(d: Departement) -> [u8; 3] {
    let mut c = [0; 3];
    c[..d.as_str().len()].copy_from_slice(d.as_str().as_bytes());
    c
}

fn departement_text(c: [u8; 3]) -> String {
    c.iter().take_while(|&&b| b != 0).map(|&b| char::from(b)).collect()
}

/// Rows of `companies` gathered before they are handed on by [`stream`].
pub const BATCH_ROWS: usize = 1 << 20;

/// Reads the SIRENE files into `companies` rows; one summary per input file, establishment
/// files first. All rows in memory: for small files and tests; [`stream`] is the bounded
/// version.
pub fn companies(
    inputs: &SireneInputs,
    log: &mut RejectLog,
) -> Result<(Companies, Vec<InputSummary>)> {
    let mut all = Companies::default();
    let summaries = stream(inputs, log, |batch| {
        all.extend(batch);
        Ok(())
    })?;
    Ok((all, summaries))
}

/// Reads the SIRENE files and hands `companies` rows to `emit` by batches of
/// [`BATCH_ROWS`] (in input order; the last batch may be smaller, and is never empty);
/// returns one summary per input file, establishment files first.
pub fn stream(
    inputs: &SireneInputs,
    log: &mut RejectLog,
    mut emit: impl FnMut(Companies) -> Result<()>,
) -> Result<Vec<InputSummary>> {
    if inputs.legal_units.is_empty() != inputs.establishments.is_empty() {
        return Err(Error::Arguments(
            "--sirene-ul and --sirene-etab go together: the legal units give the companies, \
             their head offices the départements"
                .into(),
        ));
    }
    let mut summaries = Vec::new();
    // Head offices: SIREN → département (or none, and why in `rejected_heads`).
    let mut heads: PlHashMap<u32, Head> = PlHashMap::default();
    let mut rejected_heads: PlHashMap<u32, String> = PlHashMap::default();
    for (k, path) in inputs.establishments.iter().enumerate() {
        let file = u16::try_from(k)
            .map_err(|_| Error::Arguments("over 65,535 --sirene-etab files".into()))?;
        let mut input = super::Input::open(&ESTABLISHMENTS, path, inputs.encoding)?;
        let mut t = Tally::open(&input, log);
        while let Some(raw) = input.next_block()? {
            t.block(&raw);
            let (siren, head, commune) = (
                column(&raw, "siren"),
                column(&raw, "etablissementsiege"),
                column(&raw, "codecommuneetablissement"),
            );
            for i in 0..raw.df.height() {
                let row = raw.row_numbers[i];
                if t.malformed(row) {
                    continue;
                }
                if cell(head, i) != "true" {
                    t.skip("not_the_head_office");
                    continue;
                }
                let s = cell(siren, i);
                if !t.siren_ok(row, s) {
                    continue;
                }
                let number = siren_number(s);
                let c = cell(commune, i);
                let dep = departement_of(c).map(code);
                if dep.is_none() {
                    let why = format!("head office commune {c:?} is not an INSEE commune code");
                    t.reject(
                        row,
                        "codecommuneetablissement",
                        c,
                        Reason::UnknownDepartement,
                        why.clone(),
                    );
                    rejected_heads.entry(number).or_insert(why);
                }
                let head = Head { departement: dep, file };
                match heads.get_mut(&number) {
                    // A valid head office replaces one rejected for its commune.
                    Some(before) if before.departement.is_none() && dep.is_some() => {
                        *before = head;
                    }
                    Some(_) => {
                        // Two valid head offices: the first one read is kept.
                        if dep.is_some() {
                            t.reject(
                                row,
                                "etablissementsiege",
                                "true",
                                Reason::DuplicateKey,
                                "another head office of this company was read before; the first \
                                 is kept"
                                    .into(),
                            );
                        }
                    }
                    None => {
                        heads.insert(number, head);
                    }
                }
            }
        }
        summaries.push(t.summary);
    }
    let mut out = Companies::default();
    // Legal units accepted (a later row of the same SIREN is a duplicate), and every valid
    // SIREN read in them (to say why a head office went unused).
    let mut seen = SirenSet::new();
    let mut read = SirenSet::new();
    for path in &inputs.legal_units {
        let mut input = super::Input::open(&LEGAL_UNITS, path, inputs.encoding)?;
        let mut t = Tally::open(&input, log);
        while let Some(raw) = input.next_block()? {
            t.block(&raw);
            let col = |n| column(&raw, n);
            let (siren, created, band, state, since, form, naf, nomenclature) = (
                col("siren"),
                col("datecreationunitelegale"),
                col("trancheeffectifsunitelegale"),
                col("etatadministratifunitelegale"),
                col("datedebut"),
                col("categoriejuridiqueunitelegale"),
                col("activiteprincipaleunitelegale"),
                col("nomenclatureactiviteprincipaleunitelegale"),
            );
            for i in 0..raw.df.height() {
                let Some((row, s)) = t.exact_company(&raw, i, siren) else { continue };
                let number = siren_number(s);
                read.insert(number);
                let legal_form = cell(form, i);
                if inputs.legal_entities_only && legal_form == INDIVIDUAL {
                    t.skip("individual_entrepreneur");
                    continue;
                }
                if seen.contains(number) {
                    t.reject(
                        row,
                        "siren",
                        s,
                        Reason::DuplicateKey,
                        "this legal unit was read before; the first row is kept".into(),
                    );
                    continue;
                }
                let creation = cell(created, i);
                let Ok(creation_date) = Date::parse(creation) else {
                    let (reason, why) = if creation.is_empty() {
                        (Reason::MissingValue, "no creation date")
                    } else {
                        (Reason::InvalidDate, "not a YYYY-MM-DD date")
                    };
                    t.reject(row, "datecreationunitelegale", creation, reason, why.into());
                    continue;
                };
                let closure = match cell(state, i) {
                    "A" => None,
                    "C" => {
                        let d = cell(since, i);
                        match Date::parse(d) {
                            Ok(c) if c < creation_date => {
                                t.reject(
                                    row,
                                    "datedebut",
                                    d,
                                    Reason::ImpossibleDate,
                                    "ceased before its creation".into(),
                                );
                                continue;
                            }
                            Ok(c) => Some(c.to_string()),
                            Err(_) => {
                                t.reject(
                                    row,
                                    "datedebut",
                                    d,
                                    Reason::InvalidDate,
                                    "a ceased unit's closure date (dateDebut) is not a YYYY-MM-DD date"
                                        .into(),
                                );
                                continue;
                            }
                        }
                    }
                    other => {
                        t.reject(
                            row,
                            "etatadministratifunitelegale",
                            other,
                            Reason::InvalidFlag,
                            "expected A (active) or C (ceased)".into(),
                        );
                        continue;
                    }
                };
                let nom = cell(nomenclature, i);
                let code = cell(naf, i);
                if !(nom.is_empty() || nom == "NAFRev2") {
                    t.reject(
                        row,
                        "nomenclatureactiviteprincipaleunitelegale",
                        nom,
                        Reason::InvalidNaf,
                        format!("activity coded in {nom}: only NAF rév. 2 codes are read"),
                    );
                    continue;
                }
                let Ok(naf_code) = Naf::parse(code) else {
                    t.reject(
                        row,
                        "activiteprincipaleunitelegale",
                        code,
                        Reason::InvalidNaf,
                        "not a NAF rév. 2 code NN.NNL".into(),
                    );
                    continue;
                };
                let b = cell(band, i);
                let headcount_band = if matches!(b, "" | "NN") {
                    None
                } else if let Ok(h) = HeadcountBand::parse(b) {
                    Some(h.code().to_owned())
                } else {
                    t.reject(
                        row,
                        "trancheeffectifsunitelegale",
                        b,
                        Reason::InvalidHeadcountBand,
                        "not an INSEE headcount band".into(),
                    );
                    continue;
                };
                let departement = match heads.get(&number).map(|h| h.departement) {
                    Some(Some(dep)) => departement_text(dep),
                    Some(None) => {
                        let why = rejected_heads.get(&number).map_or("", String::as_str);
                        t.reject(
                            row,
                            "siren",
                            s,
                            Reason::UnknownDepartement,
                            format!("its head office was rejected in sirene_etab: {why}"),
                        );
                        continue;
                    }
                    None => {
                        t.reject(
                            row,
                            "siren",
                            s,
                            Reason::UnknownDepartement,
                            "no head office of this company in the --sirene-etab files".into(),
                        );
                        continue;
                    }
                };
                t.summary.rows_accepted += 1;
                seen.insert(number);
                out.siren.push(s.to_owned());
                out.naf.push(naf_code.as_str().to_owned());
                out.departement.push(departement);
                out.legal_form.push(legal_form.to_owned());
                out.creation_date.push(creation_date.to_string());
                out.closure_date.push(closure);
                out.headcount_band.push(headcount_band);
                if out.siren.len() >= BATCH_ROWS {
                    emit(std::mem::take(&mut out))?;
                }
            }
        }
        summaries.push(t.summary);
    }
    // Establishment rows: a head office used is accepted; a valid one unused is skipped,
    // saying whether its legal unit was read (then rejected or skipped) or not at all.
    if !out.siren.is_empty() {
        emit(out)?;
    }
    for (&siren, head) in &heads {
        if head.departement.is_none() {
            continue; // rejected already
        }
        let s = &mut summaries[usize::from(head.file)];
        if seen.contains(siren) {
            s.rows_accepted += 1;
        } else if read.contains(siren) {
            *s.skipped.entry("legal_unit_rejected_or_skipped").or_default() += 1;
        } else {
            *s.skipped.entry("no_legal_unit_read").or_default() += 1;
        }
    }
    Ok(summaries)
}

/// Writes `companies.<ext>` into `dir`; returns its path.
pub fn write(companies: &Companies, dir: &Path, format: Format) -> Result<PathBuf> {
    let path = dir.join(format!("companies.{}", format.extension()));
    let mut df = companies.frame()?;
    crate::table::write_frame(&mut df, &path, format)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn communes_give_their_departement() {
        let d = |c: &str| departement_of(c).map(|d| d.as_str().to_owned());
        assert_eq!(d("21231").as_deref(), Some("21"));
        assert_eq!(d("2A004").as_deref(), Some("2A"));
        assert_eq!(d("97411").as_deref(), Some("974"));
        assert_eq!(d("75056").as_deref(), Some("75"));
        assert_eq!(d("20004"), None, "20 is no longer a département");
        assert_eq!(d("2100"), None);
        assert_eq!(d(""), None);
    }
}
