#!/usr/bin/env bash
# Scale: one run of the full model (discovery flooding, key routing, DHCP, cloning) on a
# 10,000-node grid with 1,000,000 applications, on one core. Prints wall time, peak RSS and
# the run's own summary line. Targets: <= 60 s, <= 2 GB.
# APPS=100000 bash bench/scale.sh for a quicker look.
set -euo pipefail
cd "$(dirname "$0")/.."
APPS=${APPS:-1000000}
swift build -c release --product visag >/dev/null
/usr/bin/time -f "wall_s=%e peak_rss_kb=%M" taskset -c 0 .build/release/visag run Scenarios/scale/grid-10k.yaml \
    --set workload.applications="$APPS" 2>&1 | grep -E "applications  |events|invariants|wall_s="
