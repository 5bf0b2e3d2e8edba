//! Files of national size for the benchmark of `vigie import` (`vigie generate --format
//! sirene-stock` and `--format urssaf-debits`): a `StockUniteLegale` and a
//! `StockEtablissement` with INSEE's full headers, and an Urssaf débits file with the
//! layout of the state's early-warning exchanges, at any number of companies — 25 million
//! legal units, 100 million débits rows — written straight to disk, row after row, in the
//! memory of a buffer.
//!
//! They are not the generated companies' histories (`vigie generate` builds those in
//! memory, for the panel): values are drawn per row from the seed — dates, codes, amounts in
//! cents — in the formats the import reads, with one row in 10,000 wrong in a way it must
//! reject (an impossible creation date; an amount that is not a number), so that the
//! benchmark also writes rejects.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::{Error, Result};

/// What was written.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct NationalFiles {
    /// Rows of `StockUniteLegale.csv`.
    pub legal_units: usize,
    /// Rows of `StockEtablissement.csv`.
    pub establishments: usize,
    /// Rows of `debits.csv`.
    pub debits: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// The `i`-th SIREN: distinct for `i` below 90 million (7,919 is prime to 90,000,000),
/// spread over the range of SIRENs, with its Luhn check digit.
#[must_use]
pub fn siren(i: usize) -> String {
    let prefix = 10_000_000 + (i as u64 * 7_919) % 90_000_000;
    let digits = prefix.to_string();
    let mut sum = 0;
    // The check digit is the ninth, at an odd position from the right: the eighth digit
    // is doubled, and every other one before it.
    for (k, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if k % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    format!("{digits}{}", (10 - sum % 10) % 10)
}

const NAF: [&str; 8] =
    ["56.10A", "47.11D", "43.21A", "62.01Z", "41.20A", "68.20B", "86.21Z", "49.41A"];
const BANDS: [&str; 6] = ["NN", "00", "01", "02", "03", "11"];
const FORMS: [&str; 4] = ["1000", "5499", "5710", "5710"];
const DEPS: [&str; 8] = ["75", "13", "69", "2A", "974", "59", "33", "21"];

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.display().to_string(), source }
}

fn date(rng: &mut Xoshiro256PlusPlus, from: i32, to: i32) -> (i32, u32, u32) {
    (rng.random_range(from..=to), rng.random_range(1..=12), rng.random_range(1..=28))
}

/// Writes `StockUniteLegale.csv` and `StockEtablissement.csv` for `companies` legal units
/// (a head office each, a second establishment for one in two) into `out`.
pub fn sirene(out: &Path, companies: usize, seed: u64) -> Result<NationalFiles> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut done = NationalFiles::default();
    let ul_path = out.join("StockUniteLegale.csv");
    let etab_path = out.join("StockEtablissement.csv");
    let mut ul = BufWriter::with_capacity(1 << 20, File::create(&ul_path).map_err(io(&ul_path))?);
    let mut etab =
        BufWriter::with_capacity(1 << 20, File::create(&etab_path).map_err(io(&etab_path))?);
    writeln!(
        ul,
        "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,\
         sigleUniteLegale,sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,\
         prenom3UniteLegale,prenom4UniteLegale,prenomUsuelUniteLegale,pseudonymeUniteLegale,\
         identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,\
         anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,nombrePeriodesUniteLegale,\
         categorieEntreprise,anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,\
         nomUniteLegale,nomUsageUniteLegale,denominationUniteLegale,\
         denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,\
         denominationUsuelle3UniteLegale,categorieJuridiqueUniteLegale,\
         activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,\
         activitePrincipaleNAF25UniteLegale,nicSiegeUniteLegale,\
         economieSocialeSolidaireUniteLegale,caractereEmployeurUniteLegale"
    )
    .map_err(io(&ul_path))?;
    writeln!(
        etab,
        "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,\
         trancheEffectifsEtablissement,anneeEffectifsEtablissement,\
         activitePrincipaleRegistreMetiersEtablissement,dateDernierTraitementEtablissement,\
         etablissementSiege,nombrePeriodesEtablissement,complementAdresseEtablissement,\
         numeroVoieEtablissement,indiceRepetitionEtablissement,typeVoieEtablissement,\
         libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,\
         libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,\
         codeCommuneEtablissement,codeCedexEtablissement,libelleCedexEtablissement,\
         codePaysEtrangerEtablissement,libellePaysEtrangerEtablissement,\
         complementAdresse2Etablissement,numeroVoie2Etablissement,\
         indiceRepetition2Etablissement,typeVoie2Etablissement,libelleVoie2Etablissement,\
         codePostal2Etablissement,libelleCommune2Etablissement,\
         libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,\
         codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,\
         codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,\
         etatAdministratifEtablissement,enseigne1Etablissement,enseigne2Etablissement,\
         enseigne3Etablissement,denominationUsuelleEtablissement,\
         activitePrincipaleEtablissement,nomenclatureActivitePrincipaleEtablissement,\
         caractereEmployeurEtablissement"
    )
    .map_err(io(&etab_path))?;
    for i in 0..companies {
        let s = siren(i);
        let (y, m, d) = date(&mut rng, 1950, 2025);
        // One row in 10,000 has an impossible creation date (rejected by the import).
        let day = if rng.random_range(0..10_000) == 0 { 31 } else { d };
        let (m, day) = if day == 31 { (2, 31) } else { (m, day) };
        let ceased = rng.random_range(0..4) == 0;
        let (state, since) = if ceased {
            let (cy, cm, cd) = date(&mut rng, y.max(2000), 2025);
            ("C", format!("{:04}-{cm:02}-{cd:02}", cy.max(y + 1)))
        } else {
            ("A", format!("{y:04}-{m:02}-{day:02}"))
        };
        let naf = NAF[rng.random_range(0..NAF.len())];
        let form = FORMS[rng.random_range(0..FORMS.len())];
        let band = BANDS[rng.random_range(0..BANDS.len())];
        let name = if form == "1000" { "" } else { "SOCIETE EXEMPLE" };
        writeln!(
            ul,
            "{s},O,,{y:04}-{m:02}-{day:02},,,,,,,,,,{band},2023,2024-03-10T04:12:55,3,PME,2022,\
             {since},{state},,,{name},,,,{form},{naf},NAFRev2,{naf},00017,N,O"
        )
        .map_err(io(&ul_path))?;
        done.legal_units += 1;
        let dep = DEPS[rng.random_range(0..DEPS.len())];
        let commune = if dep.len() == 3 { format!("{dep}11") } else { format!("{dep}056") };
        for (nic, head) in [("00017", true), ("00025", false)] {
            if !head && i % 2 == 1 {
                break;
            }
            writeln!(
                etab,
                "{s},{nic},{s}{nic},O,{y:04}-{m:02}-{day:02},{band},2023,,2024-03-10T04:12:55,\
                 {head},2,,12,,RUE,DE LA REPUBLIQUE,{commune},VILLE EXEMPLE,,,{commune},,,,,,,,\
                 ,,,,,,,,,,,{since},{state},,,,,{naf},NAFRev2,O"
            )
            .map_err(io(&etab_path))?;
            done.establishments += 1;
        }
    }
    for (w, p) in [(ul, &ul_path), (etab, &etab_path)] {
        w.into_inner().map_err(|e| io(p)(e.into_error()))?;
        done.bytes += std::fs::metadata(p).map_err(io(p))?.len();
    }
    Ok(done)
}

