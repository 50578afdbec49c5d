import Foundation
import XCTest
@testable import Sim

/// A metric a run did not measure is missing, never 0: empty in the CSV files, out of means and intervals;
/// "best" is claimed only where the intervals say so.
final class SweepMissingValuesTests: XCTestCase {
    func testStatisticsSkipMissingRunsAndCountOnlyThoseMeasured() {
        let s = SweepResults.Statistics([2, .nan, 4], method: .bootstrap)
        XCTAssertEqual(s.n, 2)
        XCTAssertEqual(s.mean, 3)
        let none = SweepResults.Statistics([.nan, .nan], method: .poisson)
        XCTAssertEqual(none.n, 0)
        XCTAssertTrue(none.mean.isNaN)
        XCTAssertTrue(none.interval.low.isNaN && none.interval.high.isNaN)
        XCTAssertEqual(SweepResults.format(none.mean), "", "an empty CSV field, not 0")
    }

    func testARunWithoutBootsHasNoBootTime() throws {
        let metric = try XCTUnwrap(SweepResults.metrics.first { $0.name == "prepare_boot_mean_s" })
        let response = try XCTUnwrap(SweepResults.metrics.first { $0.name == "mean_response_s" })
        var scenario = try ScenarioLoader.load(path: InvariantTests.scenarios.appendingPathComponent("quickstart.yaml").path)
        scenario.seed = 1
        var simulation = Simulation(scenario: scenario)
        let summary = RunSummary(scenario: scenario, metrics: simulation.run())
        XCTAssertEqual(summary.prepareBootSeconds.count, 0, "quickstart reverts, it never boots")
        XCTAssertTrue(metric.value(summary).isNaN)
        XCTAssertGreaterThan(summary.applicationsCompleted, 0)
        XCTAssertEqual(response.value(summary), summary.meanResponseSeconds)
        // In summary.json and `run --json` it is null, and reads back.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(summary), as: UTF8.self)
        XCTAssertTrue(json.contains("\"prepareBootSeconds\":{\"count\":0,\"max\":null,\"mean\":null,\"p50\":null,"
            + "\"p95\":null,\"p99\":null}"), json)
        XCTAssertFalse(json.contains("\"prepareRevertSeconds\":{\"count\":0"), "reverts were measured")
        let back = try JSONDecoder().decode(RunSummary.self, from: Data(json.utf8))
        XCTAssertEqual(back.prepareBootSeconds.count, 0)
        XCTAssertEqual(back.prepareRevertSeconds.mean, summary.prepareRevertSeconds.mean)
    }

    /// Cells with a mean and a symmetric interval of the given half-width each.
    func data(_ cells: [(mean: Double, halfWidth: Double)], better: MetricInfo.Better) -> SweepReportData {
        SweepReportData(
            scenario: "s", base: "s.yaml", set: [], axes: [SweepFile.Axis(path: "policies.recycle", values: ["a", "b", "c"])],
            seeds: SeedList(1...5), metrics: [MetricInfo(name: "m", label: "m", unit: "s", better: better)],
            cells: cells.enumerated().map { i, c in
                var s = SweepResults.Statistics([1], method: .bootstrap)
                (s.n, s.mean) = (5, c.mean)
                (s.interval.low, s.interval.high) = (c.mean - c.halfWidth, c.mean + c.halfWidth)
                return SweepReportData.Cell(index: i, values: [["a", "b", "c"][i]], n: 5, statistics: [s])
            },
            runs: 15, runsWithViolations: 0, missingRuns: 0)
    }

    func testBestOnlyWhereIntervalsDoNotOverlap() {
        XCTAssertEqual(SweepReport.bestCell(data([(10, 1), (20, 1), (30, 1)], better: .lower), metric: 0), 0)
        XCTAssertNil(SweepReport.bestCell(data([(10, 6), (20, 5), (30, 1)], better: .lower), metric: 0), "overlap")
        XCTAssertEqual(SweepReport.bestCell(data([(10, 1), (20, 1), (30, 1)], better: .higher), metric: 0), 2)
        XCTAssertNil(SweepReport.bestCell(data([(10, 1), (20, 1)], better: .neither), metric: 0))
        // A cell with no sample is neither best nor in the way.
        XCTAssertEqual(SweepReport.bestCell(data([(.nan, .nan), (20, 1), (30, 1)], better: .lower), metric: 0), 1)
        // A single run's bootstrap interval is a point: no claim from it.
        var single = data([(10, 0), (20, 0), (30, 0)], better: .lower)
        single.cells[0].statistics[0].n = 1
        XCTAssertNil(SweepReport.bestCell(single, metric: 0))
    }

