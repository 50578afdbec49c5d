import ArgumentParser
import Foundation
import Sim

/// `i/n`: this shard's index and the number of shards; `env` (what a bare `--shard` becomes): both from the Slurm
/// array task's environment.
enum Shard: ExpressibleByArgument {
    case slice(index: Int, count: Int)
    case fromEnvironment

    static let environmentWord = "env"

    init?(argument: String) {
        if argument == Self.environmentWord {
            self = .fromEnvironment
            return
        }
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        self = .slice(index: i, count: n)
    }

    /// The slice, reading `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT` for `.fromEnvironment` (an array
    /// numbered 0…n-1: a task of `--array=3,7` cannot tell n, so that needs `--shard i/n`).
    func resolved(_ environment: [String: String]) throws -> (index: Int, count: Int) {
        switch self {
        case .slice(let index, let count): return (index, count)
        case .fromEnvironment:
            let names = ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"]
            let texts = names.map { environment[$0] }
            guard let idText = texts[0], let countText = texts[1] else {
                let missing = zip(names, texts).filter { $1 == nil }.map(\.0)
                throw CLIError.badInput("--shard without i/n takes the shard from SLURM_ARRAY_TASK_ID and "
                                        + "SLURM_ARRAY_TASK_COUNT, and " + missing.joined(separator: " and ")
                                        + (missing.count == 1 ? " is" : " are") + " not set: give --shard i/n "
                                        + "outside a Slurm array task")
            }
            guard let index = Int(idText), let count = Int(countText), count >= 1, index >= 0, index < count,
                  environment["SLURM_ARRAY_TASK_MIN"].map({ $0 == "0" }) ?? true,
                  environment["SLURM_ARRAY_TASK_MAX"].map({ $0 == String(count - 1) }) ?? true else {
                throw CLIError.badInput("--shard without i/n needs an array numbered 0 to n-1; this task is "
                                        + "SLURM_ARRAY_TASK_ID=\(idText) of SLURM_ARRAY_TASK_COUNT=\(countText)"
                                        + " (min \(environment["SLURM_ARRAY_TASK_MIN"] ?? "?"), max "
                                        + "\(environment["SLURM_ARRAY_TASK_MAX"] ?? "?")): give --shard i/n")
            }
            return (index, count)
        }
    }

    /// `sweep … --shard` with no value (nothing after it, or another option) gets `env`, which ArgumentParser
    /// cannot express: an option's value may not be optional.
    static func expandingBare(_ arguments: [String]) -> [String] {
        guard arguments.first == "sweep" else { return arguments }
        var result: [String] = []
        for (position, argument) in arguments.enumerated() {
            result.append(argument)
            if argument == "--shard", position + 1 == arguments.count || arguments[position + 1].hasPrefix("-") {
                result.append(environmentWord)
            }
        }
        return result
    }
}

