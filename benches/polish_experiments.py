#!/usr/bin/env python3
"""Experiments behind the reading of the Polish comparison in BENCHMARKS.md (issue #3).

1. How much the fold split alone moves LightGBM's and XGBoost's AUC (scikit-learn splits,
   seeds 1, 2, 3, 42).
2. Generic LightGBM settings (slower learning, leaf size, shallower or randomised trees,
   column sampling, L2, a count of missing ratios), selected on scikit-learn's splits with
   seeds 1-3 only and then read on Vigie's seed-42 split: does any fixed setting reach the
   issue's 0.960?
3. Synthetic features (ratios, products, differences of the k most important ratios,
   chosen inside each training fold, as in the EXGB idea) on Vigie's own folds, for k = 10,
   12, 15, 20, and the synthetic features the model leans on most (first fold).
4. Where that lift comes from: one ratio, Attr9 / Attr36 (sales / total assets over total
   sales / total assets), and how often it is exactly 1 in each class.

Usage: .venv-peers/bin/python benches/polish_experiments.py FOLDS_1YEAR.csv FOLDS_5YEAR.csv
  FOLDS_<f>.csv: `vigie evaluate --data ../shared/data/polish-bankruptcy/csv/<f>.csv
  --label class --model gbdt --folds 5 --seed 42 --write-folds FOLDS_<f>.csv`
Takes about 15 minutes on 2 cores.
"""
import itertools
import sys

import lightgbm as lgb
import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

DATA = "../shared/data/polish-bankruptcy/csv/{}.csv"
PEERS = dict(n_estimators=500, learning_rate=0.05, num_leaves=31, subsample=0.8, subsample_freq=1,
             colsample_bytree=0.8, n_jobs=2, verbose=-1)
# Part 2: changes to the peers' LightGBM settings, each a common first thing to try.
SETTINGS = {
    "peers.py settings": {},
    "learning rate 0.02, 1500 trees": dict(learning_rate=0.02, n_estimators=1500),
    "min 5 rows per leaf": dict(min_child_samples=5),
    "min 50 rows per leaf": dict(min_child_samples=50),
    "8 leaves, 1500 trees": dict(num_leaves=8, n_estimators=1500),
    "depth 4, 1000 trees": dict(max_depth=4, num_leaves=16, n_estimators=1000),
    "extremely randomised, 1500 trees": dict(extra_trees=True, n_estimators=1500),
    "column sampling 0.5": dict(colsample_bytree=0.5),
    "column sampling 0.3": dict(colsample_bytree=0.3),
    "L2 5": dict(reg_lambda=5),
}


def lgbm(seed=42, **over):
    return lgb.LGBMClassifier(**{**PEERS, "random_state": seed, **over})


def xgbm(seed=42):
    return xgb.XGBClassifier(n_estimators=500, learning_rate=0.05, max_depth=6, subsample=0.8,
                             colsample_bytree=0.8, tree_method="hist", n_jobs=2, random_state=seed)


def sk_splits(X, y, seed):
    return list(StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y))


def vigie_splits(fold):
    return [(fold != k, fold == k) for k in range(5)]


def cv_auc(make, X, y, splits):
    return float(np.mean([roc_auc_score(y[te], make().fit(X[tr], y[tr]).predict_proba(X[te])[:, 1])
                          for tr, te in splits]))


def main():
    for name, folds_csv in zip(["1year", "5year"], sys.argv[1:3]):
        df = pd.read_csv(DATA.format(name))
        y = df.pop("class").values
        X = df.astype(float).values
        fold = pd.read_csv(folds_csv)["fold"].values
        print(f"== {name}", flush=True)
        split_variance(X, y)
        settings(df, X, y, fold)
        synthetic_sweep(df, X, y, fold)
        one_ratio(df, X, y, fold)


def split_variance(X, y):
    for seed in [1, 2, 3, 42]:
        res = [f"{n} {cv_auc(lambda: make(seed), X, y, sk_splits(X, y, seed)):.4f}"
               for n, make in [("lightgbm", lgbm), ("xgboost", xgbm)]]
        print("scikit-learn split, seed", seed, res, flush=True)


def settings(df, X, y, fold):
    nmiss = np.hstack([X, df.isna().sum(axis=1).values[:, None]])
    rows = [(n, X, over) for n, over in SETTINGS.items()]
    rows.append(("+ count of missing ratios", nmiss, {}))
    for label, Z, over in rows:
        sel = [cv_auc(lambda: lgbm(**over), Z, y, sk_splits(Z, y, s)) for s in [1, 2, 3]]
        ours = cv_auc(lambda: lgbm(**over), Z, y, vigie_splits(fold))
        print(f"{label:34s} selection (seeds 1-3) {np.mean(sel):.4f} "
              f"({' '.join(f'{a:.4f}' for a in sel)}, model seed 42)  Vigie's split {ours:.4f}",
              flush=True)


def synthetic_sweep(df, X, y, fold):
    names = list(df.columns)
    for k_top in [10, 12, 15, 20]:
        aucs = []
        for k in range(5):
            tr, te = fold != k, fold == k
            Z, cn = synthetic(X, y, tr, names, k_top)
            model = lgbm().fit(Z[tr], y[tr])
            aucs.append(roc_auc_score(y[te], model.predict_proba(Z[te])[:, 1]))
            if k == 0:
                gain = model.booster_.feature_importance("gain")
                best = [cn[i] for i in np.argsort(-gain)[:5]]
        print(f"lightgbm + synthetic features of the top {k_top}, Vigie's folds",
              round(float(np.mean(aucs)), 4), "; most used (fold 0):", best, flush=True)


def synthetic(X, y, tr, names, k_top):
    """X with the products, ratios and differences of every pair of the k_top features a
    first model finds most important on the training rows `tr`; and the column names."""
    top = np.argsort(-lgbm().fit(X[tr], y[tr]).feature_importances_)[:k_top]
    cols, cn = [X], list(names)
    for i, j in itertools.combinations(top, 2):
        a, b = X[:, i], X[:, j]
        with np.errstate(all="ignore"):
            cols += [(a * b)[:, None], (a / np.where(b == 0, np.nan, b))[:, None], (a - b)[:, None]]
        cn += [f"{names[i]}*{names[j]}", f"{names[i]}/{names[j]}", f"{names[i]}-{names[j]}"]
    return np.hstack(cols), cn


def one_ratio(df, X, y, fold):
    """The raw ratios plus Attr9 / Attr36 alone; and the share of rows where the two are
    exactly equal (sales = total sales), per class."""
    r = (df.Attr9 / df.Attr36.replace(0, np.nan)).values
    Z = np.hstack([X, r[:, None]])
    print("lightgbm + Attr9/Attr36 only: Vigie's split",
          f"{cv_auc(lgbm, Z, y, vigie_splits(fold)):.4f}, scikit-learn seeds 1-3",
          " ".join(f"{cv_auc(lgbm, Z, y, sk_splits(Z, y, s)):.4f}" for s in [1, 2, 3]), flush=True)
    equal = np.isclose(df.Attr9, df.Attr36, rtol=1e-6, atol=0)
    for c in [0, 1]:
        print(f"class {c}: Attr9 == Attr36 in {equal[y == c].mean():.1%} of rows; median ratio",
              round(float(np.nanmedian(r[y == c])), 3), flush=True)


if __name__ == "__main__":
    main()
