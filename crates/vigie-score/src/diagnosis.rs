//! The self-diagnosis: what a company head types about their company — the amounts of
//! their last accounts (by plain label, or by the boxes of their liasse fiscale), their
//! arrears and payment plans, their recent turnover, their company's age and sector —
//! checked field by field ([`Answers::row`], French messages), turned into the self model's
//! row (catalogue order, [`vigie_core::features::SELF_ASSESSMENT`]) and answered with a
//! risk band, the factors that weigh most and the levers ([`diagnose`]).
//!
//! The row follows the catalogue's formulas, computed from the visitor's figures instead of
//! the administrations' monthly files: the financial ratios through
//! [`vigie_core::accounts::financial_features`] (the panel's own), the boxes through
//! [`vigie_core::accounts::liasse`] (the import's own); the tax arrears over the turnover
//! of the last twelve months, the social debt over the monthly contributions, the turnover
//! trends as ratios of sums over the same number of months (as the panel's ratios of
//! means). Nothing here keeps what it is given.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigie_core::accounts::liasse::{self, Regime};
use vigie_core::accounts::{AMOUNTS, amount, div_pos, financial_features};
use vigie_core::features::{CATALOGUE, index_const};
use vigie_core::{HeadcountBand, Month};

use crate::levers::LeverRanges;

mod answer;
mod parse;

pub use answer::{Diagnosis, HELP, Help, band, diagnose};
pub use parse::parse_number;
use parse::{euros, parse_date, parse_month, parse_naf};

/// Largest amount accepted, in euros (no French company's accounts reach it).
pub const MAX_AMOUNT: f64 = 1e12;

/// Largest headcount accepted.
pub const MAX_HEADCOUNT: f64 = 1e6;

/// The figures of a self-diagnosis. Every field is optional in the document; the checks
/// say which ones are needed. Amounts in euros.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// Closing date of the last fiscal year (`YYYY-MM-DD`). Needed.
    #[schema(example = "2025-12-31")]
    pub fiscal_year_end: Option<String>,
    /// Length of that fiscal year in months (1 to 24; 12 when absent): flows are brought to
    /// twelve months.
    pub fiscal_year_months: Option<f64>,
    /// The last accounts by amount (the names of `docs/data-format.md`'s filings:
    /// `turnover`, `value_added`, `ebitda`, `operating_income`, `net_income`,
    /// `total_assets`, `equity`, `financial_debt`, `trade_payables`, `trade_receivables`,
    /// `inventory`, `cash`, `staff_costs`, `tax_social_liabilities`, `investment`,
    /// `headcount`). `turnover` and `total_assets` are needed. Not with `boxes`.
    #[serde(default)]
    pub accounts: BTreeMap<String, f64>,
    /// The regime of the boxes given: `normal` (forms 2050–2053) or `simplified` (2033).
    pub regime: Option<String>,
    /// The last accounts by box of the liasse fiscale, as written on the forms (`FL`,
    /// `EE`… or `210`, `180`…). Not with `accounts`.
    #[serde(default)]
    pub boxes: BTreeMap<String, f64>,
    /// Turnover of the fiscal year before.
    pub previous_turnover: Option<f64>,
    /// Equity at the end of the fiscal year before.
    pub previous_equity: Option<f64>,
    /// Tax debts past due today (restes à recouvrer).
    pub tax_arrears: Option<f64>,
    /// A payment plan with the tax office is running.
    pub tax_payment_plan: Option<bool>,
    /// Social contributions past due today (Urssaf).
    pub social_overdue: Option<f64>,
    /// Social contributions called in an ordinary month.
    pub social_monthly_contributions: Option<f64>,
    /// A payment plan with the Urssaf is running.
    pub social_payment_plan: Option<bool>,
    /// Turnover of the last three months.
    pub turnover_last_3_months: Option<f64>,
    /// Turnover of the same three months a year before.
    pub turnover_same_3_months_last_year: Option<f64>,
    /// Turnover of the last six months.
    pub turnover_last_6_months: Option<f64>,
    /// Turnover of the six months before those.
    pub turnover_previous_6_months: Option<f64>,
    /// Creation of the company (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`). Needed.
    #[schema(example = "2015-03")]
    pub created: Option<String>,
    /// NAF code of the main activity (`56.10A` or `5610A`). Needed.
    #[schema(example = "56.10A")]
    pub naf: Option<String>,
    /// The company went through a collective procedure (safeguard, receivership) before
    /// (absent: no).
    pub past_procedure: Option<bool>,
}

