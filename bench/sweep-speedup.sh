#!/usr/bin/env bash
# Sweep speed-up: the same sweep on 1 core and on every core (this machine: 2), into fresh
# folders; prints both wall times, the speed-up (target >= 1.8 on 2 cores) and whether the two
# results.csv files are byte for byte the same.
# SWEEP=Scenarios/studies/recycle.yaml bash bench/sweep-speedup.sh for another sweep.
set -euo pipefail
cd "$(dirname "$0")/.."
SWEEP=${SWEEP:-Scenarios/studies/discovery-hops.yaml}
JOBS=${JOBS:-$(nproc)}
swift build -c release --product visag >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
time_sweep() {
    local start end
    start=$(date +%s.%N)
    .build/release/visag sweep "$SWEEP" --out "$out/jobs$1" --jobs "$1" >/dev/null 2>&1
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}'
}
one=$(time_sweep 1)
many=$(time_sweep "$JOBS")
echo "sweep=$SWEEP jobs=1 wall_s=$one jobs=$JOBS wall_s=$many"
awk -v a="$one" -v b="$many" -v j="$JOBS" 'BEGIN{printf "speedup=%.2f on %d cores (target >= 1.8 on 2)\n", a/b, j}'
if cmp -s "$out/jobs1/results.csv" "$out/jobs$JOBS/results.csv"; then
    echo "results: identical"
else
    echo "results: DIFFER"; exit 1
fi
