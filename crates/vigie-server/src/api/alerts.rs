//! `/v1/alerts` and `/v1/alerts/export`: the caller's alerts, filtered, sorted, paginated,
//! or every page as CSV.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigie_core::Probabilities;

use super::St;
use crate::AppState;
use crate::access::{audit, scoped_query};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Caller};

/// Filters, sort and page of an alert list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Only this département (an agent: one of its own).
    pub departement: Option<String>,
    /// Only this region (INSEE code, e.g. 27).
    pub region: Option<String>,
    /// Only this NAF section (A–U).
    pub naf_section: Option<String>,
    /// Only `red` or only `orange`.
    pub level: Option<String>,
    /// Only first alerts (green or not scored in the previous run).
    pub first_only: Option<bool>,
    /// Only this size band (micro, small, medium, large, unknown).
    pub size_band: Option<String>,
    /// Only this follow-up status.
    pub follow_up: Option<String>,
    /// `risk_desc` (default), `risk_asc` or `departement`.
    pub sort: Option<String>,
    /// Page size, 1–1000 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// A run (default: the latest).
    pub run_id: Option<String>,
}

/// One alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertOut {
    /// Pseudonymous id.
    pub company_id: String,
    /// Département.
    pub departement: String,
    /// Region.
    pub region: String,
    /// NAF code.
    pub naf: String,
    /// NAF section.
    pub naf_section: String,
    /// Size band.
    pub size_band: String,
    /// `red` or `orange`.
    pub level: String,
    /// 18-month probability.
    pub p_18m: f64,
    /// Probabilities by horizon.
    pub p: Probabilities,
    /// A first alert.
    pub first_alert: bool,
    /// Level in the previous run.
    pub previous_level: Option<String>,
    /// Follow-up status.
    pub follow_up: String,
}

/// A page of alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertsResponse {
    /// The run listed.
    pub run_id: String,
    /// The alerts.
    pub items: Vec<AlertOut>,
    /// Cursor of the next page (`null` on the last one).
    pub next_cursor: Option<String>,
    /// Alerts matching the filters (any level, all pages): `red`, `orange`.
    pub counts: BTreeMap<String, i64>,
}

/// The alerts of the caller's territory, filtered, sorted, paginated, with counts.
#[utoipa::path(
    get, path = "/v1/alerts", tag = "alerts",
    params(AlertsQuery),
    responses(
        (status = 200, body = AlertsResponse),
        (status = 400, body = ErrorBody, description = "invalid_query, invalid_cursor"),
        (status = 404, body = ErrorBody, description = "a territory outside the agent's, or no such run"),
        (status = 422, body = ErrorBody),
    )
)]
pub(crate) async fn alerts(
    State(state): St,
    caller: Caller,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> ApiResult<Json<AlertsResponse>> {
    Ok(Json(alerts_page(&state, &caller, &q, "GET /v1/alerts").await?))
}

/// A page of the caller's alerts; audited under `route`.
pub(crate) async fn alerts_page(
    state: &AppState,
    caller: &Caller,
    q: &AlertsQuery,
    route: &str,
) -> ApiResult<AlertsResponse> {
    let (run_id, filter, sort, cursor, limit) = scoped_query(state, caller, q, route).await?;
    let page = state.store.alerts(&filter, sort, cursor.as_ref(), limit).await?;
    // The départements read: all, some, or none (a département outside the region asked).
    let scope = match &filter.departements {
        None => "national".to_owned(),
        Some(d) if d.is_empty() => "none".to_owned(),
        Some(d) => d.join(","),
    };
    audit(state, caller, route, None, Some(&scope), "ok", None).await?;
    Ok(AlertsResponse {
        run_id,
        next_cursor: page.next.map(|c| c.encode()),
        counts: page.counts,
        items: page
            .items
            .into_iter()
            .map(|a| AlertOut {
                first_alert: a.first_alert(),
                company_id: a.company_id,
                departement: a.departement,
                region: a.region,
                naf: a.naf,
                naf_section: a.naf_section,
                size_band: a.size_band,
                level: a.level,
                p_18m: a.p.alert(),
                p: a.p,
                previous_level: a.previous_level,
                follow_up: a.follow_up,
            })
            .collect(),
    })
}

/// Most rows of one CSV export.
pub const EXPORT_LIMIT: usize = 200_000;

/// The caller's alerts as CSV (same filters and sort as `GET /v1/alerts`, every page, at
/// most 200,000 rows); audited.
#[utoipa::path(
    get, path = "/v1/alerts/export", tag = "alerts",
    params(AlertsQuery),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = "company_id, departement, region, naf, naf_section, size_band, level, p_6m, p_12m, p_18m, p_24m, first_alert, previous_level, follow_up"),
        (status = 404, body = ErrorBody, description = "a territory outside the agent's"),
        (status = 422, body = ErrorBody),
    )
)]
pub(crate) async fn export(
    State(state): St,
    caller: Caller,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> ApiResult<Response> {
    let csv = export_csv(&state, &caller, &q, "GET /v1/alerts/export").await?;
    Ok(csv_response(csv))
}

/// A CSV download named `alertes.csv`.
/// A truncated export says so in a `Vigie-Export-Truncated` header (the number of rows
/// written): CSV has no place for a note.
pub(crate) fn csv_response(export: CsvExport) -> Response {
    let mut r = (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"alertes.csv\""),
        ],
        export.csv,
    )
        .into_response();
    if export.truncated {
        r.headers_mut()
            .insert("vigie-export-truncated", axum::http::HeaderValue::from(EXPORT_LIMIT));
    }
    r
}

