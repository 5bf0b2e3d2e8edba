//! `/alertes`: the alerts of the agent's territory, filtered and paginated, and their CSV
//! export.

use axum::extract::State;
use axum::http::StatusCode;
use minijinja::context;
use serde::{Deserialize, Serialize};
use vigie_core::{Departement, Naf};

use crate::api::alerts::{AlertsQuery, alerts_page, csv_response, export_csv};
use crate::web::render::{PageResult, WebQuery, encode, render, select, ser};
use crate::web::session::Session;
use crate::web::{St, fr};

/// The alert list's query string: the API's filters, where an empty value (a select left
/// on "all") means no filter.
/// Unknown parameters are ignored (a link may carry tracking parameters); the API, not
/// the pages, is strict about them.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct ListQuery {
    departement: Option<String>,
    naf_section: Option<String>,
    level: Option<String>,
    first_only: Option<String>,
    size_band: Option<String>,
    follow_up: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    page: Option<u32>,
}

impl ListQuery {
    fn api(&self, paged: bool) -> AlertsQuery {
        let some = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        AlertsQuery {
            departement: some(&self.departement),
            naf_section: some(&self.naf_section),
            level: some(&self.level),
            first_only: self.first_only.as_deref().map(|v| v == "true" || v == "on"),
            size_band: some(&self.size_band),
            follow_up: some(&self.follow_up),
            sort: some(&self.sort),
            cursor: if paged { some(&self.cursor) } else { None },
            ..AlertsQuery::default()
        }
    }

    /// The query string of these filters (no cursor), plus `extra`.
    fn url(&self, path: &str, extra: &[(&str, String)]) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("departement", &self.departement),
            ("naf_section", &self.naf_section),
            ("level", &self.level),
            ("size_band", &self.size_band),
            ("follow_up", &self.follow_up),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().filter(|s| !s.is_empty()).map(|v| (k, v.clone())))
        .collect();
        if self.first_only.as_deref().is_some_and(|v| v == "true" || v == "on") {
            pairs.push(("first_only", "true".into()));
        }
        pairs.extend(extra.iter().cloned());
        if pairs.is_empty() {
            return path.to_owned();
        }
        let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        format!("{path}?{}", q.join("&"))
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct AlertRow {
    company_id: String,
    level: String,
    level_label: &'static str,
    departement: String,
    naf: String,
    naf_section_label: String,
    size_label: &'static str,
    p_18m: String,
    first_alert: bool,
    follow_up_label: &'static str,
}

pub(crate) async fn alerts(
    State(state): St,
    session: Session,
    WebQuery(q): WebQuery<ListQuery>,
) -> PageResult {
    let caller = &session.caller;
    let page = alerts_page(&state, caller, &q.api(true), "GET /alertes")
        .await
        .map_err(|e| session.error(e))?;
    let month = state
        .store
        .run_summary(&page.run_id)
        .await
        .map_err(|e| session.error(e.into()))?
        .map(|r| r.month)
        .unwrap_or_default();
    let count = |l: &str| page.counts.get(l).copied().unwrap_or(0);
    let counts: Vec<_> = ["red", "orange"]
        .iter()
        .map(
            |l| context! { level => *l, label => fr::level(l), value => fr::small_count(count(l)) },
        )
        .collect();
    let departements: Vec<(String, String)> = if caller.national() {
        Departement::all().iter().map(|d| (d.as_str().to_owned(), d.as_str().to_owned())).collect()
    } else {
        caller.territories.iter().map(|d| (d.clone(), d.clone())).collect()
    };
    let selects = vec![
        select("departement", "Département", "Tous", q.departement.as_deref(), departements),
        select(
            "level",
            "Niveau",
            "Rouge et orange",
            q.level.as_deref(),
            ["red", "orange"].map(|l| (l.to_owned(), fr::level(l).to_owned())),
        ),
        select(
            "naf_section",
            "Secteur (section NAF)",
            "Tous",
            q.naf_section.as_deref(),
            Naf::sections().into_iter().map(|c| (c.to_string(), fr::naf_section(&c.to_string()))),
        ),
        select(
            "size_band",
            "Taille",
            "Toutes",
            q.size_band.as_deref(),
            fr::SIZE_BANDS.map(|b| (b.to_owned(), fr::size_band(b).to_owned())),
        ),
        select(
            "follow_up",
            "Suivi",
            "Tous",
            q.follow_up.as_deref(),
            fr::FOLLOW_UPS.map(|s| (s.to_owned(), fr::follow_up(s).to_owned())),
        ),
        select(
            "sort",
            "Tri",
            "Risque décroissant",
            q.sort.as_deref(),
            [("risk_asc", "Risque croissant"), ("departement", "Département")]
                .map(|(v, l)| (v.to_owned(), l.to_owned())),
        ),
    ];
    let sort_label = match q.sort.as_deref() {
        Some("risk_asc") => "par risque croissant",
        Some("departement") => "par département",
        _ => "par risque décroissant",
    };
    let page_number = q.page.unwrap_or(1).max(1);
    let items: Vec<AlertRow> = page
        .items
        .into_iter()
        .map(|a| AlertRow {
            level_label: fr::level(&a.level),
            naf_section_label: fr::naf_section(&a.naf_section),
            size_label: fr::size_band(&a.size_band),
            p_18m: fr::percent(a.p_18m),
            follow_up_label: fr::follow_up(&a.follow_up),
            first_alert: a.first_alert,
            company_id: a.company_id,
            level: a.level,
            departement: a.departement,
            naf: a.naf,
        })
        .collect();
    let next_url = page.next_cursor.as_ref().map(|c| {
        q.url(
            "/alertes",
            &[("cursor", c.clone()), ("page", page_number.saturating_add(1).to_string())],
        )
    });
    let first_url = q.cursor.as_ref().map(|_| q.url("/alertes", &[]));
    Ok(render(
        StatusCode::OK,
        "alertes.html",
        &context! {
            page => "alertes", who => ser(session.who()), csrf => &session.csrf,
            run_id => page.run_id, month, scope => session.who().scope,
            counts, selects => ser(&selects), first_only => q.api(false).first_only.unwrap_or(false),
            items => ser(&items), next_url, first_url, page_number, sort_label,
            export_url => q.url("/alertes/export.csv", &[]),
        },
    ))
}

pub(crate) async fn export(
    State(state): St,
    session: Session,
    WebQuery(q): WebQuery<ListQuery>,
) -> PageResult {
    let csv = export_csv(&state, &session.caller, &q.api(false), "GET /alertes/export.csv")
        .await
        .map_err(|e| session.error(e))?;
    Ok(csv_response(csv))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_urls_keep_filters_and_encode() {
        let q = ListQuery {
            departement: Some("21".into()),
            level: Some(String::new()),
            first_only: Some("true".into()),
            ..ListQuery::default()
        };
        assert_eq!(
            q.url("/alertes", &[("cursor", "a b".into())]),
            "/alertes?departement=21&first_only=true&cursor=a%20b"
        );
        let api = q.api(true);
        assert_eq!(api.level, None);
        assert_eq!(api.first_only, Some(true));
    }
}
