import Foundation

/// Reruns one run of a sweep with an `ActivityRecorder` and keeps its bounded VM timeline
/// (`timeline.json` in the output folder).
public enum TimelineRun {
    public enum Failure: Error, CustomStringConvertible {
        case noSuchCell(Int, available: [Int])
        case noSuchSeed(UInt64, SeedList)
        public var description: String {
            switch self {
            case .noSuchCell(let cell, let available):
                "timeline cell \(cell) is not in the sweep (cells: " + Self.ranges(available) + ")"
            case .noSuchSeed(let seed, let seeds):
                "timeline seed \(seed) is not in the sweep's seeds \(seeds)"
            }
        }

        static func ranges(_ values: [Int]) -> String {
            values.count <= 12 ? values.map(String.init).joined(separator: ", ")
                : "\(values.first!)…\(values.last!), \(values.count) in all"
        }
    }

    public static let fileName = "timeline.json"

    /// Checks the choice against the sweep before anything runs.
    public static func resolve(_ choice: TimelineChoice, in sweep: SweepFile) throws -> (SweepFile.Cell, UInt64) {
        let cell: SweepFile.Cell
        if let index = choice.cell {
            guard let found = sweep.cells.first(where: { $0.index == index }) else {
                throw Failure.noSuchCell(index, available: sweep.cells.map(\.index))
            }
            cell = found
        } else {
            cell = sweep.cells[0]
        }
        let seed = choice.seed ?? sweep.seeds.first
        guard sweep.seeds.contains(seed) else { throw Failure.noSuchSeed(seed, sweep.seeds) }
        return (cell, seed)
    }

    public static func timeline(of sweep: SweepFile, choice: TimelineChoice) throws -> VMTimeline {
        let (cell, seed) = try resolve(choice, in: sweep)
        var scenario = try ScenarioLoader.load(path: sweep.basePath, overrides: cell.overrides)
        scenario.seed = seed
        let recorder = ActivityRecorder(untilSeconds: choice.windowSeconds)
        var simulation = Simulation(scenario: scenario, traceSink: recorder)
        // Sampling reads between events and changes nothing of the run. The run may end well before the window:
        // sampled four times finer than the chart needs, then thinned to the chart's points over what ran.
        let span = max(min(choice.windowSeconds, scenario.durationSeconds ?? .infinity), 1)
        let samples = 4 * (gridPoints - 1) + 1
        let series = RunSeries(intervalSeconds: span / Double(samples - 1), nodes: nil, vms: nil,
                               keepsGridTotals: true, maxSamples: samples)
        simulation.series = series
        let metrics = simulation.run()
        let activity = ActivityReplay.replay(recorder, scenario: scenario, applications: simulation.plane.apps,
                                             endSeconds: metrics.simulatedSeconds)
        var timeline = VMTimeline(activity, cell: cell.index, values: cell.values, seed: seed, scenario: scenario.name,
                                  windowEndSeconds: choice.windowSeconds, runEndSeconds: metrics.simulatedSeconds,
                                  maxVMs: choice.maxVMs)
        timeline.grid = series.gridTotals?.thinned(toAtMost: gridPoints)
        return timeline
    }

    /// At most this many instants in the grid-totals chart.
    static let gridPoints = 241

    public static func write(_ timeline: VMTimeline, into directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(timeline), as: UTF8.self)
        try OutputFile.write(text + "\n", to: (directory as NSString).appendingPathComponent(fileName))
    }

    /// The folder's saved timeline, if any (nil when absent; an unreadable file is an error).
    public static func read(from directory: String) throws -> VMTimeline? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(VMTimeline.self, from: data)
        } catch {
            throw SweepRunner.Failure.io("\(path): error: not a VM timeline (\(error)); remove it or rebuild it with visag report --sweep")
        }
    }
}

extension TimelineRun {
    /// Merging shards: the timeline comes from the first folder that drew one.
    public static func copyFirst(from directories: [String], into output: String) throws {
        for directory in directories {
            guard let timeline = try read(from: directory) else { continue }
            if (directory as NSString).standardizingPath != (output as NSString).standardizingPath {
                try write(timeline, into: output)
            }
            return
        }
    }
}
