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

/// A French region (the 2016 map; INSEE region codes). Saint-Pierre-et-Miquelon, an
/// overseas collectivity outside the regions, is its own territory here (code `975`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region {
    /// INSEE code (`"11"` for Île-de-France).
    pub code: &'static str,
    /// Name, in French.
    pub name: &'static str,
}

/// Regions and their départements.
const REGIONS: [(Region, &[&str]); 19] = [
    (Region { code: "01", name: "Guadeloupe" }, &["971"]),
    (Region { code: "02", name: "Martinique" }, &["972"]),
    (Region { code: "03", name: "Guyane" }, &["973"]),
    (Region { code: "04", name: "La Réunion" }, &["974"]),
    (Region { code: "06", name: "Mayotte" }, &["976"]),
    (
        Region { code: "11", name: "Île-de-France" },
        &["75", "77", "78", "91", "92", "93", "94", "95"],
    ),
    (Region { code: "24", name: "Centre-Val de Loire" }, &["18", "28", "36", "37", "41", "45"]),
    (
        Region { code: "27", name: "Bourgogne-Franche-Comté" },
        &["21", "25", "39", "58", "70", "71", "89", "90"],
    ),
    (Region { code: "28", name: "Normandie" }, &["14", "27", "50", "61", "76"]),
    (Region { code: "32", name: "Hauts-de-France" }, &["02", "59", "60", "62", "80"]),
    (
        Region { code: "44", name: "Grand Est" },
        &["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"],
    ),
    (Region { code: "52", name: "Pays de la Loire" }, &["44", "49", "53", "72", "85"]),
    (Region { code: "53", name: "Bretagne" }, &["22", "29", "35", "56"]),
    (
        Region { code: "75", name: "Nouvelle-Aquitaine" },
        &["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"],
    ),
    (
        Region { code: "76", name: "Occitanie" },
        &["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"],
    ),
    (
        Region { code: "84", name: "Auvergne-Rhône-Alpes" },
        &["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"],
    ),
    (
        Region { code: "93", name: "Provence-Alpes-Côte d'Azur" },
        &["04", "05", "06", "13", "83", "84"],
    ),
    (Region { code: "94", name: "Corse" }, &["2A", "2B"]),
    (Region { code: "975", name: "Saint-Pierre-et-Miquelon" }, &["975"]),
];

impl Region {
    /// All regions, by code.
    #[must_use]
    pub fn all() -> Vec<Region> {
        REGIONS.iter().map(|(r, _)| *r).collect()
    }

    /// The region of code `code`.
    pub fn parse(code: &str) -> Result<Self> {
        REGIONS
            .iter()
            .find(|(r, _)| r.code == code)
            .map(|(r, _)| *r)
            .ok_or_else(|| Error::Region(code.to_owned()))
    }

    /// Its départements.
    #[must_use]
    pub fn departements(&self) -> Vec<Departement> {
        REGIONS
            .iter()
            .find(|(r, _)| r == self)
            .map(|(_, d)| d.iter().map(|c| Departement::parse(c).expect("valid table")).collect())
            .unwrap_or_default()
    }
}

impl Departement {
    /// The region of the département.
    #[must_use]
    pub fn region(&self) -> Region {
        REGIONS
            .iter()
            .find(|(_, deps)| deps.contains(&self.as_str()))
            .map(|(r, _)| *r)
            .expect("every département is in the table (tested)")
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

    #[test]
    fn every_departement_is_in_exactly_one_region() {
        let mut seen = 0;
        for r in Region::all() {
            let deps = r.departements();
            assert!(!deps.is_empty(), "{r:?}");
            for d in deps {
                assert_eq!(d.region(), r);
                seen += 1;
            }
        }
        assert_eq!(seen, 102, "the regions partition the 102 départements");
        assert_eq!(Departement::parse("21").unwrap().region().name, "Bourgogne-Franche-Comté");
        assert_eq!(Departement::parse("2B").unwrap().region().code, "94");
        assert_eq!(Region::parse("11").unwrap().departements().len(), 8);
        assert!(Region::parse("99").is_err());
    }
}
