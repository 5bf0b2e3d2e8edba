//! k-fold cross-validation of any table (`vigie evaluate`): how Vigie's model families are
//! compared with other tools on public data, under the protocol of the Python peers
//! (stratified k-fold, grouped when asked; means over folds; fit time on all rows, best of
//! three).

use std::time::Instant;

use serde::Serialize;
use vigie_data::tabular::{Column, Tabular};
use vigie_eval::metrics;

use crate::design::{Design, margins, pick};
use crate::gbdt::GbdtParams;
use crate::logistic::LogisticParams;
use crate::{Error, Family, Result, folds};
use vigie_score::Scorer;
use vigie_score::model::Model;

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct CvOptions {
    /// Label column (0/1).
    pub label: String,
    /// Group column: rows of a group stay in one fold.
    pub group: Option<String>,
    /// Columns left out.
    pub exclude: Vec<String>,
    /// Model family.
    pub family: Family,
    /// Number of folds.
    pub folds: usize,
    /// Seed of the split and of the model.
    pub seed: u64,
    /// A column holding a given fold number (0..k) per row, instead of drawing folds: to
    /// reproduce another tool's split exactly.
    pub fold_column: Option<String>,
    /// Hyperparameters of the gradient-boosted trees (the seed is overridden by `seed`).
    pub gbdt: GbdtParams,
    /// Hyperparameters of the logistic regression.
    pub logistic: LogisticParams,
}

/// Metrics of one fold.
#[derive(Debug, Clone, Serialize)]
pub struct FoldReport {
    /// Fold index.
    pub fold: usize,
    /// Test rows.
    pub rows: usize,
    /// Test positives.
    pub positives: usize,
    /// ROC AUC.
    pub roc_auc: Option<f64>,
    /// Average precision.
    pub pr_auc: Option<f64>,
    /// Brier score.
    pub brier: Option<f64>,
    /// Recall in the top 5 % of scores.
    pub recall_top5: Option<f64>,
    /// Recall in the top 10 %.
    pub recall_top10: Option<f64>,
    /// Seconds to fit this fold's model.
    pub fit_seconds: f64,
}

/// The result of a cross-validation: means over folds.
#[derive(Debug, Clone, Serialize)]
pub struct CvReport {
    /// Model family.
    pub model: Family,
    /// Rows.
    pub rows: usize,
    /// Features used.
    pub features: usize,
    /// Share of positives.
    pub positive_rate: f64,
    /// Folds.
    pub k: usize,
    /// Seed.
    pub seed: u64,
    /// Mean ROC AUC.
    pub roc_auc: f64,
    /// Mean average precision.
    pub pr_auc: f64,
    /// Mean Brier score.
    pub brier: f64,
    /// Mean recall in the top 5 %.
    pub recall_top5: f64,
    /// Mean recall in the top 10 %.
    pub recall_top10: f64,
    /// Fit time on all rows, best of three, seconds.
    pub fit_seconds: f64,
    /// Per fold.
    pub folds: Vec<FoldReport>,
    /// The fold of each row, in row order (not serialised: `vigie evaluate --write-folds`
    /// writes it, so that other tools can be run on the very same split).
    #[serde(skip)]
    pub assignment: Vec<usize>,
}

/// The features, labels and groups of a table.
pub fn prepare(
    table: &Tabular,
    opts: &CvOptions,
) -> Result<(Design, Vec<bool>, Option<Vec<String>>)> {
    let label = match table.column(&opts.label) {
        Some(Column::Numeric(v)) => v,
        Some(Column::Text(_)) => {
            return Err(Error::Input(format!("label column `{}` is not numeric", opts.label)));
        }
        None => return Err(Error::Input(format!("no label column `{}`", opts.label))),
    };
    let mut labels = Vec::with_capacity(label.len());
    for (i, &v) in label.iter().enumerate() {
        if v == 0.0 || v == 1.0 {
            labels.push(v == 1.0);
        } else {
            return Err(Error::Input(format!(
                "label `{}` must be 0 or 1; row {} has {v}",
                opts.label,
                i + 1
            )));
        }
    }
    let groups = match &opts.group {
        None => None,
        // A missing group is refused: pooling those rows into one group would silently put
        // them all in one fold.
        Some(g) => {
            let missing =
                |i: usize| Error::Input(format!("group column `{g}`: row {} has no value", i + 1));
            Some(match table.column(g) {
                Some(Column::Text(v)) => v
                    .iter()
                    .enumerate()
                    .map(|(i, x)| x.clone().filter(|x| !x.is_empty()).ok_or_else(|| missing(i)))
                    .collect::<Result<Vec<_>>>()?,
                Some(Column::Numeric(v)) => v
                    .iter()
                    .enumerate()
                    .map(|(i, x)| if x.is_nan() { Err(missing(i)) } else { Ok(x.to_string()) })
                    .collect::<Result<Vec<_>>>()?,
                None => return Err(Error::Input(format!("no group column `{g}`"))),
            })
        }
    };
    for e in &opts.exclude {
        if table.column(e).is_none() {
            return Err(Error::Input(format!("excluded column `{e}` is not in the data")));
        }
    }
    let skip = |n: &str| {
        n == opts.label
            || opts.group.as_deref() == Some(n)
            || opts.fold_column.as_deref() == Some(n)
            || opts.exclude.iter().any(|e| e == n)
    };
    let text: Vec<&str> = table
        .columns
        .iter()
        .filter(|(n, c)| !skip(n) && matches!(c, Column::Text(_)))
        .map(|(n, _)| n.as_str())
        .collect();
    if !text.is_empty() {
        return Err(Error::Input(format!(
            "non-numeric column(s) {}: pass them to --exclude",
            text.join(", ")
        )));
    }
    let columns: Vec<_> = table
        .columns
        .iter()
        .filter(|(n, _)| !skip(n))
        .map(|(n, c)| match c {
            // Infinite values carry no more information than "beyond the largest finite":
            // both families treat them as missing, as the peers do.
            Column::Numeric(v) => (
                n.clone(),
                None,
                v.iter().map(|x| if x.is_finite() { *x } else { f64::NAN }).collect(),
            ),
            Column::Text(_) => unreachable!("text columns refused above"),
        })
        .collect();
    if columns.is_empty() {
        return Err(Error::Input("no feature column left".into()));
    }
    Ok((Design::from_columns(columns), labels, groups))
}

