import Foundation

/// What the report shows of a sweep folder: its manifest, and per cell and metric the
/// statistics `summary.csv` holds, computed from the same run records.
struct SweepReportData {
    typealias Cell = SweepResults.CellStatistics

    var scenario: String
    var base: String
    var set: [String]
    var axes: [SweepFile.Axis]
    var seeds: SeedList
    var metrics: [MetricInfo]
    var cells: [Cell]
    var runs: Int
    var runsWithViolations: Int
    /// Runs the manifest expects (cells × seeds) that have no record yet.
    var missingRuns: Int

    static func load(directory: String) throws -> SweepReportData {
        let manifest = try SweepRunner.Manifest.read(directory: directory)
        let records = try SweepResults.records(in: directory)
        let metrics = SweepResults.metrics
        let cells = SweepResults.cells(records)
        let seeds = manifest.seedList.flatMap { try? SeedList(parsing: $0, maxSeeds: SweepFile.maxRuns) }
            ?? SeedList(manifest.seeds[0]...manifest.seeds[1])
        return SweepReportData(
            scenario: records.first?.summary.scenario ?? manifest.base, base: manifest.base, set: manifest.set,
            axes: manifest.axisOrder.map { SweepFile.Axis(path: $0, values: manifest.axes[$0] ?? []) },
            seeds: seeds, metrics: metrics.map { metric in
                var info = MetricInfo.of(metric.name)
                info.interval = metric.interval
                return info
            }, cells: cells,
            runs: records.count,
            runsWithViolations: records.filter { !$0.summary.invariantViolations.isEmpty }.count,
            missingRuns: max(0, manifest.cells.count * seeds.count - records.count))
    }

    /// Whether a metric's cell means differ (a metric equal everywhere is listed, not plotted).
    func varies(_ metric: Int) -> Bool {
        let means = cells.map { $0.statistics[metric].mean }.filter(\.isFinite)
        guard let first = means.first else { return false }
        return means.contains { abs($0 - first) > 1e-9 * max(1, abs(first)) }
    }
}
