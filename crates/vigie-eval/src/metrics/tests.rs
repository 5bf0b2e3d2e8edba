//! Tests of `metrics`.

use super::*;
use approx::assert_relative_eq;
use proptest::prelude::*;

const F: bool = false;
const T: bool = true;

/// The worked example of scikit-learn's documentation.
const SK_SCORES: [f64; 4] = [0.1, 0.4, 0.35, 0.8];
const SK_LABELS: [bool; 4] = [F, F, T, T];

#[test]
fn auc_of_the_scikit_learn_example() {
    // Pairs (positive, negative): 0.35>0.1, 0.35<0.4, 0.8>0.1, 0.8>0.4 → 3/4.
    assert_relative_eq!(roc_auc(&SK_SCORES, &SK_LABELS).unwrap(), 0.75);
}

#[test]
fn ap_of_the_scikit_learn_example() {
    // Thresholds 0.8 (R .5, P 1), 0.4 (R .5, P .5), 0.35 (R 1, P 2/3), 0.1 (R 1, P .5):
    // AP = .5·1 + 0 + .5·2/3 + 0.
    assert_relative_eq!(average_precision(&SK_SCORES, &SK_LABELS).unwrap(), 0.5 + 0.5 * 2.0 / 3.0);
}

#[test]
fn ties_count_half_and_enter_together() {
    // One pair tied at 0.6 counts half: (1 + 1 + 1 + 0.5) / 4.
    let s = [0.2, 0.6, 0.6, 0.9];
    let y = [F, T, F, T];
    assert_relative_eq!(roc_auc(&s, &y).unwrap(), 0.875);
    // 0.9: R .5, P 1; 0.6 (both together): R 1, P 2/3.
    assert_relative_eq!(average_precision(&s, &y).unwrap(), 0.5 + 0.5 * 2.0 / 3.0);
    // All tied: chance ranking, and AP is the base rate.
    let s = [0.5; 4];
    let y = [T, F, T, F];
    assert_relative_eq!(roc_auc(&s, &y).unwrap(), 0.5);
    assert_relative_eq!(average_precision(&s, &y).unwrap(), 0.5);
    // -0.0 and 0.0 are the same score.
    assert_relative_eq!(roc_auc(&[-0.0, 0.0], &[T, F]).unwrap(), 0.5);
}

#[test]
fn undefined_ranking_metrics_are_none() {
    assert_eq!(roc_auc(&[], &[]), None);
    assert_eq!(roc_auc(&[0.1, 0.2], &[T, T]), None);
    assert_eq!(roc_auc(&[0.1, 0.2], &[F, F]), None);
    assert_eq!(roc_auc(&[0.1, f64::NAN], &[T, F]), None);
    assert_eq!(average_precision(&[], &[]), None);
    assert_eq!(average_precision(&[0.1, 0.2], &[F, F]), None);
    // With positives only, every threshold has precision 1 (scikit-learn agrees).
    assert_eq!(average_precision(&[0.1, 0.2], &[T, T]), Some(1.0));
    assert_eq!(recall_at_top(&[0.1, 0.2], &[F, F], 0.5), None);
    assert_eq!(recall_at_top(&[], &[], 0.5), None);
    assert_eq!(precision_at_top(&[0.1, 0.2], &[F, F], 0.5), Some(0.0));
    assert_eq!(best_threshold_f_beta(&[0.1, 0.2], &[F, F], 1.0), None);
    assert_eq!(best_threshold_f_beta(&[], &[], 1.0), None);
}

#[test]
fn mismatched_lengths_panic_with_both_lengths() {
    let err = std::panic::catch_unwind(|| roc_auc(&[0.1, 0.2], &[T])).unwrap_err();
    let message = err.downcast_ref::<String>().unwrap();
    assert!(message.contains("(2 vs 1)"), "{message}");
}

#[test]
fn brier_by_hand() {
    let p = [0.1, 0.9, 0.8, 0.3];
    let y = [F, T, F, T];
    // (0.01 + 0.01 + 0.64 + 0.49) / 4.
    assert_relative_eq!(brier(&p, &y).unwrap(), 0.2875);
    assert_eq!(brier(&[], &[]), None);
    assert_eq!(brier(&[1.5], &[T]), None);
    assert_eq!(brier(&[f64::NAN], &[T]), None);
    assert_relative_eq!(brier(&[0.0, 0.0], &[F, F]).unwrap(), 0.0);
}

