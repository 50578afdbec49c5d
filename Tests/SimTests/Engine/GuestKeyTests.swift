import Model
import XCTest
@testable import Sim

/// What a guest holds in its `authorized_keys` decides which SSH connections it accepts: the admin VM's launch
/// of an object needs the admin key, the requester's tunnel needs the requester key. A key Model wrote the
/// broken way (`guestKeyAppendWithoutShell`) is not there, and the connection that needs it is refused.
final class GuestKeyTests: XCTestCase {
    static let base = """
    mode: virtual-secure
    platform: {nodes: 2, maxVMs: 2, initialWorkers: 2, topology: full}
    hypervisor: {revert: 20s}
    dhcp: {poolSize: 16, lease: never}
    policies: {placement: discovery, discoveryWait: 1s, recycle: revert, dhcpRenewal: renew}
    jobMgr: {creationRounds: 1}
    workload: {applications: 12, arrivalRate: 0.01, objects: 2, objectDuration: {exponential: 2m}}
    """

    func run(_ overrides: [String], seed: UInt64 = 1) throws -> Metrics {
        var scenario = try ScenarioLoader.parse(text: Self.base, file: "keys.yaml", overrides: overrides)
        scenario.seed = seed
        var simulation = Simulation(scenario: scenario)
        return simulation.run()
    }

    func testKeysWrittenWithoutAShellAreRefusedAndTheObjectsFail() throws {
        for seed: UInt64 in 1...5 {
            let fixed = try run(["fidelity=fixed"], seed: seed)
            XCTAssertEqual(fixed.connectionsRefused, 0)
            XCTAssertEqual(fixed.keysDropped, 0)
            XCTAssertGreaterThan(fixed.applicationsCompleted, 0, "seed \(seed)")
            XCTAssertNil(fixed.failureReasons["prepareFailed"], "seed \(seed)")
            XCTAssertTrue(fixed.violationCounts.isEmpty, fixed.violations.first?.description ?? "")

            let broken = try run(["fidelity={base: fixed, guestKeyAppendWithoutShell: true}"], seed: seed)
            XCTAssertEqual(broken.keysDropped, broken.keyWrites, "seed \(seed): every write is lost")
            // The admin key is the clean snapshot's, so the objects start, but no requester key ever reaches a
            // guest: every requester's tunnel is refused, no object calls back, and the host's callback timeout
            // (alloc_timeout) fails each of them.
            XCTAssertEqual(broken.applicationsCompleted, 0, "seed \(seed)")
            XCTAssertEqual(broken.applicationsFailed, 12, "seed \(seed)")
            XCTAssertNil(broken.failureReasons["prepareFailed"], "seed \(seed)")
            let refusedLaunches = broken.failureReasons["execTimeout"] ?? 0
            XCTAssertGreaterThan(refusedLaunches, 0, "seed \(seed)")
            XCTAssertEqual(refusedLaunches + (broken.failureReasons["noResources"] ?? 0), 12, "seed \(seed)")
            XCTAssertGreaterThanOrEqual(broken.connectionsRefused, refusedLaunches, "seed \(seed)")
            // The checker agrees with the guest: no key it never received is held against it.
            XCTAssertNil(broken.violationCounts[.keyRouting], broken.violations.first?.description ?? "")
        }
    }

    func testTheOriginalPlatformsFaithfulModeInstallsItsKeys() throws {
        let faithful = try run(["fidelity=faithful"])
        XCTAssertEqual(faithful.keysDropped, 0)
        XCTAssertEqual(faithful.connectionsRefused, 0)
        XCTAssertGreaterThan(faithful.applicationsCompleted, 0)
    }
}
