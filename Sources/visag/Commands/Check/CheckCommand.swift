import ArgumentParser
import Foundation
import Sim

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Runs a scenario over many seeds and reports invariant violations (exit 1 if any).",
        discussion: ExitStatus.help("""
            The first failing seed is shrunk (fewer nodes, applications, objects, faults) while the same \
            invariant still fails, and the command that replays the reduced scenario is printed. Failing seeds \
            are remembered in .visag-cache/ (VISAG_CACHE_DIR), per scenario and --set overrides.
            """, examples: ["visag check Scenarios/races/dhcp-lease.yaml --seeds 1..100 --junit check.xml",
                            "visag check Scenarios/quickstart.yaml --seeds 1..5,9 --json"]))

    @Argument(help: "Scenario file (YAML).")
    var scenario: String
    @Option(help: "Seeds to run: A..B (inclusive), N, or a list of both (1..10,40,90..95).", transform: SeedList.flag)
    var seeds: SeedList?
    @Option(help: "Worker threads (default: every core).")
    var jobs: Int?
    @Option(name: .customLong("set"), help: "Override a scenario field: path=value (repeatable).")
    var overrides: [String] = []
    @Flag(inversion: .prefixedNo, help: "Shrink the first failing seed's scenario and print how to replay it.")
    var shrink = true
    @Flag(name: .customLong("last-failed"),
          help: "Run the seeds that failed last time first (alone, without --seeds).")
    var lastFailed = false
    @Option(name: .customLong("max-failures"), help: "Stop starting seeds once this many have failed.")
    var maxFailures: Int?
    @Option(help: "Write a JUnit XML report here (one test case per seed).")
    var junit: String?
    @Flag(help: "Show progress on stderr even when it is not a terminal.")
    var progress = false
    @OptionGroup var memory: MemoryLimitOptions
    @Flag(help: "Print the report as one JSON object, with the provenance block (build, command, resolved scenario, seeds).")
    var json = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be >= 1, found \(jobs)") }
        if let maxFailures, maxFailures < 1 { throw ValidationError("--max-failures must be >= 1, found \(maxFailures)") }
        if seeds == nil && !lastFailed { throw ValidationError("give --seeds (or --last-failed)") }
    }

    func run() throws {
        let key = LastFailed.key(scenario: scenario, overrides: overrides)
        let seedList = try orderedSeeds(key: key)
        let jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let loaded = try loadScenario(scenario, overrides: overrides,
                                      memoryLimitBytes: try memory.limitBytes(concurrentRuns: min(jobs, seedList.count)))
        let provenance = try CommandProvenance.make(scenario: scenario, overrides: overrides)
        let line = ProgressLine(total: seedList.count, forced: progress)
        let report = SeedCheck.run(loaded, seedList: seedList, jobs: jobs, maxFailures: maxFailures) { done, failing in
            line.update(done: done, failing: failing)
        }
        line.finish()
        do {
            try LastFailed.record(report.failingSeeds, checked: report.results.map(\.seed), for: key)
        } catch {
            FileHandle.standardError.write(Data("warning: failing seeds not remembered: \(error)\n".utf8))
        }
        let shrunk = try shrinkFirstFailure(report, progress: line)
        var result = CheckReport(scenario: scenario, overrides: overrides, requested: seedList.count, report: report,
                                 shrunk: shrunk, replay: { replayCommand(seed: $0) })
        result.provenance = provenance.with(seeds: seedList)
        if let junit {
            do { try OutputFile.write(result.junit(), to: junit) } catch { throw CLIError(error) }
        }
        if json {
            print(result.json())
        } else {
            print(provenance.line)
            printText(result, report: report)
        }
        if !report.failingSeeds.isEmpty { throw ExitCode(1) }
    }

    /// `--seeds` in order, after the seeds that failed last time with `--last-failed`.
    private func orderedSeeds(key: String) throws -> [UInt64] {
        let asked = seeds?.seeds ?? []
        guard lastFailed else { return asked }
        let previous = LastFailed.seeds(for: key)
        if asked.isEmpty {
            guard !previous.isEmpty else {
                throw CLIError.badInput("--last-failed: no failing seeds are recorded for \(key); give --seeds")
            }
            return previous
        }
        let wanted = Set(asked)
        let first = previous.filter(wanted.contains)
        let firstSet = Set(first)
        return first + asked.filter { !firstSet.contains($0) }
    }

    private func shrinkFirstFailure(_ report: SeedCheck.Report, progress: ProgressLine) throws -> CheckReport.Shrunk? {
        guard shrink, let first = report.results.first(where: { $0.firstViolation != nil }),
              let invariant = first.firstViolation?.invariant else { return nil }
        progress.note("shrinking seed \(first.seed) (\(invariant.rawValue))…")
        let result: Shrinker.Result
        do {
            result = try Shrinker.shrink(path: scenario, overrides: overrides, seed: first.seed, invariant: invariant)
        } catch {
            progress.note("could not shrink seed \(first.seed): \(error)")
            return nil
        }
        let arguments = ["replay", scenario] + (overrides + result.overrides).flatMap { ["--set", $0] }
        return CheckReport.Shrunk(fromSeed: first.seed, seed: result.seed, invariant: invariant.rawValue,
                                  overrides: result.overrides, steps: result.steps, runs: result.runs,
                                  replay: ShellCommand.visag(arguments))
    }

    private func replayCommand(seed: UInt64) -> String {
        ShellCommand.visag(["replay", scenario, "--seed", String(seed)] + overrides.flatMap { ["--set", $0] })
    }

    private func printText(_ result: CheckReport, report: SeedCheck.Report) {
        print(report.table())
        if result.stoppedEarly {
            print("stopped after \(result.seeds.failing.count) failing seeds (--max-failures); "
                + "\(result.seeds.requested - result.seeds.checked.count) seeds not run")
        }
        for failure in result.failures.prefix(3) {
            let violation = report.results.first { $0.seed == failure.seed }!.firstViolation!
            print("\nseed \(failure.seed) (digest \(failure.digest)):\n\(violation)")
            print("reproduce with: \(failure.replay)")
        }
        if result.failures.count > 3 {
            let more = result.failures.count - 3
            print("\n(\(more) more failing seed\(more == 1 ? "" : "s"): --json lists them)")
        }
        guard let shrunk = result.shrunk else { return }
        print("\nshrunk seed \(shrunk.fromSeed) in \(shrunk.runs) runs: \(shrunk.invariant) still fails with")
        for override in shrunk.overrides { print("  \(override)") }
        for step in shrunk.steps where step.contains("→") { print("  (seed changed: \(step))") }
        print("replay the shrunk scenario with: \(shrunk.replay)")
    }
}

