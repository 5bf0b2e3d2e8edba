//! The error type of `vigie-core`: why a value was refused.

/// Why a domain value could not be parsed. The `Display` text is meant for rejects files
/// and API messages, so it never repeats a raw SIREN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A SIREN must be exactly 9 characters.
    #[error("SIREN must have 9 digits, found {0} characters")]
    SirenLength(usize),
    /// A SIREN must be made of ASCII digits only.
    #[error("SIREN must contain digits only")]
    SirenNotDigits,
    /// The Luhn checksum of the SIREN does not hold.
    #[error("SIREN fails the Luhn checksum")]
    SirenChecksum,
    /// A pseudonymous company id is 16 lowercase hexadecimal characters.
    #[error("company id must be 16 lowercase hexadecimal characters")]
    CompanyId,
    /// Not a `YYYY-MM` month, or a month outside 1900–2199.
    #[error("invalid month {0:?}: expected YYYY-MM between 1900-01 and 2199-12")]
    Month(String),
    /// Not a `YYYY-MM-DD` date, an impossible date (2023-02-30) or one outside 1900–2199.
    #[error("invalid date {0:?}: expected an existing YYYY-MM-DD date between 1900 and 2199")]
    Date(String),
    /// Not a département code (01–95 but 20, 2A, 2B, 971–976).
    #[error("unknown département {0:?}: expected 01-95 (2A/2B for Corsica) or 971-976")]
    Departement(String),
    /// Not a region code.
    #[error("unknown region code {0:?}")]
    Region(String),
    /// Not a NAF rév. 2 sub-class code such as `56.10A`.
    #[error("malformed NAF code {0:?}: expected NN.NNL with an existing division, e.g. 56.10A")]
    Naf(String),
    /// Not an INSEE headcount band code.
    #[error(
        "unknown headcount band {0:?}: expected an INSEE code (NN, 00, 01, 02, 03, 11, 12, 21, 22, 31, 32, 41, 42, 51, 52, 53)"
    )]
    HeadcountBand(String),
    /// Not one of 6, 12, 18 or 24 months.
    #[error("unknown horizon {0:?}: expected 6, 12, 18 or 24 months")]
    Horizon(String),
    /// A pseudonymisation key must have at least 16 bytes.
    #[error("key has {0} bytes, at least 16 are required")]
    KeyLength(usize),
    /// Not one of red, orange, green.
    #[error("unknown alert level {0:?}: expected red, orange or green")]
    AlertLevel(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
