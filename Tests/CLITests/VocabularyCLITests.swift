import Bench
import Foundation
import Sim
import XCTest

/// One vocabulary across subcommands: `--out` a folder and `--output` a file, `--json` wherever results are
/// printed (one object with the provenance block), durations wherever a time is asked, and one seed-list syntax
/// in flags and sweep files.
final class VocabularyCLITests: XCTestCase {
    func visag(_ arguments: [String], environment: [String: String] = [:]) throws -> VisagCLI.Result {
        try VisagCLI.run(arguments, environment: environment)
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("visag-words-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func decode<T: Decodable>(_ type: T.Type, _ result: VisagCLI.Result, file: StaticString = #filePath,
                              line: UInt = #line) throws -> T {
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 1, "one line of JSON: \(result.stdout)",
                       file: file, line: line)
        return try JSONDecoder().decode(T.self, from: Data(result.stdout.utf8))
    }

    /// A command line's provenance block names this command.
    func assertProvenance(_ provenance: Provenance?, command: [String], file: StaticString = #filePath,
                          line: UInt = #line) {
        XCTAssertEqual(provenance.map { Array($0.command.dropFirst()) }, command, file: file, line: line)
        XCTAssertFalse(provenance?.version.isEmpty ?? true, file: file, line: line)
    }

    // MARK: --output

