//! The feature catalogue: every feature of the panel, its topic group, formula and unit.
//!
//! The catalogue is the contract between the panel builder (`vigie-data`), the models and
//! the explanations: the panel writes exactly these columns, in this order, and
//! `docs/features.md` is generated from it (a test keeps the two in sync).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Topic group of a feature; explanations are summed per group (the waterfall).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureGroup {
    /// Ratios from the latest annual tax return, and its staleness.
    Financial,
    /// Tax arrears, late declarations, payment plans (monthly tax data).
    Tax,
    /// Activity: VAT-declared turnover trends.
    Activity,
    /// Social-contribution debt (monthly social data, optional source).
    Social,
    /// Company profile: age, size, sector, history.
    Profile,
}

impl FeatureGroup {
    /// All groups, in display order.
    pub const ALL: [FeatureGroup; 5] =
        [Self::Financial, Self::Tax, Self::Activity, Self::Social, Self::Profile];

    /// The snake_case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Financial => "financial",
            Self::Tax => "tax",
            Self::Activity => "activity",
            Self::Social => "social",
            Self::Profile => "profile",
        }
    }

    /// The French label shown to agents.
    #[must_use]
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Financial => "Santé financière",
            Self::Tax => "Dettes et obligations fiscales",
            Self::Activity => "Activité",
            Self::Social => "Dettes sociales",
            Self::Profile => "Profil de l'entreprise",
        }
    }
}

impl fmt::Display for FeatureGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One feature of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeatureSpec {
    /// Column name in the panel.
    pub name: &'static str,
    /// Topic group.
    pub group: FeatureGroup,
    /// Formula, in terms of the source columns (see `docs/data-format.md`).
    pub formula: &'static str,
    /// Unit of the value.
    pub unit: &'static str,
    /// Short French label for agents.
    pub label_fr: &'static str,
}

const fn f(
    name: &'static str,
    group: FeatureGroup,
    formula: &'static str,
    unit: &'static str,
    label_fr: &'static str,
) -> FeatureSpec {
    FeatureSpec { name, group, formula, unit, label_fr }
}

use FeatureGroup::{Activity, Financial, Profile, Social, Tax};

