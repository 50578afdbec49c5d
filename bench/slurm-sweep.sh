#!/usr/bin/env bash
# Sweeps on Slurm, measured on a one-host cluster (scripts/slurm/cluster.sh; as root, with Slurm and
# munge installed by scripts/install-test-deps.sh). The same sweep (bench/slurm-sweep.yaml by default)
# is submitted with `--slurm --array 1` and with `--array 2` (one core per task; this machine has 2),
# alternately REPEAT times (default 3).
# For each submission it prints:
#   wall_s      from sbatch to the end of the merge job, as a user waits;
#   tasks_s     the array tasks' own span, first task start to last task end (from their logs);
#   overhead_s  wall_s - tasks_s: Slurm starting the tasks, the afterok dependency and the merge job;
#   per task, its runs' time (the sweep runner's own clock) and its start-up (loading and checking
#   the sweep, the report, the timeline's rerun);
# then the 2-task over the 1-task time (target <= 0.55) per pair and from the fastest of each, the per-run time,
# and whether results.csv and summary.csv equal those of a local `sweep --jobs 2`.
# SWEEP=Scenarios/studies/discovery-hops.yaml bash bench/slurm-sweep.sh for another sweep.
set -euo pipefail
cd "$(dirname "$0")/.."
SWEEP=${SWEEP:-bench/slurm-sweep.yaml}
REPEAT=${REPEAT:-3}
swift build -c release --product visag >/dev/null
visag=$PWD/.build/release/visag
work=$(mktemp -d /tmp/visag-slurm-bench-XXXXXX)
cleanup() {
    bash scripts/slurm/cluster.sh stop "$work/cluster" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b - a}'; }
epoch() { date -d "$1" +%s.%N; }

t0=$(now)
conf=$(bash scripts/slurm/cluster.sh start "$work/cluster")
export "${conf?}"
echo "cluster: up in $(seconds "$t0" "$(now)") s ($(nproc) cores, SLURM_CONF=$SLURM_CONF)"

# Submits the study as $1 array tasks into $2; prints "wall_s tasks_s", and each task's times on stderr.
submit() {
    local tasks=$1 out=$2 start merge state end first="" last="" log s e ran task_lines=""
    start=$(now)
    merge=$("$visag" sweep "$SWEEP" --out "$out" --slurm --array "$tasks" --jobs 1 |
        sed -n 's/^submitted array job [0-9]* .* and merge job \([0-9]*\) .*/\1/p')
    [ -n "$merge" ] || { echo "no merge job submitted" >&2; exit 1; }
    while :; do
        state=$(scontrol -o show job "$merge" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
        case $state in
            COMPLETED) break ;;
            FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY)
                echo "merge job $merge: $state" >&2; exit 1 ;;
        esac
        sleep 0.05
    done
    end=$(now)
    for log in "$out"/slurm/logs/shard-*.out; do
        s=$(epoch "$(grep '^== job' "$log" | tail -n 1 | sed 's/.* at //')")
        e=$(epoch "$(grep '^== ended' "$log" | tail -n 1 | sed 's/.* at //')")
        ran=$(grep -o '^[0-9]* runs in [0-9.]* s' "$log" | tail -n 1 | awk '{print $4}')
        task_lines+="  task ${log##*shard-}: span $(seconds "$s" "$e") s, runs ${ran} s, start-up and report $(awk -v a="$s" -v b="$e" -v r="$ran" 'BEGIN{printf "%.2f", b - a - r}') s"$'\n'
        first=$(awk -v a="$s" -v b="$first" 'BEGIN{print (b == "" || a < b) ? a : b}')
        last=$(awk -v a="$e" -v b="$last" 'BEGIN{print (b == "" || a > b) ? a : b}')
    done
    echo "$(seconds "$start" "$end") $(seconds "$first" "$last")"
    printf '%s' "$task_lines" >&2
}

# Other work on the machine takes cores from the tasks: the load average says how much.
echo "sweep: $SWEEP; load average $(cut -d' ' -f1-3 /proc/loadavg)"
best1="" best2="" bestTasks1="" bestTasks2="" overheads=""
for r in $(seq 1 "$REPEAT"); do
    for tasks in 1 2; do
        rm -rf "$work/slurm$tasks"
        read -r wall span < <(submit "$tasks" "$work/slurm$tasks")
        overhead=$(awk -v a="$wall" -v b="$span" 'BEGIN{printf "%.2f", a - b}')
        echo "run=$r array_tasks=$tasks wall_s=$wall tasks_s=$span overhead_s=$overhead"
        overheads+=" $overhead"
        # The pair run back to back meets the most similar load.
        if [ "$tasks" = 1 ]; then pairWall=$wall; else
            echo "run=$r 2 tasks / 1 task: $(awk -v a="$wall" -v b="$pairWall" 'BEGIN{printf "%.2f", a / b}')"
        fi
        if [ "$tasks" = 1 ]; then
            best1=$(awk -v a="$wall" -v b="$best1" 'BEGIN{print (b == "" || a < b) ? a : b}')
            bestTasks1=$(awk -v a="$span" -v b="$bestTasks1" 'BEGIN{print (b == "" || a < b) ? a : b}')
        else
            best2=$(awk -v a="$wall" -v b="$best2" 'BEGIN{print (b == "" || a < b) ? a : b}')
            bestTasks2=$(awk -v a="$span" -v b="$bestTasks2" 'BEGIN{print (b == "" || a < b) ? a : b}')
        fi
    done
done
runs=$(sed -n 's/^ *"runs" : \([0-9]*\),*$/\1/p' "$work/slurm1/slurm/submission.json")
awk -v w1="$best1" -v w2="$best2" -v t1="$bestTasks1" -v t2="$bestTasks2" -v n="$runs" -v o="$overheads" 'BEGIN{
    printf "fastest: 1 task %.2f s (tasks %.2f s), 2 tasks %.2f s (tasks %.2f s)\n", w1, t1, w2, t2
    printf "2 tasks / 1 task: %.2f end to end, %.2f for the tasks alone (target <= 0.55)\n", w2 / w1, t2 / t1
    k = split(o, x, " "); lo = x[1]; hi = x[1]
    for (i = 2; i <= k; i++) { if (x[i] + 0 < lo + 0) lo = x[i]; if (x[i] + 0 > hi + 0) hi = x[i] }
    printf "per run: %.3f s on one core; Slurm overhead per submission: %.2f to %.2f s (the first after the cluster started included)\n", t1 / n, lo, hi }'

echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(now)
"$visag" merge "$work/slurm2/shards/0" "$work/slurm2/shards/1" --out "$work/merged" >/dev/null
echo "merge of $runs runs alone: $(seconds "$t0" "$(now)") s"
t0=$(now)
"$visag" sweep "$SWEEP" --out "$work/local" --jobs 2 >/dev/null 2>&1
echo "local sweep --jobs 2: $(seconds "$t0" "$(now)") s"
for name in results.csv summary.csv; do
    cmp -s "$work/local/$name" "$work/slurm1/$name" && cmp -s "$work/local/$name" "$work/slurm2/$name" ||
        { echo "$name: DIFFERS"; exit 1; }
done
echo "results.csv, summary.csv: identical to the local sweep's"
