import Model
import XCTest
@testable import Sim

/// Injected faults: each is seeded, windowed where it has a window, and the system's reaction
/// is what Model decides.
final class FaultTests: XCTestCase {
    static let base = """
    mode: virtual
    platform: {nodes: 2, maxVMs: 2, initialWorkers: 2, topology: full}
    hypervisor: {revert: 30s, suspend: 5s}
    dhcp: {poolSize: 12, lease: never, renew: 3s}
    policies: {placement: discovery, recycle: suspend, dhcpRenewal: renew}
    jobMgr: {addressWaitCap: 20s}
    workload: {applications: 30, arrivalRate: 0.01, objects: 1, objectDuration: {exponential: 4m}}
    """

    func run(_ faults: String, _ overrides: [String] = [], seed: UInt64 = 1) throws -> Metrics {
        var scenario = try ScenarioLoader.parse(text: Self.base + "\nfaults: " + faults, file: "faults.yaml",
                                                overrides: overrides)
        scenario.seed = seed
        var simulation = Simulation(scenario: scenario)
        return simulation.run()
    }

    func testDHCPOutageFailsPreparationsAfterTheCapOrHangsForeverWhenUncapped() throws {
        let outage = "{dhcpOutages: [{from: 0, to: 2h}]}"
        let capped = try run(outage, ["fidelity=fixed"])
        XCTAssertGreaterThan(capped.failureReasons["addressUnavailable"] ?? 0, 0)
        XCTAssertTrue(capped.violationCounts.isEmpty, capped.violations.first?.description ?? "")
        let uncapped = try run(outage, ["fidelity={base: fixed, addressPollUncapped: true}", "jobMgr.execTimeout=never"])
        XCTAssertNotNil(uncapped.violationCounts[.liveness], "an object waits forever for its address")
        // The cause is among the last events: the VM's DHCP requests went unanswered during the outage.
        let hung = try XCTUnwrap(uncapped.violations.first { $0.invariant == .liveness && $0.entities.contains("vm") })
        XCTAssertTrue(hung.recentEvents.contains { $0.contains("DHCP server is down (outage)") }, "\(hung)")
        let none = try run("{}", ["fidelity=fixed"])
        XCTAssertNil(none.failureReasons["addressUnavailable"])
    }

    /// Under the original's DHCP policy the admin reads the guest's "ip" variable again while it is empty: a
    /// guest the pool has no address for is polled until the cap gives up (fixed) or for ever (faithful).
    func testAnEmptyAddressUnderNoRenewalIsReadAgainUntilTheCapOrForEver() throws {
        let exhausted = ["dhcp.poolSize=2", "dhcp.lease=never", "policies.dhcpRenewal=none"]
        let capped = try run("{}", exhausted + ["fidelity=fixed"])
        XCTAssertGreaterThan(capped.failureReasons["addressUnavailable"] ?? 0, 0)
        XCTAssertEqual(capped.applicationsCompleted + capped.applicationsFailed, 30)
        XCTAssertTrue(capped.violationCounts.isEmpty, capped.violations.first?.description ?? "")
        let uncapped = try run("{}", exhausted + ["fidelity={base: fixed, addressPollUncapped: true}", "duration=4h"])
        XCTAssertNil(uncapped.failureReasons["addressUnavailable"])
        XCTAssertNotNil(uncapped.violationCounts[.liveness], "a preparation polls an empty address for ever")
    }

    /// A run that can make no progress (every revert fails and the recycle retries forever, no duration) stops
    /// with a liveness report after a bounded number of events, the same on every run; a live run never does.
    func testARunThatCanMakeNoProgressStopsWithALivenessReport() throws {
        let quickstart = ScenarioLoaderTests.scenariosDirectory.appendingPathComponent("quickstart.yaml").path
        let scenario = try ScenarioLoader.load(path: quickstart, overrides: ["faults.revertFailure=1",
                                                                             "jobMgr.recycleRetry=30s", "duration=never"])
        var first = Simulation(scenario: scenario)
        let stuck = first.run(maxEventsWithoutProgress: 20_000)
        let detail = try XCTUnwrap(stuck.stalled)
        XCTAssertTrue(detail.hasPrefix("no application arrived, completed or failed in the 20000 events since t="), detail)
        XCTAssertTrue(detail.contains("jobMgr.recycleRetry"), detail)
        XCTAssertEqual(stuck.applicationsCompleted + stuck.applicationsFailed, stuck.applicationsSubmitted)
        XCTAssertTrue(stuck.violations.contains { $0.invariant == .liveness && $0.detail == detail })
        var second = Simulation(scenario: scenario)
        let again = second.run(maxEventsWithoutProgress: 20_000)
        XCTAssertEqual(again.digest, stuck.digest)
        XCTAssertEqual(again.simulatedSeconds, stuck.simulatedSeconds)
        // A live run with the same bound runs to its end.
        var live = Simulation(scenario: try ScenarioLoader.parse(text: Self.base, file: "live.yaml"))
        let ended = live.run(maxEventsWithoutProgress: 20_000)
        XCTAssertNil(ended.stalled)
        XCTAssertEqual(ended.applicationsCompleted + ended.applicationsFailed, 30)
    }

