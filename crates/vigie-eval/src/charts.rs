//! Server-side SVG charts of model evaluation: ROC, precision–recall, calibration and
//! score histograms, as self-contained strings (no JavaScript, no external style sheet).
//!
//! Every chart is meant to be read by everyone: `role="img"` with a `<title>` and a
//! `<desc>` (wired with `aria-labelledby` / `aria-describedby`) that state what the chart
//! shows in words, axis labels, font sizes of at least 11, and series told apart by line
//! style and legend text, never by colour alone. Element ids are derived from a hash of the
//! chart content, so that several charts inlined in one page do not collide and the same
//! input always gives the same bytes.

use std::fmt::Write as _;

use serde::Serialize;

use crate::metrics;

/// Width of the view box.
pub const WIDTH: f64 = 480.0;
/// Height of the view box.
pub const HEIGHT: f64 = 320.0;

/// Most points drawn per curve: enough for a smooth curve at this size, small enough to
/// keep a report of a million scores light.
pub const MAX_POINTS: usize = 400;

// The plot area inside the view box; the margins hold the title (top), the tick labels and
// the y label (left), the tick labels, the x label and up to two legend rows (bottom).
const PLOT_LEFT: f64 = 60.0;
const PLOT_RIGHT: f64 = WIDTH - 16.0;
const PLOT_TOP: f64 = 36.0;
const PLOT_BOTTOM: f64 = 236.0;

/// Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
const PALETTE: [&str; 6] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];
/// Reference lines (chance, perfect calibration, base rate) are grey and dashed.
const REFERENCE: &str = "#666666";
/// Dash patterns cycled by histogram classes, so that classes differ without colour.
const DASHES: [Option<&str>; 4] = [None, Some("6 4"), Some("2 3"), Some("10 3 2 3")];
const DASHED: &str = "6 4";

/// One named curve of a [`line_chart`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points in data coordinates, in drawing order; a non-finite point breaks the line.
    pub points: Vec<(f64, f64)>,
    /// Dashed instead of solid: the legend shows the same style.
    pub dashed: bool,
}

/// A series with everything needed to draw it.
struct Line<'a> {
    name: &'a str,
    points: &'a [(f64, f64)],
    colour: &'static str,
    dash: Option<&'static str>,
    markers: bool,
}

/// Axes, labels and the sentence describing the chart.
struct Frame<'a> {
    title: &'a str,
    desc: String,
    x_label: &'a str,
    y_label: &'a str,
    x_range: (f64, f64),
    y_range: (f64, f64),
}

/// Escapes text for XML content and attribute values, dropping the control characters
/// that XML 1.0 forbids.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A usable axis range: finite and increasing, widened around a single value.
fn sane_range((lo, hi): (f64, f64)) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        (0.0, 1.0)
    } else if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    }
}

/// Maps data coordinates to the plot area.
#[derive(Clone, Copy)]
struct Scale {
    x: (f64, f64),
    y: (f64, f64),
}

impl Scale {
    fn new(x: (f64, f64), y: (f64, f64)) -> Self {
        Self { x: sane_range(x), y: sane_range(y) }
    }

    fn sx(self, x: f64) -> f64 {
        PLOT_LEFT + (x - self.x.0) / (self.x.1 - self.x.0) * (PLOT_RIGHT - PLOT_LEFT)
    }

    fn sy(self, y: f64) -> f64 {
        PLOT_BOTTOM - (y - self.y.0) / (self.y.1 - self.y.0) * (PLOT_BOTTOM - PLOT_TOP)
    }
}

/// The mantissas of "nice" numbers: ticks and axis ends are 1, 2, 2.5 or 5 times a power
/// of ten.
const NICE: [f64; 4] = [1.0, 2.0, 2.5, 5.0];

/// The smallest nice number (see [`NICE`]) at or above `x`: a round axis maximum (1 for
/// zero, negative or non-finite values). The dashboard's charts use it too.
#[must_use]
pub fn nice_ceiling(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let base = 10f64.powf(x.log10().floor());
    NICE.iter()
        .chain(&[10.0])
        .map(|m| m * base)
        .find(|v| *v >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * base)
}

