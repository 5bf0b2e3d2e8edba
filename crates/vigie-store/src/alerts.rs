//! Alert lists: the companies in red or orange of a run, filtered, sorted, paginated by
//! keyset (stable under concurrent reads, cheap on deep pages), with counts by level.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use vigie_core::{AlertLevel, Change, Probabilities};

use crate::{Error, Result, Store, on_pool};

/// Sort orders of an alert list. Ties are broken by company id, so that pages never
/// overlap or skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSort {
    /// Highest 18-month probability first (the default).
    #[default]
    RiskDesc,
    /// Lowest 18-month probability first.
    RiskAsc,
    /// By département, then highest probability first.
    Departement,
}

impl AlertSort {
    /// Parses `risk_desc`, `risk_asc` or `departement`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "risk_desc" => Ok(Self::RiskDesc),
            "risk_asc" => Ok(Self::RiskAsc),
            "departement" => Ok(Self::Departement),
            _ => Err(Error::Invalid(format!(
                "unknown sort {s:?} (risk_desc, risk_asc, departement)"
            ))),
        }
    }
}

/// Which alerts.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// The run.
    pub run_id: String,
    /// Only these départements (`None`: national). An agent's territory, intersected with
    /// any département filter, by the caller.
    pub departements: Option<Vec<String>>,
    /// Only this region (INSEE code).
    pub region: Option<String>,
    /// Only this NAF section letter.
    pub naf_section: Option<String>,
    /// Only this level (`red` or `orange`); both by default.
    pub level: Option<String>,
    /// Only first alerts: green or not scored in the previous run.
    pub first_only: bool,
    /// Only this size band.
    pub size_band: Option<String>,
    /// Only this follow-up status (`to_contact` includes companies never followed up).
    pub follow_up: Option<String>,
}

/// Where a page ends: the sort keys of its last item, and the run it was read from.
///
/// A cursor is a *position*, valid under any filter, sort or run: the next page holds the
/// items after it in the order asked (so every string of [`AlertCursor::PATTERN`] is a
/// cursor the API takes; one that names no run is a 404). Passed back unchanged with the
/// same query, it pages without overlap or gap.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertCursor {
    /// Département of the last item.
    pub departement: String,
    /// 18-month probability of the last item.
    pub p_18m: f64,
    /// Company id of the last item.
    pub company_id: String,
    /// The run the page belongs to: the next page is read from it, even after a newer run
    /// is committed (otherwise pages would mix runs, repeating or skipping companies),
    /// unless the query names another run.
    pub run_id: String,
}

impl AlertCursor {
    /// What [`AlertCursor::encode`] writes and [`AlertCursor::decode`] takes, as an
    /// ECMA-262 pattern (for the OpenAPI document): the département, the bits of the
    /// probability (a finite number in [0, 2), in 16 hex digits), the company id and the
    /// run id in hex (run ids are free text chosen by operators; hex keeps the cursor
    /// URL-safe). `{dep}` stands for the département pattern.
    pub const PATTERN: &'static str =
        "^{dep}\\.[0-3][0-9a-f]{15}\\.[0-9a-f]{16}\\.([0-9a-f]{2}){1,200}$";

    /// The text form (`<département>.<p bits>.<company id>.<hex of the run id>`).
    #[must_use]
    pub fn encode(&self) -> String {
        // `+ 0.0` turns a negative zero into zero, whose bits the pattern covers.
        let mut s = format!(
            "{}.{:016x}.{}.",
            self.departement,
            (self.p_18m + 0.0).to_bits(),
            self.company_id
        );
        for b in self.run_id.bytes() {
            let _ = write!(s, "{b:02x}");
        }
        s
    }

