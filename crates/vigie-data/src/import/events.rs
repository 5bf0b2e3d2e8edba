//! Judgments into `events`: the Urssaf's procedure file (`procol`: `Siret`, `Siren`,
//! `Dt_effet` as `24FEB2014`, `Lib_actx_stdx` an action × stage such as
//! `Ouverture_liquidation` or `Solde_procedure_redressement`) and the BODACC's notices
//! (the DILA's open-data export of the "annonces", CSV with `;` or JSON: `familleavis`,
//! `registre` — the SIREN, often in two spellings —, `dateparution`, and `jugement`, a JSON
//! text with `famille`, `nature` and `date`).
//!
//! Each judgment becomes an opening (safeguard, receivership, liquidation — a conversion
//! into liquidation included), a plan adoption or a closure; any other judgment (an
//! extension, a plan's modification…) and any other notice is skipped with its reason. The
//! same judgment published twice (a correction) or given by both sources is kept once:
//! de-duplicated by SIREN, date and kind, the later ones counted as skipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use vigie_core::Date;

use super::{Encoding, InputSummary, Tally, cell, column, formats, text};
use crate::ingest::EventKind;
use crate::rejects::{Reason, RejectLog};
use crate::source::{Format, SourceSpec};
use crate::{Error, Result};

/// The Urssaf's procedure file.
pub static PROCOL: SourceSpec = SourceSpec {
    name: "urssaf_procol",
    grain: "one row per judgment × establishment",
    optional: true,
    key: &["siren", "dt_effet", "lib_actx_stdx"],
    columns: &[
        text("siren", false),
        text("siret", false),
        text("dt_effet", true),
        text("lib_actx_stdx", true),
    ],
};

/// The BODACC's notices (CSV export).
pub static BODACC: SourceSpec = SourceSpec {
    name: "bodacc",
    grain: "one row per notice",
    optional: true,
    key: &["id"],
    columns: &[
        text("id", false),
        text("dateparution", true),
        text("familleavis", true),
        text("registre", true),
        text("jugement", true),
        text("numerodepartement", false),
        text("tribunal", false),
    ],
};

/// The `events` rows built, by SIREN then date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Events {
    /// SIRENs, as in the inputs.
    pub siren: Vec<String>,
    /// Judgment dates.
    pub date: Vec<Date>,
    /// Kinds.
    pub kind: Vec<EventKind>,
}

impl Events {
    /// The rows as an `events` source frame.
    pub fn frame(&self) -> Result<DataFrame> {
        let dates: Vec<String> = self.date.iter().map(ToString::to_string).collect();
        let kinds: Vec<&str> = self.kind.iter().map(|k| k.as_str()).collect();
        DataFrame::new(
            self.siren.len(),
            vec![
                Column::new("siren".into(), &self.siren),
                Column::new("date".into(), dates),
                Column::new("kind".into(), kinds),
            ],
        )
        .map_err(|e| Error::Unreadable { path: PathBuf::from("events"), message: e.to_string() })
    }
}

/// The judgment files of one import.
#[derive(Debug, Clone, Default)]
pub struct EventInputs {
    /// Urssaf procedure files.
    pub procol: Vec<PathBuf>,
    /// BODACC exports (`.json`: JSON, otherwise CSV).
    pub bodacc: Vec<PathBuf>,
    /// The encoding of the CSV files.
    pub encoding: Encoding,
}

/// Lower case, without the accents French judgments carry.
fn plain(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'ù' | 'û' => 'u',
            'ç' => 'c',
            '_' => ' ',
            other => other,
        })
        .collect()
}

/// What a judgment is, from its words: `Ok(kind)`, or `Err(why it is skipped)`.
fn classify(text: &str) -> std::result::Result<EventKind, &'static str> {
    let t = plain(text);
    let procedure = if t.contains("liquidation") {
        Some(EventKind::Liquidation)
    } else if t.contains("redressement") {
        Some(EventKind::Receivership)
    } else if t.contains("sauvegarde") {
        Some(EventKind::Safeguard)
    } else {
        None
    };
    let opening = t.contains("ouverture")
        || (t.contains("prononcant") && t.contains("liquidation"))
        || (t.contains("conversion") && t.contains("liquidation"));
    if t.contains("inclusion") {
        return Err("included_in_another_procedure");
    }
    // A closure first: "prononçant la clôture de la liquidation" closes, it does not open.
    if t.contains("cloture") || t.contains("solde") || t.contains("mettant fin") {
        return Ok(EventKind::Closure);
    }
    if opening {
        return procedure.ok_or("opening_of_another_procedure");
    }
    let plan = t.contains("arretant le plan")
        || t.contains("plan continuation")
        || t.contains("plan de continuation")
        || (t.contains("plan")
            && procedure.is_some()
            && !t.contains("modifi")
            && !t.contains("resolution"));
    if plan {
        return Ok(EventKind::PlanAdoption);
    }
    Err("other_judgment")
}

