//! No look-ahead: changing any input dated after month m never changes the features of
//! month m (property test over months and random perturbations).

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use vigie_core::features::CATALOGUE;
use vigie_core::{Date, Month};
use vigie_data::panel::PanelOptions;

use crate::common::{self, build, copy_dir};

/// A tiny deterministic generator for the perturbations (the proptest seed drives it).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// A random date strictly after month `m`, up to 2027.
    fn date_after(&mut self, m: Month) -> String {
        let month = m.plus(1 + self.below(30) as i32);
        format!("{month}-{:02}", 1 + self.below(28))
    }
}

/// Rewrites the data rows of a CSV file with `f` (None drops the row).
fn rewrite(dir: &Path, file: &str, mut f: impl FnMut(Vec<String>) -> Option<Vec<String>>) {
    let p = dir.join(file);
    let text = std::fs::read_to_string(&p).expect("readable");
    let mut lines = text.lines();
    let mut out = vec![lines.next().expect("header").to_owned()];
    for l in lines {
        if let Some(fields) = f(l.split(',').map(str::to_owned).collect()) {
            out.push(fields.join(","));
        }
    }
    std::fs::write(&p, out.join("\n") + "\n").expect("writable");
}

fn after_month(date: &str, m: Month) -> bool {
    Date::parse(date).is_ok_and(|d| d.month() > m)
}

/// Changes, moves, drops or adds every kind of row dated after `m`.
fn perturb(dir: &Path, m: Month, rng: &mut Lcg) {
    rewrite(dir, "tax_monthly.csv", |mut f| {
        if Month::parse(&f[1]).is_ok_and(|x| x > m) {
            if rng.chance(10) {
                return None;
            }
            f[2] = if rng.chance(20) { String::new() } else { rng.below(900_000).to_string() };
            f[3] = rng.below(500_000).to_string();
            f[4] = rng.below(2).to_string();
            f[5] = rng.below(2).to_string();
        }
        Some(f)
    });
    rewrite(dir, "social_monthly.csv", |mut f| {
        if Month::parse(&f[1]).is_ok_and(|x| x > m) {
            if rng.chance(10) {
                return None;
            }
            f[3] = rng.below(100_000).to_string();
            f[4] = rng.below(100_000).to_string();
        }
        Some(f)
    });
    rewrite(dir, "filings.csv", |mut f| {
        if after_month(&f[2], m) {
            if rng.chance(15) {
                return None;
            }
            f[2] = rng.date_after(m).max(f[1].clone());
            for v in &mut f[3..18] {
                *v = rng.below(2_000_000).to_string();
            }
        }
        Some(f)
    });
    let mut extra = Vec::new();
    rewrite(dir, "events.csv", |mut f| {
        if after_month(&f[1], m) {
            if rng.chance(20) {
                return None;
            }
            f[1] = rng.date_after(m);
            ["safeguard", "receivership", "liquidation", "plan_adoption", "closure"]
                [rng.below(5) as usize]
                .clone_into(&mut f[2]);
        }
        if rng.chance(10) {
            extra.push(vec![f[0].clone(), rng.date_after(m), "liquidation".to_owned()]);
        }
        Some(f)
    });
    let p = dir.join("events.csv");
    let mut text = std::fs::read_to_string(&p).expect("readable");
    for e in extra {
        text.push_str(&(e.join(",") + "\n"));
    }
    std::fs::write(&p, text).expect("writable");
    rewrite(dir, "companies.csv", |mut f| {
        if after_month(&f[5], m) {
            f[5] = if rng.chance(30) { String::new() } else { rng.date_after(m) };
        } else if f[5].is_empty() && rng.chance(10) {
            f[5] = rng.date_after(m);
        }
        Some(f)
    });
}

/// Features of every company present at month `m`, by company id (bit-exact).
fn features_at(dir: &Path, m: Month) -> BTreeMap<String, Vec<u64>> {
    let opts = PanelOptions { from: Some(m), to: Some(m), ..PanelOptions::default() };
    let (panel, _) = build(dir, &opts).expect("run");
    let df = common::frame(panel);
    let ids = common::texts(&df, "company_id");
    let cols: Vec<Vec<f64>> = CATALOGUE.iter().map(|s| common::floats(&df, s.name)).collect();
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| (id, cols.iter().map(|c| c[i].to_bits()).collect()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn changing_inputs_after_m_never_changes_features_at_m(offset in 3i32..44, seed in any::<u64>()) {
        // The small data set covers 2022-01..2025-12.
        let m = Month::parse("2022-01").unwrap().plus(offset);
        let original = features_at(common::small_csv(), m);
        prop_assert!(original.len() > 50, "enough companies at {}", m);
        let dir = copy_dir(common::small_csv());
        perturb(dir.path(), m, &mut Lcg(seed));
        let changed = features_at(dir.path(), m);
        prop_assert_eq!(original.len(), changed.len(), "same companies present at {}", m);
        for (id, f) in &original {
            prop_assert_eq!(Some(f), changed.get(id), "features of a company at {} changed", m);
        }
    }
}

#[test]
fn the_perturbation_does_change_later_months() {
    // Guards the property test against a perturbation that changes nothing.
    let m = Month::parse("2023-06").unwrap();
    let dir = copy_dir(common::small_csv());
    perturb(dir.path(), m, &mut Lcg(1));
    let later = m.plus(6);
    assert_ne!(features_at(common::small_csv(), later), features_at(dir.path(), later));
}