    /// Parses [`AlertCursor::encode`]'s output (and every string of the pattern).
    pub fn decode(text: &str) -> Result<Self> {
        let bad = || Error::Invalid("malformed cursor: pass back `next_cursor` unchanged".into());
        let mut parts = text.splitn(4, '.');
        let (Some(dep), Some(bits), Some(id), Some(run)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let plain = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric());
        if !plain(dep) || !plain(id) || bits.len() != 16 || run.is_empty() || run.len() > 400 {
            return Err(bad());
        }
        let p = f64::from_bits(u64::from_str_radix(bits, 16).map_err(|_| bad())?);
        if !p.is_finite() || !run.len().is_multiple_of(2) {
            return Err(bad());
        }
        let bytes: Vec<u8> = (0..run.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(run.get(i..i + 2).ok_or_else(bad)?, 16).map_err(|_| bad()))
            .collect::<Result<_>>()?;
        Ok(Self {
            departement: dep.to_owned(),
            p_18m: p,
            company_id: id.to_owned(),
            // Not UTF-8: no run has that id (a 404 where it is looked up), as for any other.
            run_id: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// One alert of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertItem {
    /// Pseudonymous company id.
    pub company_id: String,
    /// Département.
    pub departement: String,
    /// Region (INSEE code).
    pub region: String,
    /// NAF code.
    pub naf: String,
    /// NAF section.
    pub naf_section: String,
    /// Size band.
    pub size_band: String,
    /// `red` or `orange`.
    pub level: String,
    /// Probabilities at 6, 12, 18, 24 months.
    pub p: Probabilities,
    /// Level in the previous run (`None`: not scored then).
    pub previous_level: Option<String>,
    /// 18-month probability in the previous run.
    pub previous_p_18m: Option<f64>,
    /// Current follow-up status (`to_contact` when never followed up).
    pub follow_up: String,
}

impl AlertItem {
    /// Whether this is a first alert (green or not scored in the previous run): see
    /// [`Change::between`].
    #[must_use]
    pub fn first_alert(&self) -> bool {
        let level = |l: &str| AlertLevel::parse(l).unwrap_or(AlertLevel::Green);
        Change::between(self.previous_level.as_deref().map(level), level(&self.level))
            == Change::FirstAlert
    }
}

/// A page of alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertPage {
    /// The alerts.
    pub items: Vec<AlertItem>,
    /// Where the next page starts, if there is one.
    pub next: Option<AlertCursor>,
    /// Alerts matching the filter, ignoring its level and the pagination: `red`, `orange`.
    pub counts: BTreeMap<String, i64>,
}

/// Largest page.
pub const MAX_PAGE: usize = 1000;

/// The current follow-up status of the company of row `alias`.
fn follow_up(alias: &str) -> String {
    format!(
        "COALESCE((SELECT f.status FROM follow_ups f WHERE f.company_id = {alias}.company_id \
         ORDER BY f.id DESC LIMIT 1), 'to_contact')"
    )
}

#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    Float(f64),
}

/// WHERE clause (without keyset and, when `with_level` is false, without the level filter)
/// and its binds.
fn conditions(f: &AlertFilter, with_level: bool, binds: &mut Vec<Bind>, a: &str) -> String {
    let param = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    // `level <> 'green'` in these words: it selects the partial alert indexes. (A first
    // alert is `Change::FirstAlert`, written in SQL below.)
    let mut w = vec![
        format!("{a}.run_id = {}", param(Bind::Text(f.run_id.clone()), binds)),
        format!("{a}.level <> 'green'"),
    ];
    if let Some(deps) = &f.departements {
        if deps.is_empty() {
            w.push("1 = 0".into());
        } else {
            let list: Vec<String> =
                deps.iter().map(|d| param(Bind::Text(d.clone()), binds)).collect();
            w.push(format!("{a}.departement IN ({})", list.join(", ")));
        }
    }
    for (col, v) in
        [("region", &f.region), ("naf_section", &f.naf_section), ("size_band", &f.size_band)]
    {
        if let Some(v) = v {
            w.push(format!("{a}.{col} = {}", param(Bind::Text(v.clone()), binds)));
        }
    }
    if with_level && let Some(l) = &f.level {
        w.push(format!("{a}.level = {}", param(Bind::Text(l.clone()), binds)));
    }
    if f.first_only {
        w.push(format!("({a}.previous_level IS NULL OR {a}.previous_level = 'green')"));
    }
    if let Some(st) = &f.follow_up {
        w.push(format!("{} = {}", follow_up(a), param(Bind::Text(st.clone()), binds)));
    }
    w.join(" AND ")
}

impl Store {
    /// A page of the alerts of a run.
    pub async fn alerts(
        &self,
        f: &AlertFilter,
        sort: AlertSort,
        after: Option<&AlertCursor>,
        limit: usize,
    ) -> Result<AlertPage> {
        if let Some(l) = &f.level
            && !matches!(l.as_str(), "red" | "orange")
        {
            return Err(Error::Invalid(format!("level {l:?}: alerts are red or orange")));
        }
        let limit = limit.clamp(1, MAX_PAGE);
        let mut binds = Vec::new();
        // A deferred join: the page's keys are chosen first, from the partial alert indexes
        // where the filters allow (no table row read, no follow-up looked up, for the
        // thousands of alerts the sort goes through); then the page's rows are read. Reading
        // every column in one query made SQLite sort 17,000 full rows (85 ms on a
        // 1,000,000-company store instead of 3 ms).
        let mut sql = format!(
            "SELECT k.company_id FROM scores k WHERE {}",
            conditions(f, true, &mut binds, "k")
        );
        if let Some(c) = after {
            let n = binds.len();
            binds.push(Bind::Float(c.p_18m));
            binds.push(Bind::Text(c.company_id.clone()));
            let (p, id) = (n + 1, n + 2);
            let risk = match sort {
                AlertSort::RiskAsc => {
                    format!("(k.p_18m > ${p} OR (k.p_18m = ${p} AND k.company_id > ${id}))")
                }
                _ => format!("(k.p_18m < ${p} OR (k.p_18m = ${p} AND k.company_id > ${id}))"),
            };
            if sort == AlertSort::Departement {
                binds.push(Bind::Text(c.departement.clone()));
                let d = n + 3;
                let _ =
                    write!(sql, " AND (k.departement > ${d} OR (k.departement = ${d} AND {risk}))");
            } else {
                let _ = write!(sql, " AND {risk}");
            }
        }
        let order = |a: &str| match sort {
            AlertSort::RiskDesc => format!("{a}.p_18m DESC, {a}.company_id"),
            AlertSort::RiskAsc => format!("{a}.p_18m ASC, {a}.company_id"),
            AlertSort::Departement => format!("{a}.departement, {a}.p_18m DESC, {a}.company_id"),
        };
        let _ = write!(sql, " ORDER BY {}", order("k"));
        let _ = write!(sql, " LIMIT {}", limit + 1);
        binds.push(Bind::Text(f.run_id.clone()));
        let sql = format!(
            "SELECT s.company_id, s.departement, s.region, s.naf, s.naf_section, s.size_band, \
             s.level, s.p_6m, s.p_12m, s.p_18m, s.p_24m, s.previous_level, s.previous_p_18m, \
             {} AS follow_up FROM scores s WHERE s.run_id = ${} AND s.company_id IN ({sql}) \
             ORDER BY {}",
            follow_up("s"),
            binds.len(),
            order("s")
        );

        let mut count_binds = Vec::new();
        let count_sql = format!(
            "SELECT s.level, COUNT(*) AS n FROM scores s WHERE {} GROUP BY s.level",
            conditions(f, false, &mut count_binds, "s")
        );

        macro_rules! bind_all {
            ($q:expr, $binds:expr) => {{
                let mut q = $q;
                for b in $binds {
                    q = match b {
                        Bind::Text(t) => q.bind(t.clone()),
                        Bind::Float(x) => q.bind(*x),
                    };
                }
                q
            }};
        }
        let (mut items, counts) = on_pool!(self, pool => {
            async {
                let rows = bind_all!(sqlx::query(sqlx::AssertSqlSafe(sql.clone())), &binds)
                    .fetch_all(pool)
                    .await?;
                let items = rows
                    .iter()
                    .map(|r| {
                        Ok(AlertItem {
                            company_id: r.try_get("company_id")?,
                            departement: r.try_get("departement")?,
                            region: r.try_get("region")?,
                            naf: r.try_get("naf")?,
                            naf_section: r.try_get("naf_section")?,
                            size_band: r.try_get("size_band")?,
                            level: r.try_get("level")?,
                            p: Probabilities::from_array([r.try_get("p_6m")?, r.try_get("p_12m")?, r.try_get("p_18m")?, r.try_get("p_24m")?]),
                            previous_level: r.try_get("previous_level")?,
                            previous_p_18m: r.try_get("previous_p_18m")?,
                            follow_up: r.try_get("follow_up")?,
                        })
                    })
                    .collect::<sqlx::Result<Vec<_>>>()?;
                let counted = bind_all!(sqlx::query(sqlx::AssertSqlSafe(count_sql.clone())), &count_binds)
                    .fetch_all(pool)
                    .await?;
                let mut counts = BTreeMap::from([("red".to_owned(), 0i64), ("orange".to_owned(), 0)]);
                for r in &counted {
                    counts.insert(r.try_get::<String, _>("level")?, r.try_get::<i64, _>("n")?);
                }
                sqlx::Result::Ok((items, counts))
            }
            .await
        })?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| AlertCursor {
                departement: last.departement.clone(),
                p_18m: last.p.alert(),
                company_id: last.company_id.clone(),
                run_id: f.run_id.clone(),
            })
        } else {
            None
        };
        Ok(AlertPage { items, next, counts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = AlertCursor {
            departement: "2A".into(),
            p_18m: 0.123_456_789,
            company_id: "00ff00ff00ff00ff".into(),
            run_id: "2025.12.re-run".into(),
        };
        assert_eq!(AlertCursor::decode(&c.encode()).unwrap(), c);
        let no_run = AlertCursor { run_id: String::new(), ..c.clone() };
        assert!(AlertCursor::decode(&no_run.encode()).is_err());
        let long = format!("2A.{:016x}.00ff00ff00ff00ff.{}", 0.5f64.to_bits(), "61".repeat(201));
        for bad in ["", "zz", "abc", "00", "2A.3fe0000000000000.00ff00ff00ff00ff.6", &long] {
            assert!(AlertCursor::decode(bad).is_err(), "{bad}");
        }
        let nan = AlertCursor { p_18m: f64::NAN, ..c.clone() };
        assert!(AlertCursor::decode(&nan.encode()).is_err());
        // Any string of the documented pattern is a cursor: the highest bits it allows are
        // a finite probability, and a run id that is not UTF-8 decodes (to no run).
        let top = AlertCursor::decode("971.3fffffffffffffff.0123456789abcdef.ff00").unwrap();
        assert!(top.p_18m.is_finite() && top.p_18m < 2.0);
        assert_eq!(top.run_id, "\u{fffd}\u{0}");
        let negative_zero = AlertCursor { p_18m: -0.0, ..c };
        assert!(negative_zero.encode().contains(".0000000000000000."));
    }
}
