//! Cross-validation splits: stratified by label, optionally grouped (all rows of a group in
//! one fold), deterministic for a seed.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Assigns each row to one of `k` folds. Stratified: positives and negatives are shuffled
/// separately and dealt round-robin, so every fold has the same label rate (±1 row).
/// Grouped: groups are dealt instead of rows, so no group straddles folds — groups with a
/// positive first, each to the fold with the fewest positives (then negatives) so far; then
/// the groups without a positive, each to the fold with the fewest negatives. (Dealing
/// those by positives too would send them all to the one fold that had fewest positives.)
#[must_use]
pub fn assign(labels: &[bool], groups: Option<&[String]>, k: usize, seed: u64) -> Vec<usize> {
    assert!(k >= 2, "at least two folds");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut fold = vec![0usize; labels.len()];
    match groups {
        None => {
            for class in [true, false] {
                let mut idx: Vec<usize> =
                    (0..labels.len()).filter(|&i| labels[i] == class).collect();
                idx.shuffle(&mut rng);
                for (r, i) in idx.into_iter().enumerate() {
                    fold[i] = r % k;
                }
            }
        }
        Some(g) => {
            let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (i, key) in g.iter().enumerate() {
                members.entry(key.as_str()).or_default().push(i);
            }
            let mut groups: Vec<(usize, Vec<usize>)> = members
                .into_values()
                .map(|rows| (rows.iter().filter(|&&i| labels[i]).count(), rows))
                .collect();
            groups.shuffle(&mut rng);
            // Stable sort keeps the shuffled order among equals: positive-rich groups first.
            groups.sort_by_key(|g| std::cmp::Reverse(g.0));
            // (positives, negatives) per fold.
            let mut load = vec![(0usize, 0usize); k];
            for (pos, rows) in groups {
                let f = if pos > 0 {
                    (0..k).min_by_key(|&f| (load[f].0, load[f].1, f))
                } else {
                    (0..k).min_by_key(|&f| (load[f].1, f))
                }
                .expect("k > 0");
                load[f].0 += pos;
                load[f].1 += rows.len() - pos;
                for i in rows {
                    fold[i] = f;
                }
            }
        }
    }
    fold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_folds_balance_labels_and_are_deterministic() {
        let labels: Vec<bool> = (0..1000).map(|i| i % 10 == 0).collect();
        let f = assign(&labels, None, 5, 42);
        assert_eq!(f, assign(&labels, None, 5, 42));
        assert_ne!(f, assign(&labels, None, 5, 43));
        for k in 0..5 {
            let rows = f.iter().filter(|&&x| x == k).count();
            let pos = (0..1000).filter(|&i| f[i] == k && labels[i]).count();
            assert_eq!(rows, 200);
            assert_eq!(pos, 20);
        }
    }

    #[test]
    fn grouped_folds_keep_groups_together() {
        let labels: Vec<bool> = (0..600).map(|i| i % 30 == 0).collect();
        let groups: Vec<String> = (0..600).map(|i| format!("g{}", i / 6)).collect();
        let f = assign(&labels, Some(&groups), 5, 1);
        for g in 0..100 {
            let folds: std::collections::BTreeSet<_> = (g * 6..g * 6 + 6).map(|i| f[i]).collect();
            assert_eq!(folds.len(), 1, "group {g} straddles folds");
        }
        for k in 0..5 {
            let pos = (0..600).filter(|&i| f[i] == k && labels[i]).count();
            assert_eq!(pos, 4);
        }
    }

    #[test]
    fn grouped_folds_balance_negatives_when_positives_are_uneven() {
        // 1,000 groups of 24 rows; 100 of them have between 1 and 18 positive rows (uneven
        // counts: positives cannot tie across folds).
        let mut labels = Vec::new();
        let mut groups = Vec::new();
        for g in 0..1000 {
            let positives = if g % 10 == 0 { 1 + (g / 10) % 18 } else { 0 };
            for r in 0..24 {
                labels.push(r < positives);
                groups.push(format!("g{g}"));
            }
        }
        let f = assign(&labels, Some(&groups), 5, 7);
        let total_pos = labels.iter().filter(|&&l| l).count();
        for k in 0..5 {
            let rows = f.iter().filter(|&&x| x == k).count();
            let pos = (0..labels.len()).filter(|&i| f[i] == k && labels[i]).count();
            // Each fold within one group (24 rows, 18 positives) of an even share.
            assert!(rows.abs_diff(24_000 / 5) <= 24, "fold {k}: {rows} rows");
            assert!(pos.abs_diff(total_pos / 5) <= 18, "fold {k}: {pos} positives");
        }
    }
}
