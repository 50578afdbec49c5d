import Foundation
import XCTest

/// `visag calibrate` and `visag validate` on libvirt's in-process test driver: the operations take microseconds
/// there, so a few cycles and seeds run in seconds. (Real guests: `RealTests.TCGCalibrationTests`.)
extension CLITests {
    func testCalibrateWritesFittedBlocksAScenarioCanInclude() throws {
        let directory = try temporaryDirectory()
        let out = directory.appendingPathComponent("cal/test.yaml").path
        let r = try visag(["calibrate", "--uri", "test:///default", "--cycles", "4", "--output", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        for path in ["hypervisor.revert", "hypervisor.suspend", "hypervisor.resume", "hypervisor.shutdown",
                     "hypervisor.boot", "hypervisor.clone", "hypervisor.addressRead", "hypervisor.keyFetch",
                     "hypervisor.keyWrite", "hypervisor.launch", "dhcp.renew", "dhcp.reversePing"] {
            XCTAssertTrue(r.stdout.contains("\n" + path), "\(path) in:\n\(r.stdout)")
        }
        XCTAssertTrue(r.stdout.contains("KS D"), r.stdout)
        XCTAssertTrue(r.stdout.contains("hypervisor.revert          12 "), "three reverts a cycle:\n\(r.stdout)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(text.contains("\nhypervisor:\n  revert: {lognormal: {median: "), text)
        XCTAssertTrue(text.contains("\ndhcp:\n  renew: {lognormal: {median: "), text)
        XCTAssertTrue(text.contains("# n=4 KS D="), text)

        // A scenario includes it and runs with those latencies.
        let scenario = try write("include: cal/test.yaml\nplatform: {initialWorkers: 3}\nworkload: {applications: 3, objects: 1}\n",
                                 named: "with-cal.yaml", in: directory)
        let run = try visag(["run", scenario])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("3 submitted, 3 completed"), run.stdout)
    }

    func testCalibrateMeasuresOnlyWhatItIsAsked() throws {
        let directory = try temporaryDirectory()
        let out = directory.appendingPathComponent("cal.yaml").path
        let r = try visag(["calibrate", "--cycles", "2", "--only", "revert,keyWrite", "--output", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(text.contains("  revert: ") && text.contains("  keyWrite: "), text)
        XCTAssertFalse(text.contains("  boot: ") || text.contains("dhcp:"), text)
        XCTAssertTrue(text.contains("# Not measured (the including scenario's values stay): hypervisor.suspend"), text)
    }

    func testCalibrateRefusesBadInput() throws {
        let out = try temporaryDirectory().appendingPathComponent("cal.yaml").path
        for (arguments, message) in [
            (["--cycles", "0"], "--cycles: expected 1...10000, found 0"),
            (["--only", "revert,reboot"], "--only: unknown operation \"reboot\""),
            (["--only", "revrt"], "did you mean \"revert\"?"),
            (["--guests", "kvm"], "expected simulated or tcg"),
            (["--guests", "tcg", "--uri", "test:///default"], "not test:///default"),
            (["--shutdown-wait=-1"], "--shutdown-wait: expected seconds"),
            (["--workers", "2"], "--workers applies only to --guests tcg"),
            (["--guests", "tcg", "--workers", "9"], "--workers: expected 1...8"),
        ] {
            let r = try visag(["calibrate", "--output", out] + arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments)")
        }
        let empty = try visag(["calibrate", "--output", ""])
        XCTAssertEqual(empty.status, 2, empty.stderr)
        // A domain that is not there, on the test driver, is made; on a URI that cannot be reached the run fails.
        let unreachable = try visag(["calibrate", "--uri", "qemu+tcp://127.0.0.1:1/system", "--cycles", "1", "--output", out])
        XCTAssertEqual(unreachable.status, 1, unreachable.stderr)
        XCTAssertTrue(unreachable.stderr.contains("could not connect"), unreachable.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testValidatePrintsPredictedAgainstMeasured() throws {
        let directory = try temporaryDirectory()
        let calibration = directory.appendingPathComponent("cal.yaml").path
        XCTAssertEqual(try visag(["calibrate", "--cycles", "3", "--output", calibration]).status, 0)
        let r = try visag(["validate", "Scenarios/guests/tcg-validate.yaml", "--calibration", calibration,
                           "--seeds", "1..2", "--time-scale", "0.0005"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("validate tcg-validate: 2 seed(s) 1..2, real on test:///default"), r.stdout)
        XCTAssertTrue(r.stdout.contains("from the calibration \(calibration)"), r.stdout)
        for row in ["VM preparation p50 (s)", "VM preparation p95 (s)", "object creation p50 (s)",
                    "object creation mean (s)", "queue wait mean (s)", "response time mean (s)"] {
            let line = r.stdout.split(separator: "\n").first { $0.hasPrefix(row) }
            XCTAssertNotNil(line, "\(row) in:\n\(r.stdout)")
            // predicted, measured and their ratio: three numbers.
            XCTAssertEqual(line.map { $0.dropFirst(row.count).split(separator: " ").count }, 3, "\(row): \(line ?? "")")
        }
        XCTAssertTrue(r.stdout.contains("applications completed      16            16"), r.stdout)
    }

    func testValidateRefusesBadInput() throws {
        for (arguments, message) in [
            (["--seeds", "3..1"], "a range A..B needs A <= B"),
            (["--seeds", "x"], "\"x\" is not a seed N or a range A..B"),
            (["--seeds", "1..5000"], "at most 1000 seeds"),
            (["--calibration", "/nonexistent/cal.yaml"], "/nonexistent/cal.yaml: error: no such file"),
            (["--time-scale", "0"], "--time-scale: expected a number > 0"),
            (["--set", "seed=x"], "seed"),
        ] {
            let r = try visag(["validate", "Scenarios/guests/tcg-validate.yaml"] + arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
    }
}
