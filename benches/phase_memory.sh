#!/usr/bin/env bash
# Peak resident memory of a `vigie rescore` by phase: runs the command given, samples the
# process's VmRSS each second from /proc, and prints, for each phase the run logs
# ("rescore phase" lines on stderr), its peak and its duration; then the wall time and the
# peak of the whole run (/usr/bin/time). The figures of BENCHMARKS.md, "At 5,000,000
# companies".
#
# Usage: bash benches/phase_memory.sh target/release/vigie rescore --input DIR --month M \
#          --store URL --model MODEL --demo-key --report DIR
set -euo pipefail
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
/usr/bin/time -f "%e %M" -o "$OUT/time" "$@" > /dev/null 2> "$OUT/log" &
TIMER=$!
sleep 0.2
PID=$(pgrep -P "$TIMER" | head -1)
while kill -0 "$PID" 2> /dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status" 2> /dev/null || true)
  [ -n "$rss" ] && echo "$(date +%s.%N) $rss" >> "$OUT/rss"
  sleep 1
done
wait "$TIMER"
python3 - "$OUT" <<'PY'
import datetime, re, sys
out = sys.argv[1]
stamp = lambda t: datetime.datetime.fromisoformat(t.rstrip("Z")).replace(tzinfo=datetime.timezone.utc).timestamp()
phases, end = [], None
for line in open(f"{out}/log"):
    m = re.match(r"(\S+)Z .*rescore phase phase=\"(\w+)\"", line)
    if m:
        phases.append((stamp(m.group(1) + "Z"), m.group(2)))
    m = re.match(r"(\S+)Z .*run committed", line)
    if m:
        end = stamp(m.group(1) + "Z")
rss = [tuple(map(float, l.split())) for l in open(f"{out}/rss")]
bounds = [p[0] for p in phases[1:]] + [end or float("inf")]
print("| phase | peak resident memory | seconds |\n|---|---:|---:|")
for (start, name), stop in zip(phases, bounds):
    peak = max((r for t, r in rss if start <= t < stop), default=None)
    shown = "— (under a second: no sample)" if peak is None else f"{peak / 1024 / 1024:.2f} GB"
    print(f"| {name} | {shown} | {stop - start:.0f} |")
wall, kb = open(f"{out}/time").read().split()
print(f"\nwhole run: {float(wall):.1f} s, peak {float(kb) / 1024 / 1024:.2f} GB")
PY
