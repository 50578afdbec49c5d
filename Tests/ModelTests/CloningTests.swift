import XCTest
@testable import Model

/// The Cloner (reference flows 1 and 7): clone-ahead after a reservation, start-up cloning,
/// AddClone on success, and the faithful defects around them.
final class CloningTests: XCTestCase {
    /// One node, virtual mode, `ADVANCE_VM` 2, maxvm 3, two workers (`_worker1`, `_worker2`).
    private func cloneAheadGrid(_ fidelity: Fidelity = .fixed, maxVMs: Int32 = 3, initial: Int32 = 2) -> GridConfig {
        discoveryGrid([NodeConfig(maxVMs: maxVMs, initialWorkers: initial)], mode: .virtual, fidelity: fidelity,
                      threshold: 2)
    }

    private func startupGrid(_ cloning: StartupCloning, fidelity: Fidelity = .fixed, maxVMs: Int32 = 3,
                             initial: Int32 = 1, threshold: Int32 = 2, startupRevert: Bool = false) -> GridConfig {
        discoveryGrid([NodeConfig(maxVMs: maxVMs, initialWorkers: initial, startupCloning: cloning)],
                      mode: .virtual, fidelity: fidelity, threshold: threshold, startupRevert: startupRevert)
    }

    /// The clones start-up asked for, as (source, target) VM indexes.
    private func startupClones(_ h: Harness) -> [[Int32]] {
        h.reports.compactMap { if case .cloneStarted(let s, let t) = $0 { [s.index, t.index] } else { nil } }
    }

    private func clones(_ h: Harness) -> [(VMID, VMID)] {
        h.hypervisorOps().compactMap { vm, op in if case .clone(let target) = op { return (vm, target) }; return nil }
    }

    private func clonesStarted(_ h: Harness) -> [Report] {
        h.reports.filter { if case .cloneStarted = $0 { true } else { false } }
    }

    func testCloneAheadStartsFromAFreeVMWhenFewAreFree() {
        var h = Harness(cloneAheadGrid())
        XCTAssertTrue(h.pending.isEmpty)
        let app = h.submit(main: 0)
        XCTAssertEqual(h.vm(0).holder, .application(app))
        // One VM left free (< 2) and 2 of 3 VMs exist: vm1 is cloned into a new vm2.
        XCTAssertTrue(h.reports.contains(.cloneStarted(source: VMID(1), target: VMID(2))))
        XCTAssertEqual(h.vm(1).holder, .cloneSource(clones: 1))
        XCTAssertEqual(h.vm(2).holder, .beingCloned)
        XCTAssertEqual(h.vm(2).ordinal, 3)
        XCTAssertTrue(h.pending.contains(.defineVM(VMID(2), on: NodeID(0), ordinal: 3)))
        XCTAssertEqual(clones(h).map(\.0), [VMID(1)])
        XCTAssertEqual(clones(h).map(\.1), [VMID(2)])
        XCTAssertEqual(h.plane.workers(on: NodeID(0)), [VMID(0), VMID(1), VMID(2)])
        XCTAssertEqual(h.plane.clonerQueue(on: NodeID(0)), 1)
        // The source is not free: a second application finds no VM until the clone is done.
        let other = h.submit(main: 0)
        XCTAssertEqual(h.app(other).state, .placing(round: 1))
    }

    func testSuccessfulCloneJoinsAsFreeAndFreesItsSource() {
        var h = Harness(cloneAheadGrid())
        _ = h.submit(main: 0)
        h.finishHypervisor(on: VMID(1), .clone(target: VMID(2)))
        XCTAssertTrue(h.reports.contains(.cloneFinished(target: VMID(2), succeeded: true)))
        XCTAssertEqual(h.vm(2).holder, .free)
        XCTAssertEqual(h.vm(2).power, .off)
        XCTAssertEqual(h.vm(1).holder, .free)
        XCTAssertEqual(h.vm(1).power, .off) // the clone shut its source down
        XCTAssertTrue(h.reports.contains(.vmFreed(VMID(1))))
        XCTAssertEqual(h.plane.clonerQueue(on: NodeID(0)), 0)
        // Now at maxvm: the next reservation (free drops to 1) does not clone again.
        let b = h.submit(main: 0)
        XCTAssertEqual(h.vm(1).holder, .application(b))
        XCTAssertEqual(clonesStarted(h).count, 1)
        XCTAssertTrue(clones(h).isEmpty)
    }

