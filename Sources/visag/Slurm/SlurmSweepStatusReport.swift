import Sim

/// What `visag sweep status --json` prints: `SlurmSweepStatus` as plain values, each state in the words the text
/// prints, with the provenance block.
struct SlurmSweepStatusReport: Codable {
    struct Shard: Codable {
        var index: Int
        var done: Int
        var planned: Int
        var state: String
        /// done, active, failed, stopped, incomplete, lost or notStarted.
        var kind: String
        var job: String?
    }

    var sweep: String
    var runs: Int
    var shards: [Shard]
    var unfinished: [Int]
    var failed: [Int]
    var mergeJob: String?
    var merge: String?
    /// Rows of DIR/results.csv, when it exists.
    var mergedRuns: Int?
    var merged: Bool
    /// The command that submits the unfinished shards and a merge job again, when one is needed.
    var resubmit: String?
    var slurmAvailable: Bool
    var provenance: Provenance

    init(_ status: SlurmSweepStatus, provenance: Provenance) {
        sweep = status.record.sweep
        runs = status.record.runs
        shards = status.shards.map {
            Shard(index: $0.index, done: $0.done, planned: $0.planned, state: $0.state.text, kind: $0.state.kind,
                  job: $0.job)
        }
        unfinished = status.unfinished
        failed = status.failed
        mergeJob = status.mergeJob
        merge = status.mergeJob == nil ? nil : status.mergeText
        mergedRuns = status.mergedRuns
        merged = status.isMerged
        let needed = !status.unfinished.isEmpty || (status.mergedRuns != status.record.runs && !status.isMergeActive)
        resubmit = needed ? status.resubmitCommand : nil
        slurmAvailable = status.slurmAvailable
        self.provenance = provenance
    }
}

extension SlurmSweepStatus.ShardState {
    /// The state's name, for machines.
    var kind: String {
        switch self {
        case .done: "done"
        case .active: "active"
        case .failed: "failed"
        case .stopped: "stopped"
        case .incomplete: "incomplete"
        case .lost: "lost"
        case .notStarted: "notStarted"
        }
    }
}
