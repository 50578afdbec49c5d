import Foundation
import Model
import Sim
import XCTest
@testable import Real

/// `policies.wake` on libvirt's test driver: the idle timeout suspends the worker after its start-up revert; under
/// `reuseClean` the application that comes later resumes it (virDomainResume) instead of reverting it, and Prepare
/// VM goes on as after a revert.
final class WakeRealTests: LibvirtTestCase {
    static let timeScale = 0.002
    static let worker = "node0_worker1"

    /// One node, one worker suspended 60 s after the start-up revert; one application of one object at 600 s.
    func scenario(wake: WakePolicy, trace: String) throws -> Scenario {
        try ScenarioLoader.parse(text: """
            name: real-wake
            seed: 1
            mode: virtual-secure
            fidelity: fixed
            platform: {nodes: 1, maxVMs: 1, initialWorkers: 1, topology: none}
            policies: {placement: discovery, recycle: revert, cloneAheadThreshold: 0, idleTimeout: 60s,
                       idleAction: suspend, wake: \(wake.rawValue)}
            jobMgr: {execTimeout: 1h, reservationTimeout: 1h}
            workload: {kind: trace, file: \(trace), mainNode: 0}
            """, file: "real-wake.yaml")
    }

    /// The scenario with its one-job trace (read while parsing, so the file goes right after).
    func scenario(wake: WakePolicy) throws -> Scenario {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("visag-wake"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("jobs.csv").path
        try "id,arrival_s,compute_s\n0,600,30\n".write(toFile: path, atomically: true, encoding: .utf8)
        return try scenario(wake: wake, trace: path)
    }

    func run(_ wake: WakePolicy) throws -> (RealRunResult, SimulatedGuestChannel, LogLines) {
        let scenario = try scenario(wake: wake)
        cleanup.domain(Self.worker)
        cleanup.volume(TestDriverWorkers.volumeName(forDomain: Self.worker))
        let logs = LogLines()
        let guest = SimulatedGuestChannel()
        let options = RealRunOptions(timeScale: Self.timeScale, shutdownWaitWallSeconds: 0.2, log: logs.log)
        let driver = try RealDriver(scenario: scenario, options: options, connection: connection, guestChannel: guest)
        return (try driver.run(), guest, logs)
    }

    func testACleanSuspendedWorkerIsResumedUnderReuseClean() throws {
        let (result, guest, logs) = try run(.reuseClean)
        let context = "log: \(logs.all)\ncalls: \(result.hypervisorCalls.map { "\($0.operation) \($0.origin)" })"
        XCTAssertEqual(result.outcome, .completed, context)
        XCTAssertEqual(result.metrics.applicationsCompleted, 1, context)
        XCTAssertTrue(logs.all.isEmpty, context)
        XCTAssertEqual(result.powerObservations, [], "every power change was the run's own")

        // Start-up revert, idle suspend, the preparation's resume, the recycle's revert.
        let modelCalls = result.hypervisorCalls.filter { $0.origin == .model }
        XCTAssertEqual(modelCalls.map(\.operation), ["revert", "suspend", "resume", "revert"], context)
        XCTAssertTrue(modelCalls.allSatisfy { $0.succeeded && $0.domain == Self.worker }, context)
        XCTAssertEqual(result.metrics.prepareResume.count, 1)
        XCTAssertEqual(result.metrics.prepareRevert.count, 0, "no revert for the application")
        XCTAssertEqual(result.metrics.creationLatencyPrepared.count, 1)

        // Prepare VM went on as after a revert, but it did not revert: only the requester's key, then the launch.
        let app = AppID(0)
        XCTAssertEqual(guest.keyWrites.map(\.key.write), [KeyWrite(kind: .requester(ObjectID(0)), app: app)])
        let worker = try XCTUnwrap(result.workers.first)
        XCTAssertEqual(worker.applicationsServed, [app])
        XCTAssertEqual(worker.modelRevertCalls, 2)
        XCTAssertEqual(worker.lastOperation, "revert")
        XCTAssertTrue(worker.clean, "reverted after the application")
        XCTAssertTrue(worker.free)
        XCTAssertEqual(worker.finalState, .running)
        XCTAssertEqual(guest.authorizedKeys(of: VMID(0)), [], "the recycle took the application's keys away")
    }

    func testTheOriginalRevertsTheSuspendedWorker() throws {
        let (result, _, logs) = try run(.revert)
        let modelCalls = result.hypervisorCalls.filter { $0.origin == .model }
        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"))
        XCTAssertEqual(modelCalls.map(\.operation), ["revert", "suspend", "revert", "revert"])
        XCTAssertEqual(result.metrics.prepareRevert.count, 1)
        XCTAssertEqual(result.metrics.prepareResume.count, 0)
    }

    func testBootAndResumeCallLibvirtAndNameTheDomainWhenThatFails() throws {
        let domain = try TestDriverWorkers.create(named: uniqueName("wake-calls"), in: connection)
        cleanup.domain(domain.name)
        cleanup.volume(TestDriverWorkers.volumeName(forDomain: domain.name))
        XCTAssertEqual(try domain.state(), .running)
        // Already running: where Model wants it.
        try HypervisorCalls.resume(domain)
        try HypervisorCalls.boot(domain)
        try HypervisorCalls.suspend(domain)
        try HypervisorCalls.resume(domain)
        XCTAssertEqual(try domain.state(), .running)
        try HypervisorCalls.shutdown(domain, waitWallSeconds: 0.2)
        XCTAssertEqual(try domain.state(), .shutoff)
        XCTAssertThrowsError(try HypervisorCalls.resume(domain)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("libvirt: resume of domain \"\(domain.name)\" failed: "), text)
        }
        try HypervisorCalls.boot(domain)
        XCTAssertEqual(try domain.state(), .running)
        XCTAssertEqual(HypervisorCalls.guestReset(after: .boot), .booted)
        XCTAssertEqual(HypervisorCalls.guestReset(after: .resume), .resumed)
    }
}
