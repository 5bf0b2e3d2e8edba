//! Design matrices: features in column-major order (the layout the logistic regression's
//! blocks read without copying, and the trees' bins are made from).

use vigie_core::features::FeatureGroup;
use vigie_score::Scorer;
use vigie_score::model::FeatureSpec;

/// Features of `n` rows, column-major: column `j` is `x[j * n..(j + 1) * n]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Feature names and groups.
    pub features: Vec<FeatureSpec>,
    /// Number of rows.
    pub n: usize,
    /// Values, NaN for missing.
    pub x: Vec<f64>,
}

impl Design {
    /// Builds a design from named columns of equal length (each column is freed as soon
    /// as it is copied in).
    #[must_use]
    pub fn from_columns(columns: Vec<(String, Option<FeatureGroup>, Vec<f64>)>) -> Self {
        let n = columns.first().map_or(0, |c| c.2.len());
        let mut x = Vec::with_capacity(n * columns.len());
        let mut features = Vec::with_capacity(columns.len());
        for (name, group, values) in columns {
            assert_eq!(values.len(), n, "column {name} has a different length");
            x.extend_from_slice(&values);
            features.push(FeatureSpec { name, group });
        }
        Self { features, n, x }
    }

    /// Number of features.
    #[must_use]
    pub fn k(&self) -> usize {
        self.features.len()
    }

    /// Column `j`.
    #[must_use]
    pub fn col(&self, j: usize) -> &[f64] {
        &self.x[j * self.n..(j + 1) * self.n]
    }

    /// Row `i`, gathered into `out` (feature order).
    pub fn row(&self, i: usize, out: &mut Vec<f64>) {
        out.clear();
        out.extend((0..self.k()).map(|j| self.x[j * self.n + i]));
    }

    /// The rows `rows`, in that order.
    #[must_use]
    pub fn subset(&self, rows: &[usize]) -> Self {
        let mut x = Vec::with_capacity(rows.len() * self.k());
        for j in 0..self.k() {
            let c = self.col(j);
            x.extend(rows.iter().map(|&i| c[i]));
        }
        Self { features: self.features.clone(), n: rows.len(), x }
    }
}

/// The margins of every row of `x` (laid out as the columns `scorer` was bound to), in parallel
/// over blocks of rows (the result does not depend on the number of threads).
#[must_use]
pub fn margins(scorer: &Scorer, x: &Design) -> Vec<f64> {
    margins_at(scorer, x, None)
}

/// The margins of the rows `rows` of `x`, in that order (no copy of the rows).
#[must_use]
pub fn margins_of(scorer: &Scorer, x: &Design, rows: &[usize]) -> Vec<f64> {
    margins_at(scorer, x, Some(rows))
}

fn margins_at(scorer: &Scorer, x: &Design, rows: Option<&[usize]>) -> Vec<f64> {
    use rayon::prelude::*;
    const BLOCK: usize = 4096;
    let n = rows.map_or(x.n, <[usize]>::len);
    if let vigie_score::model::Model::Gbdt(e) = &scorer.model().model {
        // Trees run down blocks of rows, reading the columns where they are: model
        // feature `f` is the design's column `positions[f]`, as for `Scorer::margin`.
        let positions = scorer.positions();
        let mut out = vec![0.0; n];
        out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, out)| {
            let start = b * BLOCK;
            e.margins_with(
                |f, r| x.x[positions[f] * x.n + rows.map_or(start + r, |rows| rows[start + r])],
                out,
            );
        });
        return out;
    }
    (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .flat_map_iter(|b| {
            let mut row = Vec::with_capacity(x.k());
            (b * BLOCK..((b + 1) * BLOCK).min(n))
                .map(|r| {
                    x.row(rows.map_or(r, |rows| rows[r]), &mut row);
                    scorer.margin(&row).expect("rows as wide as the scorer's binding")
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Picks `rows` of a slice.
#[must_use]
pub fn pick<T: Copy>(values: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&i| values[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gbdt::GbdtParams;
    use vigie_score::model::Model;

    #[test]
    fn margins_read_the_columns_the_scorer_was_bound_to() {
        // Trees fitted on (a, b, c), scored on a design laid out (c, a, b): the margins of
        // the column-reading path are those of `Scorer::margin` on each row, every row
        // and chosen rows alike.
        let n = 600;
        let col = |k: usize| -> Vec<f64> {
            (0..n).map(|i| ((i * (7 + k) + 3 * k) % 97) as f64 / 97.0).collect()
        };
        let (a, b, c) = (col(0), col(1), col(2));
        let y: Vec<f64> =
            (0..n).map(|i| f64::from(u8::from(2.0 * a[i] - b[i] + 0.1 * c[i] > 0.6))).collect();
        let named = |name: &str, v: &Vec<f64>| (name.to_owned(), None, v.clone());
        let fit = Design::from_columns(vec![named("a", &a), named("b", &b), named("c", &c)]);
        let params = GbdtParams { iterations: 20, ..GbdtParams::default() };
        let trees = params.check().unwrap().fit(&fit, &y, None).unwrap();
        let file = crate::bare(fit.features.clone(), Model::Gbdt(trees));
        let laid = Design::from_columns(vec![named("c", &c), named("a", &a), named("b", &b)]);
        let scorer = Scorer::bind(file, &["c", "a", "b"]).unwrap();
        let mut row = Vec::new();
        let one = |i: usize, row: &mut Vec<f64>| {
            laid.row(i, row);
            scorer.margin(row).unwrap()
        };
        let want: Vec<f64> = (0..n).map(|i| one(i, &mut row)).collect();
        assert!(want.iter().any(|&m| m != want[0]), "the trees split");
        assert_eq!(margins(&scorer, &laid), want);
        let rows = [599, 3, 3, 250];
        assert_eq!(margins_of(&scorer, &laid, &rows), pick(&want, &rows));
    }
}
