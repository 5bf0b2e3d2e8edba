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
    peers = json.loads((out / f"peers-{f}.json").read_text())["models"]
    for m in ["lightgbm", "xgboost", "logreg"]:
        d = peers[m]
        rows.append((m, d["roc_auc"], d["pr_auc"], d["brier"], d["fit_seconds"]))
    for name, auc, ap, brier, fit in rows:
        print(f"| {f} | {name} | {auc:.4f} | {ap:.4f} | {brier:.4f} | {fit:.2f} |")
PY
