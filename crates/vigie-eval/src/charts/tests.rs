//! Tests of `charts`.

use super::*;
use approx::assert_relative_eq;

/// A minimal well-formedness check: tags balance, attributes are quoted, every `&`
/// starts an entity. Enough for the SVG written here (no comments, no CDATA).
fn check_well_formed(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find(['<', '&']) {
        check_text(&rest[..start]);
        rest = &rest[start..];
        if rest.starts_with('&') {
            let end = rest.find(';').expect("unterminated entity");
            let entity = &rest[1..end];
            assert!(
                ["amp", "lt", "gt", "quot", "#39"].contains(&entity),
                "unknown entity &{entity};"
            );
            rest = &rest[end + 1..];
            continue;
        }
        let end = tag_end(rest);
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().unwrap_or_else(|| panic!("stray </{name}>"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
        } else {
            let self_closing = tag.ends_with('/');
            let name: String =
                tag.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == ':').collect();
            assert!(!name.is_empty(), "empty tag name in <{tag}>");
            if !self_closing {
                stack.push(name);
            }
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

/// Text between tags must not hold a raw `>` (a sign of broken escaping).
fn check_text(text: &str) {
    assert!(!text.contains('>'), "raw '>' in text: {text:?}");
}

/// Index of the `>` ending the tag at the start of `s`, skipping quoted values (which
/// must not contain `<`).
fn tag_end(s: &str) -> usize {
    let mut quoted = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '"' => quoted = !quoted,
            '<' => panic!("'<' inside a tag: {}", &s[..i]),
            '>' if !quoted => return i,
            _ => {}
        }
    }
    panic!("unterminated tag: {s}");
}

fn series() -> Vec<Series> {
    vec![
        Series {
            name: "model <A> & \"B\"".to_owned(),
            points: vec![(0.0, 0.0), (0.5, 0.8), (1.0, 1.0)],
            dashed: false,
        },
        Series {
            name: "baseline".to_owned(),
            points: vec![(0.0, 0.2), (f64::NAN, 0.5), (1.0, 0.2)],
            dashed: true,
        },
    ]
}

#[test]
fn line_chart_is_well_formed_accessible_and_escaped() {
    let svg =
        line_chart("Risk <by> \"sector\" & size", "x", "y", &series(), (0.0, 1.0), (0.0, 1.0));
    check_well_formed(&svg);
    assert!(svg.contains("role=\"img\""));
    assert!(svg.contains("viewBox=\"0 0 480 320\""));
    assert!(svg.contains("Risk &lt;by&gt; &quot;sector&quot; &amp; size</title>"));
    assert!(svg.contains("<desc id="));
    assert!(svg.contains("model &lt;A&gt; &amp; &quot;B&quot;"));
    assert!(svg.contains("stroke-dasharray=\"6 4\""));
    assert!(!svg.contains("<script"));
    assert!(!svg.contains('\u{1}'));
    // Every font size is readable.
    for size in svg.split("font-size=\"").skip(1) {
        let size: f64 = size[..size.find('"').unwrap()].parse().unwrap();
        assert!(size >= 11.0);
    }
    // Ticks on both axes at 0, 0.2, …, 1.
    assert!(svg.contains(">0.6</text>"));
    assert_eq!(svg.matches(">0.2</text>").count(), 2);
}

#[test]
fn charts_are_deterministic_with_content_ids() {
    let a = line_chart("t", "x", "y", &series(), (0.0, 1.0), (0.0, 1.0));
    let b = line_chart("t", "x", "y", &series(), (0.0, 1.0), (0.0, 1.0));
    assert_eq!(a, b);
    let other = line_chart("t2", "x", "y", &series(), (0.0, 1.0), (0.0, 1.0));
    let id = |s: &str| s[s.find("vigie-chart-").unwrap()..][..28].to_owned();
    assert_ne!(id(&a), id(&other));
    let s = [0.1, 0.4, 0.35, 0.8];
    let y = [false, false, true, true];
    assert_eq!(roc_chart(&s, &y), roc_chart(&s, &y));
    assert_eq!(pr_chart(&s, &y), pr_chart(&s, &y));
}

#[test]
fn roc_of_a_perfect_ranker_passes_through_the_corner() {
    let s: Vec<f64> = (0..20).map(f64::from).collect();
    let y: Vec<bool> = (0..20).map(|i| i >= 12).collect();
    let svg = roc_chart(&s, &y);
    check_well_formed(&svg);
    assert!(svg.contains("ROC curve (AUC 1.000)"));
    let scale = Scale::new((0.0, 1.0), (0.0, 1.0));
    let corner = format!("L{:.1},{:.1}", scale.sx(0.0), scale.sy(1.0));
    assert_eq!(corner, "L60.0,36.0");
    let model_path =
        svg.lines().find(|l| l.contains(PALETTE[0]) && l.starts_with("<path")).unwrap();
    assert!(model_path.contains(&corner), "{model_path}");
    assert!(model_path.starts_with(&format!(
        "<path d=\"M{:.1},{:.1}",
        scale.sx(0.0),
        scale.sy(0.0)
    )));
    assert!(svg.contains(">chance</text>"));
}

#[test]
fn long_curves_are_thinned() {
    let n = 10_000;
    let s: Vec<f64> = (0..n).map(|i| f64::from((i * 7919) % n)).collect();
    let y: Vec<bool> = (0..n).map(|i| i % 13 == 0).collect();
    for svg in [roc_chart(&s, &y), pr_chart(&s, &y)] {
        check_well_formed(&svg);
        let model_path =
            svg.lines().find(|l| l.contains(PALETTE[0]) && l.starts_with("<path")).unwrap();
        let points = model_path.matches(['M', 'L']).count();
        assert!(points <= MAX_POINTS + 1, "{points} points");
        assert!(svg.len() < 20_000, "{} bytes", svg.len());
    }
    let thinned = downsample(&(0..1000).map(|i| (f64::from(i), 0.0)).collect::<Vec<_>>(), 400);
    assert!(thinned.len() <= 400);
    assert_relative_eq!(thinned[0].0, 0.0);
    assert_relative_eq!(thinned[thinned.len() - 1].0, 999.0);
}

#[test]
fn pr_chart_draws_the_ap_steps_and_base_rate() {
    let s = [0.1, 0.4, 0.35, 0.8];
    let y = [false, false, true, true];
    let svg = pr_chart(&s, &y);
    check_well_formed(&svg);
    assert!(svg.contains("(AP 0.833)"));
    assert!(svg.contains(">base rate 0.5</text>"));
    // The first step holds precision 1 from recall 0 to 0.5.
    let scale = Scale::new((0.0, 1.0), (0.0, 1.0));
    let step = format!(
        "M{:.1},{:.1}L{:.1},{:.1}",
        scale.sx(0.0),
        scale.sy(1.0),
        scale.sx(0.5),
        scale.sy(1.0)
    );
    assert!(svg.contains(&step), "{svg}");
}

#[test]
fn undefined_curves_still_render() {
    for svg in [
        roc_chart(&[0.1, 0.2], &[true, true]),
        pr_chart(&[], &[]),
        calibration_chart(&[], &[], 10),
        histogram_chart("empty", &[], 10, (0.0, 0.0)),
    ] {
        check_well_formed(&svg);
        assert!(svg.contains("role=\"img\""));
    }
    assert!(roc_chart(&[0.1, 0.2], &[true, true]).contains("AUC n/a"));
}

#[test]
fn calibration_axes_zoom_on_low_probabilities() {
    let p = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06];
    let y = [false, false, false, false, false, true];
    let svg = calibration_chart(&p, &y, 20);
    check_well_formed(&svg);
    // Highest point: observed 1/2 in the bin [0.05, 0.1) → axes to 0.55, not 1.
    assert!(svg.contains("from 0 to 0.55."), "{svg}");
    assert!(svg.contains(">perfect</text>"));
    assert!(svg.contains("<circle"));
    assert!(svg.contains("ECE "));
}