#[test]
fn calibration_by_hand() {
    let p = [0.05, 0.15, 0.12, 0.95, 1.0];
    let y = [F, T, F, T, T];
    let curve = calibration_curve(&p, &y, 10);
    assert_eq!(curve.len(), 3);
    assert_relative_eq!(curve[0].lo, 0.0);
    assert_relative_eq!(curve[0].hi, 0.1);
    assert_eq!(curve[1].count, 2);
    assert_relative_eq!(curve[1].mean_predicted, 0.135);
    assert_relative_eq!(curve[1].observed_rate, 0.5);
    // 1.0 lands in the last bin, with 0.95.
    assert_relative_eq!(curve[2].lo, 0.9);
    assert_relative_eq!(curve[2].hi, 1.0);
    assert_eq!(curve[2].count, 2);
    assert_relative_eq!(curve[2].mean_predicted, 0.975);
    // (1·0.05 + 2·0.365 + 2·0.025) / 5.
    assert_relative_eq!(
        expected_calibration_error(&p, &y, 10).unwrap(),
        0.166,
        max_relative = 1e-12
    );
    assert_eq!(expected_calibration_error(&[], &[], 10), None);
    assert_eq!(expected_calibration_error(&[-0.1], &[F], 10), None);
    assert!(calibration_curve(&[2.0], &[T], 10).is_empty());
    let json = serde_json::to_value(&curve[0]).unwrap();
    assert_eq!(json["count"], 1);
}

#[test]
fn confusion_by_hand() {
    let c = confusion_at(&SK_SCORES, &SK_LABELS, 0.35);
    assert_eq!(c, Confusion { tp: 2, fp: 1, tn: 1, fn_: 0 });
    assert_eq!(c.flagged(), 3);
    assert_relative_eq!(c.precision().unwrap(), 2.0 / 3.0);
    assert_relative_eq!(c.recall().unwrap(), 1.0);
    assert_relative_eq!(c.f_beta(1.0).unwrap(), 0.8);
    // F2 = 5·2 / (5·2 + 4·0 + 1).
    assert_relative_eq!(c.f_beta(2.0).unwrap(), 10.0 / 11.0);
    // F0 is the precision.
    assert_relative_eq!(c.f_beta(0.0).unwrap(), 2.0 / 3.0);
    let none = confusion_at(&SK_SCORES, &SK_LABELS, 0.9);
    assert_eq!(none.precision(), None);
    assert_eq!(none.f_beta(1.0), Some(0.0));
    assert_eq!(none.f_beta(0.0), None);
    assert_eq!(Confusion::default().recall(), None);
    let json = serde_json::to_value(c).unwrap();
    assert_eq!(json["fn"], 0);
    assert_eq!(json["tp"], 2);
}

#[test]
fn best_threshold_by_hand() {
    // F1 at 0.8: 2/3, 0.4: 1/2, 0.35: 4/5, 0.1: 2/3.
    let best = best_threshold_f_beta(&SK_SCORES, &SK_LABELS, 1.0).unwrap();
    assert_relative_eq!(best.threshold, 0.35);
    assert_relative_eq!(best.f_beta, 0.8);
    assert_relative_eq!(best.precision, 2.0 / 3.0);
    assert_relative_eq!(best.recall, 1.0);
    assert_eq!(best.flagged, 3);
    let c = confusion_at(&SK_SCORES, &SK_LABELS, best.threshold);
    assert_eq!(c.precision(), Some(best.precision));
    assert_eq!(c.recall(), Some(best.recall));
}

#[test]
fn best_threshold_ties_go_to_the_higher_threshold() {
    // F1 is 2/3 at 0.9 (1 flagged) and at 0.6 (4 flagged): keep 0.9.
    let s = [0.9, 0.8, 0.7, 0.6];
    let y = [T, F, F, T];
    let best = best_threshold_f_beta(&s, &y, 1.0).unwrap();
    assert_relative_eq!(best.threshold, 0.9);
    assert_eq!(best.flagged, 1);
    assert_relative_eq!(best.f_beta, 2.0 / 3.0);
}

