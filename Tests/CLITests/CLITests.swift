import Foundation
import XCTest

/// End-to-end: runs the `visag` executable as a user would.
final class CLITests: XCTestCase {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func visag(_ arguments: [String]) throws -> Result {
        let r = try VisagCLI.run(arguments)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("visag-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func write(_ text: String, named name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testQuickstartRunsAndPrintsADigest() throws {
        let r = try visag(["run", "Scenarios/quickstart.yaml"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("applications"))
        let digestLine = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("digest") })
        XCTAssertEqual(digestLine.split(separator: " ").last?.count, 64)
    }

    func testJSONSummaryIsOneObjectAndReproducible() throws {
        let a = try visag(["run", "Scenarios/quickstart.yaml", "--json", "--seed", "3"])
        let b = try visag(["run", "Scenarios/quickstart.yaml", "--json", "--seed", "3"])
        XCTAssertEqual(a.status, 0, a.stderr)
        let objectA = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])
        let objectB = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(objectA["digest"] as? String, objectB["digest"] as? String)
        XCTAssertEqual(objectA["applicationsSubmitted"] as? Int, 40)
        XCTAssertEqual(objectA["seed"] as? Int, 3)
        let c = try visag(["run", "Scenarios/quickstart.yaml", "--json", "--seed", "4"])
        let objectC = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as? [String: Any])
        XCTAssertNotEqual(objectA["digest"] as? String, objectC["digest"] as? String)
    }

    func testOutAndTraceWriteCompleteFiles() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("out").path
        let trace = dir.appendingPathComponent("trace.jsonl").path
        let r = try visag(["run", "Scenarios/quickstart.yaml", "--out", out, "--trace", trace, "--until", "30m"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(files, ["applications.csv", "nodes.csv", "summary.json", "vms.csv"])
        let apps = try String(contentsOfFile: out + "/applications.csv", encoding: .utf8)
        XCTAssertTrue(apps.hasPrefix("app,main_node,objects,submitted_s,placed_s,finished_s,outcome,reason\n"))
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 10)
        for line in lines.prefix(50) {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: trace + ".partial"))
    }

    func testUnknownKeyIsExitTwoWithLineAndSuggestion() throws {
        let dir = try temporaryDirectory()
        let path = try write("seed: 1\npolicies:\n  recylce: suspend\n", named: "bad.yaml", in: dir)
        let r = try visag(["run", path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("bad.yaml:3:3"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean \"recycle\""), r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertFalse(r.stderr.contains("Fatal error"))
    }

    func testBadValuesAreExitTwo() throws {
        let dir = try temporaryDirectory()
        let cases: [(String, String)] = [
            ("platform:\n  maxVMs: 0\n", "maxVMs"),
            ("hypervisor:\n  revert: -5\n", "revert"),
            ("policies:\n  recycle: hibernate\n", "recycle"),
            ("seed: [1\n", "invalid YAML"),
            ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n", "too large"),
        ]
        for (text, needle) in cases {
            let path = try write(text, named: "bad.yaml", in: dir)
            let r = try visag(["run", path])
            XCTAssertEqual(r.status, 2, text)
            XCTAssertTrue(r.stderr.contains(needle), "\(needle) not in \(r.stderr)")
        }
    }

    func testBadOverrideAndFlagsAreExitTwo() throws {
        let bad = try visag(["run", "Scenarios/quickstart.yaml", "--set", "platform.maxVMs=lots"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--set"), bad.stderr)
        let flag = try visag(["run", "Scenarios/quickstart.yaml", "--no-such-flag"])
        XCTAssertEqual(flag.status, 2)
        let until = try visag(["run", "Scenarios/quickstart.yaml", "--until", "soon"])
        XCTAssertEqual(until.status, 2)
    }

    func testDirectoryOrMissingScenarioIsExitTwo() throws {
        let dir = try temporaryDirectory()
        let r = try visag(["run", dir.path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(dir.path), r.stderr)
        let missing = try visag(["run", dir.appendingPathComponent("nope.yaml").path])
        XCTAssertEqual(missing.status, 2)
    }

    func testVMPoolBenchPrintsTheReferenceLine() throws {
        let trace = Self.packageRoot.appendingPathComponent("Tests/SimTests/Fixtures/jobs_2k.csv").path
        let r = try visag(["bench", "vm-pool", "--jobs-file", trace, "--hosts", "20"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(String(lines[0]),
            "jobs=2000 hosts=20 end=45289.416 mean_resp=16916.593745 mean_wait=14158.622200 queued=1840 maxload=8")
        XCTAssertTrue(lines[1].hasPrefix("wall_s="))
    }

    func testMalformedTraceIsExitTwoWithLine() throws {
        let dir = try temporaryDirectory()
        let path = try write("id,arrival_s,compute_s\n0,1.0,5\n1,abc,5\n", named: "t.csv", in: dir)
        let r = try visag(["bench", "vm-pool", "--jobs-file", path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("t.csv:3"), r.stderr)
        // `--trace` names an output everywhere; the jobs to run are `--jobs-file`.
        XCTAssertEqual(try visag(["bench", "vm-pool", "--trace", path]).status, 2)
    }

    func testCheckFindsTheDHCPRaceAndReplayGivesTheSameDigest() throws {
        let check = try visag(["check", "Scenarios/policies/dhcp-renewal.yaml", "--seeds", "4..6", "--jobs", "2"])
        XCTAssertEqual(check.status, 1, check.stderr)
        XCTAssertTrue(check.stdout.contains("isolation"), check.stdout)
        let seedLine = try XCTUnwrap(check.stdout.split(separator: "\n").first { $0.hasPrefix("seed 4 (digest ") })
        let digest = String(seedLine.dropFirst("seed 4 (digest ".count).prefix(64))
        let replay = try visag(["replay", "Scenarios/policies/dhcp-renewal.yaml", "--seed", "4", "--around", "4000"])
        XCTAssertEqual(replay.status, 1, replay.stderr)  // the seed breaks isolation
        XCTAssertTrue(replay.stdout.contains("digest                     \(digest)"), replay.stdout)
        XCTAssertTrue(replay.stdout.contains("isolation violated at 1h 16m 59.238s [vm8 app55 vm11 obj110]: obj110 of app55 runs in vm8, which is reserved for app53: launched at 10.1.0.12 for vm11"), replay.stdout)
        XCTAssertTrue(replay.stdout.contains("events within 30.000s of 1h 06m 40.000s:"), replay.stdout)
        let fixed = try visag(["check", "Scenarios/policies/dhcp-renewal.yaml", "--seeds", "4..6",
                               "--set", "policies.dhcpRenewal=renew"])
        XCTAssertEqual(fixed.status, 0, fixed.stdout + fixed.stderr)
        XCTAssertTrue(fixed.stdout.contains("3 seeds, 0 failing"), fixed.stdout)
    }

    func testCheckRejectsBadSeedRanges() throws {
        for bad in ["9..3", "x", "1...4", "-1..2"] {
            let r = try visag(["check", "Scenarios/quickstart.yaml", "--seeds", bad])
            XCTAssertEqual(r.status, 2, bad)
        }
    }

    func testSweepWritesResultsAndRefusesToOverwriteWithoutResume() throws {
        let dir = try temporaryDirectory()
        let base = Self.packageRoot.appendingPathComponent("Scenarios/policies/recycle.yaml").path
        let sweep = try write("base: \(base)\nset: [workload.applications=10]\naxes:\n  policies.recycle: [revert, shutdown]\nseeds: 1..2\n",
                              named: "s.yaml", in: dir)
        let out = dir.appendingPathComponent("out").path
        let first = try visag(["sweep", sweep, "--out", out, "--jobs", "2"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let results = try String(contentsOfFile: out + "/results.csv", encoding: .utf8)
        XCTAssertEqual(results.split(separator: "\n").count, 1 + 4)
        let again = try visag(["sweep", sweep, "--out", out])
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)
        let resumed = try visag(["sweep", sweep, "--out", out, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.hasPrefix("0 runs"), resumed.stdout)
        let bad = try write("base: \(base)\naxes:\n  policies.recycle: [bogus]\n", named: "bad.yaml", in: dir)
        let badRun = try visag(["sweep", bad, "--out", out + "2"])
        XCTAssertEqual(badRun.status, 2)
        XCTAssertTrue(badRun.stderr.contains("bad.yaml"), badRun.stderr)
        XCTAssertEqual(try visag(["sweep", sweep, "--out", out + "3", "--shard", "2/2"]).status, 2)
        // `--set` applies to every cell, after the file's `set:`; the folder records it, so a resume with another
        // value is refused; a bad value is named.
        let set = try visag(["sweep", sweep, "--out", out + "4", "--set", "workload.applications=3"])
        XCTAssertEqual(set.status, 0, set.stderr)
        let manifest = try String(contentsOfFile: out + "4/sweep.json", encoding: .utf8)
        XCTAssertTrue(manifest.contains("workload.applications=3"), manifest)
        let summary = try String(contentsOfFile: out + "4/results.csv", encoding: .utf8)
        XCTAssertNotEqual(summary, results)
        XCTAssertEqual(try visag(["sweep", sweep, "--out", out + "4", "--resume", "--set", "workload.applications=4"]).status, 2)
        let badSet = try visag(["sweep", sweep, "--out", out + "5", "--set", "workload.applications=x"])
        XCTAssertEqual(badSet.status, 2)
        XCTAssertTrue(badSet.stderr.contains("workload.applications"), badSet.stderr)
    }

    func testRealBackendRunsOnTheTestDriverAndSimRejectsAURI() throws {
        let r = try visag(["run", "Scenarios/policies/key-routing.yaml", "--backend", "real", "--time-scale", "0.0005"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("120 submitted"), r.stdout)
        XCTAssertTrue(r.stdout.contains("backend      real, test:///default"), r.stdout)
        let sim = try visag(["run", "Scenarios/policies/key-routing.yaml", "--backend", "sim", "--uri", "qemu:///system"])
        XCTAssertEqual(sim.status, 2)
        XCTAssertTrue(sim.stderr.contains("--uri"), sim.stderr)
        XCTAssertEqual(try visag(["run", "Scenarios/quickstart.yaml", "--backend", "real", "--time-scale", "0"]).status, 2)
        XCTAssertEqual(try visag(["run", "Scenarios/quickstart.yaml", "--backend", "vmware"]).status, 2)
    }
}

// `visag bench matrix` (the report's matrix experiment).
extension CLITests {
    func testMatrixBenchBadFlagsAreExitTwoWithOneMessage() throws {
        let cases: [([String], String)] = [
            (["--sizes", ""], "--sizes needs at least one value"),
            (["--sizes", "0"], "outside 1...20000"),
            (["--sizes", "20001"], "outside 1...20000"),
            (["--sizes", "600,x"], "not a whole number"),
            (["--workers", ""], "--workers needs at least one value"),
            (["--workers", "0"], "outside 1...64"),
            (["--workers", "65"], "outside 1...64"),
            (["--modes", "bogus"], "unknown mode"),
            (["--modes", "virtual", "--uri", ""], "--uri must not be empty"),
            (["--repeat", "0"], "--repeat must be between 1"),
            (["--repeat", "many"], "--repeat"),
            (["--guests", "kvm"], "--guests: unknown kind \"kvm\""),
            (["--guests", "tcg", "--modes", "standard"], "--guests tcg needs a mode with worker VMs"),
        ]
        for (flags, needle) in cases {
            let r = try visag(["bench", "matrix"] + flags)
            XCTAssertEqual(r.status, 2, "\(flags): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(needle), "\(needle) not in \(r.stderr)")
            XCTAssertEqual(r.stdout, "")
            XCTAssertFalse(r.stderr.contains("Fatal error"))
        }
    }

    func testMatrixBenchJSONIsOneObjectNamingOpenBLAS() throws {
        let r = try visag(["bench", "matrix", "--sizes", "64", "--workers", "1,2", "--modes", "standard,secure", "--repeat", "1", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertTrue((object["blas"] as? String)?.hasPrefix("OpenBLAS") ?? false, r.stdout)
        XCTAssertNotNil(object["kernel"] as? String)
        XCTAssertGreaterThan(object["dgemm_gflops"] as? Double ?? 0, 0)
        let cells = try XCTUnwrap(object["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.count, 4)
        XCTAssertEqual(Set(cells.compactMap { $0["mode"] as? String }), ["standard", "secure"])
    }

    /// Ctrl-C in the middle of a run stops every worker (and sshd and its ssh clients) and removes
    /// the temporary directory.
    func testMatrixBenchInterruptLeavesNothingBehind() throws {
        let binary = Bundle.main.bundleURL.appendingPathComponent("visag")
        let hasSSH = FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd")
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("visag-matrix-") }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["bench", "matrix", "--sizes", "400", "--workers", "3", "--repeat", "1000",
                             "--modes", hasSSH ? "secure-ssh" : "standard"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        func descendants(of root: Int32) -> Set<Int32> {
            var parents: [Int32: Int32] = [:]
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { continue }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 2, let parent = Int32(fields[1]) { parents[pid] = parent }
            }
            var found: Set<Int32> = [root]
            var grew = true
            while grew {
                grew = false
                for (pid, parent) in parents where found.contains(parent) && !found.contains(pid) {
                    found.insert(pid)
                    grew = true
                }
            }
            found.remove(root)
            return found
        }
        // Wait until the workers run (and, with OpenSSH, the tunnels are up).
        var children: Set<Int32> = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            children = descendants(of: process.processIdentifier)
            if children.count >= (hasSSH ? 10 : 3) { break }
            usleep(50_000)
        }
        usleep(300_000)
        children = descendants(of: process.processIdentifier)
        XCTAssertGreaterThanOrEqual(children.count, 3)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 128 + SIGINT)
        usleep(200_000)
        for pid in children {
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            XCTAssertTrue(state.isEmpty || state.contains(") Z "), "process \(pid) survived the interrupt: \(state)")
        }
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("visag-matrix-") }
        XCTAssertEqual(after.subtracting(before), [])
    }
}
