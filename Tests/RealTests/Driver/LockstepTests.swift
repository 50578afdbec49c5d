import Foundation
import Model
import Sim
import XCTest
@testable import Real

/// Same latencies, same decisions: a scenario run by the simulator and by the real driver in lockstep on libvirt's
/// test driver writes the same decision log, byte for byte, and records the same trace (equal digests).
final class LockstepTests: LibvirtTestCase {
    /// Wall seconds per model second: each scenario below lasts about 4,000 model seconds (2 s of wall time).
    static let lockstepScale = 0.0005

    /// Discovery across two nodes, workers reverted after each application, addresses read without renewal.
    func testDiscoveryAndRevertMakeTheSameDecisionsAsTheSimulator() throws {
        try assertSameDecisions(RealDriverTests.small)
    }

    /// Cloning ahead on one node (a clone's address renewed through DHCP before it is used).
    func testCloningWithDHCPRenewalMakesTheSameDecisionsAsTheSimulator() throws {
        let lines = try assertSameDecisions(RealDriverTests.cloning, overrides: ["policies.dhcpRenewal=renew"])
        XCTAssertTrue(lines.contains { $0.contains(" hypervisor vm=1 op=clone:2 ") }, "the run clones")
        XCTAssertTrue(lines.contains { $0.contains(" define vm=2 node=0 ordinal=3") })
        XCTAssertTrue(lines.contains { $0.contains(" address ") && $0.contains("renewal=renew") })
    }

    /// Workers suspended at application end and resumed for the next, addresses refreshed by a reverse ping.
    func testSuspendRecyclingWithReversePingMakesTheSameDecisionsAsTheSimulator() throws {
        let lines = try assertSameDecisions(Self.recycling)
        XCTAssertTrue(lines.contains { $0.contains("op=suspend") })
        XCTAssertTrue(lines.contains { $0.contains("op=revert") && !$0.hasPrefix("0.0 ") }, "a suspended worker is reverted")
        XCTAssertTrue(lines.contains { $0.contains("renewal=reverse-ping") })
    }

    static let recycling = """
        name: lockstep-recycle
        seed: 3
        mode: virtual-secure
        fidelity: fixed
        platform: {nodes: 2, maxVMs: 2, initialWorkers: 2, topology: full}
        dhcp: {lease: 10h}
        policies: {placement: discovery, recycle: suspend, dhcpRenewal: reverse-ping, cloneAheadThreshold: 0}
        jobMgr: {execTimeout: 1h, reservationTimeout: 1h}
        workload: {kind: poisson, applications: 5, arrivalRate: 0.004, objects: 2, objectDuration: 3m, mainNode: random}
        """

