import Foundation
import Model
import Sim
import XCTest
@testable import Real

/// Lines the driver logs, collected for assertions.
final class LogLines: Sendable {
    private let lines = Locked<[String]>([])
    var log: DriverLog { DriverLog { [lines] line in lines.withLock { $0.append(line) } } }
    var all: [String] { lines.withLock { $0 } }
}

/// The driver end to end on libvirt's test driver. Workers are the fixed names `node<i>_worker<k>`: each test
/// registers them for removal, and the test driver's in-memory host is shared by every open connection.
final class RealDriverTests: LibvirtTestCase {
    /// 2 nodes × 2 workers, 4 applications of 2 objects, virtual-secure, fixed fidelity. Model's start and
    /// reservation timeouts are an hour so that a loaded test machine (at this time scale 60 s of model time is
    /// 120 ms of wall time) cannot turn the run into a different one.
    static let small = """
        name: real-small
        seed: 5
        mode: virtual-secure
        fidelity: fixed
        platform: {nodes: 2, maxVMs: 2, initialWorkers: 2, topology: full}
        policies: {placement: discovery, recycle: revert, cloneAheadThreshold: 0}
        jobMgr: {execTimeout: 1h, reservationTimeout: 1h}
        workload: {kind: poisson, applications: 4, arrivalRate: 0.01, objects: 2, objectDuration: 2m, mainNode: random}
        """

    /// One node with room for a third worker: the first reservation leaves one free VM, fewer than ADVANCE_VM.
    static let cloning = """
        name: real-clone
        seed: 2
        mode: virtual-secure
        fidelity: fixed
        platform: {nodes: 1, maxVMs: 3, initialWorkers: 2, topology: none}
        policies: {placement: discovery, recycle: revert, cloneAheadThreshold: 2}
        jobMgr: {execTimeout: 1h, reservationTimeout: 1h}
        workload: {kind: poisson, applications: 3, arrivalRate: 0.005, objects: 1, objectDuration: 5m, mainNode: 0}
        """

    static let timeScale = 0.002


    func options(_ logs: LogLines, keep: Bool = false) -> RealRunOptions {
        RealRunOptions(timeScale: Self.timeScale, shutdownWaitWallSeconds: 0.2, keepCreatedDomains: keep, log: logs.log)
    }

    // MARK: A whole run

