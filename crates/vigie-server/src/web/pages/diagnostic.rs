//! `/diagnostic`: the public self-diagnosis page (no sign-in, no JavaScript, no cookie). A
//! company head types their figures — the amounts of their last accounts by plain label or
//! by the boxes of their liasse fiscale (2033 or 2050–2053) — and gets the answer of
//! `POST /v1/self-assessment` ([`crate::api::diagnosis::assess`]) in French: a risk band,
//! the figures that weigh most, the levers, and where to get help.
//!
//! What is typed travels in the body of a POST only, is never stored, logged or audited,
//! and comes back in the page's fields (so that nothing is lost on an error). There is no
//! session and no CSRF secret: the form changes nothing, and its answer goes to whoever
//! sent it.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use vigie_core::AlertLevel;
use vigie_core::accounts::AMOUNTS;
use vigie_core::accounts::liasse::{Regime, box_label, boxes};
use vigie_score::diagnosis::{Answers, HELP, Problem, amount_label, parse_number};

use crate::api::diagnosis::{Refused, SelfAssessmentResponse, assess, limit};
use crate::web::render::{PageError, PageResult, WebForm, WebQuery, render, ser};
use crate::web::{St, fr};

/// How the accounts are typed: plain labels, or the boxes of one regime's forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Labels,
    Boxes(Regime),
}

