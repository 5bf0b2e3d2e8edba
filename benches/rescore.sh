#!/usr/bin/env bash
# End-to-end nightly rescoring of 1,000,000 companies (sources → features → scores +
# explanations of alerts → store → Parquet), into SQLite and into PostgreSQL, with the
# wall time and peak memory of each run and the time per phase from the run report.
#
# Usage: bash benches/rescore.sh [SOURCES_DIR]
#   SOURCES_DIR: 1,000,000 companies × 8 years; generated there if absent
#                (default target/bench-1m; `vigie generate --companies 1000000 --years 8
#                --seed 1`, about 45 s and 1.5 GB, as in the pipeline figures).
#   VIGIE_BENCH_POSTGRES_URL: a PostgreSQL database to use (its Vigie tables are dropped
#                first); without it the PostgreSQL half is skipped, saying so.
# Needs a release build: cargo build --release --workspace --bins
#
# Each store first receives the run of 2025-11 (untimed), so that the timed run of 2025-12
# compares with a previous run (diff and drift), as a nightly run does.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIE=target/release/vigie
SRC=${1:-target/bench-1m}
OUT=target/bench-rescore
MODEL=$(ls -d models/demo/*/ | head -1)
mkdir -p "$OUT"
if [ ! -f "$SRC/tax_monthly.parquet" ]; then
  "$VIGIE" generate --companies 1000000 --years 8 --seed 1 --out "$SRC" > /dev/null
fi

run() { # store label
  local store=$1 label=$2
  "$VIGIE" rescore --input "$SRC" --month 2025-11 --store "$store" --model "$MODEL" \
    --demo-key --report "$OUT/$label/2025-11" > /dev/null 2>&1
  /usr/bin/time -f "%e %M" -o "$OUT/$label.time" \
    "$VIGIE" rescore --input "$SRC" --month 2025-12 --store "$store" --demo-key \
    --report "$OUT/$label/2025-12" > "$OUT/$label.json" 2> "$OUT/$label.log"
  read -r secs kb < "$OUT/$label.time"
  python3 - "$OUT/$label/2025-12/report.json" "$label" "$secs" "$kb" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = r["timings_seconds"]; s = r["summary"]
print(f"| {sys.argv[2]} | {s['scored']:,} | {s['alerts']['red'] + s['alerts']['orange']:,} "
      f"| {float(sys.argv[3]):.1f} s | {int(sys.argv[4]) / 1024 / 1024:.2f} GB "
      f"| {t['features']:.1f} | {t['scoring']:.1f} | {t['explanations']:.1f} "
      f"| {t['compare']:.1f} | {t['files']:.1f} | {t['store']:.1f} |")
PY
}

echo "| store | companies scored | alerts explained | wall time | peak memory | features s | scoring s | explanations s | compare s | files (Parquet, rejects) s | store s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
rm -f "$OUT/vigie.db" "$OUT/vigie.db-wal" "$OUT/vigie.db-shm"
run "sqlite://$OUT/vigie.db" sqlite
if [ -n "${VIGIE_BENCH_POSTGRES_URL:-}" ]; then
  psql -q "$VIGIE_BENCH_POSTGRES_URL" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" > /dev/null
  run "$VIGIE_BENCH_POSTGRES_URL" postgres
else
  echo "(PostgreSQL skipped: set VIGIE_BENCH_POSTGRES_URL)"
fi
