import Foundation

/// The two batch scripts of a sweep on Slurm, written into `DIR/slurm/` as plain bash a user can read, edit
/// and submit by hand. The array script runs one shard per task with `visag sweep --shard i/n --resume`; the
/// merge script runs `visag merge` over every shard folder. Paths are absolute: a task starts on another node,
/// in whatever folder Slurm gives it.
struct SlurmScripts {
    var visag: String
    var sweep: String
    var folder: SlurmSweepFolder
    var shardCount: Int
    var cpusPerTask: Int
    var partition: String?
    var time: String?
    /// More `#SBATCH` options (`--sbatch-arg`), in both scripts.
    var extra: [String]
    /// More `visag sweep` options for every task.
    var taskArguments: [String] = []

    /// Options both jobs get.
    private var common: [String] {
        (partition.map { ["--partition=\($0)"] } ?? []) + (time.map { ["--time=\($0)"] } ?? []) + extra
    }

    private func directives(_ options: [String]) -> String {
        (options + common).map { "#SBATCH \($0)\n" }.joined()
    }

    var array: String {
        """
        #!/bin/bash
        # One shard of a visag sweep per array task: task i runs `visag sweep --shard i/\(shardCount) --resume`
        # into DIR/shards/i and leaves its last word in DIR/slurm/tasks/i for `visag sweep status DIR`.
        # Written by `visag sweep --slurm`. Resubmit by hand (all shards, or some with --array=3,7):
        #   jid=$(sbatch --parsable \(folder.arrayScript))
        #   sbatch --dependency=afterok:$jid \(folder.mergeScript)
        # or let `visag sweep SWEEP --out DIR --slurm --resume` resubmit only the unfinished shards.
        \(directives(["--job-name=visag-sweep", "--array=0-\(shardCount - 1)", "--cpus-per-task=\(cpusPerTask)",
                      "--output=\(folder.logs)/shard-%a.out", "--open-mode=append"]))\
        set -u
        visag=\(Self.quoted(visag))
        sweep=\(Self.quoted(sweep))
        dir=\(Self.quoted(folder.root))
        shards=\(shardCount)
        shard=$SLURM_ARRAY_TASK_ID
        state=$dir/slurm/tasks/$shard
        echo "== job ${SLURM_ARRAY_JOB_ID}_$shard on $(uname -n) at $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
        echo "running $SLURM_ARRAY_JOB_ID" > "$state"
        # scancel, the time limit and a node shutting down send SIGTERM: say so before going.
        trap 'echo "signal $SLURM_ARRAY_JOB_ID" > "$state"; exit 143' TERM
        "$visag" sweep "$sweep" --shard "$shard/$shards" --out "$dir/shards/$shard" --resume \\
            --jobs "${SLURM_CPUS_PER_TASK:-\(cpusPerTask)}"\(taskArguments.map { " " + SlurmSweepStatus.shellWord($0) }.joined()) &
        wait $!
        status=$?
        echo "== ended with exit status $status at $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
        echo "exit $status $SLURM_ARRAY_JOB_ID" > "$state"
        exit $status

        """
    }

    var merge: String {
        """
        #!/bin/bash
        # Merges the \(shardCount) shard folders of a visag sweep into DIR/results.csv, summary.csv and report.html.
        # `visag sweep --slurm` submits it with --dependency=afterok:<array job>: it runs once every shard succeeded.
        \(directives(["--job-name=visag-merge", "--cpus-per-task=1", "--output=\(folder.logs)/merge-%j.out"]))\
        set -euo pipefail
        visag=\(Self.quoted(visag))
        dir=\(Self.quoted(folder.root))
        shards=\(shardCount)
        folders=()
        for ((i = 0; i < shards; i++)); do folders+=("$dir/shards/$i"); done
        # Submitted by hand before every shard is done, it merges nothing rather than part of the runs.
        "$visag" sweep status "$dir" --check
        exec "$visag" merge "${folders[@]}" --out "$dir"

        """
    }

    /// `text` as one bash word.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
