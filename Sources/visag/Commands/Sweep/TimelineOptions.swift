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
                seconds = try ScenarioLoader.commandLineDuration(window, flag: "--timeline-window")
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
        try write(directory: directory, timeline: sweep.flatMap { ownsTimelineRun ? $0 : nil }.map {
            try timeline(of: $0, choice: choice)
        })
    }

    /// `timeline`: the VM timeline this folder shows, if its run is this folder's to draw.
    static func write(directory: String, timeline: VMTimeline?) throws {
        if let timeline { try TimelineRun.write(timeline, into: directory) }
        try writeReport(directory: directory)
    }

    /// The report, with a warning when its figures have no PDF (librsvg or cairo missing): the page and the SVG
    /// figures are complete without them.
    static func writeReport(directory: String) throws {
        if let note = try SweepReport.write(directory: directory) {
            FileHandle.standardError.write(Data("warning: \(note)\n".utf8))
        }
    }

    static func timeline(of sweep: SweepFile, choice: TimelineChoice) throws -> VMTimeline {
        do { return try TimelineRun.timeline(of: sweep, choice: choice) } catch let failure as TimelineRun.Failure {
            throw CLIError.badInput(failure.description)
        } catch let error as ScenarioError {
            throw CLIError.badInput(error.description)
        }
    }
}

/// The timeline's rerun needs nothing from the sweep's runs, so with several cores it runs beside them
/// instead of after them (where it would be the one serial step of the sweep).
final class TimelineInBackground: @unchecked Sendable {
    // Written once on the background queue before `done` is signalled; read after waiting on it.
    private var result: Result<VMTimeline, Error>?
    private let done = DispatchSemaphore(value: 0)

    init(sweep: SweepFile, choice: TimelineChoice) {
        DispatchQueue.global().async {
            self.result = Result { try ReportOutput.timeline(of: sweep, choice: choice) }
            self.done.signal()
        }
    }

    func wait() throws -> VMTimeline {
        done.wait()
        return try result!.get()
    }
}
