#!/usr/bin/env bash
# The vm-pool comparison: generates the 100k-job trace, runs SimPy's reference and visag on
# it in the same script, and prints both answers, both wall times, both event rates and the
# ratios. Needs python3; installs simpy 4.1.2 from PyPI if missing.
# VMPOOL_DIR points at the shared vm-pool folder (gen_jobs.py, simpy_bench.py).
set -euo pipefail
cd "$(dirname "$0")/.."
VMPOOL_DIR=${VMPOOL_DIR:-../shared/bench/vm-pool}
SLOTS=${SLOTS:-8}
[ -f "$VMPOOL_DIR/simpy_bench.py" ] || { echo "set VMPOOL_DIR to the vm-pool folder (not found: $VMPOOL_DIR)" >&2; exit 2; }
mkdir -p bench/out
trace=bench/out/jobs_100k.csv
[ -s "$trace" ] || python3 "$VMPOOL_DIR/gen_jobs.py" 100000 2.0 2700 1 > "$trace"
python3 -c 'import simpy' 2>/dev/null || python3 -m pip install -q simpy==4.1.2
swift build -c release --product visag >/dev/null

echo "== SimPy (reference)"
simpy_out=$(python3 "$VMPOOL_DIR/simpy_bench.py" "$trace" 1000 "$SLOTS" 35)
echo "$simpy_out"
echo "== visag bench vm-pool"
start=$(date +%s.%N)
visag_out=$(/usr/bin/time -f "peak_rss_kb=%M" .build/release/visag bench vm-pool --trace "$trace" --hosts 1000 --slots "$SLOTS" --prep 35 2>bench/out/time.txt)
end=$(date +%s.%N)
echo "$visag_out"
cat bench/out/time.txt

simpy_answer=$(echo "$simpy_out" | head -1 | sed 's/^simpy [^:]*: //')
visag_answer=$(echo "$visag_out" | head -1)
simpy_loop=$(echo "$simpy_out" | sed -n 's/^wall_s=\([0-9.]*\).*/\1/p')
simpy_rate=$(echo "$simpy_out" | sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p')
visag_loop=$(echo "$visag_out" | sed -n 's/^wall_s=\([0-9.]*\).*/\1/p')
visag_rate=$(echo "$visag_out" | sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p')
visag_process=$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }
echo "== comparison"
if [ "$simpy_answer" = "$visag_answer" ]; then echo "answers: identical"; else echo "answers: DIFFER"; fi
printf 'loop wall: simpy %.3f s, visag %.3f s, ratio %s (target <= 0.05)\n' "$simpy_loop" "$visag_loop" "$(ratio "$visag_loop" "$simpy_loop")"
printf 'events/s: simpy %s, visag %s\n' "$simpy_rate" "$visag_rate"
printf 'whole visag process %.3f s, ratio to simpy loop %s (target <= 0.2)\n' "$visag_process" "$(ratio "$visag_process" "$simpy_loop")"
[ "$simpy_answer" = "$visag_answer" ]