/// The catalogue, in panel column order. `F` is the latest filing available at the month
/// (filing date on or before the month's last day), `F-1` the filing before it; `L` is the
/// latest monthly period available (the month minus the source's publication lag).
pub const CATALOGUE: &[FeatureSpec] = &[
    f("fin_ebitda_margin", Financial, "F.ebitda / F.turnover", "ratio", "Marge d'EBE"),
    f("fin_net_margin", Financial, "F.net_income / F.turnover", "ratio", "Marge nette"),
    f(
        "fin_roa",
        Financial,
        "F.operating_income / F.total_assets",
        "ratio",
        "Rentabilité économique",
    ),
    f(
        "fin_equity_to_assets",
        Financial,
        "F.equity / F.total_assets",
        "ratio",
        "Fonds propres / total du bilan",
    ),
    f(
        "fin_debt_to_assets",
        Financial,
        "F.financial_debt / F.total_assets",
        "ratio",
        "Dettes financières / total du bilan",
    ),
    f(
        "fin_net_debt_to_turnover",
        Financial,
        "(F.financial_debt - F.cash) / F.turnover",
        "ratio",
        "Endettement net / chiffre d'affaires",
    ),
    f(
        "fin_cash_to_assets",
        Financial,
        "F.cash / F.total_assets",
        "ratio",
        "Trésorerie / total du bilan",
    ),
    f(
        "fin_quick_ratio",
        Financial,
        "(F.cash + F.trade_receivables) / (F.trade_payables + F.tax_social_liabilities)",
        "ratio",
        "Liquidité immédiate",
    ),
    f(
        "fin_current_ratio",
        Financial,
        "(F.cash + F.trade_receivables + F.inventory) / (F.trade_payables + F.tax_social_liabilities)",
        "ratio",
        "Liquidité générale",
    ),
    f(
        "fin_staff_costs_to_va",
        Financial,
        "F.staff_costs / F.value_added (null if value added <= 0)",
        "ratio",
        "Charges de personnel / valeur ajoutée",
    ),
    f(
        "fin_va_per_employee",
        Financial,
        "F.value_added / F.headcount / 1000 (null if headcount = 0)",
        "k€ per employee",
        "Valeur ajoutée par salarié",
    ),
    f(
        "fin_investment_rate",
        Financial,
        "F.investment / F.total_assets",
        "ratio",
        "Taux d'investissement",
    ),
    f(
        "fin_payables_days",
        Financial,
        "365 * F.trade_payables / F.turnover",
        "days",
        "Délai de paiement des fournisseurs",
    ),
    f(
        "fin_receivables_days",
        Financial,
        "365 * F.trade_receivables / F.turnover",
        "days",
        "Délai de paiement des clients",
    ),
    f(
        "fin_tax_social_liab_to_turnover",
        Financial,
        "F.tax_social_liabilities / F.turnover",
        "ratio",
        "Dettes fiscales et sociales / chiffre d'affaires",
    ),
    f(
        "fin_turnover_growth",
        Financial,
        "F.turnover / F-1.turnover - 1",
        "ratio",
        "Croissance du chiffre d'affaires (bilans)",
    ),
    f(
        "fin_equity_change",
        Financial,
        "(F.equity - F-1.equity) / F.total_assets",
        "ratio",
        "Variation des fonds propres",
    ),
    f(
        "fin_filing_age",
        Financial,
        "months from F.fiscal_year_end to the month",
        "months",
        "Ancienneté du dernier bilan",
    ),
    f(
        "fin_filing_delay",
        Financial,
        "months from F.fiscal_year_end to F.filing_date",
        "months",
        "Délai de dépôt du dernier bilan",
    ),
    f(
        "tax_arrears_ratio",
        Tax,
        "arrears(L) / sum of vat_turnover over L-11..L",
        "ratio",
        "Restes à recouvrer fiscaux / CA annuel",
    ),
    f(
        "tax_arrears_ratio_lag3",
        Tax,
        "tax_arrears_ratio at L-3",
        "ratio",
        "Restes à recouvrer fiscaux il y a 3 mois",
    ),
    f(
        "tax_arrears_ratio_lag6",
        Tax,
        "tax_arrears_ratio at L-6",
        "ratio",
        "Restes à recouvrer fiscaux il y a 6 mois",
    ),
    f(
        "tax_arrears_ratio_lag12",
        Tax,
        "tax_arrears_ratio at L-12",
        "ratio",
        "Restes à recouvrer fiscaux il y a 12 mois",
    ),
    f(
        "tax_arrears_trend_6m",
        Tax,
        "tax_arrears_ratio - tax_arrears_ratio_lag6",
        "ratio",
        "Évolution des restes à recouvrer sur 6 mois",
    ),
    f(
        "tax_arrears_months_12m",
        Tax,
        "count of L-11..L with arrears > 0",
        "months",
        "Mois avec dette fiscale sur 12 mois",
    ),
    f(
        "tax_late_declarations_12m",
        Tax,
        "count of L-11..L with a late or missing declaration",
        "months",
        "Déclarations en retard ou manquantes sur 12 mois",
    ),
    f(
        "tax_payment_plan",
        Tax,
        "payment_plan(L) (0/1)",
        "flag",
        "Plan de règlement fiscal en cours",
    ),
    f(
        "act_vat_growth_yoy",
        Activity,
        "sum vat_turnover L-2..L / sum vat_turnover L-14..L-12 - 1",
        "ratio",
        "Évolution du CA déclaré sur un an",
    ),
    f(
        "act_vat_trend_6m",
        Activity,
        "sum vat_turnover L-5..L / sum vat_turnover L-11..L-6 - 1",
        "ratio",
        "Tendance du CA déclaré sur 6 mois",
    ),
    f(
        "act_vat_to_filing_turnover",
        Activity,
        "sum vat_turnover L-11..L / F.turnover",
        "ratio",
        "CA déclaré sur 12 mois / CA du dernier bilan",
    ),
    f(
        "soc_debt_ratio",
        Social,
        "(overdue_employee + overdue_employer)(L) / mean contributions_called over L-11..L",
        "months of contributions",
        "Dette sociale (en mois de cotisations)",
    ),
    f(
        "soc_debt_ratio_lag3",
        Social,
        "soc_debt_ratio at L-3",
        "months of contributions",
        "Dette sociale il y a 3 mois",
    ),
    f(
        "soc_debt_ratio_lag6",
        Social,
        "soc_debt_ratio at L-6",
        "months of contributions",
        "Dette sociale il y a 6 mois",
    ),
    f(
        "soc_debt_ratio_lag12",
        Social,
        "soc_debt_ratio at L-12",
        "months of contributions",
        "Dette sociale il y a 12 mois",
    ),
    f(
        "soc_debt_mean_12m",
        Social,
        "mean of soc_debt_ratio over L-11..L",
        "months of contributions",
        "Dette sociale moyenne sur 12 mois",
    ),
    f(
        "soc_debt_months_12m",
        Social,
        "count of L-11..L with overdue contributions > 0",
        "months",
        "Mois avec dette sociale sur 12 mois",
    ),
    f(
        "soc_payment_plan",
        Social,
        "payment_plan(L) (0/1)",
        "flag",
        "Plan d'apurement social en cours",
    ),
    f("prof_age_years", Profile, "(month - creation_date) / 12", "years", "Âge de l'entreprise"),
    f(
        "prof_log_headcount",
        Profile,
        "ln(1 + F.headcount), else ln(1 + midpoint of headcount_band)",
        "log employees",
        "Effectif",
    ),
    f("prof_log_turnover", Profile, "ln(1 + F.turnover)", "log €", "Taille (chiffre d'affaires)"),
    f(
        "prof_sector",
        Profile,
        "index of the NAF section (A = 0 … U = 20)",
        "category",
        "Secteur d'activité",
    ),
    f(
        "prof_past_procedure",
        Profile,
        "1 if a collective procedure ended with a plan before the month",
        "flag",
        "Procédure collective passée",
    ),
];

