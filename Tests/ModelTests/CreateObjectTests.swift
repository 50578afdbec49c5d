import XCTest
@testable import Model

/// The original's object creation (`JobMgr::CreateObject`, `AllocResource`, `ExecObj`): one call per object
/// (or one batch), Reserve one responder after another with fail-over, `ExecObj` node by node, an `ExecObj`
/// failure retried at once for the missing objects, no second round after "no resource".
final class CreateObjectTests: XCTestCase {
    private func grid(_ nodes: [NodeConfig], mode: Mode = .standard, wait: Double = 0, rounds: Int32 = 3,
                      creation: CreationFlow = .perObject) -> GridConfig {
        discoveryGrid(nodes, mode: mode, wait: wait, rounds: rounds, creation: creation)
    }

    private func reserves(_ h: Harness, _ app: AppID) -> [(object: Int32, node: Int32)] {
        h.delivered.compactMap { if case .reserve(app, let o, _, _, _) = $0.body { return (o.index, $0.to.index) }; return nil }
    }

    private func answers(_ h: Harness, _ app: AppID) -> [Bool] {
        h.deliveredBodies { if case .reserveAnswered(app, _, let accepted) = $0 { return accepted }; return nil }
    }

    func testPerObjectCreatesOneObjectAfterAnotherEachWithItsOwnDiscovery() {
        var h = Harness(grid(full(2, NodeConfig(maxJobs: 4))))
        let app = h.submit(main: 0, objects: 3)
        // Only the first object is under way: reserved on the main's node, which answered first.
        XCTAssertEqual(reserves(h, app).map(\.object), [0])
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
        XCTAssertEqual(h.app(app).state, .executing(round: 1, pending: 1))
        h.launchAll()
        XCTAssertEqual(reserves(h, app).map(\.object), [0, 1])
        h.launchAll()
        XCTAssertEqual(reserves(h, app).map(\.object), [0, 1, 2])
        // Each call discovered on its own, with its own request id.
        let requests = Set(h.discoveryRequests().map(\.request))
        XCTAssertEqual(requests.count, 3)
        // The first object may finish while the last is still being created.
        h.handle(.objectFinished(ObjectID(0), succeeded: true))
        XCTAssertEqual(h.object(0).initiator, .completed)
        h.launchAll()
        XCTAssertEqual(h.app(app).state, .running(remaining: 2))
        h.finishObjects(of: app)
        XCTAssertTrue(h.hasFinished(app, succeeded: true))
    }

    func testBatchReservesOneResponderAfterAnotherAndFailsOverOnARefusal() {
        // node0 takes one job, node1 three: the third object's Reserve on node0 is refused and moves on.
        var nodes = full(2, NodeConfig(maxJobs: 3))
        nodes[0].maxJobs = 1
        var h = Harness(grid(nodes, wait: 5, creation: .batch))
        let app = h.submit(main: 0, objects: 3)
        XCTAssertTrue(reserves(h, app).isEmpty, "nothing is reserved before the discovery wait is over")
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(reserves(h, app).map(\.object), [0, 1, 2, 2])
        XCTAssertEqual(reserves(h, app).map(\.node), [0, 1, 0, 1])
        XCTAssertEqual(answers(h, app), [true, true, false, true])
        // ExecObj node by node: node0's object first, then node1's two.
        XCTAssertEqual(h.deliveredBodies { (b: MessageBody) -> Int32? in if case .execute(app, let o) = b { return o.index }; return nil }, [0])
        h.launchAll()
        XCTAssertEqual(h.deliveredBodies { (b: MessageBody) -> Int32? in if case .execute(app, let o) = b { return o.index }; return nil }, [0, 1, 2])
        XCTAssertEqual(h.app(app).state, .executing(round: 1, pending: 2))
        h.launchAll()
        XCTAssertEqual(h.app(app).state, .running(remaining: 3))
    }

