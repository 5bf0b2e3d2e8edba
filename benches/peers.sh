#!/usr/bin/env bash
# Vigie next to the Python peers (scikit-learn, LightGBM, XGBoost) on the real Polish
# bankruptcy data, in one run on this machine: same protocol (stratified 5-fold, seed 42),
# same cores. Prints a Markdown table for BENCHMARKS.md.
#
# Usage: bash benches/peers.sh [PYTHON]
#   PYTHON: an interpreter with scikit-learn, lightgbm, xgboost, pandas and pyarrow
#   (default .venv-peers/bin/python; set up with
#   python3 -m venv .venv-peers && .venv-peers/bin/pip install scikit-learn lightgbm xgboost pandas pyarrow)
# Needs a release build: cargo build --release -p vigie-cli
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv-peers/bin/python}
VIGIE=target/release/vigie
DATA=../shared/data/polish-bankruptcy/csv
OUT=target/peers
mkdir -p "$OUT"
for f in 1year 5year; do
  for m in gbdt logistic; do
    "$VIGIE" evaluate --data "$DATA/$f.csv" --label class --model "$m" --folds 5 --seed 42 \
      --json "$OUT/vigie-$m-$f.json" > /dev/null 2>&1
  done
  "$PY" ../shared/peers/peers.py --data "$DATA/$f.csv" --label class --folds 5 --seed 42 \
    --n-jobs 2 --models logreg,lightgbm,xgboost --json "$OUT/peers-$f.json" > /dev/null
  # The peers' exact folds (scikit-learn's StratifiedKFold, seed 42), for a comparison
  # free of split-to-split variance.
  "$PY" - "$DATA/$f.csv" "$OUT/$f-folds.csv" <<'PY'
import sys, numpy as np, pandas as pd
from sklearn.model_selection import StratifiedKFold
df = pd.read_csv(sys.argv[1]); fold = np.zeros(len(df), dtype=int)
for k, (_, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=42).split(df, df["class"])):
    fold[te] = k
df["fold"] = fold; df.to_csv(sys.argv[2], index=False)
PY
  "$VIGIE" evaluate --data "$OUT/$f-folds.csv" --label class --model gbdt --folds 5 --seed 42 \
    --fold-column fold --json "$OUT/vigie-gbdt-peerfolds-$f.json" > /dev/null 2>&1
  # And the peers on Vigie's own folds (same settings as peers.py).
  "$VIGIE" evaluate --data "$DATA/$f.csv" --label class --model logistic --folds 5 --seed 42 \
    --write-folds "$OUT/$f-vigie-folds.csv" > /dev/null 2>&1
  "$PY" - "$DATA/$f.csv" "$OUT/$f-vigie-folds.csv" "$OUT/peers-vigiefolds-$f.json" <<'PY'
import json, sys, numpy as np, pandas as pd, lightgbm as lgb, xgboost as xgb
from sklearn.metrics import roc_auc_score, average_precision_score, brier_score_loss
df = pd.read_csv(sys.argv[1]); y = df.pop("class").values; X = df.astype(float).values
fold = pd.read_csv(sys.argv[2])["fold"].values
make = {
    "lightgbm": lambda: lgb.LGBMClassifier(n_estimators=500, learning_rate=0.05, num_leaves=31, subsample=0.8,
                                           subsample_freq=1, colsample_bytree=0.8, n_jobs=2, random_state=42, verbose=-1),
    "xgboost": lambda: xgb.XGBClassifier(n_estimators=500, learning_rate=0.05, max_depth=6, subsample=0.8,
                                         colsample_bytree=0.8, tree_method="hist", eval_metric="logloss", n_jobs=2,
                                         random_state=42),
}
out = {}
for name, m in make.items():
    r = []
    for k in range(5):
        tr, te = fold != k, fold == k
        p = m().fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
        r.append((roc_auc_score(y[te], p), average_precision_score(y[te], p), brier_score_loss(y[te], p)))
    out[name] = dict(zip(["roc_auc", "pr_auc", "brier"], np.mean(r, axis=0).tolist()))
open(sys.argv[3], "w").write(json.dumps(out))
PY
done
"$PY" - "$OUT" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
print("| data | model | ROC AUC | average precision | Brier | fit on all rows (s) |")
print("|---|---|---|---|---|---|")
for f in ["1year", "5year"]:
    rows = []
    for m in ["gbdt", "logistic"]:
        d = json.loads((out / f"vigie-{m}-{f}.json").read_text())
        rows.append((f"Vigie {m}", d["roc_auc"], d["pr_auc"], d["brier"], d["fit_seconds"]))
    d = json.loads((out / f"vigie-gbdt-peerfolds-{f}.json").read_text())
    rows.append(("Vigie gbdt, peers' folds", d["roc_auc"], d["pr_auc"], d["brier"], d["fit_seconds"]))
    peers = json.loads((out / f"peers-{f}.json").read_text())["models"]
    for m in ["lightgbm", "xgboost", "logreg"]:
        d = peers[m]
        rows.append((m, d["roc_auc"], d["pr_auc"], d["brier"], d["fit_seconds"]))
    vf = json.loads((out / f"peers-vigiefolds-{f}.json").read_text())
    for m in ["lightgbm", "xgboost"]:
        d = vf[m]
        rows.append((f"{m}, Vigie's folds", d["roc_auc"], d["pr_auc"], d["brier"], float("nan")))
    for name, auc, ap, brier, fit in rows:
        fit_text = "–" if fit != fit else f"{fit:.2f}"
        print(f"| {f} | {name} | {auc:.4f} | {ap:.4f} | {brier:.4f} | {fit_text} |")
PY
