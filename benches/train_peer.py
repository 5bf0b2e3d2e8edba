#!/usr/bin/env python3
"""LightGBM on exactly the fits of `vigie train` (issue #13), end to end, data read included.

Usage: train_peer.py PANEL FIT_ROWS_DIR [SEED]

FIT_ROWS_DIR is what `vigie train --fit-rows DIR` wrote: `features.txt` (the model's
features, in order), one `fit-<cutoff>.csv` per walk-forward window and
`fit-<cutoff>-refit.csv` for the shipped model (columns row, role, label: the panel's row
number, train or validation, the 18-month label), and `test.csv` (the evaluated window's
test rows and labels). Each window is fitted with the LightGBM settings of
`../shared/peers/peers.py` (500 trees, learning rate 0.05, 31 leaves, row and column
sampling 0.8, 2 threads), stopped early after 50 trees without progress of the validation
log-loss, as Vigie's windows are; the refit takes the last window's number of trees, as
Vigie's does. The last window's model is measured on the test rows. Prints JSON.
"""
import json
import sys
import time
from pathlib import Path

t0 = time.perf_counter()
import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402

panel, rows_dir = Path(sys.argv[1]), Path(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
features = (rows_dir / "features.txt").read_text().split()
table = pq.read_table(panel, columns=features)
X = np.column_stack([table.column(f).to_numpy(zero_copy_only=False).astype(np.float64) for f in features])
del table
read_s = time.perf_counter() - t0


def model(n):
    return lgb.LGBMClassifier(n_estimators=n, learning_rate=0.05, num_leaves=31, subsample=0.8,
                              subsample_freq=1, colsample_bytree=0.8, n_jobs=2, random_state=seed,
                              verbose=-1)


fits = []
last = None
windows = sorted(p for p in rows_dir.glob("fit-*.csv") if not p.name.endswith("-refit.csv"))
refits = sorted(rows_dir.glob("fit-*-refit.csv"))
for path in windows + refits:
    f = pd.read_csv(path)
    tr, va = f[f.role == "train"], f[f.role == "validation"]
    t = time.perf_counter()
    if path in refits:
        m = model(max(1, last.best_iteration_ or last.n_estimators)).fit(X[tr.row.values], tr.label.values)
        trees = m.n_estimators
    else:
        m = model(500).fit(X[tr.row.values], tr.label.values, eval_set=[(X[va.row.values], va.label.values)],
                           eval_metric="binary_logloss", callbacks=[lgb.early_stopping(50, verbose=False)])
        trees = m.best_iteration_
        last = m
    fits.append({"fit": path.stem, "train_rows": len(tr), "validation_rows": len(va), "trees": int(trees),
                 "seconds": time.perf_counter() - t})

test = pd.read_csv(rows_dir / "test.csv")
p = last.predict_proba(X[test.row.values], num_iteration=last.best_iteration_)[:, 1]
print(json.dumps({
    "lightgbm": lgb.__version__,
    "read_seconds": read_s,
    "fit_seconds": sum(f["seconds"] for f in fits),
    "total_seconds": time.perf_counter() - t0,
    "fits": fits,
    "test_rows": len(test),
    "roc_auc": roc_auc_score(test.label.values, p),
    "average_precision": average_precision_score(test.label.values, p),
}, indent=1))
