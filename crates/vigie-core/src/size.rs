//! Company size: the INSEE headcount band of the company register and the coarser size
//! band used in reports.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// INSEE headcount bands ("tranche d'effectif salarié"): code, lower bound, upper bound.
const BANDS: &[(&str, u32, u32)] = &[
    ("00", 0, 0),
    ("01", 1, 2),
    ("02", 3, 5),
    ("03", 6, 9),
    ("11", 10, 19),
    ("12", 20, 49),
    ("21", 50, 99),
    ("22", 100, 199),
    ("31", 200, 249),
    ("32", 250, 499),
    ("41", 500, 999),
    ("42", 1000, 1999),
    ("51", 2000, 4999),
    ("52", 5000, 9999),
    ("53", 10000, 20000),
];

/// An INSEE headcount band, or `NN` (unknown / not an employer).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HeadcountBand(Option<u8>);

impl HeadcountBand {
    /// Parses an INSEE band code (`NN`, `00`, `01`, … `53`).
    pub fn parse(s: &str) -> Result<Self> {
        if s == "NN" {
            return Ok(Self(None));
        }
        BANDS
            .iter()
            .position(|b| b.0 == s)
            .map(|i| Self(Some(i as u8)))
            .ok_or_else(|| Error::HeadcountBand(s.to_owned()))
    }

    /// The band containing a headcount.
    #[must_use]
    pub fn from_headcount(n: u32) -> Self {
        let i = BANDS.iter().position(|b| n <= b.2).unwrap_or(BANDS.len() - 1);
        Self(Some(i as u8))
    }

    /// The INSEE code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.0.map_or("NN", |i| BANDS[i as usize].0)
    }

    /// The geometric middle of the band (a headcount estimate), `None` when unknown.
    #[must_use]
    pub fn midpoint(&self) -> Option<f64> {
        self.0.map(|i| {
            let (_, lo, hi) = BANDS[i as usize];
            if lo == 0 { f64::from(hi) / 2.0 } else { (f64::from(lo) * f64::from(hi)).sqrt() }
        })
    }

    /// The coarse size band.
    #[must_use]
    pub fn size_band(&self) -> SizeBand {
        match self.0.map(|i| BANDS[i as usize].1) {
            None => SizeBand::Unknown,
            Some(lo) if lo < 10 => SizeBand::Micro,
            Some(lo) if lo < 50 => SizeBand::Small,
            Some(lo) if lo < 250 => SizeBand::Medium,
            Some(_) => SizeBand::Large,
        }
    }
}

impl fmt::Display for HeadcountBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for HeadcountBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeadcountBand({})", self.code())
    }
}

impl TryFrom<String> for HeadcountBand {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<HeadcountBand> for String {
    fn from(b: HeadcountBand) -> Self {
        b.code().to_owned()
    }
}

/// Coarse size band used in reports and filters (EU definition by headcount).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeBand {
    /// 0–9 employees.
    Micro,
    /// 10–49 employees.
    Small,
    /// 50–249 employees.
    Medium,
    /// 250 employees or more.
    Large,
    /// Headcount unknown.
    Unknown,
}

impl SizeBand {
    /// The snake_case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Micro => "micro",
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for SizeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands() {
        assert_eq!(HeadcountBand::from_headcount(0).code(), "00");
        assert_eq!(HeadcountBand::from_headcount(7).code(), "03");
        assert_eq!(HeadcountBand::from_headcount(10).code(), "11");
        assert_eq!(HeadcountBand::from_headcount(250).code(), "32");
        assert_eq!(HeadcountBand::from_headcount(50_000).code(), "53");
        assert_eq!(HeadcountBand::parse("12").unwrap().size_band(), SizeBand::Small);
        assert_eq!(HeadcountBand::parse("NN").unwrap().size_band(), SizeBand::Unknown);
        assert_eq!(HeadcountBand::parse("NN").unwrap().midpoint(), None);
        assert!(HeadcountBand::parse("13").is_err());
        let mid = HeadcountBand::parse("12").unwrap().midpoint().unwrap();
        assert!((mid - (20.0f64 * 49.0).sqrt()).abs() < 1e-12);
    }
}
