//! French wording of the dashboard: numbers, labels of codes, and the plain-French
//! sentences of an explanation's factors ("Dette fiscale égale à 14 % du chiffre
//! d'affaires annuel, en hausse par rapport à 3 % il y a six mois").

use vigie_core::Naf;
use vigie_core::features::{CATALOGUE, FeatureGroup};

/// Narrow no-break space, before `%` and between thousands.
const NNBSP: char = '\u{202f}';

/// `x` with `decimals` decimals, a decimal comma and thin spaces between thousands.
#[must_use]
pub fn number(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(NNBSP);
        }
        grouped.push(ch);
    }
    let negative = x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::new();
    if negative {
        out.push('−');
    }
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push(',');
        out.push_str(f);
    }
    out
}

/// An integer count with thin spaces between thousands.
#[must_use]
pub fn count(n: i64) -> String {
    number(n as f64, 0)
}

/// A count shown in an aggregate: below 5 (and above 0) it is suppressed as "< 5".
#[must_use]
pub fn small_count(n: i64) -> String {
    if (1..5).contains(&n) { "< 5".into() } else { count(n) }
}

/// A probability or ratio as a percentage: one decimal below 10 %, none above; "< 0,1 %"
/// for tiny positive values.
#[must_use]
pub fn percent(p: f64) -> String {
    if !p.is_finite() {
        return "—".into();
    }
    let v = p * 100.0;
    if v == 0.0 {
        return format!("0{NNBSP}%");
    }
    if v > 0.0 && v < 0.05 {
        return format!("< 0,1{NNBSP}%");
    }
    let decimals = usize::from(v.abs() < 10.0);
    format!("{}{NNBSP}%", number(v, decimals))
}

/// A log-odds contribution, unsigned, two decimals.
#[must_use]
pub fn log_odds(x: f64) -> String {
    number(x.abs(), 2)
}

/// A log-odds value with its sign.
#[must_use]
pub fn signed(x: f64) -> String {
    if x >= 0.0 { format!("+{}", number(x, 2)) } else { number(x, 2) }
}

/// Label of an alert level.
#[must_use]
pub fn level(l: &str) -> &'static str {
    match l {
        "red" => "Rouge",
        "orange" => "Orange",
        "green" => "Vert",
        _ => "Inconnu",
    }
}

/// Label of a follow-up status.
#[must_use]
pub fn follow_up(s: &str) -> &'static str {
    match s {
        "to_contact" => "À contacter",
        "contacted" => "Contactée",
        "in_support" => "En accompagnement",
        "closed" => "Suivi clos",
        _ => "Inconnu",
    }
}

/// The follow-up statuses, in order.
pub const FOLLOW_UPS: [&str; 4] = ["to_contact", "contacted", "in_support", "closed"];

/// Label of a size band.
#[must_use]
pub fn size_band(s: &str) -> &'static str {
    match s {
        "micro" => "Microentreprise",
        "small" => "Petite entreprise",
        "medium" => "Moyenne entreprise",
        "large" => "Grande entreprise",
        _ => "Taille inconnue",
    }
}

/// The size bands, in order.
pub const SIZE_BANDS: [&str; 5] = ["micro", "small", "medium", "large", "unknown"];

/// Label of a NAF section letter.
#[must_use]
pub fn naf_section(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => {
            Naf::section_label(c).map_or_else(|| format!("section {s}"), |l| format!("{c} · {l}"))
        }
        _ => format!("section {s}"),
    }
}

/// Label of a topic group of the explanation (`other`: features outside the catalogue).
#[must_use]
pub fn group(g: &str) -> &'static str {
    FeatureGroup::ALL.iter().find(|x| x.as_str() == g).map_or("Autres", |x| x.label_fr())
}

fn months(n: f64) -> String {
    let n = n.round();
    format!("{} mois", number(n, 0))
}

/// "en hausse par rapport à 3 % il y a six mois", or the fall, or "stable".
fn since(now: f64, before: f64, show: impl Fn(f64) -> String) -> String {
    let tolerance = 1e-9_f64.max(before.abs() * 0.02);
    if (now - before).abs() <= tolerance {
        format!(", au même niveau qu'il y a six mois ({})", show(before))
    } else if now > before {
        format!(", en hausse par rapport à {} il y a six mois", show(before))
    } else {
        format!(", en baisse par rapport à {} il y a six mois", show(before))
    }
}

