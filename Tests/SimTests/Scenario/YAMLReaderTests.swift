import Foundation
import XCTest
import Sim

private enum Recycle: String, CaseIterable {
    case destroy, suspend, keep
}

final class YAMLReaderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("YAMLReaderTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes a fixture file and returns its path.
    private func fixture(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func parse(_ text: String, overrides: [String] = []) throws -> YAMLDocument {
        try YAMLDocument.parse(text: text, file: "s.yaml", overrides: overrides)
    }

    /// The `ScenarioError` thrown by `body`; fails the test if there is none.
    private func scenarioError(file: StaticString = #filePath, line: UInt = #line,
                               _ body: () throws -> Void) -> ScenarioError? {
        do {
            try body()
            XCTFail("expected a ScenarioError", file: file, line: line)
        } catch let error as ScenarioError {
            return error
        } catch {
            XCTFail("expected a ScenarioError, got \(error)", file: file, line: line)
        }
        return nil
    }

    // MARK: Error format

    func testDescriptionFormat() {
        XCTAssertEqual(ScenarioError(file: "a.yaml", line: 3, column: 7, path: "nodes[2].maxVM", message: "boom").description,
                       "a.yaml:3:7: error: nodes[2].maxVM: boom")
        XCTAssertEqual(ScenarioError(file: "a.yaml", path: "seed", message: "boom").description,
                       "a.yaml: error: seed: boom")
        XCTAssertEqual(ScenarioError(file: "a.yaml", line: 1, column: 1, message: "boom").description,
                       "a.yaml:1:1: error: boom")
    }

    func testSuggestion() {
        let keys = ["threshold", "window", "recycle"]
        XCTAssertEqual(suggestion(for: "treshold", among: keys), "threshold")
        XCTAssertEqual(suggestion(for: "Window", among: keys), "window")
        XCTAssertEqual(suggestion(for: "thresh", among: keys), "threshold")
        XCTAssertNil(suggestion(for: "banana", among: keys))
        XCTAssertNil(suggestion(for: "x", among: ["id"]))
    }

    // MARK: Keys

    func testUnknownKeyWithSuggestion() throws {
        let path = try fixture("scenario.yaml", """
            seed: 1
            policies:
              cloneAhead:
                threshold: 0.5
                  # indented comment
                treshold: 3
            """)
        let document = try YAMLDocument.load(path: path)
        let error = scenarioError {
            let root = try document.mapping(allowedKeys: ["seed", "policies"])
            let policies = try root.required("policies").mapping(allowedKeys: ["cloneAhead"])
            _ = try policies.required("cloneAhead").mapping(allowedKeys: ["threshold", "window"])
        }
        XCTAssertEqual(error?.line, 6)
        XCTAssertEqual(error?.column, 5)
        XCTAssertEqual(error?.description,
                       "\(path):6:5: error: policies.cloneAhead.treshold: unknown key \"treshold\"; did you mean \"threshold\"?")
    }

    func testUnknownKeyWithoutSuggestionListsAllowedKeys() throws {
        let document = try parse("seed: 1\nbanana: 2\n")
        let error = scenarioError { _ = try document.mapping(allowedKeys: ["seed", "nodes"]) }
        XCTAssertEqual(error?.description, "s.yaml:2:1: error: banana: unknown key \"banana\"; expected one of: seed, nodes")
    }

    func testMissingRequiredKeyNamesTheMappingsLine() throws {
        let document = try parse("""
            seed: 1
            policies:
              cloneAhead:
                window: 30s
            """)
        let error = scenarioError {
            let cloneAhead = try document.mapping(allowedKeys: ["seed", "policies"])
                .required("policies").mapping(allowedKeys: ["cloneAhead"])
                .required("cloneAhead").mapping(allowedKeys: ["threshold", "window"])
            _ = try cloneAhead.required("threshold")
        }
        XCTAssertEqual(error?.description,
                       "s.yaml:4:5: error: policies.cloneAhead: missing required key \"threshold\"")
    }

    func testOptionalKeysAndFileOrder() throws {
        let root = try parse("b: 1\na: ~\nc:\n").mapping(allowedKeys: ["a", "b", "c", "d"])
        XCTAssertEqual(root.keys, ["b", "a", "c"])
        XCTAssertNil(root.optional("a"))
        XCTAssertNil(root.optional("c"))
        XCTAssertNil(root.optional("d"))
        XCTAssertEqual(try root.optional("b")?.int(), 1)
        XCTAssertTrue(root.contains("a"))
        XCTAssertEqual(scenarioError { _ = try root.required("a").int() }?.description,
                       "s.yaml:2:4: error: a: expected an integer, found null")
    }

    func testDuplicateKeyNamesBothLines() throws {
        let error = scenarioError {
            _ = try parse("""
                seed: 1
                policies:
                  recycle: keep
                  cloneAhead: {}
                  recycle: suspend
                """)
        }
        XCTAssertEqual(error?.description,
                       "s.yaml:5:3: error: policies.recycle: duplicate key \"recycle\" (first on line 3, again on line 5)")
    }

    func testDuplicateKeyInFlowMappingAndViaAlias() throws {
        XCTAssertEqual(scenarioError { _ = try parse("x: {a: 1, b: 2, a: 3}\n") }?.description,
                       "s.yaml:1:17: error: x.a: duplicate key \"a\" (first on line 1, again on line 1)")
        XCTAssertEqual(scenarioError { _ = try parse("name: &k seed\n*k : 1\nseed: 2\n") }?.description,
                       "s.yaml:3:1: error: seed: duplicate key \"seed\" (first on line 2, again on line 3)")
    }

    // MARK: Scalars

    func testWrongType() throws {
        let root = try parse("""
            seed: [1, 2]
            name: {a: 1}
            count: "5"
            enabled: yes
            """).mapping(allowedKeys: ["seed", "name", "count", "enabled"])
        XCTAssertEqual(scenarioError { _ = try root.required("seed").int() }?.description,
                       "s.yaml:1:7: error: seed: expected an integer, found a sequence")
        XCTAssertEqual(scenarioError { _ = try root.required("name").string() }?.description,
                       "s.yaml:2:7: error: name: expected a string, found a mapping")
        XCTAssertEqual(scenarioError { _ = try root.required("count").int() }?.description,
                       "s.yaml:3:8: error: count: expected an integer, found the quoted string \"5\"")
        XCTAssertEqual(scenarioError { _ = try root.required("enabled").bool() }?.description,
                       "s.yaml:4:10: error: enabled: expected true or false, found \"yes\"")
        XCTAssertEqual(scenarioError { _ = try root.required("seed").mapping(allowedKeys: []) }?.description,
                       "s.yaml:1:7: error: seed: expected a mapping, found a sequence")
        XCTAssertEqual(scenarioError { _ = try root.required("name").sequence() }?.description,
                       "s.yaml:2:7: error: name: expected a sequence, found a mapping")
    }

    func testNumbers() throws {
        let root = try parse("""
            a: 42
            b: 1_000
            c: -0x10
            d: 2.5e3
            e: 7
            f: .inf
            g: 1.5
            """).mapping(allowedKeys: ["a", "b", "c", "d", "e", "f", "g"])
        XCTAssertEqual(try root.required("a").int(), 42)
        XCTAssertEqual(try root.required("b").int(), 1000)
        XCTAssertEqual(try root.required("c").int(), -16)
        XCTAssertEqual(try root.required("d").double(), 2500)
        XCTAssertEqual(try root.required("e").double(), 7)
        XCTAssertEqual(scenarioError { _ = try root.required("f").double() }?.description,
                       "s.yaml:6:4: error: f: expected a number, found \".inf\"")
        XCTAssertEqual(scenarioError { _ = try root.required("g").int() }?.description,
                       "s.yaml:7:4: error: g: expected an integer, found \"1.5\"")
    }

    func testOutOfRangeNumber() throws {
        let root = try parse("""
            nodes:
              - maxVM: 4
              - maxVM: 100
            load: 1.5
            """).mapping(allowedKeys: ["nodes", "load"])
        let nodes = try root.required("nodes").sequence()
        XCTAssertEqual(try nodes[0].mapping(allowedKeys: ["maxVM"]).required("maxVM").int(in: 1...64), 4)
        XCTAssertEqual(scenarioError { _ = try nodes[1].mapping(allowedKeys: ["maxVM"]).required("maxVM").int(in: 1...64) }?
                        .description,
                       "s.yaml:3:12: error: nodes[1].maxVM: expected an integer between 1 and 64, found \"100\"")
        XCTAssertEqual(scenarioError { _ = try root.required("load").double(in: 0...1, unit: "cores") }?.description,
                       "s.yaml:4:7: error: load: expected a number of cores between 0 and 1, found \"1.5\"")
        XCTAssertEqual(scenarioError { _ = try nodes[0].mapping(allowedKeys: ["maxVM"]).required("maxVM").int(in: 8...Int.max) }?
                        .message,
                       "expected an integer >= 8, found \"4\"")
    }

    func testNegativeDuration() throws {
        let root = try parse("warmup: -5\n").mapping(allowedKeys: ["warmup"])
        XCTAssertEqual(scenarioError { _ = try root.required("warmup").seconds() }?.description,
                       "s.yaml:1:9: error: warmup: expected a number of seconds >= 0, found \"-5\"")
    }

    func testDurationWithUnits() throws {
        let root = try parse("""
            a: 250ms
            b: "30s"
            c: 5m
            d: 2h
            e: 1d
            f: 90
            g: 1.5 h
            h: 5x
            i: soon
            j: 2h
            """).mapping(allowedKeys: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
        XCTAssertEqual(try root.required("a").seconds(), 0.25, accuracy: 1e-12)
        XCTAssertEqual(try root.required("b").seconds(), 30)
        XCTAssertEqual(try root.required("c").seconds(), 300)
        XCTAssertEqual(try root.required("d").seconds(), 7200)
        XCTAssertEqual(try root.required("e").seconds(), 86_400)
        XCTAssertEqual(try root.required("f").seconds(), 90)
        XCTAssertEqual(try root.required("g").seconds(), 5400)
        let form = "expected a duration (a number of seconds, or a number with a unit: "
            + "\"250ms\", \"30s\", \"5m\", \"2h\", \"1d\")"
        XCTAssertEqual(scenarioError { _ = try root.required("h").seconds() }?.description,
                       "s.yaml:8:4: error: h: \(form), found \"5x\" with unknown unit \"x\"")
        XCTAssertEqual(scenarioError { _ = try root.required("i").seconds() }?.description,
                       "s.yaml:9:4: error: i: \(form), found \"soon\"")
        XCTAssertEqual(scenarioError { _ = try root.required("j").seconds(in: 0...3600) }?.description,
                       "s.yaml:10:4: error: j: expected a number of seconds between 0 and 3600, found \"2h\"")
    }

    func testEnumWithBadValueListsAllowedValues() throws {
        let root = try parse("recycle: suspnd\nother: zzz\n").mapping(allowedKeys: ["recycle", "other"])
        XCTAssertEqual(scenarioError { _ = try root.required("recycle").choice(Recycle.self) }?.description,
                       "s.yaml:1:10: error: recycle: expected one of \"destroy\", \"suspend\", \"keep\", found \"suspnd\"; "
                       + "did you mean \"suspend\"?")
        XCTAssertEqual(scenarioError { _ = try root.required("other").choice(Recycle.self) }?.message,
                       "expected one of \"destroy\", \"suspend\", \"keep\", found \"zzz\"")
        XCTAssertEqual(try parse("r: keep\n").mapping(allowedKeys: ["r"]).required("r").choice(Recycle.self), .keep)
    }

    // MARK: YAML features

    func testMalformedSyntaxReportsLine() {
        let error = scenarioError {
            _ = try parse("""
                seed: 1
                nodes:
                  - name: a
                   maxVM: 4
                """)
        }
        XCTAssertEqual(error?.line, 4)
        XCTAssertEqual(error?.path, "")
        XCTAssertTrue(error?.message.hasPrefix("invalid YAML: ") ?? false, error?.message ?? "")
        XCTAssertEqual(scenarioError { _ = try parse("a: [1, 2\nb: 3\n") }?.description,
                       "s.yaml:2:2: error: invalid YAML: did not find expected ',' or ']' "
                       + "(while parsing a flow sequence at line 1, column 4)")
    }

    func testAliasesAndMergeKeys() throws {
        let root = try parse("""
            defaults: &defaults {maxVM: 4, cpu: 2}
            nodes:
              - <<: *defaults
                name: a
              - <<: *defaults
                name: b
                maxVM: 8
            notes: "a *star* and *b"
            """).mapping(allowedKeys: ["defaults", "nodes", "notes"])
        let nodes = try root.required("nodes").sequence()
        let second = try nodes[1].mapping(allowedKeys: ["name", "maxVM", "cpu"])
        XCTAssertEqual(second.keys, ["cpu", "name", "maxVM"])
        XCTAssertEqual(try second.required("maxVM").int(), 8)
        XCTAssertEqual(try second.required("cpu").int(), 2)
        XCTAssertEqual(try root.required("notes").string(), "a *star* and *b")
        XCTAssertEqual(scenarioError { _ = try parse("a: *nope\n") }?.description,
                       "s.yaml:1:4: error: a: unknown alias \"*nope\" (no anchor \"&nope\" before it)")
    }

    func testAliasBombIsRejectedQuickly() {
        var lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            lines.append("\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]")
        }
        lines.append("? *i\n: key bomb")
        let start = Date()
        let error = scenarioError { _ = try parse(lines.joined(separator: "\n")) }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertEqual(error?.message, "document too large after alias expansion (more than 100000 nodes)")
        XCTAssertEqual(error?.file, "s.yaml")
        XCTAssertNotNil(error?.line)
    }

    func testHugeAndDeepDocumentsAreRejected() {
        let flat = "a: [" + Array(repeating: "1", count: 200_000).joined(separator: ",") + "]\n"
        XCTAssertEqual(scenarioError { _ = try parse(flat) }?.description,
                       "s.yaml:1: error: document too large (more than 100000 nodes)")
        let deep = "a: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        XCTAssertEqual(scenarioError { _ = try parse(deep) }?.message, "document nested too deeply (more than 100 levels)")
        let block = (0..<300).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n") + " 1\n"
        XCTAssertEqual(scenarioError { _ = try parse(block) }?.message, "document nested too deeply (more than 100 levels)")
    }

    func testEmptyAndNonMappingDocuments() {
        XCTAssertEqual(scenarioError { _ = try parse("") }?.description,
                       "s.yaml: error: the document is empty; expected a mapping at the top level")
        XCTAssertEqual(scenarioError { _ = try parse("# nothing\n") }?.description,
                       "s.yaml: error: the document is empty; expected a mapping at the top level")
        XCTAssertEqual(scenarioError { _ = try parse("- 1\n- 2\n") }?.description,
                       "s.yaml:1:1: error: expected a mapping at the top level, found a sequence")
        XCTAssertEqual(scenarioError { _ = try parse("just text\n") }?.description,
                       "s.yaml:1:1: error: expected a mapping at the top level, found \"just text\"")
        XCTAssertEqual(scenarioError { _ = try parse("a: 1\n---\nb: 2\n") }?.line, 2)
    }

    // MARK: Overrides

    private let overridden = """
        seed: 1
        policies:
          recycle: keep
        nodes:
          - name: a
            maxVM: 4
          - name: b
            maxVM: 4
        """

    func testOverrideSetsExistingValue() throws {
        let document = try parse(overridden, overrides: ["seed=42", "policies.recycle=suspend"])
        let root = try document.mapping(allowedKeys: ["seed", "policies", "nodes"])
        XCTAssertEqual(root.keys, ["seed", "policies", "nodes"])
        let seed = try root.required("seed")
        XCTAssertEqual(try seed.int(), 42)
        XCTAssertTrue(seed.isFromOverride)
        XCTAssertNil(seed.line)
        XCTAssertEqual(try root.required("policies").mapping(allowedKeys: ["recycle"]).required("recycle")
                        .choice(Recycle.self), .suspend)
        // Later overrides win.
        XCTAssertEqual(try parse(overridden, overrides: ["seed=2", "seed=3"]).mapping(allowedKeys: ["seed", "policies", "nodes"])
                        .required("seed").int(), 3)
    }

    func testOverrideCreatesAbsentKeys() throws {
        let document = try parse(overridden, overrides: ["policies.cloneAhead.threshold=0.75", "duration=2h",
                                                          "tags=[x, y]"])
        let root = try document.mapping(allowedKeys: ["seed", "policies", "nodes", "duration", "tags"])
        XCTAssertEqual(root.keys, ["seed", "policies", "nodes", "duration", "tags"])
        let policies = try root.required("policies").mapping(allowedKeys: ["recycle", "cloneAhead"])
        XCTAssertEqual(policies.keys, ["recycle", "cloneAhead"])
        XCTAssertEqual(try policies.required("cloneAhead").mapping(allowedKeys: ["threshold"]).required("threshold").double(),
                       0.75)
        XCTAssertEqual(try root.required("duration").seconds(), 7200)
        XCTAssertEqual(try root.required("tags").sequence().map { try $0.string() }, ["x", "y"])
    }

    func testOverrideWithIndexPath() throws {
        let document = try parse(overridden, overrides: ["nodes[1].maxVM=8", "nodes[0]={name: z, maxVM: 2}"])
        let nodes = try document.mapping(allowedKeys: ["seed", "policies", "nodes"]).required("nodes").sequence()
        let first = try nodes[0].mapping(allowedKeys: ["name", "maxVM"])
        let second = try nodes[1].mapping(allowedKeys: ["name", "maxVM"])
        XCTAssertEqual(try first.required("name").string(), "z")
        XCTAssertEqual(try first.required("maxVM").int(), 2)
        XCTAssertEqual(try second.required("name").string(), "b")
        XCTAssertEqual(try second.required("maxVM").int(), 8)
        XCTAssertEqual(try second.required("name").line, 7)   // untouched values keep their position
    }

    func testOverrideWithBadPath() {
        XCTAssertEqual(scenarioError { _ = try parse(overridden, overrides: ["nodes[5].maxVM=8"]) }?.description,
                       "--set: error: nodes[5].maxVM: index 5 is out of range: \"nodes\" has 2 items")
        XCTAssertEqual(scenarioError { _ = try parse(overridden, overrides: ["seed.value=8"]) }?.description,
                       "--set: error: seed.value: cannot set key \"value\" in \"seed\", which is a scalar, not a mapping")
        XCTAssertEqual(scenarioError { _ = try parse(overridden, overrides: ["nodes.maxVM=8"]) }?.description,
                       "--set: error: nodes.maxVM: cannot set key \"maxVM\" in \"nodes\", which is a sequence; "
                       + "use an index, as in nodes[0]")
        XCTAssertEqual(scenarioError { _ = try parse(overridden, overrides: ["policies[0]=8"]) }?.description,
                       "--set: error: policies[0]: cannot index \"policies\" with [0]: it is a mapping, not a sequence")
        XCTAssertEqual(scenarioError { _ = try parse(overridden, overrides: ["racks[0].size=8"]) }?.description,
                       "--set: error: racks[0].size: cannot index \"racks\": it does not exist")
        XCTAssertEqual(scenarioError { _ = try parse(overridden, overrides: ["nodes[x]=8"]) }?.description,
                       "--set: error: nodes[x]: invalid path; expected keys separated by \".\", "
                       + "each optionally followed by [INDEX], as in nodes[0].maxVM")
        XCTAssertEqual(scenarioError { _ = try parse(overridden, overrides: ["seed"]) }?.description,
                       "--set: error: expected PATH=VALUE, found \"seed\"")
        XCTAssertEqual(scenarioError { _ = try parse(overridden, overrides: ["seed=[1, 2"]) }?.description,
                       "--set: error: seed: invalid YAML: did not find expected ',' or ']' "
                       + "(while parsing a flow sequence at line 1, column 1) in the value (from --set seed=[1, 2)")
    }

    func testOverrideWithWrongTypeIsReportedAgainstSet() throws {
        let document = try parse(overridden, overrides: ["nodes[0].maxVM=lots", "policies.recyle=keep"])
        let root = try document.mapping(allowedKeys: ["seed", "policies", "nodes"])
        let node = try root.required("nodes").sequence()[0].mapping(allowedKeys: ["name", "maxVM"])
        let error = scenarioError { _ = try node.required("maxVM").int(in: 1...64) }
        XCTAssertEqual(error, ScenarioError(file: "--set", path: "nodes[0].maxVM",
                                            message: "expected an integer between 1 and 64, found \"lots\" "
                                                + "(from --set nodes[0].maxVM=lots)"))
        XCTAssertEqual(error?.description, "--set: error: nodes[0].maxVM: expected an integer between 1 and 64, "
                       + "found \"lots\" (from --set nodes[0].maxVM=lots)")
        // A misspelt key introduced by an override is reported against the override too.
        XCTAssertEqual(scenarioError { _ = try root.required("policies").mapping(allowedKeys: ["recycle"]) }?.description,
                       "--set: error: policies.recyle: unknown key \"recyle\"; did you mean \"recycle\"? "
                       + "(from --set policies.recyle=keep)")
    }

    // MARK: Files

    func testDirectoryInsteadOfFile() {
        let error = scenarioError { _ = try YAMLDocument.load(path: directory.path) }
        XCTAssertEqual(error?.description, "\(directory.path): error: is a directory, not a scenario file")
    }

    func testMissingFile() {
        let path = directory.appendingPathComponent("absent.yaml").path
        XCTAssertEqual(scenarioError { _ = try YAMLDocument.load(path: path) }?.description,
                       "\(path): error: no such file")
    }

    func testNonUTF8File() throws {
        let url = directory.appendingPathComponent("latin1.yaml")
        var bytes = Array("seed: 1\nname: caf".utf8)
        bytes.append(0xE9)
        bytes += Array("\n".utf8)
        try Data(bytes).write(to: url)
        XCTAssertEqual(scenarioError { _ = try YAMLDocument.load(path: url.path) }?.description,
                       "\(url.path):2: error: not UTF-8 text (invalid byte 0xE9 at byte offset 17)")
    }

    func testTooLargeFile() throws {
        let url = directory.appendingPathComponent("large.yaml")
        try Data(repeating: UInt8(ascii: "#"), count: YAMLDocument.maxFileSize + 1).write(to: url)
        XCTAssertEqual(scenarioError { _ = try YAMLDocument.load(path: url.path) }?.description,
                       "\(url.path): error: file is too large (16777217 bytes; the limit is 16 MiB)")
    }

    func testLoadWithOverridesAndBOM() throws {
        let path = try fixture("bom.yaml", "\u{FEFF}seed: 1\nname: x\n")
        let root = try YAMLDocument.load(path: path, overrides: ["seed=7"]).mapping(allowedKeys: ["seed", "name"])
        XCTAssertEqual(try root.required("seed").int(), 7)
        XCTAssertEqual(try root.required("name").line, 2)
        XCTAssertEqual(try root.required("name").column, 7)
        XCTAssertEqual(try root.required("name").string(), "x")
    }
}
