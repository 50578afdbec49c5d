import Foundation
import XCTest

/// `visag run --decisions` on both backends and `--lockstep` (the README's "Same latencies, same decisions").
extension CLITests {
    static let lockstepScenario = """
        name: cli-lockstep
        seed: 9
        mode: virtual-secure
        fidelity: fixed
        platform: {nodes: 2, maxVMs: 3, initialWorkers: 2, topology: full}
        dhcp: {lease: never}
        policies: {placement: discovery, recycle: revert, cloneAheadThreshold: 2, dhcpRenewal: renew}
        jobMgr: {execTimeout: 1h, reservationTimeout: 1h}
        workload: {kind: poisson, applications: 4, arrivalRate: 0.01, objects: 2, objectDuration: 2m, mainNode: random}
        """

    func testSimAndLockstepRealRunsWriteTheSameDecisionLogAndDigest() throws {
        let folder = try temporaryDirectory()
        let scenario = folder.appendingPathComponent("lockstep.yaml")
        try Self.lockstepScenario.write(to: scenario, atomically: true, encoding: .utf8)
        let simLog = folder.appendingPathComponent("sim.decisions").path
        let realLog = folder.appendingPathComponent("real.decisions").path

        let sim = try visag(["run", scenario.path, "--decisions", simLog, "--json"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let real = try visag(["run", scenario.path, "--backend", "real", "--lockstep", "--time-scale", "0.0005",
                              "--decisions", realLog, "--json"])
        XCTAssertEqual(real.status, 0, real.stderr)

        let simText = try String(contentsOfFile: simLog, encoding: .utf8)
        let realText = try String(contentsOfFile: realLog, encoding: .utf8)
        XCTAssertEqual(simText, realText)
        XCTAssertTrue(simText.contains(" op=clone:"), "the scenario clones")
        let simDigest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sim.stdout.utf8)) as? [String: Any])["decisionDigest"] as? String
        let realDigest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(real.stdout.utf8)) as? [String: Any])["decisionDigest"] as? String
        XCTAssertEqual(simDigest, realDigest)
        XCTAssertEqual(simDigest?.count, 64)

        // The digest is the file's SHA-256.
        let sha = Process()
        sha.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sha.arguments = [simLog]
        let pipe = Pipe()
        sha.standardOutput = pipe
        try sha.run()
        let shaOutput = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sha.waitUntilExit()
        XCTAssertEqual(shaOutput.split(separator: " ").first.map(String.init), simDigest)

        // The table prints it too (/dev/null: the digest without the file); without --decisions, none is kept.
        let table = try visag(["run", scenario.path, "--decisions", "/dev/null"])
        XCTAssertTrue(table.stdout.contains("decision digest            \(simDigest ?? "")"), table.stdout)
        let plain = try visag(["run", scenario.path])
        XCTAssertTrue(plain.stdout.contains("decision digest            -"), plain.stdout)
    }

    func testLockstepRefusesWhatItCannotMatchWithExitTwo() throws {
        let faults = try visag(["run", "Scenarios/races/lost-messages.yaml", "--backend", "real", "--lockstep"])
        XCTAssertEqual(faults.status, 2, faults.stderr)
        XCTAssertTrue(faults.stderr.contains("Scenarios/races/lost-messages.yaml: cannot run in lockstep"), faults.stderr)
        XCTAssertTrue(faults.stderr.contains("faults"), faults.stderr)
        XCTAssertEqual(faults.stdout, "")

        let sim = try visag(["run", "Scenarios/quickstart.yaml", "--lockstep"])
        XCTAssertEqual(sim.status, 2)
        XCTAssertTrue(sim.stderr.contains("--lockstep applies only to --backend real"), sim.stderr)

        let tcg = try visag(["run", "Scenarios/quickstart.yaml", "--backend", "real", "--guests", "tcg", "--lockstep"])
        XCTAssertEqual(tcg.status, 2)
        XCTAssertTrue(tcg.stderr.contains("--lockstep needs --guests simulated"), tcg.stderr)
    }
}
