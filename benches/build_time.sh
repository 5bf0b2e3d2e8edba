#!/usr/bin/env bash
# Clean debug build of the test suite (`cargo test --workspace --no-run`), two commits
# compared in one sitting: each in its own git worktree and empty target directory,
# interleaved (A, B, A, B, …) so that a slow spell of the machine falls on both.
#
# Usage: bash benches/build_time.sh COMMIT_A COMMIT_B [ROUNDS]
#   ROUNDS: builds of each commit (default 2). Crates must already be downloaded
#   (`cargo fetch`); nothing else should run meanwhile (2 cores: about 5 minutes a build).
# Prints one line per build: commit, round, seconds, crates compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
A=${1:?first commit}
B=${2:?second commit}
ROUNDS=${3:-2}
WORK=$(mktemp -d /tmp/vigie-build-time.XXXXXX)
trap 'git worktree remove --force "$WORK/a" 2>/dev/null; git worktree remove --force "$WORK/b" 2>/dev/null; rm -rf "$WORK"' EXIT
git worktree add -f --detach "$WORK/a" "$A" > /dev/null 2>&1
git worktree add -f --detach "$WORK/b" "$B" > /dev/null 2>&1
for round in $(seq "$ROUNDS"); do
  for side in a b; do
    commit=$([ "$side" = a ] && echo "$A" || echo "$B")
    rm -rf "$WORK/target-$side"
    start=$(date +%s.%N)
    (cd "$WORK/$side" && CARGO_TARGET_DIR="$WORK/target-$side" \
      cargo test --workspace --no-run > "$WORK/log-$side" 2>&1)
    end=$(date +%s.%N)
    crates=$(grep -c "Compiling" "$WORK/log-$side" || true)
    printf "%s round %s: %.1f s, %s crates compiled\n" "$commit" "$round" \
      "$(echo "$end - $start" | bc)" "$crates"
  done
done
