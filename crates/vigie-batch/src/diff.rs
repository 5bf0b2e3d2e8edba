//! Month-over-month changes of alert levels.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;
use vigie_core::AlertLevel;

/// What changed between the previous run and this one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Changes {
    /// Companies in alert (orange or red) now that were green, or not scored, before.
    pub new: Vec<String>,
    /// Companies that went from orange to red.
    pub escalated: Vec<String>,
    /// Companies whose alert went down: red to orange, or red / orange to green.
    pub de_escalated: Vec<String>,
    /// Companies scored before and not now (closed, in procedure, gone from the sources).
    pub no_longer_scored: Vec<String>,
}

impl Changes {
    /// Counts of each list.
    #[must_use]
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        BTreeMap::from([
            ("new", self.new.len()),
            ("escalated", self.escalated.len()),
            ("de_escalated", self.de_escalated.len()),
            ("no_longer_scored", self.no_longer_scored.len()),
        ])
    }
}

/// Compares two runs. Both slices hold `(company_id, level)` **sorted by company id**
/// (the store returns them so); with no previous run, every alert is new.
///
/// # Panics
///
/// If either slice is not sorted by company id (a caller bug).
#[must_use]
pub fn diff(previous: &[(String, AlertLevel)], current: &[(String, AlertLevel)]) -> Changes {
    assert!(previous.is_sorted_by(|a, b| a.0 < b.0), "previous run not sorted by company id");
    assert!(current.is_sorted_by(|a, b| a.0 < b.0), "current run not sorted by company id");
    let mut out = Changes::default();
    let (mut i, mut j) = (0, 0);
    loop {
        let order = match (previous.get(i), current.get(j)) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(p), Some(c)) => p.0.cmp(&c.0),
        };
        match order {
            Ordering::Less => {
                out.no_longer_scored.push(previous[i].0.clone());
                i += 1;
            }
            Ordering::Greater => {
                if current[j].1 != AlertLevel::Green {
                    out.new.push(current[j].0.clone());
                }
                j += 1;
            }
            Ordering::Equal => {
                let (id, before, now) = (&current[j].0, previous[i].1, current[j].1);
                match (before, now) {
                    (AlertLevel::Green, AlertLevel::Orange | AlertLevel::Red) => {
                        out.new.push(id.clone());
                    }
                    (AlertLevel::Orange, AlertLevel::Red) => out.escalated.push(id.clone()),
                    (AlertLevel::Red | AlertLevel::Orange, _) if now < before => {
                        out.de_escalated.push(id.clone());
                    }
                    _ => {}
                }
                i += 1;
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlertLevel::{Green as G, Orange as O, Red as R};

    fn run(rows: &[(&str, AlertLevel)]) -> Vec<(String, AlertLevel)> {
        rows.iter().map(|(id, l)| ((*id).to_owned(), *l)).collect()
    }

    #[test]
    fn every_transition_by_hand() {
        let before = run(&[
            ("a", G), // → red: new
            ("b", G), // → orange: new
            ("c", O), // → red: escalated
            ("d", R), // → orange: de-escalated
            ("e", R), // → green: de-escalated
            ("f", O), // → green: de-escalated
            ("g", R), // → red: unchanged
            ("h", O), // gone: no longer scored
            ("i", G), // → green: unchanged
        ]);
        let now = run(&[
            ("a", R),
            ("b", O),
            ("c", R),
            ("d", O),
            ("e", G),
            ("f", G),
            ("g", R),
            ("i", G),
            ("j", O), // first seen, in alert: new
            ("k", G), // first seen, green: nothing
        ]);
        let c = diff(&before, &now);
        assert_eq!(c.new, ["a", "b", "j"]);
        assert_eq!(c.escalated, ["c"]);
        assert_eq!(c.de_escalated, ["d", "e", "f"]);
        assert_eq!(c.no_longer_scored, ["h"]);
        assert_eq!(c.counts()["new"], 3);
    }

    #[test]
    fn without_a_previous_run_every_alert_is_new() {
        let c = diff(&[], &run(&[("a", R), ("b", G), ("c", O)]));
        assert_eq!(c.new, ["a", "c"]);
        assert!(c.escalated.is_empty() && c.de_escalated.is_empty());
        assert_eq!(diff(&run(&[("a", R)]), &run(&[("a", R)])), Changes::default());
    }

    #[test]
    #[should_panic(expected = "not sorted")]
    fn unsorted_input_is_a_bug() {
        let _ = diff(&run(&[("b", G), ("a", G)]), &[]);
    }
}