/// Which catalogue features a model is trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FeatureSet {
    /// Every feature of the catalogue: the administrations' model.
    #[default]
    #[serde(rename = "full")]
    Full,
    /// What a company head can enter from their own accounts and their own tax and social
    /// standing ([`SELF_ASSESSMENT`]): the public self-diagnosis model.
    #[serde(rename = "self")]
    SelfAssessment,
}

impl FeatureSet {
    /// Parses `full` or `self`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(Self::Full),
            "self" => Some(Self::SelfAssessment),
            _ => None,
        }
    }

    /// `full` or `self`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::SelfAssessment => "self",
        }
    }

    /// Whether the set holds a catalogue feature.
    #[must_use]
    pub fn includes(self, feature: &str) -> bool {
        match self {
            Self::Full => true,
            Self::SelfAssessment => SELF_ASSESSMENT.contains(&feature),
        }
    }

    /// The set a model's inputs belong to: [`FeatureSet::SelfAssessment`] when a company
    /// head can enter every one of them, else [`FeatureSet::Full`]. What a model serves
    /// follows from its inputs: a self-assessment model answers the public self-diagnosis,
    /// any other one scores companies.
    #[must_use]
    pub fn of<'a>(mut features: impl Iterator<Item = &'a str>) -> Self {
        if features.all(|f| Self::SelfAssessment.includes(f)) {
            Self::SelfAssessment
        } else {
            Self::Full
        }
    }
}

/// The features a company head can compute from what they hold: the amounts of their last
/// two balance sheets and income statements (every ratio of the `fin_` group, and the age
/// of the latest accounts), the arrears and payment plans they know of (today's, not their
/// history month by month), their turnover trend from their own books, and their
/// company's age, sector, size and past procedures. Not the administrations' monthly
/// histories (lagged arrears, counts of months in arrears, late declarations).
/// In catalogue order.
pub const SELF_ASSESSMENT: &[&str] = &[
    "fin_ebitda_margin",
    "fin_net_margin",
    "fin_roa",
    "fin_equity_to_assets",
    "fin_debt_to_assets",
    "fin_net_debt_to_turnover",
    "fin_cash_to_assets",
    "fin_quick_ratio",
    "fin_current_ratio",
    "fin_staff_costs_to_va",
    "fin_va_per_employee",
    "fin_investment_rate",
    "fin_payables_days",
    "fin_receivables_days",
    "fin_tax_social_liab_to_turnover",
    "fin_turnover_growth",
    "fin_equity_change",
    "fin_filing_age",
    "tax_arrears_ratio",
    "tax_payment_plan",
    "act_vat_growth_yoy",
    "act_vat_trend_6m",
    "soc_debt_ratio",
    "soc_payment_plan",
    "prof_age_years",
    "prof_log_headcount",
    "prof_log_turnover",
    "prof_sector",
    "prof_past_procedure",
];

