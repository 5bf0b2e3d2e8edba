//! The dashboard's pages, one room each: sign-in, alerts, a company, runs and the model
//! card, and the model's follow-up; and the public self-diagnosis.

pub(crate) mod alertes;
pub(crate) mod connexion;
pub(crate) mod diagnostic;
pub(crate) mod entreprise;
pub(crate) mod executions;
pub(crate) mod suivi;