    func testCloneAheadDoesNotFireAtMaxVMs() {
        var h = Harness(cloneAheadGrid(maxVMs: 2, initial: 2))
        _ = h.submit(main: 0)
        XCTAssertTrue(clonesStarted(h).isEmpty)
        XCTAssertEqual(h.plane.workers(on: NodeID(0)).count, 2)
    }

    func testCloneAheadDoesNotFireWithEnoughFreeVMs() {
        var h = Harness(cloneAheadGrid(maxVMs: 4, initial: 3))
        _ = h.submit(main: 0)
        // Two of three stay free: not fewer than ADVANCE_VM.
        XCTAssertTrue(clonesStarted(h).isEmpty)
        _ = h.submit(main: 0)
        XCTAssertEqual(clonesStarted(h), [.cloneStarted(source: VMID(2), target: VMID(3))])
    }

    func testFaithfulCloneAheadNeverFires() {
        var h = Harness(cloneAheadGrid(only(.cloneAheadNeverFires)))
        let app = h.submit(main: 0)
        XCTAssertEqual(h.vm(0).holder, .application(app))
        XCTAssertEqual(h.vm(1).holder, .free)
        XCTAssertTrue(clonesStarted(h).isEmpty)
        XCTAssertTrue(clones(h).isEmpty)
        XCTAssertFalse(h.pending.contains { if case .defineVM = $0 { true } else { false } })
        XCTAssertEqual(h.plane.workers(on: NodeID(0)).count, 2)
    }

    func testFixedCloneFailureDiscardsTheTargetAndFreesTheSource() {
        var h = Harness(cloneAheadGrid())
        _ = h.submit(main: 0)
        h.finishHypervisor(on: VMID(1), .clone(target: VMID(2)), succeeded: false)
        XCTAssertTrue(h.reports.contains(.cloneFinished(target: VMID(2), succeeded: false)))
        XCTAssertEqual(h.vm(2).holder, .discarded)
        XCTAssertEqual(h.vm(1).holder, .free)
        XCTAssertTrue(h.reports.contains(.vmFreed(VMID(1))))
        XCTAssertEqual(h.plane.clonerQueue(on: NodeID(0)), 0)
        // The freed source serves the next application.
        let b = h.submit(main: 0)
        XCTAssertEqual(h.vm(1).holder, .application(b))
    }

    func testFaithfulCloneFailureNeverCallsBackAndKeepsTheSourceForever() {
        var h = Harness(cloneAheadGrid(only(.cloneFailureNeverCallsBack)))
        _ = h.submit(main: 0)
        h.finishHypervisor(on: VMID(1), .clone(target: VMID(2)), succeeded: false)
        XCTAssertEqual(h.vm(2).holder, .discarded)
        XCTAssertEqual(h.vm(1).holder, .cloneSource(clones: 1))
        XCTAssertFalse(h.reports.contains(.vmFreed(VMID(1))))
        // The cloner itself moves on.
        XCTAssertEqual(h.plane.clonerQueue(on: NodeID(0)), 0)
        // vm1 never serves again: a second application finds nothing.
        let b = h.submit(main: 0)
        h.fire(.discoveryWait(b, round: 1))
        XCTAssertEqual(h.app(b).state, .paused(nextRound: 2))
        XCTAssertEqual(h.vm(1).holder, .cloneSource(clones: 1))
    }

    func testStartupCloningCountIsCappedByMaxVMsInEveryBuild() {
        // `num_clone > 0`: the 2012 code caps it at the room left (`available_position`), so
        // faithful, fixed and the switch alone agree.
        for fidelity in [Fidelity.fixed, .faithful, only(.startupCloneIgnoresMaxVM)] {
            let h = Harness(startupGrid(.count(5), fidelity: fidelity))
            // maxvm 3 with one worker: two clones, both from _worker1, ordinals 2 and 3.
            XCTAssertEqual(clonesStarted(h), [.cloneStarted(source: VMID(0), target: VMID(1)),
                                              .cloneStarted(source: VMID(0), target: VMID(2))], "\(fidelity.enabled)")
            XCTAssertEqual(h.pending.filter { if case .defineVM = $0 { true } else { false } },
                           [.defineVM(VMID(1), on: NodeID(0), ordinal: 2), .defineVM(VMID(2), on: NodeID(0), ordinal: 3)])
            XCTAssertEqual(h.vm(0).holder, .cloneSource(clones: 2))
            XCTAssertEqual(h.plane.workers(on: NodeID(0)).count, 3)
        }
    }

