import Foundation
import XCTest
@testable import Real

/// `visag run --backend real --guests tcg` end to end, as a user runs it: the CLI checks the machine, starts or
/// reuses the daemon, boots one worker guest, runs an application of two objects in it through Model, and removes the worker
/// again. Gated like `QEMUGuestTests` (skips without root or the packages unless `VISAG_REQUIRE_QEMU=1`); about
/// 20 s, most of it the guest's boot.
final class TCGGuestsRunTests: XCTestCase {
    static let packageRoot = PackagePaths.root
    static let timeoutSeconds = 240.0

    func testTheCLIRunsAScenarioOnATCGGuestAndRemovesIt() throws {
        try QEMUTestHost.checkPrerequisites()
        let binary = Bundle.main.bundleURL.appendingPathComponent("visag").path
        let scenario = Self.packageRoot.appendingPathComponent("Scenarios/guests/tcg-small.yaml").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("visag-tcg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out").path
        let trace = folder.appendingPathComponent("trace.jsonl").path
        let perfetto = folder.appendingPathComponent("perfetto.json").path
        let run = try HostCommand.run(binary, [
            "run", scenario, "--backend", "real", "--uri", TCGGuestHost.uri, "--guests", "tcg", "--time-scale", "0.01",
            "--set", "platform.nodes=1", "--set", "workload.applications=1",
            "--out", out, "--trace", trace, "--perfetto", perfetto,
        ], timeoutSeconds: Self.timeoutSeconds)
        let context = "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)"

        XCTAssertTrue(run.succeeded, context)
        XCTAssertTrue(run.stdout.contains("applications               1 submitted, 1 completed, 0 failed"), context)
        XCTAssertTrue(run.stdout.contains("backend      real, qemu:///system, time scale 0.01"), context)
        XCTAssertTrue(run.stdout.contains(": completed"), context)
        XCTAssertTrue(run.stdout.contains("domains      1 created for the run, 1 removed at the end"), context)
        XCTAssertFalse(run.stdout.contains("outside "), "no power change outside the run: \(context)")
        XCTAssertTrue(run.stderr.contains("node0_worker1 booted and snapshotted as popc_clean"), context)
        XCTAssertFalse(run.stderr.contains("could not remove"), context)
        // The start-up revert and the one at the application's end, both Model's.
        XCTAssertTrue(run.stdout.contains("reverts      node0_worker1 2"), context)
        // The simulator's outputs and checker, on what the guest did.
        XCTAssertTrue(run.stdout.contains("invariants                 all held"), context)
        let vms = try String(contentsOfFile: out + "/vms.csv", encoding: .utf8)
        XCTAssertTrue(vms.hasPrefix("vm,node,ordinal,holder,power,running_s,reserved_s\n0,0,1,free,running,"), vms)
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains("\"kind\":\"keyWritten\"") }, "\(lines.prefix(5))")
        XCTAssertTrue(lines.contains { $0.contains("\"kind\":\"objectFinished\"") })
        let chrome = try String(contentsOfFile: perfetto, encoding: .utf8)
        XCTAssertTrue(chrome.contains("\"cat\":\"object\""), String(chrome.prefix(500)))
    }
}
