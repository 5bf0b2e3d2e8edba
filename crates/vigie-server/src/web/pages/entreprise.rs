//! `/entreprises/{id}`: a company's page (level, probabilities, history, explanation,
//! follow-up, feedback), the search form that leads to it, and its two forms.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use crate::access::company_id;
use crate::api::companies::{
    CompanyResponse, FeedbackRequest, FollowUpRequest, company_view, give_feedback, set_follow_up,
};
use crate::error::ApiError;
use crate::web::render::{Opt, PageResult, WebForm, WebPath, WebQuery, encode, render, ser};
use crate::web::session::Session;
use crate::web::{St, charts, fr};
use vigie_score::explanation::Factor;

#[derive(Debug, Deserialize)]
pub(crate) struct SearchForm {
    csrf: String,
    id: String,
    motif: Option<String>,
}

/// The page of a company, with the out-of-zone reason when there is one.
pub(crate) fn company_url(id: &str, reason: Option<&str>, extra: Option<&str>) -> String {
    let mut q = Vec::new();
    if let Some(r) = reason.map(str::trim).filter(|r| !r.is_empty()) {
        q.push(format!("motif={}", encode(r)));
    }
    if let Some(e) = extra {
        q.push(e.to_owned());
    }
    if q.is_empty() {
        format!("/entreprises/{id}")
    } else {
        format!("/entreprises/{id}?{}", q.join("&"))
    }
}

