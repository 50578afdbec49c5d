import Foundation

/// Where each shard of a sweep submitted to Slurm stands, from three sources in this order: the run records
/// the shard wrote (done of planned), what Slurm still knows of its latest task, and the task's own last word in
/// `DIR/slurm/tasks/<i>` (which outlives Slurm's memory of the job).
struct SlurmSweepStatus {
    enum ShardState: Equatable {
        /// Every planned run is written.
        case done
        /// Slurm has the task queued or running (its state, lower-case).
        case active(String)
        /// The task exited with this status; the last `visag:` line of its log says why.
        case failed(exitStatus: Int, message: String?)
        /// The task was ended from outside: cancelled, out of time, node failure (Slurm's word, or "signal").
        case stopped(String)
        /// The task ended well but runs are missing (records removed since?).
        case incomplete
        /// The task started and no end was recorded, and Slurm no longer knows it (its node went away?).
        case lost
        /// No task has run it (or one was cancelled before it started).
        case notStarted

        var isFailure: Bool {
            switch self {
            case .failed, .stopped, .lost: true
            case .done, .active, .incomplete, .notStarted: false
            }
        }

        var text: String {
            switch self {
            case .done: "done"
            case .active(let state): state
            case .failed(let status, let message): "failed, exit \(status)" + (message.map { ": \($0)" } ?? "")
            case .stopped(let how): how
            case .incomplete: "ended with runs missing"
            case .lost: "started, no end recorded (node lost?)"
            case .notStarted: "not started"
            }
        }
    }

    struct Shard {
        var index: Int
        var done: Int
        var planned: Int
        var state: ShardState
        /// `array_task` of its latest task, if any.
        var job: String?
    }

    enum MergeState: Equatable {
        case none
        case active(String)
        case waiting
        case neverRuns
        case ended(String)
        case failed(exitStatus: Int, message: String?)
        /// Slurm no longer knows the job.
        case forgotten
    }

    var folder: SlurmSweepFolder
    var record: SlurmSubmissionRecord
    var shards: [Shard]
    var mergeJob: String?
    var merge: MergeState
    /// Rows of DIR/results.csv, when it exists.
    var mergedRuns: Int?
    var slurmAvailable: Bool

    var unfinished: [Int] { shards.filter { $0.state != .done }.map(\.index) }
    var active: [Int] { shards.filter { if case .active = $0.state { true } else { false } }.map(\.index) }
    var failed: [Int] { shards.filter(\.state.isFailure).map(\.index) }
    var isMerged: Bool { mergedRuns == record.runs && unfinished.isEmpty }

    static func read(_ folder: SlurmSweepFolder) throws -> SlurmSweepStatus {
        let record = try SlurmSubmissionRecord.load(folder)
        let slurmAvailable = SlurmClient.find("scontrol") != nil
        let ids = record.submissions.flatMap { [$0.arrayJob, $0.mergeJob].compactMap { $0 } }
        let jobs = SlurmJobs.query(Array(Set(ids)).sorted())
        var shards: [Shard] = []
        for index in 0..<record.shardCount {
            let planned = SlurmSweepFolder.plannedRuns(index: index, count: record.shardCount, runs: record.runs)
            let done = folder.doneRuns(index)
            let arrayJob = record.latest(for: index)?.arrayJob
            let task = arrayJob.flatMap { id in
                jobs.first { $0.arrayJobID == id && $0.arrayTasks.contains(index) }
            }
            let state = done >= planned ? .done : shardState(index, folder: folder, arrayJob: arrayJob, task: task)
            shards.append(Shard(index: index, done: done, planned: planned, state: state,
                                job: arrayJob.map { "\($0)_\(index)" }))
        }
        let mergeJob = record.submissions.last?.mergeJob
        var merge = MergeState.none
        if let mergeJob {
            if let job = jobs.first(where: { $0.jobID == mergeJob }) {
                merge = mergeState(job, log: (folder.logs as NSString).appendingPathComponent("merge-\(mergeJob).out"))
            } else {
                merge = .forgotten
            }
        }
        return SlurmSweepStatus(folder: folder, record: record, shards: shards, mergeJob: mergeJob, merge: merge,
                                mergedRuns: rows(of: folder.results), slurmAvailable: slurmAvailable)
    }

    static func shardState(_ index: Int, folder: SlurmSweepFolder, arrayJob: String?, task: SlurmJob?) -> ShardState {
        if let task {
            if task.isActive { return .active(task.state.lowercased()) }
            switch task.state {
            case "COMPLETED": return .incomplete
            case "FAILED": return .failed(exitStatus: task.exitStatus ?? 1, message: lastError(in: folder.shardLog(index)))
            case "CANCELLED": return .stopped("cancelled")
            case "TIMEOUT": return .stopped("out of time (--time)")
            default: return .stopped(task.state.lowercased().replacingOccurrences(of: "_", with: " "))
            }
        }
        // Slurm has forgotten the task, or never ran it: the task's own last word, if it is from that job.
        let words = ((try? String(contentsOfFile: folder.taskState(index), encoding: .utf8)) ?? "")
            .split(whereSeparator: \.isWhitespace)
        guard let arrayJob, words.last.map(String.init) == arrayJob else { return .notStarted }
        switch words.first {
        case "exit":
            let status = words.count > 1 ? Int(words[1]) ?? 1 : 1
            return status == 0 ? .incomplete : .failed(exitStatus: status, message: lastError(in: folder.shardLog(index)))
        case "signal": return .stopped("stopped by a signal (scancel, time limit or node shutdown)")
        case "running": return .lost
        default: return .notStarted
        }
    }

