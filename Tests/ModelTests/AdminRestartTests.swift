import XCTest
@testable import Model

/// An admin VM restart empties its node's services and reverts its workers; mains of the
/// objects that were there hear of it, and the broker gets the capacity back.
final class AdminRestartTests: XCTestCase {
    func testARestartKillsRunningObjectsFreesTheWorkersAndRevertsThem() {
        var h = Harness(centralGrid(nodes: 1, maxVMs: 2, initial: 2))
        let app = h.submit(main: 0, objects: 2)
        h.finishHypervisor()
        h.answerAddress()
        while let object = h.launchedObjectIfAny() { h.handle(.objectLaunched(object, succeeded: true)) }
        let node = h.plane.object(ObjectID(0)).hostNode!
        XCTAssertGreaterThan(h.plane.jobs(on: node), 0)
        XCTAssertEqual(h.plane.jobs(on: node), 2, "one node, one VM, both objects")
        h.pending.removeAll()
        h.handle(.adminRestarted(node))
        XCTAssertEqual(h.plane.jobs(on: node), 0)
        XCTAssertEqual(h.plane.maxJobs(on: node) - h.plane.searchNodeJobs(on: node), h.plane.maxJobs(on: node))
        let killed = h.pending.filter { if case .killObject = $0 { return true }; return false }
        XCTAssertEqual(killed.count, 2, "both objects ran there")
        XCTAssertTrue(h.delivered.contains { $0.body == .objectFailed(app, ObjectID(0), .nodeRestarted) })
        XCTAssertTrue(h.reports.contains(.applicationFinished(app, succeeded: false, reason: .nodeRestarted)))
        let workers = h.plane.workers(on: node)
        for vm in workers { XCTAssertEqual(h.plane.vms[Int(vm.index)].holder, .free) }
        let reverts = h.pending.filter { if case .hypervisor(_, .revert, _) = $0 { return true }; return false }
        XCTAssertEqual(reverts.count, workers.count, "the start-up flow reverts every worker")
        XCTAssertFalse(h.plane.nodes[Int(node.index)].started)
        XCTAssertTrue(h.delivered.contains {
            if case .capacityReleased(node, 2, 1, _) = $0.body { return true }
            return false
        }, "the broker gets the two jobs and the VM back")
        for _ in workers { h.finishHypervisor() }
        XCTAssertTrue(h.plane.nodes[Int(node.index)].started)
        XCTAssertEqual(h.plane.freeWorkerCounts(on: node).kept, Int32(workers.count))
    }

    func testCompletionsOfOperationsStartedBeforeTheRestartAreIgnored() {
        var h = Harness(centralGrid(nodes: 1, maxVMs: 1, initial: 1))
        _ = h.submit(main: 0)
        guard case .hypervisor(let vm, .revert, let oldTicket)? = h.pending.first(where: {
            if case .hypervisor = $0 { return true }
            return false
        }) else { return XCTFail("expected the preparation's revert") }
        h.pending.removeAll()
        h.handle(.adminRestarted(NodeID(0)))
        let ignored = h.plane.ignoredEvents
        h.handle(.hypervisorFinished(vm, .revert, ticket: oldTicket, succeeded: true))
        XCTAssertGreaterThan(h.plane.ignoredEvents, ignored, "the old preparation's revert is nobody's now")
        XCTAssertNil(h.plane.vms[Int(vm.index)].preparation)
    }

    func testACloneThatEndsAfterTheRestartIsNobodys() {
        var h = Harness(centralGrid(nodes: 1, maxVMs: 4, initial: 2, threshold: 2))
        _ = h.submit(main: 0)
        guard let (source, target, ticket) = h.pending.lazy.compactMap({ action -> (VMID, VMID, UInt32)? in
            if case .hypervisor(let vm, .clone(let target), let ticket) = action { return (vm, target, ticket) }
            return nil
        }).first else { return XCTFail("expected a clone-ahead, got \(h.pending)") }
        h.pending.removeAll()
        h.handle(.adminRestarted(NodeID(0)))
        XCTAssertEqual(h.plane.vms[Int(target.index)].holder, .discarded, "the half-made copy is lost")
        let ignored = h.plane.ignoredEvents
        h.handle(.hypervisorFinished(source, .clone(target: target), ticket: ticket, succeeded: true))
        XCTAssertEqual(h.plane.ignoredEvents, ignored + 1)
        XCTAssertEqual(h.plane.vms[Int(target.index)].holder, .discarded)
    }

    func testTheBrokerReportsANodeGivingBackMoreThanItPlaced() {
        var h = Harness(centralGrid(nodes: 2))
        h.plane.handle(.messageDelivered(Message(from: NodeID(1), to: NodeID(0),
                                                 body: .capacityReleased(node: NodeID(1), jobs: 2, vms: 0, sequence: 1))),
                       now: h.now)
        h.pump()
        XCTAssertTrue(h.reports.contains(.brokerOvercounted(NodeID(1))))
    }

    func testAReservationForgottenByTheRestartRefusesItsExecute() {
        var h = Harness(centralGrid(nodes: 1))
        h.hold = { message in if case .execute = message.body { return true }; return false }
        let app = h.submit(main: 0)
        h.handle(.adminRestarted(NodeID(0)))
        h.hold = nil
        h.deliverHeld()
        XCTAssertTrue(h.delivered.contains { $0.body == .objectFailed(app, ObjectID(0), .refused) })
    }
}

extension Harness {
    /// The next pending launch, if any (no failure when there is none).
    mutating func launchedObjectIfAny() -> ObjectID? {
        guard let i = pending.firstIndex(where: { if case .launchObject = $0 { return true }; return false }),
              case .launchObject(let object, _, _, _, _) = pending.remove(at: i) else { return nil }
        return object
    }
}
