#!/usr/bin/env bash
# The matrix benchmark's single-thread dgemm rate beside a current OpenBLAS on the same machine:
# numpy's wheel bundles a recent OpenBLAS (`pip install numpy` if it is missing). The two are
# measured alike and in turn, ROUNDS times: each round numpy's best of 4 n x n products on one
# thread, then visag's (its dgemm calibration, also the best of 4 after a warm-up); the best
# round of each is kept, so a busy moment of the machine costs neither side more than the other.
# Target: visag within 5 % of numpy. N=1200 (the benchmark's headline size), ROUNDS=5.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1200}
ROUNDS=${ROUNDS:-5}
python3 -c 'import numpy' 2>/dev/null || { echo "numpy is missing: pip install numpy" >&2; exit 2; }
swift build -c release --product visag >/dev/null
numpy_rate() {
    OPENBLAS_NUM_THREADS=1 python3 - "$N" <<'PY'
import sys, time
import numpy
n = int(sys.argv[1])
rng = numpy.random.default_rng(1)
a, b = rng.random((n, n)), rng.random((n, n))
a @ b
best = 0.0
for _ in range(4):
    start = time.perf_counter()
    a @ b
    best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
print(f"{best:.2f}")
PY
}
visag_rate() {
    .build/release/visag bench matrix --sizes "$N" --workers 1 --modes standard --repeat 1 --warmup 0 --json \
        | python3 -c 'import json, sys; print("%.2f" % json.load(sys.stdin)["dgemm_gflops"])'
}
library=$(python3 -c 'import numpy; b = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]; print(b.get("name", "?"), b.get("version", "?"))')
numpy_best=0
visag_best=0
for round in $(seq "$ROUNDS"); do
    n=$(numpy_rate)
    v=$(visag_rate)
    echo "round $round: numpy $n GFLOP/s, visag $v GFLOP/s"
    numpy_best=$(awk -v a="$numpy_best" -v b="$n" 'BEGIN { print (a > b ? a : b) }')
    visag_best=$(awk -v a="$visag_best" -v b="$v" 'BEGIN { print (a > b ? a : b) }')
done
awk -v v="$visag_best" -v r="$numpy_best" -v n="$N" -v rounds="$ROUNDS" -v lib="$library" 'BEGIN {
    printf "n=%d, one thread, best of %d rounds: visag %.1f GFLOP/s, numpy (%s) %.1f GFLOP/s; visag/numpy %.3f (target >= 0.95)\n",
           n, rounds, v, lib, r, v / r }'
