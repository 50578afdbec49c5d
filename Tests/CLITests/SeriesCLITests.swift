import Foundation
import XCTest

/// `visag run --sample-every`: node-series.csv and vm-series.csv in `--out`, the rest of the run untouched.
extension CLITests {
    func testSampleEveryWritesBothSeriesAndChangesNothingElse() throws {
        let folder = try temporaryDirectory()
        let plain = folder.appendingPathComponent("plain").path
        let sampled = folder.appendingPathComponent("sampled").path
        let again = folder.appendingPathComponent("again").path
        let a = try visag(["run", "Scenarios/quickstart.yaml", "--out", plain, "--until", "1h"])
        let b = try visag(["run", "Scenarios/quickstart.yaml", "--out", sampled, "--until", "1h", "--sample-every", "5m"])
        let c = try visag(["run", "Scenarios/quickstart.yaml", "--out", again, "--until", "1h", "--sample-every", "300"])
        for r in [a, b, c] { XCTAssertEqual(r.status, 0, r.stderr) }
        func digest(_ stdout: String) -> Substring? { stdout.split(separator: "\n").first { $0.hasPrefix("digest") } }
        XCTAssertNotNil(digest(a.stdout))
        XCTAssertEqual(digest(b.stdout), digest(a.stdout))
        for name in ["applications.csv", "vms.csv", "nodes.csv"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: sampled + "/" + name)),
                           try Data(contentsOf: URL(fileURLWithPath: plain + "/" + name)), name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: plain + "/node-series.csv"))
        let nodes = try String(contentsOfFile: sampled + "/node-series.csv", encoding: .utf8)
        let vms = try String(contentsOfFile: sampled + "/vm-series.csv", encoding: .utf8)
        XCTAssertTrue(nodes.hasPrefix("t_s,node,workers,free_workers,"), nodes)
        XCTAssertTrue(vms.hasPrefix("t_s,vm,node,power,holder,app,objects_running,lease,address\n"), vms)
        // Two nodes at 0, 5 m, …, 1 h (the run is cut there).
        XCTAssertEqual(nodes.split(separator: "\n").count, 1 + 2 * 13)
        XCTAssertTrue(nodes.hasSuffix("\n") && nodes.split(separator: "\n").last!.hasPrefix("3600.0,1,"), nodes)
        for name in ["node-series.csv", "vm-series.csv"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: again + "/" + name)),
                           try Data(contentsOf: URL(fileURLWithPath: sampled + "/" + name)), name)
        }
    }

    func testABadSampleIntervalIsExitTwoNamingTheFlag() throws {
        let out = try temporaryDirectory().appendingPathComponent("out").path
        for bad in ["0", "0s", "--sample-every=-5", "soon", "never", ""] {
            let flag = bad.hasPrefix("--") ? [bad] : ["--sample-every", bad]
            let r = try visag(["run", "Scenarios/quickstart.yaml", "--out", out] + flag)
            XCTAssertEqual(r.status, 2, bad)
            XCTAssertTrue(r.stderr.contains("--sample-every: expected a duration > 0"), r.stderr)
        }
        let noOut = try visag(["run", "Scenarios/quickstart.yaml", "--sample-every", "1m"])
        XCTAssertEqual(noOut.status, 2)
        XCTAssertTrue(noOut.stderr.contains("--sample-every needs --out"), noOut.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
}
