import Foundation
import XCTest

/// `sweep --slurm`'s refusals and `--shard` from a Slurm array's environment, with no cluster: a stand-in `sbatch`
/// on PATH records what it is asked (the real submissions are `SlurmSweepTests`').
extension CLITests {
    static let smallStudy = "Scenarios/studies/paper-2011.yaml"

    /// A folder holding an `sbatch` that appends its arguments to `calls` and prints job ids 100, 101, …
    func fakeSlurm(in directory: URL) throws -> (path: String, calls: URL) {
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let calls = directory.appendingPathComponent("calls")
        let script = """
            #!/bin/sh
            echo "$*" >> '\(calls.path)'
            echo $((100 + $(wc -l < '\(calls.path)') - 1))

            """
        let sbatch = bin.appendingPathComponent("sbatch")
        try script.write(to: sbatch, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: sbatch.path)
        return (bin.path + ":/usr/bin:/bin", calls)
    }

    func testSlurmSweepWithoutSbatchIsOneLineAndExitTwo() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("out").path
        let r = try VisagCLI.run(["sweep", Self.smallStudy, "--out", out, "--slurm", "--array", "2"],
                                 environment: ["PATH": dir.path])
        assertRefused(Result(status: r.status, stdout: r.stdout, stderr: r.stderr), saying: "sbatch, which is not on PATH")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is written before sbatch is found")
    }

    func testSlurmOptionsAreCheckedBeforeAnythingIsSubmitted() throws {
        let dir = try temporaryDirectory()
        let (path, calls) = try fakeSlurm(in: dir)
        let out = dir.appendingPathComponent("out").path
        func sweep(_ extra: [String], out: String = out) throws -> Result {
            let r = try VisagCLI.run(["sweep", Self.smallStudy, "--out", out] + extra, environment: ["PATH": path])
            return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
        }
        assertRefused(try sweep(["--array", "2"]), saying: "--array applies only with --slurm")
        assertRefused(try sweep(["--sbatch-arg=--account=x"]), saying: "--sbatch-arg applies only with --slurm")
        assertRefused(try sweep(["--slurm"]), saying: "--slurm needs --array N")
        assertRefused(try sweep(["--slurm", "--array", "2", "--shard", "0/2"]), saying: "leave out --shard")
        assertRefused(try sweep(["--slurm", "--array", "0"]), saying: "--array must be >= 1")
        assertRefused(try sweep(["--slurm", "--array", "2", "--time", "an hour"]), saying: "--time: expected Slurm's time format")
        assertRefused(try sweep(["--slurm", "--array", "2", "--sbatch-arg=--output=x.log"]), saying: "visag sets --output itself")
        assertRefused(try sweep(["--slurm", "--array", "2", "--sbatch-arg", "account=x"]), saying: "expected one sbatch option")
        assertRefused(try sweep(["--slurm", "--array", "41"]), saying: "--array 41 is more array tasks than the sweep's 40 runs")
        assertRefused(try sweep(["--slurm", "--array", "2"], out: dir.appendingPathComponent("a b").path),
                      saying: "cannot hold a path with \" \"")
        assertRefused(try sweep(["--slurm", "--resume"]), saying: "holds no sweep submitted to Slurm")
        assertRefused(try sweep(["--slurm", "--array", "2", "--timeline-cell", "9"]), saying: "timeline")
        assertRefused(try sweep(["--slurm", "--resume", "--timeline-vms", "3"]), saying: "edit it to change --timeline-vms")
        XCTAssertFalse(FileManager.default.fileExists(atPath: calls.path), "sbatch was called")
        assertRefused(try visag(["sweep", "status", out]), saying: "holds no sweep submitted to Slurm")
    }

    func testSlurmSweepWritesTheScriptsAndSubmitsTheMergeAfterTheArray() throws {
        let dir = try temporaryDirectory()
        let (path, calls) = try fakeSlurm(in: dir)
        let out = dir.appendingPathComponent("out").path
        let r = try VisagCLI.run(["sweep", Self.smallStudy, "--out", out, "--slurm", "--array", "3", "--jobs", "2",
                                  "--partition", "short", "--time", "1-00:30", "--sbatch-arg=--account=grid",
                                  "--sbatch-arg", "--qos=low", "--timeline-cell", "2", "--max-memory", "4G"],
                                 environment: ["PATH": path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("submitted array job 100 (3 tasks: shards 0-2 of 3 over 40 runs, 2 cores each) and merge job 101"),
                      r.stdout)
        let submitted = try String(contentsOf: calls, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(submitted, ["--parsable \(out)/slurm/array.sbatch",
                                   "--parsable --dependency=afterok:100 \(out)/slurm/merge.sbatch"])
        let array = try String(contentsOfFile: out + "/slurm/array.sbatch", encoding: .utf8)
        for line in ["#SBATCH --array=0-2", "#SBATCH --cpus-per-task=2", "#SBATCH --partition=short",
                     "#SBATCH --time=1-00:30", "#SBATCH --account=grid", "#SBATCH --qos=low",
                     "#SBATCH --output=\(out)/slurm/logs/shard-%a.out", "shards=3",
                     #"    --jobs "${SLURM_CPUS_PER_TASK:-2}" --timeline-cell 2 --max-memory 4G &"#] {
            XCTAssertTrue(array.contains(line + "\n"), "no \(line) in:\n\(array)")
        }
        let merge = try String(contentsOfFile: out + "/slurm/merge.sbatch", encoding: .utf8)
        XCTAssertTrue(merge.contains("#SBATCH --account=grid\n") && !merge.contains("--array"), merge)
        XCTAssertTrue(merge.contains(#""$visag" sweep status "$dir" --check"#), merge)
        // Nothing has run (the stand-in sbatch ran nothing): the merge script's check fails.
        let check = try VisagCLI.run(["sweep", "status", out, "--check"],
                                     environment: ["PATH": dir.appendingPathComponent("bin").path])
        XCTAssertEqual(check.status, 1, check.stdout)
        XCTAssertTrue(check.stderr.contains("shards 0, 1, 2 have not written all their runs"), check.stderr)
        // Both scripts are valid bash.
        for script in ["array", "merge"] {
            let syntax = try VisagCLI.run(["-n", "\(out)/slurm/\(script).sbatch"], launcher: URL(fileURLWithPath: "/bin/bash"))
            XCTAssertEqual(syntax.status, 0, syntax.stderr)
        }
        let record = try String(contentsOfFile: out + "/slurm/submission.json", encoding: .utf8)
        XCTAssertTrue(record.contains("\"arrayJob\" : \"100\"") && record.contains("\"mergeJob\" : \"101\""), record)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/shards"))
    }

    func testBareShardTakesTheSlurmArrayTask() throws {
        let dir = try temporaryDirectory()
        let explicit = dir.appendingPathComponent("explicit").path
        let fromEnvironment = dir.appendingPathComponent("env").path
        XCTAssertEqual(try visag(["sweep", Self.smallStudy, "--out", explicit, "--shard", "1/3", "--jobs", "1"]).status, 0)
        let task = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0",
                    "SLURM_ARRAY_TASK_MAX": "2"]
        let r = try VisagCLI.run(["sweep", Self.smallStudy, "--out", fromEnvironment, "--shard", "--jobs", "1"],
                                 environment: task)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("40 runs, 13 in this shard"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: explicit + "/results.csv")),
                       try Data(contentsOf: URL(fileURLWithPath: fromEnvironment + "/results.csv")))
        // Last on the line, too.
        let last = try VisagCLI.run(["sweep", Self.smallStudy, "--out", fromEnvironment, "--resume", "--shard"],
                                    environment: task)
        XCTAssertEqual(last.status, 0, last.stderr)
        XCTAssertTrue(last.stdout.hasPrefix("0 runs"), last.stdout)

        func refused(_ environment: [String: String], saying text: String) throws {
            let r = try VisagCLI.run(["sweep", Self.smallStudy, "--out", dir.appendingPathComponent("x").path, "--shard"],
                                     environment: environment)
            assertRefused(Result(status: r.status, stdout: r.stdout, stderr: r.stderr), saying: text)
        }
        // The test runner may itself run inside a Slurm job: the variables are set empty-handed here.
        try refused(["SLURM_ARRAY_TASK_ID": "", "SLURM_ARRAY_TASK_COUNT": ""], saying: "needs an array numbered 0 to n-1")
        // A resubmitted subset (--array=1,2) cannot tell n.
        try refused(task.merging(["SLURM_ARRAY_TASK_MIN": "1"]) { $1 }, saying: "give --shard i/n")
    }
}