/// One field's problem, in French (shown next to the field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// The field, as named in [`Answers`] (`accounts.turnover`, `boxes.FL`, `naf`…).
    pub field: String,
    /// What is wrong and what to type.
    pub message: String,
}

/// The amounts that cannot be negative.
const NON_NEGATIVE: [&str; 11] = [
    "turnover",
    "total_assets",
    "financial_debt",
    "trade_payables",
    "trade_receivables",
    "inventory",
    "cash",
    "staff_costs",
    "tax_social_liabilities",
    "investment",
    "headcount",
];

/// The French name of an amount (for messages and the page's labels).
#[must_use]
pub fn amount_label(name: &str) -> &'static str {
    match name {
        "turnover" => "Chiffre d'affaires",
        "value_added" => "Valeur ajoutée",
        "ebitda" => "Excédent brut d'exploitation",
        "operating_income" => "Résultat d'exploitation",
        "net_income" => "Résultat net",
        "total_assets" => "Total du bilan",
        "equity" => "Capitaux propres",
        "financial_debt" => "Dettes financières (emprunts)",
        "trade_payables" => "Dettes fournisseurs",
        "trade_receivables" => "Créances clients",
        "inventory" => "Stocks",
        "cash" => "Disponibilités et placements",
        "staff_costs" => "Salaires et charges sociales",
        "tax_social_liabilities" => "Dettes fiscales et sociales",
        "investment" => "Investissements de l'exercice",
        "headcount" => "Effectif moyen",
        _ => "Montant",
    }
}

/// The regime named `normal` or `simplified`.
fn regime(name: &str) -> Option<Regime> {
    match name {
        "normal" => Some(Regime::Normal),
        "simplified" => Some(Regime::Simplified),
        _ => None,
    }
}

/// The checked figures: the model row, and what the answer page needs of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Values in catalogue order (NaN: not given, or not a self-assessment feature).
    pub values: Vec<f64>,
    /// The group of the levers' plausible bounds (NAF section × size band).
    pub group: String,
    /// Turnover of the last twelve months the arrears were measured against (euros).
    pub annual_turnover: f64,
}

