//! Forecast horizons and alert levels.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A forecasting horizon: a collective procedure opens within this many months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Horizon {
    /// 6 months.
    #[serde(rename = "6m")]
    M6,
    /// 12 months.
    #[serde(rename = "12m")]
    M12,
    /// 18 months (the reference horizon of alert levels).
    #[serde(rename = "18m")]
    M18,
    /// 24 months.
    #[serde(rename = "24m")]
    M24,
}

impl Horizon {
    /// All horizons, shortest first.
    pub const ALL: [Horizon; 4] = [Horizon::M6, Horizon::M12, Horizon::M18, Horizon::M24];

    /// Number of months.
    #[must_use]
    pub fn months(self) -> i32 {
        match self {
            Self::M6 => 6,
            Self::M12 => 12,
            Self::M18 => 18,
            Self::M24 => 24,
        }
    }

    /// The label column of the panel for this horizon (`label_18m`).
    #[must_use]
    pub fn label_column(self) -> &'static str {
        match self {
            Self::M6 => "label_6m",
            Self::M12 => "label_12m",
            Self::M18 => "label_18m",
            Self::M24 => "label_24m",
        }
    }

    /// Parses `6`, `6m`, `12`, `12m`, …
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim_end_matches('m') {
            "6" => Ok(Self::M6),
            "12" => Ok(Self::M12),
            "18" => Ok(Self::M18),
            "24" => Ok(Self::M24),
            _ => Err(Error::Horizon(s.to_owned())),
        }
    }
}

impl fmt::Display for Horizon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}m", self.months())
    }
}

/// Alert level: red (threshold maximising F0.5), orange (maximising F2), green otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    /// No alert.
    Green,
    /// Recall-oriented alert.
    Orange,
    /// Precision-oriented alert.
    Red,
}

impl AlertLevel {
    /// The snake_case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Green => "green",
            Self::Orange => "orange",
            Self::Red => "red",
        }
    }

    /// Parses `red`, `orange` or `green`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "green" => Ok(Self::Green),
            "orange" => Ok(Self::Orange),
            "red" => Ok(Self::Red),
            _ => Err(Error::AlertLevel(s.to_owned())),
        }
    }

    /// The level of a probability given the two thresholds (`red >= orange`).
    #[must_use]
    pub fn from_probability(p: f64, orange: f64, red: f64) -> Self {
        if p >= red {
            Self::Red
        } else if p >= orange {
            Self::Orange
        } else {
            Self::Green
        }
    }
}

impl fmt::Display for AlertLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizons_and_levels() {
        assert_eq!(Horizon::parse("18m").unwrap(), Horizon::M18);
        assert_eq!(Horizon::parse("6").unwrap().months(), 6);
        assert!(Horizon::parse("9").is_err());
        assert_eq!(Horizon::M24.label_column(), "label_24m");
        assert_eq!(AlertLevel::from_probability(0.5, 0.1, 0.3), AlertLevel::Red);
        assert_eq!(AlertLevel::from_probability(0.2, 0.1, 0.3), AlertLevel::Orange);
        assert_eq!(AlertLevel::from_probability(0.05, 0.1, 0.3), AlertLevel::Green);
        assert!(AlertLevel::Red > AlertLevel::Orange && AlertLevel::Orange > AlertLevel::Green);
        assert_eq!(AlertLevel::parse("orange").unwrap(), AlertLevel::Orange);
        assert_eq!(serde_json::to_string(&AlertLevel::Red).unwrap(), "\"red\"");
        assert_eq!(serde_json::to_string(&Horizon::M12).unwrap(), "\"12m\"");
    }
}
