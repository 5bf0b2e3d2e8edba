//! The answer of a self-diagnosis: the self model's probabilities and level, the level in
//! words, the figures that weigh most, the levers; and where a company head can get help.

use serde::Serialize;
use utoipa::ToSchema;
use vigie_core::{AlertLevel, Probabilities};

use super::Row;
use crate::explanation::Scratch;
use crate::levers::{self, LeverRanges, LeverSet, Search};
use crate::{Result, Scorer, Summary};

/// The answer of a self-diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Diagnosis {
    /// Probabilities by horizon, from the self-diagnosis model.
    pub p: Probabilities,
    /// The risk level from the 18-month probability and the model's thresholds.
    pub level: AlertLevel,
    /// The level in words.
    pub band: String,
    /// What weighs most: the five figures raising the risk most, the five lowering it most.
    pub explanation: Summary,
    /// Changes of the figures a company can act on that would bring the 18-month
    /// probability under the orange threshold, according to the model (empty when it is
    /// already under it, or when no set of at most three changes does it).
    pub levers: Vec<LeverSet>,
}

/// The level in plain French words.
#[must_use]
pub fn band(level: AlertLevel) -> &'static str {
    match level {
        AlertLevel::Green => {
            "Risque faible : vos chiffres ressemblent à ceux des entreprises qui ne connaissent \
             pas de procédure collective dans les 18 mois."
        }
        AlertLevel::Orange => {
            "Risque à surveiller : certains de vos chiffres ressemblent à ceux d'entreprises \
             entrées en difficulté. Il est temps d'agir, et vous pouvez être aidé."
        }
        AlertLevel::Red => {
            "Risque élevé : vos chiffres ressemblent à ceux d'entreprises qui ont connu une \
             procédure collective dans les 18 mois. Demandez conseil sans attendre ; des \
             procédures confidentielles existent pour vous aider."
        }
    }
}

/// Scores a checked row with the self-diagnosis model, explains it and searches its levers
/// (bounded: [`Search::default`]).
///
/// # Errors
/// A row the model cannot score (it never happens to a checked row: missing values are
/// allowed).
pub fn diagnose(scorer: &Scorer, row: &Row, ranges: &LeverRanges) -> Result<Diagnosis> {
    let mut scratch = Scratch::default();
    let explanation = scorer.summarize(&row.values, 5, &mut scratch)?;
    let score = scorer.calibrate(explanation.margin);
    let levers = if score.level == AlertLevel::Green {
        Vec::new()
    } else {
        levers::levers(scorer, &row.values, ranges, &row.group, Search::default())?
    };
    Ok(Diagnosis {
        p: score.p,
        level: score.level,
        band: band(score.level).to_owned(),
        explanation,
        levers,
    })
}

/// Where a company head can get help, and what for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Help {
    /// Who.
    pub name: &'static str,
    /// What they are for.
    pub what: &'static str,
    /// Where to find them.
    pub link: &'static str,
}

/// The help a company in difficulty can ask for, earliest first (French public services).
pub const HELP: [Help; 6] = [
    Help {
        name: "Centre d'information sur la prévention des difficultés des entreprises (CIP)",
        what: "Un entretien gratuit et confidentiel avec un ancien juge du tribunal de commerce, \
               un avocat et un expert-comptable, pour faire le point et connaître les solutions.",
        link: "https://www.cip-national.fr/",
    },
    Help {
        name: "Président du tribunal de commerce : mandat ad hoc et conciliation",
        what: "Des procédures amiables et confidentielles : un mandataire ou un conciliateur \
               désigné par le président du tribunal négocie avec vos créanciers (banques, \
               fournisseurs, administrations) avant que la situation ne soit irrémédiable.",
        link: "https://www.service-public.fr/professionnels-entreprises/vosdroits/F22321",
    },
    Help {
        name: "Comité départemental d'examen des problèmes de financement des entreprises (CODEFI)",
        what: "Auprès de la préfecture et de la direction départementale des finances publiques : \
               un interlocuteur confidentiel pour les entreprises de moins de 400 salariés, qui \
               peut aider à étaler des dettes fiscales et sociales ou accorder un prêt public.",
        link: "https://www.economie.gouv.fr/entreprises/difficultes-entreprises-codefi",
    },
    Help {
        name: "Médiation du crédit",
        what: "Gratuite et confidentielle, auprès de la Banque de France : quand une banque \
               refuse un crédit, réduit une autorisation de découvert ou demande des garanties \
               nouvelles.",
        link: "https://mediateur-credit.banque-france.fr/",
    },
    Help {
        name: "Plan de règlement avec le service des impôts des entreprises",
        what: "Votre service des impôts des entreprises peut accorder un échéancier pour payer \
               une dette fiscale en plusieurs fois ; demandez-le dès la première difficulté.",
        link: "https://www.impots.gouv.fr/professionnel/je-rencontre-des-difficultes-de-paiement",
    },
    Help {
        name: "Délai de paiement auprès de l'Urssaf",
        what: "L'Urssaf peut accorder un échéancier pour les cotisations sociales en retard, \
               demandé depuis votre espace en ligne.",
        link: "https://www.urssaf.fr/accueil/employeur/difficultes-paiement.html",
    },
];
