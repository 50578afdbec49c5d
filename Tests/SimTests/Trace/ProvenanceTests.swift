import Foundation
import XCTest
@testable import Sim

/// The provenance block: what it records, that the resolved scenario runs as the original did, and
/// that it stays out of every digest and compared file.
final class ProvenanceTests: XCTestCase {
    static let quickstart = SweepTests.scenarios.appendingPathComponent("quickstart.yaml").path

    func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("visag-provenance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func provenance() -> Provenance {
        Provenance(version: "1.2.3", revision: "0123456789abcdef0123456789abcdef01234567",
                   command: ["visag", "run", "x.yaml", "--set", "a b=it's"], date: Provenance.timestamp(Date(timeIntervalSince1970: 86_400 + 3661)))
    }

    func testFieldsDateAndCommandLine() {
        let block = provenance()
        XCTAssertEqual(block.date, "1970-01-02T01:01:01Z")
        XCTAssertEqual(block.line, #"visag 1.2.3 (git 0123456789abcdef0123456789abcdef01234567), 1970-01-02T01:01:01Z: visag run x.yaml --set 'a b=it'\''s'"#)
        XCTAssertEqual(Provenance.Machine.cpuModel(cpuinfo: "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n"), "AMD EPYC 7B13")
        XCTAssertEqual(Provenance.Machine.cpuModel(cpuinfo: "processor\t: 0\n"), "unknown")
        let json = block.json()
        for key in ["\"version\":\"1.2.3\"", "\"revision\":\"0123456789abcdef0123456789abcdef01234567\"", "\"date\":\"1970-01-02T01:01:01Z\"",
                    "\"command\":[\"visag\",\"run\",\"x.yaml\",\"--set\",\"a b=it's\"]"] {
            XCTAssertTrue(json.contains(key), "\(key) not in \(json)")
        }
    }

    /// The resolved scenario is a scenario on its own: loaded as text, it runs to the digest of the file
    /// with its overrides.
    func testResolvedScenarioRunsAsTheOriginalWithItsOverrides() throws {
        let overrides = ["workload.applications=4", "policies.recycle=suspend", "seed=11"]
        let source = try Provenance.ScenarioSource.load(file: Self.quickstart, overrides: overrides)
        XCTAssertEqual(source.file, Self.quickstart)
        XCTAssertEqual(source.set, overrides)
        XCTAssertTrue(source.resolved.contains("applications: 4"), source.resolved)
        XCTAssertTrue(source.resolved.contains("recycle: suspend"), source.resolved)
        XCTAssertFalse(source.resolved.contains("\n"))
        let original = try ScenarioLoader.load(path: Self.quickstart, overrides: overrides)
        let resolved = try ScenarioLoader.parse(text: source.resolved, file: "resolved.yaml")
        XCTAssertEqual(resolved.seed, 11)
        var a = Simulation(scenario: original)
        var b = Simulation(scenario: resolved)
        XCTAssertEqual(a.run().digest, b.run().digest)
    }

    /// In a run's summary the block is one more key; the digest and every other field stay as they were,
    /// and a summary with it decodes (a sweep reads its records back).
    func testRunSummaryCarriesTheBlockBesideTheResults() throws {
        let scenario = try ScenarioLoader.load(path: Self.quickstart, overrides: ["workload.applications=3"])
        var simulation = Simulation(scenario: scenario)
        let plain = RunSummary(scenario: scenario, metrics: simulation.run())
        var traced = plain
        var block = provenance()
        block.scenario = try Provenance.ScenarioSource.load(file: Self.quickstart, overrides: ["workload.applications=3"])
        block.seed = scenario.seed
        traced.provenance = block
        XCTAssertFalse(plain.json().contains("provenance"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(traced.json().utf8)) as? [String: Any])
        let recorded = try XCTUnwrap(object["provenance"] as? [String: Any])
        XCTAssertEqual(recorded["seed"] as? Int, 1)
        XCTAssertEqual((recorded["scenario"] as? [String: Any])?["set"] as? [String], ["workload.applications=3"])
        XCTAssertEqual(object["digest"] as? String, plain.digest)
        var withoutBlock = object
        withoutBlock["provenance"] = nil
        let plainObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(plain.json().utf8)) as? [String: Any])
        XCTAssertEqual(NSDictionary(dictionary: withoutBlock), NSDictionary(dictionary: plainObject))
        let decoded = try JSONDecoder().decode(RunSummary.self, from: Data(traced.json().utf8))
        XCTAssertEqual(decoded.provenance, block)
    }

    /// sweep.json records what started the sweep; the results do not depend on it, and a sweep started by
    /// another command line (or build, or day) is the same sweep to resume and merge.
    func testSweepManifestRecordsItButResultsAndIdentityIgnoreIt() throws {
        let sweepPath = try temporaryDirectory() + "/sweep.yaml"
        try ("""
        base: \(SweepTests.scenarios.appendingPathComponent("policies/recycle.yaml").path)
        set: [workload.applications=20]
        axes:
          policies.recycle: [revert, suspend]
        seeds: 1..2
        """).write(toFile: sweepPath, atomically: true, encoding: .utf8)
        let sweep = try SweepFile.load(path: sweepPath)
        var first = provenance()
        first.scenario = try Provenance.ScenarioSource.load(file: sweep.basePath, overrides: sweep.baseOverrides)
        first.seeds = [1, 2]
        var second = first
        second.command = ["visag", "sweep", "elsewhere.yaml"]
        second.date = "2030-01-01T00:00:00Z"
        let a = try temporaryDirectory()
        let b = try temporaryDirectory()
        _ = try SweepRunner.run(sweep, into: a, options: .init(jobs: 1, provenance: first)) { _, _, _ in }
        _ = try SweepRunner.run(sweep, into: b, options: .init(jobs: 2, provenance: second)) { _, _, _ in }
        for file in ["results.csv", "summary.csv"] {
            XCTAssertEqual(try String(contentsOfFile: a + "/" + file, encoding: .utf8),
                           try String(contentsOfFile: b + "/" + file, encoding: .utf8), file)
        }
        let manifest = try JSONDecoder().decode(SweepRunner.Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: a + "/sweep.json")))
        XCTAssertEqual(manifest.provenance, first)
        XCTAssertTrue(try String(contentsOfFile: a + "/sweep.json", encoding: .utf8).contains("\"resolved\""))
        // Resumed under another provenance: the same sweep, and the folder keeps the one that started it.
        XCTAssertEqual(try SweepRunner.run(sweep, into: a, options: .init(jobs: 1, resume: true, provenance: second)) { _, _, _ in }.ran, 0)
        XCTAssertEqual(try JSONDecoder().decode(SweepRunner.Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: a + "/sweep.json"))).provenance, first)
        let merged = try temporaryDirectory()
        XCTAssertEqual(try SweepMerge.merge([a, b], into: merged), 8)  // two whole sweeps: every run twice
        XCTAssertEqual(try String(contentsOfFile: merged + "/results.csv", encoding: .utf8),
                       try String(contentsOfFile: a + "/results.csv", encoding: .utf8))
    }

    func testCheckReportJSONHasTheFiguresAndTheBlock() throws {
        let scenario = try ScenarioLoader.load(path: Self.quickstart, overrides: ["workload.applications=3"])
        let report = SeedCheck.run(scenario, seeds: 1...3, jobs: 2)
        var check = CheckReport(scenario: Self.quickstart, overrides: ["workload.applications=3"], requested: 3,
                                report: report, shrunk: nil, replay: { "visag replay --seed \($0)" })
        check.provenance = provenance().with(seeds: [1, 2, 3])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(check.json().utf8)) as? [String: Any])
        let seeds = try XCTUnwrap(object["seeds"] as? [String: Any])
        XCTAssertEqual(seeds["requested"] as? Int, 3)
        XCTAssertEqual(seeds["failing"] as? [Int], report.failingSeeds.map { Int($0) })
        XCTAssertEqual((object["invariants"] as? [[String: Any]])?.count, Invariant.allCases.count)
        XCTAssertEqual((object["failures"] as? [[String: Any]])?.count, report.failingSeeds.count)
        XCTAssertEqual((object["provenance"] as? [String: Any])?["seeds"] as? [Int], [1, 3])
        XCTAssertEqual(provenance().with(seeds: [2, 5, 9]).seeds, [2, 5, 9])
    }
}
