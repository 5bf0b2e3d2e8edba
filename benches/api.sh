#!/usr/bin/env bash
# Load test of the API with wrk on loopback (2 threads, 64 connections, REPS runs of
# DURATION seconds each, medians reported), SQLite store: /healthz as the ceiling, GET
# /v1/companies/{id} over 1,000 companies drawn from the store (and over 1,000 red alerts,
# whose answers carry levers computed on demand), POST /v1/score for one
# company with and without explanations — with the complete 42-feature vector an analyst
# sends, and with the 4-feature body of earlier measurements. The peer, in the same run: a
# bare axum server (benches/bare_server.rs) that parses the same 42 named features into a
# struct, scores them with the same model and answers JSON; Vigie's score route is quoted
# as a share of its rate. Prints requests/s and latency percentiles, and the server's peak
# memory.
#
# Usage: bash benches/api.sh STORE_FILE [DURATION] [REPS]
#   STORE_FILE: a SQLite store holding rescored runs (e.g. target/bench-rescore/vigie.db
#               after benches/rescore.sh: 1,000,000 companies, 793,450 scored per run).
# Needs a release build (cargo build --release --workspace --bins) and wrk (Debian package).
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIE=${VIGIE:-target/release/vigie}  # VIGIE=path: another build (a "before" figure)
DB=$1
DURATION=${2:-10}
REPS=${3:-3}
OUT=target/bench-api
ADDR=127.0.0.1:18181
mkdir -p "$OUT"
source benches/serve_for_load.sh
serve_for_load "$DB" "$ADDR" "$OUT" bench lua   # TOKEN, $OUT/ids.lua, SERVER
BARE=
trap 'kill $SERVER $BARE 2>/dev/null || true' EXIT
until curl -sf "http://$ADDR/readyz" > /dev/null; do sleep 0.5; done
FEATURES=$(python3 -c 'import json; print(json.dumps({"features": {"tax_arrears_ratio": 0.12, "fin_equity_to_assets": 0.05, "act_vat_growth_yoy": -0.2, "prof_age_years": 7}}))')
# The complete vector: every catalogue feature, as an analyst sends it (a few missing).
FEATURES42=$(python3 - <<'PY'
import json, re
src = open("crates/vigie-core/src/features.rs").read()
names = re.findall(r'^\s*f\(\s*"([a-z0-9_]+)"', src, flags=re.M)
assert len(names) == 42, len(names)
values = {n: (None if i % 11 == 5 else round(0.37 * ((i * 7919) % 13) / 13 - 0.1, 4)) for i, n in enumerate(names)}
print(json.dumps({"features": values}))
PY
)
# The peer serves the store's active model.
python3 - "$DB" "$OUT/model.json" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
open(sys.argv[2], "w").write(db.execute("SELECT model_json FROM models WHERE active = 1").fetchone()[0])
PY
BARE_ADDR=127.0.0.1:18182
target/release/bare-score-server "$OUT/model.json" "$BARE_ADDR" > "$OUT/bare.log" 2>&1 &
BARE=$!
until curl -s -o /dev/null "http://$BARE_ADDR/score"; do sleep 0.2; done
lookups() { # name list: company lookups drawn at random from a list of ids.lua
  cat > "$OUT/$1.lua" <<LUA
dofile("$OUT/ids.lua")
wrk.headers["Authorization"] = "Bearer $TOKEN"
request = function()
  return wrk.format("GET", "/v1/companies/" .. $2[math.random(#$2)])
end
LUA
}
lookups company ids
lookups red reds
post() { # name features explain → lua file
  local body
  body=$(python3 -c "import json,sys; b=json.loads(sys.argv[1]); b['explain']=sys.argv[2]=='true'; print(json.dumps(b))" "$2" "$3")
  cat > "$OUT/score-$1.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
}
post 4-true "$FEATURES" true
post 4-false "$FEATURES" false
post 42-true "$FEATURES42" true
post 42-false "$FEATURES42" false
cat > "$OUT/bare.lua" <<LUA
wrk.method = "POST"
wrk.body = '$FEATURES42'
wrk.headers["Content-Type"] = "application/json"
LUA
run() { # label path [script] [address] [connections]
  local label=$1 path=$2 script=${3:-} addr=${4:-$ADDR} conns=${5:-64}
  local base threads=$(( ${5:-64} < 2 ? 1 : 2 ))
  base="$OUT/$(echo "$label" | tr -c 'a-zA-Z0-9' '_')"
  for i in $(seq "$REPS"); do
    if [ -n "$script" ]; then
      wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency -s "$script" "http://$addr$path" > "$base-$i.txt"
    else
      wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency "http://$addr$path" > "$base-$i.txt"
    fi
  done
  python3 - "$base" "$REPS" "$label" <<'PY'
import re, statistics, sys
base, reps, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def ms(t, p):
    m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", t)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
runs = [open(f"{base}-{i}.txt").read() for i in range(1, reps + 1)]
rps = [float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)) for t in runs]
p50 = [ms(t, 50) for t in runs]
p99 = [ms(t, 99) for t in runs]
errors = sum(int(m.group(1)) for t in runs for m in [re.search(r"Non-2xx or 3xx responses: (\d+)", t)] if m)
spread = f"{min(p99):.2f}–{max(p99):.2f}"
print(f"| {label} | {statistics.median(rps):,.0f} | {statistics.median(p50):.2f} ms "
      f"| {statistics.median(p99):.2f} ms ({spread}) | {errors} |")
open(f"{base}.rps", "w").write(str(statistics.median(rps)))
PY
}
echo "| request | requests/s (median) | p50 (median) | p99 (median, and range) | non-2xx |"
echo "|---|---:|---:|---:|---:|"
run "GET /healthz (ceiling)" /healthz
run "GET /v1/companies/{id} (1,000 companies at random)" /v1/companies/x "$OUT/company.lua"
# Levers: each answer rescores up to 3,000 changed rows. Their latency is read with two
# connections (the service time, as agents opening company pages see it), their capacity
# with 64.
run "GET /v1/companies/{id}, red alerts with levers, 2 connections" /v1/companies/x "$OUT/red.lua" "$ADDR" 2
run "GET /v1/companies/{id}, red alerts with levers, 64 connections" /v1/companies/x "$OUT/red.lua"
run "POST /v1/score, 42 features, with explanations" /v1/score "$OUT/score-42-true.lua"
run "POST /v1/score, 42 features, explain=false" /v1/score "$OUT/score-42-false.lua"
run "bare axum peer: 42 named features → same model → JSON" /score "$OUT/bare.lua" "$BARE_ADDR"
run "POST /v1/score, 4 features, with explanations" /v1/score "$OUT/score-4-true.lua"
run "POST /v1/score, 4 features, explain=false" /v1/score "$OUT/score-4-false.lua"
key() { echo "$1" | tr -c 'a-zA-Z0-9' '_'; }
python3 - "$OUT" "$(key "bare axum peer: 42 named features → same model → JSON")" \
  "$(key "POST /v1/score, 42 features, with explanations")" \
  "$(key "POST /v1/score, 42 features, explain=false")" <<'PY'
import sys
out, bare, explained, quick = sys.argv[1:5]
rps = lambda n: float(open(f"{out}/{n}.rps").read())
for label, name in [("with explanations", explained), ("explain=false", quick)]:
    print(f"POST /v1/score, 42 features, {label}: {rps(name) / rps(bare):.0%} of the bare peer's rate")
PY
# Open loop at the target rate (oha, `cargo install oha`): 20,000 requests/s offered on 64
# connections, latency corrected for coordinated omission.
if command -v oha > /dev/null; then
  # The 1,000 companies at random only (the first line; not the red alerts of the second).
  ids_regex=$(python3 -c "import re; t=open('$OUT/ids.lua').readline(); print('|'.join(re.findall(r'\"([0-9a-f]{16})\"', t)))")
  echo
  echo "| request, 20,000/s offered (oha, open loop) | achieved requests/s | p50 | p99 | non-2xx |"
  echo "|---|---:|---:|---:|---:|"
  open_loop() { # label then oha arguments
    local label=$1
    shift
    oha -z "${DURATION}s" -c 64 -q 20000 --latency-correction --no-tui --output-format json \
      -H "Authorization: Bearer $TOKEN" "$@" > "$OUT/oha.json" 2> /dev/null
    python3 - "$OUT/oha.json" "$label" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); label = sys.argv[2]
codes = d.get("statusCodeDistribution", {})
bad = sum(n for c, n in codes.items() if not c.startswith("2"))
p = d["latencyPercentiles"]
print(f"| {label} | {d['summary']['requestsPerSec']:,.0f} | {p['p50'] * 1000:.2f} ms | {p['p99'] * 1000:.2f} ms | {bad} |")
PY
  }
  open_loop "GET /healthz" "http://$ADDR/healthz"
  open_loop "GET /v1/companies/{id}" --rand-regex-url "http://$ADDR/v1/companies/($ids_regex)"
  for explain in true false; do
    body=$(python3 -c "import json,sys; b=json.loads(sys.argv[1]); b['explain']=sys.argv[2]=='true'; print(json.dumps(b))" "$FEATURES42" "$explain")
    open_loop "POST /v1/score, 42 features, explain=$explain" -m POST -T application/json -d "$body" "http://$ADDR/v1/score"
  done
else
  echo "(open-loop runs skipped: install oha with \`cargo install oha\`)"
fi

echo
echo "server peak memory (VmHWM): $(awk '/VmHWM/ {printf "%.2f GB", $2/1024/1024}' /proc/$SERVER/status)"