/// "Nice" ticks (steps of 1, 2, 2.5 or 5 times a power of ten) inside `[lo, hi]`, about
/// five or six of them, and the step.
fn ticks((lo, hi): (f64, f64)) -> (Vec<f64>, f64) {
    let span = hi - lo;
    let magnitude = 10f64.powf((span / 5.0).log10().floor());
    let count = |step: f64| {
        // A little slack so that a tick sitting on an end of the range is not lost to
        // rounding.
        let first = (lo / step - 1e-9).ceil();
        let last = (hi / step + 1e-9).floor();
        (first, last, (last - first) as i64 + 1)
    };
    // Ranked by distance to the 5–6 band, then steps of 2.5 last (their labels need one
    // more digit), then the larger step (fewer labels).
    let mut best: Option<((i64, bool), f64)> = None;
    for power in [0.1, 1.0, 10.0] {
        for mantissa in NICE {
            let step = mantissa * magnitude * power;
            let (_, _, n) = count(step);
            let miss = if n < 5 { 5 - n } else { (n - 6).max(0) };
            let rank = (miss, mantissa == 2.5);
            if best.is_none_or(|(r, s)| rank < r || (rank == r && step > s)) {
                best = Some((rank, step));
            }
        }
    }
    let step = best.map_or(span, |(_, s)| s);
    let (first, last, _) = count(step);
    let values = (first as i64..=last as i64).map(|i| i as f64 * step).collect();
    (values, step)
}

/// Compact tick label: as many decimals as the step needs, thousands as "k" and millions
/// as "M".
fn tick_label(value: f64, step: f64) -> String {
    let (value, step, suffix) = if step >= 1e6 {
        (value / 1e6, step / 1e6, "M")
    } else if step >= 1e3 {
        (value / 1e3, step / 1e3, "k")
    } else {
        (value, step, "")
    };
    let decimals = (0..=6)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(6) as usize;
    let text = format!("{value:.decimals$}");
    // "-0" and "-0.00" are rounding artefacts of a tick at zero.
    if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        format!("{}{suffix}", text.trim_start_matches('-'))
    } else {
        format!("{text}{suffix}")
    }
}

/// A number for a title or description: three decimals, or "n/a".
fn metric_text(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"))
}

/// At most `max` points, keeping the first and the last and a regular stride between.
fn downsample(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let stride = (points.len() - 1).div_ceil(max - 1);
    let mut out: Vec<(f64, f64)> = points.iter().copied().step_by(stride).collect();
    if !(points.len() - 1).is_multiple_of(stride) {
        out.push(points[points.len() - 1]);
    }
    out
}

/// SVG path data of a polyline in plot coordinates; non-finite points break it.
fn path_data(points: &[(f64, f64)], scale: Scale) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for &(x, y) in points {
        if !(x.is_finite() && y.is_finite()) {
            pen_down = false;
            continue;
        }
        let command = if pen_down { 'L' } else { 'M' };
        let _ = write!(d, "{command}{:.1},{:.1}", scale.sx(x), scale.sy(y));
        pen_down = true;
    }
    d
}

