import XCTest
@testable import Model

/// Reserve (reference flow 3): maxjobs, one VM per application per node, and the expiry of
/// reservations that are never used (fixed) or kept forever (faithful `reservationsNeverExpire`).
final class ReservationTests: XCTestCase {
    private func isExecute(_ message: Message) -> Bool {
        if case .execute = message.body { return true }
        return false
    }

    private func hasExpiryTimer(_ h: Harness) -> Bool {
        h.pendingTimers().contains { if case .reservationExpiry = $0 { true } else { false } }
    }

    func testMaxJobsRefusesAReserveThatArrivesAfterTheNodeFilled() {
        // Both applications hear node 0 answer (it is empty), then the first fills it.
        var h = Harness(discoveryGrid([NodeConfig(maxJobs: 1)], wait: 5))
        let a = h.submit(main: 0)
        let b = h.submit(main: 0)
        h.fire(.discoveryWait(a, round: 1))
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 1)
        XCTAssertEqual(h.object(0).host, .launching)
        h.fire(.discoveryWait(b, round: 1))
        XCTAssertTrue(h.delivered.contains(Message(from: NodeID(0), to: NodeID(0),
                                                   body: .reserveAnswered(b, ObjectID(1), accepted: false))))
        XCTAssertEqual(h.app(b).state, .paused(nextRound: 2))
        XCTAssertEqual(h.object(1).host, .none)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 1)
        XCTAssertEqual(h.plane.maxJobs(on: NodeID(0)) - h.plane.searchNodeJobs(on: NodeID(0)), 0)
        XCTAssertEqual(h.reports.filter { if case .nodeLoad = $0 { true } else { false } }, [.nodeLoad(NodeID(0), jobs: 1)])
    }

    func testRefusalInTheLastRoundFailsTheApplicationWithRefused() {
        var h = Harness(discoveryGrid([NodeConfig(maxJobs: 1)], wait: 5, rounds: 1))
        let a = h.submit(main: 0)
        let b = h.submit(main: 0)
        h.fire(.discoveryWait(a, round: 1))
        h.fire(.discoveryWait(b, round: 1))
        XCTAssertEqual(h.app(b).state, .failed(.refused))
        XCTAssertTrue(h.hasFinished(b, succeeded: false, reason: .refused))
        XCTAssertEqual(h.app(a).state, .starting(round: 1, pending: 1))
    }

    func testRefusedObjectCancelsTheRestOfItsRound() {
        // Two objects on a node that takes one: the second Reserve is refused, the first is cancelled.
        var h = Harness(discoveryGrid([NodeConfig(maxJobs: 1)]))
        let app = h.submit(main: 0, objects: 2)
        XCTAssertTrue(h.delivered.contains { $0.body == .reserveAnswered(app, ObjectID(1), accepted: false) })
        XCTAssertTrue(h.delivered.contains { $0.body == .cancelObject(app, ObjectID(0), booking: 1) })
        XCTAssertEqual(h.object(0).host, .released)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        XCTAssertEqual(h.plane.maxJobs(on: NodeID(0)) - h.plane.searchNodeJobs(on: NodeID(0)), 1)
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))
    }

    func testOneVMPerApplicationPerNode() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 2, initialWorkers: 2)], mode: .virtual, rounds: 1))
        let a = h.submit(main: 0, objects: 3)
        XCTAssertEqual(h.vm(0).holder, .application(a))
        XCTAssertEqual(h.vm(0).jobs, 3)
        XCTAssertEqual(h.vm(1).holder, .free)
        XCTAssertEqual((0..<3).map { h.object($0).vm }, [VMID(0), VMID(0), VMID(0)])
        XCTAssertEqual(h.reports.filter { if case .vmReserved = $0 { true } else { false } }, [.vmReserved(VMID(0), a)])
        let b = h.submit(main: 0)
        XCTAssertEqual(h.vm(1).holder, .application(b))
        // Jobs remain (4 of 100) but no VM is free: a third application finds no resource.
        let c = h.submit(main: 0)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 4)
        h.fire(.discoveryWait(c, round: 1))
        XCTAssertEqual(h.app(c).state, .failed(.noResources))
    }

    func testFixedReservationExpiryReleasesAnUnusedReservationAndItsVM() {
        var h = Harness(discoveryGrid([NodeConfig(maxJobs: 10, maxVMs: 1)], mode: .virtual))
        h.hold = isExecute
        let app = h.submit(main: 0)
        let object = ObjectID(0)
        XCTAssertEqual(h.object(0).host, .reserved)
        XCTAssertEqual(h.vm(0).holder, .application(app))
        let alarm = Alarm.reservationExpiry(object, generation: h.generation(of: object))
        XCTAssertEqual(h.delay(of: alarm), 120)
        h.fire(alarm)
        XCTAssertTrue(h.reports.contains(.reservationExpired(object)))
        XCTAssertTrue(h.reports.contains(.vmFreed(VMID(0))))
        XCTAssertEqual(h.object(0).host, .released)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertEqual(h.vm(0).jobs, 0)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        XCTAssertEqual(h.plane.maxJobs(on: NodeID(0)) - h.plane.searchNodeJobs(on: NodeID(0)), 10)
        // The late Execute finds no reservation: the object fails and the round with it.
        h.hold = nil
        h.deliverHeld()
        XCTAssertTrue(h.delivered.contains { $0.body == .objectFailed(app, object, .refused) })
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))
        XCTAssertTrue(h.hypervisorOps(on: VMID(0)).isEmpty)
    }

    func testExpiryTimerOfAnExecutedObjectDoesNothing() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtual))
        let app = h.submit(main: 0)
        let object = ObjectID(0)
        XCTAssertEqual(h.object(0).host, .waitingForVM)
        h.fire(.reservationExpiry(object, generation: h.generation(of: object)))
        XCTAssertFalse(h.reports.contains(.reservationExpired(object)))
        XCTAssertEqual(h.object(0).host, .waitingForVM)
        XCTAssertEqual(h.vm(0).holder, .application(app))
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 1)
    }

    func testFaithfulReservationsNeverExpire() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtual, fidelity: only(.reservationsNeverExpire)))
        h.hold = isExecute
        let app = h.submit(main: 0)
        XCTAssertEqual(h.object(0).host, .reserved)
        XCTAssertFalse(hasExpiryTimer(h))
        // Nothing ever releases it: the node stays full for other applications.
        let other = h.submit(main: 0)
        h.fire(.discoveryWait(other, round: 1))
        XCTAssertEqual(h.app(other).state, .paused(nextRound: 2))
        XCTAssertEqual(h.vm(0).holder, .application(app))
        XCTAssertEqual(h.object(0).host, .reserved)
    }

    func testFaithfulBuildHasNoExpiryTimerEither() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtual, fidelity: .faithful))
        h.hold = isExecute
        _ = h.submit(main: 0)
        XCTAssertEqual(h.object(0).host, .reserved)
        XCTAssertFalse(hasExpiryTimer(h))
    }

    func testNoReservationTimeoutMeansNoTimerInFixedMode() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtual, reservationTimeout: nil))
        h.hold = isExecute
        _ = h.submit(main: 0)
        XCTAssertEqual(h.object(0).host, .reserved)
        XCTAssertFalse(hasExpiryTimer(h))
    }

    func testExpiryOfOneObjectKeepsTheVMWhileAnotherStillHoldsIt() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtual))
        h.hold = isExecute
        let app = h.submit(main: 0, objects: 2)
        XCTAssertEqual(h.vm(0).jobs, 2)
        h.fire(.reservationExpiry(ObjectID(0), generation: h.generation(of: ObjectID(0))))
        XCTAssertEqual(h.object(0).host, .released)
        XCTAssertEqual(h.object(1).host, .reserved)
        XCTAssertEqual(h.vm(0).jobs, 1)
        XCTAssertEqual(h.vm(0).holder, .application(app))
        XCTAssertFalse(h.reports.contains(.vmFreed(VMID(0))))
        h.fire(.reservationExpiry(ObjectID(1), generation: h.generation(of: ObjectID(1))))
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
    }
}