/// The way an actionable feature can move when a company acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Lower is better, and the value can go down (never below the floor of its lever).
    Down,
    /// Higher is better, and the value can go up.
    Up,
    /// A flag the company can set (0 → 1): a payment plan.
    Set,
}

/// A feature a company can act on within months, and how (see [`LEVERS`]).
#[derive(Debug, Clone, Copy)]
pub struct Lever {
    /// The feature moved.
    pub feature: &'static str,
    /// Which way is possible.
    pub direction: Direction,
    /// The lowest value it can reach (arrears and days go down, not below zero).
    pub floor: f64,
    /// Whether its values are whole numbers (counts of months).
    pub whole: bool,
    /// What moving it means, in French (a clause: "la dette fiscale ramenée de … à …").
    pub action_fr: &'static str,
}

const fn lever(
    feature: &'static str,
    direction: Direction,
    floor: f64,
    whole: bool,
    action_fr: &'static str,
) -> Lever {
    Lever { feature, direction, floor, whole, action_fr }
}

/// The actionable features: tax and social arrears and payment plans, late declarations,
/// cash and liquidity, payables and receivables days, debt. Never the company's age,
/// sector, size, history (lagged values, trends, counts of past months) or past procedures:
/// a lever is something the company can change now. The features derived from a moved one
/// (its six-month trend, its twelve-month mean, its count of months in arrears) follow it
/// (see `vigie_score::levers`).
pub const LEVERS: &[Lever] = &[
    lever("tax_arrears_ratio", Direction::Down, 0.0, false, "les restes à recouvrer fiscaux"),
    lever(
        "tax_payment_plan",
        Direction::Set,
        0.0,
        true,
        "un plan de règlement de la dette fiscale",
    ),
    lever("soc_debt_ratio", Direction::Down, 0.0, false, "les cotisations sociales impayées"),
    lever("soc_payment_plan", Direction::Set, 0.0, true, "un échéancier avec l'Urssaf"),
    lever(
        "tax_late_declarations_12m",
        Direction::Down,
        0.0,
        true,
        "les déclarations de TVA en retard",
    ),
    lever("fin_cash_to_assets", Direction::Up, 0.0, false, "la trésorerie"),
    lever("fin_quick_ratio", Direction::Up, 0.0, false, "la liquidité immédiate"),
    lever("fin_current_ratio", Direction::Up, 0.0, false, "la liquidité générale"),
    lever(
        "fin_payables_days",
        Direction::Down,
        0.0,
        false,
        "le délai de paiement des fournisseurs",
    ),
    lever("fin_receivables_days", Direction::Down, 0.0, false, "le délai de paiement des clients"),
    lever("fin_debt_to_assets", Direction::Down, 0.0, false, "les dettes financières"),
    lever(
        "fin_net_debt_to_turnover",
        Direction::Down,
        f64::NEG_INFINITY,
        false,
        "l'endettement net",
    ),
    lever(
        "fin_tax_social_liab_to_turnover",
        Direction::Down,
        0.0,
        false,
        "les dettes fiscales et sociales au bilan",
    ),
];

/// The lever of a feature, if it is actionable.
#[must_use]
pub fn lever_of(feature: &str) -> Option<&'static Lever> {
    LEVERS.iter().find(|l| l.feature == feature)
}

/// Position of a feature in [`CATALOGUE`] (a hash lookup: request paths call it for every
/// name they read).
#[must_use]
pub fn index_of(name: &str) -> Option<usize> {
    static BY_NAME: std::sync::OnceLock<std::collections::HashMap<&'static str, usize>> =
        std::sync::OnceLock::new();
    BY_NAME
        .get_or_init(|| CATALOGUE.iter().enumerate().map(|(i, f)| (f.name, i)).collect())
        .get(name)
        .copied()
}

/// The catalogue's entry of a feature.
#[must_use]
pub fn spec(name: &str) -> Option<&'static FeatureSpec> {
    index_of(name).map(|i| &CATALOGUE[i])
}

