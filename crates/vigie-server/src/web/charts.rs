//! Charts drawn on the server as inline SVG: readable without JavaScript, each with a title
//! and a description for screen readers (`role="img"`), and values written as text, never
//! told by colour alone. Every page also gives the numbers in a table.

use std::fmt::Write as _;

use vigie_eval::charts::{escape as esc, nice_ceiling};

use super::fr;

const BLUE: &str = "#000091";
const RED: &str = "#ce0500";
const GREEN: &str = "#18753c";
const GREY: &str = "#666666";
const GRID: &str = "#dddddd";

fn open(id: &str, width: u32, height: u32, title: &str, desc: &str) -> String {
    format!(
        "<svg class=\"graphique\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} \
         {height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{}</title>\
         <desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    )
}

/// Horizontal grid lines at 0, half and the top of the axis, from `x.0` to `x.1`, each
/// labelled on the left.
fn grid(s: &mut String, x: (f64, f64), max: f64, y: &dyn Fn(f64) -> f64, label: fn(f64) -> String) {
    for tick in [0.0, 0.5, 1.0] {
        let v = max * tick;
        let _ = write!(
            s,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"{GRID}\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x.0,
            x.1,
            x.0 - 6.0,
            y(v) + 4.0,
            esc(&label(v)),
            yy = y(v)
        );
    }
}

/// Term structure: the probability at 6, 12, 18 and 24 months as four bars.
#[must_use]
pub fn term_structure(id: &str, p: [f64; 4]) -> String {
    let (w, h, left, top, bottom) = (420.0, 220.0, 56.0, 16.0, 36.0);
    let max = nice_ceiling(p.iter().copied().fold(0.0, f64::max));
    let desc = format!(
        "Probabilité de défaillance : {} à 6 mois, {} à 12 mois, {} à 18 mois, {} à 24 mois.",
        fr::percent(p[0]),
        fr::percent(p[1]),
        fr::percent(p[2]),
        fr::percent(p[3])
    );
    let mut s = open(id, w as u32, h as u32, "Probabilité de défaillance par horizon", &desc);
    let plot_h = h - top - bottom;
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    grid(&mut s, (left, w - 8.0), max, &y, fr::percent);
    let slot = (w - left - 8.0) / 4.0;
    for (i, (label, v)) in ["6 mois", "12 mois", "18 mois", "24 mois"].iter().zip(p).enumerate() {
        let x = left + slot * i as f64 + slot * 0.2;
        let bw = slot * 0.6;
        let top_y = y(v.clamp(0.0, max));
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{top_y:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{BLUE}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            (top + plot_h - top_y).max(0.0),
            x + bw / 2.0,
            (top_y - 4.0).max(12.0),
            esc(&fr::percent(v)),
            x + bw / 2.0,
            h - bottom + 18.0,
        );
    }
    s.push_str("</svg>");
    s
}

/// History: the 18-month probability at each run, as a line with a marker per run; the
/// level is written under each marker (R, O, V) as well as coloured.
#[must_use]
pub fn history(id: &str, points: &[(String, f64, String)]) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 240.0, 56.0, 40.0, 20.0, 52.0);
    let max = nice_ceiling(points.iter().map(|p| p.1).fold(0.0, f64::max));
    let desc = match (points.first(), points.last()) {
        (Some(a), Some(b)) if points.len() > 1 => format!(
            "{} exécutions, de {} ({}) à {} ({}).",
            points.len(),
            a.0,
            fr::percent(a.1),
            b.0,
            fr::percent(b.1)
        ),
        (Some(a), _) => format!("Une seule exécution : {} ({}).", a.0, fr::percent(a.1)),
        _ => "Aucun historique.".into(),
    };
    let mut s = open(id, w as u32, h as u32, "Historique de la probabilité à 18 mois", &desc);
    let plot_h = h - top - bottom;
    let plot_w = w - left - right;
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    let x = |i: usize| {
        if points.len() <= 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (points.len() - 1) as f64
        }
    };
    grid(&mut s, (left, w - right), max, &y, fr::percent);
    if points.len() > 1 {
        let path: Vec<String> =
            points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1))).collect();
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{BLUE}\" stroke-width=\"2\"/>",
            path.join(" ")
        );
    }
    // Label every month when few, else about eight of them.
    let every = points.len().div_ceil(8).max(1);
    for (i, (month, p, level)) in points.iter().enumerate() {
        let (colour, letter) = match level.as_str() {
            "red" => (RED, "R"),
            "orange" => ("#a64300", "O"),
            _ => (GREEN, "V"),
        };
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{colour}\"><title>{} : {} ({})</title></circle>",
            x(i),
            y(*p),
            esc(month),
            esc(&fr::percent(*p)),
            fr::level(level)
        );
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{colour}\">{letter}</text>",
            x(i),
            h - bottom + 16.0
        );
        if i % every == 0 || i + 1 == points.len() {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x(i),
                h - bottom + 34.0,
                esc(month)
            );
        }
    }
    let _ = write!(
        s,
        "<text x=\"{left}\" y=\"{}\" fill=\"{GREY}\">Niveau : R rouge, O orange, V vert</text>",
        h - 2.0
    );
    s.push_str("</svg>");
    s
}

