#!/usr/bin/env bash
# The vm-pool comparison: generates the 100k-job trace, runs SimPy's reference and visag on
# it in the same script, and prints both answers, both wall times, both event rates and the
# ratios. Needs python3; installs simpy 4.1.2 from PyPI if missing.
# VMPOOL_DIR points at the shared vm-pool folder (gen_jobs.py, simpy_bench.py).
# RUNS rounds (default 5) alternate SimPy and visag, so a busy spell of the host hits both;
# the ratios are of the medians, and every round's answers must agree.
set -euo pipefail
cd "$(dirname "$0")/.."
VMPOOL_DIR=${VMPOOL_DIR:-../shared/bench/vm-pool}
SLOTS=${SLOTS:-8}
RUNS=${RUNS:-5}
[ -f "$VMPOOL_DIR/simpy_bench.py" ] || { echo "set VMPOOL_DIR to the vm-pool folder (not found: $VMPOOL_DIR)" >&2; exit 2; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive integer, found '$RUNS'" >&2; exit 2; }
mkdir -p bench/out
trace=bench/out/jobs_100k.csv
[ -s "$trace" ] || python3 "$VMPOOL_DIR/gen_jobs.py" 100000 2.0 2700 1 > "$trace"
python3 -c 'import simpy' 2>/dev/null || python3 -m pip install -q simpy==4.1.2
swift build -c release --product visag >/dev/null

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
simpy_loops=() visag_loops=() visag_processes=() simpy_rates=() visag_rates=() rss=()
agree=yes
for round in $(seq "$RUNS"); do
    simpy_out=$(python3 "$VMPOOL_DIR/simpy_bench.py" "$trace" 1000 "$SLOTS" 35)
    start=$(date +%s.%N)
    visag_out=$(/usr/bin/time -f "peak_rss_kb=%M" .build/release/visag bench vm-pool --jobs-file "$trace" --hosts 1000 --slots "$SLOTS" --prep 35 2>bench/out/time.txt)
    end=$(date +%s.%N)
    simpy_answer=$(echo "$simpy_out" | head -1 | sed 's/^simpy [^:]*: //')
    visag_answer=$(echo "$visag_out" | head -1)
    if [ "$round" = 1 ]; then
        echo "== SimPy (reference)"; echo "$simpy_out"
        echo "== visag bench vm-pool"; echo "$visag_out"; cat bench/out/time.txt
        echo "== rounds (SimPy loop, visag loop, whole visag process)"
    fi
    [ "$simpy_answer" = "$visag_answer" ] || { agree=no; echo "round $round: answers DIFFER"; echo "  simpy: $simpy_answer"; echo "  visag: $visag_answer"; }
    simpy_loops+=("$(echo "$simpy_out" | field wall_s)")
    simpy_rates+=("$(echo "$simpy_out" | field events_per_s)")
    visag_loops+=("$(echo "$visag_out" | field wall_s)")
    visag_rates+=("$(echo "$visag_out" | field events_per_s)")
    visag_processes+=("$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')")
    rss+=("$(field peak_rss_kb < bench/out/time.txt)")
    printf 'round %d: simpy %.3f s, visag %.3f s, process %.3f s\n' "$round" "${simpy_loops[-1]}" "${visag_loops[-1]}" "${visag_processes[-1]}"
done

simpy_loop=$(printf '%s\n' "${simpy_loops[@]}" | median)
visag_loop=$(printf '%s\n' "${visag_loops[@]}" | median)
visag_process=$(printf '%s\n' "${visag_processes[@]}" | median)
simpy_rate=$(printf '%s\n' "${simpy_rates[@]}" | median)
visag_rate=$(printf '%s\n' "${visag_rates[@]}" | median)
peak_rss=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }
echo "== comparison (medians of $RUNS rounds)"
if [ "$agree" = yes ]; then echo "answers: identical"; else echo "answers: DIFFER"; fi
printf 'loop wall: simpy %.3f s, visag %.3f s, ratio %s (target <= 0.05)\n' "$simpy_loop" "$visag_loop" "$(ratio "$visag_loop" "$simpy_loop")"
printf 'events/s: simpy %.0f, visag %.0f\n' "$simpy_rate" "$visag_rate"
printf 'whole visag process %.3f s, ratio to simpy loop %s (target <= 0.2)\n' "$visag_process" "$(ratio "$visag_process" "$simpy_loop")"
printf 'peak RSS %d MB (target <= 100)\n' "$((peak_rss / 1024))"
[ "$agree" = yes ]