/// `visag sweep`: runs a sweep (the default, `sweep run`) or shows a Slurm sweep's shards (`sweep status`).
struct SweepGroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Runs every cell × seed of a sweep file (here or on Slurm); shows a Slurm sweep's progress.",
        discussion: ExitStatus.help("`visag sweep FILE --out DIR …` is `visag sweep run FILE --out DIR …`.",
                                    examples: ["visag sweep Scenarios/studies/recycle.yaml --out out/recycle --jobs 2"]),
        subcommands: [SweepCommand.self, SweepStatusCommand.self],
        defaultSubcommand: SweepCommand.self)
}

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs every cell × seed of a sweep file and writes results.csv and summary.csv.",
        discussion: ExitStatus.help("""
            With --slurm the sweep is submitted to Slurm instead: an array job of --array shards (one \
            `sweep --shard i/n --resume` per task, into DIR/shards/i) and a merge job after it, from scripts \
            written to DIR/slurm/. DIR must be on storage every node sees. `visag sweep status DIR` shows \
            the shards; --resume submits the unfinished ones again.
            """, examples: ["visag sweep run Scenarios/studies/recycle.yaml --out out/recycle --json",
                            "visag sweep run Scenarios/studies/wake.yaml --out /shared/w --slurm --array 8"]))

    @Argument(help: "Sweep file (YAML): base scenario, axes, seeds, exclude rules.")
    var sweep: String
    @Option(help: "Output folder.")
    var out: String
    @Option(help: "Worker threads (default: every core; with --slurm, 1 per array task).")
    var jobs: Int?
    @Option(help: ArgumentHelp("""
        Run only shard i of n (i/n, from 0): a deterministic slice for a job array. Alone (--shard): i and n \
        from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT.
        """, valueName: "i/n"))
    var shard: Shard?
    @Option(name: .customLong("set"), help: "Override a scenario field in every cell: path=value (repeatable; after the file's set:).")
    var overrides: [String] = []
    @Flag(help: """
        Finish a sweep that was stopped: runs already written are not redone (with --slurm: submit the unfinished \
        shards again).
        """)
    var resume = false
    @Flag(help: "Submit to Slurm: an array job of --array shards and a merge job after it (needs sbatch).")
    var slurm = false
    @Option(help: "With --slurm: the number of array tasks, each one shard of the sweep.")
    var array: Int?
    @Option(help: "With --slurm: the partition both jobs go to.")
    var partition: String?
    @Option(help: "With --slurm: the time limit of each job (Slurm's format, like 01:00:00).")
    var time: String?
    @Option(name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue,
            help: "With --slurm: one more sbatch option for both jobs, like --sbatch-arg=--account=X (repeatable).")
    var sbatchArg: [String] = []
    @OptionGroup var timeline: TimelineOptions
    @OptionGroup var memory: MemoryLimitOptions
    @Flag(help: "Print what ran and the files written as one JSON object, with the provenance block (not with --slurm).")
    var json = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be >= 1, found \(jobs)") }
    }

    func run() throws {
        if !slurm {
            let slurmOnly = [("--array", array != nil), ("--partition", partition != nil), ("--time", time != nil),
                             ("--sbatch-arg", !sbatchArg.isEmpty)]
            if let (name, _) = slurmOnly.first(where: \.1) { throw CLIError.badInput("\(name) applies only with --slurm") }
        } else if shard != nil {
            throw CLIError.badInput("--slurm splits the sweep into --array shards itself: leave out --shard")
        }
        if slurm {
            if json { throw CLIError.badInput("--json reports a sweep run here; with --slurm, `visag sweep status DIR --json`") }
            try submitToSlurm()
            return
        }
        let jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let slice = try shard?.resolved(ProcessInfo.processInfo.environment) ?? (0, 1)
        let file: SweepFile
        do {
            file = try SweepFile.load(path: sweep, memoryLimitBytes: try memory.limitBytes(concurrentRuns: jobs),
                                      overrides: overrides, shard: slice)
        } catch let error as ScenarioError {
            throw CLIError.badInput(error.description)
        }
        let provenance = try CommandProvenance.make(scenario: file.basePath, overrides: file.baseOverrides, seeds: file.seeds)
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
            outcome = try SweepRunner.run(file, into: out, options: .init(jobs: jobs, shard: slice, resume: resume,
                                                                              provenance: provenance)) {
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
        let files = ["results.csv", "summary.csv", SweepReport.fileName].map { (out as NSString).appendingPathComponent($0) }
        if json {
            print(JSONReport.text(SweepRunReport(outcome: outcome, sweep: file, runsInShard: total, folder: out, files: files,
                                                 provenance: provenance)))
            return
        }
        print("\(outcome.ran) runs in " + String(format: "%.2f", outcome.wallSeconds) + " s (\(outcome.skipped) already done, "
            + "\(outcome.failedRuns) with invariant violations); wrote \(out)/results.csv, \(out)/summary.csv and "
            + "\(out)/\(SweepReport.fileName)")
    }

    /// Validates the whole sweep here, before anything is queued, then submits it (see `SlurmSubmission`).
    private func submitToSlurm() throws {
        let cpusPerTask = jobs ?? 1
        // The tasks get the timeline and memory flags given here; each checks memory on its own node, so without
        // --max-memory this host's free memory (a login node's) does not judge the sweep.
        var taskArguments: [String] = []
        for (flag, value) in [("--timeline-cell", timeline.cell.map(String.init)), ("--timeline-seed", timeline.seed.map(String.init)),
                              ("--timeline-vms", timeline.vms.map(String.init)), ("--timeline-window", timeline.window),
                              ("--max-memory", memory.maxMemory)] {
            if let value { taskArguments += [flag, value] }
        }
        for override in overrides { taskArguments += ["--set", override] }
        let submission = SlurmSubmission(sweepPath: sweep, out: out, shardCount: array, cpusPerTask: cpusPerTask,
                                         partition: partition, time: time, sbatchArgs: sbatchArg,
                                         taskArguments: taskArguments, resume: resume)
        try submission.validate()
        if resume && !taskArguments.isEmpty {
            throw CLIError.badInput("--resume submits DIR/slurm/array.sbatch as it is: edit it to change "
                                    + taskArguments.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
                                        .joined(separator: ", "))
        }
        let file: SweepFile
        do {
            file = try SweepFile.load(path: sweep, memoryLimitBytes: memory.maxMemory == nil ? nil
                                          : try memory.limitBytes(concurrentRuns: cpusPerTask), overrides: overrides)
        } catch let error as ScenarioError {
            throw CLIError.badInput(error.description)
        }
        do { _ = try TimelineRun.resolve(try timeline.applied(to: file.timeline), in: file) } catch let failure as TimelineRun.Failure {
            throw CLIError.badInput(failure.description)
        }
        try submission.submit(file)
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Combines sweep shard folders into one folder's results.",
        discussion: ExitStatus.help(examples: ["visag merge out/shard0 out/shard1 --out out/recycle"]))

    @Argument(help: "Shard output folders.")
    var folders: [String]
    @Option(help: "Output folder.")
    var out: String
    @Flag(help: "Print the runs merged and the report written as one JSON object, with the provenance block.")
    var json = false

    /// What `merge --json` prints.
    struct Report: Codable {
        var runsMerged: Int
        var folder: String
        var report: String
        var provenance: Provenance
    }

    func run() throws {
        guard !folders.isEmpty else { throw CLIError.badInput("merge needs at least one folder") }
        let provenance = try CommandProvenance.make()
        do {
            let copied = try SweepMerge.merge(folders, into: out)
            try TimelineRun.copyFirst(from: folders, into: out)
            try ReportOutput.writeReport(directory: out)
            let report = (out as NSString).appendingPathComponent(SweepReport.fileName)
            if json {
                print(JSONReport.text(Report(runsMerged: copied, folder: out, report: report, provenance: provenance)))
            } else {
                print("merged \(copied) runs into \(out) (with \(SweepReport.fileName))")
            }
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
