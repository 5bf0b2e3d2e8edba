//! A company's annual accounts — the amounts of one filing — and the financial ratios of
//! the feature catalogue computed from them. One home for the formulas: the panel applies
//! them to the filings it reads, the self-diagnosis to the figures a company head types,
//! and the import of real formats maps form boxes onto [`AMOUNTS`] ([`liasse`]).

use crate::features::{index_const, same};

pub mod liasse;

/// The amounts of a filing, in the order of the `filings` source (euros; `headcount` in
/// employees). NaN means "not reported".
pub const AMOUNTS: [&str; 16] = [
    "turnover",
    "value_added",
    "ebitda",
    "operating_income",
    "net_income",
    "total_assets",
    "equity",
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

/// Position of an amount in [`AMOUNTS`], usable in constants (an unknown name fails the
/// build).
#[must_use]
pub const fn amount(name: &str) -> usize {
    let mut i = 0;
    while i < AMOUNTS.len() {
        if same(AMOUNTS[i], name) {
            return i;
        }
        i += 1;
    }
    panic!("unknown amount name")
}

/// `x / y`, NaN when either is missing or `y` is zero.
#[must_use]
pub fn div(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() || y == 0.0 { f64::NAN } else { x / y }
}

/// Division by a quantity that must be positive to make sense (turnover, assets).
#[must_use]
pub fn div_pos(x: f64, y: f64) -> f64 {
    if y.is_nan() || y <= 0.0 { f64::NAN } else { div(x, y) }
}

/// Writes into `row` (catalogue order) the financial ratios of the latest accounts
/// (`latest`) and, when given, of their change since the previous ones (`previous`), and
/// the size in turnover (`prof_log_turnover`). The ages of the accounts
/// (`fin_filing_age`, `fin_filing_delay`) need dates and are the caller's.
pub fn financial_features(latest: &[f64; 16], previous: Option<&[f64; 16]>, row: &mut [f64]) {
    macro_rules! set {
        ($name:literal, $v:expr $(,)?) => {{
            const I: usize = index_const($name);
            row[I] = $v;
        }};
    }
    macro_rules! a {
        ($f:expr, $name:literal) => {{
            const K: usize = amount($name);
            $f[K]
        }};
    }
    let f = latest;
    let turnover = a!(f, "turnover");
    let assets = a!(f, "total_assets");
    let va = a!(f, "value_added");
    let short_liab = a!(f, "trade_payables") + a!(f, "tax_social_liabilities");
    set!("fin_ebitda_margin", div_pos(a!(f, "ebitda"), turnover));
    set!("fin_net_margin", div_pos(a!(f, "net_income"), turnover));
    set!("fin_roa", div_pos(a!(f, "operating_income"), assets));
    set!("fin_equity_to_assets", div_pos(a!(f, "equity"), assets));
    set!("fin_debt_to_assets", div_pos(a!(f, "financial_debt"), assets));
    set!("fin_net_debt_to_turnover", div_pos(a!(f, "financial_debt") - a!(f, "cash"), turnover));
    set!("fin_cash_to_assets", div_pos(a!(f, "cash"), assets));
    set!("fin_quick_ratio", div_pos(a!(f, "cash") + a!(f, "trade_receivables"), short_liab));
    set!(
        "fin_current_ratio",
        div_pos(a!(f, "cash") + a!(f, "trade_receivables") + a!(f, "inventory"), short_liab),
    );
    set!("fin_staff_costs_to_va", div_pos(a!(f, "staff_costs"), va));
    set!("fin_va_per_employee", div_pos(va, a!(f, "headcount")) / 1000.0);
    set!("fin_investment_rate", div_pos(a!(f, "investment"), assets));
    set!("fin_payables_days", 365.0 * div_pos(a!(f, "trade_payables"), turnover));
    set!("fin_receivables_days", 365.0 * div_pos(a!(f, "trade_receivables"), turnover));
    set!("fin_tax_social_liab_to_turnover", div_pos(a!(f, "tax_social_liabilities"), turnover));
    if let Some(p) = previous {
        set!("fin_turnover_growth", div_pos(turnover, a!(p, "turnover")) - 1.0);
        set!("fin_equity_change", div_pos(a!(f, "equity") - a!(p, "equity"), assets));
    }
    set!("prof_log_turnover", if turnover.is_nan() { f64::NAN } else { turnover.ln_1p() });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{CATALOGUE, index_of};

    #[test]
    fn ratios_follow_the_catalogue_formulas() {
        let mut f = [f64::NAN; 16];
        for (name, v) in [
            ("turnover", 1_000_000.0),
            ("value_added", 400_000.0),
            ("ebitda", 80_000.0),
            ("total_assets", 500_000.0),
            ("equity", 100_000.0),
            ("financial_debt", 150_000.0),
            ("cash", 50_000.0),
            ("trade_payables", 120_000.0),
            ("trade_receivables", 200_000.0),
            ("tax_social_liabilities", 80_000.0),
            ("headcount", 8.0),
        ] {
            f[AMOUNTS.iter().position(|a| *a == name).unwrap()] = v;
        }
        let mut p = f;
        p[amount("turnover")] = 800_000.0;
        p[amount("equity")] = 120_000.0;
        let mut row = vec![f64::NAN; CATALOGUE.len()];
        financial_features(&f, Some(&p), &mut row);
        let at = |n: &str| row[index_of(n).unwrap()];
        assert!((at("fin_ebitda_margin") - 0.08).abs() < 1e-15);
        assert!((at("fin_net_debt_to_turnover") - 0.1).abs() < 1e-15);
        assert!((at("fin_quick_ratio") - 1.25).abs() < 1e-15);
        assert!((at("fin_payables_days") - 43.8).abs() < 1e-12);
        assert!((at("fin_va_per_employee") - 50.0).abs() < 1e-12);
        assert!((at("fin_turnover_growth") - 0.25).abs() < 1e-15);
        assert!((at("fin_equity_change") + 0.04).abs() < 1e-15);
        assert!(at("fin_net_margin").is_nan(), "net income not reported");
        assert!(at("fin_filing_age").is_nan(), "dates are the caller's");
        // No turnover: the ratios over it are missing, never infinite.
        let mut none = f;
        none[amount("turnover")] = 0.0;
        let mut row = vec![f64::NAN; CATALOGUE.len()];
        financial_features(&none, None, &mut row);
        let at = |n: &str| row[index_of(n).unwrap()];
        assert!(at("fin_ebitda_margin").is_nan() && at("fin_payables_days").is_nan());
        assert!(at("fin_cash_to_assets").is_finite(), "the ratios over assets remain");
    }
}
