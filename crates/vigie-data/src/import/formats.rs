//! The ways real files write dates, periods, amounts and identifiers (from
//! `../shared/formats/README.md`), each read into Vigie's types or refused with what was
//! expected.

use vigie_core::{Date, Month};

/// A date as any of the formats write one: `YYYY-MM-DD`, `YYYYMMDD`, `DD/MM/YYYY`,
/// `24FEB2014` (SAS), or the Urssaf's `(A)AAMMJJ` with the year minus 1900 (`1160318` is
/// 18 March 2016, `990612` 12 June 1999) when `urssaf_1900` is set.
pub(crate) fn date(s: &str, urssaf_1900: bool) -> Option<Date> {
    let t = s.trim();
    // Every format is ASCII (and the cuts below are by bytes).
    if !t.is_ascii() {
        return None;
    }
    if let Ok(d) = Date::parse(t) {
        return Some(d);
    }
    let digits = t.bytes().all(|b| b.is_ascii_digit());
    let num = |a: &str| a.parse::<u32>().ok();
    if urssaf_1900 && digits && (t.len() == 6 || t.len() == 7) {
        let (y, rest) = t.split_at(t.len() - 4);
        let year = 1900 + i32::try_from(num(y)?).ok()?;
        return Date::new(year, num(&rest[..2])?, num(&rest[2..])?).ok();
    }
    if digits && t.len() == 8 {
        return Date::new(i32::try_from(num(&t[..4])?).ok()?, num(&t[4..6])?, num(&t[6..])?).ok();
    }
    if let [d, m, y] = t.split('/').collect::<Vec<_>>()[..] {
        if y.len() != 4 {
            return None;
        }
        return Date::new(y.parse().ok()?, num(m)?, num(d)?).ok();
    }
    if t.len() == 9 && t[..2].bytes().all(|b| b.is_ascii_digit()) {
        const MONTHS: [&str; 12] =
            ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
        let m = MONTHS.iter().position(|m| t[2..5].eq_ignore_ascii_case(m))? as u32 + 1;
        return Date::new(t[5..].parse().ok()?, m, num(&t[..2])?).ok();
    }
    None
}

/// The months of an Urssaf period `AAAAXY` or `AAXY` (year, quarter `X` from 1 to 4, month
/// `Y` of the quarter from 1 to 3): one month, or the quarter's three when `Y` is 0. A
/// two-digit year is of the 2000s.
pub(crate) fn period(s: &str) -> Option<Vec<Month>> {
    let t = s.trim();
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, x, y) = match t.len() {
        6 => (t[..4].parse::<i32>().ok()?, t.as_bytes()[4] - b'0', t.as_bytes()[5] - b'0'),
        4 => (2000 + t[..2].parse::<i32>().ok()?, t.as_bytes()[2] - b'0', t.as_bytes()[3] - b'0'),
        _ => return None,
    };
    if !(1..=4).contains(&x) || y > 3 {
        return None;
    }
    let first = u32::from(x - 1) * 3 + 1;
    let months = if y == 0 {
        first..=first + 2
    } else {
        first + u32::from(y) - 1..=first + u32::from(y) - 1
    };
    months.map(|m| Month::new(year, m).ok()).collect()
}

/// A SIREN from a `siren` cell or, when it is empty, from the first nine digits of a
/// 14-digit SIRET; spaces (and non-breaking spaces) between digits are dropped. Not
/// checked here (the import's `Tally::siren_ok` rejects invalid ones).
pub(crate) fn siren(siren: &str, siret: &str) -> String {
    if !siren.is_empty() && siren.bytes().all(|b| b.is_ascii_digit()) {
        return siren.to_owned(); // the common case, without a copy per character
    }
    let clean = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let s = clean(siren);
    if !s.is_empty() {
        return s;
    }
    let t = clean(siret);
    if t.len() == 14 && t.bytes().all(|b| b.is_ascii_digit()) { t[..9].to_owned() } else { t }
}

/// An amount as the files write it: a decimal point or comma, spaces between thousands.
pub(crate) fn amount(s: &str) -> Option<f64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        // The common case (cents, whole euros), without a copy.
        return s.parse::<f64>().ok().filter(|x| x.is_finite());
    }
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if t.is_empty() || !t.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_format() {
        let d = |s: &str| Date::parse(s).unwrap();
        assert_eq!(date("1160318", true), Some(d("2016-03-18")));
        assert_eq!(date("990612", true), Some(d("1999-06-12")));
        assert_eq!(date("24FEB2014", false), Some(d("2014-02-24")));
        assert_eq!(date("26may2014", false), Some(d("2014-05-26")));
        assert_eq!(date("23/01/2019", false), Some(d("2019-01-23")));
        assert_eq!(date("20190123", false), Some(d("2019-01-23")));
        assert_eq!(date("2019-01-23", false), Some(d("2019-01-23")));
        for bad in [
            "1161318",
            "31/02/2019",
            "2019",
            "32JAN2014",
            "24FOO2014",
            "1/2/19",
            "12é€x",
            "2é/01/2019",
        ] {
            assert_eq!(date(bad, true), None, "{bad}");
        }
    }

    #[test]
    fn periods_are_months_or_quarters() {
        let m = |s: &str| Month::parse(s).unwrap();
        assert_eq!(period("201631"), Some(vec![m("2016-07")]));
        assert_eq!(period("201712"), Some(vec![m("2017-02")]));
        assert_eq!(period("1031"), Some(vec![m("2010-07")]));
        assert_eq!(period("201640"), Some(vec![m("2016-10"), m("2016-11"), m("2016-12")]));
        for bad in ["199904", "201654", "20161", "2016ab"] {
            assert_eq!(period(bad), None, "{bad}");
        }
    }

    #[test]
    fn sirens_from_spaces_and_sirets() {
        assert_eq!(siren("482 309 382", ""), "482309382");
        assert_eq!(siren("", "48230938200017"), "482309382");
        assert_eq!(siren("", "482 309 382 00017"), "482309382");
        assert_eq!(amount("1 250,50"), Some(1250.5));
        assert_eq!(amount(""), None);
        assert_eq!(amount("NaN"), None);
    }
}