    /// Runs `text` in the simulator and in lockstep on the test driver; asserts equal logs and digests and returns
    /// the log's lines.
    @discardableResult
    func assertSameDecisions(_ text: String, overrides: [String] = [],
                             file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let scenario = try scenario(text, overrides: overrides)
        XCTAssertEqual(LockstepSchedule.problems(of: scenario), [], file: file, line: line)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-\(getpid())-\(scenario.name)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let simPath = folder.appendingPathComponent("sim.log").path
        let simLog = try DecisionLog(path: simPath)
        var simulation = Simulation(scenario: scenario)
        simulation.decisions = simLog
        let simMetrics = simulation.run()
        try simLog.commit()

        registerWorkers(of: scenario)
        let logs = LogLines()
        var options = RealRunOptions(timeScale: Self.lockstepScale, shutdownWaitWallSeconds: 0.2, log: logs.log)
        options.lockstep = true
        let realPath = folder.appendingPathComponent("real.log").path
        let realLog = try DecisionLog(path: realPath)
        let result = try RealDriver(scenario: scenario, options: options, connection: connection, decisions: realLog).run()
        try realLog.commit()

        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"), file: file, line: line)
        let simText = try String(contentsOfFile: simPath, encoding: .utf8)
        let realText = try String(contentsOfFile: realPath, encoding: .utf8)
        let simLines = simText.split(separator: "\n").map(String.init)
        let realLines = realText.split(separator: "\n").map(String.init)
        if let first = zip(simLines, realLines).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
            XCTFail("line \(first.offset + 1): sim \"\(first.element.0)\", real \"\(first.element.1)\"", file: file, line: line)
        }
        XCTAssertEqual(simLines.count, realLines.count, file: file, line: line)
        XCTAssertGreaterThan(simLines.count, 50, file: file, line: line)
        XCTAssertEqual(simMetrics.decisionDigest, result.metrics.decisionDigest, file: file, line: line)
        // The same trace too: every event Model got, at the same model time, recorded by the same recorder.
        XCTAssertEqual(simMetrics.digest, result.metrics.digest, "trace digest", file: file, line: line)
        XCTAssertEqual(result.metrics.violationCounts, simMetrics.violationCounts, file: file, line: line)
        XCTAssertEqual(result.metrics.applicationsCompleted, simMetrics.applicationsCompleted, file: file, line: line)
        XCTAssertEqual(result.metrics.applicationsSubmitted, simMetrics.applicationsSubmitted, file: file, line: line)
        return simLines
    }

    /// `--sample-every` on both backends is one writer fed two worlds: in lockstep Model's state is the same at
    /// every instant, so the series agree row for row, but for what only the simulated world knows (DHCP leases:
    /// empty on the real side) and the power before the first event (the test driver's domains start running).
    func testTheSeriesAreTheSimulatorsButForTheWorldsOwnColumns() throws {
        let scenario = try scenario(Self.recycling)
        let sim = (nodes: LineBuffer(), vms: LineBuffer())
        var simulation = Simulation(scenario: scenario)
        simulation.series = RunSeries(intervalSeconds: 90, nodes: sim.nodes, vms: sim.vms)
        _ = simulation.run()

        registerWorkers(of: scenario)
        let logs = LogLines()
        var options = RealRunOptions(timeScale: Self.lockstepScale, shutdownWaitWallSeconds: 0.2, log: logs.log)
        options.lockstep = true
        let real = (nodes: LineBuffer(), vms: LineBuffer())
        let result = try RealDriver(scenario: scenario, options: options, connection: connection,
                                    series: RunSeries(intervalSeconds: 90, nodes: real.nodes, vms: real.vms)).run()
        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"))

        /// Rows after t=0 without the lease columns (`leases` of a node; `lease`, `address` of a VM).
        func comparable(_ csv: String, keeping columns: Int, dropping dropped: Int?) -> [String] {
            csv.split(separator: "\n").dropFirst().filter { !$0.hasPrefix("0.0,") }.map { line in
                var cells = line.split(separator: ",", omittingEmptySubsequences: false).prefix(columns).map(String.init)
                if let dropped { cells.remove(at: dropped) }
                return cells.joined(separator: ",")
            }
        }
        let simNodes = comparable(sim.nodes.text, keeping: 12, dropping: 10)
        XCTAssertGreaterThan(simNodes.count, 2 * 20)
        XCTAssertEqual(comparable(real.nodes.text, keeping: 12, dropping: 10), simNodes)
        XCTAssertEqual(comparable(real.vms.text, keeping: 7, dropping: nil), comparable(sim.vms.text, keeping: 7, dropping: nil))
        XCTAssertTrue(simNodes.contains { $0.split(separator: ",")[5] != "0" }, "some worker is reserved at a sample")
        XCTAssertTrue(real.vms.text.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix(",,") })
    }

    // MARK: What lockstep refuses

    func testScenariosTheSimulatedWorldWouldAnswerDifferentlyAreRefusedBeforeAnythingRuns() throws {
        var options = RealRunOptions(timeScale: Self.lockstepScale)
        options.lockstep = true
        let faulty = try scenario(RealDriverTests.small + "\nfaults: {revertFailure: 0.1}")
        XCTAssertThrowsError(try RealDriver(scenario: faulty, options: options, connection: connection)) { error in
            guard case .badInput(let message) = error as? RealRunError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("cannot run in lockstep") && message.contains("faults"), message)
        }
        let staleClone = try scenario(RealDriverTests.cloning)
        XCTAssertTrue(LockstepSchedule.problems(of: staleClone).contains { $0.hasPrefix("policies.dhcpRenewal") })
        let keys = try scenario(RealDriverTests.small.replacingOccurrences(
            of: "fidelity: fixed", with: "fidelity: {base: fixed, guestKeyAppendWithoutShell: true}"))
        XCTAssertTrue(LockstepSchedule.problems(of: keys).contains { $0.contains("guestKeyAppendWithoutShell") })
    }

    /// A suspended worker off for longer than its lease: the simulator's DHCP server would take its address back,
    /// which the in-process guests do not follow, so the run stops there rather than compare what it cannot.
    func testALeaseThatWouldLapseStopsTheRunAsRefused() throws {
        let scenario = try scenario(Self.recycling, overrides: ["dhcp.lease=5m"])
        registerWorkers(of: scenario)
        let logs = LogLines()
        var options = RealRunOptions(timeScale: Self.lockstepScale, shutdownWaitWallSeconds: 0.2, log: logs.log)
        options.lockstep = true
        let result = try RealDriver(scenario: scenario, options: options, connection: connection).run()
        guard case .refused(let reason) = result.outcome else { return XCTFail("\(result.outcome)") }
        XCTAssertTrue(reason.contains("has been off for dhcp.lease (300.0 s)"), reason)
        XCTAssertTrue(result.workers.allSatisfy(\.free), "every touched worker reverted")
    }
}
