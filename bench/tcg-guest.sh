#!/usr/bin/env bash
# The real backend's two speed targets (issue: "Speed"), measured and printed:
#  1. libvirt's test driver: VM preparations per second (target >= 1,000), from `visag run --backend real`
#     on a saturated 8-node, 128-worker grid (more arrivals than workers, so preparations never wait for work).
#  2. a real guest under QEMU/TCG: revert to `popc_clean` -> ready for objects (SSH answers), REVERTS times
#     (default 20; target <= 1.5 s), through the QEMU guest test (root, packages from scripts/install-test-deps.sh).
# SKIP_TCG=1 runs the first part only.
set -euo pipefail
cd "$(dirname "$0")/.."
REVERTS=${REVERTS:-20}

swift build -c release --product visag >/dev/null
out=$(.build/release/visag run Scenarios/policies/recycle.yaml --backend real --time-scale 0.0001 \
    --set platform.nodes=8 --set platform.maxVMs=16 --set platform.initialWorkers=16 --set platform.topology=none \
    --set workload.applications=4000 --set workload.arrivalRate=0.5 --set workload.objects=1 \
    --set workload.objectDuration=30s --set jobMgr.reservationTimeout=1d --set jobMgr.execTimeout=1d \
    --set policies.recycle=revert --set policies.dhcpRenewal=none 2>&1)
preparations=$(sed -n 's/^prepare: address.*(n=\([0-9]*\)).*/\1/p' <<<"$out")
wall=$(sed -n 's/^events .* in \([0-9.]*\) s wall.*/\1/p' <<<"$out")
grep -E '^(applications|libvirt) ' <<<"$out"
awk -v n="$preparations" -v s="$wall" \
    'BEGIN { printf "test driver: %d preparations in %.3f s wall = %.0f preparations/s (target >= 1000)\n", n, s, n / s }'

[ "${SKIP_TCG:-0}" = 1 ] && exit 0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
VISAG_REQUIRE_QEMU=1 VISAG_TCG_REVERTS=$REVERTS swift test --filter RealTests.QEMUGuestTests >"$log" 2>&1 || {
    tail -n 40 "$log" >&2
    exit 1
}
sed -n '/QEMU\/TCG guest phases/,/revert to ready-for-objects/p' "$log"
ready=$(sed -n 's/.*revert to ready-for-objects.*median=\([0-9.]*\).*/\1/p' "$log")
awk -v r="$ready" -v n="$REVERTS" \
    'BEGIN { printf "tcg guest: revert -> ready for objects, median of %d: %.3f s (target <= 1.5 s)\n", n, r }'