/// The judgments kept so far, for de-duplication.
#[derive(Default)]
struct Kept {
    seen: BTreeSet<(String, Date, EventKind)>,
}

impl Kept {
    /// Keeps a judgment unless already kept; counts the row either way.
    fn add(&mut self, t: &mut Tally<'_>, siren: String, date: Date, kind: EventKind) {
        if self.seen.insert((siren, date, kind)) {
            t.summary.rows_accepted += 1;
        } else {
            t.skip("duplicate_judgment");
        }
    }
}

/// Reads the judgment files into `events` rows; one summary per input file.
pub fn events(inputs: &EventInputs, log: &mut RejectLog) -> Result<(Events, Vec<InputSummary>)> {
    let mut kept = Kept::default();
    let mut summaries = Vec::new();
    for path in &inputs.procol {
        let mut input = super::Input::open(&PROCOL, path, inputs.encoding)?;
        let mut t = Tally::open(&input, log);
        while let Some(raw) = input.next_block()? {
            t.block(&raw);
            let c = |n| column(&raw, n);
            let (siren, siret, when, what) =
                (c("siren"), c("siret"), c("dt_effet"), c("lib_actx_stdx"));
            for i in 0..raw.df.height() {
                let Some((row, s)) = t.company(&raw, i, siren, siret) else { continue };
                let d = cell(when, i);
                let Some(date) = formats::date(d, false) else {
                    t.reject(
                        row,
                        "dt_effet",
                        d,
                        Reason::InvalidDate,
                        "expected a date as 24FEB2014".into(),
                    );
                    continue;
                };
                let w = cell(what, i);
                match classify(w) {
                    Ok(kind) => kept.add(&mut t, s, date, kind),
                    Err("other_judgment") => t.reject(
                        row,
                        "lib_actx_stdx",
                        w,
                        Reason::UnknownEventKind,
                        "expected an action (liquidation, redressement, sauvegarde) × a stage \
                         (ouverture, plan_continuation, solde_procedure, inclusion_autre_procedure)"
                            .into(),
                    ),
                    Err(why) => t.skip(why),
                }
            }
        }
        summaries.push(t.summary);
    }
    for path in &inputs.bodacc {
        let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let summary = if json {
            bodacc_json(path, &mut kept, log)?
        } else {
            let mut input = super::Input::open(&BODACC, path, inputs.encoding)?;
            let mut t = Tally::open(&input, log);
            while let Some(raw) = input.next_block()? {
                t.block(&raw);
                let c = |n| column(&raw, n);
                let (family, register, published, judgment) =
                    (c("familleavis"), c("registre"), c("dateparution"), c("jugement"));
                for i in 0..raw.df.height() {
                    let row = raw.row_numbers[i];
                    if t.malformed(row) {
                        continue;
                    }
                    let notice = Notice {
                        family: cell(family, i),
                        register: cell(register, i),
                        published: cell(published, i),
                        judgment: cell(judgment, i),
                    };
                    notice.read(&mut t, row, &mut kept);
                }
            }
            t.summary
        };
        summaries.push(summary);
    }
    let mut out = Events::default();
    for (siren, date, kind) in kept.seen {
        out.siren.push(siren);
        out.date.push(date);
        out.kind.push(kind);
    }
    Ok((out, summaries))
}

/// One BODACC notice's fields, as text.
struct Notice<'a> {
    family: &'a str,
    register: &'a str,
    published: &'a str,
    judgment: &'a str,
}

