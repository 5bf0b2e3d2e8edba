//! Forecast horizons and alert levels.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A forecasting horizon: a collective procedure opens within this many months.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
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

    /// Whether a procedure opened in `opening` falls within this horizon of `month`: in
    /// `month + 1 ..= month + h`. The one rule of the panel's labels and of the backtests.
    #[must_use]
    pub fn covers(self, month: crate::Month, opening: crate::Month) -> bool {
        opening > month && opening <= month.plus(self.months())
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
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
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

/// Calibrated failure probabilities by horizon, non-decreasing with the horizon.
// Indexed by `Horizon`: `p[Horizon::M18]`, or `p.alert()`, is the probability the alert
// levels are drawn from. (A plain comment: the doc comment is also the API's description.)
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Probabilities {
    /// Within 6 months.
    #[serde(rename = "6m")]
    pub m6: f64,
    /// Within 12 months.
    #[serde(rename = "12m")]
    pub m12: f64,
    /// Within 18 months (the horizon of the alert levels).
    #[serde(rename = "18m")]
    pub m18: f64,
    /// Within 24 months.
    #[serde(rename = "24m")]
    pub m24: f64,
}

impl Probabilities {
    /// From the four values, shortest horizon first.
    #[must_use]
    pub fn from_array(p: [f64; 4]) -> Self {
        Self { m6: p[0], m12: p[1], m18: p[2], m24: p[3] }
    }

    /// The four values, shortest horizon first.
    #[must_use]
    pub fn to_array(self) -> [f64; 4] {
        [self.m6, self.m12, self.m18, self.m24]
    }

    /// The probability at the horizon of the alert levels (18 months).
    #[must_use]
    pub fn alert(self) -> f64 {
        self.m18
    }
}

impl From<[f64; 4]> for Probabilities {
    fn from(p: [f64; 4]) -> Self {
        Self::from_array(p)
    }
}

impl std::ops::Index<Horizon> for Probabilities {
    type Output = f64;

    fn index(&self, h: Horizon) -> &f64 {
        match h {
            Horizon::M6 => &self.m6,
            Horizon::M12 => &self.m12,
            Horizon::M18 => &self.m18,
            Horizon::M24 => &self.m24,
        }
    }
}

impl std::ops::IndexMut<Horizon> for Probabilities {
    fn index_mut(&mut self, h: Horizon) -> &mut f64 {
        match h {
            Horizon::M6 => &mut self.m6,
            Horizon::M12 => &mut self.m12,
            Horizon::M18 => &mut self.m18,
            Horizon::M24 => &mut self.m24,
        }
    }
}

/// How a company's level moved from one run to the next: the one definition of a first
/// alert, an escalation and a de-escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// In alert (orange or red) now; green, or not scored, before.
    FirstAlert,
    /// Orange to red.
    Escalated,
    /// Red to orange, or red or orange to green.
    DeEscalated,
    /// The same level, or green and still green (or green and not scored before).
    Unchanged,
}

impl Change {
    /// The change from `previous` (`None`: not scored then) to `current`.
    #[must_use]
    pub fn between(previous: Option<AlertLevel>, current: AlertLevel) -> Self {
        match (previous, current) {
            (None | Some(AlertLevel::Green), AlertLevel::Orange | AlertLevel::Red) => {
                Self::FirstAlert
            }
            (Some(AlertLevel::Orange), AlertLevel::Red) => Self::Escalated,
            (Some(before), now) if now < before => Self::DeEscalated,
            _ => Self::Unchanged,
        }
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
        let m = crate::Month::parse("2024-01").unwrap();
        let at = |s: &str| crate::Month::parse(s).unwrap();
        assert!(!Horizon::M6.covers(m, m), "the month itself is not within");
        assert!(Horizon::M6.covers(m, at("2024-02")) && Horizon::M6.covers(m, at("2024-07")));
        assert!(!Horizon::M6.covers(m, at("2024-08")) && Horizon::M12.covers(m, at("2024-08")));
        assert_eq!(AlertLevel::from_probability(0.5, 0.1, 0.3), AlertLevel::Red);
        assert_eq!(AlertLevel::from_probability(0.2, 0.1, 0.3), AlertLevel::Orange);
        assert_eq!(AlertLevel::from_probability(0.05, 0.1, 0.3), AlertLevel::Green);
        assert!(AlertLevel::Red > AlertLevel::Orange && AlertLevel::Orange > AlertLevel::Green);
        assert_eq!(AlertLevel::parse("orange").unwrap(), AlertLevel::Orange);
        assert_eq!(serde_json::to_string(&AlertLevel::Red).unwrap(), "\"red\"");
        assert_eq!(serde_json::to_string(&Horizon::M12).unwrap(), "\"12m\"");
    }

    #[test]
    fn probabilities_by_horizon() {
        let mut p = Probabilities::from_array([0.1, 0.2, 0.3, 0.4]);
        assert_eq!(p[Horizon::M6], 0.1);
        assert_eq!(p[Horizon::M18], 0.3);
        assert_eq!(p.alert(), 0.3);
        p[Horizon::M24] = 0.5;
        assert_eq!(p.to_array(), [0.1, 0.2, 0.3, 0.5]);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"6m":0.1,"12m":0.2,"18m":0.3,"24m":0.5}"#);
        assert_eq!(serde_json::from_str::<Probabilities>(&json).unwrap(), p);
    }

    #[test]
    fn every_level_change_by_hand() {
        use AlertLevel::{Green as G, Orange as O, Red as R};
        use Change::{DeEscalated, Escalated, FirstAlert, Unchanged};
        let table = [
            (None, G, Unchanged),
            (None, O, FirstAlert),
            (None, R, FirstAlert),
            (Some(G), G, Unchanged),
            (Some(G), O, FirstAlert),
            (Some(G), R, FirstAlert),
            (Some(O), G, DeEscalated),
            (Some(O), O, Unchanged),
            (Some(O), R, Escalated),
            (Some(R), G, DeEscalated),
            (Some(R), O, DeEscalated),
            (Some(R), R, Unchanged),
        ];
        for (before, now, want) in table {
            assert_eq!(Change::between(before, now), want, "{before:?} -> {now:?}");
        }
    }
}