    func testWhenEveryResponderRefusedTheApplicationFailsWithoutASecondRound() {
        // Two responders of one job each and three objects: the third is refused by both.
        var h = Harness(grid(full(2, NodeConfig(maxJobs: 1)), wait: 5, creation: .batch))
        let app = h.submit(main: 0, objects: 3)
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(reserves(h, app).map(\.node), [0, 1, 0, 1])
        XCTAssertEqual(answers(h, app), [true, true, false, false])
        XCTAssertEqual(h.app(app).state, .failed(.refused))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .refused))
        XCTAssertNil(h.delay(of: .errorPauseOver(app)), "no pause, no second round")
        XCTAssertTrue(h.launches().isEmpty)
        // The reservations AllocResource made are not cancelled; ApplicationEnd removes them.
        XCTAssertFalse(h.delivered.contains { if case .cancelObject = $0.body { true } else { false } })
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)) + h.plane.jobs(on: NodeID(1)), 0)
    }

    func testNoResponderFailsTheApplicationAtOnce() {
        var h = Harness(grid([NodeConfig(maxJobs: 1)]))
        let first = h.submit(main: 0)
        XCTAssertEqual(h.launchAll(), [ObjectID(0)])
        let second = h.submit(main: 0)
        h.fire(.discoveryWait(second, round: 1))
        XCTAssertEqual(h.app(second).state, .failed(.noResources))
        XCTAssertNil(h.delay(of: .errorPauseOver(second)))
        XCTAssertEqual(h.app(first).state, .running(remaining: 1))
    }

    func testExecObjFailureCancelsThatNodeAndRetriesTheMissingObjectAtOnce() {
        var h = Harness(grid(full(2, NodeConfig(maxJobs: 2)), wait: 5, creation: .batch))
        let app = h.submit(main: 0, objects: 2)
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(reserves(h, app).map(\.node), [0, 1])
        // node0's ExecObj works; node1's launch fails.
        XCTAssertEqual(h.launchAll(), [ObjectID(0)])
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(1)])
        h.pending.removeAll { if case .launchObject = $0 { true } else { false } }
        h.handle(.objectLaunched(ObjectID(1), succeeded: false))
        XCTAssertEqual(h.deliveredBodies { (b: MessageBody) -> Int32? in if case .cancelObject(app, let o, _) = b { return o.index }; return nil }, [1])
        XCTAssertEqual(h.plane.jobs(on: NodeID(1)), 0)
        // The next attempt starts at once, for object 1 only; object 0 keeps running.
        XCTAssertEqual(h.app(app).state, .placing(round: 2))
        XCTAssertNil(h.delay(of: .errorPauseOver(app)))
        XCTAssertEqual(h.object(0).initiator, .running)
        h.fire(.discoveryWait(app, round: 2))
        XCTAssertEqual(reserves(h, app).map(\.object), [0, 1, 1])
        XCTAssertEqual(h.launchAll(), [ObjectID(1)])
        XCTAssertEqual(h.app(app).state, .running(remaining: 2))
    }

    func testAfterTheLastAttemptTheApplicationFailsWithTheExecObjReasonAndItsObjectsAreKilled() {
        var h = Harness(grid([NodeConfig(maxJobs: 2)], rounds: 2, creation: .batch))
        let app = h.submit(main: 0, objects: 2)
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0), ObjectID(1)])
        h.pending.removeAll { if case .launchObject = $0 { true } else { false } }
        h.handle(.objectLaunched(ObjectID(0), succeeded: true))
        h.handle(.objectLaunched(ObjectID(1), succeeded: false))
        XCTAssertEqual(h.app(app).state, .executing(round: 2, pending: 1))
        h.pending.removeAll { if case .launchObject = $0 { true } else { false } }
        h.handle(.objectLaunched(ObjectID(1), succeeded: false))
        XCTAssertEqual(h.app(app).state, .failed(.prepareFailed))
        // The created object is killed by the call (the original's Kill loop).
        XCTAssertEqual(h.deliveredBodies { (b: MessageBody) -> Int32? in if case .cancelObject(app, let o, _) = b { return o.index }; return nil }, [1, 1, 0])
    }

    /// `CancelReservation` removes the job; the VM stays reserved for the application until ApplicationEnd.
    func testACancelKeepsTheVMReservedUntilApplicationEnd() {
        var h = Harness(grid([NodeConfig(maxVMs: 1)], mode: .virtual, rounds: 2))
        let app = h.submit(main: 0)
        h.finishHypervisor(on: VMID(0), .revert)
        h.answerAddress(vm: VMID(0))
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
        h.pending.removeAll { if case .launchObject = $0 { true } else { false } }
        h.handle(.objectLaunched(ObjectID(0), succeeded: false))
        // Cancelled: the job is gone and the VM still belongs to the application; the retry takes it again.
        XCTAssertEqual(h.vm(0).holder, .application(app))
        XCTAssertFalse(h.reports.contains(.vmFreed(VMID(0))))
        // The retry's Prepare VM finds the VM running: no revert, the address is read again, then the launch.
        XCTAssertTrue(h.hypervisorOps(on: VMID(0)).isEmpty)
        XCTAssertTrue(h.launches().isEmpty)
        h.answerAddress(vm: VMID(0))
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
        XCTAssertTrue(h.object(0).vmWasReady)
        h.launchAll()
        h.finishObjects(of: app)
        XCTAssertTrue(h.hasFinished(app, succeeded: true))
        h.finishHypervisor(on: VMID(0), .revert)
        XCTAssertEqual(h.vm(0).holder, .free)
    }

    /// The failed attempt's cancel may arrive after the next attempt booked the same object on the same node.
    func testAStaleCancelOvertakenByTheNextReserveCancelsNothing() {
        var h = Harness(grid([NodeConfig(maxJobs: 1)]))
        h.hold = { if case .cancelObject = $0.body { true } else { false } }
        let app = h.submit(main: 0)
        h.pending.removeAll { if case .launchObject = $0 { true } else { false } }
        h.handle(.objectLaunched(ObjectID(0), succeeded: false))
        // The host released the job itself; the retry booked the object again and launches it.
        XCTAssertEqual(reserves(h, app).count, 2)
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
        XCTAssertEqual(h.held.map(\.body), [.cancelObject(app, ObjectID(0), booking: 1)])
        h.deliverHeld()
        XCTAssertEqual(h.object(0).host, .launching)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 1)
        h.launchAll()
        XCTAssertEqual(h.app(app).state, .running(remaining: 1))
    }

    /// Every ExecObj runs Prepare VM (`VirtSecureJobMgr::PrepareVM`): on a running VM no revert and no admin
    /// key, but the address is read again, the VM's key rerouted and the requester's key written again.
    func testEveryExecObjPreparesTheVMAgain() {
        var h = Harness(grid([NodeConfig(maxVMs: 1)], mode: .virtualSecure))
        let app = h.submit(main: 0, objects: 2)
        h.finishHypervisor(on: VMID(0), .revert)
        h.answerAddress(vm: VMID(0))
        h.answerVMKey(vm: VMID(0))
        XCTAssertEqual(h.answerKeyWrites(vm: VMID(0)).map(\.kind), [.admin(NodeID(0))])
        XCTAssertEqual(h.answerKeyWrites(vm: VMID(0)).map(\.kind), [.requester(ObjectID(0))])
        XCTAssertEqual(h.launchAll(), [ObjectID(0)])
        // The second object's call: same VM, prepared again.
        XCTAssertTrue(h.hypervisorOps(on: VMID(0)).isEmpty)
        h.answerAddress(vm: VMID(0))
        XCTAssertFalse(h.pending.contains { if case .fetchVMKey = $0 { true } else { false } }, "the VM's key is fetched once")
        XCTAssertEqual(h.answerKeyWrites(vm: VMID(0)).map(\.kind), [.requester(ObjectID(1))])
        XCTAssertEqual(h.launchAll(), [ObjectID(1)])
        XCTAssertEqual(h.app(app).state, .running(remaining: 2))
        XCTAssertTrue(h.object(1).vmWasReady)
    }

    func testCentralPlacementStillRunsRounds() {
        var config = GridConfig(mode: .standard, placement: .central(broker: NodeID(0)), nodes: [NodeConfig()])
        config.creation = .perObject
        XCTAssertFalse(config.usesOriginalCreation)
        XCTAssertTrue(grid([NodeConfig()]).usesOriginalCreation)
        XCTAssertFalse(grid([NodeConfig()], creation: .rounds).usesOriginalCreation)
    }
}
