import Foundation
import Model
import XCTest
@testable import Sim

/// `ScenarioKeys` against the loader: every key it lists is read, every key it does not list is refused, and
/// every default it prints is what a scenario without the key loads with.
final class ScenarioKeysTests: XCTestCase {
    static let minimal = "description: keys test\n"

    /// Required keys of the sections that have some, with a valid value each (in file order).
    static let requiredKeys: [String: [(key: String, value: String)]] = [
        "platform.nodeOverrides[]": [("node", "0")],
        "faults.dhcpOutages[]": [("from", "1m"), ("to", "2m")],
        "faults.hypervisorOutages[]": [("from", "1m"), ("to", "2m")],
        "faults.adminRestarts[]": [("node", "0"), ("at", "1m")],
        "faults.messageDelay": [("extra", "1")],
        "faults.messageDrop": [("probability", "0.5")],
        "faults.messageDuplicate": [("probability", "0.5")],
    ]

    /// What some keys need around them to take effect (both with and without the key).
    static let surroundings: [String: [String]] = [
        "platform.memoryMB": ["platform.vmMemoryMB=512"],
        "platform.nodeOverrides[].memoryMB": ["platform.vmMemoryMB=512"],
        "platform.degree": ["platform.topology=random", "platform.nodes=8"],
        "policies.placement": ["jobMgr.creation=rounds"],
        "policies.broker": ["policies.placement=central", "jobMgr.creation=rounds"],
        "workload.file": ["workload.kind=trace"],
    ]

    /// A key that changes nothing alone, with a neighbour that makes it matter (with and without the change).
    static let companions: [String: String] = ["platform.nodeOverrides[].node": "maxJobs: 7"]

    /// Values chosen by hand where the type's generic one does not fit the key's range or its neighbours.
    static let chosenValues: [String: String] = [
        "platform.memoryMB": "1024",
        "platform.nodeOverrides[].memoryMB": "1024",
        "platform.vmMemoryMB": "512",
        "workload.file": "other.csv",
        "faults.dhcpOutages[].from": "30s", "faults.hypervisorOutages[].from": "30s",
        "faults.dhcpOutages[].to": "3m", "faults.hypervisorOutages[].to": "3m",
        "faults.adminRestarts[].at": "2m",
        "platform.nodeOverrides[].node": "1", "faults.adminRestarts[].node": "1",
        "faults.dhcpOutages[].area": "0", "faults.hypervisorOutages[].node": "0",
        "platform.topology": "none",
    ]

    /// Keys checked on their own below (they change nothing a `Scenario` holds, or need files).
    static let checkedApart: Set<String> = ["description", "include", "workload.kind", "workload.format"]

    // MARK: Helpers