/// Every alert of the caller's query as CSV; audited under `route` with the row count.
pub(crate) async fn export_csv(
    state: &AppState,
    caller: &Caller,
    q: &AlertsQuery,
    route: &str,
) -> ApiResult<CsvExport> {
    if q.cursor.is_some() || q.limit.is_some() {
        return Err(ApiError::field("cursor", "an export has every page: no cursor or limit"));
    }
    let (run_id, filter, sort, _, _) = scoped_query(state, caller, q, route).await?;
    // One CSV writer (the `csv` crate) for every export: quoting is its business.
    let mut csv = csv::Writer::from_writer(Vec::new());
    let write_err = |e: csv::Error| ApiError::internal(&e);
    csv.write_record([
        "company_id",
        "departement",
        "region",
        "naf",
        "naf_section",
        "size_band",
        "level",
        "p_6m",
        "p_12m",
        "p_18m",
        "p_24m",
        "first_alert",
        "previous_level",
        "follow_up",
    ])
    .map_err(write_err)?;
    let mut cursor = None;
    let mut rows = 0;
    loop {
        let page =
            state.store.alerts(&filter, sort, cursor.as_ref(), vigie_store::MAX_PAGE).await?;
        for a in &page.items {
            csv.write_record([
                a.company_id.as_str(),
                &a.departement,
                &a.region,
                &a.naf,
                &a.naf_section,
                &a.size_band,
                &a.level,
                &a.p.m6.to_string(),
                &a.p.m12.to_string(),
                &a.p.m18.to_string(),
                &a.p.m24.to_string(),
                if a.first_alert() { "true" } else { "false" },
                a.previous_level.as_deref().unwrap_or(""),
                &a.follow_up,
            ])
            .map_err(write_err)?;
        }
        rows += page.items.len();
        cursor = page.next;
        if cursor.is_none() || rows >= EXPORT_LIMIT {
            break;
        }
    }
    // The départements read: all, some, or none (a département outside the region asked).
    let scope = match &filter.departements {
        None => "national".to_owned(),
        Some(d) if d.is_empty() => "none".to_owned(),
        Some(d) => d.join(","),
    };
    let truncated = cursor.is_some();
    let note =
        format!("{rows} rows of run {run_id}{}", if truncated { " (truncated)" } else { "" });
    audit(state, caller, route, None, Some(&scope), "ok", Some(&note)).await?;
    let csv = csv.into_inner().map_err(|e| ApiError::internal(&e.error()))?;
    let csv = String::from_utf8(csv).map_err(|e| ApiError::internal(&e))?;
    Ok(CsvExport { csv, truncated })
}

/// An export: the CSV text, and whether it stopped at [`EXPORT_LIMIT`] rows with more
/// alerts left.
pub(crate) struct CsvExport {
    pub(crate) csv: String,
    pub(crate) truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::{CsvExport, EXPORT_LIMIT, csv_response};

    #[test]
    fn a_truncated_export_says_so() {
        let full = csv_response(CsvExport { csv: "a\n".into(), truncated: false });
        assert!(full.headers().get("vigie-export-truncated").is_none());
        let cut = csv_response(CsvExport { csv: "a\n".into(), truncated: true });
        assert_eq!(cut.headers()["vigie-export-truncated"], EXPORT_LIMIT.to_string().as_str());
        assert_eq!(cut.headers()[axum::http::header::CONTENT_TYPE], "text/csv; charset=utf-8");
    }
}