#[test]
fn histogram_is_a_density_per_class() {
    let negatives: Vec<f64> = (0..900).map(|i| f64::from(i) / 1000.0).collect();
    let positives = [0.85, 0.95, 0.9, 2.0];
    let svg = histogram_chart(
        "Scores by outcome",
        &[("survived", &negatives), ("failed", &positives)],
        10,
        (0.0, 1.0),
    );
    check_well_formed(&svg);
    // The value outside the range is left out of the count.
    assert!(svg.contains("failed (n = 3)"));
    assert!(svg.contains("survived (n = 900)"));
    assert!(svg.contains("stroke-dasharray"));
    // Failed: 1 value in [0.8, 0.9), 2 in [0.9, 1] → densities 3.33 and 6.67; the y axis
    // runs to 6.67·1.1.
    assert!(svg.contains("from 0 to 7.333"), "{svg}");
}

#[test]
fn ticks_are_nice_and_compact() {
    let (t, step) = ticks((0.0, 1.0));
    assert_eq!(t.len(), 6);
    assert_relative_eq!(step, 0.2);
    let (t, _) = ticks((0.0, 0.367));
    assert!((4..=8).contains(&t.len()), "{t:?}");
    let (t, step) = ticks((0.0, 50_000.0));
    assert!((5..=6).contains(&t.len()), "{t:?}");
    assert_eq!(tick_label(t[1], step), "10k");
    assert_eq!(tick_label(0.25, 0.25), "0.25");
    assert_eq!(tick_label(-0.0, 0.1), "0.0");
    assert_eq!(tick_label(3.0, 1.0), "3");
    assert_eq!(escape("a\u{1}<b>"), "a&lt;b&gt;");
}

#[test]
fn nice_ceilings_are_round_axis_ends() {
    assert!((nice_ceiling(0.37) - 0.5).abs() < 1e-12);
    assert!((nice_ceiling(0.2) - 0.2).abs() < 1e-12);
    assert!((nice_ceiling(0.021) - 0.025).abs() < 1e-12);
    assert!((nice_ceiling(0.0) - 1.0).abs() < 1e-12);
    assert!((nice_ceiling(f64::NAN) - 1.0).abs() < 1e-12);
    assert!((nice_ceiling(14_345.0) - 20_000.0).abs() < 1e-9);
    assert!((nice_ceiling(6.0) - 10.0).abs() < 1e-12);
}
