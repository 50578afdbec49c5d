import Model
import XCTest
@testable import Sim

/// The invariants are checked in every run; these runs are built to break (or keep) them.
final class InvariantTests: XCTestCase {
    static let scenarios = PackagePaths.root.appendingPathComponent("Scenarios")

    func run(_ file: String, seed: UInt64 = 1, _ overrides: [String] = []) throws -> Metrics {
        var scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent(file).path,
                                               overrides: overrides)
        scenario.seed = seed
        var simulation = Simulation(scenario: scenario)
        return simulation.run()
    }

    func testStaleDHCPAddressesBreakIsolationUnlessLeasesAreRenewed() throws {
        let stale = try run("policies/dhcp-renewal.yaml")
        XCTAssertGreaterThan(stale.violationCounts[.isolation] ?? 0, 0)
        let first = try XCTUnwrap(stale.violations.first { $0.invariant == .isolation })
        XCTAssertTrue(first.detail.contains("that address was leased to") || first.detail.contains("already hosts"), first.detail)
        XCTAssertFalse(first.recentEvents.isEmpty)
        for renewal in ["renew", "reverse-ping"] {
            let renewed = try run("policies/dhcp-renewal.yaml", ["policies.dhcpRenewal=\(renewal)"])
            XCTAssertTrue(renewed.violationCounts.isEmpty, "\(renewal): \(renewed.violations.first?.description ?? "")")
        }
    }

    func testRemoveJobOverwriteBreaksAccountingOnlyWhereTheAdvertisementGatesDiscovery() throws {
        let faithful = try run("races/removejob.yaml", seed: 2)
        XCTAssertGreaterThan(faithful.violationCounts[.accounting] ?? 0, 0)
        let first = try XCTUnwrap(faithful.violations.first { $0.invariant == .accounting })
        XCTAssertEqual(first.detail, "SearchNode advertises memory 64 MB (JobMgr has 128)")
        let fixed = try run("races/removejob.yaml", seed: 2, ["fidelity=fixed"])
        XCTAssertNil(fixed.violationCounts[.accounting])
        // The virtual build answers with checkVM alone: the same overwrite breaks nothing there,
        // and the job count is exact in every build.
        let virtual = try run("races/removejob.yaml", seed: 2, ["mode=virtual", "platform.maxVMs=3",
                                                                  "platform.initialWorkers=3"])
        XCTAssertNil(virtual.violationCounts[.accounting])
    }

    /// Keys written with an empty appId reach a worker no application ever held (the first running one): the
    /// checker sees an application's key in a free worker. Fixed mode writes no such key.
    func testEmptyAppIdKeyWritesLandInAFreeWorker() throws {
        let faithful = try run("quickstart.yaml", ["fidelity={base: fixed, emptyAppIdKeyWriteDropped: true}"])
        let first = try XCTUnwrap(faithful.violations.first { $0.invariant == .keyRouting })
        // A worker no application held: free, or the source of a clone.
        XCTAssertTrue(first.detail.contains("which is free") || first.detail.contains("held by the cloner"), first.detail)
        let fixed = try run("quickstart.yaml", ["fidelity=fixed"])
        XCTAssertNil(fixed.violationCounts[.keyRouting])
        XCTAssertNotEqual(faithful.digest, fixed.digest)
        XCTAssertGreaterThan(faithful.keyWrites, fixed.keyWrites)
    }

    func testFailedCloneThatNeverCallsBackLeaksItsSource() throws {
        let overrides = ["fidelity={base: fixed, cloneFailureNeverCallsBack: true}", "faults.cloneFailure=1"]
        let leaky = try run("policies/faithful-defects.yaml", overrides)
        XCTAssertGreaterThan(leaky.violationCounts[.noLeaks] ?? 0, 0)
        XCTAssertTrue(leaky.violations.contains { $0.invariant == .noLeaks && $0.detail.contains("cloner") })
        let fixed = try run("policies/faithful-defects.yaml", ["fidelity=fixed", "faults.cloneFailure=1"])
        XCTAssertNil(fixed.violationCounts[.noLeaks])
    }

    func testHealthyScenariosKeepEveryInvariant() throws {
        for file in ["policies/key-routing.yaml", "policies/idle-timeout.yaml", "policies/recycle.yaml"] {
            for seed: UInt64 in 1...3 {
                let m = try run(file, seed: seed)
                XCTAssertTrue(m.violationCounts.isEmpty, "\(file) seed \(seed): \(m.violations.first?.description ?? "")")
                XCTAssertEqual(m.applicationsCompleted + m.applicationsFailed, m.applicationsSubmitted)
            }
        }
    }

    func testCheckResultsDoNotDependOnTheNumberOfWorkers() throws {
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("policies/dhcp-renewal.yaml").path,
                                               overrides: ["workload.applications=40"])
        let one = SeedCheck.run(scenario, seeds: 1...12, jobs: 1)
        let two = SeedCheck.run(scenario, seeds: 1...12, jobs: 2)
        XCTAssertEqual(one.results.map(\.digest), two.results.map(\.digest))
        XCTAssertEqual(one.results.map(\.seed), Array(1...12))
        XCTAssertEqual(one.byInvariant().map(\.seeds), two.byInvariant().map(\.seeds))
        XCTAssertEqual(one.byInvariant().map(\.violations), two.byInvariant().map(\.violations))
        XCTAssertFalse(one.failingSeeds.isEmpty)
    }
}

final class ShrinkerTests: XCTestCase {
    func testShrinkKeepsTheInvariantFailingAndTheResultFailsOnItsOwn() throws {
        let path = InvariantTests.scenarios.appendingPathComponent("races/append-vs-reserve.yaml").path
        let result = try Shrinker.shrink(path: path, overrides: [], seed: 2)
        XCTAssertEqual(result.invariant, .isolation)
        XCTAssertTrue(result.overrides.contains { $0.hasPrefix("platform.nodes=") || $0.hasPrefix("workload.applications=") },
                      "\(result.overrides)")
        // The written scenario stands alone and still fails with its recorded seed.
        let small = try ScenarioLoader.parse(text: result.yaml, file: "small.yaml")
        XCTAssertEqual(small.seed, result.seed)
        guard case .poisson(let w) = small.workload else { return XCTFail("poisson expected") }
        XCTAssertLessThan(w.applications, 30)
        var simulation = Simulation(scenario: small)
        XCTAssertNotNil(simulation.run().violationCounts[.isolation])
    }

    func testShrinkRefusesASeedThatDoesNotFail() throws {
        let path = InvariantTests.scenarios.appendingPathComponent("races/append-vs-reserve.yaml").path
        XCTAssertThrowsError(try Shrinker.shrink(path: path, overrides: ["fidelity=fixed"], seed: 1))
    }
}
