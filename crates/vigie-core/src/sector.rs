//! Sectors: the NAF rév. 2 activity code (APE) and its section.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A NAF rév. 2 sub-class code, `NN.NNL` (e.g. `56.10A`), whose division `NN` exists.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Naf([u8; 6]);

/// NAF sections with the range of divisions each covers (NAF rév. 2, INSEE).
const SECTIONS: &[(char, u8, u8, &str)] = &[
    ('A', 1, 3, "Agriculture, sylviculture et pêche"),
    ('B', 5, 9, "Industries extractives"),
    ('C', 10, 33, "Industrie manufacturière"),
    ('D', 35, 35, "Production et distribution d'électricité, de gaz, de vapeur"),
    ('E', 36, 39, "Eau, assainissement, gestion des déchets et dépollution"),
    ('F', 41, 43, "Construction"),
    ('G', 45, 47, "Commerce ; réparation d'automobiles et de motocycles"),
    ('H', 49, 53, "Transports et entreposage"),
    ('I', 55, 56, "Hébergement et restauration"),
    ('J', 58, 63, "Information et communication"),
    ('K', 64, 66, "Activités financières et d'assurance"),
    ('L', 68, 68, "Activités immobilières"),
    ('M', 69, 75, "Activités spécialisées, scientifiques et techniques"),
    ('N', 77, 82, "Activités de services administratifs et de soutien"),
    ('O', 84, 84, "Administration publique"),
    ('P', 85, 85, "Enseignement"),
    ('Q', 86, 88, "Santé humaine et action sociale"),
    ('R', 90, 93, "Arts, spectacles et activités récréatives"),
    ('S', 94, 96, "Autres activités de services"),
    ('T', 97, 98, "Activités des ménages en tant qu'employeurs"),
    ('U', 99, 99, "Activités extra-territoriales"),
];

fn section_of(division: u8) -> Option<char> {
    SECTIONS.iter().find(|(_, lo, hi, _)| (*lo..=*hi).contains(&division)).map(|s| s.0)
}

impl Naf {
    /// Parses a NAF code `NN.NNL`.
    pub fn parse(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        let bad = || Error::Naf(s.to_owned());
        if b.len() != 6
            || !b[0].is_ascii_digit()
            || !b[1].is_ascii_digit()
            || b[2] != b'.'
            || !b[3].is_ascii_digit()
            || !b[4].is_ascii_digit()
            || !b[5].is_ascii_uppercase()
        {
            return Err(bad());
        }
        let division = (b[0] - b'0') * 10 + (b[1] - b'0');
        section_of(division).ok_or_else(bad)?;
        let mut code = [0u8; 6];
        code.copy_from_slice(b);
        Ok(Self(code))
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII by construction")
    }

    /// The division (first two digits).
    #[must_use]
    pub fn division(&self) -> u8 {
        (self.0[0] - b'0') * 10 + (self.0[1] - b'0')
    }

    /// The section letter (`A`–`U`).
    #[must_use]
    pub fn section(&self) -> char {
        section_of(self.division()).expect("valid by construction")
    }

    /// The French label of a section letter.
    #[must_use]
    pub fn section_label(section: char) -> Option<&'static str> {
        SECTIONS.iter().find(|s| s.0 == section).map(|s| s.3)
    }

    /// All section letters, in order.
    #[must_use]
    pub fn sections() -> Vec<char> {
        SECTIONS.iter().map(|s| s.0).collect()
    }
}

impl fmt::Display for Naf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Naf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Naf({})", self.as_str())
    }
}

impl TryFrom<String> for Naf {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<Naf> for String {
    fn from(n: Naf) -> Self {
        n.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_section() {
        let n = Naf::parse("56.10A").unwrap();
        assert_eq!(n.division(), 56);
        assert_eq!(n.section(), 'I');
        assert_eq!(Naf::parse("43.22B").unwrap().section(), 'F');
        assert_eq!(Naf::parse("01.11Z").unwrap().section(), 'A');
        for bad in ["5610A", "56.10a", "56.1A", "04.10A", "20.10", "AB.CDE", "56-10A", "00.00Z"] {
            assert!(Naf::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Naf::sections().len(), 21);
        assert!(Naf::section_label('F').unwrap().starts_with("Construction"));
    }
}
