import Foundation

/// A sweep: one base scenario, axes of values for any scenario field, seeds and exclusions,
/// expanding to the cross product of cells × seeds. Every cell is a list of `--set`
/// overrides on the base, validated exactly as a scenario is.
///
/// ```yaml
/// base: ../policies/recycle.yaml        # relative to the sweep file
/// set: [workload.applications=100]      # applied to every cell (optional)
/// axes:
///   policies.recycle: [revert, suspend, shutdown]
///   policies.cloneAheadThreshold: [0, 2]
/// seeds: 1..20                          # or a count: 20 (seeds 1..20); a list: [2, 5, 9] or "1..10,20,30..32"
/// exclude:
///   - {policies.recycle: revert, policies.cloneAheadThreshold: 2}
/// timeline: {cell: 0, seed: 1, vms: 24, window: 24h}   # the report's VM timeline (optional)
/// ```
public struct SweepFile: Sendable {
    public struct Axis: Sendable {
        public var path: String
        /// The values as override text, in file order.
        public var values: [String]
    }

    public struct Cell: Sendable, Equatable {
        /// Position in the expansion (stable: axes in file order, last axis fastest).
        public var index: Int
        /// One value per axis, in axis order.
        public var values: [String]
        public var overrides: [String]
    }

    public var file: String
    public var basePath: String
    public var baseOverrides: [String]
    public var axes: [Axis]
    public var seeds: SeedList
    public var cells: [Cell]
    /// The run whose VM timeline the report draws.
    public var timeline: TimelineChoice

    public var runCount: Int { cells.count * seedCount }
    public var seedCount: Int { seeds.count }

    /// Sweeps with more cells than this (before exclusions) are refused before they are expanded.
    public static let maxCells = 100_000
    /// Sweeps with more runs (cells × seeds) than this are refused.
    public static let maxRuns = 10_000_000

