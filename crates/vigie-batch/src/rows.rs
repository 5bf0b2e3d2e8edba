//! The score rows of a run, built when written rather than held: the scores file and the
//! store each take them a chunk at a time (4,000,000 [`ScoreRow`]s, seven texts each,
//! held over 2 GB at 5,000,000 companies).

use std::sync::Arc;

use rayon::prelude::*;

use vigie_core::{AlertLevel, Departement, Naf};
use vigie_data::table::{Col, Table};
use vigie_score::Score;
use vigie_store::{ScoreRow, ScoreRows};

/// A text column of the panel: a dictionary and an index per row.
struct Dict {
    texts: Arc<Vec<String>>,
    idx: Vec<u32>,
}

impl Dict {
    fn of(table: &Table, name: &str) -> Self {
        match table.column(name) {
            Some(Col::Dict(texts, idx)) => Self { texts: Arc::clone(texts), idx: idx.clone() },
            _ => unreachable!("the panel's {name} column is a dictionary"),
        }
    }

    fn get(&self, i: usize) -> &str {
        &self.texts[self.idx[i] as usize]
    }
}

/// Everything a run's rows are made of, one entry per scored company (panel order).
pub(crate) struct RunRows {
    ids: Dict,
    deps: Dict,
    nafs: Dict,
    bands: Dict,
    /// NAF section of each entry of the `naf` dictionary (`?` when unparsable).
    sections: Vec<String>,
    /// Region code of each entry of the `departement` dictionary (`?` when unknown).
    regions: Vec<String>,
    scores: Vec<Score>,
    /// (explanation, feature row as JSON) of the explained companies.
    explained: Vec<(String, String)>,
    /// Each row's entry in `explained` (`u32::MAX`: none): one load where a binary search
    /// missed the cache a dozen times per row, rows being visited in company id order.
    explained_at: Vec<u32>,
    /// Lever-range group of each (NAF dictionary entry, size band dictionary entry).
    groups: Vec<String>,
    /// The previous run's (company id, level, 18-month probability), by company id.
    before: Vec<(String, AlertLevel, f64)>,
    /// Each row's entry in `before` (`u32::MAX`: none).
    previous: Vec<u32>,
    /// Rows in ascending company id (the store's order).
    order: Vec<u32>,
}