    func testASmallScenarioRunsToCompletionAndRecyclesEveryWorker() throws {
        let scenario = try scenario(Self.small)
        registerWorkers(of: scenario)
        let logs = LogLines()
        let guest = SimulatedGuestChannel()
        let driver = try RealDriver(scenario: scenario, options: options(logs), connection: connection, guestChannel: guest)
        let result = try driver.run()

        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"))
        XCTAssertEqual(result.metrics.applicationsSubmitted, 4)
        XCTAssertEqual(result.metrics.applicationsCompleted, 4, "\(result.metrics.failureReasons)")
        XCTAssertEqual(result.metrics.creationLatencyReady.count + result.metrics.creationLatencyPrepared.count, 8)
        XCTAssertEqual(result.workers.map(\.domain), ["node0_worker1", "node0_worker2", "node1_worker1", "node1_worker2"])
        XCTAssertTrue(logs.all.isEmpty, "no errors: \(logs.all)")
        XCTAssertEqual(result.powerObservations, [], "every power change was the run's own")

        var revertsPerDomain: [String: Int] = [:]
        for call in result.hypervisorCalls where call.operation == "revert" { revertsPerDomain[call.domain, default: 0] += 1 }
        let served = result.workers.filter { !$0.applicationsServed.isEmpty }
        XCTAssertFalse(served.isEmpty)
        for worker in result.workers {
            XCTAssertEqual(revertsPerDomain[worker.domain] ?? 0, worker.revertCalls, worker.domain)
            XCTAssertEqual(worker.objectsRunning, 0, worker.domain)
            XCTAssertTrue(worker.free, "\(worker.domain) is free at the end (holder \(String(describing: worker.holder)))")
            XCTAssertEqual(worker.holder, .free, worker.domain)
        }
        for worker in served {
            // Model reverts every worker at start-up and again after each application it served.
            XCTAssertGreaterThanOrEqual(worker.modelRevertCalls, 1 + worker.applicationsServed.count, worker.domain)
            XCTAssertEqual(worker.lastOperation, "revert", worker.domain)
            XCTAssertTrue(worker.lastOperationSucceeded, worker.domain)
            XCTAssertTrue(worker.clean, "\(worker.domain) was reverted after its last application")
            XCTAssertEqual(worker.finalState, .running, "the clean snapshot was taken running")
            XCTAssertEqual(guest.authorizedKeys(of: worker.vm), [], "the revert took the application's keys away")
        }

        // Key writes went only to VMs Model held for the key's application, each restricted to popcobjrun.
        XCTAssertEqual(result.keyWrites.count, result.metrics.keyWrites)
        XCTAssertEqual(guest.keyWrites.count, result.keyWrites.count)
        XCTAssertGreaterThan(result.keyWrites.count, 0)
        for record in result.keyWrites {
            let app = try XCTUnwrap(record.key.write.app)
            XCTAssertEqual(record.holder, .application(app), "\(record.domain) got a key of \(app)")
            XCTAssertTrue(record.key.authorizedKeysLine.contains("command=\"popcobjrun\""))
            XCTAssertTrue(record.key.authorizedKeysLine.hasSuffix(" app\(app.index)"))
        }
        for entry in guest.keyWrites {
            XCTAssertTrue(entry.line.hasPrefix("command=\"popcobjrun\""), entry.line)
            XCTAssertEqual(entry.line, entry.key.write.restrictions.authorizedKeysLine(for: entry.key.publicKey))
            XCTAssertNotNil(KeyIdentity.owner(ofKeyLine: entry.line))
        }

        // The run made its workers and removed them again.
        XCTAssertEqual(result.domainsCreated.sorted(), result.workers.map(\.domain))
        XCTAssertEqual(result.domainsRemoved.sorted(), result.domainsCreated.sorted())
        for worker in result.workers {
            XCTAssertThrowsError(try connection.lookupDomain(name: worker.domain))
        }
    }

    func testACloneAheadCreatesTheNextWorkerWithItsOwnCleanSnapshot() throws {
        let scenario = try scenario(Self.cloning)
        registerWorkers(of: scenario)
        let logs = LogLines()
        let driver = try RealDriver(scenario: scenario, options: options(logs, keep: true), connection: connection)
        let result = try driver.run()

        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"))
        XCTAssertEqual(result.metrics.applicationsCompleted, 3)
        XCTAssertGreaterThanOrEqual(result.metrics.clonesStarted, 1)
        XCTAssertEqual(result.metrics.clonesFailed, 0, logs.all.joined(separator: "\n"))
        let clone = try XCTUnwrap(result.workers.first { $0.domain == "node0_worker3" })
        XCTAssertEqual(clone.vm, VMID(2))
        XCTAssertTrue(clone.createdByRun)
        XCTAssertEqual(clone.snapshots, [WorkerNaming.cleanSnapshot])
        XCTAssertTrue(result.hypervisorCalls.contains { $0.operation == "clone" && $0.domain == "node0_worker2" && $0.succeeded })

        let domain = try connection.lookupDomain(name: "node0_worker3")
        XCTAssertEqual(try domain.snapshotNames(), [WorkerNaming.cleanSnapshot])
        let disks = try DomainXML(xml: domain.xml()).disks
        XCTAssertEqual(disks.map(\.source), [.volume(pool: TestDriverWorkers.poolName, volume: "node0_worker3.img")],
                       "the clone has its own disk")
        try domain.revert(toSnapshot: WorkerNaming.cleanSnapshot)
        XCTAssertEqual(try domain.state(), .running, "its clean snapshot was taken running")
    }