/// The plain-French sentence of one factor: its value, and how it moved in six months when
/// the explanation kept the earlier value.
#[must_use]
pub fn factor(feature: &str, value: Option<f64>, before: Option<f64>) -> String {
    let spec = CATALOGUE.iter().find(|f| f.name == feature);
    let label = spec.map_or(feature, |s| s.label_fr);
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return format!("{label} : non renseigné");
    };
    let trend = |show: fn(f64) -> String| before.map(|b| since(v, b, show)).unwrap_or_default();
    match feature {
        "tax_arrears_ratio" => format!(
            "Dette fiscale égale à {} du chiffre d'affaires annuel{}",
            percent(v),
            trend(percent)
        ),
        "soc_debt_ratio" => {
            let show = |x: f64| format!("{} mois de cotisations", number(x, 1));
            format!(
                "Dette sociale équivalente à {}{}",
                show(v),
                before.map(|b| since(v, b, show)).unwrap_or_default()
            )
        }
        "tax_arrears_months_12m" if v.round() == 0.0 => {
            "Aucun mois de dette fiscale sur les 12 derniers".into()
        }
        "tax_arrears_months_12m" => {
            format!("Dette fiscale pendant {} sur les 12 derniers", months(v))
        }
        "soc_debt_months_12m" if v.round() == 0.0 => {
            "Aucun mois de dette sociale sur les 12 derniers".into()
        }
        "soc_debt_months_12m" => {
            format!("Dette sociale pendant {} sur les 12 derniers", months(v))
        }
        "tax_late_declarations_12m" => format!(
            "{} de déclaration fiscale en retard ou manquante sur les 12 derniers",
            months(v)
        ),
        "tax_payment_plan" => if v > 0.5 {
            "Plan de règlement fiscal en cours"
        } else {
            "Pas de plan de règlement fiscal"
        }
        .into(),
        "soc_payment_plan" => if v > 0.5 {
            "Plan d'apurement social en cours"
        } else {
            "Pas de plan d'apurement social"
        }
        .into(),
        "prof_past_procedure" => if v > 0.5 {
            "A déjà connu une procédure collective"
        } else {
            "Aucune procédure collective passée"
        }
        .into(),
        "tax_arrears_trend_6m" => {
            format!(
                "Restes à recouvrer fiscaux : {} points de CA annuel en six mois",
                signed_points(v)
            )
        }
        "act_vat_growth_yoy" => {
            format!("Chiffre d'affaires déclaré : {} sur un an", signed_percent(v))
        }
        "act_vat_trend_6m" => {
            format!("Chiffre d'affaires déclaré : {} sur six mois", signed_percent(v))
        }
        "fin_turnover_growth" => {
            format!("Chiffre d'affaires des bilans : {} sur un exercice", signed_percent(v))
        }
        "fin_filing_age" => format!("Dernier bilan clos il y a {}", months(v)),
        "prof_age_years" => {
            let years = v.floor().max(0.0);
            if years < 1.0 {
                "Entreprise créée il y a moins d'un an".into()
            } else {
                format!(
                    "Entreprise créée il y a {} {}",
                    number(years, 0),
                    plural(years, "an", "ans")
                )
            }
        }
        "prof_log_headcount" => {
            let n = (v.exp() - 1.0).max(0.0).round();
            format!("Effectif d'environ {} {}", number(n, 0), plural(n, "salarié", "salariés"))
        }
        "prof_log_turnover" => format!("Chiffre d'affaires de {}", euros(v.exp() - 1.0)),
        "prof_sector" => {
            let letter = char::from(b'A' + (v.round().clamp(0.0, 20.0) as u8));
            format!("Secteur d'activité : {}", naf_section(&letter.to_string()))
        }
        _ => {
            let unit = spec.map_or("", |s| s.unit);
            let shown = match unit {
                "ratio" => percent(v),
                "days" => format!("{} jours", number(v, 0)),
                "months" => months(v),
                "years" => format!("{} ans", number(v, 1)),
                "k€ per employee" => format!("{}{NNBSP}k€ par salarié", number(v, 0)),
                "months of contributions" => format!("{} mois de cotisations", number(v, 1)),
                "flag" => (if v > 0.5 { "oui" } else { "non" }).into(),
                _ => number(v, 2),
            };
            let shown_before = before.map(|b| match unit {
                "ratio" => since(v, b, percent),
                _ => since(v, b, |x| number(x, 2)),
            });
            format!("{label} : {shown}{}", shown_before.unwrap_or_default())
        }
    }
}

/// A feature's value in words, by its unit (for the levers' "from … to …").
fn value_of(feature: &str, v: f64) -> String {
    match vigie_core::features::spec(feature).map_or("", |s| s.unit) {
        "ratio" if feature == "fin_quick_ratio" || feature == "fin_current_ratio" => number(v, 2),
        "ratio" => percent(v),
        "days" => format!("{} jours", number(v, 0)),
        "months" => months(v),
        "months of contributions" => format!("{} mois de cotisations", number(v, 1)),
        _ => number(v, 2),
    }
}

/// A lever set in one French sentence: "Les restes à recouvrer fiscaux de 4,2 % à 0,3 %
/// et un plan de règlement de la dette fiscale feraient passer le risque sous le seuil
/// orange."
#[must_use]
pub fn lever_set(set: &vigie_score::levers::LeverSet) -> String {
    let parts: Vec<String> = set.changes.iter().map(lever_clause).collect();
    lever_sentence(&parts)
}

