import XCTest
@testable import Model

/// What the object-start timeout covers. The original (`JobMgr::ExecObj`) runs Prepare VM and starts the
/// object synchronously, then waits `alloc_timeout` for the object's callback: a slow preparation is never
/// timed out. The `execution` scope starts the initiator's clock with the Execute instead.
final class ExecTimeoutScopeTests: XCTestCase {
    private let vm0 = VMID(0)
    private let node0 = NodeID(0)

    private func oneNode(_ scope: ExecTimeoutScope) -> GridConfig {
        var config = discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtual, rounds: 1)
        config.execTimeoutScope = scope
        return config
    }

    private func execTimeout(_ h: Harness) -> Alarm {
        .execTimeout(ObjectID(0), generation: h.generation(of: ObjectID(0)))
    }

    func testTheOriginalDoesNotTimeAPreparationOut() {
        var h = Harness(oneNode(.callback))
        let app = h.submit(main: 0)
        XCTAssertEqual(h.object(0).host, .waitingForVM)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
        // No clock runs while the VM reverts, however long it takes.
        XCTAssertNil(h.delay(of: execTimeout(h)))
        h.now = 3600
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
        // Exec returned: the host waits 60 s for the object's callback.
        XCTAssertEqual(h.delay(of: execTimeout(h)), 60)
        XCTAssertEqual(h.launchAll(), [ObjectID(0)])
        XCTAssertEqual(h.app(app).state, .running(remaining: 1))
        h.fire(execTimeout(h)) // the callback came: nothing to do
        XCTAssertEqual(h.app(app).state, .running(remaining: 1))
        XCTAssertEqual(h.object(0).host, .running)
    }

    func testAMissedCallbackKillsTheObjectReleasesItsJobAndFailsTheRound() {
        var h = Harness(oneNode(.callback))
        let app = h.submit(main: 0)
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.plane.jobs(on: node0), 1)
        h.fire(execTimeout(h))
        XCTAssertTrue(h.pending.contains(.killObject(ObjectID(0), on: node0, vm: vm0)))
        XCTAssertEqual(h.object(0).host, .released)
        XCTAssertEqual(h.plane.jobs(on: node0), 0)
        XCTAssertTrue(h.delivered.contains(Message(from: node0, to: node0, body: .objectFailed(app, ObjectID(0), .execTimeout))))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .execTimeout))
        // The late callback changes nothing.
        h.handle(.objectLaunched(ObjectID(0), succeeded: true))
        XCTAssertEqual(h.object(0).host, .released)
    }

    func testTheExecutionScopeCoversThePreparation() {
        var h = Harness(oneNode(.execution))
        let app = h.submit(main: 0)
        XCTAssertEqual(h.delay(of: execTimeout(h)), 60)
        h.fire(execTimeout(h))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .execTimeout))
        // The revert still runs; the ended application's VM waits for it (the mutex) and is then recycled.
        XCTAssertEqual(h.vm(0).preparation?.step, .reverting)
        XCTAssertTrue(h.vm(0).endPending)
    }
}
