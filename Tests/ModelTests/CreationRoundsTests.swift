import XCTest
@testable import Model

/// Object creation at the initiator (reference flow 5): up to `creationRounds` rounds of
/// allocate + exec; a failed round cancels its reservations, kills what it created, pauses
/// and retries; the last failure fails the application with its reason.
final class CreationRoundsTests: XCTestCase {
    private let vm0 = VMID(0)

    private func oneNode(rounds: Int32 = 3, mode: Mode = .virtual) -> GridConfig {
        initiatorClock(discoveryGrid([NodeConfig(maxVMs: 1)], mode: mode, rounds: rounds))
    }

    private func execTimeout(_ h: Harness, _ object: Int) -> Alarm {
        .execTimeout(ObjectID(object), generation: h.generation(of: ObjectID(object)))
    }

    private func cancels(_ h: Harness, _ app: AppID) -> [Message] {
        h.delivered.filter { if case .cancelObject(app, _, _) = $0.body { true } else { false } }
    }

    func testExecTimeoutFailsTheRoundCancelsPausesAndRetries() {
        var h = Harness(oneNode())
        let app = h.submit(main: 0)
        let object = ObjectID(0)
        XCTAssertEqual(h.app(app).state, .starting(round: 1, pending: 1))
        XCTAssertEqual(h.object(0).host, .waitingForVM)
        let firstTimeout = execTimeout(h, 0)
        XCTAssertEqual(h.delay(of: firstTimeout), 60)

        h.fire(firstTimeout)
        XCTAssertEqual(cancels(h, app), [Message(from: NodeID(0), to: NodeID(0), body: .cancelObject(app, object, booking: 1))])
        XCTAssertEqual(h.object(0).host, .released)
        XCTAssertEqual(h.object(0).initiator, .cancelled)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))
        XCTAssertEqual(h.delay(of: .errorPauseOver(app)), 120)
        XCTAssertFalse(h.reports.contains { if case .applicationFinished = $0 { true } else { false } })
        // The preparation already in flight keeps the VM for the application.
        XCTAssertEqual(h.vm(0).holder, .application(app))
        XCTAssertEqual(h.vm(0).preparation?.step, .reverting)

        h.fire(.errorPauseOver(app))
        XCTAssertEqual(h.app(app).state, .starting(round: 2, pending: 1))
        XCTAssertEqual(h.reserveTargets(of: app), [0, 0])
        XCTAssertEqual(h.object(0).host, .waitingForVM)
        XCTAssertEqual(h.vm(0).jobs, 1)
        let secondTimeout = execTimeout(h, 0)
        XCTAssertNotEqual(secondTimeout, firstTimeout)
        XCTAssertEqual(h.delay(of: secondTimeout), 60)
        // The round-1 timer is stale now.
        h.fire(firstTimeout)
        XCTAssertEqual(h.app(app).state, .starting(round: 2, pending: 1))
        XCTAssertEqual(cancels(h, app).count, 1)

        // The preparation finishes and serves the retried object, once.
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.launches().map(\.0), [object])
        XCTAssertEqual(h.launchAll(), [object])
        XCTAssertEqual(h.app(app).state, .running(remaining: 1))
        h.fire(secondTimeout) // too late to matter
        XCTAssertEqual(h.app(app).state, .running(remaining: 1))
    }

    func testAfterCreationRoundsFailuresTheApplicationFailsWithTheReason() {
        var h = Harness(oneNode(rounds: 2))
        let app = h.submit(main: 0)
        h.fire(execTimeout(h, 0))
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))
        h.fire(.errorPauseOver(app))
        h.fire(execTimeout(h, 0))
        XCTAssertEqual(h.app(app).state, .failed(.execTimeout))
        XCTAssertTrue(h.app(app).isFinished)
        XCTAssertEqual(h.reports.filter { if case .applicationFinished = $0 { true } else { false } },
                       [.applicationFinished(app, succeeded: false, reason: .execTimeout)])
        XCTAssertEqual(h.reserveTargets(of: app).count, 2)
        XCTAssertEqual(cancels(h, app).count, 2)
        XCTAssertNil(h.delay(of: .errorPauseOver(app)))
        // No third round.
        h.fire(.errorPauseOver(app))
        XCTAssertEqual(h.reserveTargets(of: app).count, 2)
    }

    func testFailedPreparationFailsTheRoundAndFreesTheVM() {
        var h = Harness(oneNode())
        let app = h.submit(main: 0)
        h.finishHypervisor(on: vm0, .revert, succeeded: false)
        XCTAssertTrue(h.delivered.contains { $0.body == .objectFailed(app, ObjectID(0), .prepareFailed) })
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))
        XCTAssertEqual(h.object(0).host, .released)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertNil(h.vm(0).preparation)
        XCTAssertTrue(h.reports.contains(.vmFreed(vm0)))
        // The retry prepares the VM again from scratch.
        h.fire(.errorPauseOver(app))
        XCTAssertEqual(h.vm(0).holder, .application(app))
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
    }

    func testFailedLaunchFailsTheRound() {
        var h = Harness(oneNode(rounds: 1, mode: .standard))
        let app = h.submit(main: 0)
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
        h.pending.removeAll { if case .launchObject = $0 { true } else { false } }
        h.handle(.objectLaunched(ObjectID(0), succeeded: false))
        XCTAssertEqual(h.app(app).state, .failed(.prepareFailed))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .prepareFailed))
        XCTAssertEqual(h.object(0).host, .released)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
    }

    func testFailedRoundKillsWhatItStarted() {
        var h = Harness(initiatorClock(discoveryGrid(line(2), wait: 5)))
        let app = h.submit(main: 0, objects: 2)
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(0), NodeID(1)])
        // Object 0 starts, object 1 never does.
        h.pending.removeAll { if case .launchObject(ObjectID(0), _, _, _, _) = $0 { true } else { false } }
        h.handle(.objectLaunched(ObjectID(0), succeeded: true))
        XCTAssertEqual(h.app(app).state, .starting(round: 1, pending: 1))
        h.fire(execTimeout(h, 1))
        XCTAssertEqual(cancels(h, app).map(\.to), [NodeID(0), NodeID(1)])
        XCTAssertTrue(h.pending.contains(.killObject(ObjectID(0), on: NodeID(0), vm: nil)))
        // Object 1 was launching: it is killed too, and its late launch report is ignored.
        XCTAssertTrue(h.pending.contains(.killObject(ObjectID(1), on: NodeID(1), vm: nil)))
        XCTAssertEqual(h.object(0).host, .released)
        XCTAssertEqual(h.object(1).host, .released)
        XCTAssertEqual((0..<2).map { h.plane.jobs(on: NodeID($0)) }, [0, 0])
        let ignored = h.plane.ignoredEvents
        h.handle(.objectLaunched(ObjectID(1), succeeded: true))
        XCTAssertEqual(h.plane.ignoredEvents, ignored + 1)
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))
    }

    /// A retried round may put an object on another node than the one whose preparation it
    /// waited for. The old VM must not launch it (nor lose the objects now waiting for it).
    func testObjectMovedToAnotherNodeByARetryIsNotLaunchedOnItsOldVM() {
        // Node 0 (main) and node 2 start with their only worker busy as a clone source.
        let nodes = [
            NodeConfig(maxVMs: 2, initialWorkers: 1, startupCloning: .count(1), neighbours: [NodeID(2), NodeID(1)]),
            NodeConfig(maxVMs: 1, initialWorkers: 1, neighbours: [NodeID(0)]),
            NodeConfig(maxVMs: 2, initialWorkers: 1, startupCloning: .count(1), neighbours: [NodeID(0)]),
        ]
        var h = Harness(initiatorClock(discoveryGrid(nodes, mode: .virtual, wait: 5)))
        let vm1 = VMID(1), vm2 = VMID(2)
        let app = h.submit(main: 0, objects: 2)
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(1), NodeID(1)])
        XCTAssertEqual(h.hypervisorOps(on: vm1), [.revert])
        h.fire(execTimeout(h, 0))
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))

        // Node 2's clone completes: it can take an object now, and answers first.
        h.finishHypervisor(on: vm2, .clone(target: VMID(4)))
        h.fire(.errorPauseOver(app))
        h.fire(.discoveryWait(app, round: 2))
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(2), NodeID(1)])
        XCTAssertEqual(h.object(0).vm, vm2)
        XCTAssertEqual(h.object(1).vm, vm1)
        XCTAssertEqual(h.object(0).host, .waitingForVM)
        XCTAssertEqual(h.object(1).host, .waitingForVM)

        // vm1's preparation (from round 1) completes: it launches object 1, and only that.
        h.finishHypervisor(on: vm1, .revert)
        h.answerAddress(vm: vm1)
        XCTAssertEqual(h.launches().map { [$0.0.index, $0.1.index] }, [[1, 1]])
        // vm2 launches object 0.
        h.finishHypervisor(on: vm2, .revert)
        h.answerAddress(vm: vm2)
        XCTAssertEqual(h.launches().map { [$0.0.index, $0.1.index] }, [[1, 1], [0, 2]])
        h.launchAll()
        XCTAssertEqual(h.app(app).state, .running(remaining: 2))
    }

    func testCancelledObjectsLeaveTheWaitingListInOrder() {
        var h = Harness(oneNode())
        let app = h.submit(main: 0, objects: 4)
        XCTAssertEqual((0..<4).map { h.object($0).host }, Array(repeating: .waitingForVM, count: 4))
        XCTAssertEqual(h.vm(0).waitingHead, 0)
        XCTAssertEqual(h.vm(0).waitingTail, 3)
        // Host-side cancels of the head, a middle object and the tail (as if the messages came late).
        for o in [0, 2, 3] {
            h.handle(.messageDelivered(Message(from: NodeID(0), to: NodeID(0), body: .cancelObject(app, ObjectID(o), booking: 1))))
        }
        XCTAssertEqual(h.vm(0).waitingHead, 1)
        XCTAssertEqual(h.vm(0).waitingTail, 1)
        XCTAssertEqual(h.object(1).nextWaiting, -1)
        XCTAssertEqual(h.vm(0).jobs, 1)
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(1)])
    }

    func testCancelledWaitingObjectIsNotLaunchedWhenThePreparationEnds() {
        var h = Harness(oneNode(rounds: 1))
        h.hold = { if case .applicationEnded = $0.body { true } else { false } }
        let app = h.submit(main: 0, objects: 2)
        h.fire(execTimeout(h, 0))
        XCTAssertEqual(h.app(app).state, .failed(.execTimeout))
        XCTAssertEqual((0..<2).map { h.object($0).host }, [.released, .released])
        // The end is late: the preparation completes first and finds nobody waiting.
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        XCTAssertTrue(h.launches().isEmpty)
        XCTAssertEqual(h.vm(0).readyFor, app)
        XCTAssertEqual(h.vm(0).holder, .application(app))
        h.hold = nil
        h.deliverHeld()
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertEqual(h.vm(0).holder, .free)
    }
}