pub(crate) async fn search(
    State(state): St,
    session: Session,
    WebForm(form): WebForm<SearchForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let raw = form.id.trim().replace(' ', "");
    // A SIREN is pseudonymised here, so that it never appears in a URL.
    let id = company_id(&state, &raw).map_err(|e| session.error(e))?;
    Ok(Redirect::to(&company_url(&id, form.motif.as_deref(), None)).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct CompanyQuery {
    motif: Option<String>,
    ok: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FactorView {
    sentence: String,
    contribution: String,
}

pub(crate) fn changes(c: &CompanyResponse) -> Vec<String> {
    let ch = &c.changes;
    let mut out = Vec::new();
    match (&ch.previous_level, ch.previous_p_18m) {
        (Some(before), Some(p)) => {
            let now = fr::level(&c.latest.level);
            if before == &c.latest.level {
                out.push(format!("Niveau inchangé : {now}."));
            } else {
                out.push(format!("Niveau : {} → {now}.", fr::level(before)));
            }
            out.push(format!(
                "Probabilité à 18 mois : {} → {} ({} points de pourcentage).",
                fr::percent(p),
                fr::percent(c.latest.p.m18),
                fr::signed((c.latest.p.m18 - p) * 100.0)
            ));
        }
        _ => out.push("Pas de score à l'exécution précédente.".into()),
    }
    if ch.first_alert {
        out.push("C'est une première alerte.".into());
    }
    if ch.escalated {
        out.push("L'alerte est passée d'orange à rouge.".into());
    }
    if ch.de_escalated {
        out.push("Le niveau d'alerte a baissé.".into());
    }
    out
}

pub(crate) async fn company(
    State(state): St,
    session: Session,
    WebPath(id): WebPath<String>,
    WebQuery(q): WebQuery<CompanyQuery>,
) -> PageResult {
    let reason = q.motif.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let c = company_view(&state, &session.caller, "GET /entreprises/{id}", &id, reason)
        .await
        .map_err(|e| session.error(e))?;
    let p = &c.latest.p;
    let probabilities: Vec<_> =
        [("6 mois", p.m6), ("12 mois", p.m12), ("18 mois", p.m18), ("24 mois", p.m24)]
            .iter()
            .map(|(h, v)| context! { horizon => *h, value => fr::percent(*v) })
            .collect();
    let history_points: Vec<(String, f64, String)> =
        c.history.iter().map(|h| (h.month.clone(), h.p_18m, h.level.clone())).collect();
    let history: Vec<_> = c
        .history
        .iter()
        .map(|h| {
            context! {
                month => h.month.clone(), run_id => h.run_id.clone(), p_18m => fr::percent(h.p_18m),
                level => h.level.clone(), level_label => fr::level(&h.level),
            }
        })
        .collect();
    let explanation = c.latest.explanation.as_ref();
    let (mut groups_view, mut waterfall, mut concerning, mut reassuring) =
        (Vec::new(), String::new(), Vec::new(), Vec::new());
    let (mut bias, mut margin) = (String::new(), String::new());
    if let Some(e) = &explanation {
        // Largest effects first.
        let mut groups: Vec<(String, f64)> =
            e.groups.iter().map(|(g, v)| (fr::group(g).to_owned(), *v)).collect();
        groups.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        waterfall = charts::waterfall("cascade", e.bias, &groups, e.margin);
        groups_view = groups
            .iter()
            .map(|(g, v)| {
                let effect = if *v >= 0.0 { "augmente le risque" } else { "réduit le risque" };
                context! { label => g, contribution => fr::signed(*v), effect }
            })
            .collect();
        let view = |f: &Factor| FactorView {
            sentence: fr::factor(&f.feature, f.value, f.value_6m_ago),
            contribution: fr::log_odds(f.contribution),
        };
        concerning = e.concerning.iter().map(view).collect();
        reassuring = e.reassuring.iter().map(view).collect();
        bias = fr::signed(e.bias);
        margin = fr::signed(e.margin);
    }
    let follow_ups: Vec<_> = c
        .follow_up
        .history
        .iter()
        .rev()
        .map(|f| {
            context! {
                status => fr::follow_up(&f.status), at => format!("{} UTC", f.at.replace('T', " ").trim_end_matches('Z')),
                author => f.author.clone(), note => f.note.clone(),
            }
        })
        .collect();
    let statuses: Vec<Opt> = fr::FOLLOW_UPS
        .iter()
        .map(|s| Opt {
            value: (*s).to_owned(),
            label: fr::follow_up(s).to_owned(),
            selected: *s == c.follow_up.status,
        })
        .collect();
    let notice = match q.ok.as_deref() {
        Some("suivi") => Some("Suivi enregistré."),
        Some("avis") => Some("Merci, votre avis est enregistré."),
        _ => None,
    };
    let changes = changes(&c);
    let levers: Vec<_> = c
        .levers
        .iter()
        .map(|l| context! { sentence => fr::lever_set(l), after => fr::percent(l.p_18m_after) })
        .collect();
    let view = context! {
        company_id => c.company_id.clone(), level => c.latest.level.clone(), level_label => fr::level(&c.latest.level),
        departement => c.departement, region => c.region, naf => c.naf,
        naf_section_label => fr::naf_section(&c.naf_section), size_label => fr::size_band(&c.size_band),
        in_latest_run => c.latest.in_latest_run,
        run_id => c.latest.run_id, month => c.latest.month,
        follow_up_label => fr::follow_up(&c.follow_up.status), follow_ups,
        out_of_zone => c.access == "out_of_zone", reason,
        probabilities,
        term_chart => Value::from_safe_string(charts::term_structure("horizons", [p.m6, p.m12, p.m18, p.m24])),
        history, history_chart => Value::from_safe_string(charts::history("historique", &history_points)),
        explained => explanation.is_some(), waterfall_chart => Value::from_safe_string(waterfall),
        groups => groups_view, bias, margin,
        concerning => ser(&concerning), reassuring => ser(&reassuring),
        changes, levers,
    };
    Ok(render(
        StatusCode::OK,
        "entreprise.html",
        &context! {
            page => "entreprise", who => ser(session.who()), csrf => &session.csrf,
            c => view, statuses => ser(&statuses), notice,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FollowUpForm {
    csrf: String,
    status: String,
    note: Option<String>,
    motif: Option<String>,
}

pub(crate) async fn follow_up(
    State(state): St,
    session: Session,
    WebPath(id): WebPath<String>,
    WebForm(form): WebForm<FollowUpForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let reason = form.motif.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let req = FollowUpRequest { status: form.status, note: form.note };
    set_follow_up(&state, &session.caller, "POST /entreprises/{id}/suivi", &id, reason, req)
        .await
        .map_err(|e| session.error(e))?;
    // Back to the page under the pseudonymous id, even if the path held a SIREN.
    let id = company_id(&state, &id).map_err(|e| session.error(e))?;
    Ok(Redirect::to(&company_url(&id, reason, Some("ok=suivi"))).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct FeedbackForm {
    csrf: String,
    utile: String,
    raison: Option<String>,
    motif: Option<String>,
}

pub(crate) async fn feedback(
    State(state): St,
    session: Session,
    WebPath(id): WebPath<String>,
    WebForm(form): WebForm<FeedbackForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let useful = match form.utile.as_str() {
        "oui" => true,
        "non" => false,
        _ => return Err(session.error(ApiError::field("utile", "oui or non"))),
    };
    let reason = form.motif.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let req = FeedbackRequest { useful, reason: form.raison.filter(|r| !r.trim().is_empty()) };
    give_feedback(&state, &session.caller, "POST /entreprises/{id}/avis", &id, reason, req)
        .await
        .map_err(|e| session.error(e))?;
    let id = company_id(&state, &id).map_err(|e| session.error(e))?;
    Ok(Redirect::to(&company_url(&id, reason, Some("ok=avis"))).into_response())
}
