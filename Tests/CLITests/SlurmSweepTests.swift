import Foundation
import XCTest

/// `visag sweep --slurm` and `visag sweep status` against a real Slurm: a one-host cluster
/// (`scripts/slurm/cluster.sh`) started for this class in a temporary folder and stopped after it, whatever
/// happened. Gated like the QEMU tests: skips without root or the packages unless `VISAG_REQUIRE_SLURM=1`.
final class SlurmSweepTests: XCTestCase {
    // Set in class setUp, read by the tests, cleared in class tearDown; XCTest runs them one after another.
    nonisolated(unsafe) private static var cluster: SlurmTestCluster?
    nonisolated(unsafe) private static var startFailure: String?

    override class func setUp() {
        super.setUp()
        guard SlurmTestCluster.missing.isEmpty else { return }
        do {
            cluster = try SlurmTestCluster()
        } catch {
            startFailure = "\(error)"
        }
    }

    override class func tearDown() {
        cluster?.stop()
        cluster = nil
        super.tearDown()
    }

    private var cluster: SlurmTestCluster!

    override func setUpWithError() throws {
        if let failure = Self.startFailure { throw SlurmTestCluster.ClusterError(message: failure) }
        let missing = SlurmTestCluster.missing
        if !missing.isEmpty {
            let message = "Slurm sweep tests need: " + missing.joined(separator: ", ")
                + " (bash scripts/install-test-deps.sh installs the packages)"
            if SlurmTestCluster.required {
                throw SlurmTestCluster.ClusterError(message: message + "; \(SlurmTestCluster.requireVariable)=1, so this fails")
            }
            throw XCTSkip(message)
        }
        cluster = try XCTUnwrap(Self.cluster)
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("visag-slurm-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The array and merge job ids `sweep --slurm` printed.
    private func jobIDs(_ result: VisagCLI.Result, file: StaticString = #filePath, line: UInt = #line) throws -> (array: String, merge: String) {
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        let submitted = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.hasPrefix("submitted array job ") },
                                      result.stdout, file: file, line: line)
        func id(after words: String) throws -> String {
            let range = try XCTUnwrap(submitted.range(of: words + " "), result.stdout, file: file, line: line)
            return String(submitted[range.upperBound...].prefix { $0.isNumber })
        }
        return (try id(after: "array job"), try id(after: "and merge job"))
    }

    private func assertSameResults(_ a: URL, _ b: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        for name in ["results.csv", "summary.csv"] {
            let left = try Data(contentsOf: a.appendingPathComponent(name))
            let right = try Data(contentsOf: b.appendingPathComponent(name))
            XCTAssertFalse(left.isEmpty, file: file, line: line)
            XCTAssertEqual(left, right, "\(name) differs between \(a.path) and \(b.path)", file: file, line: line)
        }
    }

