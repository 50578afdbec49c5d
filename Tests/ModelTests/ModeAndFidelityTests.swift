import XCTest
@testable import Model

/// The four builds and their compatibility (report §5.1), and the defect switches.
final class ModeAndFidelityTests: XCTestCase {
    func testInteroperabilityTable() {
        let expected: [Mode: Set<Mode>] = [
            .standard: [.standard, .virtual],
            .virtual: [.standard, .virtual],
            .secure: [.secure, .virtualSecure],
            .virtualSecure: [.secure, .virtualSecure],
        ]
        for a in Mode.allCases {
            for b in Mode.allCases {
                XCTAssertEqual(a.interoperates(with: b), expected[a]!.contains(b), "\(a) ~ \(b)")
                // Symmetric.
                XCTAssertEqual(a.interoperates(with: b), b.interoperates(with: a), "\(a) ~ \(b)")
            }
        }
        XCTAssertTrue(Mode.standard.interoperates(with: .virtual))
        XCTAssertTrue(Mode.secure.interoperates(with: .virtualSecure))
        XCTAssertFalse(Mode.standard.interoperates(with: .secure))
        XCTAssertFalse(Mode.virtual.interoperates(with: .virtualSecure))
        XCTAssertFalse(Mode.standard.interoperates(with: .virtualSecure))
        XCTAssertFalse(Mode.virtual.interoperates(with: .secure))
    }

    func testModeCapabilitiesAndNames() {
        XCTAssertEqual(Mode.allCases.filter(\.usesWorkerVMs), [.virtual, .virtualSecure])
        XCTAssertEqual(Mode.allCases.filter(\.usesKeys), [.secure, .virtualSecure])
        XCTAssertEqual(Mode.allCases.map(\.rawValue), ["standard", "secure", "virtual", "virtual-secure"])
        XCTAssertEqual(Mode(rawValue: "virtual-secure"), .virtualSecure)
    }

    func testFaithfulHasEveryDefectOfTheOriginalPlatformAndFixedNone() {
        let shellless: Set<Defect> = [.guestKeyAppendWithoutShell]
        XCTAssertEqual(Fidelity.faithful.enabled, Defect.allCases.filter { !shellless.contains($0) })
        XCTAssertTrue(Fidelity.fixed.enabled.isEmpty)
        XCTAssertEqual(Fidelity.fixed.mask, 0)
        for defect in Defect.allCases {
            XCTAssertEqual(Fidelity.faithful.has(defect), !shellless.contains(defect), defect.rawValue)
            XCTAssertFalse(Fidelity.fixed.has(defect), defect.rawValue)
        }
        XCTAssertEqual(Defect.allCases.count, 11)
        XCTAssertEqual(Fidelity(enabled: Defect.allCases.filter(\.showedOnTheOriginalPlatform)), .faithful)
        XCTAssertEqual(Fidelity(enabled: []), .fixed)
    }

    func testSetTogglesExactlyOneDefect() {
        for defect in Defect.allCases {
            var on = Fidelity.fixed
            on.set(defect, true)
            XCTAssertEqual(on.enabled, [defect])
            on.set(defect, true) // idempotent
            XCTAssertEqual(on.enabled, [defect])
            on.set(defect, false)
            XCTAssertEqual(on, .fixed)

            var all = Fidelity(enabled: Defect.allCases)
            all.set(defect, false)
            XCTAssertFalse(all.has(defect))
            XCTAssertEqual(all.enabled, Defect.allCases.filter { $0 != defect })
            all.set(defect, true)
            XCTAssertEqual(all, Fidelity(enabled: Defect.allCases))
        }
    }

    func testEachDefectHasItsOwnBit() {
        let masks = Defect.allCases.map { Fidelity(enabled: [$0]).mask }
        XCTAssertEqual(Set(masks).count, masks.count)
        for mask in masks { XCTAssertEqual(mask.nonzeroBitCount, 1) }
        XCTAssertEqual(masks.reduce(0, |), Fidelity(enabled: Defect.allCases).mask)
        let pair = Fidelity(enabled: [.removeJobOverwrites, .addressPollUncapped])
        XCTAssertEqual(pair.enabled, [.removeJobOverwrites, .addressPollUncapped])
    }

    func testGridConfigDefaultsFollowTheOriginal() {
        let config = GridConfig(nodes: [NodeConfig()])
        XCTAssertEqual(config.mode, .virtualSecure)
        XCTAssertEqual(config.fidelity, .fixed)
        XCTAssertEqual(config.placement, .discovery(DiscoveryPolicy(maxHops: 1000, waitSeconds: 0,
                                                                    firstAnswerTimeoutSeconds: 20,
                                                                    rememberedRequests: 10)))
        XCTAssertEqual(config.cloneAheadThreshold, 2)
        XCTAssertEqual(config.reservationTimeoutSeconds, 120)
        XCTAssertEqual(config.execTimeoutSeconds, 60)
        XCTAssertEqual(config.errorPauseSeconds, 120)
        XCTAssertEqual(config.creationRounds, 3)
        XCTAssertEqual(config.addressWaitCapSeconds, 300)
        XCTAssertEqual(config.recycle, .revert)
        XCTAssertEqual(NodeConfig().maxJobs, 100)
        XCTAssertEqual(NodeConfig().maxVMs, 4)
        XCTAssertNil(config.problem())
    }

    func testGridConfigProblems() {
        XCTAssertNotNil(GridConfig(nodes: []).problem())
        XCTAssertNotNil(GridConfig(nodes: [NodeConfig(maxVMs: 1, initialWorkers: 2)]).problem())
        XCTAssertNil(GridConfig(mode: .standard, nodes: [NodeConfig(maxVMs: 1, initialWorkers: 2)]).problem())
        XCTAssertNotNil(GridConfig(nodes: [NodeConfig(neighbours: [NodeID(0)])]).problem())
        XCTAssertNotNil(GridConfig(nodes: [NodeConfig(neighbours: [NodeID(1)])]).problem())
        XCTAssertNotNil(GridConfig(creationRounds: 0, nodes: [NodeConfig()]).problem())
        XCTAssertNotNil(GridConfig(placement: .central(broker: NodeID(1)), nodes: [NodeConfig()]).problem())
    }

    func testEachDefectHasItsOwnBitInDeclarationOrder() {
        for (index, defect) in Defect.allCases.enumerated() {
            XCTAssertEqual(Int(defect.ordinal), index, defect.rawValue)
            XCTAssertEqual(Fidelity(enabled: [defect]).mask, UInt32(1) << UInt32(index))
            XCTAssertEqual(Fidelity(enabled: [defect]).enabled, [defect])
        }
        XCTAssertEqual(Fidelity(enabled: Defect.allCases).enabled, Defect.allCases)
    }
}
