//! The panel as training reads it: only the columns used, texts as codes, by slices of the
//! file (`tabular::read_compact`), so that a panel of millions of rows is never held twice
//! nor as a string per cell.

use std::path::Path;

use vigie_core::features::{CATALOGUE, FeatureSet};
use vigie_core::{Horizon, Month, Naf};
use vigie_data::tabular::{self, Compact, Texts};

use crate::design::Design;
use crate::walk;
use crate::{Error, Result};

/// The panel, read for training.
pub(crate) struct PanelData {
    pub(crate) design: Design,
    pub(crate) months: Vec<Month>,
    pub(crate) companies: Texts,
    pub(crate) departement: Texts,
    pub(crate) section: Texts,
    pub(crate) size_band: Texts,
    /// Labels per horizon: `Some(bool)` when observed.
    pub(crate) labels: [Vec<Option<bool>>; 4],
    /// Rows of companies already in procedure (present only in panels built with
    /// `--keep-in-procedure`); never trained on.
    pub(crate) in_procedure: Vec<bool>,
    /// Rows of the companies held out of training for validation, calibration and the
    /// anchor (`walk::holds_out`).
    pub(crate) held_out: Vec<bool>,
}

/// Takes a text column out of the columns read.
fn text_column(t: &mut Vec<(String, Compact)>, name: &str) -> Result<Texts> {
    match t.iter().position(|(n, _)| n == name).map(|i| t.swap_remove(i).1) {
        Some(Compact::Text(v)) => Ok(v),
        _ => Err(Error::Input(format!("the panel has no text column `{name}`"))),
    }
}

/// Takes a numeric column out of the columns read.
fn numeric_column(t: &mut Vec<(String, Compact)>, name: &str) -> Option<Vec<f64>> {
    match t.iter().position(|(n, _)| n == name).map(|i| t.swap_remove(i).1) {
        Some(Compact::Numeric(v)) => Some(v),
        _ => None,
    }
}

/// The features of a design without any value (their source was absent or empty).
pub(crate) fn never_seen(d: &Design) -> Vec<String> {
    d.features
        .iter()
        .enumerate()
        .filter(|(j, _)| d.x[j * d.n..(j + 1) * d.n].iter().all(|v| v.is_nan()))
        .map(|(_, f)| f.name.clone())
        .collect()
}

pub(crate) fn read_panel(path: &Path, set: FeatureSet) -> Result<PanelData> {
    // Only the columns used are read, texts as codes, by slices of the file: a panel of
    // millions of rows is never held twice, nor as a string per cell.
    let features: Vec<_> = CATALOGUE.iter().filter(|f| set.includes(f.name)).collect();
    let mut names: Vec<&str> = features.iter().map(|f| f.name).collect();
    names.extend(["month", "naf", "company_id", "departement", "size_band", "in_procedure"]);
    names.extend(Horizon::ALL.iter().map(|h| h.label_column()));
    let (rows, mut t) = tabular::read_compact(path, &names)?;
    let mut missing = Vec::new();
    let mut columns = Vec::new();
    for spec in features {
        match numeric_column(&mut t, spec.name) {
            Some(v) => columns.push((spec.name.to_owned(), Some(spec.group), v)),
            None => missing.push(spec.name),
        }
    }
    if !missing.is_empty() {
        return Err(Error::Input(format!(
            "{}: not a panel of this version: missing feature column(s) {}",
            path.display(),
            missing.join(", ")
        )));
    }
    let month_texts = text_column(&mut t, "month")?;
    let month_of = month_texts
        .distinct
        .iter()
        .map(|m| Month::parse(m).map_err(|e| Error::Input(format!("panel month: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    let months = month_texts.codes.iter().map(|&c| month_of[c as usize]).collect();
    let labels = Horizon::ALL.map(|h| {
        numeric_column(&mut t, h.label_column()).map(|v| {
            v.iter().map(|&x| if x.is_nan() { None } else { Some(x > 0.5) }).collect::<Vec<_>>()
        })
    });
    let [Some(l6), Some(l12), Some(l18), Some(l24)] = labels else {
        return Err(Error::Input("the panel lacks label columns label_6m … label_24m".into()));
    };
    let section = text_column(&mut t, "naf")?
        .map(|n| Naf::parse(n).map_or_else(|_| "?".into(), |n| n.section().to_string()));
    let in_procedure = numeric_column(&mut t, "in_procedure")
        .map_or_else(|| vec![false; rows], |v| v.iter().map(|&x| x > 0.5).collect());
    let companies = text_column(&mut t, "company_id")?;
    let held: Vec<bool> = companies.distinct.iter().map(|c| walk::holds_out(c)).collect();
    let held_out = companies.codes.iter().map(|&c| held[c as usize]).collect();
    let departement = text_column(&mut t, "departement")?;
    let size_band = text_column(&mut t, "size_band")?;
    drop(t);
    Ok(PanelData {
        design: Design::from_columns(columns),
        months,
        companies,
        departement,
        section,
        size_band,
        labels: [l6, l12, l18, l24],
        in_procedure,
        held_out,
    })
}
