//! The figures as people type them in French: numbers with spaces between thousands and
//! a decimal comma, dates as JJ/MM/AAAA, months as MM/AAAA, NAF codes with or without
//! their dot; and euros written back the same way.

use vigie_core::{Date, Month, Naf};

/// A number as typed in French: spaces (also non-breaking) between thousands, a comma or a
/// point before decimals, an optional `€`. `Ok(None)` for an empty field.
///
/// # Errors
/// A French message when the text is not such a number.
pub fn parse_number(text: &str) -> std::result::Result<Option<f64>, String> {
    let t: String = text
        .trim()
        .trim_end_matches('€')
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    let plain = t
        .bytes()
        .enumerate()
        .all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && b == b'-'))
        && t.bytes().filter(|&b| b == b'.').count() <= 1
        && t.bytes().any(|b| b.is_ascii_digit());
    match t.parse::<f64>() {
        Ok(v) if plain && v.is_finite() => Ok(Some(v)),
        _ => Err("Saisissez un nombre, par exemple 42 000 ou 1 250,50.".into()),
    }
}

/// A date as typed: `AAAA-MM-JJ` (what a date field sends) or `JJ/MM/AAAA`.
pub(super) fn parse_date(text: &str) -> Option<Date> {
    let t = text.trim();
    if let Ok(d) = Date::parse(t) {
        return Some(d);
    }
    let mut parts = t.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

/// A month as typed: `AAAA`, `AAAA-MM`, `AAAA-MM-JJ`, `MM/AAAA` or `JJ/MM/AAAA`.
pub(super) fn parse_month(text: &str) -> Option<Month> {
    let t = text.trim();
    if let Some(d) = parse_date(t) {
        return Some(d.month());
    }
    if let Ok(m) = Month::parse(t) {
        return Some(m);
    }
    if let Some((m, y)) = t.split_once('/') {
        return Month::new(y.parse().ok()?, m.parse().ok()?).ok();
    }
    if t.len() == 4 {
        return Month::new(t.parse().ok()?, 1).ok();
    }
    None
}

/// A NAF code as typed (`56.10A`, `5610A`, `56.10 a`).
pub(super) fn parse_naf(text: &str) -> Option<Naf> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    // Cut by bytes below: a code is ASCII, anything else is not a code.
    if !t.is_ascii() {
        return None;
    }
    let t = if t.len() == 5 && !t.contains('.') { format!("{}.{}", &t[..2], &t[2..]) } else { t };
    Naf::parse(&t).ok()
}

/// Euros in French (`42 000 €`).
pub(super) fn euros(x: f64) -> String {
    let n = x.round().abs() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    format!("{}{out}\u{a0}€", if x < 0.0 { "−" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_french_people_type_them() {
        assert_eq!(parse_number("42 000"), Ok(Some(42_000.0)));
        assert_eq!(parse_number("42\u{202f}000,50 €"), Ok(Some(42_000.5)));
        assert_eq!(parse_number("-1200"), Ok(Some(-1200.0)));
        assert_eq!(parse_number("  "), Ok(None));
        for bad in ["douze", "1.2.3", "1e9", "--1", "12-3", "NaN", "inf", "."] {
            assert!(parse_number(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_month("03/2015"), Month::parse("2015-03").ok());
        assert_eq!(parse_month("2015"), Month::parse("2015-01").ok());
        assert_eq!(parse_date("31/12/2025"), Date::parse("2025-12-31").ok());
        assert_eq!(parse_naf("56.10 a").map(|n| n.as_str().to_owned()), Some("56.10A".into()));
        for bad in ["aé12", "5é10A", "56.1é", "€€€€€"] {
            assert!(parse_naf(bad).is_none(), "{bad}");
        }
    }
}
