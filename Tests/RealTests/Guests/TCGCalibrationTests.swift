import Foundation
import XCTest
@testable import Real
@testable import Sim

/// `visag calibrate --guests tcg` end to end: one worker guest under QEMU/TCG, two cycles of every operation the
/// guests can measure, fitted and written, the guest removed. Gated like `QEMUGuestTests` (skips without root or
/// the packages unless `VISAG_REQUIRE_QEMU=1`); about 30 s, most of it the guest's boot and the reverts.
final class TCGCalibrationTests: XCTestCase {
    static let timeoutSeconds = 300.0

    func testCalibrateMeasuresATCGGuestAndTheFileLoads() throws {
        try QEMUTestHost.checkPrerequisites()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("visag-tcg-cal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("tcg.yaml").path
        let binary = Bundle.main.bundleURL.appendingPathComponent("visag").path
        // The test guest ignores ACPI: a short wait keeps each shutdown (then a power-off) quick.
        let run = try HostCommand.run(binary, ["calibrate", "--guests", "tcg", "--cycles", "2", "--shutdown-wait", "1",
                                               "--output", out], timeoutSeconds: Self.timeoutSeconds)
        let context = "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)"
        XCTAssertTrue(run.succeeded, context)
        XCTAssertTrue(run.stderr.contains("node0_worker1 booted and snapshotted as popc_clean"), context)
        XCTAssertTrue(run.stderr.contains("cycle 2 of 2 done"), context)

        let scenarioPath = directory.appendingPathComponent("s.yaml").path
        try "include: tcg.yaml\n".write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let scenario = try ScenarioLoader.load(path: scenarioPath)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(text.contains("# Not measured (the including scenario's values stay): hypervisor.clone."), text)
        for field in Calibration.Field.allCases where field != .clone {
            guard case .lognormal(let median, let sigma) = field.distribution(in: scenario) else {
                XCTFail("\(field.path) is not a fitted log-normal: \(text)")
                continue
            }
            XCTAssertTrue(median > 0 && median < 60 && sigma >= 0, "\(field.path): median \(median) sigma \(sigma)")
        }
        // A revert loads the guest's memory under emulation and a guest call is an SSH login: far from free.
        guard case .lognormal(let revert, _) = scenario.hypervisor.revert,
              case .lognormal(let keyWrite, _) = scenario.hypervisor.keyWrite else { return XCTFail(text) }
        XCTAssertGreaterThan(revert, 0.05, text)
        XCTAssertGreaterThan(keyWrite, 0.01, text)
        XCTAssertEqual(scenario.hypervisor.clone, .fixed(300), "not measured: the default stays")
    }
}
