import Foundation
import Sim
import XCTest

/// `visag check` as CI and a tester use it: shrink by default, the replay command that runs as printed,
/// remembered failing seeds, a failure limit, JSON and JUnit reports.
final class CheckReportCLITests: XCTestCase {
    static let race = "Scenarios/races/dhcp-lease.yaml"

    var cache = ""

    override func setUpWithError() throws {
        cache = FileManager.default.temporaryDirectory.appendingPathComponent("visag-check-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let folder = cache
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
    }

    func visag(_ arguments: [String]) throws -> VisagCLI.Result {
        try VisagCLI.run(arguments, environment: ["VISAG_CACHE_DIR": cache])
    }

    /// The words after `visag` in a printed command (`visag …` or `swift run visag …`); none needs quoting here.
    func arguments(of command: String) throws -> [String] {
        let words = command.split(separator: " ").map(String.init)
        let at = try XCTUnwrap(words.firstIndex(of: "visag"), command)
        return Array(words[(at + 1)...])
    }

    func testCheckShrinksTheFirstFailureAndItsReplayCommandFailsAsPrinted() throws {
        let junit = cache + "/check.xml"
        let check = try visag(["check", Self.race, "--seeds", "1..2", "--jobs", "2", "--json", "--junit", junit])
        XCTAssertEqual(check.status, 1, check.stderr)
        XCTAssertEqual(check.stderr, "", "no progress off a terminal unless --progress")
        let report = try JSONDecoder().decode(CheckReport.self, from: Data(check.stdout.utf8))
        XCTAssertEqual(report.seeds.checked, [1, 2])
        XCTAssertEqual(report.seeds.failing, [2])
        XCTAssertFalse(report.stoppedEarly)
        let failure = try XCTUnwrap(report.failures.first)
        XCTAssertEqual(failure.time, "25m 21.313s")
        XCTAssertTrue(failure.replay.hasSuffix("visag replay \(Self.race) --seed 2"), failure.replay)
        let shrunk = try XCTUnwrap(report.shrunk)
        XCTAssertEqual(shrunk.fromSeed, 2)
        XCTAssertEqual(shrunk.invariant, "isolation")
        XCTAssertEqual(shrunk.overrides.last, "seed=\(shrunk.seed)")
        XCTAssertEqual(Set(shrunk.overrides.map { $0.prefix { $0 != "=" } }).count, shrunk.overrides.count,
                       "one value per key: \(shrunk.overrides)")
        // Both printed commands run as printed and fail the same way.
        let replay = try visag(try arguments(of: failure.replay))
        XCTAssertEqual(replay.status, 1, replay.stderr)
        XCTAssertTrue(replay.stdout.contains(failure.digest), replay.stdout)
        let small = try visag(try arguments(of: shrunk.replay))
        XCTAssertEqual(small.status, 1, small.stdout + small.stderr)
        XCTAssertTrue(small.stdout.contains("isolation violated at "), small.stdout)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        XCTAssertEqual(xml.components(separatedBy: "<testcase ").count - 1, 2)
        XCTAssertTrue(xml.contains("<failure type=\"isolation\""), xml)
        XCTAssertTrue(xml.contains("name=\"seed 1\"/>"), xml)
    }

    func testTheTextReportNamesTheCauseAndTheShrunkScenario() throws {
        let check = try visag(["check", Self.race, "--seeds", "2", "--progress"])
        XCTAssertEqual(check.status, 1, check.stderr)
        XCTAssertTrue(check.stdout.contains("24m 21.821s  10.1.0.4 leased to vm0"), check.stdout)
        XCTAssertTrue(check.stdout.contains("lease of 10.1.0.1 held by vm0 expired"), check.stdout)
        XCTAssertTrue(check.stdout.contains("reproduce with: "), check.stdout)
        XCTAssertTrue(check.stdout.contains("shrunk seed 2 in "), check.stdout)
        XCTAssertTrue(check.stdout.contains("replay the shrunk scenario with: "), check.stdout)
        XCTAssertTrue(check.stderr.contains("1/1 seeds, 1 failing"), check.stderr)
        XCTAssertTrue(check.stderr.contains("shrinking seed 2 (isolation)"), check.stderr)
        let plain = try visag(["check", Self.race, "--seeds", "2", "--no-shrink"])
        XCTAssertFalse(plain.stdout.contains("shrunk"), plain.stdout)
    }

    func testLastFailedRunsRememberedSeedsFirstAndMaxFailuresStops() throws {
        let missing = try visag(["check", Self.race, "--last-failed"])
        XCTAssertEqual(missing.status, 2, missing.stdout)
        XCTAssertTrue(missing.stderr.contains("no failing seeds are recorded"), missing.stderr)
        XCTAssertEqual(try visag(["check", Self.race, "--seeds", "1..2", "--no-shrink"]).status, 1)
        let first = try visag(["check", Self.race, "--seeds", "1..11", "--last-failed", "--max-failures", "1",
                               "--jobs", "1", "--no-shrink", "--json"])
        XCTAssertEqual(first.status, 1, first.stderr)
        let report = try JSONDecoder().decode(CheckReport.self, from: Data(first.stdout.utf8))
        XCTAssertEqual(report.seeds.checked, [2], "the remembered seed ran first and the limit stopped the rest")
        XCTAssertTrue(report.stoppedEarly)
        let alone = try visag(["check", Self.race, "--last-failed", "--no-shrink", "--json"])
        XCTAssertEqual(try JSONDecoder().decode(CheckReport.self, from: Data(alone.stdout.utf8)).seeds.checked, [2])
        // A seed that passes now is forgotten.
        XCTAssertEqual(try visag(["check", Self.race, "--seeds", "2", "--set", "policies.dhcpRenewal=renew"]).status, 0)
        let fixed = try visag(["check", Self.race, "--seeds", "2", "--set", "policies.dhcpRenewal=renew",
                               "--last-failed"])
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        XCTAssertEqual(try visag(["check", Self.race, "--last-failed", "--max-failures", "0"]).status, 2)
    }

    func testSeedListsAndTheirErrors() throws {
        let list = try visag(["check", "Scenarios/quickstart.yaml", "--seeds", "3,1..2,3", "--json", "--jobs", "1"])
        XCTAssertNotEqual(list.status, 2, list.stderr)
        XCTAssertEqual(try JSONDecoder().decode(CheckReport.self, from: Data(list.stdout.utf8)).seeds.checked, [3, 1, 2])
        for bad in ["1,,2", "1,", ",", "2..1,4"] {
            XCTAssertEqual(try visag(["check", "Scenarios/quickstart.yaml", "--seeds", bad]).status, 2, bad)
        }
    }

    /// `--around` takes a time as the report prints it, or a duration; `--window` a duration.
    func testReplayAroundTakesPrintedTimesAndDurations() throws {
        let pasted = try visag(["replay", Self.race, "--seed", "2", "--around", "25m 21.313s", "--window", "1s"])
        XCTAssertEqual(pasted.status, 1, pasted.stderr)
        XCTAssertTrue(pasted.stdout.contains("events within 1.000s of 25m 21.313s:"), pasted.stdout)
        XCTAssertTrue(pasted.stdout.contains("  25m 21.513s  obj13 launched"), pasted.stdout)
        let duration = try visag(["replay", Self.race, "--seed", "2", "--around", "25m", "--window", "0.5m"])
        XCTAssertTrue(duration.stdout.contains("events within 30.000s of 25m 00.000s:"), duration.stdout)
        for bad in [["--around", "4s 2m"], ["--around", "-5"], ["--window", "never"], ["--around", "soon"]] {
            let r = try visag(["replay", Self.race, "--seed", "2"] + bad)
            XCTAssertEqual(r.status, 2, "\(bad): \(r.stdout)")
            XCTAssertTrue(r.stderr.contains(bad[0]), r.stderr)
        }
    }

    /// A shrunk file records its seed: `replay FILE` needs no --seed, and `shrink` says why the seed changed.
    func testReplayUsesTheSeedTheShrunkFileRecords() throws {
        let out = cache + "/small.yaml"
        let shrink = try visag(["shrink", Self.race, "--seed", "2", "--output", out])
        XCTAssertEqual(shrink.status, 0, shrink.stderr)
        XCTAssertTrue(shrink.stdout.contains("replay with: "), shrink.stdout)
        if !shrink.stdout.contains("fails with seed 2 ") {
            XCTAssertTrue(shrink.stdout.contains("the seed changed from 2 to "), shrink.stdout)
            XCTAssertTrue(shrink.stdout.contains("no longer breaks isolation"), shrink.stdout)
        }
        let replay = try visag(["replay", out])
        XCTAssertEqual(replay.status, 1, replay.stdout + replay.stderr)
        XCTAssertTrue(replay.stdout.contains("isolation violated at "), replay.stdout)
    }
}