#[test]
fn top_k_by_hand() {
    let s = [0.9, 0.5, 0.5, 0.1];
    let y = [F, F, T, T];
    // Top 2 are indices 0 and 1: the tie at 0.5 goes to the lower index.
    assert_relative_eq!(recall_at_top(&s, &y, 0.5).unwrap(), 0.0);
    assert_relative_eq!(precision_at_top(&s, &y, 0.5).unwrap(), 0.0);
    // ceil(0.6·4) = 3.
    assert_relative_eq!(recall_at_top(&s, &y, 0.6).unwrap(), 0.5);
    assert_relative_eq!(precision_at_top(&s, &y, 0.6).unwrap(), 1.0 / 3.0);
    assert_relative_eq!(recall_at_top(&s, &y, 1.0).unwrap(), 1.0);
    // A tiny fraction still looks at one example.
    assert_relative_eq!(precision_at_top(&[0.2, 0.3], &[F, T], 0.001).unwrap(), 1.0);
    assert_eq!(top_count(30, 0.1), 3);
    assert_eq!(top_count(1000, 0.01), 10);
    assert_eq!(top_count(7, 0.1), 1);
    assert_eq!(top_count(11, 0.1), 2);
}

#[test]
fn summary_of_probabilities_and_margins() {
    let p = [0.1, 0.9, 0.8, 0.3];
    let y = [F, T, F, T];
    let s = summarize(&p, &y);
    assert_eq!((s.n, s.positives), (4, 2));
    assert_relative_eq!(s.roc_auc.unwrap(), 0.75);
    assert_relative_eq!(s.brier.unwrap(), 0.2875);
    assert!(s.ece.is_some());
    // Top 1 % of 4 is one example: the 0.9, a positive.
    assert_relative_eq!(s.recall_top1.unwrap(), 0.5);
    let margins = summarize_scores(&[-2.0, 3.0, 1.0, 0.5], &y, ScoreKind::Margin);
    assert_eq!(margins.brier, None);
    assert_eq!(margins.ece, None);
    assert_eq!(margins.roc_auc, s.roc_auc);
    let json = serde_json::to_value(Summary::default()).unwrap();
    assert!(json["roc_auc"].is_null());
    assert_eq!(json["n"], 0);
}

