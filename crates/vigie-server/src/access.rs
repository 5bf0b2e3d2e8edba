//! The territory and audit rules, shared by the API and the dashboard: which company or
//! territory a caller may reach (an agent: its départements, or another with a stated
//! reason), and the audit row every consultation appends.

use serde::Deserialize;
use utoipa::IntoParams;
use vigie_core::{CompanyId, Naf, Region, Siren};
use vigie_store::{AlertCursor, AlertFilter, AlertSort, AuditEntry, FollowUpStatus, StoredScore};

use crate::AppState;
use crate::api::alerts::AlertsQuery;
use crate::api::companies::HistoryPoint;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::extract::{Caller, departement};

/// Out-of-zone access: a reason makes it allowed, and audited as such.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Access {
    /// Why an agent consults a company outside its territory (required for that; logged).
    pub reason: Option<String>,
}

/// A resolved company, in the caller's reach.
pub(crate) struct Reached {
    pub(crate) id: String,
    /// Its most recent score.
    pub(crate) latest: StoredScore,
    /// Its history, oldest first.
    pub(crate) points: Vec<HistoryPoint>,
    /// Whether `latest` comes from the latest run.
    pub(crate) current: bool,
    pub(crate) access: &'static str,
    pub(crate) territory: String,
}

/// A company's most recent score and history: from the in-memory index when it holds the
/// company, else from the store.
pub(crate) async fn scores_of(
    state: &AppState,
    id: &str,
) -> ApiResult<Option<(StoredScore, Vec<HistoryPoint>, bool)>> {
    if let Some(snap) = state.snapshot()
        && let Some(e) = snap.companies.get(id)
        && let Some(latest) = &e.latest
    {
        let (run_id, month) = snap.runs.last().expect("a snapshot has runs").clone();
        let points = e
            .points
            .iter()
            .map(|&(i, p_18m, level)| {
                let (run_id, month) = &snap.runs[usize::from(i)];
                HistoryPoint {
                    run_id: run_id.clone(),
                    month: month.clone(),
                    p_18m,
                    level: level.to_owned(),
                }
            })
            .collect();
        // The index holds `latest` for the companies of the latest run only.
        return Ok(Some((StoredScore { run_id, month, score: latest.row(id) }, points, true)));
    }
    let mut history = state.store.company_history(id).await?;
    let newest = state.store.latest_run_summary().await?.map(|r| r.run_id);
    let points = history
        .iter()
        .map(|h| HistoryPoint {
            run_id: h.run_id.clone(),
            month: h.month.clone(),
            p_18m: h.score.p.alert(),
            level: h.score.level.clone(),
        })
        .collect();
    Ok(history.pop().map(|latest| {
        let current = newest.as_deref() == Some(latest.run_id.as_str());
        (latest, points, current)
    }))
}

pub(crate) async fn audit(
    state: &AppState,
    caller: &Caller,
    route: &str,
    company: Option<&str>,
    territory: Option<&str>,
    outcome: &str,
    reason: Option<&str>,
) -> ApiResult<()> {
    let entry = AuditEntry {
        at: String::new(),
        token_name: caller.name.clone(),
        route: route.to_owned(),
        company_id: company.map(str::to_owned),
        territory: territory.map(str::to_owned),
        outcome: outcome.to_owned(),
        reason: reason.map(str::to_owned),
    };
    state
        .audit
        .append(&state.store, entry)
        .await
        .map_err(|e| ApiError::internal(&format!("audit log: {e}")))?;
    Ok(())
}

/// The pseudonymous id of `raw`: a SIREN (validated, then pseudonymised with the server's
/// key) or a pseudonymous id.
pub(crate) fn company_id(state: &AppState, raw: &str) -> ApiResult<String> {
    if raw.len() == 9 && raw.bytes().all(|b| b.is_ascii_digit()) {
        let siren = Siren::parse(raw).map_err(|_| {
            ApiError::new(ErrorCode::InvalidSiren, "the SIREN's check digit is wrong")
        })?;
        let pseudo = state.pseudo.as_ref().ok_or_else(|| {
            ApiError::field(
                "id",
                "this server has no pseudonymisation key: use the pseudonymous id",
            )
        })?;
        Ok(pseudo.company_id(siren).as_str().to_owned())
    } else {
        Ok(CompanyId::parse(raw)
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidCompanyId,
                    "expected a 9-digit SIREN or a 16-hex-digit id",
                )
            })?
            .as_str()
            .to_owned())
    }
}

/// Resolves `raw` (a SIREN or a pseudonymous id) to a company the caller may reach,
/// auditing refusals. 404 for unknown companies and, without a reason, for companies
/// outside an agent's territory.
pub(crate) async fn reach(
    state: &AppState,
    caller: &Caller,
    route: &str,
    raw: &str,
    reason: Option<&str>,
) -> ApiResult<Reached> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::field("reason", "at most 500 characters"));
    }
    let id = company_id(state, raw)?;
    let Some((latest, points, current)) = scores_of(state, &id).await? else {
        audit(state, caller, route, Some(&id), None, "not_found", reason).await?;
        return Err(ApiError::not_found("no such company"));
    };
    let territory = latest.score.departement.clone();
    let access = if caller.covers(&territory) {
        "in_zone"
    } else if reason.is_some() {
        "out_of_zone"
    } else {
        audit(state, caller, route, Some(&id), Some(&territory), "denied_out_of_zone", None)
            .await?;
        return Err(ApiError::not_found("no such company"));
    };
    Ok(Reached { id, latest, points, current, access, territory })
}