    static func mergeState(_ job: SlurmJob, log: String) -> MergeState {
        if job.state == "PENDING" {
            switch job.reason {
            case "Dependency": return .waiting
            case "DependencyNeverSatisfied": return .neverRuns
            default: return .active("pending (\(job.reason))")
            }
        }
        if job.isActive { return .active(job.state.lowercased()) }
        switch job.state {
        case "COMPLETED": return .ended("done")
        case "FAILED": return .failed(exitStatus: job.exitStatus ?? 1, message: lastError(in: log))
        case "CANCELLED" where job.reason == "DependencyNeverSatisfied":
            return .ended("cancelled by Slurm: a task it waited for did not succeed")
        default: return .ended(job.state.lowercased().replacingOccurrences(of: "_", with: " "))
        }
    }

    /// The last `visag:` line of the latest attempt in a log (attempts start with a `== job` line).
    static func lastError(in log: String) -> String? {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return nil }
        let lines = text.split(whereSeparator: \.isNewline)
        let attempt = lines.lastIndex { $0.hasPrefix("== job") }.map { lines[$0...] } ?? lines[...]
        return attempt.last { $0.hasPrefix("visag: ") }.map(String.init)
    }

    static func rows(of csv: String) -> Int? {
        guard let text = try? String(contentsOfFile: csv, encoding: .utf8) else { return nil }
        return max(text.split(separator: "\n").count - 1, 0)
    }

    /// The command that submits the unfinished shards again, and a new merge job after them.
    var resubmitCommand: String {
        [record.visag, "sweep", record.sweep, "--out", folder.root, "--slurm", "--resume"].map(Self.shellWord)
            .joined(separator: " ")
    }

    static func shellWord(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,@".contains($0) }
        return plain && !text.isEmpty ? text : SlurmScripts.quoted(text)
    }

    var report: String {
        var lines: [String] = []
        let jobs = record.submissions.last.map { submission in
            (submission.arrayJob.map { "array job \($0)" } ?? "no array job")
                + (submission.mergeJob.map { ", merge job \($0)" } ?? "")
        } ?? "nothing submitted"
        lines.append("sweep \(record.sweep): \(record.runs) runs in \(record.shardCount) shards; latest: \(jobs)")
        if !slurmAvailable { lines.append("(scontrol is not on PATH: states come from the tasks' own records)") }
        let width = max(5, String(record.shardCount - 1).count)
        lines.append("shard".padding(toLength: width, withPad: " ", startingAt: 0) + "  runs        state")
        for shard in shards {
            let runs = "\(shard.done)/\(shard.planned)"
            let job = shard.state == .done ? "" : shard.job.map { " (job \($0))" } ?? ""
            lines.append(String(shard.index).padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                         + runs.padding(toLength: 10, withPad: " ", startingAt: 0) + "  " + shard.state.text + job)
        }
        let done = shards.map(\.done).reduce(0, +)
        lines.append("\(done) of \(record.runs) runs done; \(shards.count - unfinished.count) of \(shards.count) shards done"
                     + (failed.isEmpty ? "" : "; failed: shard" + (failed.count == 1 ? " " : "s ")
                        + failed.map(String.init).joined(separator: ", ")))
        if let mergeJob {
            lines.append("merge job \(mergeJob): " + mergeText)
        }
        if let mergedRuns {
            lines.append("\(folder.results): \(mergedRuns) of \(record.runs) runs")
        }
        if !unfinished.isEmpty {
            let list = unfinished.map(String.init).joined(separator: ", ")
            if active.isEmpty {
                lines.append("resubmit the unfinished shards (\(list)) and a new merge job with:")
                lines.append("  " + resubmitCommand)
            } else {
                lines.append((active.count == 1 ? "shard \(active[0]) is" : "shards "
                              + active.map(String.init).joined(separator: ", ") + " are")
                             + " still queued or running; once they end, resubmit what is unfinished with:")
                lines.append("  " + resubmitCommand)
            }
        } else if mergedRuns != record.runs, !isMergeActive {
            lines.append("every shard is done; merge them with:")
            lines.append("  " + resubmitCommand)
        }
        return lines.joined(separator: "\n")
    }

    var isMergeActive: Bool {
        switch merge {
        case .active, .waiting: true
        case .none, .neverRuns, .ended, .failed, .forgotten: false
        }
    }

    var mergeText: String {
        switch merge {
        case .none: "none"
        case .active(let state): state
        case .waiting: "waiting for the array job"
        case .neverRuns: "will never start: a task it waits for did not succeed (--resume cancels it)"
        case .ended(let how): how
        case .failed(let status, let message): "failed, exit \(status)" + (message.map { ": \($0)" } ?? "")
        case .forgotten: "ended (Slurm no longer knows it)"
        }
    }
}