#[test]
fn breakdown_suppresses_small_cells() {
    let p = [0.9, 0.2, 0.7, 0.1, 0.5, 0.4, 0.3, 0.6, 0.8];
    let y = [T, F, T, F, T, F, F, T, F];
    let g = ["b", "b", "b", "b", "a", "a", "c", "d", "e"];
    let rows = breakdown(&p, &y, &g, 2, 1);
    let names: Vec<&str> = rows.iter().map(|r| r.group.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    let a = &rows[0];
    assert!(!a.suppressed);
    assert_eq!((a.n, a.positives), (2, 1));
    assert_relative_eq!(a.roc_auc.unwrap(), 1.0);
    assert_relative_eq!(a.observed_rate.unwrap(), 0.5);
    assert_relative_eq!(a.mean_predicted.unwrap(), 0.45);
    let b = &rows[1];
    assert_relative_eq!(b.average_precision.unwrap(), 1.0);
    assert_relative_eq!(b.recall_top10.unwrap(), 0.5);
    // "c", "d" and "e" have one example each: nothing about them is published, and
    // together (3 rows, 1 positive) they are no small cell, so nothing more is hidden.
    for c in &rows[2..] {
        assert!(c.suppressed);
        assert_eq!((c.n, c.positives), (0, 0));
        assert_eq!(c.mean_predicted, None);
        assert_eq!(c.observed_rate, None);
    }
}

#[test]
fn breakdown_suppression_is_complementary() {
    // "c" alone is suppressed, but the totals minus "a" and "b" would give it back:
    // the smallest other cell, "a", is suppressed too.
    let p = [0.9, 0.2, 0.7, 0.1, 0.5, 0.4, 0.3];
    let y = [T, F, T, F, T, F, F];
    let g = ["b", "b", "b", "b", "a", "a", "c"];
    let rows = breakdown(&p, &y, &g, 2, 1);
    let hidden: Vec<bool> = rows.iter().map(|r| r.suppressed).collect();
    assert_eq!(hidden, [true, false, true]);
    assert_eq!((rows[0].n, rows[0].positives), (0, 0));
    assert_eq!((rows[1].n, rows[1].positives), (4, 2));
    // Suppressed cells with no positive at all are no better: 2 rows, 0 positives.
    let g = ["b", "b", "b", "b", "a", "a", "a"];
    let y = [T, F, T, F, F, F, F];
    let rows = breakdown(&p, &y, &g, 2, 1);
    assert!(rows[0].suppressed && rows[1].suppressed, "one published cell would reveal it");
}

#[test]
fn psi_by_hand() {
    let base: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
    assert_relative_eq!(psi(&base, &base, 10).unwrap(), 0.0);
    // Uniform on [0.3, 1.3): three deciles empty (share floored), the top one holds 0.4.
    let shifted: Vec<f64> = base.iter().map(|v| v + 0.3).collect();
    let value = psi(&base, &shifted, 10).unwrap();
    let expected = 3.0 * (1e-4 - 0.1) * (1e-4f64 / 0.1).ln() + 0.3 * 4f64.ln();
    assert_relative_eq!(value, expected, max_relative = 1e-2);
    assert!(value > 0.1);
    // NaN is ignored; nothing finite is undefined.
    let mut with_nan = base.clone();
    with_nan.push(f64::NAN);
    assert_relative_eq!(psi(&base, &with_nan, 10).unwrap(), 0.0);
    assert_eq!(psi(&[f64::NAN], &base, 10), None);
    assert_eq!(psi(&base, &[], 10), None);
    // A mass point at zero: the deciles 0.1–0.5 are all 0 and merge into one right-closed
    // bin holding the 60 zeros, so the zeros never fall into an empty bin.
    let zeros: Vec<f64> = (0..100).map(|i| if i < 60 { 0.0 } else { f64::from(i) }).collect();
    let mut edges: Vec<f64> = (1..10).map(|i| quantile(&zeros, f64::from(i) / 10.0)).collect();
    edges.dedup();
    assert_eq!(edges.len(), 5);
    assert_relative_eq!(psi_shares(&zeros, &edges)[0], 0.6);
}

#[test]
fn psi_profile_by_hand() {
    // Reference: 0..100, quartile bins; edges 24.75, 49.5, 74.25.
    let reference: Vec<f64> = (0..100).map(f64::from).collect();
    let p = PsiProfile::of(&reference, 4).unwrap();
    assert_eq!(p.edges, [24.75, 49.5, 74.25]);
    assert_eq!(p.shares, [0.25, 0.25, 0.25, 0.25]);
    assert_eq!(p.missing, 0.0);
    assert_relative_eq!(p.psi(&reference).unwrap(), 0.0);
    // Actual: half in the first bin, half missing. Terms: first bin (0.5-0.25)ln 2,
    // three empty bins 3(1e-4-0.25)ln(1e-4/0.25), missing (0.5-1e-4)ln(0.5/1e-4).
    let actual: Vec<f64> = (0..100).map(|i| if i < 50 { 1.0 } else { f64::NAN }).collect();
    let expected = 0.25 * 2f64.ln()
        + 3.0 * (1e-4 - 0.25) * (1e-4f64 / 0.25).ln()
        + (0.5 - 1e-4) * (0.5f64 / 1e-4).ln();
    assert_relative_eq!(p.psi(&actual).unwrap(), expected, max_relative = 1e-12);
    // Without missing values it agrees with `psi`.
    let shifted: Vec<f64> = reference.iter().map(|v| v + 30.0).collect();
    assert_relative_eq!(
        p.psi(&shifted).unwrap(),
        psi(&reference, &shifted, 4).unwrap(),
        max_relative = 1e-12
    );
    // Round trip through JSON (the profile is stored in run reports).
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<PsiProfile>(&json).unwrap(), p);
    assert_eq!(PsiProfile::of(&[], 4), None);
    assert_eq!(p.psi(&[]), None);
}