    func testClonerRunsOneCloneAtATime() {
        var h = Harness(startupGrid(.count(2)))
        XCTAssertEqual(clones(h).map(\.1), [VMID(1)])
        XCTAssertEqual(h.plane.clonerQueue(on: NodeID(0)), 2)
        h.finishHypervisor(on: VMID(0), .clone(target: VMID(1)))
        // The first clone ended: the second starts only now.
        XCTAssertEqual(clones(h).map(\.1), [VMID(2)])
        XCTAssertEqual(h.plane.clonerQueue(on: NodeID(0)), 1)
        XCTAssertEqual(h.vm(1).holder, .free)
        XCTAssertEqual(h.vm(0).holder, .cloneSource(clones: 1))
        h.finishHypervisor(on: VMID(0), .clone(target: VMID(2)))
        XCTAssertTrue(clones(h).isEmpty)
        XCTAssertEqual(h.plane.clonerQueue(on: NodeID(0)), 0)
        XCTAssertEqual((0..<3).map { h.vm($0).holder }, [.free, .free, .free])
        XCTAssertEqual(h.reports.filter { $0 == .vmFreed(VMID(0)) }.count, 1)
    }

    func testSecondCloneStartsEvenWhenTheFirstFails() {
        var h = Harness(startupGrid(.count(2)))
        h.finishHypervisor(on: VMID(0), .clone(target: VMID(1)), succeeded: false)
        XCTAssertEqual(h.vm(1).holder, .discarded)
        XCTAssertEqual(clones(h).map(\.1), [VMID(2)])
        XCTAssertEqual(h.vm(0).holder, .cloneSource(clones: 1))
    }

    func testStartupKeepAheadPlusOne() {
        // ADVANCE_VM + 1 = 3 workers wanted, 1 exists: two clones (room for 3).
        var h = Harness(startupGrid(.keepAheadPlusOne, maxVMs: 4))
        XCTAssertEqual(clonesStarted(h), [.cloneStarted(source: VMID(0), target: VMID(1)),
                                          .cloneStarted(source: VMID(0), target: VMID(2))])
        // Capped by maxvm: room for one only (the overshoot is one too, so the 2012 code agrees).
        for fidelity in [Fidelity.fixed, .faithful] {
            h = Harness(startupGrid(.keepAheadPlusOne, fidelity: fidelity, maxVMs: 2))
            XCTAssertEqual(clonesStarted(h), [.cloneStarted(source: VMID(0), target: VMID(1))])
        }
        // Already three workers: nothing to do.
        h = Harness(startupGrid(.keepAheadPlusOne, maxVMs: 4, initial: 3))
        XCTAssertTrue(clonesStarted(h).isEmpty)
        // At maxvm: nothing, whatever the threshold.
        h = Harness(startupGrid(.keepAheadPlusOne, fidelity: .faithful, maxVMs: 3, initial: 3, threshold: 9))
        XCTAssertTrue(clonesStarted(h).isEmpty)
    }

    func testFaithfulKeepAheadClonesTheOvershootPastMaxVMs() {
        // Threshold 7, maxvm 4, one worker: 7 wanted, 1 + 7 - 4 = 4 over maxvm, room for 3.
        let faithful = Harness(startupGrid(.keepAheadPlusOne, fidelity: only(.startupCloneIgnoresMaxVM), maxVMs: 4,
                                           threshold: 7))
        // The 2012 code clones the overshoot, 4: five workers under a maxvm of 4.
        XCTAssertEqual(startupClones(faithful), [[0, 1], [0, 2], [0, 3], [0, 4]])
        XCTAssertEqual(faithful.plane.workers(on: NodeID(0)), (0..<5).map { VMID($0) })
        XCTAssertEqual(faithful.plane.vms.map(\.ordinal), [1, 2, 3, 4, 5])
        XCTAssertEqual(faithful.vm(0).holder, .cloneSource(clones: 4))
        XCTAssertEqual(clones(faithful).map(\.1), [VMID(1)]) // one at a time
        XCTAssertEqual(faithful.plane.clonerQueue(on: NodeID(0)), 4)
        // Fixed: the room, 3; four workers.
        let fixed = Harness(startupGrid(.keepAheadPlusOne, maxVMs: 4, threshold: 7))
        XCTAssertEqual(startupClones(fixed), [[0, 1], [0, 2], [0, 3]])
        XCTAssertEqual(fixed.plane.workers(on: NodeID(0)).count, 4)
        XCTAssertEqual(fixed.vm(0).holder, .cloneSource(clones: 3))
    }