/// FNV-1a: a stable, dependency-free hash for element ids (not for security).
fn fnv1a(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Stands for the element id prefix until the content, and so its hash, is known. A
/// control character cannot come out of [`escape`], so it cannot clash with any text.
const ID: &str = "\u{1}";

/// Draws a complete chart.
fn render(frame: &Frame, lines: &[Line]) -> String {
    let scale = Scale::new(frame.x_range, frame.y_range);
    let mut body = String::new();
    let _ = write!(
        body,
        "<title id=\"{ID}-title\">{}</title>\n<desc id=\"{ID}-desc\">{}</desc>\n",
        escape(frame.title),
        escape(&frame.desc)
    );
    let (w, h) = (PLOT_RIGHT - PLOT_LEFT, PLOT_BOTTOM - PLOT_TOP);
    let _ = writeln!(
        body,
        "<defs><clipPath id=\"{ID}-clip\"><rect x=\"{PLOT_LEFT}\" y=\"{PLOT_TOP}\" \
         width=\"{w}\" height=\"{h}\"/></clipPath></defs>"
    );
    // An opaque background keeps the chart readable on a dark dashboard theme.
    let _ = writeln!(body, "<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#ffffff\"/>");
    let _ = writeln!(
        body,
        "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" \
         font-weight=\"bold\">{}</text>",
        WIDTH / 2.0,
        escape(frame.title)
    );
    write_axes(&mut body, frame, scale);
    let _ = writeln!(body, "<g clip-path=\"url(#{ID}-clip)\" fill=\"none\">");
    for line in lines {
        write_line(&mut body, line, scale);
    }
    body.push_str("</g>\n");
    // Markers stay outside the clip so that a point on an axis is drawn whole.
    for line in lines.iter().filter(|l| l.markers) {
        write_markers(&mut body, line, scale);
    }
    write_legend(&mut body, lines);

    let id = format!("vigie-chart-{:016x}", fnv1a(&body));
    let body = body.replace(ID, &id);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-labelledby=\"{id}-title\" \
         aria-describedby=\"{id}-desc\" font-family=\"sans-serif\" font-size=\"12\" \
         fill=\"#222222\">\n{body}</svg>\n"
    )
}

/// Grid, ticks, tick labels, axis lines and axis labels.
fn write_axes(out: &mut String, frame: &Frame, scale: Scale) {
    let (x_ticks, x_step) = ticks(scale.x);
    let (y_ticks, y_step) = ticks(scale.y);
    out.push_str("<g stroke=\"#e0e0e0\" stroke-width=\"1\">\n");
    for &t in &x_ticks {
        let x = scale.sx(t);
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{PLOT_TOP}\" x2=\"{x:.1}\" y2=\"{PLOT_BOTTOM}\"/>"
        );
    }
    for &t in &y_ticks {
        let y = scale.sy(t);
        let _ = writeln!(
            out,
            "<line x1=\"{PLOT_LEFT}\" y1=\"{y:.1}\" x2=\"{PLOT_RIGHT}\" y2=\"{y:.1}\"/>"
        );
    }
    out.push_str("</g>\n<g font-size=\"11\">\n");
    for &t in &x_ticks {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            scale.sx(t),
            PLOT_BOTTOM + 15.0,
            escape(&tick_label(t, x_step))
        );
    }
    for &t in &y_ticks {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>",
            PLOT_LEFT - 6.0,
            scale.sy(t),
            escape(&tick_label(t, y_step))
        );
    }
    out.push_str("</g>\n");
    let _ = writeln!(
        out,
        "<path d=\"M{PLOT_LEFT},{PLOT_TOP}V{PLOT_BOTTOM}H{PLOT_RIGHT}\" fill=\"none\" \
         stroke=\"#333333\" stroke-width=\"1\"/>"
    );
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        f64::midpoint(PLOT_LEFT, PLOT_RIGHT),
        PLOT_BOTTOM + 34.0,
        escape(frame.x_label)
    );
    let (x, y) = (16.0, f64::midpoint(PLOT_TOP, PLOT_BOTTOM));
    let _ = writeln!(
        out,
        "<text x=\"{x}\" y=\"{y:.1}\" text-anchor=\"middle\" \
         transform=\"rotate(-90 {x} {y:.1})\">{}</text>",
        escape(frame.y_label)
    );
}

/// One curve.
fn write_line(out: &mut String, line: &Line, scale: Scale) {
    let points = downsample(line.points, MAX_POINTS);
    let dash = line.dash.map(|d| format!(" stroke-dasharray=\"{d}\"")).unwrap_or_default();
    let _ = writeln!(
        out,
        "<path d=\"{}\" stroke=\"{}\" stroke-width=\"2\" stroke-linejoin=\"round\"{dash}/>",
        path_data(&points, scale),
        line.colour
    );
}

/// The markers of a curve, for the points inside the axes ranges.
fn write_markers(out: &mut String, line: &Line, scale: Scale) {
    let inside = |&&(x, y): &&(f64, f64)| {
        (scale.x.0..=scale.x.1).contains(&x) && (scale.y.0..=scale.y.1).contains(&y)
    };
    for &(x, y) in downsample(line.points, MAX_POINTS).iter().filter(inside) {
        let _ = writeln!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"/>",
            scale.sx(x),
            scale.sy(y),
            line.colour
        );
    }
}