/// One change of a lever set in words ("les restes à recouvrer fiscaux de 4,2 % à 0,3 % du
/// chiffre d'affaires annuel").
#[must_use]
pub fn lever_clause(c: &vigie_score::levers::LeverChange) -> String {
    let Some(lever) = vigie_core::features::lever_of(&c.feature) else {
        return c.feature.clone();
    };
    if lever.direction == vigie_core::features::Direction::Set {
        return lever.action_fr.to_owned();
    }
    let of = match c.feature.as_str() {
        "tax_arrears_ratio" => " du chiffre d'affaires annuel",
        "fin_tax_social_liab_to_turnover" | "fin_net_debt_to_turnover" => " du chiffre d'affaires",
        "fin_cash_to_assets" | "fin_debt_to_assets" => " du total du bilan",
        _ => "",
    };
    format!(
        "{} de {} à {}{of}",
        lever.action_fr,
        value_of(&c.feature, c.from),
        value_of(&c.feature, c.to)
    )
}

/// The clauses of a lever set as one sentence, ending "feraient passer le risque sous le
/// seuil orange".
#[must_use]
pub fn lever_sentence(parts: &[String]) -> String {
    let joined = match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} et {last}", init.join(", ")),
    };
    let mut sentence = joined;
    if let Some(first) = sentence.get(..1) {
        sentence = first.to_uppercase() + &sentence[1..];
    }
    let verb = if parts.len() > 1 || sentence.starts_with("Les ") { "feraient" } else { "ferait" };
    format!("{sentence} {verb} passer le risque sous le seuil orange.")
}

/// French plural: the singular below 2.
fn plural(n: f64, one: &'static str, many: &'static str) -> &'static str {
    if n < 2.0 { one } else { many }
}

/// A change of a ratio, in percentage points.
fn signed_points(v: f64) -> String {
    let p = number((v * 100.0).abs(), 1);
    if v >= 0.0 { format!("+{p}") } else { format!("−{p}") }
}

fn signed_percent(v: f64) -> String {
    // Below 0.05 %, in either direction: "< 0,1 %" with its sign is unreadable ("−< 0,1 %").
    if v.abs() * 100.0 < 0.05 {
        return if v == 0.0 {
            percent(0.0)
        } else {
            format!("presque inchangé ({})", percent(v.abs()))
        };
    }
    if v >= 0.0 { format!("+{}", percent(v)) } else { format!("−{}", percent(-v)) }
}

/// Euros, rounded to the unit that reads best (`42 k€`).
#[must_use]
pub fn euros(x: f64) -> String {
    if x >= 1e6 {
        format!("{}{NNBSP}M€", number(x / 1e6, 1))
    } else if x >= 1e3 {
        format!("{}{NNBSP}k€", number(x / 1e3, 0))
    } else {
        format!("{}{NNBSP}€", number(x, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_french() {
        assert_eq!(number(1_234_567.891, 2), "1\u{202f}234\u{202f}567,89");
        assert_eq!(number(-0.5, 1), "−0,5");
        assert_eq!(number(-0.001, 1), "0,0");
        assert_eq!(percent(0.14), "14\u{202f}%");
        assert_eq!(percent(0.0312), "3,1\u{202f}%");
        assert_eq!(percent(0.0001), "< 0,1\u{202f}%");
        assert_eq!(percent(0.0), "0\u{202f}%");
        assert_eq!(signed_percent(-0.0001), "presque inchangé (< 0,1\u{202f}%)");
        assert_eq!(signed_percent(-0.25), "−25\u{202f}%");
        assert_eq!(signed_percent(0.0), "0\u{202f}%");
        assert_eq!(small_count(3), "< 5");
        assert_eq!(small_count(0), "0");
        assert_eq!(small_count(12_345), "12\u{202f}345");
        assert_eq!(signed(0.456), "+0,46");
        assert_eq!(signed(-1.0), "−1,00");
    }

    #[test]
    fn factors_read_as_sentences() {
        assert_eq!(
            factor("tax_arrears_ratio", Some(0.14), Some(0.03)),
            "Dette fiscale égale à 14\u{202f}% du chiffre d'affaires annuel, en hausse par \
             rapport à 3,0\u{202f}% il y a six mois"
        );
        assert_eq!(
            factor("soc_debt_ratio", Some(1.0), Some(2.5)),
            "Dette sociale équivalente à 1,0 mois de cotisations, en baisse par rapport à 2,5 \
             mois de cotisations il y a six mois"
        );
        assert_eq!(
            factor("tax_arrears_months_12m", Some(9.0), None),
            "Dette fiscale pendant 9 mois sur les 12 derniers"
        );
        assert_eq!(
            factor("fin_receivables_days", Some(67.3), None),
            "Délai de paiement des clients : 67 jours"
        );
        assert_eq!(factor("fin_quick_ratio", None, None), "Liquidité immédiate : non renseigné");
        assert_eq!(
            factor("prof_sector", Some(5.0), None),
            format!("Secteur d'activité : F · {}", Naf::section_label('F').unwrap())
        );
        assert_eq!(
            factor("tax_payment_plan", Some(1.0), None),
            "Plan de règlement fiscal en cours"
        );
        // Every catalogue feature has a sentence that names something (no empty output).
        for f in CATALOGUE {
            assert!(factor(f.name, Some(0.5), Some(0.25)).len() > 10, "{}", f.name);
        }
    }
}