/// Checks an alert query and scopes it to the caller. `Err(not_found)` when a territory
/// filter is outside an agent's départements.
pub fn alert_filter(
    q: &AlertsQuery,
    caller: &Caller,
    run_id: String,
    cursor: ApiResult<Option<AlertCursor>>,
) -> ApiResult<(AlertFilter, AlertSort, Option<AlertCursor>, usize)> {
    let mut errors = Vec::new();
    let mut bad =
        |field: &str, problem: String| errors.push(FieldError { field: field.into(), problem });
    let dep = q.departement.as_deref().map(|d| departement("departement", d)).transpose()?;
    let region = match q.region.as_deref().map(Region::parse).transpose() {
        Ok(r) => r,
        Err(e) => {
            bad("region", e.to_string());
            None
        }
    };
    if let Some(s) = &q.naf_section
        && !(s.len() == 1 && Naf::sections().contains(&s.chars().next().unwrap_or(' ')))
    {
        bad("naf_section", format!("{s:?} is not a NAF section (A–U)"));
    }
    if let Some(l) = &q.level
        && !matches!(l.as_str(), "red" | "orange")
    {
        bad("level", format!("{l:?}: alerts are red or orange"));
    }
    if let Some(b) = &q.size_band
        && !crate::web::fr::SIZE_BANDS.contains(&b.as_str())
    {
        bad("size_band", format!("{b:?}: micro, small, medium, large or unknown"));
    }
    if let Some(f) = &q.follow_up
        && let Err(e) = FollowUpStatus::parse(f)
    {
        bad("follow_up", e.to_string());
    }
    let sort = match q.sort.as_deref().map(AlertSort::parse).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => {
            bad("sort", e.to_string());
            AlertSort::default()
        }
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=vigie_store::MAX_PAGE).contains(&limit) {
        bad("limit", format!("{limit}: between 1 and {}", vigie_store::MAX_PAGE));
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    // A cursor is a position, valid in any run and order (`AlertCursor`): the query's
    // `run_id`, when given, wins over the cursor's.
    let cursor = cursor?;
    // Territory: the intersection of the caller's scope and the filters.
    let mut deps: Option<Vec<String>> = (!caller.national()).then(|| caller.territories.clone());
    if let Some(d) = dep {
        if !caller.covers(d.as_str()) {
            return Err(ApiError::not_found("no such territory in your scope"));
        }
        deps = Some(vec![d.as_str().to_owned()]);
    }
    if let Some(r) = region {
        let in_region: Vec<String> =
            r.departements().iter().map(|d| d.as_str().to_owned()).collect();
        // Filters are a conjunction: a département outside the region selects nothing (an
        // empty page, as for any other filter that matches no alert), and is not a territory
        // refused (no `denied_out_of_zone` audit row for it).
        if let Some(d) = dep
            && !in_region.iter().any(|x| x == d.as_str())
        {
            return Ok((filter_of(q, run_id, Some(Vec::new())), sort, cursor, limit));
        }
        let scoped: Vec<String> = match deps {
            Some(d) => d.into_iter().filter(|x| in_region.contains(x)).collect(),
            None => in_region,
        };
        if scoped.is_empty() {
            return Err(ApiError::not_found("no such territory in your scope"));
        }
        deps = Some(scoped);
    }
    Ok((filter_of(q, run_id, deps), sort, cursor, limit))
}

/// The store's filter of a checked query, on the départements chosen.
fn filter_of(q: &AlertsQuery, run_id: String, departements: Option<Vec<String>>) -> AlertFilter {
    AlertFilter {
        run_id,
        departements,
        region: None,
        naf_section: q.naf_section.clone(),
        level: q.level.clone(),
        first_only: q.first_only.unwrap_or(false),
        size_band: q.size_band.clone(),
        follow_up: q.follow_up.clone(),
    }
}

/// The run, scoped filter, sort, cursor and page size of an alert query; audits a refusal
/// (a territory outside an agent's).
pub(crate) async fn scoped_query(
    state: &AppState,
    caller: &Caller,
    q: &AlertsQuery,
    route: &str,
) -> ApiResult<(String, AlertFilter, AlertSort, Option<AlertCursor>, usize)> {
    // A cursor names its run: the next pages of a list stay in the run of its first page
    // even after a newer run is committed.
    let cursor = q
        .cursor
        .as_deref()
        .map(AlertCursor::decode)
        .transpose()
        .map_err(|e| ApiError::new(ErrorCode::InvalidCursor, e.to_string()));
    let from_cursor = match (&q.run_id, &cursor) {
        (None, Ok(Some(c))) => Some(c.run_id.clone()),
        (None, Err(e)) => return Err(e.clone()),
        _ => None,
    };
    let run_id = match q.run_id.as_ref().or(from_cursor.as_ref()) {
        Some(id) => {
            if state.store.run_summary(id).await?.is_none() {
                return Err(ApiError::not_found("no such run"));
            }
            id.clone()
        }
        None => {
            state
                .store
                .latest_run_summary()
                .await?
                .ok_or_else(|| ApiError::not_found("no run yet: run `vigie rescore` first"))?
                .run_id
        }
    };
    match alert_filter(q, caller, run_id.clone(), cursor) {
        Ok((filter, sort, cursor, limit)) => Ok((run_id, filter, sort, cursor, limit)),
        Err(e) => {
            if e.body.code == ErrorCode::NotFound {
                // The territory column holds département codes: a region is marked as such.
                let asked = q
                    .departement
                    .clone()
                    .or_else(|| q.region.as_ref().map(|r| format!("region {r}")));
                audit(state, caller, route, None, asked.as_deref(), "denied_out_of_zone", None)
                    .await?;
            }
            Err(e)
        }
    }
}
