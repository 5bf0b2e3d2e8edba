//! The synthetic companies in the formats of the open data (`vigie generate --format
//! open-data`): what anyone can download — the INSEE SIRENE stock files, the INPI accounts
//! (XML, page / m1–m4 layout) and the BODACC's notices — written from the generated sources,
//! so that the open-data route (`vigie import` → `panel` → `train` → `rescore` → `serve`)
//! runs end to end on known data (`docs/open-data.md`).
//!
//! Written as the real files are: SIRENE with its column names and codes (a head office and,
//! for one company in five, a second establishment), INPI filings of type C with each
//! amount in the box the import reads it from (so that importing gives the generated amounts
//! back, to rounding to the euro), BODACC notices with the judgment as JSON text, one in ten
//! published twice (a correction).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use vigie_data::tabular::{self, Tabular};

use crate::{Error, Result};

/// What was written.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OpenData {
    /// `StockUniteLegale.csv` rows.
    pub legal_units: usize,
    /// `StockEtablissement.csv` rows.
    pub establishments: usize,
    /// INPI filings (`<bilan>` documents), in `inpi/bilans-<year>.xml`.
    pub inpi_filings: usize,
    /// BODACC notices in `bodacc.csv`.
    pub bodacc_notices: usize,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.display().to_string(), source }
}

fn read(dir: &Path, name: &str) -> Result<Tabular> {
    Ok(tabular::read(&dir.join(format!("{name}.parquet")))?)
}

fn texts<'a>(t: &'a Tabular, name: &str) -> &'a [Option<String>] {
    t.text(name).unwrap_or(&[])
}

fn cell(v: &[Option<String>], i: usize) -> &str {
    v.get(i).and_then(Option::as_deref).unwrap_or("")
}

/// `YYYY-MM-DD` as `YYYYMMDD`.
fn compact(date: &str) -> String {
    date.replace('-', "")
}

/// The legal form's INSEE code (categorieJuridiqueUniteLegale).
fn legal_code(form: &str) -> &'static str {
    match form {
        "EI" => "1000",
        "SASU" | "SAS" => "5710",
        "SA" => "5599",
        // SARL, EURL and any other company form.
        _ => "5499",
    }
}

/// A commune of a département (its INSEE code: the département, then the commune's number).
fn commune(dep: &str) -> String {
    if dep.len() == 3 { format!("{dep}01") } else { format!("{dep}001") }
}

/// Writes the open-data files of the generated sources of `sources` into `out`.
pub fn write(sources: &Path, out: &Path) -> Result<OpenData> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut done = OpenData::default();
    let c = read(sources, "companies")?;
    let siren = texts(&c, "siren");
    let (naf, dep, form) = (texts(&c, "naf"), texts(&c, "departement"), texts(&c, "legal_form"));
    let (created, closed, band) =
        (texts(&c, "creation_date"), texts(&c, "closure_date"), texts(&c, "headcount_band"));
    let mut ul = String::from(
        "siren,statutDiffusionUniteLegale,dateCreationUniteLegale,trancheEffectifsUniteLegale,\
         etatAdministratifUniteLegale,dateDebut,categorieJuridiqueUniteLegale,\
         activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale\n",
    );
    let mut etab = String::from(
        "siren,nic,siret,etablissementSiege,codeCommuneEtablissement,dateCreationEtablissement\n",
    );
    for i in 0..c.rows {
        let s = cell(siren, i);
        let closure = cell(closed, i);
        let (state, since) =
            if closure.is_empty() { ("A", cell(created, i)) } else { ("C", closure) };
        let b = match cell(band, i) {
            "" => "NN",
            b => b,
        };
        let _ = writeln!(
            ul,
            "{s},O,{},{b},{state},{since},{},{},NAFRev2,00017",
            cell(created, i),
            legal_code(cell(form, i)),
            cell(naf, i)
        );
        let _ = writeln!(
            etab,
            "{s},00017,{s}00017,true,{},{}",
            commune(cell(dep, i)),
            cell(created, i)
        );
        done.legal_units += 1;
        done.establishments += 1;
        if i % 5 == 0 {
            // A secondary establishment, elsewhere (the import skips it: not the head office).
            let _ =
                writeln!(etab, "{s},00025,{s}00025,false,{},{}", commune("75"), cell(created, i));
            done.establishments += 1;
        }
    }
    let ul_path = out.join("StockUniteLegale.csv");
    std::fs::write(&ul_path, ul).map_err(io(&ul_path))?;
    let etab_path = out.join("StockEtablissement.csv");
    std::fs::write(&etab_path, etab).map_err(io(&etab_path))?;

    done.inpi_filings = inpi(sources, &out.join("inpi"))?;
    done.bodacc_notices = bodacc(sources, &c, &out.join("bodacc.csv"))?;
    Ok(done)
}

