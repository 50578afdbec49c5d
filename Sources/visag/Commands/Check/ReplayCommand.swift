import ArgumentParser
import Foundation
import Model
import Sim

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Reruns one seed with full tracing and prints its violations (exit 1 if any; same digest as check).",
        discussion: ExitStatus.help(examples: ["visag replay Scenarios/races/dhcp-lease.yaml --seed 27 --around 50m",
                                               "visag replay Scenarios/quickstart.yaml --seed 7 --trace out/t.jsonl --json"]))

    @Argument(help: "Scenario file (YAML).")
    var scenario: String
    @Option(help: "The seed to replay (default: the seed the scenario file records, as `shrink` writes it).")
    var seed: UInt64?
    @Option(help: "Write the full event trace here as JSON Lines.")
    var trace: String?
    @Option(help: "Print the events within --window of this time: seconds, a duration (26m) or a time as reports print it (\"50m 04.521s\").")
    var around: String?
    @Option(help: "Half-width of the --around window: seconds or a duration.")
    var window: String = "30"
    @Option(name: .customLong("set"), help: "Override a scenario field: path=value (repeatable).")
    var overrides: [String] = []
    @Flag(help: "Print the summary, the violations and the --around window as one JSON object, with the provenance block.")
    var json = false

    /// Seconds from `text`: what a scenario accepts (`90`, `26m`, `1.5h`) or what a report prints (`50m 04.521s`).
    static func time(_ text: String, flag: String) throws -> Double {
        if let seconds = EventText.seconds(from: text) { return seconds }
        let parsed: Double?
        do {
            parsed = try ScenarioLoader.commandLineDuration(text, flag: flag)
        } catch let error as ScenarioError {
            throw CLIError.badInput("\(flag): expected seconds or a duration like 26m, found \"\(text)\" (\(error.message))")
        }
        guard let seconds = parsed, seconds.isFinite, seconds >= 0 else {
            throw CLIError.badInput("\(flag): expected a finite time >= 0, found \"\(text)\"")
        }
        return seconds
    }

    func run() throws {
        let center = try around.map { try Self.time($0, flag: "--around") }
        let halfWidth = try Self.time(window, flag: "--window")
        var loaded = try loadScenario(scenario, overrides: overrides)
        if let seed { loaded.seed = seed }
        let provenance = try CommandProvenance.make(scenario: scenario, overrides: overrides, seed: loaded.seed)
        var file: JSONLinesFile? = nil
        if let trace {
            do { file = try JSONLinesFile(path: trace) } catch { throw CLIError.runFailed("\(error)") }
        }
        let window = center.map { AroundWindow(center: $0, halfWidth: halfWidth, forward: file) }
        let sink: TraceSink? = window ?? file
        var simulation = Simulation(scenario: loaded, traceSink: sink)
        let metrics = simulation.run()
        do { try file?.close() } catch {
            file?.discard()
            throw CLIError.runFailed("\(error)")
        }
        let violations = metrics.violations.sorted(by: { $0.timeSeconds < $1.timeSeconds })
        if json {
            var summary = RunSummary(scenario: loaded, metrics: metrics)
            summary.provenance = provenance
            let around = window.map {
                ReplayReport.Window(centerSeconds: $0.center, halfWidthSeconds: $0.halfWidth, events: $0.lines,
                                    notShown: $0.dropped)
            }
            print(JSONReport.text(ReplayReport(summary: summary, violations: violations, window: around,
                                               provenance: provenance)))
        } else {
            printText(RunSummary(scenario: loaded, metrics: metrics), violations: violations, window: window)
        }
        // A broken invariant fails the command, so `git bisect run visag replay …` finds the commit that broke it.
        if !metrics.violations.isEmpty { throw ExitCode(1) }
    }

    private func printText(_ summary: RunSummary, violations: [InvariantViolation], window: AroundWindow?) {
        print(summary.table())
        for violation in violations {
            print("\n\(violation)")
        }
        if let window {
            print("\nevents within \(EventText.time(window.halfWidth)) of \(EventText.time(window.center)):")
            for line in window.lines { print(line) }
            if window.dropped > 0 { print("(\(window.dropped) more not shown)") }
        }
    }
}

/// Keeps the events whose time is within a window, in words (and forwards every trace line).
final class AroundWindow: TraceSink {
    let center: Double
    let halfWidth: Double
    let forward: TraceSink?
    private(set) var lines: [String] = []
    private(set) var dropped = 0
    private let maxLines = 500

    init(center: Double, halfWidth: Double, forward: TraceSink?) {
        self.center = center
        self.halfWidth = halfWidth
        self.forward = forward
    }

    var wantsLines: Bool { forward?.wantsLines ?? false }

    func write(line: String) { forward?.write(line: line) }

    func recorded(time: Double, event: Event) {
        forward?.recorded(time: time, event: event)
        keep(time) { EventText.line(time: time, event) }
    }

    func recordedArrival(time: Double, index: Int32) {
        forward?.recordedArrival(time: time, index: index)
        keep(time) {
            let stamp = EventText.time(time)
            return String(repeating: " ", count: max(0, 13 - stamp.count)) + stamp + "  app\(index) arrives"
        }
    }

    private func keep(_ time: Double, _ text: () -> String) {
        guard abs(time - center) <= halfWidth else { return }
        if lines.count < maxLines { lines.append(text()) } else { dropped += 1 }
    }
}
