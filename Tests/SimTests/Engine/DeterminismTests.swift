import XCTest
@testable import Sim

final class DeterminismTests: XCTestCase {
    static let scenarioText = """
    name: determinism
    seed: 7
    mode: virtual-secure
    fidelity: faithful
    platform: {nodes: 6, maxVMs: 3, initialWorkers: 1, numClone: -1, topology: ring}
    hypervisor:
      revert: {lognormal: {median: 30s, sigma: 0.3}}
      clone: {uniform: [60s, 120s]}
    dhcp: {poolSize: 20, lease: 10m}
    network: {latency: {exponential: 2ms}}
    policies: {placement: discovery, recycle: suspend, discoveryWait: 0, maxHops: 3}
    faults: {cloneFailure: 0.2, revertFailure: 0.05, objectCrash: 0.02}
    workload: {applications: 150, arrivalRate: 0.05, objects: {uniform: [1, 4]}, objectDuration: {exponential: 90s}}
    """

    func simulate(seed: UInt64? = nil, overrides: [String] = []) throws -> Metrics {
        var scenario = try ScenarioLoader.parse(text: Self.scenarioText, file: "determinism.yaml", overrides: overrides)
        if let seed { scenario.seed = seed }
        var simulation = Simulation(scenario: scenario)
        return simulation.run()
    }

    func testSameSeedSameDigest() throws {
        let a = try simulate()
        let b = try simulate()
        XCTAssertEqual(a.digest.count, 64)
        XCTAssertEqual(a.digest, b.digest)
        XCTAssertEqual(a.events, b.events)
        XCTAssertEqual(a.applicationsCompleted, b.applicationsCompleted)
        XCTAssertGreaterThan(a.events, 1000)
    }

    func testOtherSeedOtherDigest() throws {
        XCTAssertNotEqual(try simulate(seed: 7).digest, try simulate(seed: 8).digest)
    }

    func testEveryApplicationEndsOneWayOrAnother() throws {
        for seed: UInt64 in 1...5 {
            let m = try simulate(seed: seed)
            XCTAssertEqual(m.applicationsCompleted + m.applicationsFailed, m.applicationsSubmitted, "seed \(seed)")
        }
    }

    func testPolicyChangesTheRun() throws {
        let suspend = try simulate()
        let revert = try simulate(overrides: ["policies.recycle=revert"])
        XCTAssertNotEqual(suspend.digest, revert.digest)
    }

    func testTwoHundredFaultHeavySeedsGiveTheSameDigestsTwiceAndOnAnyNumberOfWorkers() throws {
        let scenario = try ScenarioLoader.parse(text: """
        mode: virtual-secure
        fidelity: faithful
        platform: {nodes: 4, maxVMs: 3, initialWorkers: 1, numClone: 2, topology: ring}
        hypervisor: {revert: {exponential: 30s}, clone: {uniform: [30s, 90s]}, keyWrite: {uniform: [0.2, 2]}}
        dhcp: {poolSize: 10, lease: 3m, guestRenewalDelay: {exponential: 60s}}
        network: {latency: {exponential: 5ms}}
        policies: {placement: discovery, recycle: suspend, discoveryWait: 1s, maxHops: 2}
        jobMgr: {execTimeout: 45s}
        faults: {cloneFailure: 0.3, revertFailure: 0.1, objectCrash: 0.05, mainCrash: 0.1, vmCrashesPerHour: 0.5,
                 messageDrop: {probability: 0.02}, messageDuplicate: {probability: 0.05},
                 messageDelay: {extra: {exponential: 300ms}, from: 10m, to: 20m},
                 adminRestarts: [{node: 1, at: 15m}], dhcpOutages: [{from: 5m, to: 8m}]}
        workload: {applications: 25, arrivalRate: 0.02, objects: {uniform: [1, 4]}, objectDuration: {exponential: 3m}}
        """, file: "fault-heavy.yaml")
        let first = SeedCheck.run(scenario, seeds: 1...200, jobs: 1)
        let again = SeedCheck.run(scenario, seeds: 1...200, jobs: 1)
        let parallel = SeedCheck.run(scenario, seeds: 1...200, jobs: 2)
        XCTAssertEqual(first.results.map(\.digest), again.results.map(\.digest))
        XCTAssertEqual(first.results.map(\.digest), parallel.results.map(\.digest))
        XCTAssertEqual(Set(first.results.map(\.digest)).count, 200, "every seed is a different run")
        XCTAssertEqual(first.byInvariant().map(\.violations), parallel.byInvariant().map(\.violations))
    }
}
