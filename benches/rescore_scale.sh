#!/usr/bin/env bash
# The nightly rescore's scaling (issue #13, item 1), in one sitting: REPS rounds, each the
# rescore of 2025-12 of 1,000,000 companies then of 5,000,000, into SQLite (and into
# PostgreSQL when VIGIE_BENCH_POSTGRES_URL is set). Every timed run starts from a copy of the
# same store holding the run of 2025-11 (a file copy for SQLite, `CREATE DATABASE …
# TEMPLATE` for PostgreSQL), so each compares with one previous run, as a nightly run does,
# and no round sees a store grown by the rounds before. Alternating the sizes spreads the
# machine's drift (page cache, other load) over both. Prints, per store and size, the median
# wall time and peak memory (/usr/bin/time), the medians of the phases (the runs' reports),
# and the ratio of the 5 M median to the 1 M median (the target: at most 5).
#
# Usage: bash benches/rescore_scale.sh [SRC_1M] [SRC_5M] [REPS]
#   SRC_1M, SRC_5M: sources of `vigie generate --companies N --years 8 --seed 1`, generated
#     there if absent (defaults target/bench-1m, target/bench-5m; 1.5 GB and 8.1 GB).
#   REPS: rounds (default 3).
#   VIGIE_BENCH_POSTGRES_URL: a PostgreSQL server's database whose user may create
#     databases; the script creates and drops vigie_scale_* databases beside it.
# Needs a release build (cargo build --release -p vigie-cli), about 5 GB of TMPDIR (the
# 5 M run's spill) and, for SQLite, 6 GB beside target/bench-rescore-scale.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIE=${VIGIE:-target/release/vigie}  # VIGIE=path: another build (a "before" figure)
SRC_1M=${1:-target/bench-1m}
SRC_5M=${2:-target/bench-5m}
REPS=${3:-3}
OUT=target/bench-rescore-scale
MODEL=$(ls -d models/demo/*/ | head -1)
mkdir -p "$OUT"
rm -f "$OUT"/*.tsv
declare -A SRC=([1m]=$SRC_1M [5m]=$SRC_5M)
declare -A COMPANIES=([1m]=1000000 [5m]=5000000)
for size in 1m 5m; do
  if [ ! -f "${SRC[$size]}/tax_monthly.parquet" ]; then
    "$VIGIE" generate --companies "${COMPANIES[$size]}" --years 8 --seed 1 \
      --out "${SRC[$size]}" > /dev/null
  fi
done

stores=(sqlite)
PG=${VIGIE_BENCH_POSTGRES_URL:-}
if [ -n "$PG" ]; then
  stores+=(postgres)
else
  echo "(PostgreSQL skipped: VIGIE_BENCH_POSTGRES_URL is not set)" >&2
fi
pg_url() { echo "${PG%/*}/$1"; }
pg() { PGOPTIONS='-c client_min_messages=warning' psql -q "$PG" -c "$1" > /dev/null; }

# The stores holding 2025-11 (untimed).
for size in 1m 5m; do
  for store in "${stores[@]}"; do
    if [ "$store" = sqlite ]; then
      rm -f "$OUT/base-$size.db"*
      url="sqlite://$OUT/base-$size.db"
    else
      pg "DROP DATABASE IF EXISTS vigie_scale_base_$size"
      pg "CREATE DATABASE vigie_scale_base_$size"
      url=$(pg_url "vigie_scale_base_$size")
    fi
    "$VIGIE" rescore --input "${SRC[$size]}" --month 2025-11 --store "$url" --model "$MODEL" \
      --demo-key --report "$OUT/base-$store-$size" > /dev/null 2>&1
  done
done

for rep in $(seq "$REPS"); do
  for store in "${stores[@]}"; do
    for size in 1m 5m; do
      if [ "$store" = sqlite ]; then
        rm -f "$OUT/work.db"*
        cp "$OUT/base-$size.db" "$OUT/work.db"
        url="sqlite://$OUT/work.db"
      else
        pg "DROP DATABASE IF EXISTS vigie_scale_work"
        pg "CREATE DATABASE vigie_scale_work TEMPLATE vigie_scale_base_$size"
        url=$(pg_url vigie_scale_work)
      fi
      sync
      run="$OUT/$store-$size-$rep"
      /usr/bin/time -f "%e %M" -o "$run.time" "$VIGIE" rescore --input "${SRC[$size]}" \
        --month 2025-12 --store "$url" --demo-key --report "$run" > /dev/null 2> "$run.err"
      python3 - "$run" "$store" "$size" >> "$OUT/runs.tsv" <<'PY'
import json, sys
run, store, size = sys.argv[1:]
seconds, kib = open(run + ".time").read().split()
t = json.load(open(run + "/report.json"))["timings_seconds"]
phases = ["features", "scoring", "explanations", "compare", "files", "store"]
print("\t".join([store, size, seconds, kib] + [f"{t.get(p, 0):.1f}" for p in phases]))
PY
      tail -1 "$OUT/runs.tsv" >&2
    done
  done
done
[ -z "$PG" ] || { pg "DROP DATABASE IF EXISTS vigie_scale_work"; for s in 1m 5m; do pg "DROP DATABASE IF EXISTS vigie_scale_base_$s"; done; }
rm -f "$OUT/work.db"*

python3 - "$OUT/runs.tsv" <<'PY'
import statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split("\t")
    runs[(f[0], f[1])].append([float(x) for x in f[2:]])
med = lambda rows, k: statistics.median(r[k] for r in rows)
phases = ["features", "scoring", "explanations", "compare", "files", "store"]
print("| store | companies | runs | wall time (median, range) | peak memory (median, KiB) | "
      + " | ".join(f"{p} s" for p in phases) + " |")
print("|---|---:|---:|---:|---:|" + "---:|" * len(phases))
for (store, size), rows in sorted(runs.items()):
    walls = [r[0] for r in rows]
    print(f"| {store} | {size.upper()} | {len(rows)} | {statistics.median(walls):.1f} s "
          f"({min(walls):.1f}–{max(walls):.1f}) | {med(rows, 1):,.0f} | "
          + " | ".join(f"{med(rows, 2 + i):.1f}" for i in range(len(phases))) + " |")
for store in sorted({s for s, _ in runs}):
    a, b = runs.get((store, "1m")), runs.get((store, "5m"))
    if a and b:
        ratio = med(b, 0) / med(a, 0)
        pairs = [y[0] / x[0] for x, y in zip(a, b)]
        print(f"\n{store}: 5 M / 1 M = {ratio:.2f} (medians; per round "
              + ", ".join(f"{p:.2f}" for p in pairs) + f"); 5 M peak {med(b, 1):,.0f} KiB"
              f" = {med(b, 1) * 1024 / 1e9:.2f} GB")
PY
