//! Calendar types: [`Month`] (the grain of the panel) and [`Date`] (filings, judgments).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2199;

/// A calendar month, stored as the number of months since January of year 0, so that
/// month arithmetic is integer arithmetic. Text form: `YYYY-MM`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month(i32);

impl Month {
    /// Builds a month from a year and a month number (1–12).
    pub fn new(year: i32, month: u32) -> Result<Self> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) || !(1..=12).contains(&month) {
            return Err(Error::Month(format!("{year:04}-{month:02}")));
        }
        Ok(Self(year * 12 + month as i32 - 1))
    }

    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        let bad = || Error::Month(s.to_owned());
        if b.len() != 7 || b[4] != b'-' {
            return Err(bad());
        }
        let year = parse_digits(&b[..4]).ok_or_else(bad)?;
        let month = parse_digits(&b[5..]).ok_or_else(bad)?;
        Self::new(year as i32, month).map_err(|_| bad())
    }

    /// The year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// The month number, 1–12.
    #[must_use]
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// The month `n` months later (earlier when negative).
    #[must_use]
    pub fn plus(self, n: i32) -> Self {
        Self(self.0 + n)
    }

    /// Number of months from `earlier` to `self` (negative if `earlier` is later).
    #[must_use]
    pub fn since(self, earlier: Self) -> i32 {
        self.0 - earlier.0
    }

    /// The integer index (months since January of year 0), for dense arrays.
    #[must_use]
    pub fn index(self) -> i32 {
        self.0
    }

    /// The month of a given index (inverse of [`Month::index`]).
    #[must_use]
    pub fn from_index(index: i32) -> Self {
        Self(index)
    }

    /// The last day of the month.
    #[must_use]
    pub fn last_day(self) -> Date {
        let (y, m) = (self.year(), self.month());
        Date { year: y, month: m, day: days_in_month(y, m) }
    }

    /// The first day of the month.
    #[must_use]
    pub fn first_day(self) -> Date {
        Date { year: self.year(), month: self.month(), day: 1 }
    }

    /// Iterates over the months from `self` to `last`, both included.
    pub fn through(self, last: Self) -> impl Iterator<Item = Month> {
        (self.0..=last.0).map(Month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl fmt::Debug for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Month({self})")
    }
}

impl TryFrom<String> for Month {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<Month> for String {
    fn from(m: Month) -> Self {
        m.to_string()
    }
}

impl std::str::FromStr for Month {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// A calendar date (proleptic Gregorian), `YYYY-MM-DD`, between 1900 and 2199.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    /// Builds a date, refusing impossible ones (30 February) and years outside 1900–2199.
    pub fn new(year: i32, month: u32, day: u32) -> Result<Self> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return Err(Error::Date(format!("{year:04}-{month:02}-{day:02}")));
        }
        Ok(Self { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        let bad = || Error::Date(s.to_owned());
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let y = parse_digits(&b[..4]).ok_or_else(bad)?;
        let m = parse_digits(&b[5..7]).ok_or_else(bad)?;
        let d = parse_digits(&b[8..]).ok_or_else(bad)?;
        Self::new(y as i32, m, d).map_err(|_| bad())
    }

    /// The month this date falls in.
    #[must_use]
    pub fn month(self) -> Month {
        Month(self.year * 12 + self.month as i32 - 1)
    }

    /// The year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.year
    }

    /// The day of the month.
    #[must_use]
    pub fn day(self) -> u32 {
        self.day
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl TryFrom<String> for Date {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> Self {
        d.to_string()
    }
}

fn parse_digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn month_parse_and_arithmetic() {
        let m = Month::parse("2024-03").unwrap();
        assert_eq!(m.year(), 2024);
        assert_eq!(m.month(), 3);
        assert_eq!(m.plus(-3).to_string(), "2023-12");
        assert_eq!(m.plus(10).to_string(), "2025-01");
        assert_eq!(m.plus(18).since(m), 18);
        for bad in ["2024-13", "2024-00", "2024-3", "24-03", "2024/03", "1899-12", "abcdefg"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert!(Date::parse("2024-02-29").is_ok());
        for bad in
            ["2023-02-29", "2023-02-30", "2023-04-31", "2023-13-01", "2023-1-01", "1850-01-01"]
        {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Date::parse("2023-06-15").unwrap().month().to_string(), "2023-06");
        assert_eq!(Month::parse("2024-02").unwrap().last_day().to_string(), "2024-02-29");
        assert_eq!(Month::parse("1900-02").unwrap().last_day().to_string(), "1900-02-28");
    }

    proptest! {
        #[test]
        fn month_text_round_trips(y in 1900i32..2200, m in 1u32..13) {
            let month = Month::new(y, m).unwrap();
            prop_assert_eq!(Month::parse(&month.to_string()).unwrap(), month);
            prop_assert_eq!(Month::from_index(month.index()), month);
        }
    }
}
