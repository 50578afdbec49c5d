import Foundation
import XCTest

/// `visag sweep`/`merge`/`report` write the same report.html from the same runs, and
/// `visag run --perfetto` writes a trace or refuses a path it cannot write (exit 1).
final class ReportCLITests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("visag-report-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func writeSweep(in directory: URL, timeline: String = "") throws -> String {
        let sweep = """
        base: \(CLITests.packageRoot.path)/Scenarios/quickstart.yaml
        set: [workload.applications=12]
        axes:
          policies.recycle: [revert, suspend]
          platform.maxVMs: [2, 3]
        seeds: 1..3
        \(timeline)
        """
        let path = directory.appendingPathComponent("sweep.yaml")
        try sweep.write(to: path, atomically: true, encoding: .utf8)
        return path.path
    }

    func testShardsMergeIntoTheSameReportAndReportRebuildsIt() throws {
        let dir = try temporaryDirectory()
        let sweep = try writeSweep(in: dir, timeline: "timeline: {cell: 2, seed: 3, vms: 4}")
        let whole = dir.appendingPathComponent("whole").path
        XCTAssertEqual(try VisagCLI.run(["sweep", sweep, "--out", whole, "--jobs", "2"]).status, 0)
        var shards: [String] = []
        for i in 0..<3 {
            let shard = dir.appendingPathComponent("shard\(i)").path
            let r = try VisagCLI.run(["sweep", sweep, "--out", shard, "--shard", "\(i)/3", "--jobs", "1"])
            XCTAssertEqual(r.status, 0, r.stderr)
            shards.append(shard)
        }
        // Only the shard that owns cell 2, seed 3 reruns it for the timeline.
        let owners = shards.filter { FileManager.default.fileExists(atPath: $0 + "/timeline.json") }
        XCTAssertEqual(owners.count, 1)
        let merged = dir.appendingPathComponent("merged").path
        let m = try VisagCLI.run(["merge"] + shards + ["--out", merged])
        XCTAssertEqual(m.status, 0, m.stderr)
        let expected = try String(contentsOfFile: whole + "/report.html", encoding: .utf8)
        XCTAssertEqual(try String(contentsOfFile: merged + "/report.html", encoding: .utf8), expected)
        XCTAssertTrue(expected.contains("Cell 2 (recycle = suspend, maxVMs = 2), seed 3"))
        XCTAssertTrue(expected.contains("Showing 4 of "))
        XCTAssertTrue(expected.contains("<h3>Grid totals</h3>"))
        XCTAssertGreaterThan(expected.components(separatedBy: "class=\"chart\"").count - 1, 4)

        // `report` rebuilds the same page, and the CSV files beside it (a folder of an earlier build gets this
        // build's intervals); with --sweep it can draw another run.
        let summary = try String(contentsOfFile: whole + "/summary.csv", encoding: .utf8)
        XCTAssertTrue(summary.hasPrefix("cell,") && summary.contains("ci_method"), summary)
        try "cell,metric,n,mean,sd,ci95_low,ci95_high\n".write(toFile: whole + "/summary.csv", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: whole + "/report.html")
        XCTAssertEqual(try VisagCLI.run(["report", whole]).status, 0)
        XCTAssertEqual(try String(contentsOfFile: whole + "/report.html", encoding: .utf8), expected)
        XCTAssertEqual(try String(contentsOfFile: whole + "/summary.csv", encoding: .utf8), summary)
        let other = try VisagCLI.run(["report", whole, "--sweep", sweep, "--timeline-cell", "0", "--timeline-seed", "1"])
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertTrue(try String(contentsOfFile: whole + "/report.html", encoding: .utf8)
            .contains("Cell 0 (recycle = revert, maxVMs = 2), seed 1"))

        // Bad choices are bad input.
        XCTAssertEqual(try VisagCLI.run(["report", whole, "--timeline-cell", "1"]).status, 2)
        XCTAssertEqual(try VisagCLI.run(["report", whole, "--sweep", sweep, "--timeline-cell", "9"]).status, 2)
        XCTAssertEqual(try VisagCLI.run(["report", whole, "--sweep", sweep, "--timeline-seed", "7"]).status, 2)
        XCTAssertEqual(try VisagCLI.run(["report", dir.path]).status, 2, "not a sweep folder")
        let badFile = try writeSweep(in: dir, timeline: "timeline: {cell: 17}")
        let bad = try VisagCLI.run(["sweep", badFile, "--out", dir.appendingPathComponent("bad").path])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("timeline cell 17 is not in the sweep"), bad.stderr)
    }

    func testPerfettoTraceIsWrittenAndBadPathsAreRefused() throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("run.json").path
        let trace = dir.appendingPathComponent("trace.jsonl").path
        let r = try VisagCLI.run(["run", "Scenarios/quickstart.yaml", "--perfetto", path, "--trace", trace, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let json = try String(contentsOfFile: path, encoding: .utf8)
        try PerfettoFileCheck.verify(json, nodes: try XCTUnwrap(summary["nodes"] as? Int),
                                     applications: try XCTUnwrap(summary["applicationsSubmitted"] as? Int))
        XCTAssertGreaterThan(try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").count, 100,
                             "--trace still gets every line beside --perfetto")
        // The digest does not depend on what is recorded.
        let plain = try VisagCLI.run(["run", "Scenarios/quickstart.yaml", "--json"])
        let plainSummary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["digest"] as? String, plainSummary["digest"] as? String)

        // A folder cannot be written: exit 1, naming it (a missing folder above the file is created instead).
        let refused = try VisagCLI.run(["run", "Scenarios/quickstart.yaml", "--perfetto", dir.path])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("\(dir.path): error: is a directory"), refused.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["run.json", "trace.jsonl"],
                       "no partial file left behind")
    }
}

/// The CLI's trace, checked as a user's tool would read it.
enum PerfettoFileCheck {
    static func verify(_ json: String, nodes: Int, applications: Int) throws {
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let events = try XCTUnwrap(root["traceEvents"] as? [[String: Any]])
        let processes = Set(events.filter { $0["name"] as? String == "process_name" }.compactMap { $0["pid"] as? Int })
        XCTAssertEqual(processes.count, nodes)
        let vmThreads = events.filter { $0["name"] as? String == "thread_name" }
            .compactMap { ($0["args"] as? [String: Any])?["name"] as? String }.filter { $0.hasPrefix("vm ") }
        XCTAssertFalse(vmThreads.isEmpty)
        let categories = Set(events.filter { $0["ph"] as? String == "X" }.compactMap { $0["cat"] as? String })
        XCTAssertTrue(categories.isSuperset(of: ["revert", "address", "key write", "object"]), "\(categories)")
        let arrivals = events.filter { $0["ph"] as? String == "i" && ($0["name"] as? String)?.contains("arrives") == true }
        XCTAssertEqual(arrivals.count, applications)
        var open: [String: [Double]] = [:]
        let slices = events.filter { $0["ph"] as? String == "X" }.sorted {
            let a = ($0["ts"] as! Double, -($0["dur"] as! Double)), b = ($1["ts"] as! Double, -($1["dur"] as! Double))
            return a < b
        }
        for slice in slices {
            let key = "\(slice["pid"]!)/\(slice["tid"]!)"
            let start = slice["ts"] as! Double, end = start + (slice["dur"] as! Double)
            var stack = open[key] ?? []
            while let top = stack.last, top <= start + 1e-6 { stack.removeLast() }
            if let top = stack.last { XCTAssertLessThanOrEqual(end, top + 1e-6, "\(key): slice crosses its parent") }
            stack.append(end)
            open[key] = stack
        }
    }
}
