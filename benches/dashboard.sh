#!/usr/bin/env bash
# Server-side rendering time of the dashboard's pages on a large store: each page is
# requested N times one after the other on one keep-alive connection (oha, loopback), REPS
# times; medians of the p50 and p99 latencies, with /healthz measured the same way in the
# same run as the floor (HTTP and loopback alone).
#
# Usage: bash benches/dashboard.sh STORE_FILE [N] [REPS]
#   STORE_FILE: a SQLite store holding rescored runs (e.g. target/bench-rescore/vigie.db
#               after benches/rescore.sh: 1,000,000 companies, 793,450 scored per run).
# Needs a release build (cargo build --release -p vigie-cli) and oha (`cargo install oha`).
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIE=target/release/vigie
DB=$1
N=${2:-300}
REPS=${3:-3}
OUT=target/bench-dashboard
ADDR=127.0.0.1:18182
mkdir -p "$OUT"
URL="sqlite://$DB"
read -r RUN BUSY ALERT < <(python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
run = db.execute("SELECT run_id FROM runs ORDER BY month DESC, finished_at DESC LIMIT 1").fetchone()[0]
dep = db.execute("SELECT departement, COUNT(*) n FROM scores WHERE run_id = ? AND level <> 'green' "
                 "GROUP BY departement ORDER BY n DESC LIMIT 1", (run,)).fetchone()[0]
alert = db.execute("SELECT company_id FROM scores WHERE run_id = ? AND level = 'red' "
                   "ORDER BY p_18m DESC LIMIT 1", (run,)).fetchone()[0]
print(run, dep, alert)
PY
)
stamp=$(date +%s%N)
ANALYST=$("$VIGIE" token create --store "$URL" --name "bench-analyst-$stamp" --role analyst | tail -1)
AGENT=$("$VIGIE" token create --store "$URL" --name "bench-agent-$stamp" --role agent --territories "$BUSY" | tail -1)
printf 'rate_limit_per_second = 1e9\nrate_limit_burst = 1e9\n' > "$OUT/bench.toml"
VIGIE_LOG=warn "$VIGIE" serve --store "$URL" --addr "$ADDR" --config "$OUT/bench.toml" \
  > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
until curl -sf "http://$ADDR/readyz" > /dev/null; do sleep 0.5; done
# Waits for the in-memory index (company pages read it).
until grep -q "score index built" "$OUT/server.log" 2>/dev/null || [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/readyz")" = 200 ]; do sleep 0.5; done
session() { # token → session cookie
  local jar="$OUT/jar-$RANDOM" csrf
  csrf=$(curl -s -c "$jar" "http://$ADDR/connexion" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
  curl -s -o /dev/null -b "$jar" -c "$jar" --data "jeton=$1&csrf=$csrf" "http://$ADDR/connexion"
  awk '$6 == "vigie_session" {print "vigie_session=" $7}' "$jar"
}
S_ANALYST=$(session "$ANALYST")
S_AGENT=$(session "$AGENT")
measure() { # label cookie path
  local label=$1 cookie=$2 path=$3 i
  local rows
  rows=$(curl -s -H "Cookie: $cookie" "http://$ADDR$path" | grep -c '<td><a href="/entreprises/' || true)
  for i in $(seq "$REPS"); do
    oha -n "$N" -c 1 --no-tui --output-format json -H "Cookie: $cookie" "http://$ADDR$path" \
      > "$OUT/oha-$i.json" 2> /dev/null
  done
  python3 - "$OUT" "$REPS" "$label" "$rows" <<'PY'
import json, statistics, sys
out, reps, label, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = [json.load(open(f"{out}/oha-{i}.json")) for i in range(1, reps + 1)]
bad = sum(n for d in runs for c, n in d.get("statusCodeDistribution", {}).items() if not c.startswith("2"))
p50 = statistics.median(d["latencyPercentiles"]["p50"] * 1000 for d in runs)
p99s = [d["latencyPercentiles"]["p99"] * 1000 for d in runs]
print(f"| {label} | {rows} | {p50:.2f} ms | {statistics.median(p99s):.2f} ms ({min(p99s):.2f}–{max(p99s):.2f}) | {bad} |")
PY
}
echo "run $RUN; agent of département $BUSY; $N sequential requests × $REPS"
echo
echo "| page | alert rows | p50 (median) | p99 (median, and range) | non-2xx |"
echo "|---|---:|---:|---:|---:|"
measure "GET /healthz (floor)" "" /healthz
measure "GET /alertes, analyst (national, 50 of every alert)" "$S_ANALYST" /alertes
measure "GET /alertes, analyst, red, section C, by département" "$S_ANALYST" "/alertes?level=red&naf_section=C&sort=departement"
measure "GET /alertes, agent of $BUSY" "$S_AGENT" /alertes
measure "GET /entreprises/{id}, analyst (a red alert)" "$S_ANALYST" "/entreprises/$ALERT"
measure "GET /executions, analyst" "$S_ANALYST" /executions
echo
echo "server peak memory (VmHWM): $(awk '/VmHWM/ {printf "%.2f GB", $2/1024/1024}' /proc/$SERVER/status)"
