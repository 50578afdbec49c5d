import XCTest
@testable import Model

/// What drivers report that Model did not ask for: a VM stopping behind its back, an
/// application's main process dying.
final class DriverReportsTests: XCTestCase {
    func testAVMSeenOffIsRevertedBeforeItServesAgain() {
        var h = Harness(centralGrid(maxVMs: 1, initial: 1, recycle: .revert, startupRevert: true))
        h.finishHypervisor()                       // start-up revert: running and clean
        let app = h.submit()
        h.answerAddress()
        let object = h.launchedObject()!
        h.handle(.objectLaunched(object, succeeded: true))
        XCTAssertEqual(h.plane.vms[0].readyFor, app)
        // The hypervisor reports the VM off (it crashed): what was prepared in it is gone.
        h.handle(.vmPowerObserved(VMID(0), .off))
        XCTAssertEqual(h.plane.vms[0].power, .off)
        XCTAssertNil(h.plane.vms[0].readyFor)
        XCTAssertNil(h.plane.vms[0].address)
        XCTAssertFalse(h.plane.vms[0].adminKeySent)
        h.handle(.objectFinished(object, succeeded: false))
        XCTAssertTrue(h.reports.contains(.applicationFinished(app, succeeded: false, reason: .objectCrashed)))
        h.dropTimers()
        h.finishHypervisor()                       // the recycle revert
        // The next application finds the VM running again after that revert: no second revert.
        _ = h.submit()
        XCTAssertFalse(h.pending.contains { if case .hypervisor = $0 { true } else { false } })
    }

    func testACrashedMainEndsTheApplicationWithoutTellingTheNodes() {
        var h = Harness(centralGrid(maxVMs: 1, initial: 1))
        let app = h.submit()
        let before = h.delivered.count
        h.handle(.applicationCrashed(app))
        XCTAssertEqual(h.plane.apps[0].state, .failed(.mainCrashed))
        XCTAssertTrue(h.reports.contains(.applicationFinished(app, succeeded: false, reason: .mainCrashed)))
        // No ApplicationEnd: the reservation stays until it expires.
        XCTAssertFalse(h.delivered[before...].contains { if case .applicationEnded = $0.body { true } else { false } })
        XCTAssertEqual(h.plane.vms[0].holder, .application(app))
        // A crash reported twice changes nothing.
        h.handle(.applicationCrashed(app))
        XCTAssertEqual(h.reports.filter { $0 == .applicationFinished(app, succeeded: false, reason: .mainCrashed) }.count, 1)
    }
}