    /// A folder with two small traces, for the trace keys.
    func traceDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("visag-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try "id,arrival_s,compute_s\n0,1,60\n1,2,60\n".write(to: url.appendingPathComponent("jobs.csv"),
                                                              atomically: true, encoding: .utf8)
        try "id,arrival_s,compute_s\n0,5,30\n".write(to: url.appendingPathComponent("other.csv"),
                                                      atomically: true, encoding: .utf8)
        return url.path
    }

    func load(_ overrides: [String], in directory: String = ".") throws -> Scenario {
        try ScenarioLoader.parse(text: Self.minimal, file: "keys.yaml", overrides: overrides, baseDirectory: directory)
    }

    /// Everything a loaded scenario holds, field by field.
    func contents(_ scenario: Scenario) -> String {
        var text = ""
        dump(scenario, to: &text)
        return text
    }

    /// The first field two `contents` differ in, as "set / left out".
    func firstDifference(_ a: String, _ b: String) -> String {
        let pairs = zip(a.split(separator: "\n"), b.split(separator: "\n"))
        guard let (x, y) = pairs.first(where: { $0 != $1 }) else { return "" }
        return "\(x.trimmingCharacters(in: .whitespaces)) / \(y.trimmingCharacters(in: .whitespaces))"
    }

    /// The overrides that load `key` set to `value` (nil: left out), its section's required keys and what the
    /// key needs around it.
    func overrides(_ key: ScenarioKey, _ value: String?) -> [String] {
        let result = Self.surroundings[key.path] ?? []
        guard let required = Self.requiredKeys[key.section] else {
            return result + (value.map { ["\(key.path)=\($0)"] } ?? [])
        }
        var entries = required.filter { $0.key != key.name }.map { "\($0.key): \($0.value)" }
        if let value { entries.append("\(key.name): \(value)") }
        if let companion = Self.companions[key.path] { entries.append(companion) }
        let mapping = "{" + entries.joined(separator: ", ") + "}"
        let list = key.section.hasSuffix("[]")
        return result + [list ? "\(key.section.dropLast(2))=[\(mapping)]" : "\(key.section)=\(mapping)"]
    }

    /// The value a scenario without the key loads with, where the table writes it as a value.
    func writtenDefault(_ key: ScenarioKey) -> String? {
        if let required = Self.requiredKeys[key.section]?.first(where: { $0.key == key.name }) { return required.value }
        if !isLeaf(key) || Self.checkedApart.contains(key.path) || key.section.hasSuffix("[]") { return nil }
        return Self.wordDefaults.contains(key.defaultValue) || key.defaultValue.contains(" ") ? nil : key.defaultValue
    }

    /// A key that takes a value (`fidelity` takes a name or a section).
    func isLeaf(_ key: ScenarioKey) -> Bool { key.type != .section && key.type != .list }

    /// Defaults the table writes in words; `testDefaultsInWords` checks each.
    static let wordDefaults: Set<String> = ["unlimited", "none", "as base", "required", "platform's", "every kind"]

    /// A valid value other than the default, from the key's type.
    func otherValue(_ key: ScenarioKey) -> String {
        if let chosen = Self.chosenValues[key.path] { return chosen }
        let number = Double(key.defaultValue)
        switch key.type {
        case .integer: return number.map { KeyDefault.number($0 + 1) } ?? "2"
        case .number: return number.map { KeyDefault.number($0 + 1) } ?? "80"
        case .duration, .durationOrNever: return number.map { KeyDefault.number($0 + 7) } ?? "7"
        case .fraction: return key.defaultValue == "required" ? "0.25" : "0.5"
        case .bool: return key.defaultValue == "true" ? "false" : "true"
        case .choice(let names), .choiceOrSection(let names):
            return names.first { !key.defaultValue.hasPrefix($0) } ?? names[0]
        case .distribution: return number == nil ? "2" : "{uniform: [1, 3]}"
        case .nodeOrRandom: return "1"
        case .text: return "other"
        case .messageKinds: return "[reserve]"
        case .section, .list, .file, .files: return "?"
        }
    }

    // MARK: Tests

    /// The loader asks the table for every mapping it reads; each section the table lists is one it reads.
    func testEverySectionRefusesAnUnknownKeyAndNamesTheListing() throws {
        XCTAssertTrue(ScenarioKeys.sections.contains("platform.nodeOverrides[]"))
        for section in ScenarioKeys.sections {
            let key = ScenarioKey(section.isEmpty ? "zzUnknown" : section + ".zzUnknown", .integer, "", "", "")
            let set: [String]
            if section.isEmpty {
                set = ["zzUnknown=1"]
            } else if section == "fidelity" {
                set = ["fidelity={zzUnknown: 1}"]
            } else {
                set = overrides(key, "1")
            }
            do {
                _ = try load(set)
                XCTFail("\(section): zzUnknown accepted")
            } catch let error as ScenarioError {
                let shown = section.replacingOccurrences(of: "[]", with: "[0]")
                XCTAssertEqual(error.path, shown.isEmpty ? "zzUnknown" : shown + ".zzUnknown", error.description)
                XCTAssertTrue(error.message.hasPrefix("unknown key \"zzUnknown\""), error.description)
                XCTAssertTrue(error.message.contains("(all keys: \(ScenarioKeys.listing(section)))"), error.description)
            }
        }
    }

    /// Every key the table lists is read: set to another valid value, the scenario loaded changes. A key the
    /// loader accepted but never read would load the same scenario.
    func testEveryKeyIsReadByTheLoader() throws {
        let directory = try traceDirectory()
        var checked = 0
        for key in ScenarioKeys.all where isLeaf(key) && !Self.checkedApart.contains(key.path) {
            let value = otherValue(key)
            let base = key.path == "workload.file" ? "jobs.csv" : writtenDefault(key)
            let without = try load(overrides(key, base), in: directory)
            let with: Scenario
            do {
                with = try load(overrides(key, value), in: directory)
            } catch {
                XCTFail("\(key.path)=\(value): \(error)")
                continue
            }
            XCTAssertTrue(contents(with) != contents(without), "\(key.path)=\(value) changed nothing")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 100)
    }

    func testTheKeysCheckedApartAreRead() throws {
        let directory = try traceDirectory()
        // description: free text, read by nobody; it loads.
        XCTAssertEqual(contents(try load(["description=other"])), contents(try load([])))
        // workload.kind: a trace instead of Poisson arrivals.
        guard case .trace(let jobs, _) = try load(["workload.kind=trace", "workload.file=jobs.csv"], in: directory).workload
        else { return XCTFail("not a trace") }
        XCTAssertEqual(jobs.count, 2)
        // workload.format: a CSV file read as SWF is refused, so the format is what decides.
        XCTAssertNoThrow(try load(["workload.kind=trace", "workload.file=jobs.csv", "workload.format=csv"], in: directory))
        XCTAssertThrowsError(try load(["workload.kind=trace", "workload.file=jobs.csv", "workload.format=swf"],
                                      in: directory))
        // include: resolved before the loader, refused where it cannot act (after includes, from --set).
        let base = URL(fileURLWithPath: directory).appendingPathComponent("base.yaml")
        try "hypervisor: {revert: 7}\n".write(to: base, atomically: true, encoding: .utf8)
        let main = URL(fileURLWithPath: directory).appendingPathComponent("main.yaml")
        try "# includes base\ninclude: base.yaml\n".write(to: main, atomically: true, encoding: .utf8)
        let included = try ScenarioLoader.load(path: main.path)
        XCTAssertEqual(included.hypervisor.revert, .fixed(7))
        XCTAssertEqual(included.name, "main", "name: the file's name without .yaml")
        XCTAssertThrowsError(try load(["include=base.yaml"], in: directory))
    }

    /// The "cannot drift" proof: a scenario that sets a key to the default the table prints loads exactly what
    /// one without the key loads.
    func testEveryWrittenDefaultIsWhatAScenarioWithoutTheKeyLoads() throws {
        let directory = try traceDirectory()
        var checked = 0
        for key in ScenarioKeys.all {
            guard let value = writtenDefault(key), Self.requiredKeys[key.section]?.contains(where: { $0.key == key.name })
                    != true else { continue }
            let without = try load(overrides(key, nil), in: directory)
            let with: Scenario
            do {
                with = try load(overrides(key, value), in: directory)
            } catch {
                XCTFail("\(key.path)=\(value), its printed default, is refused: \(error)")
                continue
            }
            XCTAssertTrue(contents(with) == contents(without), "\(key.path): the printed default \(value) is not the "
                          + "default: " + firstDifference(contents(with), contents(without)))
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 70)
    }

    /// The defaults written in words, each against what loads.
    func testDefaultsInWords() throws {
        let s = try load([])
        func printed(_ path: String) -> String { ScenarioKeys.all.first { $0.path == path }!.defaultValue }
        XCTAssertEqual(printed("platform.cores"), "unlimited")
        XCTAssertEqual(s.coresOfNode, [0, 0])
        XCTAssertEqual(printed("platform.memoryMB"), "unlimited")
        XCTAssertEqual(s.memoryMBOfNode, [0, 0])
        XCTAssertEqual(printed("platform.vmMemoryMB"), "none")
        XCTAssertEqual(s.vmMemoryMB, 0)
        XCTAssertEqual(printed("hypervisor.storage.readMBps"), "none")
        XCTAssertNil(s.hypervisor.storage.readMBps)
        XCTAssertEqual(printed("network.bandwidthMBps"), "unlimited")
        XCTAssertNil(s.network.bandwidthBytesPerSecond)
        XCTAssertEqual(s.grid.nodes[0].resources.memoryMB, Int64(s.grid.nodes[0].maxJobs) * s.objectRequirements.memoryMB)
        // endNotification: one default per placement.
        let central = try load(["policies.placement=central", "jobMgr.creation=rounds"])
        XCTAssertTrue(printed("policies.endNotification").contains("\(s.grid.endNotification.rawValue) (discovery)"))
        XCTAssertTrue(printed("policies.endNotification").contains("\(central.grid.endNotification.rawValue) (central)"))
        // Every defect switch follows the base.
        for defect in Defect.allCases {
            XCTAssertEqual(printed("fidelity." + defect.rawValue), "as base")
            for base in ["faithful", "fixed"] {
                let fidelity = try load(["fidelity={base: \(base)}"]).grid.fidelity
                XCTAssertEqual(fidelity.has(defect), (base == "faithful" ? Fidelity.faithful : .fixed).has(defect))
            }
        }
        // A node override changes only what it names.
        XCTAssertEqual(contents(try load(["platform.nodeOverrides=[{node: 0}]"])), contents(s))
        // Message faults hit every kind unless told; outages every area or node.
        XCTAssertEqual(try load(["faults.messageDrop={probability: 0.5}"]).faults.messageDrop?.kindMask, UInt32.max)
        let outages = try load(["faults.dhcpOutages=[{from: 1m, to: 2m}]", "faults.hypervisorOutages=[{from: 1m, to: 2m}]"])
        XCTAssertNil(outages.faults.dhcpOutages.first?.target)
        XCTAssertNil(outages.faults.hypervisorOutages.first?.target)
        // Required means refused without it.
        for key in ScenarioKeys.all where key.defaultValue.hasPrefix("required") {
            var set = overrides(key, nil)
            if key.path == "workload.file" { set = ["workload.kind=trace"] }
            XCTAssertThrowsError(try load(set), key.path) { error in
                XCTAssertTrue("\(error)".contains(key.name), "\(key.path): \(error)")
            }
        }
        // Every default in words is one of those checked here.
        for key in ScenarioKeys.all where isLeaf(key) && writtenDefault(key) == nil
            && !Self.checkedApart.contains(key.path) {
            XCTAssertTrue(Self.wordDefaults.contains(key.defaultValue) || key.defaultValue.contains(" ")
                          || key.defaultValue.hasPrefix("required"), key.path)
        }
    }

    /// The shrinker writes `--set` overrides: each names a key of the table.
    func testTheShrinkersOverridesNameKeys() throws {
        let s = try load(["platform={nodes: 3, maxVMs: 4, initialWorkers: 1}", "duration=2h",
                          "workload={applications: 5, objects: 2}",
                          "faults={cloneFailure: 0.1, revertFailure: 0.1, objectCrash: 0.1, mainCrash: 0.1, "
                          + "adminRestarts: [{node: 0, at: 1m}], messageDrop: {probability: 0.1}, "
                          + "messageDuplicate: {probability: 0.1}}"])
        let paths = Set(ScenarioKeys.all.map(\.path))
        let candidates = Shrinker.candidates(for: s)
        XCTAssertGreaterThanOrEqual(candidates.count, 14)
        for candidate in candidates {
            XCTAssertTrue(paths.contains(String(candidate.prefix { $0 != "=" })), candidate)
        }
    }

    func testTheTableIsWellFormed() {
        let paths = ScenarioKeys.all.map(\.path)
        XCTAssertEqual(Set(paths).count, paths.count, "a key listed twice")
        for key in ScenarioKeys.all {
            XCTAssertFalse(key.meaning.isEmpty, key.path)
            XCTAssertTrue(ScenarioKeys.sections.contains(key.section), "\(key.path) sits in no section the table lists")
        }
        XCTAssertEqual(ScenarioKeys.children(of: "hypervisor.storage"),
                       ["readMBps", "memoryImageMB", "bootReadMB", "diskMB"])
        XCTAssertEqual(ScenarioKeys.section(ofValuePath: "faults.dhcpOutages[12]"), "faults.dhcpOutages[]")
        XCTAssertEqual(ScenarioKeys.matching(prefix: "platform.nodeOverrides").count, 8)
        XCTAssertEqual(ScenarioKeys.matching(prefix: "faults.dhcpOutages[0].").map(\.path),
                       ["faults.dhcpOutages", "faults.dhcpOutages[].from", "faults.dhcpOutages[].to",
                        "faults.dhcpOutages[].area"])
        XCTAssertEqual(ScenarioKeys.matching(prefix: "policies.wake").map(\.path), ["policies.wake"])
        XCTAssertTrue(ScenarioKeys.matching(prefix: "hypervisr").isEmpty)
        XCTAssertEqual(ScenarioKeys.suggestion(forPrefix: "hypervisr"), "hypervisor")
        XCTAssertEqual(ScenarioKeys.suggestion(forPrefix: "hypervisor.revrt"), "hypervisor.revert")
    }
}
