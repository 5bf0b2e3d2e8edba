//! The liasse fiscale by form code: one mapping from the boxes of the tax forms to the
//! amounts of a filing ([`super::AMOUNTS`]), for both regimes — forms 2050–2059 (régime
//! réel normal, two-letter codes) and 2033-A…G (régime simplifié, three-digit codes). The
//! same codes key the public accounts of the commercial courts (INPI "bilans saisis"), so
//! the import of tax extracts, of open data and the self-diagnosis by boxes all use this
//! table. Sources: `../shared/formats/README.md` (each line checked in two public sources).
//!
//! Rules:
//! - a box left out counts as zero when another box of the same amount is given (extracts
//!   list the boxes that hold a value); an amount none of whose boxes is given is missing;
//! - flows (turnover, value added, EBITDA, incomes, staff costs, investment) cover the
//!   fiscal year's duration and are annualised (a 6- or 18-month year scaled to 12);
//! - on the simplified forms up to 2025, box 172 "other debts" holds the tax and social
//!   liabilities with other debts: it is taken as they are (an upper bound).

/// A regime of the liasse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// Régime réel normal: forms 2050–2059, two-letter box codes.
    Normal,
    /// Régime simplifié: forms 2033-A…G, three-digit box codes.
    Simplified,
}

/// One amount: its boxes with their signs, in each regime, and whether it is a flow.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    /// The amount ([`super::AMOUNTS`]).
    pub amount: &'static str,
    /// Signed boxes of the normal forms.
    pub normal: &'static [(i8, &'static str)],
    /// Signed boxes of the simplified forms.
    pub simplified: &'static [(i8, &'static str)],
    /// A flow over the fiscal year (annualised), not a stock at its end.
    pub flow: bool,
    /// The boxes of `value_added` come first in the sum (EBITDA is value added plus
    /// operating subsidies, minus taxes and staff costs).
    pub plus_value_added: bool,
}

impl Line {
    /// Its signed boxes in a regime.
    #[must_use]
    pub fn boxes(&self, regime: Regime) -> &'static [(i8, &'static str)] {
        match regime {
            Regime::Normal => self.normal,
            Regime::Simplified => self.simplified,
        }
    }
}

/// Every box of a regime that an amount reads, once, in the order of the amounts.
#[must_use]
pub fn boxes(regime: Regime) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for line in &LINES {
        for &(_, code) in line.boxes(regime) {
            if !out.contains(&code) {
                out.push(code);
            }
        }
    }
    out
}

const P: i8 = 1;
const M: i8 = -1;

