import Foundation
import XCTest

/// `visag run`'s outputs as a user meets them: never replacing what is not a regular file, folders created,
/// `--out` replaced whole, nothing temporary left behind.
final class OutputCLITests: XCTestCase {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("visag-outputs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func entries(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    func kind(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode & S_IFMT
    }

    func run(_ extra: [String]) throws -> VisagCLI.Result {
        try VisagCLI.run(["run", "Scenarios/quickstart.yaml", "--until", "30m"] + extra)
    }

    func testAFIFOTraceGetsEveryLineAndStaysAFIFO() throws {
        let dir = try temporaryDirectory()
        let fifo = dir + "/trace.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let received = ReadToEnd(path: fifo)
        let r = try run(["--trace", fifo])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = String(decoding: received.wait(), as: UTF8.self).split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 100)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)))
        XCTAssertEqual(kind(fifo), S_IFIFO)
        XCTAssertEqual(try entries(dir), ["trace.fifo"])
    }

    func testDevNullStaysACharacterDevice() throws {
        var before = stat()
        XCTAssertEqual(stat("/dev/null", &before), 0)
        let r = try run(["--trace", "/dev/null", "--perfetto", "/dev/null"])
        XCTAssertEqual(r.status, 0, r.stderr)
        var after = stat()
        XCTAssertEqual(stat("/dev/null", &after), 0)
        XCTAssertEqual(after.st_mode & S_IFMT, S_IFCHR)
        XCTAssertEqual(after.st_rdev, before.st_rdev)
        XCTAssertEqual(after.st_ino, before.st_ino)
    }

    func testATraceToStandardOutputComesBeforeTheSummary() throws {
        let r = try run(["--trace", "/dev/stdout", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 100)
        XCTAssertTrue(lines[0].contains("\"schema\":\"visag-trace\""), "the trace's header: \(lines[0])")
        XCTAssertTrue(lines[1].hasPrefix("{\"") && lines[1].contains("\"t\":"), "the trace's first event: \(lines[1])")
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        XCTAssertEqual(summary["scenario"] as? String, "quickstart")
    }

    func testASymlinkStaysAndItsTargetGetsTheTrace() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
        try "old".write(toFile: dir + "/real/trace.jsonl", atomically: false, encoding: .utf8)
        XCTAssertEqual(symlink("real/trace.jsonl", dir + "/link.jsonl"), 0)
        let r = try run(["--trace", dir + "/link.jsonl"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(kind(dir + "/link.jsonl"), S_IFLNK)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.jsonl"), "real/trace.jsonl")
        let lines = try String(contentsOfFile: dir + "/real/trace.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 100)
        XCTAssertEqual(try entries(dir + "/real"), ["trace.jsonl"])
    }

    func testAnEmptyOutputPathIsBadInput() throws {
        for flag in ["--trace", "--perfetto", "--out"] {
            let empty = try run([flag, ""])
            XCTAssertEqual(empty.status, 2, empty.stderr)
            XCTAssertTrue(empty.stderr.contains("an output path is empty"), empty.stderr)
            XCTAssertEqual(empty.stdout, "", "nothing runs")
        }
    }

    func testAFolderOrAFileUnderAFileIsExitOneNamingThePath() throws {
        let dir = try temporaryDirectory()
        try "x".write(toFile: dir + "/plain", atomically: false, encoding: .utf8)
        for flag in ["--trace", "--perfetto"] {
            let folder = try run([flag, dir])
            XCTAssertEqual(folder.status, 1, folder.stderr)
            XCTAssertTrue(folder.stderr.contains("\(dir): error: is a directory"), folder.stderr)
            let underFile = try run([flag, dir + "/plain/x.json"])
            XCTAssertEqual(underFile.status, 1, underFile.stderr)
            XCTAssertTrue(underFile.stderr.contains(dir + "/plain"), underFile.stderr)
            XCTAssertEqual(underFile.stdout, "", "nothing runs when an output cannot be written")
        }
        let out = try run(["--out", dir + "/plain"])
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("\(dir)/plain: error: exists and is not a folder"), out.stderr)
        let outUnderFile = try run(["--out", dir + "/plain/out"])
        XCTAssertEqual(outUnderFile.status, 1, outUnderFile.stderr)
        // The other outputs were opened first: their temporary file and folder go too.
        let late = try run(["--out", dir + "/out", "--trace", dir + "/trace.jsonl", "--perfetto", dir])
        XCTAssertEqual(late.status, 1, late.stderr)
        let itself = try run(["--out", dir + "/out", "--trace", dir + "/out"])
        XCTAssertEqual(itself.status, 1, itself.stderr)
        XCTAssertTrue(itself.stderr.contains("is the output folder itself"), itself.stderr)
        XCTAssertEqual(try entries(dir), ["plain"], "no temporary file or folder left behind")
    }

    func testMissingFoldersOfEveryOutputAreCreated() throws {
        let dir = try temporaryDirectory()
        let r = try run(["--out", dir + "/a/b/out", "--trace", dir + "/c/d/trace.jsonl", "--perfetto", dir + "/e/f/run.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try entries(dir + "/a/b/out"), ["applications.csv", "nodes.csv", "summary.json", "vms.csv"])
        XCTAssertEqual(try entries(dir + "/c/d"), ["trace.jsonl"])
        XCTAssertEqual(try entries(dir + "/e/f"), ["run.json"])
        XCTAssertEqual(try entries(dir + "/a/b"), ["out"])
    }

    /// The README's example, twice: the second run replaces the first run's folder, trace included, and an extra
    /// file in it is gone; a folder that holds no earlier run is refused and left alone.
    func testARerunReplacesTheOutFolderWhole() throws {
        let dir = try temporaryDirectory()
        let out = dir + "/out"
        let first = try run(["--out", out + "/", "--trace", out + "/trace.jsonl", "--seed", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let expected = ["applications.csv", "nodes.csv", "summary.json", "trace.jsonl", "vms.csv"]
        XCTAssertEqual(try entries(out), expected)
        try "stale".write(toFile: out + "/stale.csv", atomically: false, encoding: .utf8)
        let firstSummary = try String(contentsOfFile: out + "/summary.json", encoding: .utf8)
        let second = try run(["--out", out, "--trace", out + "/trace.jsonl", "--seed", "2"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try entries(out), expected, "no stale file")
        let secondSummary = try String(contentsOfFile: out + "/summary.json", encoding: .utf8)
        XCTAssertNotEqual(firstSummary, secondSummary)
        XCTAssertTrue(secondSummary.contains("\"seed\":2"), secondSummary)
        let digest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(secondSummary.utf8)) as? [String: Any])["digest"]
        XCTAssertNotNil(digest)
        XCTAssertEqual(try entries(dir), ["out"], "no new or old folder left beside it")

        let mine = dir + "/mine"
        try FileManager.default.createDirectory(atPath: mine, withIntermediateDirectories: true)
        try "keep".write(toFile: mine + "/notes.txt", atomically: false, encoding: .utf8)
        let refused = try run(["--out", mine])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("no summary.json"), refused.stderr)
        XCTAssertEqual(try entries(mine), ["notes.txt"])
        XCTAssertEqual(try entries(dir), ["mine", "out"])
    }

    func testAStoppedRunLeavesNoTemporaryFile() throws {
        let dir = try temporaryDirectory()
        for signalNumber in [SIGTERM, SIGINT] {
            let process = Process()
            process.executableURL = VisagCLI.binary
            process.arguments = ["run", "Scenarios/quickstart.yaml", "--set", "workload.applications=50000",
                                 "--out", dir + "/out", "--trace", dir + "/trace.jsonl", "--perfetto", dir + "/run.json"]
            process.currentDirectoryURL = CLITests.packageRoot
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait until the trace's temporary file has bytes in it: the run is under way.
            var started = false
            for _ in 0..<600 where !started {
                usleep(50_000)
                started = try entries(dir).contains { name in
                    name.hasPrefix(".trace.jsonl.tmp-")
                        && ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + name)[.size] as? Int) ?? 0) > 0
                }
            }
            XCTAssertTrue(started, "the run never started writing its trace")
            kill(process.processIdentifier, signalNumber)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal)
            XCTAssertEqual(process.terminationStatus, signalNumber)
            XCTAssertEqual(try entries(dir), [], "signal \(signalNumber): nothing left behind")
        }
    }
}

/// Reads a path (a FIFO) to its end on another thread.
private final class ReadToEnd: @unchecked Sendable {
    // Written once by the reading thread before `done` is signalled; read after waiting on it.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(path: String) {
        Thread {
            self.data = FileHandle(forReadingAtPath: path)?.readDataToEndOfFile() ?? Data()
            self.done.signal()
        }.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