/// Legend under the x label: a line sample in each series' style, then its name; entries
/// wrap to a second row when they do not fit.
fn write_legend(out: &mut String, lines: &[Line]) {
    // Width of a 12 px sans-serif character, on average: close enough to lay out a row.
    const CHAR_WIDTH: f64 = 6.8;
    let mut x = PLOT_LEFT;
    let mut y = PLOT_BOTTOM + 58.0;
    out.push_str("<g>\n");
    for line in lines {
        let width = 30.0 + CHAR_WIDTH * line.name.chars().count() as f64 + 16.0;
        if x > PLOT_LEFT && x + width > WIDTH {
            x = PLOT_LEFT;
            y += 18.0;
        }
        let dash = line.dash.map(|d| format!(" stroke-dasharray=\"{d}\"")).unwrap_or_default();
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{}\" \
             stroke-width=\"2\"{dash}/>",
            x + 24.0,
            line.colour
        );
        if line.markers {
            let _ = writeln!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{}\"/>",
                x + 12.0,
                line.colour
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" dominant-baseline=\"middle\">{}</text>",
            x + 30.0,
            y,
            escape(line.name)
        );
        x += width;
    }
    out.push_str("</g>\n");
}

/// A sentence per series for the description: name, style, point count.
fn describe_lines(lines: &[Line]) -> String {
    let parts: Vec<String> = lines
        .iter()
        .map(|l| {
            let style = if l.dash.is_some() { "dashed" } else { "solid" };
            format!("{} ({style} line, {} points)", l.name, l.points.len())
        })
        .collect();
    format!("Series: {}.", parts.join("; "))
}

/// A sentence describing both axes.
fn describe_axes(frame: &Frame) -> String {
    let (x, y) = (sane_range(frame.x_range), sane_range(frame.y_range));
    format!(
        "X axis: {} from {} to {}. Y axis: {} from {} to {}.",
        frame.x_label,
        compact(x.0),
        compact(x.1),
        frame.y_label,
        compact(y.0),
        compact(y.1)
    )
}

/// A number written short for a sentence: up to three decimals, trailing zeros removed.
fn compact(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

/// A line chart of named series, with axes ranges given by the caller (points outside
/// are clipped). Series take the palette colours in order; a dashed series is dashed in
/// the legend too.
#[must_use]
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    x_range: (f64, f64),
    y_range: (f64, f64),
) -> String {
    let lines: Vec<Line> = series
        .iter()
        .enumerate()
        .map(|(i, s)| Line {
            name: &s.name,
            points: &s.points,
            colour: PALETTE[i % PALETTE.len()],
            dash: s.dashed.then_some(DASHED),
            markers: false,
        })
        .collect();
    let mut frame = Frame { title, desc: String::new(), x_label, y_label, x_range, y_range };
    frame.desc = format!("Line chart. {} {}", describe_axes(&frame), describe_lines(&lines));
    render(&frame, &lines)
}

/// A reference line in grey, dashed.
fn reference<'a>(name: &'a str, points: &'a [(f64, f64)]) -> Line<'a> {
    Line { name, points, colour: REFERENCE, dash: Some(DASHED), markers: false }
}

/// The model curve in the first palette colour, solid.
fn model(points: &[(f64, f64)], markers: bool) -> Line<'_> {
    Line { name: "model", points, colour: PALETTE[0], dash: None, markers }
}

/// Class counts, for descriptions.
fn class_counts(labels: &[bool]) -> (usize, usize) {
    let positives = labels.iter().filter(|&&y| y).count();
    (positives, labels.len() - positives)
}