/// The mapping, in [`super::AMOUNTS`] order.
pub const LINES: [Line; 16] = [
    Line {
        amount: "turnover",
        normal: &[(P, "FL")],
        simplified: &[(P, "210"), (P, "214"), (P, "218")],
        flow: true,
        plus_value_added: false,
    },
    Line {
        amount: "value_added",
        normal: &[
            (P, "FL"),
            (P, "FM"),
            (P, "FN"),
            (M, "FS"),
            (M, "FT"),
            (M, "FU"),
            (M, "FV"),
            (M, "FW"),
        ],
        simplified: &[
            (P, "210"),
            (P, "214"),
            (P, "218"),
            (P, "222"),
            (P, "224"),
            (M, "234"),
            (M, "236"),
            (M, "238"),
            (M, "240"),
            (M, "242"),
        ],
        flow: true,
        plus_value_added: false,
    },
    Line {
        amount: "ebitda",
        normal: &[(P, "FO"), (M, "FX"), (M, "FY"), (M, "FZ")],
        simplified: &[(P, "226"), (M, "244"), (M, "250"), (M, "252")],
        flow: true,
        plus_value_added: true,
    },
    Line {
        amount: "operating_income",
        normal: &[(P, "GG")],
        simplified: &[(P, "270")],
        flow: true,
        plus_value_added: false,
    },
    Line {
        amount: "net_income",
        normal: &[(P, "HN")],
        simplified: &[(P, "310")],
        flow: true,
        plus_value_added: false,
    },
    Line {
        amount: "total_assets",
        normal: &[(P, "EE")],
        simplified: &[(P, "180")],
        flow: false,
        plus_value_added: false,
    },
    Line {
        amount: "equity",
        normal: &[(P, "DL")],
        simplified: &[(P, "142")],
        flow: false,
        plus_value_added: false,
    },
    Line {
        amount: "financial_debt",
        normal: &[(P, "DS"), (P, "DT"), (P, "DU"), (P, "DV")],
        simplified: &[(P, "156"), (P, "169"), (P, "173")],
        flow: false,
        plus_value_added: false,
    },
    Line {
        amount: "trade_payables",
        normal: &[(P, "DX")],
        simplified: &[(P, "166")],
        flow: false,
        plus_value_added: false,
    },
    Line {
        amount: "trade_receivables",
        normal: &[(P, "BX"), (M, "BY")],
        simplified: &[(P, "068"), (M, "070")],
        flow: false,
        plus_value_added: false,
    },
    Line {
        amount: "inventory",
        normal: &[
            (P, "BL"),
            (M, "BM"),
            (P, "BN"),
            (M, "BO"),
            (P, "BP"),
            (M, "BQ"),
            (P, "BR"),
            (M, "BS"),
            (P, "BT"),
            (M, "BU"),
        ],
        simplified: &[(P, "050"), (M, "052"), (P, "060"), (M, "062")],
        flow: false,
        plus_value_added: false,
    },
    Line {
        amount: "cash",
        normal: &[(P, "CD"), (M, "CE"), (P, "CF"), (M, "CG")],
        simplified: &[(P, "080"), (M, "082"), (P, "084"), (M, "086")],
        flow: false,
        plus_value_added: false,
    },
    Line {
        amount: "staff_costs",
        normal: &[(P, "FY"), (P, "FZ")],
        simplified: &[(P, "250"), (P, "252")],
        flow: true,
        plus_value_added: false,
    },
    Line {
        amount: "tax_social_liabilities",
        normal: &[(P, "DY")],
        simplified: &[(P, "172")],
        flow: false,
        plus_value_added: false,
    },
    Line {
        amount: "investment",
        normal: &[(P, "0J")],
        simplified: &[(P, "492")],
        flow: true,
        plus_value_added: false,
    },
    Line {
        amount: "headcount",
        normal: &[(P, "YP")],
        simplified: &[(P, "376")],
        flow: false,
        plus_value_added: false,
    },
];