impl Mode {
    fn parse(s: Option<&str>) -> Self {
        match s {
            Some("normal") => Self::Boxes(Regime::Normal),
            Some("simplifie") => Self::Boxes(Regime::Simplified),
            _ => Self::Labels,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Labels => "libelles",
            Self::Boxes(Regime::Normal) => "normal",
            Self::Boxes(Regime::Simplified) => "simplifie",
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModeQuery {
    saisie: Option<String>,
}

/// One field of the form, as the template shows it.
#[derive(Debug, Serialize)]
struct Field {
    name: String,
    id: String,
    label: String,
    hint: Option<&'static str>,
    value: String,
    error: Option<String>,
    /// `amount`, `text` or `yes_no`.
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct Group {
    legend: &'static str,
    intro: Option<&'static str>,
    fields: Vec<Field>,
}

/// The form's fields in order, with what was typed and the problems found.
fn groups(mode: Mode, typed: &BTreeMap<String, String>, problems: &[Problem]) -> Vec<Group> {
    let field = |name: String, label: String, hint: Option<&'static str>, kind: &'static str| {
        let id = format!("f-{}", name.replace('.', "-"));
        let error = problems.iter().find(|p| p.field == name).map(|p| p.message.clone());
        let value = typed.get(&name).cloned().unwrap_or_default();
        Field { name, id, label, hint, value, error, kind }
    };
    let plain = |name: &str, label: &str, hint: Option<&'static str>, kind: &'static str| {
        field(name.to_owned(), label.to_owned(), hint, kind)
    };
    let accounts: Vec<Field> = match mode {
        Mode::Labels => AMOUNTS
            .iter()
            .map(|a| {
                let hint = match *a {
                    "turnover" | "total_assets" => Some("Nécessaire."),
                    "headcount" => Some("En nombre de salariés."),
                    "net_income" | "operating_income" | "ebitda" | "value_added" | "equity" => {
                        Some("Précédé du signe moins en cas de perte.")
                    }
                    _ => None,
                };
                field(format!("accounts.{a}"), amount_label(a).to_owned(), hint, "amount")
            })
            .collect(),
        Mode::Boxes(r) => boxes(r)
            .into_iter()
            .map(|code| {
                let label = format!("Case {code} — {}", box_label(code).unwrap_or(""));
                field(format!("boxes.{code}"), label, None, "amount")
            })
            .collect(),
    };
    vec![
        Group {
            legend: "Votre dernier exercice clos",
            intro: None,
            fields: vec![
                plain(
                    "fiscal_year_end",
                    "Date de clôture",
                    Some("Nécessaire. Par exemple 31/12/2025."),
                    "text",
                ),
                plain(
                    "fiscal_year_months",
                    "Durée de l'exercice, en mois",
                    Some("12 si vous ne la précisez pas."),
                    "amount",
                ),
            ],
        },
        Group {
            legend: "Vos comptes de cet exercice",
            intro: Some(match mode {
                Mode::Labels => "En euros. Laissez vide ce que vous ne connaissez pas.",
                Mode::Boxes(Regime::Normal) => {
                    "Les montants des cases de votre liasse (formulaires 2050 à 2054 et \
                     2058-C), colonne de l'exercice, en euros. Une case laissée vide compte pour \
                     zéro à côté des autres cases du même montant."
                }
                Mode::Boxes(Regime::Simplified) => {
                    "Les montants des cases de votre liasse (formulaires 2033-A à 2033-D), \
                     colonne de l'exercice, en euros. Une case laissée vide compte pour zéro à \
                     côté des autres cases du même montant."
                }
            }),
            fields: accounts,
        },
        Group {
            legend: "L'exercice précédent",
            intro: None,
            fields: vec![
                plain("previous_turnover", "Chiffre d'affaires", None, "amount"),
                plain("previous_equity", "Capitaux propres à la clôture", None, "amount"),
            ],
        },
        Group {
            legend: "Vos dettes fiscales et sociales aujourd'hui",
            intro: Some("Les sommes échues et non payées, en euros."),
            fields: vec![
                plain("tax_arrears", "Impôts et taxes échus non payés", None, "amount"),
                plain(
                    "tax_payment_plan",
                    "Un plan de règlement avec le service des impôts est-il en cours ?",
                    None,
                    "yes_no",
                ),
                plain("social_overdue", "Cotisations sociales échues non payées", None, "amount"),
                plain(
                    "social_monthly_contributions",
                    "Cotisations sociales d'un mois ordinaire",
                    Some("Nécessaire si vous avez des cotisations en retard."),
                    "amount",
                ),
                plain(
                    "social_payment_plan",
                    "Un délai de paiement avec l'Urssaf est-il en cours ?",
                    None,
                    "yes_no",
                ),
            ],
        },
        Group {
            legend: "Votre chiffre d'affaires récent",
            intro: Some("Hors taxes, d'après vos déclarations de TVA ou votre comptabilité."),
            fields: vec![
                plain("turnover_last_3_months", "Les 3 derniers mois", None, "amount"),
                plain(
                    "turnover_same_3_months_last_year",
                    "Les mêmes 3 mois, l'an dernier",
                    None,
                    "amount",
                ),
                plain("turnover_last_6_months", "Les 6 derniers mois", None, "amount"),
                plain("turnover_previous_6_months", "Les 6 mois d'avant", None, "amount"),
            ],
        },
        Group {
            legend: "Votre entreprise",
            intro: None,
            fields: vec![
                plain(
                    "created",
                    "Date de création",
                    Some("Nécessaire. Le mois et l'année, par exemple 03/2015."),
                    "text",
                ),
                plain(
                    "naf",
                    "Code NAF (activité principale)",
                    Some(
                        "Nécessaire. Par exemple 56.10A ; il figure sur votre avis de situation SIRENE et votre extrait Kbis.",
                    ),
                    "text",
                ),
                plain(
                    "past_procedure",
                    "L'entreprise a-t-elle déjà connu une procédure collective (sauvegarde, \
                     redressement) ?",
                    None,
                    "yes_no",
                ),
            ],
        },
    ]
}

/// The form's text as figures: numbers read as French people type them, each unreadable
/// one a problem of its field.
fn answers_of(typed: &BTreeMap<String, String>, mode: Mode) -> (Answers, Vec<Problem>) {
    let mut a = Answers::default();
    let mut problems = Vec::new();
    let mut number = |name: &str| -> Option<f64> {
        match parse_number(typed.get(name).map_or("", String::as_str)) {
            Ok(v) => v,
            Err(message) => {
                problems.push(Problem { field: name.to_owned(), message });
                None
            }
        }
    };
    match mode {
        Mode::Labels => {
            for name in AMOUNTS {
                if let Some(v) = number(&format!("accounts.{name}")) {
                    a.accounts.insert(name.to_owned(), v);
                }
            }
        }
        Mode::Boxes(r) => {
            a.regime = Some(if r == Regime::Normal { "normal" } else { "simplified" }.to_owned());
            for code in boxes(r) {
                if let Some(v) = number(&format!("boxes.{code}")) {
                    a.boxes.insert(code.to_owned(), v);
                }
            }
        }
    }
    a.fiscal_year_months = number("fiscal_year_months");
    a.previous_turnover = number("previous_turnover");
    a.previous_equity = number("previous_equity");
    a.tax_arrears = number("tax_arrears");
    a.social_overdue = number("social_overdue");
    a.social_monthly_contributions = number("social_monthly_contributions");
    a.turnover_last_3_months = number("turnover_last_3_months");
    a.turnover_same_3_months_last_year = number("turnover_same_3_months_last_year");
    a.turnover_last_6_months = number("turnover_last_6_months");
    a.turnover_previous_6_months = number("turnover_previous_6_months");
    let text = |name: &str| typed.get(name).filter(|v| !v.trim().is_empty()).cloned();
    a.fiscal_year_end = text("fiscal_year_end");
    a.created = text("created");
    a.naf = text("naf");
    let yes_no = |name: &str| match typed.get(name).map(String::as_str) {
        Some("oui") => Some(true),
        Some("non") => Some(false),
        _ => None,
    };
    a.tax_payment_plan = yes_no("tax_payment_plan");
    a.social_payment_plan = yes_no("social_payment_plan");
    a.past_procedure = yes_no("past_procedure");
    (a, problems)
}

/// A lever set in French for a company head: the arrears in euros, from the figures they
/// typed (the model moves ratios: arrears over the year's turnover, social debt in months of
/// contributions), the other changes as the agents' page words them.
/// `annual`: the turnover the arrears were measured against; `monthly`: the contributions
/// the social debt was.
fn lever_in_euros(
    set: &vigie_score::levers::LeverSet,
    annual: Option<f64>,
    monthly: Option<f64>,
) -> String {
    let parts: Vec<String> = set
        .changes
        .iter()
        .map(|c| match (c.feature.as_str(), annual, monthly) {
            ("tax_arrears_ratio", Some(t), _) => format!(
                "les impôts et taxes échus ramenés de {} à {}",
                fr::euros(c.from * t),
                fr::euros(c.to * t)
            ),
            ("soc_debt_ratio", _, Some(m)) => format!(
                "les cotisations sociales échues ramenées de {} à {}",
                fr::euros(c.from * m),
                fr::euros(c.to * m)
            ),
            _ => fr::lever_clause(c),
        })
        .collect();
    fr::lever_sentence(&parts)
}

/// The answer in French, for the template.
fn answer_view(r: &SelfAssessmentResponse, answers: &Answers) -> minijinja::Value {
    // A figure left empty weighs too (the model knows what an unknown value usually
    // means): say so, and that typing it would sharpen the answer.
    let factors = |list: &[vigie_score::explanation::Factor]| -> Vec<String> {
        list.iter()
            .take(5)
            .map(|f| match f.value.filter(|v| v.is_finite()) {
                Some(_) => fr::factor(&f.feature, f.value, None),
                None => {
                    format!("{} : non renseigné (le saisir préciserait le diagnostic)", f.label)
                }
            })
            .collect()
    };
    // The denominators of the arrears' ratios, by the row's own formula (once).
    let annual = answers
        .row(crate::api::diagnosis::this_month())
        .ok()
        .map(|row| row.annual_turnover)
        .filter(|t| *t > 0.0);
    let monthly = answers.social_monthly_contributions.filter(|c| *c > 0.0);
    let levers: Vec<_> = r
        .levers
        .iter()
        .map(|l| {
            let sentence = lever_in_euros(l, annual, monthly);
            context! { sentence, after => fr::percent(l.p_18m_after) }
        })
        .collect();
    let per_100 = (r.p.m18 * 100.0).round().max(if r.p.m18 > 0.0 { 1.0 } else { 0.0 });
    let against = r.against_full.map(|a| {
        context! {
            auc => fr::number(a.roc_auc, 2), full_auc => fr::number(a.full_roc_auc, 2),
            ap => fr::number(a.average_precision, 2), full_ap => fr::number(a.full_average_precision, 2),
        }
    });
    context! {
        level => r.level.as_str(),
        level_label => fr::level(r.level.as_str()),
        band => r.band.clone(),
        per_100 => fr::number(per_100, 0),
        p18 => fr::percent(r.p.m18),
        concerning => factors(&r.explanation.concerning),
        reassuring => factors(&r.explanation.reassuring),
        levers,
        red => r.level == AlertLevel::Red,
        against,
        model_version => r.model_version.clone(),
    }
}

fn page(
    status: StatusCode,
    mode: Mode,
    typed: &BTreeMap<String, String>,
    problems: &[Problem],
    answer: Option<(&SelfAssessmentResponse, &Answers)>,
    notice: Option<&str>,
) -> Response {
    let groups = groups(mode, typed, problems);
    // Problems in the order of the form, each linked to its field.
    let mut errors = Vec::new();
    for g in &groups {
        for f in &g.fields {
            if let Some(e) = &f.error {
                errors.push(
                    context! { id => f.id.clone(), label => f.label.clone(), message => e.clone() },
                );
            }
        }
    }
    // A problem of no single field (the accounts as a whole).
    for p in problems
        .iter()
        .filter(|p| !groups.iter().any(|g| g.fields.iter().any(|f| f.name == p.field)))
    {
        errors.push(
            context! { id => "comptes", label => "Vos comptes", message => p.message.clone() },
        );
    }
    render(
        status,
        "diagnostic.html",
        &context! {
            public => true,
            mode => mode.as_str(),
            groups => ser(&groups),
            errors,
            notice,
            answer => answer.map(|(r, a)| answer_view(r, a)),
            help => ser(HELP),
        },
    )
}

/// The empty form.
pub(crate) async fn form(WebQuery(q): WebQuery<ModeQuery>) -> PageResult {
    let mode = Mode::parse(q.saisie.as_deref());
    Ok(page(StatusCode::OK, mode, &BTreeMap::new(), &[], None, None))
}

/// The answer, or the form again with what was typed and the problems.
pub(crate) async fn answer(
    State(state): St,
    headers: HeaderMap,
    extensions: Extensions,
    WebForm(fields): WebForm<Vec<(String, String)>>,
) -> PageResult {
    let mut typed: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in fields {
        typed.insert(k, v);
    }
    let mode = Mode::parse(typed.get("saisie").map(String::as_str));
    if let Err(e) = limit(&state, &headers, &extensions) {
        let notice = "Trop de diagnostics demandés depuis votre adresse en peu de temps. Vos \
                      chiffres sont restés dans le formulaire : réessayez dans une minute.";
        let mut r = page(StatusCode::TOO_MANY_REQUESTS, mode, &typed, &[], None, Some(notice));
        if let Some(s) = e.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    let (answers, mut problems) = answers_of(&typed, mode);
    if !problems.is_empty() {
        // Every other problem too, in one go.
        if let Err(more) = answers.row(crate::api::diagnosis::this_month()) {
            for p in more {
                if !problems.iter().any(|q| q.field == p.field) {
                    problems.push(p);
                }
            }
        }
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, mode, &typed, &problems, None, None));
    }
    match assess(&state, &answers).await {
        Ok(r) => Ok(page(StatusCode::OK, mode, &typed, &[], Some((&r, &answers)), None)),
        Err(Refused::Figures(p)) => {
            Ok(page(StatusCode::UNPROCESSABLE_ENTITY, mode, &typed, &p, None, None))
        }
        Err(Refused::Error(e)) => Err(PageError::from(e)),
    }
}