impl Notice<'_> {
    fn read(&self, t: &mut Tally<'_>, row: u32, kept: &mut Kept) {
        if plain(self.family) != "collective" {
            t.skip("not_a_collective_procedure_notice");
            return;
        }
        // `"482 309 382","482309382"`: the first spelling, spaces dropped.
        let first =
            self.register.split(',').next().unwrap_or("").trim().trim_matches(['"', '[', ']']);
        let s = formats::siren(first, "");
        if !t.siren_ok(row, &s) {
            return;
        }
        let j: serde_json::Value = match serde_json::from_str(self.judgment) {
            Ok(v) => v,
            Err(e) => {
                t.reject(
                    row,
                    "jugement",
                    self.judgment,
                    Reason::MalformedRow,
                    format!("not JSON: {e}"),
                );
                return;
            }
        };
        let field = |k: &str| j.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
        let words = format!("{} {}", field("famille"), field("nature"));
        let kind = match classify(&words) {
            Ok(k) => k,
            Err(why) => {
                t.skip(why);
                return;
            }
        };
        // The judgment's date; else the publication's, which follows it (never earlier:
        // no look-ahead).
        let date =
            formats::date(field("date"), false).or_else(|| formats::date(self.published, false));
        let Some(date) = date else {
            t.reject(
                row,
                "dateparution",
                self.published,
                Reason::InvalidDate,
                "neither the judgment nor the notice has a date".into(),
            );
            return;
        };
        kept.add(t, s, date, kind);
    }
}

/// Reads a BODACC JSON export: an array of notices, or the open-data API's answer
/// (`results`, or `records` whose items hold `fields`).
fn bodacc_json(path: &Path, kept: &mut Kept, log: &mut RejectLog) -> Result<InputSummary> {
    let unreadable = |m: String| Error::Unreadable { path: path.to_owned(), message: m };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let doc: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| unreadable(format!("not JSON: {e}")))?;
    let items = match &doc {
        serde_json::Value::Array(a) => a.clone(),
        serde_json::Value::Object(o) => o
            .get("results")
            .or_else(|| o.get("records"))
            .and_then(serde_json::Value::as_array)
            .cloned()
            .ok_or_else(|| unreadable("expected an array of notices, or `results`".into()))?,
        _ => return Err(unreadable("expected an array of notices, or `results`".into())),
    };
    let mut t = Tally::plain(BODACC.name, path, items.len(), log);
    for (k, item) in items.iter().enumerate() {
        let row = u32::try_from(k + 1).unwrap_or(u32::MAX);
        let item = item.get("fields").unwrap_or(item);
        let text = |name: &str| match item.get(name) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(a)) => {
                a.iter().filter_map(serde_json::Value::as_str).collect::<Vec<_>>().join(",")
            }
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let (family, register, published, judgment) =
            (text("familleavis"), text("registre"), text("dateparution"), text("jugement"));
        Notice { family: &family, register: &register, published: &published, judgment: &judgment }
            .read(&mut t, row, kept);
    }
    Ok(t.summary)
}

/// Writes `events.<ext>` into `dir`; returns its path.
pub fn write(events: &Events, dir: &Path, format: Format) -> Result<PathBuf> {
    let path = dir.join(format!("events.{}", format.extension()));
    let mut df = events.frame()?;
    crate::table::write_frame(&mut df, &path, format)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judgments_are_read_from_their_words() {
        use EventKind::*;
        for (words, kind) in [
            ("Ouverture_liquidation", Ok(Liquidation)),
            ("Ouverture_redressement", Ok(Receivership)),
            ("Ouverture_sauvegarde", Ok(Safeguard)),
            ("Plan_continuation_redressement", Ok(PlanAdoption)),
            ("Solde_procedure_redressement", Ok(Closure)),
            ("Inclusion_autre_procedure_liquidation", Err("included_in_another_procedure")),
            (
                "Jugement d'ouverture Jugement d'ouverture de liquidation judiciaire",
                Ok(Liquidation),
            ),
            (
                "Jugement d'ouverture Jugement d'ouverture d'une procédure de redressement judiciaire",
                Ok(Receivership),
            ),
            ("Jugement de clôture Jugement de clôture pour insuffisance d'actif", Ok(Closure)),
            (
                "Jugement de clôture Jugement prononçant la clôture de la liquidation judiciaire",
                Ok(Closure),
            ),
            ("Autres jugements Jugement mettant fin à la procédure de sauvegarde", Ok(Closure)),
            (
                "Jugement arrêtant le plan Jugement arrêtant le plan de redressement",
                Ok(PlanAdoption),
            ),
            (
                "Autres jugements Jugement prononçant la résolution du plan de redressement et la liquidation judiciaire",
                Ok(Liquidation),
            ),
            (
                "Jugement modifiant le plan Jugement modifiant le plan de sauvegarde",
                Err("other_judgment"),
            ),
            ("Avis de dépôt de l'état des créances", Err("other_judgment")),
        ] {
            assert_eq!(classify(words), kind, "{words}");
        }
    }
}