/// ROC curve (false positive rate, true positive rate) from (0, 0) to (1, 1), one point per
/// distinct score, thinned to [`MAX_POINTS`]; the AUC is in the title and a dashed
/// diagonal marks chance. Without both classes the curve is empty and the AUC "n/a".
#[must_use]
pub fn roc_chart(scores: &[f64], labels: &[bool]) -> String {
    let groups = metrics::tie_groups(scores, labels).unwrap_or_default();
    let (positives, negatives) = class_counts(labels);
    let mut points = Vec::new();
    if positives > 0 && negatives > 0 && !groups.is_empty() {
        points.push((0.0, 0.0));
        let (mut tp, mut fp) = (0usize, 0usize);
        for g in &groups {
            tp += g.positives;
            fp += g.negatives;
            points.push((fp as f64 / negatives as f64, tp as f64 / positives as f64));
        }
    }
    let points = downsample(&points, MAX_POINTS);
    let auc = metrics::roc_auc(scores, labels);
    let title = format!("ROC curve (AUC {})", metric_text(auc));
    let chance = [(0.0, 0.0), (1.0, 1.0)];
    let lines = [model(&points, false), reference("chance", &chance)];
    let mut frame = Frame {
        title: &title,
        desc: String::new(),
        x_label: "False positive rate",
        y_label: "True positive rate (recall)",
        x_range: (0.0, 1.0),
        y_range: (0.0, 1.0),
    };
    frame.desc = format!(
        "ROC curve of {} scores (positives: {positives}, negatives: {negatives}); \
         AUC {}. The dashed diagonal is a random ranking. {} {}",
        scores.len(),
        metric_text(auc),
        describe_axes(&frame),
        describe_lines(&lines)
    );
    render(&frame, &lines)
}

/// Precision–recall curve, drawn as the steps that average precision sums (precision held
/// from one distinct threshold to the next), with the base rate as a dashed horizontal
/// line; the AP is in the title. Without positives the curve is empty and the AP "n/a".
#[must_use]
pub fn pr_chart(scores: &[f64], labels: &[bool]) -> String {
    let groups = metrics::tie_groups(scores, labels).unwrap_or_default();
    let (positives, negatives) = class_counts(labels);
    // (recall, precision) per distinct threshold, thinned before the steps double them.
    let mut corners = Vec::new();
    if positives > 0 {
        let (mut tp, mut flagged) = (0usize, 0usize);
        for g in &groups {
            tp += g.positives;
            flagged += g.positives + g.negatives;
            corners.push((tp as f64 / positives as f64, tp as f64 / flagged as f64));
        }
    }
    let corners = downsample(&corners, MAX_POINTS / 2);
    let mut steps = Vec::with_capacity(2 * corners.len());
    let mut previous_recall = 0.0;
    for &(recall, precision) in &corners {
        steps.push((previous_recall, precision));
        steps.push((recall, precision));
        previous_recall = recall;
    }
    let ap = metrics::average_precision(scores, labels);
    let title = format!("Precision–recall curve (AP {})", metric_text(ap));
    let base_rate =
        if labels.is_empty() { f64::NAN } else { positives as f64 / labels.len() as f64 };
    let base = [(0.0, base_rate), (1.0, base_rate)];
    let base_name = format!("base rate {}", compact(base_rate));
    let lines = [model(&steps, false), reference(&base_name, &base)];
    let mut frame = Frame {
        title: &title,
        desc: String::new(),
        x_label: "Recall",
        y_label: "Precision",
        x_range: (0.0, 1.0),
        y_range: (0.0, 1.0),
    };
    frame.desc = format!(
        "Precision–recall curve of {} scores (positives: {positives}, negatives: {negatives}); \
         average precision {}. The dashed line is the precision of flagging at random. {} {}",
        scores.len(),
        metric_text(ap),
        describe_axes(&frame),
        describe_lines(&lines)
    );
    render(&frame, &lines)
}

