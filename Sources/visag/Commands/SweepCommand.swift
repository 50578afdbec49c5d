import ArgumentParser
import Foundation
import Sim

/// `i/n`: this shard's index and the number of shards.
struct Shard: ExpressibleByArgument {
    var index: Int
    var count: Int
    init?(argument: String) {
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        index = i
        count = n
    }
}

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Runs every cell × seed of a sweep file and writes results.csv and summary.csv.",
        discussion: ExitStatus.discussion)

    @Argument(help: "Sweep file (YAML): base scenario, axes, seeds, exclude rules.")
    var sweep: String
    @Option(help: "Output folder.")
    var out: String
    @Option(help: "Worker threads (default: every core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Run only shard i of n (i/n, from 0): a deterministic slice for a job array.")
    var shard: Shard?
    @Option(name: .customLong("set"), help: "Override a scenario field in every cell: path=value (repeatable; after the file's set:).")
    var overrides: [String] = []
    @Flag(help: "Finish a sweep that was stopped: runs already written are not redone.")
    var resume = false
    @OptionGroup var timeline: TimelineOptions
    @OptionGroup var memory: MemoryLimitOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be >= 1, found \(jobs)") }
    }

    func run() throws {
        let file: SweepFile
        do {
            file = try SweepFile.load(path: sweep, memoryLimitBytes: try memory.limitBytes(concurrentRuns: jobs),
                                      overrides: overrides)
        } catch let error as ScenarioError {
            throw CLIError.badInput(error.description)
        }
        let slice = shard.map { ($0.index, $0.count) } ?? (0, 1)
        let choice = try timeline.applied(to: file.timeline)
        let timelineRun: (SweepFile.Cell, UInt64)
        do { timelineRun = try TimelineRun.resolve(choice, in: file) } catch let failure as TimelineRun.Failure {
            throw CLIError.badInput(failure.description)
        }
        let ownsTimeline = SweepRunner.owns(cell: timelineRun.0.index, seed: timelineRun.1, of: file, shard: slice)
        let early = ownsTimeline && jobs > 1 ? TimelineInBackground(sweep: file, choice: choice) : nil
        let total = SweepRunner.runs(of: file, shard: slice).count
        FileHandle.standardError.write(Data(("\(file.cells.count) cells × \(file.seedCount) seeds = \(file.runCount) runs"
            + (shard == nil ? "" : ", \(total) in this shard") + "\n").utf8))
        let bar = SweepProgress()
        let outcome: SweepRunner.Outcome
        do {
            outcome = try SweepRunner.run(file, into: out, options: .init(jobs: jobs, shard: slice, resume: resume)) {
                done, total, failed in bar.update(done: done, total: total, failed: failed)
            }
        } catch let failure as SweepRunner.Failure {
            if case .io = failure { throw CLIError.runFailed(failure.description) }
            throw CLIError.badInput(failure.description)
        }
        bar.finish()
        do {
            if let early {
                try ReportOutput.write(directory: out, timeline: try early.wait())
            } else {
                try ReportOutput.write(directory: out, sweep: file, choice: choice, ownsTimelineRun: ownsTimeline)
            }
        } catch let error as OutputError {
            throw CLIError(error)
        }
        print("\(outcome.ran) runs in " + String(format: "%.2f", outcome.wallSeconds) + " s (\(outcome.skipped) already done, "
            + "\(outcome.failedRuns) with invariant violations); wrote \(out)/results.csv, \(out)/summary.csv and "
            + "\(out)/\(SweepReport.fileName)")
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Combines sweep shard folders into one folder's results.",
        discussion: ExitStatus.discussion)

    @Argument(help: "Shard output folders.")
    var folders: [String]
    @Option(help: "Output folder.")
    var out: String

    func run() throws {
        guard !folders.isEmpty else { throw CLIError.badInput("merge needs at least one folder") }
        do {
            let copied = try SweepMerge.merge(folders, into: out)
            try TimelineRun.copyFirst(from: folders, into: out)
            try SweepReport.write(directory: out)
            print("merged \(copied) runs into \(out) (with \(SweepReport.fileName))")
        } catch let failure as SweepRunner.Failure {
            // Here every failure is about the folders given (missing, not a sweep's, different sweeps).
            throw CLIError.badInput(failure.description)
        } catch let error as OutputError {
            throw CLIError(error)
        }
    }
}

/// A live bar on a terminal (runs done, failures, ETA); plain lines at each tenth otherwise.
final class SweepProgress: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastTenth = -1

    init() { start = clock.now }

    func update(done: Int, total: Int, failed: Int) {
        lock.lock()
        defer { lock.unlock() }
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let eta = done > 0 ? seconds / Double(done) * Double(total - done) : 0
        let text = "\(done)/\(total) runs, \(failed) with violations, ETA " + String(format: "%.0f", eta) + " s"
        if isTerminal {
            let width = 30
            let filled = total > 0 ? done * width / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(text)".utf8))
        } else {
            let tenth = total > 0 ? done * 10 / total : 10
            guard tenth != lastTenth else { return }
            lastTenth = tenth
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
