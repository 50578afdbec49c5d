import Foundation
import Model
import Sim
import XCTest
@testable import Real

/// A worker's power changed behind the run's back: the driver hears it from libvirt's lifecycle events and tells
/// Model; the objects in a stopped worker die with it. On the test driver, whose in-memory host every connection
/// of the process shares: the driver opens its own connection, the test changes the worker through another.
final class PowerObservedTests: LibvirtTestCase {
    /// One node, one worker, one application of two long objects (an hour: 3.6 s of wall time), so the worker
    /// is destroyed while both run.
    static let scenarioText = """
        name: real-power
        seed: 1
        mode: virtual-secure
        fidelity: fixed
        platform: {nodes: 1, maxVMs: 1, initialWorkers: 1, topology: none}
        policies: {placement: discovery, recycle: revert, cloneAheadThreshold: 0}
        jobMgr: {execTimeout: 1h, reservationTimeout: 1h, errorPause: 60s, creationRounds: 1}
        workload: {kind: poisson, applications: 1, arrivalRate: 0.01, objects: 2, objectDuration: 1h, mainNode: 0}
        """
    static let timeScale = 0.001
    static let settleWallSeconds = 0.2
    static let worker = "node0_worker1"

    func testAWorkerDestroyedOutsideTheRunReachesModelAndItsObjectsFail() throws {
        let scenario = try ScenarioLoader.parse(text: Self.scenarioText, file: "power.yaml")
        cleanup.domain(Self.worker)
        cleanup.volume(TestDriverWorkers.volumeName(forDomain: Self.worker))
        let logs = LogLines()
        let runner = TimerObjectRunner()
        let options = RealRunOptions(timeScale: Self.timeScale, shutdownWaitWallSeconds: 0.2, log: logs.log,
                                     lifecycleSettleWallSeconds: Self.settleWallSeconds)
        // No connection given: the driver opens its own to test:///default.
        let trace = RealObservationTests.Lines()
        let driver = try RealDriver(scenario: scenario, options: options, runner: runner, traceSink: trace)
        let running = DispatchSemaphore(value: 0)
        let reports = Locked<[Report]>([])
        driver.onReport = { report in
            reports.withLock { $0.append(report) }
            if case .objectRunning = report { running.signal() }
        }
        let (thread, outcome, finished) = RunningDriver.start(driver)

        for _ in 0..<2 { XCTAssertEqual(running.wait(timeout: .now() + 5), .success, "both objects run") }
        // The test's connection sees the domain the driver's connection made: one host, shared.
        let domain = try connection.lookupDomain(name: Self.worker)
        XCTAssertEqual(try domain.state(), .running)
        Thread.sleep(forTimeInterval: Self.settleWallSeconds + 0.3)
        try domain.destroy()
        XCTAssertEqual(finished.wait(timeout: .now() + 20), .success, "the run ends after the worker died")
        _ = thread
        let result = try XCTUnwrap(outcome.withLock { $0 }).get()
        let context = "log: \(logs.all)\nreports: \(reports.withLock { $0 })"

        // Model heard of exactly one change, the one the test made; none of the driver's reverts counted.
        XCTAssertEqual(result.powerObservations.map(\.domain), [Self.worker], context)
        XCTAssertEqual(result.powerObservations.map(\.power), [.off], context)
        XCTAssertEqual(result.powerObservations.first?.previous, .running, context)
        XCTAssertEqual(result.powerObservations.first?.objectsKilled, 2, context)
        XCTAssertEqual(result.metrics.vmCrashes, 1, context)
        XCTAssertTrue(logs.all.contains("\(Self.worker) is off (was running): changed outside this run"), context)

        // Both objects died with it: stopped in the runner, and the application failed because of it.
        XCTAssertEqual(runner.killed, 2, context)
        XCTAssertEqual(result.metrics.applicationsFailed, 1, context)
        XCTAssertEqual(result.metrics.applicationsCompleted, 0, context)
        XCTAssertFalse(reports.withLock { $0 }.contains { if case .applicationFinished(_, true, _) = $0 { true } else { false } })

        // The run still ended cleanly: Model's recycling reverted the dead worker, which is running and free.
        XCTAssertEqual(result.outcome, .completed, context)
        let worker = try XCTUnwrap(result.workers.first)
        XCTAssertEqual(worker.modelRevertCalls, 2, "start-up and recycle: \(result.hypervisorCalls)")
        XCTAssertEqual(worker.lastOperation, "revert")
        XCTAssertTrue(worker.lastOperationSucceeded)
        XCTAssertTrue(worker.clean, "reverted after the application")
        XCTAssertTrue(worker.free)
        XCTAssertEqual(worker.objectsRunning, 0)
        XCTAssertEqual(worker.finalState, .running)
        XCTAssertEqual(result.domainsRemoved, [Self.worker])

        // The trace has the lifecycle event as Model got it, after both objects' failures; the checker, fed the
        // same, found nothing wrong: the objects stopped where they ran and the worker was reverted before reuse.
        let off = "\"kind\":\"vmPowerObserved\",\"power\":\"off\""
        let power = try XCTUnwrap(trace.lines.firstIndex { $0.contains(off) && $0.hasSuffix("\"vm\":0}") }, "\(trace.lines)")
        let failedObjects = trace.lines[..<power].filter { $0.contains("\"kind\":\"objectFinished\"") && $0.contains("\"ok\":false") }
        XCTAssertEqual(failedObjects.count, 2, "\(trace.lines)")
        XCTAssertEqual(result.metrics.violationCounts, [:], result.metrics.violations.map(\.description).joined())
    }

    func testTheDriversOwnOperationsAreNotPassedOn() {
        let watch = LifecycleWatch(settleWallSeconds: 0.05)
        watch.watch("w", as: VMID(3))
        XCTAssertNil(watch.classify(domainName: "w", event: .stopped), "inside the settle window after watching")
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(watch.classify(domainName: "w", event: .stopped)?.power, .off)
        XCTAssertEqual(watch.classify(domainName: "w", event: .stopped)?.vm, VMID(3))
        watch.callStarted(VMID(3))
        XCTAssertNil(watch.classify(domainName: "w", event: .started), "a call is in flight")
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertNil(watch.classify(domainName: "w", event: .started), "still in flight however long it takes")
        watch.callFinished(VMID(3))
        XCTAssertNil(watch.classify(domainName: "w", event: .started), "its events may arrive after it returned")
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(watch.classify(domainName: "w", event: .resumed)?.power, .running)
        XCTAssertEqual(watch.classify(domainName: "w", event: .pmSuspended)?.power, .suspended)
        XCTAssertNil(watch.classify(domainName: "w", event: .defined), "no power change")
        XCTAssertNil(watch.classify(domainName: "other", event: .stopped), "not a worker of the run")
        watch.close()
        XCTAssertNil(watch.classify(domainName: "w", event: .stopped), "closed: the run is ending")
    }
}