    // MARK: Failures

    func testAFailingRevertIsLoggedAndReportedToModel() throws {
        let scenario = try scenario(Self.small)
        registerWorkers(of: scenario)
        for node in 0..<2 {
            for ordinal: Int32 in 1...2 {
                _ = try TestDriverWorkers.create(named: WorkerNaming.domainName(node: NodeID(node), ordinal: ordinal),
                                                 in: connection)
            }
        }
        try connection.lookupDomain(name: "node0_worker1").deleteSnapshot(name: WorkerNaming.cleanSnapshot)
        let logs = LogLines()
        let clock = ContinuousClock()
        let started = clock.now
        let result = try RealDriver(scenario: scenario, options: options(logs), connection: connection).run()

        XCTAssertLessThan(started.duration(to: clock.now), .seconds(10))
        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"))
        XCTAssertEqual(result.metrics.applicationsCompleted + result.metrics.applicationsFailed, 4)
        // Model decides: an application whose objects land on the broken worker fails its preparation in every
        // round; the others complete.
        XCTAssertEqual(Set(result.metrics.failureReasons.keys).subtracting(["prepareFailed"]), [])
        XCTAssertEqual(result.workers.first { $0.domain == "node0_worker1" }?.applicationsServed, [])
        let failures = result.hypervisorCalls.filter { !$0.succeeded }
        XCTAssertFalse(failures.isEmpty)
        XCTAssertTrue(failures.allSatisfy { $0.domain == "node0_worker1" && $0.operation == "revert" && $0.origin == .model })
        let lines = logs.all.filter { $0.contains("node0_worker1") && $0.contains("revert to snapshot") }
        XCTAssertEqual(lines.count, failures.count, logs.all.joined(separator: "\n"))
        XCTAssertTrue(lines.allSatisfy { !$0.contains("\n") && $0.contains("failed") })
        // Workers it did not make are left defined.
        XCTAssertTrue(result.domainsCreated.isEmpty)
        XCTAssertNoThrow(try connection.lookupDomain(name: "node0_worker1"))
    }

    func testAMissingWorkerIsReportedNotMadeOutsideTheTestDriver() throws {
        let scenario = try scenario(Self.small)
        registerWorkers(of: scenario)
        _ = try TestDriverWorkers.create(named: "node0_worker1", in: connection)
        XCTAssertThrowsError(try WorkerInventory.open(plane: ControlPlane(config: scenario.grid), connection: connection,
                                                      createMissing: false, log: .silent)) { error in
            guard case RealRunError.workers(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix("worker VM node0_worker2 does not exist on test:///default"), message)
        }
        XCTAssertThrowsError(try connection.lookupDomain(name: "node0_worker2"), "nothing was made")
        XCTAssertFalse(TestDriverWorkers.isTestDriver(uri: "qemu:///system"))
    }

    func testBadOptionsAreRejectedBeforeAnythingRuns() throws {
        let scenario = try scenario(Self.small)
        for bad in [0.0, -1, .nan, .infinity] {
            XCTAssertThrowsError(try RealDriver(scenario: scenario, options: RealRunOptions(timeScale: bad))) { error in
                guard case RealRunError.badInput(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains("time scale"), message)
            }
        }
    }

    func testLosingTheConnectionEndsTheRunAsAFailure() throws {
        let scenario = try scenario(Self.small)
        registerWorkers(of: scenario)
        let logs = LogLines()
        let driver = try RealDriver(scenario: scenario, options: options(logs), connection: connection)
        let connection = self.connection!
        driver.onReport = { report in
            // The next hypervisor call (the first application's recycle) finds the connection gone.
            if case .objectRunning = report { connection.close() }
        }
        let result = try driver.run()
        XCTAssertEqual(result.outcome, .failed("lost the connection to test:///default"))
        XCTAssertTrue(logs.all.contains { $0.contains("is closed") }, "\(logs.all)")
        XCTAssertTrue(logs.all.contains { $0.hasPrefix("run failed (lost the connection") }, "\(logs.all)")
    }

