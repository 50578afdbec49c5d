import Foundation
import XCTest

/// Issue 17 §3 and §4 through the binary: one exit-status rule everywhere, and inputs that neither crash, hang nor
/// mislead. One test per class of input.
final class InputRobustnessCLITests: XCTestCase {
    func visag(_ arguments: [String]) throws -> VisagCLI.Result { try VisagCLI.run(arguments) }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("visag-inputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    static let quickstart = "Scenarios/quickstart.yaml"

    /// Each subcommand with one bad flag value, and its `--help`.
    static let badFlagValues: [[String]] = [
        ["run", quickstart, "--seed", "x"],
        ["check", quickstart, "--seeds", "1", "--jobs", "0"],
        ["replay", quickstart, "--seed", "x"],
        ["shrink", quickstart, "--seed", "1", "--output", "/nonexistent/x.yaml", "--invariant", "nope"],
        ["sweep", "Scenarios/studies/recycle.yaml", "--out", "/nonexistent/sweep", "--shard", "3/2"],
        ["merge", "/nonexistent", "--out", "/nonexistent/merged"],
        ["report", "/nonexistent", "--timeline-vms", "0"],
        ["bench", "vm-pool", "--jobs-file", "Tests/SimTests/Fixtures/jobs_2k.csv", "--hosts", "0"],
        ["bench", "matrix", "--sizes", "0"],
        ["config", "encrypt", quickstart, "--output", "/nonexistent/e", "--key-file", "k", "--passphrase-env", "P"],
        ["config", "decrypt", quickstart, "--key-file", "k", "--passphrase-env", "P"],
        ["config", "edit", quickstart, "--key-file", "k", "--passphrase-env", "P"],
        ["config", "keygen", "--output", ""],
    ]

    func testEverySubcommandExitsTwoOnABadFlagValueAndItsHelpStatesTheRule() throws {
        for arguments in Self.badFlagValues {
            let bad = try visag(arguments)
            XCTAssertEqual(bad.status, 2, "\(arguments): \(bad.stderr)")
            XCTAssertTrue(bad.stderr.hasPrefix("visag: "), "\(arguments): \(bad.stderr)")
            XCTAssertFalse(bad.stderr.contains("Fatal error"), "\(arguments): \(bad.stderr)")
            let command = Array(arguments.prefix { !$0.hasPrefix("-") && !$0.contains("/") && !$0.hasSuffix(".yaml") })
            let help = try visag(command + ["--help"])
            XCTAssertEqual(help.status, 0, "\(command)")
            let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            XCTAssertTrue(text.contains("Exit status: 0 success; 1 the run failed"), "\(command): \(help.stdout)")
            XCTAssertTrue(text.contains("2 bad input (a file, flag or value"), "\(command): \(help.stdout)")
        }
        let root = try visag(["--help"])
        XCTAssertTrue(root.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                      .contains("Exit status: 0 success"), root.stdout)
    }

    func testReplayExitsOneOnlyWhenTheReplayedRunBreaksAnInvariant() throws {
        let broken = try visag(["replay", "Scenarios/policies/dhcp-renewal.yaml", "--seed", "4"])
        XCTAssertEqual(broken.status, 1, broken.stderr)
        XCTAssertTrue(broken.stdout.contains("isolation violated at 1h 16m 59.238s [vm8 app55 vm11 obj110]: obj110 of app55 runs in vm8, which is reserved for app53: launched at 10.1.0.12 for vm11"), broken.stdout)
        let fixed = try visag(["replay", "Scenarios/policies/dhcp-renewal.yaml", "--seed", "4",
                               "--set", "policies.dhcpRenewal=renew"])
        XCTAssertEqual(fixed.status, 0, fixed.stdout + fixed.stderr)
        XCTAssertFalse(fixed.stdout.contains("violated"), fixed.stdout)
    }

    /// Flag values are parsed as values, never pasted into YAML; `--set` is bounded; symlinks are followed.
    func testCommandLineValuesAreParsedNotPastedIntoYAML() throws {
        let smuggled = try visag(["run", Self.quickstart, "--until", "5\nseed: 3"])
        XCTAssertEqual(smuggled.status, 2, smuggled.stdout)
        XCTAssertTrue(smuggled.stderr.contains("--until: expected seconds or a duration"), smuggled.stderr)
        let empty = try visag(["run", Self.quickstart, "--set", "workload.applications="])
        XCTAssertEqual(empty.status, 2, empty.stdout)
        XCTAssertTrue(empty.stderr.contains("--set: error: workload.applications: no value after \"=\""), empty.stderr)
        let deep = try visag(["check", Self.quickstart, "--seeds", "1",
                              "--set", Array(repeating: "a", count: 20_000).joined(separator: ".") + "=1"])
        XCTAssertEqual(deep.status, 2, deep.stderr)
        XCTAssertTrue(deep.stderr.contains("the path has 20000 segments; the limit is 100"), deep.stderr)
        let timeline = try visag(["report", "/nonexistent", "--sweep", "Scenarios/studies/recycle.yaml",
                                  "--timeline-window", "6h\nx: 1"])
        XCTAssertEqual(timeline.status, 2, timeline.stderr)

        let dir = try temporaryDirectory()
        let root = CLITests.packageRoot
        let scenario = dir.appendingPathComponent("linked.yaml")
        try FileManager.default.createSymbolicLink(at: scenario, withDestinationURL: root.appendingPathComponent(Self.quickstart))
        let linked = try visag(["run", scenario.path, "--json"])
        XCTAssertEqual(linked.status, 0, linked.stderr)
        let direct = try visag(["run", Self.quickstart, "--json"])
        func digest(_ json: String) -> Substring? {
            json.range(of: "\"digest\":\"").map { json[$0.upperBound...].prefix(64) }
        }
        XCTAssertNotNil(digest(direct.stdout))
        XCTAssertEqual(digest(linked.stdout), digest(direct.stdout))
        let sweepFile = dir.appendingPathComponent("sweep.yaml")
        try "base: \(root.path)/Scenarios/policies/recycle.yaml\naxes: {policies.recycle: [revert]}\nseeds: 1\n"
            .write(to: dir.appendingPathComponent("real-sweep.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: sweepFile, withDestinationURL: dir.appendingPathComponent("real-sweep.yaml"))
        let sweep = try visag(["sweep", sweepFile.path, "--out", dir.appendingPathComponent("out").path, "--jobs", "1"])
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
    }

    /// A run that would not fit in memory is refused before anything is allocated, with the estimate and the limit;
    /// a sweep's cross product is counted before it is expanded.
    func testRunsThatWouldNotFitAreRefusedWithTheEstimateAndTheLimit() throws {
        let small = try visag(["run", Self.quickstart, "--max-memory", "10M"])
        XCTAssertEqual(small.status, 2, small.stdout)
        XCTAssertTrue(small.stderr.contains("this run needs about 40.0 MiB of memory"), small.stderr)
        XCTAssertTrue(small.stderr.contains("more than the limit of 10.0 MiB (--max-memory"), small.stderr)
        XCTAssertEqual(try visag(["run", Self.quickstart, "--max-memory", "1G"]).status, 0)
        XCTAssertEqual(try visag(["run", Self.quickstart, "--max-memory", "lots"]).status, 2)
        // A million fully connected nodes: refused by the default limit (the memory available), at once.
        let clock = ContinuousClock()
        let started = clock.now
        let huge = try visag(["check", Self.quickstart, "--seeds", "1", "--set", "platform.nodes=1000000"])
        XCTAssertEqual(huge.status, 2, huge.stdout)
        XCTAssertTrue(huge.stderr.contains("999999000000 neighbour entries"), huge.stderr)
        XCTAssertLessThan(started.duration(to: clock.now), .seconds(10))
        // Two check workers share the limit.
        let shared = try visag(["check", Self.quickstart, "--seeds", "1..2", "--jobs", "2", "--max-memory", "60M"])
        XCTAssertEqual(shared.status, 2, shared.stdout)
        XCTAssertTrue(shared.stderr.contains("more than the limit of 30.0 MiB"), shared.stderr)

        let dir = try temporaryDirectory()
        let values = (1...1000).map(String.init).joined(separator: ", ")
        let sweepFile = dir.appendingPathComponent("big.yaml")
        try """
        base: \(CLITests.packageRoot.path)/Scenarios/policies/recycle.yaml
        axes: {workload.applications: [\(values)], policies.cloneAheadThreshold: [\(values)]}
        """.write(to: sweepFile, atomically: true, encoding: .utf8)
        let sweep = try visag(["sweep", sweepFile.path, "--out", dir.appendingPathComponent("out").path])
        XCTAssertEqual(sweep.status, 2, sweep.stdout)
        XCTAssertTrue(sweep.stderr.contains("big.yaml:2:7: error: axes: the axes make 1000000 cells (1000 × 1000); "
                                            + "the limit is 100000"), sweep.stderr)
    }

    /// `bench vm-pool` flags are validated like the scenario fields they stand for; `bench matrix` works down to
    /// the smallest size it accepts (calibration asked a worker for more products than it takes below about 60).
    func testBenchFlagsAreValidatedLikeScenarioFields() throws {
        let trace = "Tests/SimTests/Fixtures/jobs_2k.csv"
        for (flag, value, message) in [("--hosts", "100000000", "--hosts must be between 1 and 1000000 (as platform.nodes)"),
                                       ("--slots", "100000", "--slots must be between 1 and 10000 (as platform.maxVMs)"),
                                       ("--prep", "1e300", "--prep must be a number of seconds from 0 to 1e9"),
                                       ("--prep", "nan", "--prep must be a number of seconds from 0 to 1e9")] {
            let r = try visag(["bench", "vm-pool", "--jobs-file", trace, flag, value])
            XCTAssertEqual(r.status, 2, "\(flag) \(value)")
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
        }
        let clock = ContinuousClock()
        let started = clock.now
        let huge = try visag(["bench", "vm-pool", "--jobs-file", trace, "--hosts", "1000000", "--slots", "10000"])
        XCTAssertEqual(huge.status, 2)
        XCTAssertTrue(huge.stderr.contains("10000000000 worker VMs"), huge.stderr)
        XCTAssertLessThan(started.duration(to: clock.now), .seconds(10))
        let dir = try temporaryDirectory()
        let tiny = try visag(["bench", "matrix", "--sizes", "1,8", "--workers", "1,9", "--modes", "standard",
                              "--repeat", "1", "--out", dir.path])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
        XCTAssertEqual(try visag(["bench", "matrix", "--sizes", "0", "--modes", "standard"]).status, 2)
    }
}
