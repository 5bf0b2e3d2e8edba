#!/usr/bin/env bash
# Vigie's logistic fit and scikit-learn's lbfgs on the same rows and transforms, in one run
# (issue #13). Prints both fits' seconds, objectives and their ratio.
#
# Usage: bash benches/logistic_peer.sh PANEL [PYTHON] [MONTHS]
#   PANEL: a quarterly panel (vigie panel --step 3 --keep-in-procedure), e.g. the
#   200,000-company one of BENCHMARKS.md; PYTHON: an interpreter with scikit-learn and
#   numpy (default .venv-peers/bin/python, see benches/peers.sh); MONTHS: the training
#   window (default 36, as vigie train's).
# Builds the release binary of the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
PANEL=$1
PY=${2:-.venv-peers/bin/python}
MONTHS=${3:-36}
OUT=target/logistic-peer
cargo build --release -p vigie-benches --bin logistic-peer >&2
/usr/bin/time -v target/release/logistic-peer "$PANEL" "$OUT" "$MONTHS" > "$OUT.vigie.json" 2> "$OUT.vigie.time"
"$PY" benches/logistic_peer.py "$OUT" "$OUT.vigie.json" > "$OUT.sklearn.json"
"$PY" - "$OUT.vigie.json" "$OUT.sklearn.json" <<'PY'
import json, sys
v, s = (json.load(open(p)) for p in sys.argv[1:3])
print(f"rows {v['rows']:,} × {v['columns']} columns (from {v['from_month']}), {v['threads']} threads")
print(f"Vigie L-BFGS:       {v['fit_seconds']:.1f} s, {v['iterations']} iterations, objective {s['vigie_objective']:.4f}")
print(f"scikit-learn lbfgs: {s['fit_seconds']:.1f} s, {s['iterations']} iterations, objective {s['objective']:.4f} ({s['sklearn']})")
print(f"ratio Vigie / scikit-learn: {v['fit_seconds'] / s['fit_seconds']:.2f}; largest weight difference {s['max_weight_difference']:.2e}")
PY