    // MARK: Stopping

    func testStoppingMidwayRevertsEveryTouchedWorkerAndLeavesItFree() throws {
        let scenario = try scenario(Self.small, overrides: ["workload.objectDuration=1h", "workload.applications=4"])
        registerWorkers(of: scenario)
        let logs = LogLines()
        let driver = try RealDriver(scenario: scenario, options: options(logs, keep: true), connection: connection)
        let running = DispatchSemaphore(value: 0)
        driver.onReport = { report in
            if case .objectRunning = report { running.signal() }
        }
        let (_, outcome, finished) = RunningDriver.start(driver)
        XCTAssertEqual(running.wait(timeout: .now() + 5), .success, "an object runs")
        driver.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success, "the run returns after a stop")
        let result = try XCTUnwrap(outcome.withLock { $0 }).get()

        XCTAssertEqual(result.outcome, .stopped("test"))
        XCTAssertLessThan(result.metrics.applicationsCompleted, 4, "it stopped midway")
        let touched = result.workers.filter(\.touched)
        XCTAssertFalse(touched.isEmpty)
        XCTAssertTrue(result.workers.contains { !$0.applicationsServed.isEmpty })
        for worker in touched {
            XCTAssertEqual(worker.cleanupReverts, 1, worker.domain)
            XCTAssertEqual(worker.lastOperation, "revert", worker.domain)
            XCTAssertTrue(worker.lastOperationSucceeded, worker.domain)
            XCTAssertTrue(worker.clean, worker.domain)
            XCTAssertTrue(worker.free, worker.domain)
            XCTAssertEqual(worker.objectsRunning, 0, worker.domain)
            XCTAssertEqual(try connection.lookupDomain(name: worker.domain).state(), .running, worker.domain)
        }
        XCTAssertTrue(logs.all.contains { $0.hasPrefix("stopping (test)") }, "\(logs.all)")
    }

    func testAStopBeforeTheRunStartsTouchesNothing() throws {
        let scenario = try scenario(Self.small)
        registerWorkers(of: scenario)
        let driver = try RealDriver(scenario: scenario, options: options(LogLines()), connection: connection)
        driver.stop(reason: "early")
        let result = try driver.run()
        XCTAssertEqual(result.outcome, .stopped("early"))
        XCTAssertEqual(result.metrics.applicationsSubmitted, 0)
        XCTAssertTrue(result.workers.allSatisfy { !$0.touched && $0.free })
        XCTAssertEqual(result.domainsRemoved.count, 4)
    }

    // MARK: Start-up

    func testWorkersFoundAfterACrashAreRevertedBeforeUse() throws {
        // The scenario knows one worker per node; an earlier run left node0_worker2 behind, suspended.
        let scenario = try scenario(Self.small, overrides: ["platform.initialWorkers=1", "workload.applications=1"])
        registerWorkers(of: scenario)
        let leftover = try TestDriverWorkers.create(named: "node0_worker2", in: connection)
        try leftover.suspend()
        let logs = LogLines()
        let result = try RealDriver(scenario: scenario, options: options(logs), connection: connection).run()
        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"))
        XCTAssertEqual(result.workers.map(\.domain), ["node0_worker1", "node1_worker1"])
        XCTAssertTrue(result.hypervisorCalls.contains {
            $0.domain == "node0_worker2" && $0.origin == .recovery && $0.operation == "revert" && $0.succeeded
        })
        XCTAssertEqual(try leftover.state(), .running)
        XCTAssertTrue(logs.all.contains { $0.contains("node0_worker2") && $0.contains("not used") }, "\(logs.all)")
    }
}