    func testFaithfulKeepAheadClonesFewerThanTheRoomWhenTheOvershootIsSmaller() {
        // Threshold 4, maxvm 4, one worker: 4 wanted, 1 + 4 - 4 = 1 over maxvm, room for 3.
        let faithful = Harness(startupGrid(.keepAheadPlusOne, fidelity: .faithful, maxVMs: 4, threshold: 4))
        XCTAssertEqual(startupClones(faithful), [[0, 1]])
        XCTAssertEqual(faithful.plane.workers(on: NodeID(0)).count, 2)
        XCTAssertEqual(faithful.vm(0).holder, .cloneSource(clones: 1))
        let fixed = Harness(startupGrid(.keepAheadPlusOne, maxVMs: 4, threshold: 4))
        XCTAssertEqual(startupClones(fixed), [[0, 1], [0, 2], [0, 3]])
        XCTAssertEqual(fixed.plane.workers(on: NodeID(0)).count, 4)
    }

    func testKeepAheadWithinMaxVMsIsTheSameInEveryBuild() {
        // Threshold 2, maxvm 6, two workers: one wanted, no overshoot.
        for fidelity in [Fidelity.fixed, .faithful] {
            let h = Harness(startupGrid(.keepAheadPlusOne, fidelity: fidelity, maxVMs: 6, initial: 2))
            XCTAssertEqual(startupClones(h), [[0, 2]], "\(fidelity.enabled)")
        }
    }

    func testStartupCloningWaitsForTheStartupReverts() {
        var h = Harness(startupGrid(.count(1), startupRevert: true))
        // Only the start-up revert is pending.
        XCTAssertEqual(h.hypervisorOps().map(\.0), [VMID(0)])
        XCTAssertEqual(h.hypervisorOps().map(\.1), [.revert])
        XCTAssertTrue(clonesStarted(h).isEmpty)
        h.finishHypervisor(on: VMID(0), .revert)
        XCTAssertEqual(h.vm(0).power, .running)
        XCTAssertEqual(clonesStarted(h), [.cloneStarted(source: VMID(0), target: VMID(1))])
        XCTAssertEqual(clones(h).map(\.0), [VMID(0)])
    }

    func testStartupCloningOffClonesNothing() {
        let h = Harness(startupGrid(.off))
        XCTAssertTrue(clonesStarted(h).isEmpty)
        XCTAssertEqual(StartupCloning(numClone: 0), .off)
        XCTAssertEqual(StartupCloning(numClone: 3), .count(3))
        XCTAssertEqual(StartupCloning(numClone: -1), .keepAheadPlusOne)
    }

    func testCloneAheadWaitsWhileTheClonerIsBusy() {
        // Start-up clones keep the cloner busy; a reservation then does not queue another clone.
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 5, initialWorkers: 3, startupCloning: .count(1))],
                                      mode: .virtual, threshold: 2))
        XCTAssertEqual(clonesStarted(h).count, 1)
        XCTAssertEqual(h.vm(0).holder, .cloneSource(clones: 1))
        let app = h.submit(main: 0)
        // One VM (vm2) left free, 4 of 5 exist: clone-ahead would fire, but the cloner is busy.
        XCTAssertEqual(h.vm(1).holder, .application(app))
        XCTAssertEqual(h.vm(2).holder, .free)
        XCTAssertEqual(clonesStarted(h).count, 1)
        XCTAssertEqual(h.plane.clonerQueue(on: NodeID(0)), 1)
    }

    func testCentralBrokerLearnsOfANewClone() {
        var h = Harness(centralGrid(maxVMs: 3, initial: 2, threshold: 2))
        _ = h.submit()
        XCTAssertEqual(clones(h).map(\.1), [VMID(2)])
        h.finishHypervisor(on: VMID(1), .clone(target: VMID(2)))
        XCTAssertTrue(h.delivered.contains { $0.from == NodeID(0) && $0.to == NodeID(0) && { if case .vmAdded(NodeID(0), _) = $0.body { true } else { false } }($0) })
        // The broker now counts two free VMs: two more applications are placed, not queued.
        let b = h.submit()
        let c = h.submit()
        XCTAssertFalse(h.reports.contains(.applicationQueued(b)))
        XCTAssertFalse(h.reports.contains(.applicationQueued(c)))
        XCTAssertEqual(h.vm(1).holder, .application(b))
        XCTAssertEqual(h.vm(2).holder, .application(c))
    }
}
