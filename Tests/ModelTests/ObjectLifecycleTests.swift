import XCTest
@testable import Model

final class ObjectLifecycleTests: XCTestCase {
    func testOneObjectRunsThroughReservePrepareLaunchAndEnd() {
        var h = Harness(centralGrid())
        let app = h.submit()
        // Reserved, executed, VM powered off: Prepare VM reverts it first.
        XCTAssertEqual(h.plane.vms[0].holder, .application(app))
        guard case .hypervisor(let vm, .revert, _)? = h.pending.first(where: { if case .hypervisor = $0 { true } else { false } }) else {
            return XCTFail("expected a revert, got \(h.pending)")
        }
        XCTAssertEqual(vm, VMID(0))
        h.finishHypervisor()
        XCTAssertEqual(h.plane.vms[0].power, .running)
        h.answerAddress(42)
        guard let object = h.launchedObject() else { return }
        h.handle(.objectLaunched(object, succeeded: true))
        XCTAssertTrue(h.reports.contains(.objectRunning(object, app, vmWasReady: false)))
        h.handle(.objectFinished(object, succeeded: true))
        XCTAssertTrue(h.reports.contains(.applicationFinished(app, succeeded: true, reason: nil)))
        // ApplicationEnd recycles by reverting; the VM is freed when the revert completes.
        XCTAssertEqual(h.plane.vms[0].holder, .application(app))
        h.dropTimers()
        h.finishHypervisor()
        XCTAssertEqual(h.plane.vms[0].holder, .free)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        XCTAssertTrue(h.delivered.contains { if case .capacityReleased(NodeID(0), 1, 1, _) = $0.body { true } else { false } })
    }

    func testACompletionThatOvertakesItsStartMessageStillEndsTheApplication() {
        var h = Harness(centralGrid())
        // The object's start message is late on the network; its completion arrives first.
        h.hold = { if case .objectStarted = $0.body { true } else { false } }
        let app = h.submit()
        h.finishHypervisor()
        h.answerAddress(42)
        guard let object = h.launchedObject() else { return }
        h.handle(.objectLaunched(object, succeeded: true))
        h.handle(.objectFinished(object, succeeded: true))
        XCTAssertTrue(h.reports.contains(.applicationFinished(app, succeeded: true, reason: nil)))
        XCTAssertEqual(h.app(app).state, .completed)
        // The late start message changes nothing.
        h.deliverHeld()
        XCTAssertEqual(h.app(app).state, .completed)
        XCTAssertEqual(h.reports.filter { if case .applicationFinished = $0 { true } else { false } }.count, 1)
    }

    func testObjectsOfOneApplicationShareOneVMPerNode() {
        var h = Harness(centralGrid(maxVMs: 2, initial: 2))
        let app = h.submit(objects: 3)
        let reserved = h.plane.vms.filter { $0.holder == .application(app) }
        XCTAssertEqual(reserved.count, 1)
        XCTAssertEqual(reserved.first?.jobs, 3)
        // One preparation serves all three objects.
        h.finishHypervisor()
        h.answerAddress()
        var launched: [ObjectID] = []
        while let object = h.pending.lazy.compactMap({ a -> ObjectID? in
            if case .launchObject(let o, _, _, _, _) = a { return o }; return nil }).first {
            _ = h.launchedObject()
            launched.append(object)
        }
        XCTAssertEqual(launched, [ObjectID(0), ObjectID(1), ObjectID(2)])
    }

    func testSecondApplicationGetsItsOwnVM() {
        var h = Harness(centralGrid(maxVMs: 2, initial: 2))
        let a = h.submit()
        let b = h.submit()
        XCTAssertEqual(h.plane.vms[0].holder, .application(a))
        XCTAssertEqual(h.plane.vms[1].holder, .application(b))
    }

    func testRunningVMSkipsTheRevert() {
        var h = Harness(centralGrid(maxVMs: 1, initial: 1, startupRevert: true))
        h.finishHypervisor() // start-up revert: the VM now runs clean
        XCTAssertEqual(h.plane.vms[0].power, .running)
        _ = h.submit()
        XCTAssertFalse(h.pending.contains { if case .hypervisor = $0 { true } else { false } })
        h.answerAddress()
        XCTAssertNotNil(h.launchedObject())
    }

    func testNonVirtualModeLaunchesOnTheNode() {
        var h = Harness(centralGrid(mode: .standard))
        let app = h.submit()
        guard case .launchObject(_, let launchedApp, let node, let vm, let address)? = h.pending.first(where: {
            if case .launchObject = $0 { true } else { false } }) else { return XCTFail("\(h.pending)") }
        XCTAssertEqual(launchedApp, app)
        XCTAssertEqual(node, NodeID(0))
        XCTAssertNil(vm)
        XCTAssertNil(address)
    }

    func testMaxJobsRefusesAndTheBrokerQueues() {
        var h = Harness(centralGrid(maxVMs: 1, initial: 1, maxJobs: 1))
        _ = h.submit()
        let second = h.submit()
        XCTAssertTrue(h.reports.contains(.applicationQueued(second)))
        XCTAssertEqual(h.plane.apps[1].state, .placing(round: 1))
    }

    func testQueuedApplicationIsPlacedWhenCapacityReturns() {
        var h = Harness(centralGrid(maxVMs: 1, initial: 1, recycle: .shutdown))
        let first = h.submit()
        let second = h.submit()
        XCTAssertTrue(h.reports.contains(.applicationQueued(second)))
        h.finishHypervisor()
        h.answerAddress()
        let object = h.launchedObject()!
        h.handle(.objectLaunched(object, succeeded: true))
        h.handle(.objectFinished(object, succeeded: true))
        XCTAssertTrue(h.reports.contains(.applicationFinished(first, succeeded: true, reason: nil)))
        h.dropTimers()
        h.finishHypervisor() // the shutdown of the recycle
        XCTAssertEqual(h.plane.vms[0].holder, .application(second))
    }

    func testStaleCompletionIsIgnored() {
        var h = Harness(centralGrid())
        _ = h.submit()
        let before = h.plane.ignoredEvents
        h.handle(.addressObtained(VMID(0), Address(9), ticket: 999))
        h.handle(.objectFinished(ObjectID(0), succeeded: true))
        XCTAssertEqual(h.plane.ignoredEvents, before + 2)
    }
}