    func testFileOutputsAreOutputAndTheOldOutStillWorksWithANote() throws {
        let dir = try temporaryDirectory()
        let key = dir.appendingPathComponent("key").path
        let keygen = try visag(["config", "keygen", "--output", key])
        XCTAssertEqual(keygen.status, 0, keygen.stderr)
        XCTAssertEqual(keygen.stderr, "")
        let old = dir.appendingPathComponent("old.key").path
        let deprecated = try visag(["config", "keygen", "--out", old])
        XCTAssertEqual(deprecated.status, 0, deprecated.stderr)
        XCTAssertEqual(deprecated.stderr.split(separator: "\n").count, 1, deprecated.stderr)
        XCTAssertTrue(deprecated.stderr.contains("--out FILE is deprecated here, use --output FILE"), deprecated.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: old))
        try "uri: test:///default\n".write(toFile: dir.appendingPathComponent("hv.conf").path, atomically: true, encoding: .utf8)
        let encrypted = dir.appendingPathComponent("hv.enc").path
        let encrypt = try visag(["config", "encrypt", dir.appendingPathComponent("hv.conf").path, "--key-file", key,
                                 "--out", encrypted])
        XCTAssertEqual(encrypt.status, 0, encrypt.stderr)
        XCTAssertTrue(encrypt.stderr.contains("deprecated"), encrypt.stderr)
        XCTAssertEqual(try visag(["config", "decrypt", encrypted, "--key-file", key]).stdout, "uri: test:///default\n")
        let both = try visag(["config", "keygen", "--output", key + "2", "--out", key + "3"])
        XCTAssertEqual(both.status, 2, both.stderr)
        let neither = try visag(["config", "keygen"])
        XCTAssertEqual(neither.status, 2, neither.stderr)
        XCTAssertTrue(neither.stderr.contains("missing --output FILE"), neither.stderr)
        // The old spelling is not offered in any help page where --output is.
        for command in [["shrink"], ["calibrate"], ["config", "encrypt"], ["config", "keygen"]] {
            let help = try visag(command + ["--help"]).stdout
            XCTAssertTrue(help.contains("--output <output>"), "\(command): \(help)")
            XCTAssertFalse(help.contains("--out <"), "\(command): \(help)")
        }
    }

    /// `--out` names a folder and `--trace` an output trace in every subcommand that has them.
    func testOutIsAFolderAndTraceAnOutputEverywhere() throws {
        for command in [["run"], ["sweep", "run"], ["merge"], ["bench", "matrix"]] {
            let help = try visag(command + ["--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            XCTAssertTrue(help.contains("--out <out>"), "\(command): \(help)")
            XCTAssertTrue(help.lowercased().contains("folder"), "\(command): \(help)")
        }
        for command in [["run"], ["replay"]] {
            let help = try visag(command + ["--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            XCTAssertTrue(help.contains("--trace <trace> Write the"), "\(command): \(help)")
        }
        let pool = try visag(["bench", "vm-pool", "--help"]).stdout
        XCTAssertTrue(pool.contains("--jobs-file") && !pool.contains("--trace"), pool)
    }

    // MARK: --json

    func testReplayAndShrinkPrintOneJSONObject() throws {
        let replayCommand = ["replay", "Scenarios/races/dhcp-lease.yaml", "--seed", "2", "--around", "50m",
                             "--window", "5s", "--json"]
        let replay = try visag(replayCommand)
        XCTAssertEqual(replay.status, 1, "seed 2 breaks an invariant: \(replay.stderr)")
        let report = try decode(ReplayReport.self, replay)
        XCTAssertFalse(report.violations.isEmpty)
        XCTAssertEqual(report.summary.seed, 2)
        XCTAssertEqual(report.window?.centerSeconds, 3000)
        XCTAssertEqual(report.window?.halfWidthSeconds, 5)
        XCTAssertEqual(report.provenance?.seed, 2)
        assertProvenance(report.provenance, command: replayCommand)
        let text = try visag(Array(replayCommand.dropLast()))
        XCTAssertEqual(text.status, 1)
        XCTAssertTrue(text.stdout.contains("digest: \(report.summary.digest)") || text.stdout.contains(report.summary.digest),
                      "the same run both ways")

        let output = try temporaryDirectory().appendingPathComponent("small.yaml").path
        let shrinkCommand = ["shrink", "Scenarios/races/dhcp-lease.yaml", "--seed", "2", "--output", output, "--json"]
        let shrink = try visag(shrinkCommand)
        XCTAssertEqual(shrink.status, 0, shrink.stderr)
        let shrunk = try decode(ShrinkReport.self, shrink)
        XCTAssertEqual(shrunk.output, output)
        XCTAssertEqual(shrunk.shrunk.fromSeed, 2)
        XCTAssertFalse(shrunk.shrunk.overrides.isEmpty)
        assertProvenance(shrunk.provenance, command: shrinkCommand)
        let again = try visag(Array(shrunk.shrunk.replay.split(separator: " ").drop { $0 != "visag" }.dropFirst().map(String.init)))
        XCTAssertEqual(again.status, 1, "the reduced scenario still fails: \(again.stdout)")
    }

    func testSweepMergeAndReportPrintOneJSONObject() throws {
        let dir = try temporaryDirectory()
        let study = "Scenarios/studies/paper-2011.yaml"
        var shards: [String] = []
        for shard in 0..<2 {
            let out = dir.appendingPathComponent("shard\(shard)").path
            shards.append(out)
            let command = ["sweep", study, "--out", out, "--shard", "\(shard)/8", "--jobs", "1", "--json"]
            let sweep = try visag(command)
            XCTAssertEqual(sweep.status, 0, sweep.stderr)
            let report = try decode(SweepRunReport.self, sweep)
            XCTAssertEqual(report.runs, 40)
            XCTAssertEqual(report.runsInShard, 5)
            XCTAssertEqual(report.outcome.ran, 5)
            XCTAssertEqual(report.outcome.skipped, 0)
            XCTAssertEqual(report.folder, out)
            XCTAssertEqual(report.files.map { ($0 as NSString).lastPathComponent }, ["results.csv", "summary.csv", "report.html"])
            for file in report.files { XCTAssertTrue(FileManager.default.fileExists(atPath: file), file) }
            assertProvenance(report.provenance, command: command)
        }
        let merged = dir.appendingPathComponent("merged").path
        let merge = try visag(["merge"] + shards + ["--out", merged, "--json"])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        let mergeObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(merge.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(mergeObject["runsMerged"] as? Int, 10)
        XCTAssertNotNil(mergeObject["provenance"] as? [String: Any])
        let rebuilt = try visag(["report", merged, "--json"])
        XCTAssertEqual(rebuilt.status, 0, rebuilt.stderr)
        let reportObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(rebuilt.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(reportObject["report"] as? String, merged + "/report.html")
        XCTAssertNotNil(reportObject["provenance"] as? [String: Any])
        XCTAssertEqual(try visag(["sweep", study, "--out", dir.appendingPathComponent("s").path, "--slurm", "--array", "2",
                                  "--json"]).status, 2, "--json describes a local run")
    }

    func testSweepStatusPrintsOneJSONObject() throws {
        let dir = try temporaryDirectory()
        let bin = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let sbatch = bin.appendingPathComponent("sbatch")
        try "#!/bin/sh\necho 100\n".write(to: sbatch, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: sbatch.path)
        let out = dir.appendingPathComponent("out").path
        let submit = try visag(["sweep", "Scenarios/studies/paper-2011.yaml", "--out", out, "--slurm", "--array", "2"],
                               environment: ["PATH": bin.path])
        XCTAssertEqual(submit.status, 0, submit.stderr)
        let status = try visag(["sweep", "status", out, "--json"], environment: ["PATH": bin.path])
        XCTAssertEqual(status.status, 0, status.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["runs"] as? Int, 40)
        let shards = try XCTUnwrap(object["shards"] as? [[String: Any]])
        XCTAssertEqual(shards.map { $0["planned"] as? Int }, [20, 20])
        XCTAssertEqual(shards.map { $0["kind"] as? String }, ["notStarted", "notStarted"])
        XCTAssertEqual(object["unfinished"] as? [Int], [0, 1])
        XCTAssertNotNil(object["resubmit"] as? String)
        XCTAssertNotNil(object["provenance"] as? [String: Any])
    }

    func testBenchVMPoolPrintsOneJSONObjectAndTakesADuration() throws {
        let base = ["bench", "vm-pool", "--jobs-file", "Tests/SimTests/Fixtures/jobs_2k.csv", "--hosts", "50"]
        let text = try visag(base + ["--prep", "35"])
        XCTAssertEqual(text.status, 0, text.stderr)
        let command = base + ["--prep", "35s", "--json"]
        let json = try visag(command)
        XCTAssertEqual(json.status, 0, json.stderr)
        let result = try decode(VMPoolBenchmark.Result.self, json)
        XCTAssertEqual(result.hosts, 50)
        XCTAssertTrue(text.stdout.hasPrefix("jobs=\(result.jobs) hosts=50 end=\(fixed(result.endSeconds, 3)) "),
                      "35 and 35s are the same run: \(text.stdout)")
        assertProvenance(result.provenance, command: command)
        let seconds = try decode(VMPoolBenchmark.Result.self, try visag(base + ["--prep", "30", "--json"]))
        let minutes = try decode(VMPoolBenchmark.Result.self, try visag(base + ["--prep", "0.5m", "--json"]))
        XCTAssertEqual(minutes.endSeconds, seconds.endSeconds)
        XCTAssertNotEqual(minutes.endSeconds, result.endSeconds, "--prep changes the run")
        let bad = try visag(base + ["--prep", "forever"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--prep must be a number of seconds from 0 to 1e9 or a duration"), bad.stderr)
    }

    func testCalibrateAndValidatePrintOneJSONObject() throws {
        let dir = try temporaryDirectory()
        let calibration = dir.appendingPathComponent("cal.yaml").path
        let command = ["calibrate", "--cycles", "3", "--only", "revert,keyWrite", "--shutdown-wait", "2s",
                       "--output", calibration, "--json"]
        let calibrate = try visag(command)
        XCTAssertEqual(calibrate.status, 0, calibrate.stderr)
        let report = try decode(CalibrationReport.self, calibrate)
        XCTAssertEqual(report.operations.map(\.field), ["hypervisor.revert", "hypervisor.keyWrite"])
        XCTAssertEqual(report.operations.map(\.samples), [3, 3])
        XCTAssertTrue(report.notMeasured.contains("hypervisor.clone"))
        XCTAssertEqual(report.output, calibration)
        assertProvenance(report.provenance, command: command)
        XCTAssertTrue(FileManager.default.fileExists(atPath: calibration))
        let badWait = try visag(["calibrate", "--shutdown-wait=-1", "--output", calibration])
        XCTAssertEqual(badWait.status, 2)
        XCTAssertTrue(badWait.stderr.contains("--shutdown-wait: expected seconds"), badWait.stderr)

        let validate = try visag(["validate", "Scenarios/guests/tcg-validate.yaml", "--calibration", calibration,
                                  "--seeds", "1,2", "--time-scale", "0.0005", "--json"])
        XCTAssertEqual(validate.status, 0, validate.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(validate.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["seeds"] as? [Int], [1, 2])
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.first?["metric"] as? String, "VM preparation p50 (s)")
        XCTAssertNotNil(rows.first?["ratio"] as? Double)
        XCTAssertEqual((object["measured"] as? [String: Any])?["applicationsCompleted"] as? Int, 16)
        let provenance = try XCTUnwrap(object["provenance"] as? [String: Any])
        XCTAssertEqual(provenance["seeds"] as? [Int], [1, 2])
    }

    // MARK: Seed lists

    func testSweepFilesTakeSeedListsAndNameTheLineOfABadOne() throws {
        let dir = try temporaryDirectory()
        let root = CLITests.packageRoot.path
        func sweepFile(_ seeds: String) throws -> String {
            let path = dir.appendingPathComponent("sweep-\(UUID().uuidString).yaml").path
            try """
                base: \(root)/Scenarios/quickstart.yaml
                axes:
                  policies.recycle: [revert, shutdown]
                seeds: \(seeds)
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        for (seeds, expected) in [("[2, 5, 9]", "2,5,9"), ("\"1..3,7\"", "1..3,7"), ("4..6", "4..6"), ("2", "1..2")] {
            let out = dir.appendingPathComponent("out-\(UUID().uuidString)").path
            let sweep = try visag(["sweep", try sweepFile(seeds), "--out", out, "--jobs", "1", "--json"])
            XCTAssertEqual(sweep.status, 0, "\(seeds): \(sweep.stderr)")
            let report = try decode(SweepRunReport.self, sweep)
            XCTAssertEqual(report.seeds, expected, seeds)
            let records = try FileManager.default.contentsOfDirectory(atPath: out + "/runs")
            let ran = Set(records.map { $0.split(separator: "-s").last!.dropLast(5) }.map { String($0) })
            let want = try SeedList(parsing: expected, maxSeeds: 100).seeds.map(String.init)
            XCTAssertEqual(ran, Set(want), seeds)
            XCTAssertEqual(report.outcome.ran, 2 * want.count, seeds)
            // The report rebuilds from the folder (its manifest keeps the list).
            XCTAssertEqual(try visag(["report", out]).status, 0, seeds)
        }
        for (seeds, message) in [("1..x", "\"1..x\" is not a seed N or a range A..B"), ("[3..1]", "a range A..B needs A <= B"),
                                 ("[]", "expected at least one seed"), ("0", "a seed count is 1 to 10000000, found 0")] {
            let file = try sweepFile(seeds)
            let sweep = try visag(["sweep", file, "--out", dir.appendingPathComponent("bad").path])
            XCTAssertEqual(sweep.status, 2, "\(seeds): \(sweep.stderr)")
            XCTAssertTrue(sweep.stderr.contains("\(file):4:"), "\(seeds): names the file and line: \(sweep.stderr)")
            XCTAssertTrue(sweep.stderr.contains(message), "\(seeds): \(sweep.stderr)")
        }
    }

    func testSeedFlagsShareTheSweepFilesParser() throws {
        let check = try visag(["check", "Scenarios/policies/recycle.yaml", "--seeds", "3, 1..2", "--json", "--no-shrink"])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertEqual(try JSONDecoder().decode(CheckReport.self, from: Data(check.stdout.utf8)).seeds.checked, [3, 1, 2])
        let bad = try visag(["check", "Scenarios/quickstart.yaml", "--seeds", "5..2"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("a range A..B needs A <= B"), bad.stderr)
    }
}
