//! The data fingerprint of a walk-forward model: SHA-256 of the rows its windows let it see
//! (`training.data_fingerprint` of the window's model, and through it its version).

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use vigie_core::{Horizon, Month};
use vigie_data::tabular;

use crate::panel::PanelData;
use crate::walk::Layout;

/// SHA-256 of what a model at this layout sees: months, features and known labels of the
/// rows of its windows. Changing anything the model may not know leaves it unchanged.
pub(crate) fn fingerprint(p: &PanelData, l: &Layout) -> String {
    let mut h = Sha256::new();
    h.update(format!("{l:?}").as_bytes());
    let first = [l.train.0, l.validation.0, l.term.0, l.anchor.0].into_iter().min().expect("4");
    let last = [l.train.1, l.validation.1, l.term.1, l.anchor.1].into_iter().max().expect("4");
    // The bytes of blocks of rows are built in parallel (each block's columns read forward,
    // not a row's 42 values far apart), and hashed in row order while the next blocks are
    // built: the same bytes, in the same order, as one row at a time.
    let blocks: Vec<usize> = (0..p.design.n.div_ceil(FINGERPRINT_BLOCK)).collect();
    let mut ready: Vec<Vec<u8>> = Vec::new();
    for group in blocks.chunks(FINGERPRINT_GROUP) {
        let hash = |ready: Vec<Vec<u8>>, h: &mut Sha256| {
            for b in &ready {
                h.update(b);
            }
        };
        let ((), built) = rayon::join(
            || hash(std::mem::take(&mut ready), &mut h),
            || group.par_iter().map(|&b| seen_bytes(p, l, first, last, b)).collect(),
        );
        ready = built;
    }
    for b in &ready {
        h.update(b);
    }
    tabular::hex(&h.finalize())
}

/// Rows per block of the data fingerprint.
const FINGERPRINT_BLOCK: usize = 8192;
/// Blocks built together, hashed while the next group is built.
const FINGERPRINT_GROUP: usize = 32;

/// The fingerprinted bytes of block `b`'s rows seen by a model: per row, its month, company
/// and features (bits, little-endian), then each horizon's label if known at the cutoff (2
/// otherwise).
fn seen_bytes(p: &PanelData, l: &Layout, first: Month, last: Month, b: usize) -> Vec<u8> {
    let d = &p.design;
    let rows: Vec<usize> = (b * FINGERPRINT_BLOCK..((b + 1) * FINGERPRINT_BLOCK).min(d.n))
        .filter(|&i| p.months[i] >= first && p.months[i] <= last && !p.in_procedure[i])
        .collect();
    // Where each row's feature bytes start.
    let mut at = Vec::with_capacity(rows.len());
    let mut len = 0;
    for &i in &rows {
        at.push(len + 4 + p.companies[i].len());
        len += 4 + p.companies[i].len() + 8 * d.k() + Horizon::ALL.len();
    }
    let mut bytes = vec![0u8; len];
    for (r, &i) in rows.iter().enumerate() {
        let head = at[r] - 4 - p.companies[i].len();
        bytes[head..head + 4].copy_from_slice(&p.months[i].index().to_le_bytes());
        bytes[head + 4..at[r]].copy_from_slice(p.companies[i].as_bytes());
        let m = p.months[i];
        for (k, horizon) in Horizon::ALL.iter().enumerate() {
            let known = if l.knows(m, *horizon) { p.labels[k][i] } else { None };
            bytes[at[r] + 8 * d.k() + k] = match known {
                None => 2,
                Some(b) => u8::from(b),
            };
        }
    }
    for j in 0..d.k() {
        let col = d.col(j);
        for (r, &i) in rows.iter().enumerate() {
            let o = at[r] + 8 * j;
            bytes[o..o + 8].copy_from_slice(&col[i].to_bits().to_le_bytes());
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::Design;
    use vigie_data::tabular::Texts;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn the_fingerprint_of_the_rows_seen_hashes_them_one_after_the_other() {
        // Rows over 2018-02..2025-11: more than one group of 32 blocks, so that a group is
        // hashed while the next is built; companies of ids of different lengths, missing
        // values and every label state.
        let n: usize = FINGERPRINT_GROUP * FINGERPRINT_BLOCK + 5_000;
        let months: Vec<Month> = (0..n).map(|i| m("2018-02").plus((i % 94) as i32)).collect();
        let companies = Texts {
            distinct: (0..700)
                .map(|c| format!("c{}", "x".repeat(c % 5) + &c.to_string()))
                .collect(),
            codes: (0..n).map(|i| (i / 400) as u32).collect(),
        };
        let cols: Vec<(String, Option<vigie_core::features::FeatureGroup>, Vec<f64>)> = (0..3usize)
            .map(|j| {
                let v = (0..n)
                    .map(|i| {
                        if (i + j).is_multiple_of(7) {
                            f64::NAN
                        } else {
                            (i * (j + 1)) as f64 / 3.0
                        }
                    })
                    .collect();
                (format!("f{j}"), None, v)
            })
            .collect();
        let label = |k: usize| -> Vec<Option<bool>> {
            (0..n)
                .map(|i| (!(i + k).is_multiple_of(3)).then_some((i + k).is_multiple_of(5)))
                .collect()
        };
        let p = PanelData {
            design: Design::from_columns(cols),
            months,
            companies,
            departement: Texts::default(),
            section: Texts::default(),
            size_band: Texts::default(),
            labels: [label(0), label(1), label(2), label(3)],
            in_procedure: (0..n).map(|i| i.is_multiple_of(11)).collect(),
            held_out: vec![false; n],
        };
        let l = Layout::at(m("2023-06"), m("2018-02"), 36).unwrap();
        // The reference: one row at a time, as the format says.
        let mut h = Sha256::new();
        h.update(format!("{l:?}").as_bytes());
        let first = [l.train.0, l.validation.0, l.term.0, l.anchor.0].into_iter().min().unwrap();
        let last = [l.train.1, l.validation.1, l.term.1, l.anchor.1].into_iter().max().unwrap();
        for i in 0..n {
            let mo = p.months[i];
            if mo < first || mo > last || p.in_procedure[i] {
                continue;
            }
            h.update(mo.index().to_le_bytes());
            h.update(p.companies[i].as_bytes());
            for j in 0..3 {
                h.update(p.design.col(j)[i].to_bits().to_le_bytes());
            }
            for (k, horizon) in Horizon::ALL.iter().enumerate() {
                let known = if l.knows(mo, *horizon) { p.labels[k][i] } else { None };
                h.update([known.map_or(2, u8::from)]);
            }
        }
        assert_eq!(fingerprint(&p, &l), tabular::hex(&h.finalize()));
    }
}