/// Waterfall of an explanation: from the model's base level through each topic group's
/// contribution to the total score (log-odds), one row per step.
#[must_use]
pub fn waterfall(id: &str, bias: f64, groups: &[(String, f64)], margin: f64) -> String {
    let rows = groups.len() + 2;
    let (w, label_w, right, row_h, top) = (640.0, 190.0, 70.0, 30.0, 10.0);
    let h = top + row_h * rows as f64 + 24.0;
    // The running sums, to place every bar.
    let mut sums = vec![bias];
    for (_, c) in groups {
        sums.push(sums.last().copied().unwrap_or(0.0) + c);
    }
    let lo = sums.iter().copied().chain([0.0, margin]).fold(f64::INFINITY, f64::min);
    let hi = sums.iter().copied().chain([0.0, margin]).fold(f64::NEG_INFINITY, f64::max);
    let span = (hi - lo).max(1e-9);
    let plot_w = w - label_w - right;
    let x = |v: f64| label_w + plot_w * (v - lo) / span;
    let desc = {
        let parts: Vec<String> =
            groups.iter().map(|(g, c)| format!("{g} {}", fr::signed(*c))).collect();
        format!(
            "Niveau de base {}, puis {}, soit un score total de {}.",
            fr::signed(bias),
            parts.join(", "),
            fr::signed(margin)
        )
    };
    let mut s = open(id, w as u32, h as u32, "Contribution des thèmes au score", &desc);
    let zero = x(0.0);
    let _ = write!(
        s,
        "<line x1=\"{zero:.1}\" x2=\"{zero:.1}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"{GREY}\" \
         stroke-dasharray=\"3 3\"/>",
        h - 24.0
    );
    let bar =
        |s: &mut String, row: usize, label: &str, from: f64, to: f64, colour: &str, value: &str| {
            let y = top + row_h * row as f64;
            let (a, b) = (x(from.min(to)), x(from.max(to)));
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                label_w - 8.0,
                y + row_h * 0.65,
                esc(label),
                y + 5.0,
                (b - a).max(1.5),
                row_h - 10.0,
                b + 6.0,
                y + row_h * 0.65,
                esc(value)
            );
        };
    bar(&mut s, 0, "Niveau de base", 0.0, bias, GREY, &fr::signed(bias));
    for (i, (g, c)) in groups.iter().enumerate() {
        let colour = if *c >= 0.0 { RED } else { GREEN };
        let arrow = if *c >= 0.0 { "▲ " } else { "▼ " };
        bar(&mut s, i + 1, g, sums[i], sums[i + 1], colour, &format!("{arrow}{}", fr::signed(*c)));
    }
    bar(&mut s, rows - 1, "Score total", 0.0, margin, BLUE, &fr::signed(margin));
    let _ = write!(
        s,
        "<text x=\"{label_w}\" y=\"{:.1}\" fill=\"{GREY}\">▲ augmente le risque · ▼ le réduit \
         (log-odds)</text>",
        h - 6.0
    );
    s.push_str("</svg>");
    s
}

