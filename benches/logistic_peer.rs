//! The logistic fit against scikit-learn's lbfgs on the same rows and transforms (issue
//! #13): reads a panel, takes the rows of a training window (the `MONTHS` calendar months
//! ending with the last whose 18-month outcome is known, companies in procedure left out),
//! transforms them as
//! `vigie train --model logistic` does (rank-to-normal, missing indicators), writes that
//! design for the peer (`X.npy`, Fortran order, and `y.npy`), fits it with Vigie's L-BFGS
//! and prints the fit's time, loss and gradient as JSON. `benches/logistic_peer.py` then
//! fits the same files with scikit-learn; `benches/logistic_peer.sh` runs both.
//!
//! Usage: logistic-peer PANEL OUT_DIR [MONTHS]

use std::io::Write as _;
use std::time::Instant;

use vigie_core::features::CATALOGUE;
use vigie_train::design::Design;
use vigie_train::logistic::{Problem, minimize, transform};

fn npy(path: &std::path::Path, values: &[f64], shape: &[usize], fortran: bool) {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let dims = if dims.len() == 1 { format!("{},", dims[0]) } else { dims.join(", ") };
    let mut header = format!(
        "{{'descr': '<f8', 'fortran_order': {}, 'shape': ({dims}), }}",
        if fortran { "True" } else { "False" }
    );
    // Magic, version 1.0, header length; the header padded to a multiple of 64 with '\n'.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("writable"));
    f.write_all(b"\x93NUMPY\x01\x00").unwrap();
    f.write_all(&u16::try_from(header.len()).unwrap().to_le_bytes()).unwrap();
    f.write_all(header.as_bytes()).unwrap();
    for v in values {
        f.write_all(&v.to_le_bytes()).unwrap();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (panel, out) = (std::path::Path::new(&args[1]), std::path::Path::new(&args[2]));
    let months: usize = args.get(3).map_or(36, |m| m.parse().expect("a number of months"));
    std::fs::create_dir_all(out).unwrap();
    let t = vigie_data::tabular::read(panel).expect("a panel");
    let month = t.text("month").expect("month");
    let label = t.numeric("label_18m").expect("label_18m");
    let in_procedure = t.numeric("in_procedure");
    let usable: Vec<bool> = (0..t.rows)
        .map(|i| !label[i].is_nan() && in_procedure.is_none_or(|p| p[i] != 1.0))
        .collect();
    // The window: the `months` calendar months ending with the last labelled one.
    let last = (0..t.rows)
        .filter(|&i| usable[i])
        .filter_map(|i| month[i].as_deref())
        .max()
        .expect("labelled rows");
    let last = vigie_core::Month::parse(last).expect("a month");
    let from = last.plus(1 - i32::try_from(months).expect("a number of months")).to_string();
    let rows: Vec<usize> = (0..t.rows)
        .filter(|&i| usable[i] && month[i].as_deref().is_some_and(|m| m >= from.as_str()))
        .collect();
    let columns = CATALOGUE
        .iter()
        .map(|f| {
            let c = t.numeric(f.name).expect("a catalogue column");
            (f.name.to_owned(), Some(f.group), rows.iter().map(|&i| c[i]).collect())
        })
        .collect();
    let design = Design::from_columns(columns);
    let y: Vec<f64> = rows.iter().map(|&i| label[i]).collect();
    let started = Instant::now();
    let tr = transform(&design);
    let transform_seconds = started.elapsed().as_secs_f64();
    let n = rows.len();
    npy(&out.join("X.npy"), &tr.design, &[n, tr.p], true);
    npy(&out.join("y.npy"), &y, &[n], false);
    let problem = Problem { x: &tr.design, n, p: tr.p, y: &y, alpha: 1.0 };
    let started = Instant::now();
    let fit = minimize(&problem, 300, 1e-6 * n as f64);
    let fit_seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "rows": n,
            "columns": tr.p,
            "from_month": from,
            "threads": rayon::current_num_threads(),
            "transform_seconds": transform_seconds,
            "fit_seconds": fit_seconds,
            "iterations": fit.iterations,
            "loss": fit.loss,
            "gradient_norm": fit.gradient_norm,
            "weights": fit.w,
        })
    );
}
