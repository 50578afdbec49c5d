import XCTest
@testable import Model

/// ApplicationEnd (reference flow 6): jobs removed, VM recycled by policy and freed when the
/// recycle completes; the JobMgr mutex (fixed) versus the faithful `applicationEndWithoutMutex`.
final class ApplicationEndTests: XCTestCase {
    private let vm0 = VMID(0)

    private func grid(recycle: RecycleAction = .revert, fidelity: Fidelity = .fixed, mode: Mode = .virtual,
                      rounds: Int32 = 3, startupRevert: Bool = false) -> GridConfig {
        initiatorClock(discoveryGrid([NodeConfig(maxJobs: 10, maxVMs: 1)], mode: mode, fidelity: fidelity,
                                     recycle: recycle, rounds: rounds, startupRevert: startupRevert))
    }

    /// Runs a one-object application on vm0 to completion (the VM starts powered off).
    private func runToCompletion(_ h: inout Harness) -> AppID {
        let app = h.submit(main: 0)
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0, 42)
        XCTAssertEqual(h.launchAll(), [ObjectID(0)])
        h.finishObjects(of: app)
        XCTAssertTrue(h.hasFinished(app, succeeded: true))
        return app
    }

    /// After completion the recycle is in flight: the VM is still the application's.
    private func assertRecycleInFlight(_ h: Harness, _ app: AppID, _ operation: HypervisorOperation,
                                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(h.hypervisorOps(on: vm0), [operation], file: file, line: line)
        XCTAssertEqual(h.vm(0).holder, .application(app), file: file, line: line)
        XCTAssertEqual(h.vm(0).maintenance?.purpose, .recycle(app), file: file, line: line)
        XCTAssertEqual(h.vm(0).jobs, 0, file: file, line: line)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0, file: file, line: line)
        XCTAssertFalse(h.reports.contains(.vmFreed(vm0)), file: file, line: line)
    }

    func testRecycleRevertLeavesTheVMRunningAndClean() {
        var h = Harness(grid(recycle: .revert))
        let app = runToCompletion(&h)
        XCTAssertEqual(h.vm(0).readyFor, nil)
        assertRecycleInFlight(h, app, .revert)
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertEqual(h.vm(0).power, .running)
        XCTAssertNil(h.vm(0).address)
        XCTAssertNil(h.vm(0).maintenance)
        XCTAssertFalse(h.vm(0).adminKeySent)
        XCTAssertTrue(h.reports.contains(.vmFreed(vm0)))
        XCTAssertEqual(h.plane.maxJobs(on: NodeID(0)) - h.plane.searchNodeJobs(on: NodeID(0)), 10)
        // The next application skips the revert: its preparation asks for the address at once.
        let next = h.submit(main: 0)
        XCTAssertEqual(h.vm(0).holder, .application(next))
        XCTAssertTrue(h.hypervisorOps(on: vm0).isEmpty)
        XCTAssertEqual(h.vm(0).preparation?.step, .obtainingAddress)
    }

    func testRecycleSuspendLeavesTheVMSuspended() {
        var h = Harness(grid(recycle: .suspend))
        let app = runToCompletion(&h)
        assertRecycleInFlight(h, app, .suspend)
        h.finishHypervisor(on: vm0, .suspend)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertEqual(h.vm(0).power, .suspended)
        XCTAssertNil(h.vm(0).address)
        XCTAssertTrue(h.reports.contains(.vmFreed(vm0)))
        // The next application pays a revert from the suspended state.
        _ = h.submit(main: 0)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
        XCTAssertEqual(h.vm(0).preparation?.step, .reverting)
    }

    func testRecycleShutdownLeavesTheVMOff() {
        var h = Harness(grid(recycle: .shutdown))
        let app = runToCompletion(&h)
        assertRecycleInFlight(h, app, .shutdown)
        h.finishHypervisor(on: vm0, .shutdown)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertEqual(h.vm(0).power, .off)
        XCTAssertTrue(h.reports.contains(.vmFreed(vm0)))
        _ = h.submit(main: 0)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
    }

    func testFailedRecycleStillFreesTheVMAndTheNextPreparationReverts() {
        var h = Harness(grid(recycle: .revert))
        _ = runToCompletion(&h)
        h.finishHypervisor(on: vm0, .revert, succeeded: false)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertEqual(h.vm(0).power, .off)
        _ = h.submit(main: 0)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
    }

    private func retryTicket(_ h: Harness) -> UInt32? {
        h.pendingTimers().compactMap { if case .recycleRetry(vm0, let ticket) = $0 { ticket } else { nil } }.last
    }

    func testFailedRecycleWithRetryKeepsTheVMHeldUntilARetrySucceeds() {
        var config = grid(recycle: .revert)
        config.recycleRetrySeconds = 30
        var h = Harness(config)
        let app = runToCompletion(&h)
        h.finishHypervisor(on: vm0, .revert, succeeded: false)
        XCTAssertEqual(h.vm(0).holder, .application(app), "fail closed: not freed with the application's keys in it")
        XCTAssertFalse(h.reports.contains(.vmFreed(vm0)))
        guard let ticket = retryTicket(h) else { return XCTFail("no retry timer: \(h.pendingTimers())") }
        XCTAssertEqual(h.delay(of: .recycleRetry(vm0, ticket: ticket)), 30)
        // A second application finds no free worker meanwhile.
        h.fire(.recycleRetry(vm0, ticket: ticket))
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert], "the retry reverts again")
        h.finishHypervisor(on: vm0, .revert, succeeded: false)
        guard let second = retryTicket(h) else { return XCTFail("no second retry") }
        XCTAssertNotEqual(second, ticket)
        h.fire(.recycleRetry(vm0, ticket: ticket))
        XCTAssertTrue(h.hypervisorOps(on: vm0).isEmpty, "a stale retry does nothing")
        h.fire(.recycleRetry(vm0, ticket: second))
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertEqual(h.vm(0).power, .running)
        XCTAssertTrue(h.reports.contains(.vmFreed(vm0)))
        XCTAssertEqual(h.plane.maxJobs(on: NodeID(0)) - h.plane.searchNodeJobs(on: NodeID(0)), 10)
    }

    func testFailedSuspendRecycleIsRetriedToo() {
        var config = grid(recycle: .suspend)
        config.recycleRetrySeconds = 5
        var h = Harness(config)
        let app = runToCompletion(&h)
        h.finishHypervisor(on: vm0, .suspend, succeeded: false)
        XCTAssertEqual(h.vm(0).holder, .application(app))
        guard let ticket = retryTicket(h) else { return XCTFail("no retry timer") }
        h.fire(.recycleRetry(vm0, ticket: ticket))
        h.finishHypervisor(on: vm0, .suspend)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertEqual(h.vm(0).power, .suspended)
    }

    func testEndKillsTheObjectsStillRunning() {
        var h = Harness(grid())
        let app = h.submit(main: 0, objects: 2)
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.launchAll(), [ObjectID(0), ObjectID(1)])
        XCTAssertEqual(h.app(app).state, .running(remaining: 2))
        h.handle(.objectFinished(ObjectID(0), succeeded: false))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .objectCrashed))
        XCTAssertTrue(h.pending.contains(.killObject(ObjectID(1), on: NodeID(0), vm: vm0)))
        XCTAssertFalse(h.pending.contains(.killObject(ObjectID(0), on: NodeID(0), vm: vm0)))
        XCTAssertEqual(h.object(0).host, .released)
        XCTAssertEqual(h.object(1).host, .released)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        assertRecycleInFlight(h, app, .revert)
    }

    // MARK: The mutex

    /// A one-object application whose only round times out while vm0's preparation is at `step`.
    private func endDuringPreparation(_ h: inout Harness) -> AppID {
        let app = h.submit(main: 0)
        XCTAssertNotNil(h.vm(0).preparation)
        h.fire(.execTimeout(ObjectID(0), generation: h.generation(of: ObjectID(0))))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .execTimeout))
        XCTAssertTrue(h.delivered.contains { $0.body == .applicationEnded(app, nil) })
        return app
    }

    func testFixedEndWaitsForThePreparationsRevertThenRecycles() {
        var h = Harness(grid(rounds: 1))
        let app = endDuringPreparation(&h)
        // The mutex: the end waits; only the preparation's revert is in flight.
        XCTAssertTrue(h.vm(0).endPending)
        XCTAssertEqual(h.vm(0).preparation?.step, .reverting)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
        XCTAssertNil(h.vm(0).maintenance)
        XCTAssertEqual(h.vm(0).holder, .application(app))
        // The revert returns: the recycle starts at once, the preparation goes no further.
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertNil(h.vm(0).preparation)
        XCTAssertFalse(h.vm(0).endPending)
        XCTAssertFalse(h.pending.contains { if case .obtainAddress = $0 { true } else { false } })
        assertRecycleInFlight(h, app, .revert)
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertTrue(h.reports.contains(.vmFreed(vm0)))
        XCTAssertTrue(h.launches().isEmpty)
    }

    func testFixedEndWaitsForTheAddressStepThenRecycles() {
        var h = Harness(grid(rounds: 1, startupRevert: true))
        h.finishHypervisor(on: vm0, .revert) // start-up revert: vm0 runs clean
        let app = endDuringPreparation(&h)
        XCTAssertEqual(h.vm(0).preparation?.step, .obtainingAddress)
        XCTAssertTrue(h.vm(0).endPending)
        XCTAssertTrue(h.hypervisorOps(on: vm0).isEmpty)
        h.answerAddress(vm: vm0)
        XCTAssertNil(h.vm(0).preparation)
        XCTAssertNil(h.vm(0).readyFor)
        assertRecycleInFlight(h, app, .revert)
        XCTAssertTrue(h.launches().isEmpty)
    }

    func testFixedEndWaitsForTheOwnKeyFetchInSecureMode() {
        var h = Harness(grid(mode: .virtualSecure, rounds: 1, startupRevert: true))
        h.finishHypervisor(on: vm0, .revert)
        let app = h.submit(main: 0)
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.vm(0).preparation?.step, .fetchingOwnKey)
        h.fire(.execTimeout(ObjectID(0), generation: h.generation(of: ObjectID(0))))
        XCTAssertTrue(h.vm(0).endPending)
        h.answerVMKey(vm: vm0)
        XCTAssertTrue(h.vm(0).ownKeyFetched)
        XCTAssertTrue(h.keyWrites(on: vm0).isEmpty)
        assertRecycleInFlight(h, app, .revert)
    }

    func testFaithfulEndWithoutMutexRecyclesAtOnce() {
        var h = Harness(grid(fidelity: only(.applicationEndWithoutMutex), rounds: 1))
        let app = endDuringPreparation(&h)
        XCTAssertFalse(h.vm(0).endPending)
        // The recycle runs beside the preparation's own revert.
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert, .revert])
        XCTAssertEqual(h.vm(0).maintenance?.purpose, .recycle(app))
        XCTAssertEqual(h.vm(0).preparation?.step, .reverting)
    }

    func testFaithfulRaceLaunchesAnObjectOfAnEndedApplication() {
        // The cancel is overtaken by the end, so the object is still waiting for its VM when the end arrives.
        var h = Harness(grid(fidelity: only(.applicationEndWithoutMutex), rounds: 1))
        h.hold = { if case .cancelObject = $0.body { true } else { false } }
        let app = endDuringPreparation(&h)
        XCTAssertEqual(h.object(0).host, .waitingForVM)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        // The preparation goes on and launches the object of an application that has ended.
        h.finishHypervisor(on: vm0, .revert) // the preparation's (first) revert
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
        XCTAssertEqual(h.app(app).state, .failed(.execTimeout))
    }

    func testFaithfulCancelledObjectIsOrphanedAndLaunchedWhenThePreparationReturns() {
        // The cancel arrives first: the object leaves the VM's queue, but without the mutex the
        // exec thread still holds it and launches it once the preparation returns.
        var h = Harness(grid(fidelity: only(.applicationEndWithoutMutex), rounds: 1))
        _ = endDuringPreparation(&h)
        XCTAssertEqual(h.plane.orphans.map(\.object), [ObjectID(0)])
        XCTAssertEqual(h.vm(0).orphanCount, 1)
        h.finishHypervisor(on: vm0, .revert) // the preparation's (first) revert
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
        XCTAssertTrue(h.plane.orphans.isEmpty)
        XCTAssertEqual(h.vm(0).orphanCount, 0)
    }

    func testFixedEndReleasesAnObjectStillWaitingAndNeverLaunchesIt() {
        var h = Harness(grid(rounds: 1))
        h.hold = { if case .cancelObject = $0.body { true } else { false } }
        let app = endDuringPreparation(&h)
        XCTAssertEqual(h.object(0).host, .released)
        XCTAssertTrue(h.vm(0).endPending)
        h.finishHypervisor(on: vm0, .revert)
        assertRecycleInFlight(h, app, .revert)
        XCTAssertTrue(h.launches().isEmpty)
    }

    func testEndDuringTheStartupRevertWaitsForItAndTheStartupFlowStillFinishes() {
        // An object reserved on a VM still in its start-up revert waits for it; the application
        // ends (its only round timed out) before the revert is done.
        var h = Harness(initiatorClock(discoveryGrid([NodeConfig(maxVMs: 2, initialWorkers: 1, startupCloning: .count(1))],
                                                     mode: .virtual, rounds: 1, startupRevert: true)))
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
        let app = h.submit(main: 0)
        XCTAssertEqual(h.vm(0).holder, .application(app))
        XCTAssertEqual(h.object(0).host, .waitingForVM)
        XCTAssertNil(h.vm(0).preparation)
        h.fire(.execTimeout(ObjectID(0), generation: h.generation(of: ObjectID(0))))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .execTimeout))
        // The start-up revert is still the only operation on vm0: the recycle waits for it.
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
        XCTAssertEqual(h.vm(0).maintenance?.purpose, .startup)
        h.finishHypervisor(on: vm0, .revert)
        // The start-up flow finished (num_clone 1 asks for a clone, but no VM is free yet) and
        // the recycle now runs; no preparation starts for the ended application.
        XCTAssertTrue(h.plane.nodes[0].started)
        XCTAssertNil(h.vm(0).preparation)
        assertRecycleInFlight(h, app, .revert)
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertEqual(h.plane.ignoredEvents, 0)
    }

    func testDuplicateEndDuringTheRecycleChangesNothing() {
        var h = Harness(grid(recycle: .shutdown))
        let app = runToCompletion(&h)
        assertRecycleInFlight(h, app, .shutdown)
        // The same end again (as a flooded copy a node no longer remembers would arrive).
        h.handle(.messageDelivered(Message(from: NodeID(0), to: NodeID(0), body: .applicationEnded(app, nil))))
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.shutdown])
        XCTAssertFalse(h.vm(0).endPending)
        h.finishHypervisor(on: vm0, .shutdown)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertEqual(h.vm(0).power, .off)
        XCTAssertEqual(h.plane.ignoredEvents, 0)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        XCTAssertEqual(h.plane.maxJobs(on: NodeID(0)) - h.plane.searchNodeJobs(on: NodeID(0)), 10)
    }

    func testIdleFreeVMIsPutAwayAfterTheIdleTimeout() {
        var config = grid(recycle: .revert)
        config.idleTimeoutSeconds = 600
        config.idleAction = .suspend
        var h = Harness(config)
        _ = runToCompletion(&h)
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertEqual(h.vm(0).power, .running)
        guard let alarm = h.pendingTimers().first(where: { if case .idleTimeout(VMID(0), _) = $0 { true } else { false } }) else {
            return XCTFail("no idle timer: \(h.pending)")
        }
        XCTAssertEqual(h.delay(of: alarm), 600)
        h.fire(alarm)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.suspend])
        XCTAssertEqual(h.vm(0).maintenance?.purpose, .idle)
        h.finishHypervisor(on: vm0, .suspend)
        XCTAssertEqual(h.vm(0).power, .suspended)
        XCTAssertEqual(h.vm(0).holder, .free)
    }

    func testIdleTimerOfAVMReservedMeanwhileDoesNothing() {
        var config = grid(recycle: .revert)
        config.idleTimeoutSeconds = 600
        var h = Harness(config)
        _ = runToCompletion(&h)
        h.finishHypervisor(on: vm0, .revert)
        guard let alarm = h.pendingTimers().first(where: { if case .idleTimeout = $0 { true } else { false } }) else {
            return XCTFail("no idle timer")
        }
        let next = h.submit(main: 0)
        XCTAssertEqual(h.vm(0).holder, .application(next))
        h.fire(alarm)
        XCTAssertTrue(h.hypervisorOps(on: vm0).isEmpty)
        XCTAssertNil(h.vm(0).maintenance)
    }

    // MARK: Notification

    private func runOnEveryNode(_ h: inout Harness, objects: Int32) -> AppID {
        let app = h.submit(main: 0, objects: objects)
        h.fire(.discoveryWait(app, round: 1))
        let held = h.plane.vms.indices.filter { h.vm($0).holder == .application(app) }.map { VMID($0) }
        for vm in held {
            h.finishHypervisor(on: vm, .revert)
            h.answerAddress(vm: vm)
        }
        XCTAssertEqual(h.launchAll().count, Int(objects))
        h.finishObjects(of: app)
        XCTAssertEqual(h.app(app).state, .completed)
        return app
    }

    func testFloodedEndReachesEveryNodeOnceAndRecyclesEveryVM() {
        var h = Harness(discoveryGrid(ring(3, NodeConfig(maxVMs: 1)), mode: .virtual, wait: 5, end: .flood,
                                      forwarding: .flood))
        let app = runOnEveryNode(&h, objects: 3)
        let ends = h.delivered.filter { if case .applicationEnded(app, let r, _) = $0.body { r != nil } else { false } }
        XCTAssertEqual(ends.map { [$0.from.index, $0.to.index] }, [[0, 1], [0, 2], [1, 2], [2, 1]])
        // The second copies at 1 and 2 were dropped: one recycle per VM.
        XCTAssertEqual(h.hypervisorOps().map(\.0), [VMID(0), VMID(1), VMID(2)])
        XCTAssertEqual(h.hypervisorOps().map(\.1), [.revert, .revert, .revert])
        XCTAssertEqual((0..<3).map { h.plane.jobs(on: NodeID($0)) }, [0, 0, 0])
    }

    func testTargetedEndGoesOnlyToNodesThatHeldTheApplication() {
        var h = Harness(discoveryGrid(line(3, NodeConfig(maxVMs: 1)), mode: .virtual, maxHops: 1, wait: 5))
        let app = runOnEveryNode(&h, objects: 2)
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(0), NodeID(1)])
        let ends = h.delivered.filter { $0.body == .applicationEnded(app, nil) }
        XCTAssertEqual(ends.map { [$0.from.index, $0.to.index] }, [[0, 0], [0, 1]])
        XCTAssertEqual(h.hypervisorOps().map(\.0), [VMID(0), VMID(1)])
        XCTAssertEqual(h.vm(2).holder, .free)
    }

    func testFloodedEndFollowsTheExplorationList() {
        var ends: [DiscoveryForwarding: [[Int32]]] = [:]
        for forwarding in [DiscoveryForwarding.explorationList, .flood] {
            var h = Harness(discoveryGrid(full(4, NodeConfig(maxVMs: 1)), mode: .virtual, wait: 5, end: .flood,
                                          forwarding: forwarding))
            let app = runOnEveryNode(&h, objects: 4)
            ends[forwarding] = h.delivered.filter { if case .applicationEnded(app, let r, _) = $0.body { r != nil } else { false } }
                .map { [$0.from.index, $0.to.index] }
            // Every node ended the application: one recycle per VM.
            XCTAssertEqual(Set(h.hypervisorOps().map(\.0)), Set((0..<4).map { VMID($0) }))
            XCTAssertEqual((0..<4).map { h.plane.jobs(on: NodeID($0)) }, [0, 0, 0, 0])
        }
        // The original's end request reaches 1, 2 and 3 from 0 and goes no further.
        XCTAssertEqual(ends[.explorationList], [[0, 1], [0, 2], [0, 3]])
        XCTAssertEqual(ends[.flood]?.count, 9)
    }

    func testEndIsFloodedByDefaultUnderDiscoveryAndTargetedUnderCentralPlacement() {
        XCTAssertEqual(GridConfig(nodes: [NodeConfig()]).endNotification, .flood)
        XCTAssertEqual(GridConfig(placement: .central(broker: NodeID(0)), nodes: [NodeConfig()]).endNotification, .targeted)
        XCTAssertEqual(GridConfig(endNotification: .targeted, nodes: [NodeConfig()]).endNotification, .targeted)
    }

    func testTargetedEndAlsoReachesRespondersThatKeepTheRequesterKey() {
        // Three nodes answer; the one object goes to node 0, yet 1 and 2 stored the requester key.
        var h = Harness(discoveryGrid(full(3), mode: .secure, fidelity: only(.requesterKeyTakeRaces), wait: 5))
        let app = h.submit(main: 0, objects: 1)
        let request = h.app(app).request
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(0)])
        XCTAssertTrue(h.plane.nodes[2].security.requesterKeys.contains(.init(app: app, request: request)))
        XCTAssertEqual(h.launchAll().count, 1)
        h.finishObjects(of: app)
        XCTAssertEqual(h.app(app).state, .completed)
        let ends = h.delivered.filter { if case .applicationEnded(app, nil, _) = $0.body { true } else { false } }
        XCTAssertEqual(ends.map { [$0.from.index, $0.to.index] }, [[0, 0], [0, 1], [0, 2]])
        for n in 0..<3 {
            XCTAssertFalse(h.plane.nodes[n].security.requesterKeys.contains { $0.app == app }, "node \(n)")
            XCTAssertFalse(h.plane.nodes[n].security.knows(app), "node \(n)")
        }
    }
}
