import Foundation
import Sim

/// Where a sweep run on Slurm keeps everything, all under its output folder (which every node must see):
///
///     DIR/slurm/array.sbatch, merge.sbatch   the scripts submitted (readable; edit and resubmit by hand)
///     DIR/slurm/submission.json              what was submitted: the sweep, the shard count, the job ids
///     DIR/slurm/tasks/<i>                    the last word of shard i's task: "running", "exit N" or "signal"
///     DIR/slurm/logs/shard-<i>.out           shard i's output over every attempt; merge-<job>.out
///     DIR/shards/<i>/                        shard i's results, as `sweep --shard i/n` writes them
///     DIR/results.csv, summary.csv, report.html   written by the merge job
struct SlurmSweepFolder {
    let root: String

    var slurm: String { join(root, "slurm") }
    var arrayScript: String { join(slurm, "array.sbatch") }
    var mergeScript: String { join(slurm, "merge.sbatch") }
    var record: String { join(slurm, "submission.json") }
    var tasks: String { join(slurm, "tasks") }
    var logs: String { join(slurm, "logs") }
    var shards: String { join(root, "shards") }
    var results: String { join(root, "results.csv") }

    func shard(_ index: Int) -> String { join(shards, "\(index)") }
    func taskState(_ index: Int) -> String { join(tasks, "\(index)") }
    func shardLog(_ index: Int) -> String { join(logs, "shard-\(index).out") }

    private func join(_ folder: String, _ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    /// Runs of shard `index` of `count` when the sweep has `runs` runs (dealt out by position modulo `count`).
    static func plannedRuns(index: Int, count: Int, runs: Int) -> Int {
        runs / count + (index < runs % count ? 1 : 0)
    }

    /// Run records shard `index` has written so far.
    func doneRuns(_ index: Int) -> Int {
        let runs = (shard(index) as NSString).appendingPathComponent("runs")
        return ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).filter { $0.hasSuffix(".json") }.count
    }
}

/// `DIR/slurm/submission.json`: what `sweep --slurm` submitted, so `sweep status` and `--resume` know the
/// sweep, the shard count and which jobs ran which shards.
struct SlurmSubmissionRecord: Codable, Equatable {
    struct Submission: Codable, Equatable {
        /// The array job, or nil when only a merge job was submitted.
        var arrayJob: String?
        var mergeJob: String?
        /// The shards the array job runs.
        var shards: [Int]
    }

    /// The sweep file, as an absolute path.
    var sweep: String
    /// The visag executable the scripts call.
    var visag: String
    var shardCount: Int
    var runs: Int
    var submissions: [Submission]

    static func load(_ folder: SlurmSweepFolder) throws -> SlurmSubmissionRecord {
        guard let data = FileManager.default.contents(atPath: folder.record) else {
            throw CLIError.badInput("\(folder.root) holds no sweep submitted to Slurm (no \(folder.record))")
        }
        do {
            return try JSONDecoder().decode(SlurmSubmissionRecord.self, from: data)
        } catch {
            throw CLIError.badInput("\(folder.record): error: not a submission record of this visag version")
        }
    }

    func save(_ folder: SlurmSweepFolder) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            try OutputFile.write(String(decoding: try encoder.encode(self), as: UTF8.self) + "\n", to: folder.record)
        } catch let error as OutputError {
            throw CLIError(error)
        }
    }

    /// The latest submission that ran shard `index`.
    func latest(for index: Int) -> Submission? {
        submissions.last { $0.arrayJob != nil && $0.shards.contains(index) }
    }
}

/// Shard indexes as Slurm's `--array` spells them: `0-3,7,9-10`.
enum ArrayIndexes {
    static func text(_ indexes: [Int]) -> String {
        var ranges: [(first: Int, last: Int)] = []
        for index in Set(indexes).sorted() {
            if let range = ranges.last, range.last + 1 == index {
                ranges[ranges.count - 1].last = index
            } else {
                ranges.append((index, index))
            }
        }
        return ranges.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)-\($0.last)" }.joined(separator: ",")
    }

    /// The indexes of `0-3,7,9-10%4` (a throttle after `%` is ignored); nil when the text is not such a list.
    static func parse(_ text: String) -> [Int]? {
        let list = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? ""
        var result: [Int] = []
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1)
            guard let low = Int(bounds[0]) else { return nil }
            if bounds.count == 1 {
                result.append(low)
                continue
            }
            // `1-9:2`: every second index.
            let step = bounds[1].split(separator: ":", maxSplits: 1)
            guard let high = Int(step[0]), high >= low, high - low <= 1_000_000 else { return nil }
            let stride = step.count == 2 ? Int(step[1]) ?? 0 : 1
            guard stride >= 1 else { return nil }
            result += Array(Swift.stride(from: low, through: high, by: stride))
        }
        return result.isEmpty ? nil : result
    }
}
