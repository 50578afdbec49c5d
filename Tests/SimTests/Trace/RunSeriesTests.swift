import Foundation
import XCTest
@testable import Sim

/// `--sample-every`: the per-node and per-VM series, read between events.
final class RunSeriesTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("visag-series-\(ProcessInfo.processInfo.globallyUniqueString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try FileManager.default.removeItem(at: directory) }
    }

    /// One node, one worker, fixed latencies and no network delay: one application of one object arrives at
    /// t=100 and computes 200 s. The start-up revert (30 s) makes the worker run free; the application reserves it
    /// at t=100 exactly (every message is local and instant), Prepare VM reads its address (2 s) and launches
    /// (1 s): the object runs from t=103 to t=303; the recycle's revert (30 s) frees the worker at t=333.
    private func knownScenario() throws -> Scenario {
        let trace = directory.appendingPathComponent("jobs.csv")
        try Data("id,arrival_s,compute_s\n0,100,200\n".utf8).write(to: trace)
        return try ScenarioLoader.parse(text: """
        name: series
        mode: virtual
        fidelity: fixed
        platform: {nodes: 1, maxVMs: 1, initialWorkers: 1, numClone: 0, topology: full}
        hypervisor: {revert: 30s, addressRead: 2s, keyFetch: 1s, keyWrite: 1s, launch: 1s}
        dhcp: {poolSize: 4, lease: never}
        network: {latency: 0}
        policies: {placement: central, recycle: revert, dhcpRenewal: none}
        workload: {kind: trace, file: jobs.csv}
        """, file: "series.yaml", baseDirectory: directory.path)
    }

    private struct Run {
        var metrics: Metrics
        var nodes: String
        var vms: String
        var tables: RunTables
    }

    private func run(_ scenario: Scenario, every seconds: Double?, until: Double? = nil) -> Run {
        let nodes = LineBuffer()
        let vms = LineBuffer()
        var simulation = Simulation(scenario: scenario)
        if let seconds { simulation.series = RunSeries(intervalSeconds: seconds, nodes: nodes, vms: vms) }
        let metrics = simulation.run(untilSeconds: until)
        return Run(metrics: metrics, nodes: nodes.text, vms: vms.text, tables: RunTables(simulation))
    }

    func testTheSamplesFollowAKnownTrajectory() throws {
        let r = run(try knownScenario(), every: 50)
        XCTAssertEqual(r.metrics.applicationsCompleted, 1)
        // The last event is a stale address-wait timer at t=400: samples at 0, 50, …, 400.
        XCTAssertEqual(r.nodes, """
        \(RunSeries.nodeHeader)
        0.0,0,1,1,0,0,0,0,1,0,1,0
        50.0,0,1,1,1,0,1,0,0,0,1,0
        100.0,0,1,0,0,1,1,0,0,0,1,1
        150.0,0,1,0,0,1,1,0,0,1,1,1
        200.0,0,1,0,0,1,1,0,0,1,1,1
        250.0,0,1,0,0,1,1,0,0,1,1,1
        300.0,0,1,0,0,1,1,0,0,1,1,1
        350.0,0,1,1,1,0,1,0,0,0,1,0
        400.0,0,1,1,1,0,1,0,0,0,1,0

        """)
        XCTAssertEqual(r.vms, """
        \(RunSeries.vmHeader)
        0.0,0,0,off,free,,0,1,10.1.0.1
        50.0,0,0,running,free,,0,1,10.1.0.1
        100.0,0,0,running,app0,0,0,1,10.1.0.1
        150.0,0,0,running,app0,0,1,1,10.1.0.1
        200.0,0,0,running,app0,0,1,1,10.1.0.1
        250.0,0,0,running,app0,0,1,1,10.1.0.1
        300.0,0,0,running,app0,0,1,1,10.1.0.1
        350.0,0,0,running,free,,0,1,10.1.0.1
        400.0,0,0,running,free,,0,1,10.1.0.1

        """)
    }

    /// A sample at an event's instant comes after it: at t=101 the worker is reserved (t=100) but the object not
    /// launched (t=103); at t=303 the object has finished and its job is released, the recycle still holds the
    /// worker.
    func testASampleAtAnEventsInstantIncludesIt() throws {
        let r = run(try knownScenario(), every: 101)
        XCTAssertEqual(r.nodes.split(separator: "\n").dropFirst(), [
            "0.0,0,1,1,0,0,0,0,1,0,1,0",
            "101.0,0,1,0,0,1,1,0,0,0,1,1",
            "202.0,0,1,0,0,1,1,0,0,1,1,1",
            "303.0,0,1,0,0,1,1,0,0,0,1,0",
        ])
        XCTAssertEqual(r.vms.split(separator: "\n").last, "303.0,0,0,running,app0,0,0,1,10.1.0.1")
    }

    func testACutRunIsSampledUpToItsStop() throws {
        let r = run(try knownScenario(), every: 40, until: 130)
        XCTAssertEqual(r.nodes.split(separator: "\n").dropFirst(), [
            "0.0,0,1,1,0,0,0,0,1,0,1,0",
            "40.0,0,1,1,1,0,1,0,0,0,1,0",
            "80.0,0,1,1,1,0,1,0,0,0,1,0",
            "120.0,0,1,0,0,1,1,0,0,1,1,1",
        ])
        // A stop after the last event: the samples end with it (t=400), as the run does.
        let long = run(try knownScenario(), every: 40, until: 1000)
        XCTAssertEqual(long.nodes.split(separator: "\n").last, "400.0,0,1,1,1,0,1,0,0,0,1,0")
    }

    func testSamplingChangesNothingOfTheRunAndIsTheSameTwice() throws {
        let scenario = try ScenarioLoader.parse(text: DeterminismTests.scenarioText, file: "determinism.yaml")
        let plain = run(scenario, every: nil)
        let sampled = run(scenario, every: 300)
        let again = run(scenario, every: 300)
        XCTAssertEqual(sampled.metrics.digest, plain.metrics.digest)
        XCTAssertEqual(sampled.metrics.events, plain.metrics.events)
        XCTAssertEqual(sampled.metrics.simulatedSeconds, plain.metrics.simulatedSeconds)
        XCTAssertEqual(sampled.tables.applications, plain.tables.applications)
        XCTAssertEqual(sampled.tables.vms, plain.tables.vms)
        XCTAssertEqual(sampled.tables.nodes, plain.tables.nodes)
        XCTAssertEqual(sampled.nodes, again.nodes)
        XCTAssertEqual(sampled.vms, again.vms)
        // Six nodes per instant, one row per worker that exists at it.
        let samples = Int((plain.metrics.simulatedSeconds / 300).rounded(.down)) + 1
        XCTAssertEqual(sampled.nodes.split(separator: "\n").count, 1 + 6 * samples)
        XCTAssertGreaterThan(sampled.vms.split(separator: "\n").count, 6 * samples)
        // A cut run: the same.
        let cut = run(scenario, every: 120, until: 1200)
        XCTAssertEqual(cut.metrics.digest, run(scenario, every: nil, until: 1200).metrics.digest)
        XCTAssertEqual(cut.nodes.split(separator: "\n").count, 1 + 6 * 11)
    }

    func testEveryRowHasItsColumnsAndCountsAddUp() throws {
        let scenario = try ScenarioLoader.parse(text: DeterminismTests.scenarioText, file: "determinism.yaml")
        let r = run(scenario, every: 600)
        for line in r.nodes.split(separator: "\n").dropFirst() {
            let c = line.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) ?? -1 }
            XCTAssertEqual(c.count, 12, String(line))
            // workers = free + reserved + held by the cloner; power covers every worker.
            XCTAssertLessThanOrEqual(c[3] + c[5], c[2], String(line))
            XCTAssertLessThanOrEqual(c[4], c[3], String(line))
            XCTAssertEqual(c[6] + c[7] + c[8], c[2], String(line))
            XCTAssertLessThanOrEqual(c[10], c[2], String(line))
        }
        for line in r.vms.split(separator: "\n").dropFirst() {
            let c = line.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(c.count, 9, String(line))
            XCTAssertEqual(c[5].isEmpty, !c[4].hasPrefix("app"), String(line))
            XCTAssertEqual(c[8].isEmpty, c[7] == "0", String(line))
        }
    }

    /// The report's chart keeps the grid's sums at each instant: the node rows summed, thinned to every k-th.
    func testGridTotalsAreTheNodeRowsSummedAndThinningKeepsInstants() throws {
        let scenario = try ScenarioLoader.parse(text: DeterminismTests.scenarioText, file: "determinism.yaml")
        let nodes = LineBuffer()
        var simulation = Simulation(scenario: scenario)
        let series = RunSeries(intervalSeconds: 60, nodes: nodes, vms: nil, keepsGridTotals: true)
        simulation.series = series
        _ = simulation.run()
        let grid = try XCTUnwrap(series.gridTotals)
        var free: [Int] = [], objects: [Int] = [], leases: [Int] = []
        for line in nodes.text.split(separator: "\n").dropFirst() {
            let c = line.split(separator: ",").map { Double($0)! }
            let k = Int(c[0] / 60)
            if k == free.count { free.append(0); objects.append(0); leases.append(0) }
            free[k] += Int(c[3])
            objects[k] += Int(c[9])
            leases[k] += Int(c[10])
        }
        XCTAssertEqual(grid.freeWorkers, free)
        XCTAssertEqual(grid.objectsRunning, objects)
        XCTAssertEqual(grid.leases, leases)
        XCTAssertGreaterThan(objects.max() ?? 0, 0)
        let thin = grid.thinned(toAtMost: 10)
        XCTAssertLessThanOrEqual(thin.count, 10)
        let stride = Int(thin.intervalSeconds / 60)
        XCTAssertEqual(thin.freeWorkers, Swift.stride(from: 0, to: grid.count, by: stride).map { grid.freeWorkers[$0] })
        XCTAssertEqual(grid.thinned(toAtMost: grid.count), grid)
    }

    /// A `timeline.json` written before the grid totals existed still reads (no chart).
    func testInstantsOfAFractionalIntervalAreWrittenAsTheyAreMeant() {
        let series = RunSeries(intervalSeconds: 0.1, nodes: nil, vms: nil)
        XCTAssertEqual(series.instantSeconds(3), 0.3)
        XCTAssertEqual("\(series.instantSeconds(7))", "0.7")
        XCTAssertEqual(series.instantSeconds(36_000), 3600)
    }

    func testATimelineWithoutGridTotalsStillDecodes() throws {
        let old = #"{"cell":0,"rows":[],"runEndSeconds":10,"scenario":"q","seed":1,"truncated":false,"values":[],"vmCount":0,"windowEndSeconds":10}"#
        let timeline = try JSONDecoder().decode(VMTimeline.self, from: Data(old.utf8))
        XCTAssertNil(timeline.grid)
        XCTAssertEqual(SweepReport.gridChart(timeline), "")
    }
}
