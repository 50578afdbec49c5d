import ArgumentParser
import Foundation
import Sim

/// Which run the report's VM timeline shows; each flag overrides the sweep file's `timeline:`.
struct TimelineOptions: ParsableArguments {
    @Option(name: .customLong("timeline-cell"), help: "The timeline's cell (the cell column of results.csv; default: the first).")
    var cell: Int?
    @Option(name: .customLong("timeline-seed"), help: "The timeline's seed (default: the sweep's first).")
    var seed: UInt64?
    @Option(name: .customLong("timeline-vms"), help: "At most this many VMs in the timeline (default 24, the busiest).")
    var vms: Int?
    @Option(name: .customLong("timeline-window"), help: "The timeline shows the run's first DURATION (default 24h).")
    var window: String?

    var isEmpty: Bool { cell == nil && seed == nil && vms == nil && window == nil }

    func applied(to choice: TimelineChoice) throws -> TimelineChoice {
        var choice = choice
        if let cell { choice.cell = cell }
        if let seed { choice.seed = seed }
        if let vms {
            guard (1...500).contains(vms) else { throw CLIError.badInput("--timeline-vms: expected 1 to 500, found \(vms)") }
            choice.maxVMs = vms
        }
        if let window {
            let seconds: Double?
            do {
                seconds = try ScenarioLoader.parse(text: "duration: \(window)", file: "--timeline-window").durationSeconds
            } catch let error as ScenarioError {
                throw CLIError.badInput("--timeline-window: expected a duration like 6h, found \"\(window)\" (\(error.message))")
            }
            guard let seconds, seconds >= 1 else { throw CLIError.badInput("--timeline-window: expected at least 1 s") }
            choice.windowSeconds = seconds
        }
        return choice
    }
}

/// Writes `timeline.json` (when this folder ran the chosen run, or always with `force`) and
/// `report.html` into a sweep folder.
enum ReportOutput {
    static func write(directory: String, sweep: SweepFile?, choice: TimelineChoice, ownsTimelineRun: Bool) throws {
        if let sweep, ownsTimelineRun {
            let timeline: VMTimeline
            do { timeline = try TimelineRun.timeline(of: sweep, choice: choice) } catch let failure as TimelineRun.Failure {
                throw CLIError.badInput(failure.description)
            } catch let error as ScenarioError {
                throw CLIError.badInput(error.description)
            }
            try TimelineRun.write(timeline, into: directory)
        }
        try SweepReport.write(directory: directory)
    }
}