impl RunRows {
    /// `explained`: (row, explanation, feature row as JSON) of the explained companies.
    pub(crate) fn new(
        table: &Table,
        scores: Vec<Score>,
        explained: Vec<(usize, String, String)>,
        before: Vec<(String, AlertLevel, f64)>,
    ) -> Self {
        let (ids, deps, nafs, bands) = (
            Dict::of(table, "company_id"),
            Dict::of(table, "departement"),
            Dict::of(table, "naf"),
            Dict::of(table, "size_band"),
        );
        let sections: Vec<String> = nafs
            .texts
            .iter()
            .map(|n| Naf::parse(n).map_or_else(|_| "?".to_owned(), |n| n.section().to_string()))
            .collect();
        let regions = deps
            .texts
            .iter()
            .map(|d| {
                Departement::parse(d)
                    .map_or_else(|_| "?".to_owned(), |d| d.region().code.to_owned())
            })
            .collect();
        let n = scores.len();
        let mut explained_at = vec![u32::MAX; n];
        let explained: Vec<(String, String)> = explained
            .into_iter()
            .enumerate()
            .map(|(k, (i, e, f))| {
                explained_at[i] = u32::try_from(k).expect("fewer than 2^32 companies");
                (e, f)
            })
            .collect();
        let groups = sections
            .iter()
            .flat_map(|s: &String| {
                bands.texts.iter().map(|b| vigie_score::levers::LeverRanges::group(s, b))
            })
            .collect();
        // Rows by company id: sorted on the ids' first 16 bytes held inline (the whole id
        // only to break ties), not through the dictionary's strings (cache misses: 8 s at
        // 4,000,000 rows).
        let key = |i: usize| {
            let mut k = [0u8; 16];
            let id = ids.get(i).as_bytes();
            k[..id.len().min(16)].copy_from_slice(&id[..id.len().min(16)]);
            u128::from_be_bytes(k)
        };
        let mut keyed: Vec<(u128, u32)> = (0..n)
            .into_par_iter()
            .map(|i| (key(i), u32::try_from(i).expect("fewer than 2^32 companies")))
            .collect();
        keyed.par_sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| ids.get(a.1 as usize).cmp(ids.get(b.1 as usize)))
        });
        let order: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();
        // Each row's entry in the previous run: one walk of both in company id order.
        let mut before = before;
        if !before.is_sorted_by(|a, b| a.0 <= b.0) {
            before.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        }
        let mut previous = vec![u32::MAX; n];
        let mut j = 0;
        for &i in &order {
            let id = ids.get(i as usize);
            while j < before.len() && before[j].0.as_str() < id {
                j += 1;
            }
            if j < before.len() && before[j].0 == id {
                previous[i as usize] = u32::try_from(j).expect("fewer than 2^32 companies");
            }
        }
        Self {
            ids,
            deps,
            nafs,
            bands,
            sections,
            regions,
            scores,
            explained,
            explained_at,
            groups,
            before,
            previous,
            order,
        }
    }

    /// The scores, in panel order.
    pub(crate) fn scores(&self) -> &[Score] {
        &self.scores
    }

    /// Company id of row `i`.
    pub(crate) fn id(&self, i: usize) -> &str {
        self.ids.get(i)
    }

    /// Département of row `i`.
    pub(crate) fn departement(&self, i: usize) -> &str {
        self.deps.get(i)
    }

    /// The lever-range group of row `i` (NAF section and size band).
    pub(crate) fn lever_group(&self, i: usize) -> &str {
        let bands = self.bands.texts.len();
        &self.groups[self.nafs.idx[i] as usize * bands + self.bands.idx[i] as usize]
    }

    /// The previous run's levels, by company id.
    pub(crate) fn before(&self) -> &[(String, AlertLevel, f64)] {
        &self.before
    }

    /// Row `i` (panel order).
    pub(crate) fn row(&self, i: usize) -> ScoreRow {
        let id = self.ids.get(i);
        let (previous_level, previous_p_18m) = self
            .before
            .get(self.previous[i] as usize)
            .map(|b| (b.1.as_str().to_owned(), b.2))
            .unzip();
        let s = &self.scores[i];
        let explained = self.explained.get(self.explained_at[i] as usize);
        ScoreRow {
            company_id: id.to_owned(),
            departement: self.deps.get(i).to_owned(),
            naf: self.nafs.get(i).to_owned(),
            naf_section: self.sections[self.nafs.idx[i] as usize].clone(),
            region: self.regions[self.deps.idx[i] as usize].clone(),
            size_band: self.bands.get(i).to_owned(),
            margin: s.margin,
            p: s.p,
            level: s.level.as_str().to_owned(),
            explanation: explained.map(|e| e.0.clone()),
            previous_level,
            previous_p_18m,
            features: explained.map(|e| e.1.clone()),
        }
    }

    /// (company id, level) of every row, by company id, for the comparison with the
    /// previous run.
    pub(crate) fn levels(&self) -> Vec<(&str, AlertLevel)> {
        self.order.iter().map(|&i| (self.id(i as usize), self.scores[i as usize].level)).collect()
    }
}

impl ScoreRows for RunRows {
    fn len(&self) -> usize {
        self.scores.len()
    }

    /// Built on every core: one at a time, in company id order (random in the panel's),
    /// they were the largest part of the store phase at 5,000,000 companies.
    fn rows(&self, range: std::ops::Range<usize>) -> Vec<ScoreRow> {
        self.order[range].par_iter().with_min_len(1024).map(|&i| self.row(i as usize)).collect()
    }
}
