#!/usr/bin/env bash
# `vigie train --model gbdt` and LightGBM on exactly the same fits, in one run (issue #13):
# end-to-end wall time (the panel read included), peak memory, and the last window's
# out-of-time ROC AUC and average precision on the same test rows.
#
# Usage: bash benches/train.sh PANEL [PYTHON]
#   PANEL: a quarterly panel (vigie panel --step 3 --keep-in-procedure), e.g. the
#   200,000-company one of BENCHMARKS.md; PYTHON: an interpreter with lightgbm,
#   scikit-learn, pandas and pyarrow (default .venv-peers/bin/python, see benches/peers.sh).
# Needs a release build: cargo build --release -p vigie-cli
#
# Vigie runs first, with `--fit-rows`: it writes the rows of each of its fits (each
# walk-forward window's training and validation rows, the refit's, the test rows), which
# the peer then fits with LightGBM (benches/train_peer.py, the settings of
# ../shared/peers/peers.py, early stopping after 50 trees as Vigie's). Vigie's time includes
# writing those rows and everything the peer does not do (calibration, the evaluation of
# the last window, the model card): the comparison is conservative for Vigie.
set -euo pipefail
cd "$(dirname "$0")/.."
PANEL=$1
PY=${2:-.venv-peers/bin/python}
VIGIE=${VIGIE:-target/release/vigie}  # VIGIE=path: another build (a "before" figure)
SEED=${SEED:-42}  # SEED=n: both sides' random seed (row and column sampling)
OUT=target/bench-train
rm -rf "$OUT"
mkdir -p "$OUT"
/usr/bin/time -v "$VIGIE" train --panel "$PANEL" --model gbdt --cv-folds 0 --seed "$SEED" \
  --out "$OUT/model" --fit-rows "$OUT/rows" > "$OUT/vigie.log" 2> "$OUT/vigie.time"
/usr/bin/time -v "$PY" benches/train_peer.py "$PANEL" "$OUT/rows" "$SEED" > "$OUT/lightgbm.json" \
  2> "$OUT/lightgbm.time"
"$PY" - "$OUT" <<'PY'
import glob, json, re, sys
out = sys.argv[1]
def usage(path):
    t = open(path).read()
    h, m, s = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", t).groups()
    wall = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) * 1024 / 1e9
    return wall, rss
vw, vm = usage(f"{out}/vigie.time")
lw, lm = usage(f"{out}/lightgbm.time")
metrics = json.load(open(glob.glob(f"{out}/model/*/metrics.json")[0]))
s = metrics["summary"]
walk = metrics["walk_forward"]
l = json.load(open(f"{out}/lightgbm.json"))
print("| | wall clock | peak memory | ROC AUC | average precision | trees per fit |")
print("|---|---:|---:|---:|---:|---|")
print(f"| Vigie | {vw:.1f} s | {vm:.2f} GB | {s['roc_auc']:.4f} | {s['average_precision']:.4f} | "
      f"{', '.join(str(w['trees']) for w in walk)}, refit {walk[-1]['trees']} |")  # the refit keeps the last window's number
print(f"| LightGBM {l['lightgbm']} | {lw:.1f} s (read {l['read_seconds']:.1f} s, fits {l['fit_seconds']:.1f} s) "
      f"| {lm:.2f} GB | {l['roc_auc']:.4f} | {l['average_precision']:.4f} | "
      f"{', '.join(str(f['trees']) for f in l['fits'])} |")
print(f"\nVigie / LightGBM: time {vw / lw:.2f}, memory {vm / lm:.2f}; "
      f"AUC {s['roc_auc'] - l['roc_auc']:+.4f}, AP {s['average_precision'] - l['average_precision']:+.4f}; "
      f"{l['test_rows']:,} test rows")
PY
