//! Company identifiers: the raw SIREN (validated, never stored by the model side) and the
//! pseudonymous [`CompanyId`] used everywhere after ingestion.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A validated SIREN: 9 digits whose Luhn checksum holds.
///
/// Deliberately not `Display` nor `Serialize`: a raw SIREN must not leak into logs or
/// outputs by accident. Use [`Siren::as_digits`] where the digits are really needed
/// (pseudonymisation, the identity directory).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Siren(u32);

impl Siren {
    /// Parses and validates a SIREN: 9 ASCII digits with a valid Luhn checksum.
    pub fn parse(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        if b.len() != 9 {
            return Err(Error::SirenLength(s.chars().count()));
        }
        if !b.iter().all(u8::is_ascii_digit) {
            return Err(Error::SirenNotDigits);
        }
        if !luhn_valid(b) {
            return Err(Error::SirenChecksum);
        }
        let v = b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        Ok(Self(v))
    }

    /// Builds the SIREN whose first 8 digits are `body` (0..10^8) by appending the Luhn
    /// check digit. Used by the synthetic data generator.
    #[must_use]
    pub fn from_body(body: u32) -> Self {
        assert!(body < 100_000_000, "SIREN body has 8 digits");
        let digits = format!("{body:08}0");
        let check = (10 - luhn_sum(digits.as_bytes()) % 10) % 10;
        Self(body * 10 + check)
    }

    /// The 9 digits, zero-padded. Handle with care: this is the raw identifier.
    #[must_use]
    pub fn as_digits(&self) -> String {
        format!("{:09}", self.0)
    }
}

impl fmt::Debug for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Redacted on purpose: debug output ends up in logs.
        f.write_str("Siren(<redacted>)")
    }
}

/// Luhn sum of a digit string: from the right, every second digit is doubled (minus 9 when
/// over 9).
fn luhn_sum(b: &[u8]) -> u32 {
    b.iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum()
}

fn luhn_valid(b: &[u8]) -> bool {
    luhn_sum(b).is_multiple_of(10)
}

/// The pseudonymous identifier of a company: the first 16 hexadecimal characters (64 bits)
/// of HMAC-SHA256(key, SIREN). Computed by `vigie-data` at ingestion.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CompanyId(String);

impl CompanyId {
    /// Length of the hexadecimal id.
    pub const LEN: usize = 16;

    /// Parses a pseudonymous id (16 lowercase hexadecimal characters).
    pub fn parse(s: &str) -> Result<Self> {
        if s.len() == Self::LEN && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(s.to_owned()))
        } else {
            Err(Error::CompanyId)
        }
    }

    /// Builds the id from the first 8 bytes of a digest.
    #[must_use]
    pub fn from_digest(digest: &[u8]) -> Self {
        use fmt::Write;
        let mut s = String::with_capacity(Self::LEN);
        for b in &digest[..Self::LEN / 2] {
            let _ = write!(s, "{b:02x}");
        }
        Self(s)
    }

    /// The hexadecimal text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CompanyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CompanyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CompanyId({})", self.0)
    }
}

impl TryFrom<String> for CompanyId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<CompanyId> for String {
    fn from(id: CompanyId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_sirens() {
        // Published SIRENs of large French companies (public registry data).
        for s in ["552032534", "542065479", "775670417", "356000000"] {
            assert!(Siren::parse(s).is_ok(), "{s} should be valid");
        }
        assert_eq!(Siren::parse("552032535"), Err(Error::SirenChecksum));
        assert_eq!(Siren::parse("55203253"), Err(Error::SirenLength(8)));
        assert_eq!(Siren::parse("5520325344"), Err(Error::SirenLength(10)));
        assert_eq!(Siren::parse("55203253a"), Err(Error::SirenNotDigits));
        assert_eq!(Siren::parse(" 55203253"), Err(Error::SirenNotDigits));
    }

    #[test]
    fn debug_is_redacted() {
        let s = Siren::parse("552032534").unwrap();
        assert!(!format!("{s:?}").contains("552032534"));
        assert_eq!(s.as_digits(), "552032534");
    }

    #[test]
    fn company_id_parsing() {
        assert!(CompanyId::parse("0123456789abcdef").is_ok());
        assert!(CompanyId::parse("0123456789ABCDEF").is_err());
        assert!(CompanyId::parse("0123456789abcde").is_err());
        let id = CompanyId::from_digest(&[0xab; 32]);
        assert_eq!(id.as_str(), "abababababababab");
    }

    proptest! {
        #[test]
        fn from_body_is_always_valid_and_round_trips(body in 0u32..100_000_000) {
            let s = Siren::from_body(body);
            let parsed = Siren::parse(&s.as_digits()).unwrap();
            prop_assert_eq!(parsed, s);
            prop_assert_eq!(&s.as_digits()[..8], format!("{body:08}"));
        }

        #[test]
        fn a_single_digit_change_breaks_the_checksum(body in 0u32..100_000_000, pos in 0usize..9, delta in 1u8..10) {
            let mut d = Siren::from_body(body).as_digits().into_bytes();
            d[pos] = b'0' + (d[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(d).unwrap();
            prop_assert_eq!(Siren::parse(&changed), Err(Error::SirenChecksum));
        }
    }
}
