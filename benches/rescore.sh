#!/usr/bin/env bash
# End-to-end nightly rescoring of 1,000,000 companies (sources → features → scores +
# explanations of alerts → store → Parquet), into SQLite and into PostgreSQL: median wall
# time and peak memory over REPS runs, the time per phase (from the run reports), and as the
# baseline measured in the same run, the one-month panel alone (`vigie panel`, the features
# step as a separate command).
#
# Usage: bash benches/rescore.sh [SOURCES_DIR] [REPS]
#   SOURCES_DIR: 1,000,000 companies × 8 years; generated there if absent
#                (default target/bench-1m; `vigie generate --companies 1000000 --years 8
#                --seed 1`, about 45 s and 1.5 GB, as in the pipeline figures).
#   REPS: runs per configuration (default 3).
#   VIGIE_BENCH_POSTGRES_URL: a PostgreSQL database to use (its tables are dropped first);
#                without it the PostgreSQL rows are skipped, saying so.
# Needs a release build: cargo build --release --workspace --bins
#
# Each store first receives the run of 2025-11 (untimed); the timed runs score 2025-12
# under run ids r1, r2, …, each compared with the one before (diff and drift), as nightly
# runs are.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIE=${VIGIE:-target/release/vigie}  # VIGIE=path: another build (a "before" figure)
SRC=${1:-target/bench-1m}
REPS=${2:-3}
OUT=target/bench-rescore
MODEL=$(ls -d models/demo/*/ | head -1)
mkdir -p "$OUT"
if [ ! -f "$SRC/tax_monthly.parquet" ]; then
  "$VIGIE" generate --companies 1000000 --years 8 --seed 1 --out "$SRC" > /dev/null
fi

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| configuration | companies scored | alerts explained | median wall time | ratio to the panel alone | median peak memory | features s | scoring s | explanations s | compare s | files s | store s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"

# Baseline: the one-month panel alone.
for i in $(seq "$REPS"); do
  /usr/bin/time -f "%e %M" -o "$OUT/panel-$i.time" "$VIGIE" panel --input "$SRC" \
    --out "$OUT/panel.parquet" --from 2025-12 --to 2025-12 --demo-key > /dev/null 2>&1
done
PANEL=$(cat "$OUT"/panel-*.time | awk '{print $1}' | median)
PANEL_KB=$(cat "$OUT"/panel-*.time | awk '{print $2}' | median)
printf "| one-month panel alone (baseline) | | | %.1f s | 1.00 | %.2f GB | | | | | | |\n" \
  "$PANEL" "$(echo "$PANEL_KB" | awk '{print $1/1024/1024}')"

run() { # store label
  local store=$1 label=$2
  rm -rf "$OUT/$label"
  "$VIGIE" rescore --input "$SRC" --month 2025-11 --store "$store" --model "$MODEL" \
    --demo-key --report "$OUT/$label/2025-11" > /dev/null 2>&1
  for i in $(seq "$REPS"); do
    /usr/bin/time -f "%e %M" -o "$OUT/$label-$i.time" \
      "$VIGIE" rescore --input "$SRC" --month 2025-12 --run-id "r$i" --store "$store" \
      --demo-key --report "$OUT/$label/r$i" > "$OUT/$label-$i.json" 2> "$OUT/$label-$i.log"
  done
  python3 - "$OUT" "$label" "$REPS" "$PANEL" <<'PY'
import json, statistics, sys
out, label, reps, panel = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
runs = [json.load(open(f"{out}/{label}/r{i}/report.json")) for i in range(1, reps + 1)]
times = [open(f"{out}/{label}-{i}.time").read().split() for i in range(1, reps + 1)]
wall = statistics.median(float(t[0]) for t in times)
mem = statistics.median(int(t[1]) for t in times) / 1024 / 1024
med = lambda k: statistics.median(r["timings_seconds"][k] for r in runs)
s = runs[0]["summary"]
print(f"| rescore into {label} | {s['scored']:,} | {s['alerts']['red'] + s['alerts']['orange']:,} "
      f"| {wall:.1f} s | {wall / panel:.2f} | {mem:.2f} GB | {med('features'):.1f} | {med('scoring'):.1f} "
      f"| {med('explanations'):.1f} | {med('compare'):.1f} | {med('files'):.1f} | {med('store'):.1f} |")
PY
}

rm -f "$OUT/vigie.db" "$OUT/vigie.db-wal" "$OUT/vigie.db-shm"
run "sqlite://$OUT/vigie.db" sqlite
if [ -n "${VIGIE_BENCH_POSTGRES_URL:-}" ]; then
  PGOPTIONS='-c client_min_messages=warning' psql -q "$VIGIE_BENCH_POSTGRES_URL" \
    -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" > /dev/null
  run "$VIGIE_BENCH_POSTGRES_URL" postgres
else
  echo "(PostgreSQL skipped: set VIGIE_BENCH_POSTGRES_URL)"
fi