/// Two bars per run (oldest first), in `colours`, on a value axis from 0 labelled by
/// `label`; month labels thinned to about twelve; `legend` under the plot.
struct PairedBars<'a> {
    id: &'a str,
    title: &'a str,
    /// One sentence per run, for the description.
    desc: Vec<String>,
    runs: Vec<(&'a str, f64, f64)>,
    colours: [&'a str; 2],
    label: fn(f64) -> String,
    legend: &'a str,
}

impl PairedBars<'_> {
    fn render(&self) -> String {
        let (w, h, left, top, bottom) = (640.0, 220.0, 64.0, 16.0, 40.0);
        let max = nice_ceiling(self.runs.iter().map(|r| r.1.max(r.2)).fold(0.0, f64::max));
        let mut s = open(self.id, w as u32, h as u32, self.title, &(self.desc.join(" ; ") + "."));
        let plot_h = h - top - bottom;
        let y = |v: f64| top + plot_h * (1.0 - v / max);
        grid(&mut s, (left, w - 8.0), max, &y, self.label);
        let slot = (w - left - 8.0) / self.runs.len().max(1) as f64;
        let bw = (slot * 0.35).min(40.0);
        let every = self.runs.len().div_ceil(12).max(1);
        for (i, (month, a, b)) in self.runs.iter().enumerate() {
            let x0 = left + slot * i as f64 + slot / 2.0 - bw;
            for (j, (v, colour)) in
                [(*a, self.colours[0]), (*b, self.colours[1])].into_iter().enumerate()
            {
                let x = x0 + bw * j as f64;
                let ty = y(v);
                let _ = write!(
                    s,
                    "<rect x=\"{x:.1}\" y=\"{ty:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>",
                    bw - 2.0,
                    (top + plot_h - ty).max(0.0)
                );
            }
            if i % every == 0 {
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    x0 + bw,
                    h - bottom + 16.0,
                    esc(month)
                );
            }
        }
        let _ = write!(
            s,
            "<text x=\"{left}\" y=\"{}\" fill=\"{GREY}\">{}</text>",
            h - 4.0,
            esc(self.legend)
        );
        s.push_str("</svg>");
        s
    }
}

/// Alert volumes per run: red and orange bars side by side, with their counts.
#[must_use]
pub fn volumes(id: &str, runs: &[(String, i64, i64)]) -> String {
    PairedBars {
        id,
        title: "Alertes par exécution",
        desc: runs
            .iter()
            .map(|(m, r, o)| {
                format!("{m} : {} rouges, {} orange", fr::small_count(*r), fr::small_count(*o))
            })
            .collect(),
        runs: runs.iter().map(|(m, r, o)| (m.as_str(), *r as f64, *o as f64)).collect(),
        colours: [RED, "#a64300"],
        label: |v| fr::count(v as i64),
        legend: "Barre de gauche : rouge · barre de droite : orange",
    }
    .render()
}

/// Predicted against observed failure rates of past runs at one horizon: two bars per run
/// month (`(month, mean predicted, observed)`, oldest first), blue then green.
#[must_use]
pub fn backtest_rates(id: &str, horizon: i32, runs: &[(String, f64, f64)]) -> String {
    PairedBars {
        id,
        title: &format!("Taux de défaillance prévu et observé à {horizon} mois, par exécution"),
        desc: runs
            .iter()
            .map(|(m, p, o)| {
                format!("{m} : prévu {}, observé {}", fr::percent(*p), fr::percent(*o))
            })
            .collect(),
        runs: runs.iter().map(|(m, p, o)| (m.as_str(), *p, *o)).collect(),
        colours: [BLUE, GREEN],
        label: fr::percent,
        legend: "Barre de gauche : prévu (moyenne des probabilités) · barre de droite : observé",
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_term_structure_draws_four_bars_to_scale() {
        let svg = term_structure("t", [0.1, 0.2, 0.3, 0.4]);
        assert_eq!(svg.matches("<rect").count(), 4);
        // Axis maximum 0.5: the 0.4 bar fills 80 % of the 168-pixel plot.
        assert!(svg.contains("height=\"134.4\""), "{svg}");
        assert!(svg.contains("40\u{202f}%") && svg.contains("24 mois"));
        assert!(svg.contains("role=\"img\"") && svg.contains("<title id=\"t-t\">"));
    }

    #[test]
    fn the_waterfall_steps_from_the_base_to_the_total() {
        let groups = vec![("Fiscal".to_owned(), 1.0), ("Social".to_owned(), -0.5)];
        let svg = waterfall("w", -3.0, &groups, -2.5);
        // Base, two groups, total.
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(svg.contains("▲ +1,00") && svg.contains("▼ −0,50") && svg.contains(">−2,50<"));
        // Scale: -3 .. 0 over 380 pixels from x = 190; the Fiscal bar spans -3 .. -2.
        assert!(svg.contains("<rect x=\"190.0\" y=\"45.0\" width=\"126.7\""), "{svg}");
        assert!(svg.contains("Niveau de base −3,00, puis Fiscal +1,00, Social −0,50"));
    }

    #[test]
    fn the_history_marks_levels_in_text_and_escapes_labels() {
        let points = vec![
            ("2025-10".to_owned(), 0.02, "green".to_owned()),
            ("2025-11<".to_owned(), 0.3, "red".to_owned()),
        ];
        let svg = history("h", &points);
        assert!(svg.contains("<polyline"));
        assert!(svg.contains(">R</text>") && svg.contains(">V</text>"));
        assert!(svg.contains("2025-11&lt;") && !svg.contains("2025-11<"));
    }
}
