import Foundation
import Model
import XCTest
@testable import Sim

/// `include:` in scenario files: merged section by section, the including file's fields winning, nested includes
/// relative to their own file, cycles and runaway nesting refused, and every error naming the file it is in.
final class ScenarioIncludeTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("visag-include-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func loadError(_ path: String, line: UInt = #line) -> ScenarioError? {
        do {
            _ = try ScenarioLoader.load(path: path)
            XCTFail("expected an error loading \(path)", line: line)
        } catch let error as ScenarioError {
            return error
        } catch {
            XCTFail("unexpected \(error)", line: line)
        }
        return nil
    }

    func testTheIncludingFileWinsFieldByField() throws {
        try write("cal.yaml", """
            hypervisor: {revert: 2s, boot: 7s, keyWrite: {lognormal: {median: 0.25, sigma: 0.1}}}
            dhcp: {renew: 3s}
            seed: 9
            """)
        let main = try write("main.yaml", """
            include: cal.yaml
            seed: 4
            hypervisor: {revert: 5s, storage: {readMBps: 100}}
            """)
        let s = try ScenarioLoader.load(path: main)
        XCTAssertEqual(s.seed, 4, "a top-level scalar of the including file wins")
        XCTAssertEqual(s.hypervisor.revert, .fixed(5), "a field the including file sets wins")
        XCTAssertEqual(s.hypervisor.boot, .fixed(7), "a field only the included file sets stays")
        XCTAssertEqual(s.hypervisor.keyWrite, .lognormal(median: 0.25, sigma: 0.1))
        XCTAssertEqual(s.hypervisor.storage.readMBps, 100)
        XCTAssertEqual(s.dhcp.renew, .fixed(3), "a section only the included file has stays")
        XCTAssertEqual(s.hypervisor.launch, .fixed(0.5), "fields neither sets keep the default")
    }

    func testALaterIncludeWinsOverAnEarlierOneAndIncludesNest() throws {
        try write("sub/base.yaml", "hypervisor: {revert: 1s, boot: 11s}\n")
        try write("sub/cal.yaml", "include: base.yaml\nhypervisor: {revert: 2s}\n")
        try write("other.yaml", "hypervisor: {revert: 3s, resume: 4s}\n")
        let main = try write("main.yaml", "include: [sub/cal.yaml, other.yaml]\n")
        let s = try ScenarioLoader.load(path: main)
        XCTAssertEqual(s.hypervisor.revert, .fixed(3), "the later include wins")
        XCTAssertEqual(s.hypervisor.boot, .fixed(11), "sub/cal.yaml's own include is relative to sub/")
        XCTAssertEqual(s.hypervisor.resume, .fixed(4))
    }

    func testOverridesWinOverIncludes() throws {
        try write("cal.yaml", "hypervisor: {revert: 2s}\n")
        let main = try write("main.yaml", "include: cal.yaml\n")
        let s = try ScenarioLoader.load(path: main, overrides: ["hypervisor.revert=8s"])
        XCTAssertEqual(s.hypervisor.revert, .fixed(8))
    }

    func testAnErrorInAnIncludedFileNamesThatFileAndLine() throws {
        let cal = try write("cal.yaml", "# fitted\nhypervisor:\n  revert: {lognormal: {median: -1, sigma: 0.1}}\n")
        let main = try write("main.yaml", "name: x\ninclude: cal.yaml\n")
        let error = try XCTUnwrap(loadError(main))
        XCTAssertEqual(error.file, cal)
        XCTAssertEqual(error.line, 3)
        XCTAssertEqual(error.path, "hypervisor.revert.lognormal.median")
        XCTAssertTrue(error.description.hasPrefix("\(cal):3:"), error.description)

        try write("typo.yaml", "\nhypervisr: {revert: 1s}\n")
        let other = try write("main2.yaml", "include: typo.yaml\n")
        let typo = try XCTUnwrap(loadError(other))
        XCTAssertTrue(typo.file.hasSuffix("typo.yaml"), typo.description)
        XCTAssertEqual(typo.line, 2)
        XCTAssertTrue(typo.message.contains("did you mean \"hypervisor\""), typo.message)
    }

    func testAMissingFileIsNamedAtTheIncludeLine() throws {
        let main = try write("main.yaml", "seed: 1\ninclude: nowhere.yaml\n")
        let error = try XCTUnwrap(loadError(main))
        XCTAssertEqual(error.file, main)
        XCTAssertEqual(error.line, 2)
        XCTAssertTrue(error.message.contains("cannot include \"nowhere.yaml\": no such file"), error.message)
    }

    func testCyclesAndDeepNestingAreRefused() throws {
        try write("a.yaml", "include: b.yaml\n")
        try write("b.yaml", "seed: 2\ninclude: a.yaml\n")
        let cycle = try XCTUnwrap(loadError(directory.appendingPathComponent("a.yaml").path))
        XCTAssertTrue(cycle.file.hasSuffix("b.yaml"), cycle.description)
        XCTAssertEqual(cycle.line, 2)
        XCTAssertTrue(cycle.message.contains("include cycle: a.yaml -> b.yaml -> a.yaml"), cycle.message)

        let me = try write("self.yaml", "include: self.yaml\n")
        XCTAssertTrue(try XCTUnwrap(loadError(me)).message.contains("include cycle: self.yaml -> self.yaml"))

        for level in 0..<20 { try write("deep\(level).yaml", "include: deep\(level + 1).yaml\n") }
        try write("deep20.yaml", "seed: 1\n")
        let deep = try XCTUnwrap(loadError(directory.appendingPathComponent("deep0.yaml").path))
        XCTAssertTrue(deep.message.contains("includes nest more than \(YAMLIncludeLimits.maxDepth) files deep"),
                      deep.message)
    }

    func testMalformedIncludeDirectives() throws {
        for (text, expected) in [("include: 5\n", "cannot include \"5\": no such file"),
                                 ("include: []\n", "expected a file name or a list of file names"),
                                 ("include: {a: b}\n", "expected a string"),
                                 ("include: ''\n", "found an empty string")] {
            let main = try write("bad.yaml", text)
            let error = try XCTUnwrap(loadError(main))
            XCTAssertEqual(error.file, main)
            XCTAssertTrue(error.message.contains(expected), "\(text): \(error.message)")
        }
        try write("list.yaml", "- 1\n")
        let main = try write("main.yaml", "include: list.yaml\n")
        XCTAssertTrue(try XCTUnwrap(loadError(main)).message.contains("expected a mapping at the top level of an included file"))
    }

    func testAFileOverlaidOnADocumentWins() throws {
        let cal = try write("cal.yaml", "hypervisor: {revert: 2s}\n")
        let main = try write("main.yaml", "hypervisor: {revert: 9s, boot: 6s}\n")
        let document = try YAMLDocument.load(path: main).overlaid(withFile: cal)
        let s = try ScenarioLoader.load(document: document, path: main)
        XCTAssertEqual(s.hypervisor.revert, .fixed(2))
        XCTAssertEqual(s.hypervisor.boot, .fixed(6))
    }
}