/// Position of a feature in [`CATALOGUE`], usable in constants: an unknown name fails the
/// build when evaluated in a `const` context.
#[must_use]
pub const fn index_const(name: &str) -> usize {
    let mut i = 0;
    while i < CATALOGUE.len() {
        if same(CATALOGUE[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("unknown feature name")
}

/// Whether two names are equal, in constants (`==` on `str` is not `const`).
pub(crate) const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut j = 0;
    while j < a.len() && a[j] == b[j] {
        j += 1;
    }
    j == a.len()
}

/// Feature names in catalogue order.
#[must_use]
pub fn names() -> Vec<&'static str> {
    CATALOGUE.iter().map(|s| s.name).collect()
}

/// The catalogue as a Markdown table (the body of `docs/features.md`).
#[must_use]
pub fn markdown_table() -> String {
    use std::fmt::Write;
    let mut s =
        String::from("| name | group | formula | unit | label (fr) |\n|---|---|---|---|---|\n");
    for spec in CATALOGUE {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} |",
            spec.name,
            spec.group,
            spec.formula.replace('|', "\\|"),
            spec.unit,
            spec.label_fr
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_self_assessment_set_is_of_the_catalogue_without_monthly_histories() {
        for f in SELF_ASSESSMENT {
            assert!(spec(f).is_some(), "{f} not in the catalogue");
            assert!(!f.contains("_lag") && !f.contains("months_12m"), "{f} is a monthly history");
        }
        let kept: Vec<&str> = CATALOGUE
            .iter()
            .filter(|f| FeatureSet::SelfAssessment.includes(f.name))
            .map(|f| f.name)
            .collect();
        assert_eq!(kept, SELF_ASSESSMENT, "in catalogue order, no duplicates");
        assert!(CATALOGUE.iter().all(|f| FeatureSet::Full.includes(f.name)));
        assert_eq!(FeatureSet::parse("self"), Some(FeatureSet::SelfAssessment));
        assert_eq!(FeatureSet::parse("selfie"), None);
        assert_eq!(FeatureSet::of(SELF_ASSESSMENT.iter().copied()), FeatureSet::SelfAssessment);
        assert_eq!(FeatureSet::of(["prof_sector"].into_iter()), FeatureSet::SelfAssessment);
        let full = CATALOGUE.iter().map(|f| f.name);
        assert_eq!(FeatureSet::of(full), FeatureSet::Full);
        assert_eq!(FeatureSet::of(["prof_sector", "x1"].into_iter()), FeatureSet::Full);
    }

    #[test]
    fn levers_are_current_actionable_features_of_the_catalogue() {
        for l in LEVERS {
            let spec =
                spec(l.feature).unwrap_or_else(|| panic!("{} not in the catalogue", l.feature));
            // Never the profile (age, sector, size, past procedures), never history.
            assert_ne!(spec.group, FeatureGroup::Profile, "{}", l.feature);
            for past in ["_lag", "_trend", "_mean", "_growth", "_change", "months_12m"] {
                assert!(!l.feature.contains(past), "{} is history", l.feature);
            }
            assert_eq!(l.direction == Direction::Set, spec.unit == "flag", "{}", l.feature);
            assert!(!l.action_fr.is_empty());
        }
        assert_eq!(lever_of("prof_age_years").map(|l| l.feature), None);
        assert_eq!(lever_of("tax_payment_plan").map(|l| l.direction), Some(Direction::Set));
    }

    #[test]
    fn catalogue_is_consistent() {
        assert!(CATALOGUE.len() >= 25);
        let mut names = names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len(), "feature names are unique");
        for g in FeatureGroup::ALL {
            assert!(CATALOGUE.iter().any(|s| s.group == g), "group {g} has features");
        }
        for s in CATALOGUE {
            let prefix = match s.group {
                FeatureGroup::Financial => "fin_",
                FeatureGroup::Tax => "tax_",
                FeatureGroup::Activity => "act_",
                FeatureGroup::Social => "soc_",
                FeatureGroup::Profile => "prof_",
            };
            assert!(s.name.starts_with(prefix), "{} is named after its group", s.name);
        }
        assert_eq!(index_of("tax_arrears_ratio"), Some(19));
        for (i, spec) in CATALOGUE.iter().enumerate() {
            assert_eq!(index_const(spec.name), i);
        }
    }
}