/// The INPI documents of the generated filings, one file per closing year.
fn inpi(sources: &Path, dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let f = read(sources, "filings")?;
    let siren = texts(&f, "siren");
    let (end, filed) = (texts(&f, "fiscal_year_end"), texts(&f, "filing_date"));
    let amount = |name: &str, i: usize| -> Option<f64> {
        f.numeric(name).and_then(|v| v.get(i).copied()).filter(|x| x.is_finite()).map(f64::round)
    };
    let mut by_year: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for i in 0..f.rows {
        let a = |n: &str| amount(n, i);
        let mut rows: Vec<(&str, &str, [Option<f64>; 4])> = Vec::new();
        let mut put = |page: &'static str, code: &'static str, col: usize, v: Option<f64>| {
            if let Some(v) = v {
                let mut m = [None; 4];
                m[col] = Some(v);
                rows.push((page, code, m));
            }
        };
        // Each amount in the box the import reads it from (`docs/data-format.md`).
        put("01", "BX", 0, a("trade_receivables"));
        put("01", "BT", 0, a("inventory"));
        put("01", "CF", 0, a("cash"));
        put("02", "DL", 0, a("equity"));
        put("02", "DU", 0, a("financial_debt"));
        put("02", "DX", 0, a("trade_payables"));
        put("02", "DY", 0, a("tax_social_liabilities"));
        put("02", "EE", 0, a("total_assets"));
        put("03", "FJ", 2, a("turnover"));
        // Value added is turnover less external charges; EBITDA is value added less taxes
        // and staff costs (all of them wages here, no subsidy).
        let turnover = a("turnover");
        let va = a("value_added");
        put("03", "FW", 2, turnover.zip(va).map(|(t, v)| t - v));
        put("03", "FY", 2, a("staff_costs"));
        let taxes = va.zip(a("ebitda")).map(|(v, e)| v - e - a("staff_costs").unwrap_or(0.0));
        put("03", "FX", 2, taxes);
        put("03", "GG", 2, a("operating_income"));
        put("04", "HN", 0, a("net_income"));
        put("08", "0J", 0, a("investment"));
        put("11", "YP", 0, a("headcount"));
        let mut x = String::new();
        let _ = write!(
            x,
            "<bilan><identite><siren>{}</siren><date_cloture_exercice>{}</date_cloture_exercice>\
             <duree_exercice_n>12</duree_exercice_n><date_depot>{}</date_depot>\
             <code_type_bilan>C</code_type_bilan><code_confidentialite>0</code_confidentialite>\
             <code_motif>00</code_motif></identite><detail>",
            cell(siren, i),
            compact(cell(end, i)),
            compact(cell(filed, i))
        );
        let mut page = "";
        for (p, code, m) in &rows {
            if *p != page {
                if !page.is_empty() {
                    x.push_str("</page>");
                }
                let _ = write!(x, "<page numero=\"{p}\">");
                page = p;
            }
            let v = |k: usize| m[k].map_or_else(String::new, |v| format!("{:015}", v as i64));
            let _ = write!(
                x,
                "<liasse code=\"{code}\" m1=\"{}\" m2=\"{}\" m3=\"{}\" m4=\"{}\"/>",
                v(0),
                v(1),
                v(2),
                v(3)
            );
        }
        if !page.is_empty() {
            x.push_str("</page>");
        }
        x.push_str("</detail></bilan>\n");
        by_year.entry(cell(end, i).get(..4).unwrap_or("0000").to_owned()).or_default().push_str(&x);
    }
    for (year, docs) in &by_year {
        let path: PathBuf = dir.join(format!("bilans-{year}.xml"));
        let text =
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<bilans>\n{docs}</bilans>\n");
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    Ok(f.rows)
}

/// The BODACC notices of the generated judgments.
fn bodacc(sources: &Path, companies: &Tabular, path: &Path) -> Result<usize> {
    let e = read(sources, "events")?;
    let siren = texts(&e, "siren");
    let (date, kind) = (texts(&e, "date"), texts(&e, "kind"));
    let dep_of: std::collections::HashMap<&str, &str> = texts(companies, "siren")
        .iter()
        .zip(texts(companies, "departement"))
        .filter_map(|(s, d)| Some((s.as_deref()?, d.as_deref()?)))
        .collect();
    let mut csv =
        String::from("id;dateparution;familleavis;numerodepartement;tribunal;registre;jugement\n");
    let mut n = 0;
    for i in 0..e.rows {
        let s = cell(siren, i);
        let (famille, nature) = match cell(kind, i) {
            "safeguard" => {
                ("Jugement d'ouverture", "Jugement d'ouverture d'une procédure de sauvegarde")
            }
            "receivership" => (
                "Jugement d'ouverture",
                "Jugement d'ouverture d'une procédure de redressement judiciaire",
            ),
            "liquidation" => {
                ("Jugement d'ouverture", "Jugement d'ouverture de liquidation judiciaire")
            }
            "plan_adoption" => {
                ("Jugement arrêtant le plan", "Jugement arrêtant le plan de redressement")
            }
            _ => ("Jugement de clôture", "Jugement de clôture pour insuffisance d'actif"),
        };
        let d = cell(date, i);
        let judgment =
            format!("{{\"famille\": \"{famille}\", \"nature\": \"{nature}\", \"date\": \"{d}\"}}")
                .replace('"', "\"\"");
        let spaced = format!(
            "{} {} {}",
            &s[..3.min(s.len())],
            &s[3.min(s.len())..6.min(s.len())],
            &s[6.min(s.len())..]
        );
        let dep = dep_of.get(s).copied().unwrap_or("");
        // Published on the judgment's date (the real ones follow it by days); one in ten
        // published again, as a correction is.
        let copies = if i % 10 == 0 { 2 } else { 1 };
        for _ in 0..copies {
            n += 1;
            let _ = writeln!(
                csv,
                "A{n};{d};collective;{dep};Tribunal de commerce;\"{spaced},{s}\";\"{judgment}\""
            );
        }
    }
    std::fs::write(path, csv).map_err(io(path))?;
    Ok(n)
}
