#!/usr/bin/env python3
"""Experiments behind the reading of the Polish comparison in BENCHMARKS.md.

1. How much the fold split alone moves LightGBM's and XGBoost's AUC (scikit-learn splits,
   seeds 1, 2, 3, 42).
2. Synthetic features (ratios, products, differences of the k most important ratios,
   chosen inside each training fold, as in the EXGB idea) on Vigie's own folds, for k = 10,
   12, 15, 20, and the synthetic features the model leans on most (first fold).

Usage: .venv-peers/bin/python benches/polish_experiments.py FOLDS.csv
  FOLDS.csv: `vigie evaluate --data ../shared/data/polish-bankruptcy/csv/1year.csv
  --label class --model gbdt --write-folds FOLDS.csv`
"""
import itertools
import sys

import lightgbm as lgb
import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

DATA = "../shared/data/polish-bankruptcy/csv/1year.csv"


def lgbm(seed=42):
    return lgb.LGBMClassifier(n_estimators=500, learning_rate=0.05, num_leaves=31, subsample=0.8,
                              subsample_freq=1, colsample_bytree=0.8, n_jobs=2, random_state=seed,
                              verbose=-1)


def xgbm(seed=42):
    return xgb.XGBClassifier(n_estimators=500, learning_rate=0.05, max_depth=6, subsample=0.8,
                             colsample_bytree=0.8, tree_method="hist", n_jobs=2, random_state=seed)


def main():
    df = pd.read_csv(DATA)
    y = df.pop("class").values
    X = df.astype(float).values
    for seed in [1, 2, 3, 42]:
        res = []
        for name, make in [("lightgbm", lgbm), ("xgboost", xgbm)]:
            aucs = []
            for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
                p = make(seed).fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
                aucs.append(roc_auc_score(y[te], p))
            res.append(f"{name} {np.mean(aucs):.4f}")
        print("scikit-learn split, seed", seed, res, flush=True)
    fold = pd.read_csv(sys.argv[1])["fold"].values
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

if __name__ == "__main__":
    main()