    private func localSweep(_ sweep: String, into directory: URL) throws -> URL {
        let out = directory.appendingPathComponent("local")
        let result = try VisagCLI.run(["sweep", sweep, "--out", out.path, "--jobs", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return out
    }

    private func records(_ folder: URL, shard: Int) -> Int {
        let runs = folder.appendingPathComponent("shards/\(shard)/runs").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).filter { $0.hasSuffix(".json") }.count
    }

    func testBundledStudyThroughSlurmGivesTheLocalSweepsFiles() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("on-slurm")
        let study = "Scenarios/studies/paper-2011.yaml"
        let submitted = try cluster.visag(["sweep", study, "--out", out.path, "--slurm", "--array", "4", "--time", "10:00"])
        let (array, merge) = try jobIDs(submitted)
        XCTAssertTrue(submitted.stdout.contains("squeue -j \(array),\(merge)"), submitted.stdout)

        // The scripts are plain bash that name the visag binary and the sweep by absolute path.
        let arrayScript = try String(contentsOf: out.appendingPathComponent("slurm/array.sbatch"), encoding: .utf8)
        let binary = VisagCLI.binary.resolvingSymlinksInPath().path
        XCTAssertTrue(arrayScript.contains("#SBATCH --array=0-3\n"), arrayScript)
        XCTAssertTrue(arrayScript.contains("#SBATCH --time=10:00\n"), arrayScript)
        XCTAssertTrue(arrayScript.contains("visag='\(binary)'"), arrayScript)
        XCTAssertTrue(arrayScript.contains(CLITests.packageRoot.appendingPathComponent(study).standardizedFileURL.path))
        XCTAssertTrue(arrayScript.contains(#"--shard "$shard/$shards" --out "$dir/shards/$shard" --resume"#), arrayScript)
        let mergeScript = try String(contentsOf: out.appendingPathComponent("slurm/merge.sbatch"), encoding: .utf8)
        XCTAssertTrue(mergeScript.contains(#""$visag" merge "${folders[@]}" --out "$dir""#), mergeScript)

        XCTAssertEqual(try cluster.waitForEnd(of: merge), "COMPLETED")
        try assertSameResults(out, try localSweep(study, into: dir))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.html").path))

        let status = try cluster.visag(["sweep", "status", out.path])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("40 of 40 runs done; 4 of 4 shards done"), status.stdout)
        XCTAssertTrue(status.stdout.contains("merge job \(merge): done"), status.stdout)
        XCTAssertFalse(status.stdout.contains("resubmit"), status.stdout)

        // Submitting into the same folder again is refused; resuming a finished sweep submits nothing.
        let again = try cluster.visag(["sweep", study, "--out", out.path, "--slurm", "--array", "4"])
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.stderr.contains("sweep status"), again.stderr)
        let resumed = try cluster.visag(["sweep", study, "--out", out.path, "--slurm", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.hasPrefix("nothing to resubmit"), resumed.stdout)
    }

    func testCancelledTaskIsReportedAndTheResubmitCommandFinishesIt() throws {
        let dir = try temporaryDirectory()
        let base = CLITests.packageRoot.appendingPathComponent("Scenarios/policies/recycle.yaml").path
        // 8 runs of about a second each (debug build): 4 per shard, so a task can be cancelled between two.
        let sweep = dir.appendingPathComponent("s.yaml")
        try "base: \(base)\nset: [workload.applications=2000]\naxes:\n  policies.recycle: [revert, shutdown]\nseeds: 1..4\n"
            .write(to: sweep, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("on-slurm")
        let (array, merge) = try jobIDs(try cluster.visag(["sweep", sweep.path, "--out", out.path, "--slurm", "--array", "2"]))

        // While the tasks are queued or running, resuming is refused (it would run shards twice).
        let early = try cluster.visag(["sweep", sweep.path, "--out", out.path, "--slurm", "--resume"])
        XCTAssertEqual(early.status, 2, early.stdout)
        XCTAssertTrue(early.stderr.contains("still queued or running (job \(array))"), early.stderr)

        // Cancel shard 1 once it has written its first run.
        let deadline = Date().addingTimeInterval(60)
        while records(out, shard: 1) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertGreaterThan(records(out, shard: 1), 0, "shard 1 wrote no run within 60 s")
        try cluster.client("scancel", ["\(array)_1"])
        XCTAssertEqual(try cluster.waitForEnd(of: "\(array)_1"), "CANCELLED")
        XCTAssertEqual(try cluster.waitForEnd(of: "\(array)_0"), "COMPLETED")
        try cluster.waitForNeverSatisfied(merge)
        XCTAssertLessThan(records(out, shard: 1), 4, "shard 1 finished before it was cancelled")

        let status = try cluster.visag(["sweep", "status", out.path])
        XCTAssertEqual(status.status, 0, status.stderr)
        let lines = status.stdout.split(separator: "\n").map(String.init)
        let shardLine = try XCTUnwrap(lines.first { $0.hasPrefix("1 ") }, status.stdout)
        XCTAssertTrue(shardLine.contains("cancelled") && shardLine.contains("job \(array)_1"), shardLine)
        XCTAssertTrue(try XCTUnwrap(lines.first { $0.hasPrefix("0 ") }).contains("4/4"), status.stdout)
        XCTAssertTrue(status.stdout.contains("failed: shard 1"), status.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("results.csv").path))

        // The printed command, run as printed, submits shard 1 again and a new merge job.
        let heading = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("resubmit the unfinished shards (1)") }, status.stdout)
        let command = lines[heading + 1].trimmingCharacters(in: .whitespaces).split(separator: " ").map(String.init)
        XCTAssertEqual(command.suffix(2), ["--slurm", "--resume"])
        let resubmitted = try VisagCLI.run(Array(command.dropFirst()), launcher: URL(fileURLWithPath: command[0]),
                                           environment: cluster.environment)
        let (newArray, newMerge) = try jobIDs(resubmitted)
        XCTAssertTrue(resubmitted.stdout.contains("shard 1 of 2"), resubmitted.stdout)
        // The merge job left waiting for the cancelled task is cancelled, not left queued for good.
        XCTAssertTrue(resubmitted.stdout.hasPrefix("cancelled merge job \(merge)"), resubmitted.stdout)
        XCTAssertEqual(try cluster.waitForEnd(of: merge), "CANCELLED")
        XCTAssertEqual(try cluster.waitForEnd(of: newMerge), "COMPLETED")
        XCTAssertTrue(try String(contentsOf: out.appendingPathComponent("slurm/logs/shard-1.out"), encoding: .utf8)
            .contains("== job \(newArray)_1"))
        try assertSameResults(out, try localSweep(sweep.path, into: dir))

        let finished = try cluster.visag(["sweep", "status", out.path])
        XCTAssertTrue(finished.stdout.contains("8 of 8 runs done; 2 of 2 shards done"), finished.stdout)
    }

    func testFailingTaskFailsTheMergeDependencyAndStatusSaysWhich() throws {
        let dir = try temporaryDirectory()
        let trace = "id,arrival_s,compute_s\n0,1,60\n1,5,120\n2,9,30\n3,20,90\n"
        for name in ["a.csv", "b.csv"] {
            try trace.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try "workload: {kind: trace, file: a.csv}\n".write(to: dir.appendingPathComponent("base.yaml"), atomically: true,
                                                            encoding: .utf8)
        let sweep = dir.appendingPathComponent("s.yaml")
        try "base: base.yaml\naxes:\n  workload.file: [a.csv, b.csv]\nseeds: 1\n".write(to: sweep, atomically: true,
                                                                                      encoding: .utf8)
        let out = dir.appendingPathComponent("on-slurm")
        // Held, so the cell's trace can go bad after the submission checked it and before its task reads it.
        let (array, merge) = try jobIDs(try cluster.visag(["sweep", sweep.path, "--out", out.path, "--slurm", "--array", "2",
                                                           "--sbatch-arg=--hold"]))
        try "id,arrival_s,compute_s\n0,soon,60\n".write(to: dir.appendingPathComponent("b.csv"), atomically: true,
                                                        encoding: .utf8)
        XCTAssertEqual(try cluster.client("scontrol", ["release", array, merge]).status, 0)

        XCTAssertEqual(try cluster.waitForEnd(of: "\(array)_0"), "COMPLETED")
        XCTAssertEqual(try cluster.waitForEnd(of: "\(array)_1"), "FAILED")
        try cluster.waitForNeverSatisfied(merge)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("results.csv").path))

        let status = try cluster.visag(["sweep", "status", out.path])
        XCTAssertEqual(status.status, 0, status.stderr)
        let lines = status.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(try XCTUnwrap(lines.first { $0.hasPrefix("0 ") }, status.stdout).hasSuffix("done"), status.stdout)
        let failed = try XCTUnwrap(lines.first { $0.hasPrefix("1 ") }, status.stdout)
        XCTAssertTrue(failed.contains("0/1"), failed)
        XCTAssertTrue(failed.contains("failed, exit 2: visag: "), failed)
        XCTAssertTrue(failed.contains("b.csv:2:3: error: arrival_s 'soon' is not a number"), failed)
        XCTAssertTrue(status.stdout.contains("failed: shard 1"), status.stdout)
        XCTAssertTrue(status.stdout.contains("merge job \(merge): will never start: a task it waits for did not succeed"),
                      status.stdout)
        XCTAssertTrue(status.stdout.contains("resubmit the unfinished shards (1) and a new merge job with:"), status.stdout)
    }
}