/// Progress on stderr, on a terminal or when asked for: counts that only go up (the checker reports them under
/// its lock) and the time left at the rate so far. On a terminal one rewritten line, elsewhere a line per tenth.
final class ProgressLine: @unchecked Sendable {
    private let total: Int
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let enabled: Bool
    private var lastTenth = -1
    private var shown = 0
    private let lock = NSLock()
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init(total: Int, forced: Bool = false) {
        self.total = total
        enabled = forced || isTerminal
        start = clock.now
    }

    func update(done: Int, failing: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard enabled, done > shown else { return }
        shown = done
        let text = "\(done)/\(total) seeds, \(failing) failing" + eta(done: done)
        if isTerminal {
            FileHandle.standardError.write(Data("\r\(text)\u{1B}[K".utf8))
        } else {
            let tenth = done * 10 / max(total, 1)
            guard tenth != lastTenth else { return }
            lastTenth = tenth
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    /// A line of its own (shrinking, a warning), on the same terms as the counts.
    func note(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        guard enabled else { return }
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if enabled && isTerminal && shown > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func eta(done: Int) -> String {
        guard done < total else { return "" }
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let left = Int((seconds / Double(done) * Double(total - done)).rounded())
        return ", about " + (left < 60 ? "\(left)s" : "\(left / 60)m \(left % 60)s") + " left"
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
