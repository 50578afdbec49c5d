#!/usr/bin/env bash
# Seed search speed: `visag check` over the DHCP-lease race scenario, 10,000 seeds on every
# core (this machine: 2). Prints the check's own table and the wall time. Target: <= 60 s.
# SEEDS=1..2000 bash bench/check.sh for a quicker look; JOBS=1 for one core.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-1..10000}
JOBS=${JOBS:-$(nproc)}
swift build -c release --product visag >/dev/null
start=$(date +%s.%N)
status=0
.build/release/visag check Scenarios/races/dhcp-lease.yaml --seeds "$SEEDS" --jobs "$JOBS" || status=$?
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" -v s="$SEEDS" -v j="$JOBS" 'BEGIN{printf "seeds=%s jobs=%s wall_s=%.2f (target <= 60)\n", s, j, b-a}'
# check exits 1 when it finds violations, which this faithful race scenario is meant to show.
[ "$status" -le 1 ]
