import Foundation
import XCTest

/// `visag --version` and the provenance block each command's outputs carry.
final class ProvenanceCLITests: XCTestCase {
    func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("visag-provenance-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func object(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// This checkout's HEAD, as the build read it (nil outside a git checkout, where the build says "unknown").
    func headRevision() throws -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "safe.directory=*", "-C", CLITests.packageRoot.path, "rev-parse", "HEAD"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? text.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    func testVersionNamesTheRevisionTheBuildCameFrom() throws {
        let result = try VisagCLI.run(["--version"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let match = try XCTUnwrap(line.wholeMatch(of: /(\d+\.\d+\.\d+) \(git ([0-9a-f]{40}(-dirty)?|unknown)\)/), line)
        // The test binary was built from this checkout: the same commit (edits since may add "-dirty").
        if let head = try headRevision() { XCTAssertTrue(match.2.hasPrefix(head), "\(line) is not HEAD \(head)") }
    }

    func testRunJSONAndSummaryJSONCarryTheBlock() throws {
        let out = try temporaryDirectory() + "/run"
        let arguments = ["run", "Scenarios/quickstart.yaml", "--set", "workload.applications=3", "--seed", "5", "--json", "--out", out]
        let result = try VisagCLI.run(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        for text in [result.stdout, try String(contentsOfFile: out + "/summary.json", encoding: .utf8)] {
            let provenance = try XCTUnwrap(try object(text)["provenance"] as? [String: Any])
            XCTAssertEqual(Array((provenance["command"] as? [String] ?? []).dropFirst()), arguments)
            XCTAssertEqual(provenance["seed"] as? Int, 5)
            XCTAssertNotNil((provenance["date"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/))
            XCTAssertNotNil(provenance["version"] as? String)
            XCTAssertNotNil(provenance["revision"] as? String)
            let scenario = try XCTUnwrap(provenance["scenario"] as? [String: Any])
            XCTAssertEqual(scenario["file"] as? String, "Scenarios/quickstart.yaml")
            XCTAssertEqual(scenario["set"] as? [String], ["workload.applications=3"])
            XCTAssertTrue((scenario["resolved"] as? String ?? "").contains("applications: 3"))
        }
    }

    func testCheckAndSweepRecordTheirSeedsAndScenario() throws {
        let check = try VisagCLI.run(["check", "Scenarios/quickstart.yaml", "--seeds", "1..2", "--set", "workload.applications=2", "--json"])
        XCTAssertTrue(check.status == 0 || check.status == 1, check.stderr)
        let report = try object(check.stdout)
        XCTAssertEqual((report["seeds"] as? [String: Any])?["requested"] as? Int, 2)
        let provenance = try XCTUnwrap(report["provenance"] as? [String: Any])
        XCTAssertEqual(provenance["seeds"] as? [Int], [1, 2])
        XCTAssertEqual((provenance["scenario"] as? [String: Any])?["set"] as? [String], ["workload.applications=2"])
        let table = try VisagCLI.run(["check", "Scenarios/quickstart.yaml", "--seeds", "1", "--set", "workload.applications=2"])
        XCTAssertTrue(table.stdout.hasPrefix("visag "), table.stdout)

        let folder = try temporaryDirectory()
        let sweepFile = folder + "/sweep.yaml"
        try "base: \(CLITests.packageRoot.path)/Scenarios/quickstart.yaml\nset: [workload.applications=2]\naxes: {policies.recycle: [revert, suspend]}\nseeds: 1..2\n"
            .write(toFile: sweepFile, atomically: true, encoding: .utf8)
        let sweep = try VisagCLI.run(["sweep", sweepFile, "--out", folder + "/out", "--jobs", "1"])
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        let manifest = try object(try String(contentsOfFile: folder + "/out/sweep.json", encoding: .utf8))
        let recorded = try XCTUnwrap(manifest["provenance"] as? [String: Any])
        XCTAssertEqual(recorded["seeds"] as? [Int], [1, 2])
        XCTAssertEqual((recorded["scenario"] as? [String: Any])?["set"] as? [String], ["workload.applications=2"])
        XCTAssertEqual(Array((recorded["command"] as? [String] ?? []).dropFirst()), ["sweep", sweepFile, "--out", folder + "/out", "--jobs", "1"])
    }

    func testBenchMatrixRefusesABadWarmup() throws {
        let result = try VisagCLI.run(["bench", "matrix", "--warmup", "101"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("--warmup must be between 0 and 100, found 101"), result.stderr)
    }

    /// The three exports of a tiny grid, each readable and each naming what made it; an export that cannot be
    /// written is found before any benchmarking.
    func testBenchMatrixExportsCarryTheStatisticsAndProvenance() throws {
        let folder = try temporaryDirectory()
        let tiny = ["bench", "matrix", "--sizes", "16", "--workers", "1", "--modes", "standard,secure", "--repeat", "3"]
        let exports = ["--export-json", folder + "/m.json", "--export-csv", folder + "/sub/m.csv", "--export-markdown", folder + "/m.md"]
        let result = try VisagCLI.run(tiny + exports)
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try object(try String(contentsOfFile: folder + "/m.json", encoding: .utf8))
        let provenance = try XCTUnwrap(json["provenance"] as? [String: Any])
        XCTAssertEqual(Array((provenance["command"] as? [String] ?? []).dropFirst()), tiny + exports)
        XCTAssertNotNil((provenance["machine"] as? [String: Any])?["cpu"] as? String)
        let cells = try XCTUnwrap(json["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.map { $0["runs"] as? Int }, [3, 3])
        XCTAssertNotNil(cells[1]["overhead_vs_standard"] as? Double)
        let csv = try String(contentsOfFile: folder + "/sub/m.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 3)
        XCTAssertTrue(csv[0].hasPrefix("mode,size,workers,mean_s,sd_s,min_s,max_s,runs,"))
        let markdown = try String(contentsOfFile: folder + "/m.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("| `secure` | 16 | 1 |"), markdown)
        XCTAssertTrue(markdown.contains("- command: `"), markdown)
        XCTAssertTrue(result.stdout.contains("mean ± σ ms"), result.stdout)

        let refused = try VisagCLI.run(tiny + ["--export-json", folder])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("is a directory"), refused.stderr)
        XCTAssertEqual(try VisagCLI.run(tiny + ["--export-csv", ""]).status, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["m.json", "m.md", "sub"])
    }
}
