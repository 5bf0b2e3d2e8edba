//! Territories: the French département, the unit of territorial access control.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A French département code: `01`–`95` except `20`, plus `2A` / `2B` (Corsica) and
/// `971`–`976` (overseas).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Departement([u8; 3]);

impl Departement {
    /// Parses a département code.
    pub fn parse(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        let ok = match b {
            [b'2', b'A' | b'B'] => true,
            [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
                let n = (a - b'0') * 10 + (c - b'0');
                (1..=95).contains(&n) && n != 20
            }
            [b'9', b'7', c] => (b'1'..=b'6').contains(c),
            _ => false,
        };
        if !ok {
            return Err(Error::Departement(s.to_owned()));
        }
        let mut code = [0u8; 3];
        code[..b.len()].copy_from_slice(b);
        Ok(Self(code))
    }

    /// The code as text (`"21"`, `"2A"`, `"974"`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        let len = if self.0[2] == 0 { 2 } else { 3 };
        std::str::from_utf8(&self.0[..len]).expect("ASCII by construction")
    }

    /// All 102 codes (94 of metropolitan France, Corsica's two, six overseas), in code order.
    #[must_use]
    pub fn all() -> Vec<Departement> {
        let mut v: Vec<_> = (1..=95u8)
            .filter(|n| *n != 20)
            .map(|n| Self([b'0' + n / 10, b'0' + n % 10, 0]))
            .collect();
        v.insert(19, Self(*b"2A\0"));
        v.insert(20, Self(*b"2B\0"));
        v.extend((b'1'..=b'6').map(|c| Self([b'9', b'7', c])));
        v
    }
}

impl fmt::Display for Departement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Departement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Departement({})", self.as_str())
    }
}

impl TryFrom<String> for Departement {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<Departement> for String {
    fn from(d: Departement) -> Self {
        d.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_codes() {
        for ok in ["01", "19", "2A", "2B", "21", "75", "95", "971", "976"] {
            assert_eq!(Departement::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["00", "20", "96", "99", "1", "2C", "970", "977", "975a", "", "7 5"] {
            assert!(Departement::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn all_lists_102_distinct_valid_codes() {
        let all = Departement::all();
        assert_eq!(all.len(), 102);
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 102);
        assert!(all.iter().all(|d| Departement::parse(d.as_str()).as_ref() == Ok(d)));
        assert_eq!(all[19].as_str(), "2A");
    }
}