    /// `memoryLimitBytes`: refuse a sweep one of whose cells is estimated to need more (see `MemoryEstimate`).
    /// `overrides` (`sweep --set`) follow the file's `set:` list, for every cell.
    /// `shard`: validate only the cells with a run in that shard (every cell is still expanded), so each task of
    /// a job array checks what it runs, and one bad cell fails only the tasks that would run it.
    public static func load(path: String, memoryLimitBytes: Int? = nil, overrides: [String] = [],
                            shard: (index: Int, count: Int) = (0, 1)) throws -> SweepFile {
        let document = try YAMLDocument.load(path: path)
        let root = try document.mapping(allowedKeys: ["base", "set", "axes", "seeds", "exclude", "description", "timeline"])
        let baseValue = try root.required("base")
        let base = try baseValue.string()
        let directory = (path as NSString).deletingLastPathComponent
        let basePath = base.hasPrefix("/") ? base : (directory as NSString).appendingPathComponent(base)
        let baseOverrides = (try root.optional("set")?.sequence().map { try $0.string() } ?? []) + overrides
        let axesMapping = try root.required("axes").mappingWithAnyKeys()
        var axes: [Axis] = []
        for (key, value) in axesMapping.items {
            // An axis key is a scenario field path; each cell applies it as `path=value`.
            guard !key.isEmpty, !key.contains("="), !key.contains(where: \.isWhitespace) else {
                throw value.error("the axis \"\(key)\" is not a scenario field path (keys separated by \".\", "
                                  + "no \"=\" or spaces)")
            }
            let values = try value.sequence()
            guard !values.isEmpty else { throw value.error("an axis needs at least one value") }
            axes.append(Axis(path: key, values: values.map { $0.flowText() }))
        }
        guard !axes.isEmpty else { throw axesMapping.error("a sweep needs at least one axis") }
        let seeds = try parseSeeds(root.optional("seeds"))
        // Counted before anything is expanded: the product of the axis sizes, saturating.
        var cellCount = 1
        for axis in axes {
            let (product, overflow) = cellCount.multipliedReportingOverflow(by: axis.values.count)
            cellCount = overflow ? Int.max : product
        }
        let sizes = axes.map { String($0.values.count) }.joined(separator: " × ")
        if cellCount > maxCells {
            throw axesMapping.error("the axes make \(cellCount == Int.max ? "more than \(Int.max)" : String(cellCount)) "
                                    + "cells (\(sizes)); the limit is \(maxCells)")
        }
        let seedCount = seeds.count
        if cellCount * seedCount > maxRuns {
            throw (root.optional("seeds") ?? axesMapping.value).error(
                "\(cellCount) cells × \(seedCount) seeds is \(cellCount * seedCount) runs; the limit is \(maxRuns)")
        }
        var excluded: [[String: String]] = []
        for rule in try root.optional("exclude")?.sequence() ?? [] {
            let mapping = try rule.mappingWithAnyKeys()
            var match: [String: String] = [:]
            for (key, value) in mapping.items {
                guard axes.contains(where: { $0.path == key }) else {
                    throw value.error("exclude names \"\(key)\", which is not an axis ("
                        + axes.map(\.path).joined(separator: ", ") + ")")
                }
                match[key] = value.flowText()
            }
            excluded.append(match)
        }
        // Validate the base and every cell (of the shard) now, so a bad value stops the sweep before it runs. The base file is read
        // and parsed once; each cell's values are applied to that document.
        let baseDocument: YAMLDocument
        let traces = ScenarioLoader.TraceCache()
        do {
            baseDocument = try YAMLDocument.load(path: basePath, overrides: baseOverrides)
            _ = try ScenarioLoader.load(document: baseDocument, path: basePath, memoryLimitBytes: memoryLimitBytes,
                                        traces: traces)
        } catch let error as ScenarioError {
            throw ScenarioError(file: path, line: baseValue.line, column: baseValue.column, path: "base",
                                message: "the base scenario does not load: \(error.description)")
        }
        var cells: [Cell] = []
        var combination = Array(repeating: 0, count: axes.count)
        var position = 0
        while true {
            let values = zip(axes, combination).map { $0.values[$1] }
            let isExcluded = excluded.contains { rule in
                rule.allSatisfy { key, value in values[axes.firstIndex { $0.path == key }!] == value }
            }
            if !isExcluded {
                let cellOverrides = zip(axes, values).map { "\($0.path)=\($1)" }
                let overrides = baseOverrides + cellOverrides
                if hasRun(cellPosition: cells.count, seedCount: seedCount, shard: shard) {
                    do {
                        _ = try ScenarioLoader.load(document: try baseDocument.applying(overrides: cellOverrides),
                                                    path: basePath, memoryLimitBytes: memoryLimitBytes, traces: traces)
                    } catch let error as ScenarioError {
                        throw ScenarioError(file: path, line: axesMapping.value.line, column: axesMapping.value.column,
                                            path: "axes", message: "cell " + zip(axes, values).map { "\($0.path)=\($1)" }
                                                .joined(separator: " ") + " is not a valid scenario: \(error.description)")
                    }
                }
                cells.append(Cell(index: position, values: values, overrides: overrides))
            }
            position += 1
            var axis = axes.count - 1
            while axis >= 0 {
                combination[axis] += 1
                if combination[axis] < axes[axis].values.count { break }
                combination[axis] = 0
                axis -= 1
            }
            if axis < 0 { break }
        }
        guard !cells.isEmpty else { throw root.error("every cell is excluded: nothing to run") }
        let sweep = SweepFile(file: path, basePath: basePath, baseOverrides: baseOverrides, axes: axes, seeds: seeds,
                              cells: cells, timeline: try TimelineChoice.parse(root.optional("timeline")))
        do {
            _ = try TimelineRun.resolve(sweep.timeline, in: sweep)
        } catch let failure as TimelineRun.Failure {
            let value = root.optional("timeline") ?? root.value
            throw ScenarioError(file: path, line: value.line, column: value.column, path: "timeline",
                                message: failure.description)
        }
        return sweep
    }

    /// Whether one of the runs of the cell at `cellPosition` (runs `cellPosition × seedCount + j`, j < seedCount)
    /// falls to `shard` (runs are dealt out by position modulo the shard count, as `SweepRunner.runs` does).
    static func hasRun(cellPosition: Int, seedCount: Int, shard: (index: Int, count: Int)) -> Bool {
        let first = (cellPosition * seedCount) % shard.count
        return (shard.index - first + shard.count) % shard.count < seedCount
    }

    /// `seeds:`: a count (`20`: seeds 1..20), or seeds as `--seeds` takes them (`SeedList`), in a string
    /// (`1..100`, `"1..10,20,30..32"`) or a sequence whose items are seeds or ranges (`[2, 5, 9]`, `[1..10, 40]`).
    static func parseSeeds(_ value: YAMLValue?) throws -> SeedList {
        guard let value else { return SeedList(1...10) }
        if let count = try? value.int() {
            // A bare number is a count, never a seed: `[7]` is the one seed 7.
            guard (1...maxRuns).contains(count) else {
                throw value.error("a seed count is 1 to \(maxRuns), found \(count) (write [\(count)] for that one seed)")
            }
            return SeedList(1...UInt64(count))
        }
        let text: String
        if let items = try? value.sequence() {
            guard !items.isEmpty else { throw value.error("expected at least one seed, found an empty list") }
            text = try items.map { try $0.string() }.joined(separator: ",")
        } else {
            text = try value.string()
        }
        do {
            return try SeedList(parsing: text, maxSeeds: maxRuns)
        } catch {
            throw value.error("expected a seed count, seeds or ranges like 1..20 or 2,5,9: \(error.message)")
        }
    }
}
