import Foundation
import XCTest
@testable import Sim

/// The output writer: what is at a path decides whether it is replaced or written through.
final class OutputFileTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("visag-output-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func entries(_ folder: String? = nil) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder ?? directory).sorted()
    }

    func kind(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode & S_IFMT
    }

    func testARegularFileIsReplacedWhole() throws {
        try "old text that is longer".write(toFile: path("a.txt"), atomically: false, encoding: .utf8)
        let before = OutputFile.registeredTemporaryCount
        try OutputFile.write("new", to: path("a.txt"))
        XCTAssertEqual(try String(contentsOfFile: path("a.txt"), encoding: .utf8), "new")
        XCTAssertEqual(try entries(), ["a.txt"])
        XCTAssertEqual(OutputFile.registeredTemporaryCount, before)
    }

    func testAFIFOGetsTheBytesAndStaysAFIFO() throws {
        let fifo = path("trace.fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let received = Locked(Data())
        let reader = Thread {
            let handle = FileHandle(forReadingAtPath: fifo)!
            let data = handle.readDataToEndOfFile()
            received.withLock { $0 = data }
        }
        reader.start()
        let text = String(repeating: "line of a trace\n", count: 10_000)
        let file = try OutputFile(path: fifo)
        XCTAssertTrue(file.writesThrough)
        file.write(text)
        try file.commit()
        for _ in 0..<500 where received.withLock({ $0.isEmpty }) { usleep(10_000) }
        XCTAssertEqual(received.withLock { $0 }, Data(text.utf8))
        XCTAssertEqual(kind(fifo), S_IFIFO)
        XCTAssertEqual(try entries(), ["trace.fifo"])
    }

    func testACharacterDeviceIsWrittenThroughNeverReplaced() throws {
        var before = stat()
        XCTAssertEqual(stat("/dev/null", &before), 0)
        try OutputFile.write("discarded\n", to: "/dev/null")
        try OutputFile.write("discarded\n", to: "/dev/null", options: .private)
        var after = stat()
        XCTAssertEqual(stat("/dev/null", &after), 0)
        XCTAssertEqual(after.st_mode & S_IFMT, S_IFCHR)
        XCTAssertEqual(after.st_rdev, before.st_rdev)
        XCTAssertEqual(after.st_ino, before.st_ino)
    }

    func testASymlinkStaysAndItsTargetGetsTheContent() throws {
        try FileManager.default.createDirectory(atPath: path("real"), withIntermediateDirectories: true)
        try "old".write(toFile: path("real/target.txt"), atomically: false, encoding: .utf8)
        XCTAssertEqual(symlink("real/target.txt", path("link.txt")), 0)
        try OutputFile.write("new", to: path("link.txt"))
        XCTAssertEqual(kind(path("link.txt")), S_IFLNK)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("link.txt")), "real/target.txt")
        XCTAssertEqual(try String(contentsOfFile: path("real/target.txt"), encoding: .utf8), "new")
        XCTAssertEqual(try entries(path("real")), ["target.txt"])
        // A dangling link: its target is created, the link kept.
        XCTAssertEqual(symlink("real/made.txt", path("dangling.txt")), 0)
        try OutputFile.write("made", to: path("dangling.txt"))
        XCTAssertEqual(kind(path("dangling.txt")), S_IFLNK)
        XCTAssertEqual(try String(contentsOfFile: path("real/made.txt"), encoding: .utf8), "made")
        // A link to a device writes through to it.
        XCTAssertEqual(symlink("/dev/null", path("null")), 0)
        try OutputFile.write("x", to: path("null"))
        XCTAssertEqual(kind(path("null")), S_IFLNK)
        XCTAssertEqual(kind("/dev/null"), S_IFCHR)
    }

    func testADirectoryIsAnErrorNamingThePath() throws {
        try FileManager.default.createDirectory(atPath: path("folder"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try OutputFile.write("x", to: path("folder"))) {
            XCTAssertEqual("\($0)", "\(path("folder")): error: is a directory; give a file name")
        }
        XCTAssertEqual(try entries(), ["folder"])
        XCTAssertEqual(try entries(path("folder")), [])
    }

    func testMissingFoldersAreCreatedWhenAsked() throws {
        let nested = path("a/b/c/trace.jsonl")
        XCTAssertThrowsError(try OutputFile.write("x", to: nested)) { XCTAssertTrue("\($0)".contains("does not exist"), "\($0)") }
        try OutputFile.write("x", to: nested, options: OutputFile.Options(createFolders: true))
        XCTAssertEqual(try String(contentsOfFile: nested, encoding: .utf8), "x")
        try "file".write(toFile: path("plain"), atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try OutputFile.write("x", to: path("plain/t.jsonl"), options: OutputFile.Options(createFolders: true))) {
            XCTAssertTrue("\($0)".hasPrefix(self.path("plain")), "\($0)")
        }
    }

    func testAFailedWriteLeavesNoTemporaryFile() throws {
        let before = OutputFile.registeredTemporaryCount
        // The folder above is a regular file: nothing can be created.
        try "file".write(toFile: path("plain"), atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try OutputFile.write("x", to: path("plain/out.csv")))
        // The rename fails: the target became a non-empty folder while the file was being written.
        let file = try OutputFile(path: path("out.csv"))
        file.write("some bytes")
        XCTAssertEqual(try entries().filter { $0.hasPrefix(".out.csv.tmp-") }.count, 1, "written beside the target")
        XCTAssertEqual(OutputFile.registeredTemporaryCount, before + 1, "registered for removal on a signal")
        try FileManager.default.createDirectory(atPath: path("out.csv/inside"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try file.commit()) { XCTAssertTrue("\($0)".contains("is a directory"), "\($0)") }
        XCTAssertEqual(try entries(), ["out.csv", "plain"])
        // Dropped before commit: removed as well.
        do {
            let dropped = try OutputFile(path: path("never.csv"))
            dropped.write("x")
        }
        XCTAssertEqual(try entries(), ["out.csv", "plain"])
        XCTAssertEqual(OutputFile.registeredTemporaryCount, before)
    }

    func testRefusingAnExistingPathKeepsIt() throws {
        try "old".write(toFile: path("key"), atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try OutputFile.write("new", to: path("key"), options: OutputFile.Options(refuseExisting: true))) {
            XCTAssertTrue("\($0)".contains("already exists"), "\($0)")
        }
        XCTAssertEqual(try String(contentsOfFile: path("key"), encoding: .utf8), "old")
        try OutputFile.write("fresh", to: path("new"), options: OutputFile.Options(mode: 0o600, refuseExisting: true))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path("new"))[.posixPermissions] as? Int, 0o600)
        XCTAssertEqual(try entries(), ["key", "new"])
    }

    func testAFolderIsReplacedWholeWithNoMixOfOldAndNewFiles() throws {
        let out = path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try "old".write(toFile: out + "/summary.json", atomically: false, encoding: .utf8)
        try "old".write(toFile: out + "/stale.csv", atomically: false, encoding: .utf8)
        let folder = try OutputFolder(path: out, marker: "summary.json")
        let trace = try folder.place(out + "/trace.jsonl")
        XCTAssertFalse(trace.hasPrefix(out + "/"), "a file inside the folder goes into the new folder")
        try OutputFile.write("trace", to: trace)
        try folder.write("a", named: "a.csv")
        try folder.write("new", named: "summary.json")
        XCTAssertEqual(try entries(out), ["stale.csv", "summary.json"], "the old folder is untouched until commit")
        try folder.commit()
        XCTAssertEqual(try entries(out), ["a.csv", "summary.json", "trace.jsonl"])
        XCTAssertEqual(try String(contentsOfFile: out + "/summary.json", encoding: .utf8), "new")
        XCTAssertEqual(try entries(), ["out"], "no new or old folder left beside it")
    }

    /// A FIFO or a symlink at a trace path inside the folder is not the run's to replace: the FIFO is written
    /// through, the link followed, and both are moved into the new folder unchanged.
    func testAFIFOAndALinkInsideTheFolderSurviveTheSwap() throws {
        let out = path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try "old".write(toFile: out + "/summary.json", atomically: false, encoding: .utf8)
        XCTAssertEqual(mkfifo(out + "/trace.fifo", 0o600), 0)
        XCTAssertEqual(symlink("../elsewhere.json", out + "/link.json"), 0)
        let folder = try OutputFolder(path: out, marker: "summary.json")
        XCTAssertEqual(try folder.place(out + "/trace.fifo"), out + "/trace.fifo")
        XCTAssertEqual((try folder.place(out + "/link.json") as NSString).standardizingPath, directory + "/elsewhere.json")
        let received = Locked(Data())
        let reader = Thread {
            let data = FileHandle(forReadingAtPath: out + "/trace.fifo")!.readDataToEndOfFile()
            received.withLock { $0 = data }
        }
        reader.start()
        try OutputFile.write("through", to: out + "/trace.fifo")
        try OutputFile.write("linked", to: directory + "/elsewhere.json")
        try folder.write("new", named: "summary.json")
        try folder.commit()
        for _ in 0..<500 where received.withLock({ $0.isEmpty }) { usleep(10_000) }
        XCTAssertEqual(received.withLock { $0 }, Data("through".utf8))
        XCTAssertEqual(try entries(out), ["link.json", "summary.json", "trace.fifo"])
        XCTAssertEqual(kind(out + "/trace.fifo"), S_IFIFO)
        XCTAssertEqual(kind(out + "/link.json"), S_IFLNK)
        XCTAssertEqual(try String(contentsOfFile: out + "/link.json", encoding: .utf8), "linked")
    }

    func testAFolderWithoutAnEarlierOutputIsRefusedAndADiscardedOneLeavesNothing() throws {
        try FileManager.default.createDirectory(atPath: path("mine"), withIntermediateDirectories: true)
        try "keep".write(toFile: path("mine/notes.txt"), atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try OutputFolder(path: path("mine"), marker: "summary.json")) {
            XCTAssertTrue("\($0)".contains("no summary.json"), "\($0)")
        }
        XCTAssertEqual(try entries(path("mine")), ["notes.txt"])
        let before = OutputFile.registeredTemporaryCount
        do {
            let folder = try OutputFolder(path: path("x/y/out"), marker: "summary.json")
            try folder.write("a", named: "a.csv")
            XCTAssertGreaterThan(OutputFile.registeredTemporaryCount, before)
            folder.discard()
        }
        XCTAssertEqual(try entries(path("x/y")), [], "the folders above are created, the new folder removed")
        XCTAssertEqual(OutputFile.registeredTemporaryCount, before)
    }
}