    /// A failed recycle frees the worker in the original, still running with the ended
    /// application's keys (freeWorkerKeys reports it); `recycleRetry` keeps it held until a retry
    /// succeeds, and no invariant breaks, also through a hypervisor outage.
    func testRecycleRetryClosesTheKeyLeakOfAFailedRecycle() throws {
        var leaked = 0
        for seed: UInt64 in 1...10 {
            for recycle in ["revert", "suspend"] {
                let overrides = ["fidelity=fixed", "mode=virtual-secure", "policies.recycle=\(recycle)"]
                let leaky = try run("{revertFailure: 0.3}", overrides, seed: seed)
                leaked += leaky.violationCounts[.freeWorkerKeys] ?? 0
                for v in leaky.violations where v.invariant == .freeWorkerKeys {
                    // The worker whose recycle failed, free and running with the ended application's keys.
                    XCTAssertTrue(v.detail.hasPrefix("\(v.entities.split(separator: " ")[0]) is free and running with keys of app"),
                                  v.detail)
                }
                XCTAssertNil(leaky.violationCounts[.keyRouting], "seed \(seed): keys went only where they belong")
                let retried = try run("{revertFailure: 0.3}", overrides + ["jobMgr.recycleRetry=30s"], seed: seed)
                XCTAssertTrue(retried.violationCounts.isEmpty, "seed \(seed) \(recycle): \(retried.violations.first?.description ?? "")")
                XCTAssertEqual(retried.applicationsCompleted + retried.applicationsFailed, 30)
                let outage = try run("{hypervisorOutages: [{from: 20m, to: 50m}]}", overrides + ["jobMgr.recycleRetry=1m"],
                                     seed: seed)
                XCTAssertTrue(outage.violationCounts.isEmpty, "seed \(seed) \(recycle): \(outage.violations.first?.description ?? "")")
            }
        }
        XCTAssertGreaterThan(leaked, 0, "without the retry some failed recycle leaves keys in a free worker")
    }

    func testHypervisorOutageFailsOperationsOnlyInsideItsWindowAndNode() throws {
        let m = try run("{hypervisorOutages: [{from: 0, to: 1h, node: 0}]}", ["fidelity=fixed"])
        XCTAssertGreaterThan(m.failureReasons["prepareFailed"] ?? 0, 0)
        XCTAssertGreaterThan(m.applicationsCompleted, 0)
        XCTAssertTrue(m.violationCounts.isEmpty, m.violations.first?.description ?? "")
        let later = try run("{hypervisorOutages: [{from: 100h, to: 101h}]}", ["fidelity=fixed"])
        XCTAssertNil(later.failureReasons["prepareFailed"])
    }

    func testCrashedWorkersKillTheirObjectsAndAreRevertedBeforeTheirNextApplication() throws {
        var crashes = 0
        for seed: UInt64 in 1...5 {
            let m = try run("{vmCrashesPerHour: 2}", ["fidelity=fixed"], seed: seed)
            crashes += m.vmCrashes
            XCTAssertTrue(m.violationCounts.isEmpty, "seed \(seed): \(m.violations.first?.description ?? "")")
            XCTAssertEqual(m.applicationsCompleted + m.applicationsFailed, m.applicationsSubmitted)
        }
        XCTAssertGreaterThan(crashes, 0)
    }

    func testMessageDelayAndTieShufflingChangeTheRunButKeepTheInvariants() throws {
        let plain = try run("{}", ["fidelity=fixed"])
        let delayed = try run("{messageDelay: {extra: {exponential: 2s}, from: 0, to: 1h}}", ["fidelity=fixed"])
        let shuffled = try run("{shuffleTies: true}", ["fidelity=fixed"])
        XCTAssertNotEqual(plain.digest, delayed.digest)
        XCTAssertNotEqual(plain.digest, shuffled.digest)
        XCTAssertEqual(shuffled.digest, try run("{shuffleTies: true}", ["fidelity=fixed"]).digest)
        for m in [delayed, shuffled] {
            XCTAssertTrue(m.violationCounts.isEmpty, m.violations.first?.description ?? "")
            XCTAssertEqual(m.applicationsCompleted + m.applicationsFailed, m.applicationsSubmitted)
        }
    }

    func testBadFaultWindowsAreRejected() {
        XCTAssertThrowsError(try run("{dhcpOutages: [{from: 2h, to: 1h}]}"))
        XCTAssertThrowsError(try run("{hypervisorOutages: [{from: 0}]}"))
        XCTAssertThrowsError(try run("{vmCrashesPerHour: -1}"))
    }
}
