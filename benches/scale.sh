#!/usr/bin/env bash
# The scaling table of issue #13 (BENCHMARKS.md, "Scaling"): for each number of companies,
# in one sitting, wall time and peak memory of
#   - `vigie generate --years 8` (the synthetic sources),
#   - the one-month panel alone (`vigie panel --from 2025-12 --to 2025-12`),
#   - the nightly rescore of 2025-12 into SQLite (and into PostgreSQL when
#     VIGIE_BENCH_POSTGRES_URL is set), compared with the run of 2025-11 written first,
#     untimed, as nightly runs are,
#   - `vigie serve` on the SQLite store: seconds until ready (the index loaded), resident
#     memory then, and the rate of company lookups (wrk, 2 threads, 64 connections, 10 s;
#     skipped, saying so, without wrk),
# then the slope of each line against the number of companies (least squares over the sizes)
# and the ratio of the largest size to 1,000,000. Memory is the maximum resident set of
# /usr/bin/time (KiB) in GiB; results.tsv keeps the raw figures (N step seconds KiB).
# REPORT=1: only print the table of an earlier run's target/bench-scale/results.tsv.
#
# Usage: bash benches/scale.sh ["SIZES"]
#   SIZES: numbers of companies (default "250000 1000000 2000000 5000000").
#   VIGIE_BENCH_POSTGRES_URL: a PostgreSQL database (its public schema is dropped first).
#   KEEP=1: keep each size's sources and stores (target/bench-scale/N); by default they are
#           deleted once measured (5,000,000 companies: 7.6 GB of sources).
# Needs a release build: cargo build --release -p vigie-cli
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIE=${VIGIE:-target/release/vigie}
SIZES=${1:-250000 1000000 2000000 5000000}
OUT=target/bench-scale
MODEL=$(ls -d models/demo/*/ | head -1)
ADDR=127.0.0.1:18191
mkdir -p "$OUT"
if [ "${REPORT:-0}" != 1 ]; then
  : > "$OUT/results.tsv"
  timed() { # name file-prefix command...: appends "N name seconds KiB" to results.tsv
    local name=$1 prefix=$2
    shift 2
    /usr/bin/time -f "%e %M" -o "$prefix.time" "$@" > "$prefix.out" 2> "$prefix.err"
    echo "$N $name $(cat "$prefix.time")" >> "$OUT/results.tsv"
  }

  for N in $SIZES; do
    D="$OUT/$N"
    rm -rf "$D"
    mkdir -p "$D"
    timed generate "$D/generate" "$VIGIE" generate --companies "$N" --years 8 --seed 1 --out "$D/src"
    timed panel "$D/panel" "$VIGIE" panel --input "$D/src" --out "$D/panel.parquet" \
      --from 2025-12 --to 2025-12 --demo-key
    rm -f "$D/panel.parquet"
    stores=("sqlite://$D/vigie.db")
    if [ -n "${VIGIE_BENCH_POSTGRES_URL:-}" ]; then
      stores+=("$VIGIE_BENCH_POSTGRES_URL")
    fi
    for store in "${stores[@]}"; do
      label=sqlite
      if [[ $store == postgres* ]]; then
        label=postgres
        PGOPTIONS='-c client_min_messages=warning' psql -q "$store" \
          -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" > /dev/null
      fi
      "$VIGIE" rescore --input "$D/src" --month 2025-11 --store "$store" --model "$MODEL" \
        --demo-key --report "$D/$label-2025-11" > /dev/null 2>&1
      timed "rescore-$label" "$D/rescore-$label" "$VIGIE" rescore --input "$D/src" \
        --month 2025-12 --store "$store" --demo-key --report "$D/$label-2025-12"
      python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['scored'])" \
        "$D/$label-2025-12/report.json" > "$D/scored"
    done
    # The API on the SQLite store, started once; the per-token rate limit would answer 429
    # to the load test: raised for the benchmark.
    printf 'rate_limit_per_second = 1e9\nrate_limit_burst = 1e9\n' > "$D/bench.toml"
    start=$(date +%s.%N)
    VIGIE_LOG=warn "$VIGIE" serve --store "sqlite://$D/vigie.db" --addr "$ADDR" \
      --config "$D/bench.toml" > "$D/serve.log" 2>&1 &
    SERVER=$!
    until curl -sf "http://$ADDR/readyz" > /dev/null; do sleep 0.2; done
    ready=$(echo "$(date +%s.%N) - $start" | bc)
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status")
    echo "$N serve-ready $ready $rss" >> "$OUT/results.tsv"
    if command -v wrk > /dev/null; then
      TOKEN=$("$VIGIE" token create --store "sqlite://$D/vigie.db" --name "scale-$N" --role analyst | tail -1)
      python3 - "$D/vigie.db" "$TOKEN" > "$D/lookup.lua" <<'PY'
import random, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
run = db.execute("SELECT run_id FROM runs ORDER BY month DESC, finished_at DESC LIMIT 1").fetchone()[0]
ids = [r[0] for r in db.execute("SELECT company_id FROM scores WHERE run_id = ?", (run,))]
random.seed(1)
print("ids = {" + ",".join(f'"{i}"' for i in random.sample(ids, 1000)) + "}")
print(f'wrk.headers["Authorization"] = "Bearer {sys.argv[2]}"')
print('request = function() return wrk.format("GET", "/v1/companies/" .. ids[math.random(#ids)]) end')
PY
      wrk -t2 -c64 -d10s --latency -s "$D/lookup.lua" "http://$ADDR/" > "$D/wrk.txt"
      python3 - "$D/wrk.txt" "$N" >> "$OUT/results.tsv" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
m = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", t)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(f"{sys.argv[2]} lookups {rps:.0f} {p99:.2f} {bad.group(1) if bad else 0}")
PY
      echo "$N serve-peak 0 $(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")" >> "$OUT/results.tsv"
    else
      echo "(lookup rate and peak memory under lookups skipped: wrk is not installed)"
    fi
    kill "$SERVER"
    wait "$SERVER" 2> /dev/null || true
    echo "$N scored $(cat "$D/scored") 0" >> "$OUT/results.tsv"
    if [ "${KEEP:-0}" != 1 ]; then
      rm -rf "$D/src" "$D/vigie.db" "$D/vigie.db-wal" "$D/vigie.db-shm"
    fi
  done
fi

python3 - "$OUT/results.tsv" <<'PY'
import collections, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
by = collections.defaultdict(dict)
for r in rows:
    by[r[1]][int(r[0])] = [float(x) for x in r[2:]]
sizes = sorted({int(r[0]) for r in rows})
def slope(points):
    xs = [x / 1e6 for x, _ in points]; ys = [y for _, y in points]
    if len(xs) < 2: return float("nan")
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
def ratio(d, k):
    big = max(d)
    return d[big][k] / d[1000000][k] if 1000000 in d and big != 1000000 else float("nan")
head = "| step | " + " | ".join(f"{n:,}" for n in sizes) + " | slope per million | largest / 1 M |"
print(head); print("|---" * (len(sizes) + 3) + "|")
scored = by.get("scored", {})
print("| companies scored | " + " | ".join(f"{int(scored[n][0]):,}" if n in scored else "" for n in sizes) + " | | |")
labels = [("generate", "generate --years 8"), ("panel", "one-month panel"),
          ("rescore-sqlite", "rescore into SQLite"), ("rescore-postgres", "rescore into PostgreSQL")]
for key, label in labels:
    d = by.get(key)
    if not d: continue
    cell = lambda n: f"{d[n][0]:.1f} s, {d[n][1] / 1024 / 1024:.2f} GiB" if n in d else ""
    t = slope([(n, d[n][0]) for n in d]); m = slope([(n, d[n][1] / 1024 / 1024) for n in d])
    print(f"| {label} | " + " | ".join(cell(n) for n in sizes)
          + f" | {t:.1f} s, {m:.2f} GiB | {ratio(d, 0):.2f}× time, {ratio(d, 1):.2f}× memory |")
d = by.get("serve-ready")
if d:
    print("| `vigie serve`: seconds to ready, resident memory then | " + " | ".join(
        f"{d[n][0]:.1f} s, {d[n][1] / 1024 / 1024:.2f} GiB" if n in d else "" for n in sizes)
        + f" | {slope([(n, d[n][0]) for n in d]):.1f} s, {slope([(n, d[n][1] / 1024 / 1024) for n in d]):.2f} GiB | |")
d = by.get("lookups")
if d:
    print("| company lookups (wrk, 64 connections): requests/s, p99 | " + " | ".join(
        f"{d[n][0]:,.0f}/s, {d[n][1]:.2f} ms" + (f" ({int(d[n][2])} non-2xx)" if d[n][2] else "") if n in d else ""
        for n in sizes) + " | | |")
d = by.get("serve-peak")
if d:
    print("| `vigie serve`: peak memory under the lookups | " + " | ".join(
        f"{d[n][1] / 1024 / 1024:.2f} GiB" if n in d else "" for n in sizes) + " | | |")
PY
