//! Month-over-month changes of alert levels.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;
use vigie_core::{AlertLevel, Change};

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

/// Compares two runs of `(company_id, level)`; with no previous run, every alert is new.
/// Both are sorted by company id first (the store returns them so: then sorting costs one
/// pass). What counts as a first alert, an escalation or a de-escalation is
/// [`Change::between`].
#[must_use]
pub fn diff<S: AsRef<str>>(
    previous: &mut [(S, AlertLevel)],
    current: &mut [(S, AlertLevel)],
) -> Changes {
    previous.sort_unstable_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    current.sort_unstable_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    // A run holds a company once (the store's key): a duplicate is a bug upstream that
    // would miscount the changes.
    for run in [&*previous, &*current] {
        assert!(
            run.windows(2).all(|w| w[0].0.as_ref() < w[1].0.as_ref()),
            "a company id twice in one run"
        );
    }
    let mut out = Changes::default();
    let (mut i, mut j) = (0, 0);
    loop {
        let order = match (previous.get(i), current.get(j)) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(p), Some(c)) => p.0.as_ref().cmp(c.0.as_ref()),
        };
        let (before, now) = match order {
            Ordering::Less => {
                out.no_longer_scored.push(previous[i].0.as_ref().to_owned());
                i += 1;
                continue;
            }
            Ordering::Greater => (None, &current[j]),
            Ordering::Equal => {
                i += 1;
                (Some(previous[i - 1].1), &current[j])
            }
        };
        j += 1;
        let list = match Change::between(before, now.1) {
            Change::FirstAlert => &mut out.new,
            Change::Escalated => &mut out.escalated,
            Change::DeEscalated => &mut out.de_escalated,
            Change::Unchanged => continue,
        };
        list.push(now.0.as_ref().to_owned());
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
        let c = diff(&mut before.clone(), &mut now.clone());
        assert_eq!(c.new, ["a", "b", "j"]);
        assert_eq!(c.escalated, ["c"]);
        assert_eq!(c.de_escalated, ["d", "e", "f"]);
        assert_eq!(c.no_longer_scored, ["h"]);
        assert_eq!(c.counts()["new"], 3);
    }

    #[test]
    fn without_a_previous_run_every_alert_is_new() {
        let c = diff(&mut [], &mut run(&[("a", R), ("b", G), ("c", O)]));
        assert_eq!(c.new, ["a", "c"]);
        assert!(c.escalated.is_empty() && c.de_escalated.is_empty());
        assert_eq!(diff(&mut run(&[("a", R)]), &mut run(&[("a", R)])), Changes::default());
    }

    #[test]
    fn unsorted_runs_give_the_same_changes() {
        let mut before = run(&[("c", O), ("a", G), ("b", R)]);
        let mut now = run(&[("b", G), ("d", R), ("c", R)]);
        let c = diff(&mut before, &mut now);
        assert_eq!(c.new, ["d"]);
        assert_eq!(c.escalated, ["c"]);
        assert_eq!(c.de_escalated, ["b"]);
        assert_eq!(c.no_longer_scored, ["a"]);
    }
}
