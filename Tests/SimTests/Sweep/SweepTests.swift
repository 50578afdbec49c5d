import Foundation
import XCTest
@testable import Sim

final class SweepTests: XCTestCase {
    static let scenarios = PackagePaths.root.appendingPathComponent("Scenarios")

    func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("visag-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func sweepFile(_ body: String) throws -> String {
        let dir = try temporaryDirectory()
        let path = dir + "/sweep.yaml"
        let base = Self.scenarios.appendingPathComponent("policies/recycle.yaml").path
        try ("base: \(base)\nset: [workload.applications=20]\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testExpansionIsTheCrossProductMinusExclusions() throws {
        let sweep = try SweepFile.load(path: try sweepFile("""
        axes:
          policies.recycle: [revert, suspend, shutdown]
          policies.dhcpRenewal: [none, renew]
        seeds: 3..5
        exclude:
          - {policies.recycle: revert, policies.dhcpRenewal: renew}
        """))
        XCTAssertEqual(sweep.cells.count, 5)
        XCTAssertEqual(sweep.seedCount, 3)
        XCTAssertEqual(sweep.runCount, 15)
        XCTAssertEqual(sweep.cells.map(\.index), [0, 2, 3, 4, 5])
        XCTAssertEqual(sweep.cells[1].overrides, ["workload.applications=20", "policies.recycle=suspend",
                                                  "policies.dhcpRenewal=none"])
    }

    func testBadAxisValuesAndExclusionsNameTheSweepFile() throws {
        let bad = try sweepFile("axes:\n  policies.recycle: [revert, hibernate]\n")
        XCTAssertThrowsError(try SweepFile.load(path: bad)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("sweep.yaml"), text)
            XCTAssertTrue(text.contains("hibernate"), text)
        }
        let exclude = try sweepFile("axes:\n  policies.recycle: [revert]\nexclude:\n  - {policies.recylce: revert}\n")
        XCTAssertThrowsError(try SweepFile.load(path: exclude)) { XCTAssertTrue("\($0)".contains("not an axis")) }
        let empty = try sweepFile("axes:\n  policies.recycle: [revert]\nexclude:\n  - {policies.recycle: revert}\n")
        XCTAssertThrowsError(try SweepFile.load(path: empty)) { XCTAssertTrue("\($0)".contains("excluded")) }
        // An axis key is a field path: one with "=" would be split into another path and value.
        let pasted = try sweepFile("axes:\n  \"policies.recycle=shutdown\": [revert]\n")
        XCTAssertThrowsError(try SweepFile.load(path: pasted)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("sweep.yaml") && text.contains("is not a scenario field path"), text)
        }
    }

    /// A shard checks only the cells it runs: one bad cell fails the shards that would run it, and no other.
    func testAShardValidatesOnlyTheCellsItRuns() throws {
        // Cells revert, hibernate (bad), shutdown × seeds 1..2: runs 0-1, 2-3, 4-5 by cell.
        let path = try sweepFile("axes:\n  policies.recycle: [revert, hibernate, shutdown]\nseeds: 1..2\n")
        XCTAssertThrowsError(try SweepFile.load(path: path)) { XCTAssertTrue("\($0)".contains("hibernate")) }
        // Shard 0 of 3 runs runs 0 and 3, one of the bad cell's; of 6 shards, 2 and 3 run the bad cell's runs.
        XCTAssertThrowsError(try SweepFile.load(path: path, shard: (0, 3)))
        for index in [0, 1, 4, 5] {
            let sweep = try SweepFile.load(path: path, shard: (index, 6))
            XCTAssertEqual(sweep.cells.count, 3, "every cell is still expanded")
            XCTAssertEqual(sweep.runCount, 6)
        }
        for index in [2, 3] {
            XCTAssertThrowsError(try SweepFile.load(path: path, shard: (index, 6))) {
                XCTAssertTrue("\($0)".contains("cell policies.recycle=hibernate"), "\($0)")
            }
        }
        // Checked against the runs each shard is dealt, over shapes where cells straddle shards.
        for seedCount in 1...4 {
            for count in 1...7 {
                for index in 0..<count {
                    for cell in 0..<6 {
                        let dealt = (0..<seedCount).contains { (cell * seedCount + $0) % count == index }
                        XCTAssertEqual(SweepFile.hasRun(cellPosition: cell, seedCount: seedCount, shard: (index, count)),
                                       dealt, "cell \(cell), \(seedCount) seeds, shard \(index)/\(count)")
                    }
                }
            }
        }
    }

    func testResultsDoNotDependOnWorkersOrShardsAndResumeRedoesNothing() throws {
        let sweep = try SweepFile.load(path: try sweepFile("""
        axes:
          policies.recycle: [revert, suspend]
          policies.dhcpRenewal: [none, renew]
        seeds: 1..3
        """))
        let single = try temporaryDirectory()
        let outcome = try SweepRunner.run(sweep, into: single, options: .init(jobs: 1)) { _, _, _ in }
        XCTAssertEqual(outcome.ran, 12)
        let parallel = try temporaryDirectory()
        _ = try SweepRunner.run(sweep, into: parallel, options: .init(jobs: 2)) { _, _, _ in }
        let shardA = try temporaryDirectory()
        let shardB = try temporaryDirectory()
        let a = try SweepRunner.run(sweep, into: shardA, options: .init(jobs: 2, shard: (0, 2))) { _, _, _ in }
        let b = try SweepRunner.run(sweep, into: shardB, options: .init(jobs: 2, shard: (1, 2))) { _, _, _ in }
        XCTAssertEqual(a.ran + b.ran, 12)
        let merged = try temporaryDirectory()
        XCTAssertEqual(try SweepMerge.merge([shardA, shardB], into: merged), 12)
        for file in ["results.csv", "summary.csv"] {
            let reference = try String(contentsOfFile: single + "/" + file, encoding: .utf8)
            XCTAssertEqual(try String(contentsOfFile: parallel + "/" + file, encoding: .utf8), reference, file)
            XCTAssertEqual(try String(contentsOfFile: merged + "/" + file, encoding: .utf8), reference, file)
        }
        // A finished sweep resumed runs nothing; an unfinished one runs only what is missing.
        XCTAssertEqual(try SweepRunner.run(sweep, into: single, options: .init(jobs: 2, resume: true)) { _, _, _ in }.ran, 0)
        let records = try FileManager.default.contentsOfDirectory(atPath: single + "/runs").sorted()
        try FileManager.default.removeItem(atPath: single + "/runs/" + records[0])
        XCTAssertEqual(try SweepRunner.run(sweep, into: single, options: .init(jobs: 2, resume: true)) { _, _, _ in }.ran, 1)
        XCTAssertThrowsError(try SweepRunner.run(sweep, into: single, options: .init(jobs: 1)) { _, _, _ in })
        let summary = try String(contentsOfFile: single + "/summary.csv", encoding: .utf8)
        XCTAssertTrue(summary.hasPrefix("cell,policies.recycle,policies.dhcpRenewal,metric,n,mean,sd,ci95_low,ci95_high,p50,p95,p99,ci_method\n"))
        XCTAssertEqual(summary.split(separator: "\n").count, 1 + 4 * SweepResults.metrics.count)
        // Every row's interval is its metric's kind, and none reaches below 0.
        for line in summary.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let metric = try XCTUnwrap(SweepResults.metrics.first { $0.name == fields[3] })
            XCTAssertEqual(fields[12], metric.interval.rawValue, String(line))
            if let low = Double(fields[7]), let high = Double(fields[8]), let mean = Double(fields[5]) {
                XCTAssertTrue(0 <= low && low <= mean && mean <= high, String(line))
            }
        }
    }

    func testStatisticsCarryTheirMetricsInterval() {
        let s = SweepResults.Statistics([1, 2, 3, 4], method: .poisson)
        XCTAssertEqual(s.mean, 2.5, accuracy: 1e-12)
        XCTAssertEqual(s.sd, 1.2909944487358056, accuracy: 1e-12)
        XCTAssertEqual(s.interval, ConfidenceInterval([1, 2, 3, 4], method: .poisson))
        XCTAssertEqual(SweepResults.Statistics([5], method: .bootstrap).interval.low, 5)
        // A cell's metrics computed together get the intervals each gets alone.
        let samples: [[Double]] = [[1, 2, 3, 4], [0.5, .nan, 9, 2], [3, 1, 4, 1], [0, 1, 1, 0], [7, 7, 7, 7]]
        let methods: [IntervalMethod] = [.bootstrap, .bootstrap, .poisson, .wilson, .bootstrap]
        XCTAssertEqual(SweepResults.Statistics.of(samples, methods: methods),
                       zip(samples, methods).map { SweepResults.Statistics($0, method: $1) })
    }

    func testLatencyMetricsGetPercentilesOverTheCellsRuns() {
        let q = SweepResults.Quantiles([4, 1, 3, 2, .nan, 5])!
        XCTAssertEqual(q.p50, 3, accuracy: 1e-12)
        XCTAssertEqual(q.p95, 4.8, accuracy: 1e-12)
        XCTAssertEqual(q.p99, 4.96, accuracy: 1e-12)
        XCTAssertNil(SweepResults.Quantiles([.nan]))
        let latency = SweepResults.metrics.filter(\.isLatency).map(\.name)
        XCTAssertTrue(latency.contains("creation_prepared_p95_s") && latency.contains("queue_wait_mean_s"))
        XCTAssertFalse(latency.contains("makespan_s") || latency.contains("vm_hours"))
    }

    func testBundledStudiesExpand() throws {
        let dir = Self.scenarios.appendingPathComponent("studies").path
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertFalse(files.isEmpty)
        for file in files {
            let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("# "), "\(file) must start with a comment saying what it shows")
            let sweep = try SweepFile.load(path: dir + "/" + file)
            XCTAssertGreaterThan(sweep.runCount, 1, file)
        }
    }
}
