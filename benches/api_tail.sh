#!/usr/bin/env bash
# The tail latency of company lookups at the target rate (issue #13): a fresh `vigie serve`
# on STORE, then ROUNDS open-loop runs of SECONDS each at 20,000 requests/s offered (oha,
# 64 connections, latency corrected for coordinated omission) over 1,000 companies drawn at
# random (seeded) from the latest run. Prints, per round, the achieved rate, p50, p90, p99
# and p99.9, the server's CPU (share of one core) and oha's; then the server's peak memory.
# Every lookup writes its audit row, so the store's audit log grows by about 20,000 rows a
# second of load: run it on a copy of the store.
#
# Usage: bash benches/api_tail.sh STORE_FILE [ROUNDS] [SECONDS] [RATE]
#   STORE_FILE: a SQLite store holding a rescored run, e.g. a copy of the 5,000,000-company
#               store of benches/rescore_scale.sh (target/bench-rescore-scale/base-5m.db).
# Needs a release build (cargo build --release -p vigie-cli) and oha (`cargo install oha`).
# VIGIE=path runs another build (a "before" figure); alternate builds within one sitting.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIE=${VIGIE:-target/release/vigie}
DB=$1
ROUNDS=${2:-3}
SECONDS_EACH=${3:-20}
RATE=${4:-20000}
OUT=target/bench-api-tail
ADDR=127.0.0.1:18191
mkdir -p "$OUT"
source benches/serve_for_load.sh
serve_for_load "$DB" "$ADDR" "$OUT" tail regex   # TOKEN, $OUT/ids.regex, SERVER
started=$(date +%s.%N)
trap 'kill $SERVER 2>/dev/null || true' EXIT
until curl -sf "http://$ADDR/readyz" > /dev/null; do sleep 0.5; done
echo "ready after $(python3 -c "print(round($(date +%s.%N) - $started, 1))") s," \
  "resident $(awk '/VmRSS/ {printf "%.2f GB", $2 * 1024 / 1e9}' /proc/$SERVER/status)"
ticks=$(getconf CLK_TCK)
for i in $(seq "$ROUNDS"); do
  cpu0=$(awk '{print $14 + $15}' /proc/$SERVER/stat)
  /usr/bin/time -f "%U %S" -o "$OUT/oha-$i.time" oha -z "${SECONDS_EACH}s" -c 64 -q "$RATE" \
    --latency-correction --no-tui --output-format json -H "Authorization: Bearer $TOKEN" \
    --rand-regex-url "http://$ADDR/v1/companies/($(cat "$OUT/ids.regex"))" > "$OUT/oha-$i.json" 2> /dev/null
  cpu1=$(awk '{print $14 + $15}' /proc/$SERVER/stat)
  python3 - "$OUT/oha-$i.json" "$i" "$(( (cpu1 - cpu0) * 100 / ticks / SECONDS_EACH ))" \
    "$(cat "$OUT/oha-$i.time")" "$SECONDS_EACH" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); p = d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
bad = sum(n for c, n in codes.items() if not c.startswith("2"))
oha = sum(map(float, sys.argv[4].split())) / float(sys.argv[5])
print(f"round {sys.argv[2]}: {d['summary']['requestsPerSec']:,.0f}/s, p50 {p['p50'] * 1000:.2f} ms, "
      f"p90 {p['p90'] * 1000:.2f} ms, p99 {p['p99'] * 1000:.2f} ms, p99.9 {p['p99.9'] * 1000:.2f} ms, "
      f"non-2xx {bad}; server CPU {sys.argv[3]} %, oha {oha:.0%}")
PY
done
echo "server peak memory (VmHWM): $(awk '/VmHWM/ {printf "%.2f GB", $2 * 1024 / 1e9}' /proc/$SERVER/status)"
