//! Vigie domain types: the vocabulary every other crate speaks.
//!
//! This crate does no I/O and has no heavy dependency. It defines the identifiers
//! ([`Siren`], [`CompanyId`]), calendar types ([`Month`], [`Date`]), territories
//! ([`Departement`]), sectors ([`Naf`]), company size ([`HeadcountBand`], [`SizeBand`]),
//! forecasting horizons ([`Horizon`]), alert levels ([`AlertLevel`]), the feature
//! catalogue ([`features`]) with its topic groups, the amounts of annual accounts and the
//! financial ratios computed from them ([`accounts`]), and the keyed hash that
//! pseudonymises a SIREN ([`Pseudonymiser`]).
//!
//! Invariant: a value of any of these types is valid by construction — parsing is the
//! only way in, and it rejects what the domain rejects.

pub mod accounts;
mod calendar;
mod error;
pub mod features;
mod ident;
mod level;
mod pseudo;
mod sector;
mod size;
mod territory;

pub use calendar::{Date, Month};
pub use error::{Error, Result};
pub use ident::{CompanyId, Siren};
pub use level::{AlertLevel, Change, Horizon, Probabilities};
pub use pseudo::{MIN_KEY_LEN, Pseudonymiser};
pub use sector::Naf;
pub use size::{HeadcountBand, SizeBand};
pub use territory::{Departement, Region};
