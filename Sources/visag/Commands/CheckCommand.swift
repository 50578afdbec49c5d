import ArgumentParser
import Foundation
import Sim

/// `A..B` or a single seed.
struct SeedRange: ExpressibleByArgument {
    var range: ClosedRange<UInt64>

    init?(argument: String) {
        let parts = argument.components(separatedBy: "..")
        if parts.count == 1, let seed = UInt64(parts[0]) {
            range = seed...seed
        } else if parts.count == 2, let low = UInt64(parts[0]), let high = UInt64(parts[1]), low <= high,
                  high - low < 100_000_000 {
            range = low...high
        } else {
            return nil
        }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Runs a scenario over many seeds and reports invariant violations (exit 1 if any).",
        discussion: ExitStatus.discussion)

    @Argument(help: "Scenario file (YAML).")
    var scenario: String
    @Option(help: "Seeds to run: A..B (inclusive) or one seed.")
    var seeds: SeedRange
    @Option(help: "Worker threads (default: every core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .customLong("set"), help: "Override a scenario field: path=value (repeatable).")
    var overrides: [String] = []
    @OptionGroup var memory: MemoryLimitOptions
    @Flag(help: "Print the report as one JSON object, with the provenance block (build, command, resolved scenario, seeds).")
    var json = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be >= 1, found \(jobs)") }
    }

    func run() throws {
        let total = Int(seeds.range.upperBound - seeds.range.lowerBound) + 1
        let loaded = try loadScenario(scenario, overrides: overrides,
                                      memoryLimitBytes: try memory.limitBytes(concurrentRuns: min(jobs, total)))
        let provenance = try CommandProvenance.make(scenario: scenario, overrides: overrides, seeds: seeds.range)
        let progress = ProgressLine(total: total)
        let report = SeedCheck.run(loaded, seeds: seeds.range, jobs: jobs) { done, failing in
            progress.update(done: done, failing: failing)
        }
        progress.finish()
        let failing = report.results.filter { $0.firstViolation != nil }
        if json {
            print(report.json(provenance: provenance))
            if !failing.isEmpty { throw ExitCode(1) }
            return
        }
        print(provenance.line)
        print(report.table())
        for result in failing.prefix(3) {
            print("\nseed \(result.seed) (digest \(result.digest)):\n\(result.firstViolation!)")
            print("reproduce with: visag replay \(scenario) --seed \(result.seed)"
                + overrides.map { " --set \($0)" }.joined())
        }
        if !failing.isEmpty { throw ExitCode(1) }
    }
}

/// Progress on stderr: one rewritten line on a terminal, plain lines at each tenth otherwise.
final class ProgressLine: @unchecked Sendable {
    private let total: Int
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastTenth = -1
    private let lock = NSLock()

    init(total: Int) { self.total = total }

    func update(done: Int, failing: Int) {
        lock.lock()
        defer { lock.unlock() }
        if isTerminal {
            FileHandle.standardError.write(Data("\r\(done)/\(total) seeds, \(failing) failing".utf8))
        } else {
            let tenth = done * 10 / max(total, 1)
            guard tenth != lastTenth else { return }
            lastTenth = tenth
            FileHandle.standardError.write(Data("\(done)/\(total) seeds, \(failing) failing\n".utf8))
        }
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// Loads a scenario for a command; one that would not fit in `memoryLimitBytes` (default: the memory available)
/// is refused with the estimate.
func loadScenario(_ path: String, overrides: [String],
                  memoryLimitBytes: Int? = MemoryEstimate.availableBytes()) throws -> Scenario {
    do {
        return try ScenarioLoader.load(path: path, overrides: overrides, memoryLimitBytes: memoryLimitBytes)
    } catch let error as ScenarioError {
        throw CLIError.badInput(error.description)
    }
}
