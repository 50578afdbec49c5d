#!/usr/bin/env bash
# Simulator against real worker guests: calibrates the hypervisor and guest operations on a QEMU/TCG
# guest of this machine (visag calibrate --guests tcg), then runs Scenarios/guests/tcg-validate.yaml
# on real TCG guests for each seed and predicts it with the simulator from that calibration (visag
# validate), printing predicted against measured. Needs root and scripts/install-test-deps.sh's
# packages. CYCLES (default 10) and SEEDS (default 1..3) set the effort; the calibration and the
# table are kept in bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES=${CYCLES:-10}
SEEDS=${SEEDS:-1..3}
swift build -c release >/dev/null
visag=.build/release/visag
mkdir -p bench/out
# The scenario suspends, shuts down and boots nothing: measure what its preparations use, with its two
# workers' guests running.
"$visag" calibrate --guests tcg --workers 2 --cycles "$CYCLES" \
    --only revert,addressRead,keyFetch,keyWrite,launch --output bench/out/tcg-calibration.yaml
"$visag" validate Scenarios/guests/tcg-validate.yaml --guests tcg \
    --calibration bench/out/tcg-calibration.yaml --seeds "$SEEDS" | tee bench/out/sim-vs-real.txt
