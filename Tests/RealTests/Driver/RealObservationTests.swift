import Foundation
import Model
import Sim
import XCTest
@testable import Real

/// A real run records the simulator's trace and runs the simulator's invariant checker on what it observes
/// (`RunObservation`), on libvirt's test driver.
final class RealObservationTests: LibvirtTestCase {
    /// Collects the trace's JSON lines.
    final class Lines: TraceSink {
        var lines: [String] = []
        func write(line: String) { lines.append(line) }
    }

    func testARealRunRecordsEveryEventModelGetsAndHoldsEveryInvariant() throws {
        let scenario = try scenario(RealDriverTests.small)
        registerWorkers(of: scenario)
        let logs = LogLines()
        let lines = Lines()
        let activity = ActivityRecorder()
        let driver = try RealDriver(scenario: scenario, options: options(logs), connection: connection,
                                    traceSink: TraceFanOut([lines, activity]))
        let result = try driver.run()

        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"))
        XCTAssertEqual(result.metrics.violationCounts, [:], result.metrics.violations.map(\.description).joined())
        XCTAssertEqual(result.metrics.digest.count, 64)
        XCTAssertTrue(result.metrics.digest.allSatisfy(\.isHexDigit))

        // The header, one line per arrival, and one per event Model handled (the grid's start is no event).
        XCTAssertTrue(lines.lines.first?.contains("\"scenario\":\"real-small\",\"schema\":\"visag-trace\",\"seed\":5,") == true)
        let arrivals = lines.lines.filter { $0.contains("\"kind\":\"arrival\"") }
        XCTAssertEqual(arrivals.count, 4)
        XCTAssertEqual(UInt64(lines.lines.count - 1 - arrivals.count) + 1, result.metrics.events)
        XCTAssertTrue(lines.lines.contains { $0.contains("\"kind\":\"keyWritten\"") })
        XCTAssertEqual(activity.eventCount, lines.lines.count - 1)

        // The Perfetto replay rebuilds the run from it: every object ran, on a worker's track.
        let replayed = ActivityReplay.replay(activity, scenario: scenario, applications: result.applications,
                                             endSeconds: result.metrics.simulatedSeconds)
        let objects = replayed.slices.filter { $0.operation == .object }
        XCTAssertEqual(objects.count, 8)
        XCTAssertTrue(objects.allSatisfy { $0.vm != nil && $0.outcome == .succeeded })

        // --out's tables: every application completed, every worker free and running (reverted) at the end.
        let tables = result.tables
        let apps = tables.applications.split(separator: "\n").dropFirst()
        XCTAssertEqual(apps.count, 4)
        XCTAssertTrue(apps.allSatisfy { $0.hasSuffix(",completed,") }, tables.applications)
        let vms = tables.vms.split(separator: "\n").dropFirst()
        XCTAssertEqual(vms.count, 4)
        XCTAssertTrue(vms.allSatisfy { $0.contains(",free,running,") }, tables.vms)
        XCTAssertTrue(vms.contains { Double($0.split(separator: ",")[6])! > 0 }, "some worker was reserved: \(tables.vms)")
    }

    /// Each guest answers an address read with the next worker's address (a stale lease): Model launches every
    /// object at it, so the object runs in a worker Model did not reserve for it. The checker reports it as it
    /// does in the simulator (a misdirected launch), with the events that led there.
    func testAnObjectThatRunsInAnotherWorkerIsAnIsolationViolation() throws {
        let scenario = try scenario("""
            name: real-misdirected
            seed: 4
            mode: virtual-secure
            fidelity: fixed
            platform: {nodes: 1, maxVMs: 2, initialWorkers: 2, topology: none}
            policies: {placement: discovery, recycle: revert, cloneAheadThreshold: 0}
            jobMgr: {execTimeout: 1h, reservationTimeout: 1h}
            workload: {kind: poisson, applications: 2, arrivalRate: 0.01, objects: 1, objectDuration: 2m, mainNode: 0}
            """)
        registerWorkers(of: scenario)
        let logs = LogLines()
        let driver = try RealDriver(scenario: scenario, options: options(logs), connection: connection,
                                    guestChannel: NextWorkersAddress(workersPerNode: 2))
        let result = try driver.run()

        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(result.metrics.violationCounts[.isolation] ?? 0, 1)
        XCTAssertEqual(result.metrics.misdirectedLaunches, 2, "both objects")
        let violation = try XCTUnwrap(result.metrics.violations.first { $0.invariant == .isolation })
        XCTAssertTrue(violation.detail.contains("(launched at a stale address meant for vm"), violation.detail)
        XCTAssertTrue(violation.description.contains("\n  last events:\n    "), violation.description)
        XCTAssertTrue(violation.recentEvents.contains { $0.contains(" launched") || $0.contains("execute") },
                      "\(violation.recentEvents)")
        // The summary reports it as a simulated run's does.
        let table = RunSummary(scenario: scenario, metrics: result.metrics).table()
        XCTAssertTrue(table.contains("invariants                 isolation "), table)
        XCTAssertTrue(table.contains("first violations           isolation at "), table)
    }

    /// A key write answers with the keys the guest holds afterwards (what the checker is told): an append that went
    /// nowhere is not among them, and a revert takes the others away.
    func testAKeyWriteAnswersWithTheKeysTheGuestHolds() throws {
        let channel = SimulatedGuestChannel()
        let guest = GuestTarget(vm: VMID(0), node: NodeID(0), ordinal: 1, domainName: "node0_worker1")
        let installs = KeyWrite(kind: .mainNode(AppID(0)), app: AppID(0))
        var dropped = KeyWrite(kind: .requester(ObjectID(0)), app: AppID(0))
        dropped.installs = false
        XCTAssertEqual(try channel.writeKey(GuestKeyWrite(write: installs, publicKey: "ssh-ed25519 AAAA app0"), to: guest),
                       [installs])
        XCTAssertEqual(try channel.writeKey(GuestKeyWrite(write: dropped, publicKey: "ssh-ed25519 BBBB app0"), to: guest),
                       [installs], "an append without a shell lands nowhere")
        channel.hypervisorDidReset(guest, .reverted)
        XCTAssertEqual(try channel.writeKey(GuestKeyWrite(write: installs, publicKey: "ssh-ed25519 AAAA app0"), to: guest),
                       [installs], "the revert took the first line away")
    }

    func options(_ logs: LogLines) -> RealRunOptions {
        RealRunOptions(timeScale: RealDriverTests.timeScale, shutdownWaitWallSeconds: 0.2, log: logs.log)
    }
}

/// The in-process guests, except that each answers an address read with the next worker's address on its node.
final class NextWorkersAddress: GuestChannel, @unchecked Sendable {
    let guests = SimulatedGuestChannel()
    let workersPerNode: Int32

    init(workersPerNode: Int32) { self.workersPerNode = workersPerNode }

    func obtainAddress(of guest: GuestTarget, renewal: DHCPRenewal) throws -> GuestAddress? {
        let next = GuestTarget(vm: guest.vm, node: guest.node, ordinal: guest.ordinal % workersPerNode + 1,
                               domainName: guest.domainName)
        return SimulatedGuestChannel.address(of: next)
    }

    func fetchVMKey(of guest: GuestTarget) throws -> String { try guests.fetchVMKey(of: guest) }
    func writeKey(_ key: GuestKeyWrite, to guest: GuestTarget) throws -> [KeyWrite] { try guests.writeKey(key, to: guest) }
    func hypervisorDidReset(_ guest: GuestTarget, _ reset: GuestReset) { guests.hypervisorDidReset(guest, reset) }
}
