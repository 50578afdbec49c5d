import Bench
import XCTest
@testable import Sim

/// The shared vm-pool workload, on a 2,000-job trace whose answers SimPy 4.1.2 printed.
final class VMPoolTests: XCTestCase {
    func jobs() throws -> [TraceJob] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "jobs_2k", withExtension: "csv", subdirectory: "Fixtures"))
        return try TraceFile.load(path: url.path).jobs
    }

    func check(hosts: Int, slots: Int, expected: String) throws {
        var simulation = Simulation(scenario: VMPoolBenchmark.scenario(jobs: try jobs(), hosts: hosts, slots: slots,
                                                                       prepSeconds: 35))
        let metrics = simulation.run()
        let line = VMPoolBenchmark.report(metrics, hosts: hosts).split(separator: "\n")[0]
        XCTAssertEqual(String(line), expected)
    }

    func testTwentyHostsEightSlots() throws {
        try check(hosts: 20, slots: 8, expected:
            "jobs=2000 hosts=20 end=45289.416 mean_resp=16916.593745 mean_wait=14158.622200 queued=1840 maxload=8")
    }

    func testTwentyHostsFiveSlots() throws {
        try check(hosts: 20, slots: 5, expected:
            "jobs=2000 hosts=20 end=65730.518 mean_resp=27203.992430 mean_wait=24446.020885 queued=1900 maxload=5")
    }

    func testHundredHostsEightSlots() throws {
        try check(hosts: 100, slots: 8, expected:
            "jobs=2000 hosts=100 end=18387.659 mean_resp=3706.957991 mean_wait=948.986446 queued=1152 maxload=8")
    }

    func testHundredHostsFiveSlots() throws {
        try check(hosts: 100, slots: 5, expected:
            "jobs=2000 hosts=100 end=22232.200 mean_resp=5508.720986 mean_wait=2750.749441 queued=1479 maxload=5")
    }
}

/// `visag run Scenarios/vm-pool-100k.yaml` goes through the scenario file, not the code-built
/// scenario, and must give the reference's answers too.
final class VMPoolScenarioFileTests: XCTestCase {
    func testScenarioFileGivesTheReferenceAnswers() throws {
        let scenarioPath = PackagePaths.root.appendingPathComponent("Scenarios/vm-pool-100k.yaml").path
        let fixture = PackagePaths.fixtures.appendingPathComponent("jobs_2k.csv").path
        for (slots, expected) in [
            (8, "jobs=2000 hosts=100 end=18387.659 mean_resp=3706.957991 mean_wait=948.986446 queued=1152 maxload=8"),
            (5, "jobs=2000 hosts=100 end=22232.200 mean_resp=5508.720986 mean_wait=2750.749441 queued=1479 maxload=5"),
        ] {
            let scenario = try ScenarioLoader.load(path: scenarioPath, overrides: [
                "workload.file=\(fixture)", "platform.nodes=100", "platform.maxJobs=\(slots)",
                "platform.maxVMs=\(slots)", "platform.initialWorkers=\(slots)"])
            var simulation = Simulation(scenario: scenario)
            let metrics = simulation.run()
            let line = VMPoolBenchmark.report(metrics, hosts: 100).split(separator: "\n")[0]
            XCTAssertEqual(String(line), expected)
            let summary = RunSummary(scenario: scenario, metrics: metrics)
            XCTAssertEqual(summary.maxNodeLoad, slots)
        }
    }
}