/// Writes `debits.csv` with `rows` operations: two debts per company (one per
/// establishment), two operations each (called, then partly paid), over the last quarter
/// of 2025, for `rows / 4` companies.
pub fn debits(out: &Path, rows: usize, seed: u64) -> Result<NationalFiles> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut done = NationalFiles::default();
    let path = out.join("debits.csv");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&path).map_err(io(&path))?);
    writeln!(
        w,
        "Urssaf_gestion;Dep;num_cpte;Siren;Siret;Dt_immat;Etat_cpte;Cd_pro_col;Periode;Num_Ecn;\
         Num_Hist_Ecn;Dt_trt_ecn;Mt_PO;Mt_PP;Cd_op_ecn;Motif_ecn;Recours_en_cours"
    )
    .map_err(io(&path))?;
    let mut i = 0;
    while done.debits < rows {
        let s = siren(i);
        for (nic, account) in [("00017", 1), ("00025", 2)] {
            // October to December 2025: periods 202541–202543, processed in the month.
            let month = rng.random_range(1..=3);
            let period = format!("20254{month}");
            let ecn = rng.random_range(1..1000);
            let called: u64 = rng.random_range(1_000..5_000_000);
            for (hist, share, op) in [(1, 100, 1), (2, rng.random_range(0..100), 2)] {
                if done.debits == rows {
                    break;
                }
                let po = called * share / 100;
                let pp = po * 2;
                let day = rng.random_range(1..=28);
                let po = if rng.random_range(0..10_000) == 0 {
                    "n/a".to_owned()
                } else {
                    po.to_string()
                };
                writeln!(
                    w,
                    "117;75;{i:09}{account:09};{s};{s}{nic};20150708;1;0;{period};{ecn};{hist};\
                     125{:02}{day:02};{po};{pp};{op};0;0",
                    9 + month
                )
                .map_err(io(&path))?;
                done.debits += 1;
            }
        }
        i += 1;
    }
    w.into_inner().map_err(|e| io(&path)(e.into_error()))?;
    done.bytes = std::fs::metadata(&path).map_err(io(&path))?.len();
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sirens_are_valid_and_distinct() {
        let sirens: std::collections::HashSet<String> = (0..100_000).map(siren).collect();
        assert_eq!(sirens.len(), 100_000);
        for s in sirens.iter().take(1000) {
            assert!(vigie_core::Siren::parse(s).is_ok(), "{s}");
        }
        assert!(vigie_core::Siren::parse(&siren(89_999_999)).is_ok());
    }
}