/// Fits one family on `train` and returns its probabilities on `test`.
fn fit_predict(opts: &CvOptions, train: &Design, y: &[f64], test: &Design) -> Result<Vec<f64>> {
    let model = match opts.family {
        Family::Gbdt => {
            // No validation set inside a fold: a fixed number of trees.
            let params =
                GbdtParams { seed: opts.seed, early_stopping_rounds: None, ..opts.gbdt.clone() }
                    .check()?;
            Model::Gbdt(params.fit(train, y, None)?)
        }
        Family::Logistic => Model::Logistic(opts.logistic.clone().check()?.fit(train, y)?),
    };
    let scorer = Scorer::in_model_order(crate::bare(train.features.clone(), model));
    Ok(margins(&scorer, test).into_iter().map(|m| 1.0 / (1.0 + (-m).exp())).collect())
}

fn mean(v: impl Iterator<Item = Option<f64>>) -> f64 {
    let (mut s, mut n) = (0.0, 0.0);
    for x in v.flatten() {
        s += x;
        n += 1.0;
    }
    if n > 0.0 { s / n } else { f64::NAN }
}

/// Runs the cross-validation.
pub fn cross_validate(table: &Tabular, opts: &CvOptions) -> Result<CvReport> {
    if opts.folds < 2 {
        return Err(Error::Input("--folds must be at least 2".into()));
    }
    let (x, labels, groups) = prepare(table, opts)?;
    let positives = labels.iter().filter(|&&l| l).count();
    if positives < opts.folds || labels.len() - positives < opts.folds {
        return Err(Error::Input("too few rows of each class for this many folds".into()));
    }
    let fold = match &opts.fold_column {
        None => folds::assign(&labels, groups.as_deref(), opts.folds, opts.seed),
        Some(c) => {
            let v = table
                .numeric(c)
                .ok_or_else(|| Error::Input(format!("no numeric fold column `{c}`")))?;
            v.iter()
                .map(|&f| {
                    if f >= 0.0 && f < opts.folds as f64 && f.fract() == 0.0 {
                        Ok(f as usize)
                    } else {
                        Err(Error::Input(format!(
                            "fold column `{c}` holds {f}, expected 0..{}",
                            opts.folds
                        )))
                    }
                })
                .collect::<Result<Vec<_>>>()?
        }
    };
    let y: Vec<f64> = labels.iter().map(|&l| f64::from(u8::from(l))).collect();
    let mut reports = Vec::with_capacity(opts.folds);
    for k in 0..opts.folds {
        let train: Vec<usize> = (0..x.n).filter(|&i| fold[i] != k).collect();
        let test: Vec<usize> = (0..x.n).filter(|&i| fold[i] == k).collect();
        let started = Instant::now();
        let probs = fit_predict(opts, &x.subset(&train), &pick(&y, &train), &x.subset(&test))?;
        let fit_seconds = started.elapsed().as_secs_f64();
        let l = pick(&labels, &test);
        reports.push(FoldReport {
            fold: k,
            rows: test.len(),
            positives: l.iter().filter(|&&v| v).count(),
            roc_auc: metrics::roc_auc(&probs, &l),
            pr_auc: metrics::average_precision(&probs, &l),
            brier: metrics::brier(&probs, &l),
            recall_top5: metrics::recall_at_top(&probs, &l, 0.05),
            recall_top10: metrics::recall_at_top(&probs, &l, 0.10),
            fit_seconds,
        });
    }
    // Fit time on all rows, best of three (the peers' protocol).
    let mut fit_seconds = f64::INFINITY;
    for _ in 0..3 {
        let started = Instant::now();
        fit_predict(opts, &x, &y, &x.subset(&[]))?;
        fit_seconds = fit_seconds.min(started.elapsed().as_secs_f64());
    }
    Ok(CvReport {
        model: opts.family,
        rows: x.n,
        features: x.k(),
        positive_rate: positives as f64 / x.n as f64,
        k: opts.folds,
        seed: opts.seed,
        roc_auc: mean(reports.iter().map(|r| r.roc_auc)),
        pr_auc: mean(reports.iter().map(|r| r.pr_auc)),
        brier: mean(reports.iter().map(|r| r.brier)),
        recall_top5: mean(reports.iter().map(|r| r.recall_top5)),
        recall_top10: mean(reports.iter().map(|r| r.recall_top10)),
        fit_seconds,
        folds: reports,
        assignment: fold,
    })
}
