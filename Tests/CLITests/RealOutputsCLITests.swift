import Foundation
import XCTest

/// `visag run --backend real` writes the simulator's files (`--out`, `--trace`, `--perfetto`, `--json`) and prints
/// the invariant checker's verdict on what it observed.
extension CLITests {
    /// Model's start and reservation timeouts an hour (1.8 s of wall time at these scales), so that a loaded
    /// machine cannot fail an object for want of a timely guest call.
    static let patientTimers = ["--set", "jobMgr.execTimeout=1h", "--set", "jobMgr.reservationTimeout=1h"]

    func testARealRunWritesTheSimulatorsOutputs() throws {
        let folder = try temporaryDirectory()
        let out = folder.appendingPathComponent("out").path
        let trace = folder.appendingPathComponent("trace.jsonl").path
        let perfetto = folder.appendingPathComponent("perfetto.json").path
        let r = try visag(["run", "Scenarios/policies/key-routing.yaml", "--backend", "real", "--time-scale", "0.0005",
                           "--set", "workload.applications=12"] + Self.patientTimers
                          + ["--out", out, "--trace", trace, "--perfetto", perfetto, "--json", "--sample-every", "10m"])
        XCTAssertEqual(r.status, 0, r.stderr)

        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["applicationsCompleted"] as? Int, 12)
        XCTAssertEqual((summary["digest"] as? String)?.count, 64)
        XCTAssertEqual(summary["invariantViolations"] as? [String: Int], [:])
        let saved = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as? [String: Any])
        XCTAssertEqual(saved["digest"] as? String, summary["digest"] as? String)

        let applications = try String(contentsOfFile: out + "/applications.csv", encoding: .utf8)
        XCTAssertTrue(applications.hasPrefix("app,main_node,objects,submitted_s,placed_s,finished_s,outcome,reason\n"))
        XCTAssertEqual(applications.split(separator: "\n").filter { $0.hasSuffix(",completed,") }.count, 12)
        let vms = try String(contentsOfFile: out + "/vms.csv", encoding: .utf8)
        XCTAssertEqual(vms.split(separator: "\n").count, 1 + 18, vms)
        XCTAssertEqual(try String(contentsOfFile: out + "/nodes.csv", encoding: .utf8).split(separator: "\n").count, 1 + 6)
        // The series: the simulator's writer on the observed world; no DHCP server, so the lease columns are empty.
        let nodeSeries = try String(contentsOfFile: out + "/node-series.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(nodeSeries.count, 1 + 6 * 2)
        XCTAssertEqual((nodeSeries.count - 1) % 6, 0)
        XCTAssertTrue(nodeSeries.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[10].isEmpty })
        let vmSeries = try String(contentsOfFile: out + "/vm-series.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(vmSeries.count - 1, (nodeSeries.count - 1) / 6 * 18)
        XCTAssertTrue(vmSeries.dropFirst().allSatisfy { $0.hasSuffix(",,") })

        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines.first?.contains("\"scenario\":\"key-routing\",\"schema\":\"visag-trace\",\"seed\":13,") == true)
        XCTAssertEqual(lines.filter { $0.contains("\"kind\":\"arrival\"") }.count, 12)
        for line in lines { XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)), String(line)) }

        let chrome = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: perfetto))) as? [String: Any])
        let events = try XCTUnwrap(chrome["traceEvents"] as? [[String: Any]])
        XCTAssertEqual(events.filter { $0["cat"] as? String == "object" }.count,
                       applications.split(separator: "\n").dropFirst().reduce(0) { $0 + Int($1.split(separator: ",")[2])! })
    }

    func testARealRunsSummarySaysWhatTheCheckerFound() throws {
        let r = try visag(["run", "Scenarios/policies/key-routing.yaml", "--backend", "real", "--time-scale", "0.0005",
                           "--set", "workload.applications=6"] + Self.patientTimers)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("invariants                 all held"), r.stdout)
        XCTAssertFalse(r.stdout.contains("not checked"), r.stdout)
        XCTAssertFalse(r.stdout.contains("digest                     -\n"), r.stdout)
    }
}

extension CLITests {
    /// A Model defect the simulator's checker finds (`startupCloneIgnoresMaxVM`: a start-up clone over `maxVMs`)
    /// is found on the real backend too, and reported the same way.
    func testARealRunReportsAViolationAsTheSimulatorDoes() throws {
        let arguments = ["run", "Scenarios/races/startup-clone.yaml", "--set", "workload.applications=4"]
        let sim = try visag(arguments)
        let real = try visag(arguments + ["--backend", "real", "--time-scale", "0.0005"] + Self.patientTimers)
        XCTAssertEqual(sim.status, 0, sim.stderr)
        XCTAssertEqual(real.status, 0, real.stderr)
        // Which node's clone answers first (and so takes vm5) is the wall clock's on the real backend.
        for run in [sim, real] {
            XCTAssertTrue(run.stdout.contains("invariants                 maxVMs 2 violations"), run.stdout)
            XCTAssertTrue(run.stdout.contains("first violations           maxVMs at "), run.stdout)
            for node in 0...1 {
                XCTAssertNotNil(run.stdout.range(of: "\\[node\(node) vm(5|9)\\]: node\(node) has 5 workers with vm(5|9), over "
                                                 + "its maxVMs of 4", options: .regularExpression), run.stdout)
            }
        }
    }
}
