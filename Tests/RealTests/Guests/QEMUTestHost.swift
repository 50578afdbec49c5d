import Foundation
import XCTest
@testable import Real

/// The QEMU/TCG tests' gate in front of `TCGGuestHost`: missing prerequisites skip a test, unless
/// `VISAG_REQUIRE_QEMU=1` (CI) turns them into failures.
enum QEMUTestHost {
    static let requireVariable = "VISAG_REQUIRE_QEMU"

    static var required: Bool { ProcessInfo.processInfo.environment[requireVariable] == "1" }

    /// Skips (or, under `VISAG_REQUIRE_QEMU=1`, fails) when the machine cannot run the test.
    static func checkPrerequisites() throws {
        var missing: [String] = []
        if !TCGPrerequisites.isRoot { missing.append("root (qemu:///system and its libvirtd)") }
        missing += TCGPrerequisites.missingTools()
        guard !missing.isEmpty else { return }
        let message = "QEMU/TCG guest test needs: " + missing.joined(separator: ", ")
            + " (bash \(TCGPrerequisites.installScript) installs the packages)"
        if required {
            throw QEMUGuestError.image(message + "; \(requireVariable)=1, so this fails instead of skipping")
        }
        throw XCTSkip(message)
    }

    /// The image, a daemon and a connection, for a test that has checked nothing yet.
    static func make() throws -> TCGGuestHost {
        try checkPrerequisites()
        return try TCGGuestHost(statePrefix: "visag-qemu-test")
    }
}