/// Brute-force AUC over all pairs.
fn auc_pairs(s: &[f64], y: &[bool]) -> Option<f64> {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (i, &si) in s.iter().enumerate() {
        for (j, &sj) in s.iter().enumerate() {
            if y[i] && !y[j] {
                pairs += 1.0;
                wins += match si.partial_cmp(&sj).unwrap() {
                    Ordering::Greater => 1.0,
                    Ordering::Equal => 0.5,
                    Ordering::Less => 0.0,
                };
            }
        }
    }
    (pairs > 0.0).then(|| wins / pairs)
}

/// Scores on a small grid, so that ties are frequent, with their labels.
fn scored() -> impl Strategy<Value = (Vec<f64>, Vec<bool>)> {
    prop::collection::vec((0u8..12, any::<bool>()), 0..40)
        .prop_map(|v| v.into_iter().map(|(s, y)| (f64::from(s) / 11.0, y)).unzip())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn auc_matches_pair_counting((s, y) in scored()) {
        match (roc_auc(&s, &y), auc_pairs(&s, &y)) {
            (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-12),
            (a, b) => prop_assert_eq!(a, b),
        }
    }

    #[test]
    fn auc_is_invariant_to_increasing_transforms((s, y) in scored()) {
        let t: Vec<f64> = s.iter().map(|v| (3.0 * v).exp() + v.powi(3) - 7.0).collect();
        prop_assert_eq!(roc_auc(&s, &y), roc_auc(&t, &y));
        prop_assert_eq!(average_precision(&s, &y), average_precision(&t, &y));
    }

    #[test]
    fn auc_of_negated_scores_is_the_complement((s, y) in scored()) {
        let neg: Vec<f64> = s.iter().map(|v| -v).collect();
        if let (Some(a), Some(b)) = (roc_auc(&s, &y), roc_auc(&neg, &y)) {
            prop_assert!((a + b - 1.0).abs() < 1e-12);
        } else {
            prop_assert_eq!(roc_auc(&s, &y), None);
            prop_assert_eq!(roc_auc(&neg, &y), None);
        }
    }

    #[test]
    fn ap_matches_the_thresholds_definition((s, y) in scored()) {
        // AP from confusion_at at every distinct score, highest first.
        let mut thresholds = s.clone();
        thresholds.sort_by(|a, b| b.total_cmp(a));
        thresholds.dedup();
        let mut previous_recall = 0.0;
        let mut ap = 0.0;
        for &t in &thresholds {
            let c = confusion_at(&s, &y, t);
            if let (Some(p), Some(r)) = (c.precision(), c.recall()) {
                ap += (r - previous_recall) * p;
                previous_recall = r;
            }
        }
        match average_precision(&s, &y) {
            Some(v) => prop_assert!((v - ap).abs() < 1e-12, "{} vs {}", v, ap),
            None => prop_assert!(!y.contains(&true)),
        }
    }

    #[test]
    fn best_threshold_beats_every_observed_threshold((s, y) in scored(), beta in 0.25f64..4.0) {
        let Some(best) = best_threshold_f_beta(&s, &y, beta) else {
            prop_assert!(s.is_empty() || !y.contains(&true));
            return Ok(());
        };
        for &t in &s {
            if let Some(f) = confusion_at(&s, &y, t).f_beta(beta) {
                prop_assert!(best.f_beta >= f - 1e-9, "{} < {} at {}", best.f_beta, f, t);
                // Ties go to the higher threshold.
                if (best.f_beta - f).abs() <= 1e-9 {
                    prop_assert!(best.threshold >= t);
                }
            }
        }
        let c = confusion_at(&s, &y, best.threshold);
        prop_assert_eq!(c.precision(), Some(best.precision));
        prop_assert_eq!(c.recall(), Some(best.recall));
        prop_assert_eq!(c.flagged(), best.flagged);
        prop_assert_eq!(c.f_beta(beta), Some(best.f_beta));
    }

    #[test]
    fn psi_is_zero_on_itself_and_never_negative(
        a in prop::collection::vec(-5.0f64..5.0, 1..60),
        b in prop::collection::vec(-5.0f64..5.0, 1..60),
        bins in 1usize..12,
    ) {
        prop_assert!(psi(&a, &a, bins).unwrap().abs() < 1e-12);
        prop_assert!(psi(&a, &b, bins).unwrap() >= 0.0);
    }
}