/// The French wording of every box [`LINES`] reads, as on the forms (2050–2054, 2058-C;
/// 2033-A to D): what the self-diagnosis page shows beside each box.
pub const BOX_LABELS: &[(&str, &str)] = &[
    ("FL", "Chiffre d'affaires net (2052)"),
    ("FM", "Production stockée (2052)"),
    ("FN", "Production immobilisée (2052)"),
    ("FO", "Subventions d'exploitation (2052)"),
    ("FS", "Achats de marchandises (2052)"),
    ("FT", "Variation de stock de marchandises (2052)"),
    ("FU", "Achats de matières premières et autres approvisionnements (2052)"),
    ("FV", "Variation de stock de matières premières et approvisionnements (2052)"),
    ("FW", "Autres achats et charges externes (2052)"),
    ("FX", "Impôts, taxes et versements assimilés (2052)"),
    ("FY", "Salaires et traitements (2052)"),
    ("FZ", "Charges sociales (2052)"),
    ("GG", "Résultat d'exploitation (2052)"),
    ("HN", "Bénéfice ou perte (2053)"),
    ("EE", "Total général du passif (2051)"),
    ("DL", "Capitaux propres, total I (2051)"),
    ("DS", "Emprunts obligataires convertibles (2051)"),
    ("DT", "Autres emprunts obligataires (2051)"),
    ("DU", "Emprunts et dettes auprès des établissements de crédit (2051)"),
    ("DV", "Emprunts et dettes financières divers (2051)"),
    ("DX", "Dettes fournisseurs et comptes rattachés (2051)"),
    ("DY", "Dettes fiscales et sociales (2051)"),
    ("BX", "Clients et comptes rattachés, brut (2050)"),
    ("BY", "Clients et comptes rattachés, dépréciations (2050)"),
    ("BL", "Matières premières, approvisionnements, brut (2050)"),
    ("BM", "Matières premières, approvisionnements, dépréciations (2050)"),
    ("BN", "En-cours de production de biens, brut (2050)"),
    ("BO", "En-cours de production de biens, dépréciations (2050)"),
    ("BP", "En-cours de production de services, brut (2050)"),
    ("BQ", "En-cours de production de services, dépréciations (2050)"),
    ("BR", "Produits intermédiaires et finis, brut (2050)"),
    ("BS", "Produits intermédiaires et finis, dépréciations (2050)"),
    ("BT", "Marchandises, brut (2050)"),
    ("BU", "Marchandises, dépréciations (2050)"),
    ("CD", "Valeurs mobilières de placement, brut (2050)"),
    ("CE", "Valeurs mobilières de placement, dépréciations (2050)"),
    ("CF", "Disponibilités, brut (2050)"),
    ("CG", "Disponibilités, dépréciations (2050)"),
    ("0J", "Total des acquisitions d'immobilisations (2054)"),
    ("YP", "Effectif moyen du personnel (2058-C)"),
    ("210", "Ventes de marchandises (2033-B)"),
    ("214", "Production vendue de biens (2033-B)"),
    ("218", "Production vendue de services (2033-B)"),
    ("222", "Production stockée (2033-B)"),
    ("224", "Production immobilisée (2033-B)"),
    ("226", "Subventions d'exploitation reçues (2033-B)"),
    ("234", "Achats de marchandises (2033-B)"),
    ("236", "Variation de stock de marchandises (2033-B)"),
    ("238", "Achats de matières premières et autres approvisionnements (2033-B)"),
    ("240", "Variation de stock de matières premières et approvisionnements (2033-B)"),
    ("242", "Autres charges externes (2033-B)"),
    ("244", "Impôts, taxes et versements assimilés (2033-B)"),
    ("250", "Rémunérations du personnel (2033-B)"),
    ("252", "Charges sociales (2033-B)"),
    ("270", "Résultat d'exploitation (2033-B)"),
    ("310", "Bénéfice ou perte (2033-B)"),
    ("180", "Total général du bilan (2033-A)"),
    ("142", "Total des capitaux propres (2033-A)"),
    ("156", "Emprunts et dettes assimilées (2033-A)"),
    ("169", "Dont comptes courants d'associés (2033-A)"),
    ("173", "Autres dettes financières (2033-A, formulaires depuis 2026)"),
    ("166", "Fournisseurs et comptes rattachés (2033-A)"),
    ("172", "Autres dettes, dont dettes fiscales et sociales (2033-A)"),
    ("068", "Clients et comptes rattachés, brut (2033-A)"),
    ("070", "Clients et comptes rattachés, dépréciations (2033-A)"),
    ("050", "Matières premières, approvisionnements, en cours, brut (2033-A)"),
    ("052", "Matières premières, approvisionnements, en cours, dépréciations (2033-A)"),
    ("060", "Marchandises, brut (2033-A)"),
    ("062", "Marchandises, dépréciations (2033-A)"),
    ("080", "Valeurs mobilières de placement, brut (2033-A)"),
    ("082", "Valeurs mobilières de placement, dépréciations (2033-A)"),
    ("084", "Disponibilités, brut (2033-A)"),
    ("086", "Disponibilités, dépréciations (2033-A)"),
    ("492", "Total des acquisitions d'immobilisations (2033-C)"),
    ("376", "Effectif moyen du personnel (2033-D)"),
];

/// The wording of a box ([`BOX_LABELS`]).
#[must_use]
pub fn box_label(code: &str) -> Option<&'static str> {
    BOX_LABELS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// The amounts of a filing from its boxes (`box_value(code)`: the box's amount in euros,
/// `None` when absent), for a fiscal year of `months` months. Flows are annualised;
/// `months` outside 1..=24 is refused (`None`): no fiscal year is that long.
pub fn amounts(
    regime: Regime,
    months: u32,
    box_value: &dyn Fn(&str) -> Option<f64>,
) -> Option<[f64; 16]> {
    if !(1..=24).contains(&months) {
        return None;
    }
    let mut out = [f64::NAN; 16];
    let value_added = LINES[super::amount("value_added")].boxes(regime);
    for (slot, line) in out.iter_mut().zip(&LINES) {
        let before: &[(i8, &str)] = if line.plus_value_added { value_added } else { &[] };
        let mut any = false;
        let mut sum = 0.0;
        for &(sign, code) in before.iter().chain(line.boxes(regime)) {
            if let Some(v) = box_value(code).filter(|v| v.is_finite()) {
                any = true;
                sum += f64::from(sign) * v;
            }
        }
        if any {
            *slot = if line.flow { sum * 12.0 / f64::from(months) } else { sum };
        }
    }
    Some(out)
}