impl Answers {
    /// Checks the figures and builds the row of the month `today`, or every problem found
    /// (each field at most once).
    ///
    /// # Errors
    /// The problems, field by field, in French.
    #[allow(clippy::too_many_lines)] // one check after another, in the order of the form
    pub fn row(&self, today: Month) -> std::result::Result<Row, Vec<Problem>> {
        let mut problems: Vec<Problem> = Vec::new();
        let mut problem = |field: &str, message: String| {
            if !problems.iter().any(|p| p.field == field) {
                problems.push(Problem { field: field.to_owned(), message });
            }
        };
        let mut row = vec![f64::NAN; CATALOGUE.len()];
        macro_rules! set {
            ($name:literal, $v:expr $(,)?) => {{
                const I: usize = index_const($name);
                row[I] = $v;
            }};
        }

        // The fiscal year.
        let year_end = match self.fiscal_year_end.as_deref().map(str::trim) {
            None | Some("") => {
                problem(
                    "fiscal_year_end",
                    "Indiquez la date de clôture du dernier exercice.".into(),
                );
                None
            }
            Some(t) => match parse_date(t) {
                None => {
                    problem(
                        "fiscal_year_end",
                        "Date invalide : saisissez-la sous la forme JJ/MM/AAAA.".into(),
                    );
                    None
                }
                Some(d) if d.month() > today => {
                    problem(
                        "fiscal_year_end",
                        "La date de clôture ne peut pas être dans le futur : indiquez celle du \
                         dernier exercice clos."
                            .into(),
                    );
                    None
                }
                Some(d) if today.since(d.month()) > 60 => {
                    problem(
                        "fiscal_year_end",
                        "Cet exercice a plus de cinq ans : indiquez le dernier exercice clos."
                            .into(),
                    );
                    None
                }
                Some(d) => Some(d),
            },
        };
        let months = self.fiscal_year_months.unwrap_or(12.0);
        let months = if months.fract() == 0.0 && (1.0..=24.0).contains(&months) {
            months as u32
        } else {
            problem(
                "fiscal_year_months",
                "La durée de l'exercice est un nombre entier de mois, de 1 à 24.".into(),
            );
            12
        };

        // The accounts, by label or by box.
        let by_boxes = !self.boxes.is_empty();
        if by_boxes && !self.accounts.is_empty() {
            problem(
                "boxes",
                "Saisissez vos comptes par libellés ou par cases de la liasse, pas les deux."
                    .into(),
            );
        }
        // Where an amount's problem is shown: its label, or the first of its boxes given.
        let mut amount_field: Vec<String> =
            AMOUNTS.iter().map(|a| format!("accounts.{a}")).collect();
        let mut latest = [f64::NAN; 16];
        if by_boxes {
            let regime = self.regime.as_deref().and_then(regime);
            match regime {
                None => problem(
                    "regime",
                    "Indiquez le régime de votre liasse : normal (formulaires 2050 à 2053) ou \
                     simplifié (formulaires 2033)."
                        .into(),
                ),
                Some(r) => {
                    let known = liasse::boxes(r);
                    for (code, v) in &self.boxes {
                        if !known.contains(&code.as_str()) {
                            problem(
                                &format!("boxes.{code}"),
                                "Cette case n'est pas lue pour ce régime.".into(),
                            );
                        } else if !v.is_finite() || v.abs() > MAX_AMOUNT {
                            problem(&format!("boxes.{code}"), "Montant trop grand.".into());
                        }
                    }
                    let value = |code: &str| self.boxes.get(code).copied();
                    if let Some(a) = liasse::amounts(r, months, &value) {
                        latest = a;
                    }
                    for (i, line) in liasse::LINES.iter().enumerate() {
                        if let Some((_, code)) =
                            line.boxes(r).iter().find(|(_, c)| self.boxes.contains_key(*c))
                        {
                            amount_field[i] = format!("boxes.{code}");
                        }
                    }
                }
            }
        } else {
            for (name, &v) in &self.accounts {
                let field = format!("accounts.{name}");
                let Some(i) = AMOUNTS.iter().position(|a| a == name) else {
                    problem(&field, "Ce montant n'est pas lu par le diagnostic.".into());
                    continue;
                };
                if !v.is_finite() || v.abs() > MAX_AMOUNT {
                    problem(&field, "Montant trop grand.".into());
                    continue;
                }
                // Flows over a fiscal year of another length are brought to twelve months,
                // as the liasse's are.
                latest[i] = if liasse::LINES[i].flow { v * 12.0 / f64::from(months) } else { v };
            }
        }
        for name in ["turnover", "total_assets"] {
            if latest[amount(name)].is_nan() {
                let field = if by_boxes { "boxes".to_owned() } else { format!("accounts.{name}") };
                problem(
                    &field,
                    format!("{} : ce montant est nécessaire au diagnostic.", amount_label(name)),
                );
            }
        }
        for name in NON_NEGATIVE {
            let i = amount(name);
            if latest[i] < 0.0 {
                problem(
                    &amount_field[i],
                    format!("{} : ce montant ne peut pas être négatif.", amount_label(name)),
                );
            }
        }
        if latest[amount("headcount")] > MAX_HEADCOUNT {
            problem(&amount_field[amount("headcount")], "Effectif trop grand.".into());
        }
        // Totals that must add up (one euro of rounding allowed per amount).
        let a = |name: &str| {
            let v = latest[amount(name)];
            if v.is_nan() { 0.0 } else { v }
        };
        let assets = latest[amount("total_assets")];
        if assets >= 0.0 {
            let current = a("cash") + a("trade_receivables") + a("inventory");
            let liabilities = a("equity").max(0.0)
                + a("financial_debt")
                + a("trade_payables")
                + a("tax_social_liabilities");
            if current > assets + 3.0 {
                problem(
                    &amount_field[amount("total_assets")],
                    format!(
                        "Le total du bilan ({}) est inférieur à la somme des stocks, des créances \
                         clients et des disponibilités ({}) : vérifiez ces montants.",
                        euros(assets),
                        euros(current)
                    ),
                );
            } else if liabilities > assets + 4.0 {
                problem(
                    &amount_field[amount("total_assets")],
                    format!(
                        "Le total du bilan ({}) est inférieur à la somme des capitaux propres et \
                         des dettes saisies ({}) : vérifiez ces montants.",
                        euros(assets),
                        euros(liabilities)
                    ),
                );
            }
        }

        // The year before.
        let mut previous = [f64::NAN; 16];
        for (field, name, v) in [
            ("previous_turnover", "turnover", self.previous_turnover),
            ("previous_equity", "equity", self.previous_equity),
        ] {
            let Some(v) = v else { continue };
            if !v.is_finite() || v.abs() > MAX_AMOUNT {
                problem(field, "Montant trop grand.".into());
            } else if name == "turnover" && v < 0.0 {
                problem(field, "Le chiffre d'affaires ne peut pas être négatif.".into());
            } else {
                previous[amount(name)] = v;
            }
        }

        // Debts, plans and recent turnover: amounts that cannot be negative.
        let mut euro = |field: &str, v: Option<f64>| -> f64 {
            match v {
                None => f64::NAN,
                Some(v) if !v.is_finite() || v.abs() > MAX_AMOUNT => {
                    problem(field, "Montant trop grand.".into());
                    f64::NAN
                }
                Some(v) if v < 0.0 => {
                    problem(field, "Ce montant ne peut pas être négatif.".into());
                    f64::NAN
                }
                Some(v) => v,
            }
        };
        let tax_arrears = euro("tax_arrears", self.tax_arrears);
        let overdue = euro("social_overdue", self.social_overdue);
        let contributions = euro("social_monthly_contributions", self.social_monthly_contributions);
        let t3 = euro("turnover_last_3_months", self.turnover_last_3_months);
        let t3_before =
            euro("turnover_same_3_months_last_year", self.turnover_same_3_months_last_year);
        let t6 = euro("turnover_last_6_months", self.turnover_last_6_months);
        let t6_before = euro("turnover_previous_6_months", self.turnover_previous_6_months);
        if overdue > 0.0 && (contributions.is_nan() || contributions <= 0.0) {
            problem(
                "social_monthly_contributions",
                "Indiquez vos cotisations sociales d'un mois ordinaire : la dette sociale s'y \
                 rapporte."
                    .into(),
            );
        }
        if t3 > 0.0 && t6 >= 0.0 && t3 > t6 + 1.0 {
            problem(
                "turnover_last_3_months",
                "Le chiffre d'affaires des 3 derniers mois dépasse celui des 6 derniers mois, qui \
                 les contiennent : vérifiez ces montants."
                    .into(),
            );
        }

        // The company.
        let created = match self.created.as_deref().map(str::trim) {
            None | Some("") => {
                problem("created", "Indiquez la date de création de l'entreprise.".into());
                None
            }
            Some(t) => match parse_month(t) {
                Some(m) if m > today => {
                    problem(
                        "created",
                        "La date de création ne peut pas être dans le futur.".into(),
                    );
                    None
                }
                Some(m) if m.year() < 1800 => {
                    problem("created", "Date de création invalide.".into());
                    None
                }
                Some(m) => Some(m),
                None => {
                    problem(
                        "created",
                        "Date invalide : saisissez l'année et le mois, par exemple 2015-03 ou \
                         03/2015."
                            .into(),
                    );
                    None
                }
            },
        };
        let naf = match self.naf.as_deref().map(str::trim) {
            None | Some("") => {
                problem(
                    "naf",
                    "Indiquez le code NAF de votre activité principale (par exemple 56.10A) : il \
                     figure sur l'avis de situation au répertoire SIRENE et sur l'extrait Kbis."
                        .into(),
                );
                None
            }
            Some(t) => {
                let n = parse_naf(t);
                if n.is_none() {
                    problem(
                        "naf",
                        "Code NAF invalide : il s'écrit comme 56.10A (il figure sur l'avis de \
                         situation au répertoire SIRENE)."
                            .into(),
                    );
                }
                n
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }

        // The row.
        let flag = |b: Option<bool>| b.map_or(f64::NAN, |b| f64::from(u8::from(b)));
        let has_previous = previous.iter().any(|v| !v.is_nan());
        financial_features(&latest, has_previous.then_some(&previous), &mut row);
        if let Some(d) = year_end {
            set!("fin_filing_age", f64::from(today.since(d.month())));
        }
        let annual_turnover =
            if t6 >= 0.0 && t6_before >= 0.0 { t6 + t6_before } else { latest[amount("turnover")] };
        set!("tax_arrears_ratio", div_pos(tax_arrears, annual_turnover));
        set!("tax_payment_plan", flag(self.tax_payment_plan));
        set!("act_vat_growth_yoy", div_pos(t3, t3_before) - 1.0);
        set!("act_vat_trend_6m", div_pos(t6, t6_before) - 1.0);
        set!("soc_debt_ratio", if overdue == 0.0 { 0.0 } else { div_pos(overdue, contributions) });
        set!("soc_payment_plan", flag(self.social_payment_plan));
        if let Some(c) = created {
            set!("prof_age_years", f64::from(today.since(c)) / 12.0);
        }
        let headcount = latest[amount("headcount")];
        set!("prof_log_headcount", if headcount.is_nan() { f64::NAN } else { headcount.ln_1p() });
        if let Some(n) = &naf {
            // NAF sections are the consecutive letters A to U.
            set!("prof_sector", f64::from(n.section() as u8 - b'A'));
        }
        // As the panel: a procedure not known of is none (0), not a missing value.
        set!("prof_past_procedure", f64::from(u8::from(self.past_procedure == Some(true))));
        let band = if headcount.is_nan() {
            HeadcountBand::parse("NN").expect("the unknown band").size_band()
        } else {
            HeadcountBand::from_headcount(headcount.round() as u32).size_band()
        };
        let section = naf.as_ref().map_or_else(String::new, |n| n.section().to_string());
        Ok(Row { values: row, group: LeverRanges::group(&section, band.as_str()), annual_turnover })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_core::features::index_of;

    fn today() -> Month {
        Month::parse("2026-11").unwrap()
    }

    fn answers() -> Answers {
        Answers {
            fiscal_year_end: Some("2025-12-31".into()),
            accounts: [
                ("turnover", 1_200_000.0),
                ("value_added", 400_000.0),
                ("ebitda", 60_000.0),
                ("total_assets", 600_000.0),
                ("equity", 100_000.0),
                ("financial_debt", 200_000.0),
                ("cash", 30_000.0),
                ("trade_payables", 150_000.0),
                ("trade_receivables", 180_000.0),
                ("tax_social_liabilities", 90_000.0),
                ("headcount", 12.0),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
            previous_turnover: Some(1_000_000.0),
            tax_arrears: Some(42_000.0),
            tax_payment_plan: Some(false),
            social_overdue: Some(18_000.0),
            social_monthly_contributions: Some(9_000.0),
            turnover_last_3_months: Some(240_000.0),
            turnover_same_3_months_last_year: Some(300_000.0),
            turnover_last_6_months: Some(540_000.0),
            turnover_previous_6_months: Some(660_000.0),
            created: Some("2015-03".into()),
            naf: Some("5610A".into()),
            past_procedure: Some(false),
            ..Answers::default()
        }
    }

    fn at(row: &Row, name: &str) -> f64 {
        row.values[index_of(name).unwrap()]
    }

    #[test]
    fn the_row_follows_the_catalogue_formulas() {
        let r = answers().row(today()).unwrap();
        assert_eq!(at(&r, "fin_filing_age"), 11.0);
        assert!((at(&r, "fin_debt_to_assets") - 200_000.0 / 600_000.0).abs() < 1e-12);
        assert!((at(&r, "fin_turnover_growth") - 0.2).abs() < 1e-12);
        assert!(at(&r, "fin_equity_change").is_nan(), "no previous equity typed");
        // 42,000 over the twelve months' turnover (540 k + 660 k).
        assert!((at(&r, "tax_arrears_ratio") - 0.035).abs() < 1e-12);
        assert!((at(&r, "soc_debt_ratio") - 2.0).abs() < 1e-12);
        assert!((at(&r, "act_vat_growth_yoy") + 0.2).abs() < 1e-12);
        assert!((at(&r, "act_vat_trend_6m") - (540.0 / 660.0 - 1.0)).abs() < 1e-12);
        assert_eq!(at(&r, "prof_age_years"), 140.0 / 12.0);
        assert_eq!(at(&r, "prof_sector"), 8.0, "56.10A is in section I");
        assert_eq!(at(&r, "tax_payment_plan"), 0.0);
        assert!(at(&r, "soc_payment_plan").is_nan(), "not said");
        assert!((at(&r, "prof_log_headcount") - 13f64.ln()).abs() < 1e-12);
        assert_eq!(r.group, "I|small");
        // Nothing outside the self-assessment set.
        for (i, f) in CATALOGUE.iter().enumerate() {
            if !vigie_core::features::SELF_ASSESSMENT.contains(&f.name) {
                assert!(r.values[i].is_nan(), "{}", f.name);
            }
        }
    }

    #[test]
    fn boxes_give_the_same_row_as_labels() {
        // Simplified regime: 210 + 218 turnover, 180 total, 142 equity, 156 debts, 084 cash,
        // 166 suppliers, 068 clients, 172 tax and social, 376 headcount.
        let mut a = answers();
        a.accounts.clear();
        a.regime = Some("simplified".into());
        a.boxes = [
            ("210", 200_000.0),
            ("218", 1_000_000.0),
            ("180", 600_000.0),
            ("142", 100_000.0),
            ("156", 200_000.0),
            ("084", 30_000.0),
            ("166", 150_000.0),
            ("068", 180_000.0),
            ("172", 90_000.0),
            ("376", 12.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let by_boxes = a.row(today()).unwrap();
        // Boxes left out count as zero beside given ones: value added and EBITDA are the
        // turnover's boxes alone here.
        let mut b = answers();
        b.accounts.insert("value_added".into(), 1_200_000.0);
        b.accounts.insert("ebitda".into(), 1_200_000.0);
        let by_labels = b.row(today()).unwrap();
        for (i, f) in CATALOGUE.iter().enumerate() {
            let (x, y) = (by_boxes.values[i], by_labels.values[i]);
            assert!(x.to_bits() == y.to_bits() || (x - y).abs() < 1e-12, "{}: {x} {y}", f.name);
        }
    }

    #[test]
    fn every_bad_field_is_named_in_french() {
        let mut a = answers();
        a.accounts.insert("turnover".into(), -5.0);
        a.accounts.insert("cash".into(), 900_000.0);
        a.accounts.insert("goodwill".into(), 1.0);
        a.fiscal_year_end = Some("2027-01-31".into());
        a.created = Some("hier".into());
        a.naf = Some("99".into());
        a.social_overdue = Some(5_000.0);
        a.social_monthly_contributions = None;
        a.tax_arrears = Some(-1.0);
        let problems = a.row(today()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "fiscal_year_end",
                "accounts.goodwill",
                "accounts.turnover",
                "accounts.total_assets",
                "tax_arrears",
                "social_monthly_contributions",
                "created",
                "naf"
            ]
        );
        let msg = |f: &str| &problems.iter().find(|p| p.field == f).unwrap().message;
        assert!(msg("accounts.turnover").contains("négatif"));
        assert!(msg("accounts.total_assets").contains("inférieur à la somme"), "totals");
        assert!(msg("fiscal_year_end").contains("futur"));
        // Both ways of typing the accounts at once.
        let mut b = answers();
        b.regime = Some("normal".into());
        b.boxes.insert("FL".into(), 1.0);
        b.boxes.insert("210".into(), 1.0);
        let fields: Vec<String> =
            b.row(today()).unwrap_err().into_iter().map(|p| p.field).collect();
        assert!(fields.contains(&"boxes".to_owned()) && fields.contains(&"boxes.210".to_owned()));
    }

    #[test]
    fn every_box_read_by_a_regime_is_listed_once() {
        let normal = liasse::boxes(Regime::Normal);
        assert!(normal.contains(&"FL") && normal.contains(&"EE") && normal.contains(&"YP"));
        assert_eq!(normal.iter().filter(|b| **b == "FL").count(), 1, "FL reads into two amounts");
        let simplified = liasse::boxes(Regime::Simplified);
        assert!(simplified.iter().all(|b| b.len() == 3));
    }
}
