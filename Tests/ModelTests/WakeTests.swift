import XCTest
@testable import Model

/// `WakePolicy`: the original reverts every worker that is not running before an application; `reuseClean`
/// resumes or boots a worker that stayed clean since its last revert, and reverts any other.
final class WakeTests: XCTestCase {
    private let vm0 = VMID(0)
    private let node0 = NodeID(0)

    /// One node, one worker, reverted at start-up; a free running worker is put to sleep after 10 minutes.
    private func grid(wake: WakePolicy, idle: RecycleAction = .suspend, recycle: RecycleAction = .revert,
                      mode: Mode = .virtual, rounds: Int32 = 3) -> GridConfig {
        var config = discoveryGrid([NodeConfig(maxJobs: 10, maxVMs: 1)], mode: mode, recycle: recycle, rounds: rounds,
                                   startupRevert: true)
        config.wake = wake
        // The tests fail an application mid-preparation with the initiator's clock.
        config.execTimeoutScope = .execution
        config.idleTimeoutSeconds = 600
        config.idleAction = idle
        return config
    }

    private func fireIdleTimer(_ h: inout Harness, file: StaticString = #filePath, line: UInt = #line) {
        guard let alarm = h.pendingTimers().first(where: { if case .idleTimeout(VMID(0), _) = $0 { true } else { false } }) else {
            return XCTFail("no idle timer: \(h.pending)", file: file, line: line)
        }
        h.fire(alarm)
    }

    /// The start-up revert leaves vm0 running and clean; the idle timeout then suspends it or shuts it down.
    private func sleepingCleanWorker(_ config: GridConfig, file: StaticString = #filePath, line: UInt = #line) -> Harness {
        var h = Harness(config)
        XCTAssertFalse(h.vm(0).cleanSinceRevert, "a worker found at start-up is not known clean", file: file, line: line)
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertTrue(h.vm(0).cleanSinceRevert, file: file, line: line)
        fireIdleTimer(&h, file: file, line: line)
        let sleep: HypervisorOperation = config.idleAction == .suspend ? .suspend : .shutdown
        XCTAssertEqual(h.hypervisorOps(on: vm0), [sleep], file: file, line: line)
        h.finishHypervisor(on: vm0, sleep)
        XCTAssertEqual(h.vm(0).power, config.idleAction == .suspend ? .suspended : .off, file: file, line: line)
        XCTAssertEqual(h.vm(0).holder, .free, file: file, line: line)
        XCTAssertTrue(h.vm(0).cleanSinceRevert, "putting a worker to sleep changes nothing in it", file: file, line: line)
        return h
    }

    // MARK: The policy value

    func testThePolicyPicksTheOperation() {
        for power in [PowerState.suspended, .off] {
            XCTAssertEqual(WakePolicy.revert.operation(power: power, cleanSinceRevert: true), .revert)
            XCTAssertEqual(WakePolicy.reuseClean.operation(power: power, cleanSinceRevert: false), .revert)
        }
        XCTAssertEqual(WakePolicy.reuseClean.operation(power: .suspended, cleanSinceRevert: true), .resume)
        XCTAssertEqual(WakePolicy.reuseClean.operation(power: .off, cleanSinceRevert: true), .boot)
        XCTAssertEqual(GridConfig(nodes: [NodeConfig()]).wake, .revert, "the original is the default")
        XCTAssertEqual(WakePolicy.allCases.map(\.rawValue), ["revert", "reuseClean"])
    }

    // MARK: Clean workers