/// The regime of a box code: two characters (letters, or a digit and a letter as `0J`) on
/// the normal forms, three digits on the simplified ones.
#[must_use]
pub fn regime_of(code: &str) -> Option<Regime> {
    let b = code.as_bytes();
    match b.len() {
        2 if b.iter().all(u8::is_ascii_alphanumeric) && b.iter().any(u8::is_ascii_alphabetic) => {
            Some(Regime::Normal)
        }
        3 if b.iter().all(u8::is_ascii_digit) => Some(Regime::Simplified),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::accounts::{AMOUNTS, amount};

    #[test]
    fn lines_are_the_amounts_in_order_with_codes_of_their_regime() {
        for (line, name) in LINES.iter().zip(AMOUNTS) {
            assert_eq!(line.amount, name);
            assert!(
                line.normal.iter().all(|(_, c)| regime_of(c) == Some(Regime::Normal)),
                "{name}"
            );
            assert!(
                line.simplified.iter().all(|(_, c)| regime_of(c) == Some(Regime::Simplified)),
                "{name}"
            );
        }
    }

    #[test]
    fn a_simplified_return_maps_and_annualises() {
        // An 18-month first fiscal year on the 2033 forms.
        let boxes: HashMap<&str, f64> = [
            ("210", 900_000.0), // sales of goods
            ("218", 300_000.0), // services
            ("234", 500_000.0), // purchases of goods
            ("242", 100_000.0), // other external charges
            ("250", 240_000.0), // wages
            ("252", 90_000.0),  // social charges
            ("270", 60_000.0),
            ("310", 30_000.0),
            ("180", 700_000.0),
            ("142", 150_000.0),
            ("156", 200_000.0),
            ("068", 210_000.0),
            ("070", 10_000.0),
            ("084", 40_000.0),
            ("376", 7.0),
        ]
        .into_iter()
        .collect();
        let a = amounts(Regime::Simplified, 18, &|c| boxes.get(c).copied()).unwrap();
        let at = |n: &str| a[amount(n)];
        assert!((at("turnover") - 800_000.0).abs() < 1e-9, "1.2 M over 18 months");
        assert!((at("value_added") - 400_000.0).abs() < 1e-9);
        assert!((at("staff_costs") - 220_000.0).abs() < 1e-9);
        assert!((at("ebitda") - 180_000.0).abs() < 1e-9, "VA − staff costs, annualised");
        assert_eq!(at("total_assets"), 700_000.0, "stocks are not annualised");
        assert_eq!(at("trade_receivables"), 200_000.0);
        assert_eq!(at("cash"), 40_000.0);
        assert_eq!(at("headcount"), 7.0);
        assert!(at("inventory").is_nan(), "no inventory box given");
        assert!(at("investment").is_nan());
        assert!(amounts(Regime::Simplified, 0, &|c| boxes.get(c).copied()).is_none());
        assert!(amounts(Regime::Simplified, 30, &|c| boxes.get(c).copied()).is_none());
    }

    #[test]
    fn a_normal_return_maps_net_of_depreciation() {
        let boxes: HashMap<&str, f64> = [
            ("FL", 2_000_000.0),
            ("FS", 1_200_000.0),
            ("FW", 300_000.0),
            ("FY", 250_000.0),
            ("FZ", 100_000.0),
            ("FO", 10_000.0),
            ("FX", 20_000.0),
            ("BX", 400_000.0),
            ("BY", 25_000.0),
            ("CF", 90_000.0),
            ("DU", 300_000.0),
            ("DL", 500_000.0),
            ("EE", 1_500_000.0),
        ]
        .into_iter()
        .collect();
        let a = amounts(Regime::Normal, 12, &|c| boxes.get(c).copied()).unwrap();
        let at = |n: &str| a[amount(n)];
        assert_eq!(at("turnover"), 2_000_000.0);
        assert_eq!(at("value_added"), 500_000.0);
        assert_eq!(at("ebitda"), 500_000.0 + 10_000.0 - 20_000.0 - 350_000.0);
        assert_eq!(at("trade_receivables"), 375_000.0);
        assert_eq!(at("cash"), 90_000.0);
        assert_eq!(at("financial_debt"), 300_000.0);
        assert!(at("tax_social_liabilities").is_nan());
        assert_eq!(regime_of("0J"), Some(Regime::Normal));
        assert_eq!(regime_of("21"), None);
        assert_eq!(regime_of("2100"), None);
    }

    #[test]
    fn every_box_read_has_its_wording() {
        for line in &LINES {
            for (_, code) in line.normal.iter().chain(line.simplified) {
                assert!(box_label(code).is_some(), "{code}");
            }
        }
        let mut codes: Vec<&str> = BOX_LABELS.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), BOX_LABELS.len(), "each box once");
    }
}