/// Reliability diagram: observed rate against mean predicted probability per non-empty bin
/// (`bins` equal-width bins), points joined, with the dashed diagonal of perfect calibration.
///
/// Both axes run to max(highest observed rate, highest mean prediction)·1.1, capped at 1,
/// so that a model of rare events is not squeezed into a corner. The ECE is in the title.
///
/// # Panics
///
/// If `bins` is 0, or the lengths differ.
#[must_use]
pub fn calibration_chart(probs: &[f64], labels: &[bool], bins: usize) -> String {
    let curve = metrics::calibration_curve(probs, labels, bins);
    let points: Vec<(f64, f64)> =
        curve.iter().map(|b| (b.mean_predicted, b.observed_rate)).collect();
    let top = points.iter().fold(0.0f64, |m, &(p, o)| m.max(p).max(o));
    let hi = if top > 0.0 { (top * 1.1).min(1.0) } else { 1.0 };
    let ece = metrics::expected_calibration_error(probs, labels, bins);
    let title = format!("Calibration (ECE {}, {bins} bins)", metric_text(ece));
    let perfect = [(0.0, 0.0), (hi, hi)];
    let lines = [model(&points, true), reference("perfect", &perfect)];
    let mut frame = Frame {
        title: &title,
        desc: String::new(),
        x_label: "Mean predicted probability",
        y_label: "Observed rate",
        x_range: (0.0, hi),
        y_range: (0.0, hi),
    };
    let (positives, _) = class_counts(labels);
    frame.desc = format!(
        "Reliability diagram of {} probabilities (positives: {positives}) in {bins} \
         equal-width bins, {} of them non-empty; expected calibration error {}. Points \
         above the dashed diagonal are under-predicted, below it over-predicted. {} {}",
        probs.len(),
        curve.len(),
        metric_text(ece),
        describe_axes(&frame),
        describe_lines(&lines)
    );
    render(&frame, &lines)
}

/// Histograms of several classes overlaid as step outlines, each normalised to a density
/// (area 1 over the values inside `x_range`) so that a rare class stays visible next to a
/// common one. Classes differ by colour and dash pattern; the legend gives their sizes.
///
/// Values outside `x_range` and non-finite values are left out. `bins` is capped at
/// `MAX_POINTS / 2 - 1` so that an outline stays within [`MAX_POINTS`].
///
/// # Panics
///
/// If `bins` is 0.
#[must_use]
pub fn histogram_chart(
    title: &str,
    values_by_class: &[(&str, &[f64])],
    bins: usize,
    x_range: (f64, f64),
) -> String {
    assert!(bins > 0, "vigie-eval: a histogram needs at least one bin");
    let bins = bins.min(MAX_POINTS / 2 - 1);
    let (lo, hi) = sane_range(x_range);
    let width = (hi - lo) / bins as f64;
    let mut outlines: Vec<Vec<(f64, f64)>> = Vec::with_capacity(values_by_class.len());
    let mut names: Vec<String> = Vec::with_capacity(values_by_class.len());
    let mut top = 0.0f64;
    for &(name, values) in values_by_class {
        let mut counts = vec![0usize; bins];
        for &v in values.iter().filter(|v| (lo..=hi).contains(*v)) {
            // The upper edge belongs to the last bin, like numpy.histogram.
            counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
        }
        let inside: usize = counts.iter().sum();
        let mut outline = Vec::with_capacity(2 * bins + 2);
        outline.push((lo, 0.0));
        for (b, &c) in counts.iter().enumerate() {
            let density = if inside == 0 { 0.0 } else { c as f64 / (inside as f64 * width) };
            top = top.max(density);
            outline.push((lo + b as f64 * width, density));
            outline.push((lo + (b + 1) as f64 * width, density));
        }
        outline.push((hi, 0.0));
        outlines.push(outline);
        names.push(format!("{name} (n = {inside})"));
    }
    let lines: Vec<Line> = outlines
        .iter()
        .zip(&names)
        .enumerate()
        .map(|(i, (outline, name))| Line {
            name,
            points: outline,
            colour: PALETTE[i % PALETTE.len()],
            dash: DASHES[i % DASHES.len()],
            markers: false,
        })
        .collect();
    let y_hi = if top > 0.0 { top * 1.1 } else { 1.0 };
    let mut frame = Frame {
        title,
        desc: String::new(),
        x_label: "Value",
        y_label: "Density",
        x_range: (lo, hi),
        y_range: (0.0, y_hi),
    };
    frame.desc = format!(
        "Histogram of {} classes in {bins} equal-width bins, each normalised to a density \
         so that classes of different sizes compare. {} {}",
        values_by_class.len(),
        describe_axes(&frame),
        describe_lines(&lines)
    );
    render(&frame, &lines)
}

#[cfg(test)]
mod tests;