    func testACleanSuspendedWorkerIsResumedUnderReuseClean() {
        var h = sleepingCleanWorker(grid(wake: .reuseClean))
        let app = h.submit(main: 0)
        XCTAssertEqual(h.vm(0).holder, .application(app))
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.resume])
        XCTAssertEqual(h.vm(0).preparation?.step, .waking)
        XCTAssertEqual(h.vm(0).preparation?.reverted, false)
        h.finishHypervisor(on: vm0, .resume)
        XCTAssertEqual(h.vm(0).power, .running)
        XCTAssertTrue(h.vm(0).cleanSinceRevert, "a resume changes nothing in the guest")
        // The rest of Prepare VM as after a revert: the address is read again, then the launch.
        XCTAssertEqual(h.vm(0).preparation?.step, .obtainingAddress)
        XCTAssertNil(h.vm(0).address)
        h.answerAddress(vm: vm0, 42)
        XCTAssertEqual(h.launches().map(\.3), [Address(42)])
        XCTAssertEqual(h.launchAll(), [ObjectID(0)])
        XCTAssertFalse(h.vm(0).cleanSinceRevert, "an object ran in it")
        h.finishObjects(of: app)
        XCTAssertTrue(h.hasFinished(app, succeeded: true))
        // Recycled by revert as ever: clean again.
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertTrue(h.vm(0).cleanSinceRevert)
        XCTAssertEqual(h.plane.ignoredEvents, 0)
    }

    func testACleanSuspendedWorkerIsRevertedUnderRevert() {
        var h = sleepingCleanWorker(grid(wake: .revert))
        _ = h.submit(main: 0)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
        XCTAssertEqual(h.vm(0).preparation?.step, .reverting)
        XCTAssertEqual(h.vm(0).preparation?.reverted, true)
        XCTAssertFalse(h.vm(0).cleanSinceRevert, "not clean until the revert succeeded")
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertTrue(h.vm(0).cleanSinceRevert)
        XCTAssertEqual(h.vm(0).preparation?.step, .obtainingAddress)
    }

    func testACleanShutDownWorkerIsBootedUnderReuseClean() {
        var h = sleepingCleanWorker(grid(wake: .reuseClean, idle: .shutdown))
        let app = h.submit(main: 0)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.boot])
        XCTAssertEqual(h.vm(0).preparation?.step, .waking)
        h.finishHypervisor(on: vm0, .boot)
        XCTAssertEqual(h.vm(0).power, .running)
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.launchAll(), [ObjectID(0)])
        h.finishObjects(of: app)
        XCTAssertTrue(h.hasFinished(app, succeeded: true))

        var original = sleepingCleanWorker(grid(wake: .revert, idle: .shutdown))
        _ = original.submit(main: 0)
        XCTAssertEqual(original.hypervisorOps(on: vm0), [.revert])
    }

    func testAWokenWorkerGetsOnlyTheRequesterKeyInSecureMode() {
        var h = sleepingCleanWorker(grid(wake: .reuseClean, mode: .virtualSecure))
        let app = h.submit(main: 0)
        h.finishHypervisor(on: vm0, .resume)
        h.answerAddress(vm: vm0)
        h.answerVMKey(vm: vm0)
        // Not reverted by this preparation: the admin key is the clean snapshot's, only the requester's is written.
        XCTAssertEqual(h.keyWrites(on: vm0), [KeyWrite(kind: .requester(ObjectID(0)), app: app)])
        XCTAssertFalse(h.vm(0).cleanSinceRevert, "an application key is on its way into the guest")
        h.answerKeyWrites(vm: vm0)
        XCTAssertEqual(h.launchAll(), [ObjectID(0)])
    }

    // MARK: Used workers are reverted

    func testAWorkerAnObjectRanInIsRevertedEvenUnderReuseClean() {
        var h = sleepingCleanWorker(grid(wake: .reuseClean, recycle: .suspend))
        let first = h.submit(main: 0)
        h.finishHypervisor(on: vm0, .resume)
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.launchAll(), [ObjectID(0)])
        h.finishObjects(of: first)
        // Recycled by suspend: asleep again, with the first application's traces in it.
        h.finishHypervisor(on: vm0, .suspend)
        XCTAssertEqual(h.vm(0).power, .suspended)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertFalse(h.vm(0).cleanSinceRevert)
        _ = h.submit(main: 0)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
        XCTAssertEqual(h.vm(0).preparation?.step, .reverting)
    }

    func testAWorkerThatGotAnApplicationKeyIsRevertedEvenUnderReuseClean() {
        var h = sleepingCleanWorker(grid(wake: .reuseClean, recycle: .suspend, mode: .virtualSecure, rounds: 1))
        let app = h.submit(main: 0)
        h.finishHypervisor(on: vm0, .resume)
        h.answerAddress(vm: vm0)
        h.answerVMKey(vm: vm0)
        XCTAssertEqual(h.keyWrites(on: vm0), [KeyWrite(kind: .requester(ObjectID(0)), app: app)])
        // The application fails before any object runs, while its key is being written; the end recycles.
        h.fire(.execTimeout(ObjectID(0), generation: h.generation(of: ObjectID(0))))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .execTimeout))
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.suspend])
        h.answerKeyWrites(vm: vm0)
        XCTAssertTrue(h.launches().isEmpty, "no object ever ran in it")
        h.finishHypervisor(on: vm0, .suspend)
        XCTAssertEqual(h.vm(0).power, .suspended)
        XCTAssertFalse(h.vm(0).cleanSinceRevert, "the application's keys are in it")
        _ = h.submit(main: 0)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
    }

    // MARK: Failures and stale completions

    func testAFailedResumeFailsThePreparationLikeAFailedRevertAndTheWorkerIsRevertedNext() {
        var reasons: [FailureReason?] = []
        for wake in WakePolicy.allCases {
            var h = sleepingCleanWorker(grid(wake: wake, rounds: 1))
            let app = h.submit(main: 0)
            let operation: HypervisorOperation = wake == .revert ? .revert : .resume
            h.finishHypervisor(on: vm0, operation, succeeded: false)
            XCTAssertNil(h.vm(0).preparation)
            XCTAssertEqual(h.vm(0).power, .suspended, "\(wake): still where it was")
            XCTAssertFalse(h.vm(0).cleanSinceRevert, "\(wake)")
            XCTAssertTrue(h.launches().isEmpty)
            guard case .failed(let reason) = h.app(app).state else { return XCTFail("\(wake): \(h.app(app).state)") }
            reasons.append(reason)
            // The failed round's cancel frees the worker as it is; the next application reverts it.
            XCTAssertEqual(h.vm(0).holder, .free, "\(wake)")
            XCTAssertTrue(h.hypervisorOps(on: vm0).isEmpty, "\(wake)")
            _ = h.submit(main: 0)
            XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert], "\(wake)")
            h.finishHypervisor(on: vm0, .revert)
            XCTAssertEqual(h.vm(0).power, .running)
            XCTAssertTrue(h.vm(0).cleanSinceRevert)
        }
        XCTAssertEqual(reasons, [.prepareFailed, .prepareFailed], "the same failure path")
    }

    func testAFailedBootLeavesTheWorkerToBeReverted() {
        var h = sleepingCleanWorker(grid(wake: .reuseClean, idle: .shutdown))
        _ = h.submit(main: 0)
        h.finishHypervisor(on: vm0, .boot, succeeded: false)
        XCTAssertFalse(h.vm(0).cleanSinceRevert)
        XCTAssertEqual(h.vm(0).power, .off)
    }

    func testACompletionForAnOperationThePreparationDidNotAskForIsIgnored() {
        var h = sleepingCleanWorker(grid(wake: .reuseClean))
        _ = h.submit(main: 0)
        guard case .hypervisor(_, .resume, let ticket)? = h.pending.first(where: { if case .hypervisor = $0 { true } else { false } }) else {
            return XCTFail("no resume pending: \(h.pending)")
        }
        h.handle(.hypervisorFinished(vm0, .revert, ticket: ticket, succeeded: true))
        XCTAssertEqual(h.plane.ignoredEvents, 1)
        XCTAssertEqual(h.vm(0).preparation?.step, .waking)
        XCTAssertEqual(h.vm(0).power, .suspended)
        h.finishHypervisor(on: vm0, .resume)
        XCTAssertEqual(h.vm(0).preparation?.step, .obtainingAddress)
    }

    func testAnEndDuringAResumeWaitsForItThenRecycles() {
        var h = sleepingCleanWorker(grid(wake: .reuseClean, rounds: 1))
        let app = h.submit(main: 0)
        h.fire(.execTimeout(ObjectID(0), generation: h.generation(of: ObjectID(0))))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .execTimeout))
        XCTAssertTrue(h.vm(0).endPending)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.resume])
        h.finishHypervisor(on: vm0, .resume)
        XCTAssertNil(h.vm(0).preparation)
        XCTAssertEqual(h.vm(0).maintenance?.purpose, .recycle(app))
        // Running now: the recycle reverts it as the original does.
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertTrue(h.vm(0).cleanSinceRevert)
    }

    func testAnAdminRestartDuringAResumeLeavesTheWorkerToBeReverted() {
        var h = sleepingCleanWorker(grid(wake: .reuseClean))
        _ = h.submit(main: 0)
        guard case .hypervisor(_, .resume, let ticket)? = h.pending.first(where: { if case .hypervisor = $0 { true } else { false } }) else {
            return XCTFail("no resume pending: \(h.pending)")
        }
        h.pending.removeAll { if case .hypervisor = $0 { true } else { false } }
        h.handle(.adminRestarted(node0))
        XCTAssertFalse(h.vm(0).cleanSinceRevert, "a JobMgr that knows nothing of its workers cannot trust them")
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
        // The resume returns after the restart: nobody's any more.
        let ignored = h.plane.ignoredEvents
        h.handle(.hypervisorFinished(vm0, .resume, ticket: ticket, succeeded: true))
        XCTAssertEqual(h.plane.ignoredEvents, ignored + 1)
        XCTAssertFalse(h.vm(0).cleanSinceRevert)
        h.finishHypervisor(on: vm0, .revert)
        XCTAssertTrue(h.vm(0).cleanSinceRevert)
    }

    func testAPowerChangeBehindModelsBackMakesTheWorkerUntrusted() {
        var h = sleepingCleanWorker(grid(wake: .reuseClean))
        h.handle(.vmPowerObserved(vm0, .off))
        XCTAssertFalse(h.vm(0).cleanSinceRevert)
        _ = h.submit(main: 0)
        XCTAssertEqual(h.hypervisorOps(on: vm0), [.revert])
    }
}
