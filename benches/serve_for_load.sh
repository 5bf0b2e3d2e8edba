# Sourced by benches/api.sh and benches/api_tail.sh: what both load tests need before their
# load. `serve_for_load DB ADDR OUT NAME FORMAT` creates an analyst token (TOKEN), writes
# the companies to ask for (`benches/company_ids.py DB FORMAT` into OUT/ids.FORMAT), raises
# the per-token rate limit (it would answer 429 to a load test) and starts `$VIGIE serve` on
# the SQLite store DB at ADDR in the background (SERVER: its pid; the caller waits for
# /readyz and stops it).
serve_for_load() {
  local db=$1 addr=$2 out=$3 name=$4 format=$5
  TOKEN=$("$VIGIE" token create --store "sqlite://$db" --name "$name-$(date +%s%N)" --role analyst | tail -1)
  python3 benches/company_ids.py "$db" "$format" > "$out/ids.$format"
  printf 'rate_limit_per_second = 1e9\nrate_limit_burst = 1e9\n' > "$out/bench.toml"
  VIGIE_LOG=warn "$VIGIE" serve --store "sqlite://$db" --addr "$addr" --config "$out/bench.toml" \
    > "$out/server.log" 2>&1 &
  SERVER=$!
}