    func testAChartHasNoPointForACellWithoutSamples() {
        let chart = SweepReport.chart(data([(.nan, .nan), (20, 1), (30, 1)], better: .lower), metric: 0, axis: 0,
                                      series: [[]])
        XCTAssertEqual(chart.series[0].points.map(\.x), [1, 2])
        XCTAssertEqual(chart.yLabel, "time (s)", "the y axis names the quantity and its unit")
    }

    /// The report's glossary covers every metric the CSV files hold, each with a unit and a meaning.
    func testEveryMetricHasAUnitAndAMeaning() {
        for metric in SweepResults.metrics {
            let info = MetricInfo.of(metric.name)
            XCTAssertFalse(info.unit.isEmpty, metric.name)
            XCTAssertFalse(info.meaning.isEmpty, metric.name)
        }
        // The y axis names the quantity and its unit.
        let labels = Dictionary(uniqueKeysWithValues: SweepResults.metrics.map {
            ($0.name, SweepReport.yLabel(MetricInfo.of($0.name)))
        })
        XCTAssertEqual(labels["applications_failed"], "applications per run")
        XCTAssertEqual(labels["messages"], "messages per run")
        XCTAssertEqual(labels["invariant_violations"], "violations per run")
        XCTAssertEqual(labels["discovery_messages_per_app"], "discovery messages per application")
        XCTAssertEqual(labels["vm_hours"], "VM time (VM·h)")
        XCTAssertEqual(labels["vm_utilisation"], "fraction of VM time reserved")
        XCTAssertEqual(labels["violated"], "share of runs")
        XCTAssertEqual(labels["queue_wait_mean_s"], "time (s)")
        let html = SweepReport.glossary(data([(1, 0)], better: .lower))
        XCTAssertTrue(html.contains("<td><code>m</code></td><td>s</td>"), html)
    }

    func yTicks(_ svg: String) -> [String] {
        svg.components(separatedBy: "class=\"ytick\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
    }

    func testCategoricalAxesAreNotJoinedAndNonNegativeIntervalsStayAboveZero() {
        // A wide interval around a small mean would reach below 0.
        let points = [SVGLineChart.Point(x: 0, mean: 1, low: 0, high: 6, n: 3), SVGLineChart.Point(x: 1, mean: 2, low: 1, high: 3, n: 3)]
        let twins = [SVGLineChart.Series(label: "a", points: points), SVGLineChart.Series(label: "b", points: points)]
        let categorical = SVGLineChart(title: "t", yLabel: "s", xLabel: "policy", categories: ["x", "y"], series: twins).svg()
        XCTAssertFalse(categorical.contains("<polyline"), "categories are not joined")
        XCTAssertFalse(yTicks(categorical).contains { $0.hasPrefix("-") || $0.hasPrefix("−") }, "\(yTicks(categorical))")
        XCTAssertEqual(yTicks(categorical).first, "0")
        // Identical series stay visible: their markers are drawn at different x.
        let circles = categorical.components(separatedBy: "<circle cx=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        let squares = categorical.components(separatedBy: "<rect x=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        XCTAssertEqual(circles.count, 2)
        XCTAssertNotEqual(circles.first, squares.dropFirst().first, "the twin series sit side by side")
        let numeric = SVGLineChart(title: "t", yLabel: "s", xLabel: "nodes", categories: nil, series: twins).svg()
        XCTAssertTrue(numeric.contains("<polyline"), "a numeric axis keeps its lines")
        XCTAssertFalse(numeric.contains("does not start at 0"))
        // Data far from 0: the axis starts above 0 and says so.
        let far = [SVGLineChart.Point(x: 0, mean: 100, low: 99, high: 101, n: 3),
                   SVGLineChart.Point(x: 1, mean: 110, low: 109, high: 111, n: 3)]
        let zoomed = SVGLineChart(title: "t", yLabel: "s", xLabel: "nodes", categories: nil,
                                  series: [SVGLineChart.Series(label: "", points: far)]).svg()
        XCTAssertTrue(zoomed.contains(">y axis does not start at 0</text>"), zoomed)
        XCTAssertNotEqual(yTicks(zoomed).first, "0")
        // Halved from 30 to 15: drawn from 0, so the halving looks like one.
        let halved = [SVGLineChart.Point(x: 0, mean: 30, low: 28, high: 32, n: 3),
                      SVGLineChart.Point(x: 1, mean: 16, low: 15, high: 17, n: 3)]
        let fromZero = SVGLineChart(title: "t", yLabel: "s", xLabel: "nodes", categories: nil,
                                    series: [SVGLineChart.Series(label: "", points: halved)]).svg()
        XCTAssertEqual(yTicks(fromZero).first, "0")
        XCTAssertFalse(fromZero.contains("does not start at 0"))
    }
}
