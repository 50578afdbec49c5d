import Foundation

/// What Slurm still knows about a job (or one task of an array job), from `scontrol -o show job`. Slurm forgets
/// a finished job after `MinJobAge` (300 s by default) unless it keeps accounting, so a missing job is normal.
struct SlurmJob: Equatable {
    var jobID: String
    /// The array job and the task indexes this record covers (pending tasks share one record: `2-31`).
    var arrayJobID: String?
    var arrayTasks: [Int]
    var state: String
    var reason: String
    /// The batch script's exit status (`ExitCode=2:0`), when it ended by exiting.
    var exitStatus: Int?

    /// The job has not ended yet (COMPLETING: the script has, Slurm is cleaning up).
    var isActive: Bool {
        ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
         "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "SPECIAL_EXIT"].contains(state)
    }

    /// One line of `scontrol -o show job`: space-separated `Key=Value` fields.
    init?(line: Substring) {
        var fields: [Substring: Substring] = [:]
        for token in line.split(separator: " ") {
            guard let equals = token.firstIndex(of: "=") else { continue }
            let key = token[..<equals]
            if fields[key] == nil { fields[key] = token[token.index(after: equals)...] }
        }
        guard let id = fields["JobId"], let state = fields["JobState"] else { return nil }
        jobID = String(id)
        arrayJobID = fields["ArrayJobId"].map(String.init)
        arrayTasks = fields["ArrayTaskId"].flatMap { ArrayIndexes.parse(String($0)) } ?? []
        self.state = String(state)
        reason = fields["Reason"].map(String.init) ?? ""
        exitStatus = fields["ExitCode"].flatMap { $0.split(separator: ":").first }.flatMap { Int($0) }
    }
}

enum SlurmJobs {
    /// Every record Slurm still holds for these job ids (an array job gives one per task); [] when `scontrol` is
    /// not on PATH or has forgotten them.
    static func query(_ ids: [String]) -> [SlurmJob] {
        guard SlurmClient.find("scontrol") != nil else { return [] }
        var jobs: [SlurmJob] = []
        for id in ids {
            guard let result = try? SlurmClient.run("scontrol", ["-o", "show", "job", id]), result.status == 0 else { continue }
            jobs += result.stdout.split(whereSeparator: \.isNewline).compactMap(SlurmJob.init(line:))
        }
        return jobs
    }
}
