import XCTest
@testable import Model

/// Discovery (reference flow 2): the exploration list and the overlay's edge removal (the
/// original), flooding (the named alternative), duplicate suppression, the hop limit, replies
/// along the way-back path, and the initiator's wait.
final class DiscoveryTests: XCTestCase {
    /// Occupies `node` (maxJobs 1 in these grids) with a one-object application of its own.
    private func occupy(_ h: inout Harness, node: Int) -> AppID {
        let app = h.submit(main: node)
        XCTAssertEqual(h.plane.jobs(on: NodeID(node)), 1)
        return app
    }

    func testRequestIDIsNodeDoubleUnderscoreCounter() {
        XCTAssertEqual(RequestID(origin: NodeID(3), counter: 7).description, "3__7")
        XCTAssertEqual(RequestID(origin: NodeID(0), counter: 1).description, "0__1")

        var h = Harness(discoveryGrid(line(3), wait: 5))
        let app = h.submit(main: 1)
        let requests = h.discoveryRequests()
        XCTAssertEqual(requests.map(\.from), [1, 1])
        XCTAssertEqual(requests.map(\.to), [0, 2])
        guard let first = requests.first?.request else { return XCTFail("no discovery request") }
        XCTAssertEqual(first.origin, NodeID(1))
        XCTAssertEqual(first.description, "1__\(first.counter)")
        // Every copy of the flood carries the same id.
        XCTAssertTrue(requests.allSatisfy { $0.request == first })

        // A retried round floods a new request: the node's counter moves on by one.
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(1)])
        // The same timer again is stale: nothing is re-placed.
        let before = h.delivered.count
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.delivered.count, before)
    }

    func testEachRoundUsesAFreshRequestID() {
        var h = Harness(discoveryGrid(line(2, NodeConfig(maxJobs: 1)), rounds: 2))
        _ = occupy(&h, node: 0)
        _ = occupy(&h, node: 1)
        let requestsBefore = h.discoveryRequests().count
        let app = h.submit(main: 0)
        let round1 = h.discoveryRequests()[requestsBefore...].map(\.request)
        XCTAssertEqual(round1.count, 1)
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))
        h.fire(.errorPauseOver(app))
        let round2 = h.discoveryRequests()[(requestsBefore + 1)...].map(\.request)
        XCTAssertEqual(round2.count, 1)
        XCTAssertEqual(round2[0].origin, NodeID(0))
        XCTAssertEqual(round2[0].counter, round1[0].counter + 1)
        XCTAssertEqual(round2[0].description, "0__\(round1[0].counter + 1)")
    }

    func testRingFloodDropsDuplicates() {
        var h = Harness(discoveryGrid(ring(4), wait: 5, forwarding: .flood))
        let app = h.submit(main: 0, objects: 4)
        // 0 floods to 1 and 3; each forwards (not back to its sender) to 2; 2 forwards the
        // copy it took first (from 1) to 3. The second copies at 2 and 3 are dropped.
        let requests = h.discoveryRequests()
        XCTAssertEqual(requests.map { [$0.from, $0.to] }, [[0, 1], [0, 3], [1, 2], [3, 2], [2, 3]])
        // Each node answers once, the initiator never receives its own request back.
        let replies = h.discoveryReplies()
        XCTAssertEqual(replies.filter { $0.to == 0 }.map(\.responder), [1, 3, 2])
        XCTAssertEqual(Set(replies.map(\.responder)).count, 3)
        XCTAssertFalse(requests.contains { $0.to == 0 })
        // Every received request or reply is observed, duplicates included.
        let observed = (0..<4).map { n in h.reports.filter { $0 == .discoveryMessage(NodeID(n)) }.count }
        // 0: three replies; 1: a request and the relayed reply of 2; 2 and 3: two requests each.
        XCTAssertEqual(observed, [3, 2, 2, 2])
        // The own node answered first, then the replies in arrival order.
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.plane.placement(of: app), [0, 1, 3, 2].map { NodeID($0) })
    }

    func testInitiatorDropsItsOwnRequestComingBack() {
        // A directed cycle 0 -> 1 -> 2 -> 0.
        let nodes = [NodeConfig(neighbours: [NodeID(1)]), NodeConfig(neighbours: [NodeID(2)]),
                     NodeConfig(neighbours: [NodeID(0)])]
        var h = Harness(discoveryGrid(nodes, wait: 5, forwarding: .flood))
        let app = h.submit(main: 0, objects: 3)
        let requests = h.discoveryRequests()
        XCTAssertEqual(requests.map { [$0.from, $0.to] }, [[0, 1], [1, 2], [2, 0]])
        // Node 0 remembered its own id: it neither answers nor forwards the returning copy.
        XCTAssertFalse(h.discoveryReplies().contains { $0.responder == 0 })
        XCTAssertEqual(requests.count, 3)
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.plane.placement(of: app), [0, 1, 2].map { NodeID($0) })
    }

    func testRememberedRequestsIsARingOfRecentIDs() {
        var plane = ControlPlane(config: discoveryGrid(line(2), remembered: 2))
        let n = NodeID(1)
        let a = RequestID(origin: NodeID(0), counter: 1)
        let b = RequestID(origin: NodeID(1), counter: 1)
        let c = RequestID(origin: NodeID(0), counter: 2)
        XCTAssertTrue(plane.remember(a, at: n))
        XCTAssertFalse(plane.remember(a, at: n))
        XCTAssertTrue(plane.remember(b, at: n))
        XCTAssertFalse(plane.remember(a, at: n))
        // A third id overwrites the oldest: `a` is forgotten and accepted again.
        XCTAssertTrue(plane.remember(c, at: n))
        XCTAssertFalse(plane.remember(b, at: n))
        XCTAssertTrue(plane.remember(a, at: n))
        XCTAssertFalse(plane.remember(c, at: n))
        // Each node has its own ring.
        XCTAssertTrue(plane.remember(c, at: NodeID(0)))
    }

    func testMaxHopsLimitsTheFlood() {
        var h = Harness(discoveryGrid(line(5), maxHops: 2, wait: 5))
        let app = h.submit(main: 0, objects: 3)
        let requests = h.discoveryRequests()
        XCTAssertEqual(requests.map { [$0.from, $0.to] }, [[0, 1], [1, 2]])
        XCTAssertEqual(requests.map(\.hopsLeft), [1, 0])
        XCTAssertFalse(h.delivered.contains { $0.to.index >= 3 || $0.from.index >= 3 })
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.plane.placement(of: app), [0, 1, 2].map { NodeID($0) })
    }

    func testMaxHopsZeroAsksOnlyTheOwnNode() {
        var h = Harness(discoveryGrid(line(3), maxHops: 0, wait: 5))
        let app = h.submit(main: 1, objects: 2)
        XCTAssertTrue(h.discoveryRequests().isEmpty)
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(1), NodeID(1)])
    }

    func testRepliesTravelBackHopByHopAlongTheWayBack() {
        var h = Harness(discoveryGrid(line(4), wait: 5))
        _ = h.submit(main: 0)
        // The request reaching node 3 carries the path 0, 1, 2.
        guard let atThree = h.discoveryRequests().first(where: { $0.to == 3 }) else { return XCTFail("3 not reached") }
        XCTAssertEqual(h.plane.hops(of: atThree.wayBack), [0, 1, 2].map { NodeID($0) })
        XCTAssertEqual(atThree.hopsLeft, 1000 - 3)
        // Its reply goes 3 -> 2 -> 1 -> 0, one hop per message.
        let path = h.discoveryReplies().filter { $0.responder == 3 }.map { [$0.from, $0.to] }
        XCTAssertEqual(path, [[3, 2], [2, 1], [1, 0]])
        XCTAssertEqual(h.discoveryReplies().filter { $0.responder == 2 }.map { [$0.from, $0.to] }, [[2, 1], [1, 0]])
        XCTAssertEqual(h.discoveryReplies().filter { $0.responder == 1 }.map { [$0.from, $0.to] }, [[1, 0]])
        // The way back shrinks by one hop at each relay.
        let wayBacks = h.delivered.compactMap { m -> [NodeID]? in
            if case .discoveryReply(_, _, NodeID(3), let wb) = m.body { return h.plane.hops(of: wb) }
            return nil
        }
        XCTAssertEqual(wayBacks, [[NodeID(0), NodeID(1)], [NodeID(0)], []])
    }

    func testWaitZeroOwnNodeAnswersFirstAndEndsTheWait() {
        var h = Harness(discoveryGrid(line(3)))
        let app = h.submit(main: 0, objects: 2)
        // No wait timer: the own node's answer placed everything at once.
        XCTAssertFalse(h.pendingTimers().contains { if case .discoveryWait = $0 { true } else { false } })
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(0), NodeID(0)])
        XCTAssertEqual(h.reserveTargets(of: app), [0, 0])
        // The flood still ran; the late answers of 1 and 2 are ignored.
        XCTAssertEqual(h.discoveryReplies().filter { $0.to == 0 }.map(\.responder), [1, 2])
        XCTAssertEqual(h.plane.ignoredEvents, 2)
        XCTAssertEqual(h.plane.jobs(on: NodeID(1)), 0)
    }

    func testWaitZeroFirstRemoteAnswerEndsTheWait() {
        var nodes = line(3)
        nodes[0].maxJobs = 1
        var h = Harness(discoveryGrid(nodes))
        _ = occupy(&h, node: 0)
        let ignoredBefore = h.plane.ignoredEvents
        let app = h.submit(main: 0, objects: 2)
        // Node 0 is full: the initiator waits for the first answer, at most 20 s.
        XCTAssertEqual(h.delay(of: .discoveryWait(app, round: 1)), 20)
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(1), NodeID(1)])
        XCTAssertEqual(h.reserveTargets(of: app), [1, 1])
        XCTAssertEqual(h.plane.jobs(on: NodeID(1)), 2)
        XCTAssertEqual(h.plane.jobs(on: NodeID(2)), 0)
        XCTAssertEqual(h.plane.ignoredEvents, ignoredBefore + 1) // node 2's late answer
        // The wait timer firing later changes nothing.
        let state = h.app(app).state
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.app(app).state, state)
    }

    func testWaitSecondsSpreadsObjectsRoundRobinOverResponders() {
        var h = Harness(discoveryGrid(ring(4), wait: 5))
        let app = h.submit(main: 0, objects: 6)
        XCTAssertEqual(h.app(app).state, .placing(round: 1))
        XCTAssertTrue(h.plane.placement(of: app).isEmpty)
        XCTAssertEqual(h.delay(of: .discoveryWait(app, round: 1)), 5)
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.plane.placement(of: app), [0, 1, 3, 2, 0, 1].map { NodeID($0) })
        XCTAssertEqual(h.reserveTargets(of: app), [0, 1, 3, 2, 0, 1])
        XCTAssertEqual((0..<4).map { h.plane.jobs(on: NodeID($0)) }, [2, 2, 1, 1])
        // Every reservation was accepted: Execute went out for all six objects.
        XCTAssertEqual(h.app(app).state, .starting(round: 1, pending: 6))
    }

    func testNoResponderFailsTheRoundWithNoResources() {
        var h = Harness(discoveryGrid(line(2, NodeConfig(maxJobs: 1))))
        _ = occupy(&h, node: 0)
        _ = occupy(&h, node: 1)
        let app = h.submit(main: 0)
        // The only answer node 0 ever got is the one to the occupier's own discovery.
        XCTAssertEqual(h.discoveryReplies().filter { $0.to == 0 }.count, 1)
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))
        XCTAssertEqual(h.delay(of: .errorPauseOver(app)), 120)
        XCTAssertTrue(h.reserveTargets(of: app).isEmpty)
    }

    func testNoResponderInTheLastRoundFailsTheApplication() {
        var h = Harness(discoveryGrid(line(2, NodeConfig(maxJobs: 1)), rounds: 1))
        _ = occupy(&h, node: 0)
        _ = occupy(&h, node: 1)
        let app = h.submit(main: 0)
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.app(app).state, .failed(.noResources))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .noResources))
    }

    func testDiscoveryInVirtualModeNeedsAFreeVMOrOneAlreadyReserved() {
        // Node 1 has one VM; node 2 has two. App A takes node 1's VM.
        var nodes = line(3, NodeConfig(maxVMs: 2, initialWorkers: 1))
        nodes[2].initialWorkers = 2
        var h = Harness(discoveryGrid(nodes, mode: .virtual, maxHops: 1, wait: 5))
        let a = h.submit(main: 1, objects: 3)
        h.fire(.discoveryWait(a, round: 1))
        XCTAssertEqual(h.plane.placement(of: a), [1, 0, 2].map { NodeID($0) })
        // One VM per application per node.
        XCTAssertEqual(h.plane.vms.filter { $0.holder == .application(a) }.map(\.node), [0, 1, 2].map { NodeID($0) })
        // Another application from node 1: node 1 (its VM held by A) and node 0 cannot answer; node 2 can.
        let b = h.submit(main: 1, objects: 2)
        h.fire(.discoveryWait(b, round: 1))
        XCTAssertEqual(h.plane.placement(of: b), [NodeID(2), NodeID(2)])
        XCTAssertEqual(h.plane.vms.filter { $0.holder == .application(b) }.map(\.node), [NodeID(2)])
        XCTAssertEqual(h.plane.vms.first { $0.holder == .application(b) }?.jobs, 2)
    }

    // MARK: The exploration list (the original)

    func testFullGraphOfFourSendsThreeRequestsAndThreeReplies() {
        var counts: [DiscoveryForwarding: (requests: Int, replies: Int)] = [:]
        for forwarding in [DiscoveryForwarding.explorationList, .flood] {
            var h = Harness(discoveryGrid(full(4), wait: 5, forwarding: forwarding))
            let app = h.submit(main: 0, objects: 4)
            counts[forwarding] = (h.discoveryRequests().count, h.discoveryReplies().count)
            if forwarding == .explorationList {
                // The list {0, 1, 2, 3} leaves no neighbour unexplored at 1, 2 or 3.
                XCTAssertEqual(h.discoveryRequests().map { [$0.from, $0.to] }, [[0, 1], [0, 2], [0, 3]])
                XCTAssertEqual(h.discoveryReplies().map { [$0.from, $0.to] }, [[1, 0], [2, 0], [3, 0]])
                XCTAssertFalse(h.reports.contains { if case .neighbourRemoved = $0 { true } else { false } })
                XCTAssertEqual((0..<4).map { h.plane.neighbours(of: NodeID($0)).count }, [3, 3, 3, 3])
            }
            h.fire(.discoveryWait(app, round: 1))
            XCTAssertEqual(h.plane.placement(of: app), [0, 1, 2, 3].map { NodeID($0) })
        }
        XCTAssertEqual(counts[.explorationList]?.requests, 3)
        XCTAssertEqual(counts[.explorationList]?.replies, 3)
        // Flooding: each of 1, 2, 3 passes the request on to the two others (six duplicates).
        XCTAssertEqual(counts[.flood]?.requests, 9)
        XCTAssertEqual(counts[.flood]?.replies, 3)
    }

    func testDuplicateRequestDeletesTheEdgeItCameOn() {
        var h = Harness(discoveryGrid(ring(4), wait: 5))
        let app = h.submit(main: 0, objects: 4)
        // 0 sends to 1 and 3 with the list {0, 1, 3}; each passes it on to 2 only. 2 takes the copy
        // of 1 first and passes nothing on (3 and 1 are listed); the copy of 3 is a duplicate.
        XCTAssertEqual(h.discoveryRequests().map { [$0.from, $0.to] }, [[0, 1], [0, 3], [1, 2], [3, 2]])
        XCTAssertEqual(h.reports.filter { if case .neighbourRemoved = $0 { true } else { false } },
                       [.neighbourRemoved(NodeID(2), NodeID(3))])
        // The edge 2-3 is gone at both ends; the others stay.
        XCTAssertEqual(h.plane.neighbours(of: NodeID(2)), [NodeID(1)])
        XCTAssertEqual(h.plane.neighbours(of: NodeID(3)), [NodeID(0)])
        XCTAssertEqual(h.plane.neighbours(of: NodeID(0)), [NodeID(1), NodeID(3)])
        XCTAssertEqual(h.plane.neighbours(of: NodeID(1)), [NodeID(2), NodeID(0)])
        h.fire(.discoveryWait(app, round: 1))
        XCTAssertEqual(h.plane.placement(of: app), [0, 1, 3, 2].map { NodeID($0) })
        // The next discovery from 3 reaches 2 only through 0 and 1: the overlay shrank.
        let before = h.discoveryRequests().count
        _ = h.submit(main: 3, objects: 1)
        XCTAssertEqual(h.discoveryRequests().dropFirst(before).map { [$0.from, $0.to] }, [[3, 0], [0, 1], [1, 2]])
    }

    func testFloodKeepsTheOverlay() {
        var h = Harness(discoveryGrid(ring(4), wait: 5, forwarding: .flood))
        _ = h.submit(main: 0, objects: 4)
        XCTAssertFalse(h.reports.contains { if case .neighbourRemoved = $0 { true } else { false } })
        XCTAssertEqual((0..<4).map { h.plane.neighbours(of: NodeID($0)).count }, [2, 2, 2, 2])
    }

    func testExplorationListOnARing() {
        var h = Harness(discoveryGrid(ring(6), wait: 5))
        _ = h.submit(main: 0, objects: 6)
        let requests = h.discoveryRequests()
        // Each node adds itself and its neighbours: 2 gets {0, 1, 5, 2}, 3 gets {0, 1, 5, 2, 3}
        // by way of 1 and 2, so it passes the request on to 4, whose copy from 5 came first.
        XCTAssertEqual(requests.map { [$0.from, $0.to] },
                       [[0, 1], [0, 5], [1, 2], [5, 4], [2, 3], [4, 3], [3, 4]])
        guard let atTwo = requests.first(where: { $0.to == 2 }), let atThree = requests.first(where: { $0.to == 3 })
        else { return XCTFail("2 or 3 not reached") }
        let listed = { (path: WayBack) in (0..<6).filter { h.plane.wayBacks.explored(path, contains: NodeID($0)) == true } }
        XCTAssertEqual(listed(atTwo.wayBack), [0, 1, 2, 5])
        XCTAssertEqual(listed(atThree.wayBack), [0, 1, 2, 3, 5])
        // 3 took 2's copy first; 4 took 5's: each duplicate deletes the edge 3-4 (once).
        XCTAssertEqual(h.reports.filter { if case .neighbourRemoved = $0 { true } else { false } },
                       [.neighbourRemoved(NodeID(3), NodeID(4))])
        XCTAssertEqual(h.plane.neighbours(of: NodeID(3)), [NodeID(2)])
        XCTAssertEqual(h.plane.neighbours(of: NodeID(4)), [NodeID(5)])
        // Every node answered once.
        XCTAssertEqual(h.discoveryReplies().filter { $0.to == 0 }.map(\.responder).sorted(), [1, 2, 3, 4, 5])
    }

    func testRequesterKeyIsStoredOnlyWhereCheckVMPassed() {
        // Node 1 has its one VM held by another application; node 2 has a free one.
        var h = Harness(discoveryGrid(line(3, NodeConfig(maxVMs: 1)), mode: .virtualSecure,
                                      fidelity: only(.requesterKeyTakeRaces), wait: 5))
        let other = h.submit(main: 1)
        h.fire(.discoveryWait(other, round: 1))
        XCTAssertEqual(h.plane.vms.filter { $0.holder == .application(other) }.map(\.node), [NodeID(1)])
        let app = h.submit(main: 0, objects: 2)
        let request = h.app(app).request
        let stored = (0..<3).map { h.plane.nodes[$0].security.requesterKeys.contains(.init(app: app, request: request)) }
        // 0 (the initiator) and 2 answered and keep the key; 1 was asked but refused.
        XCTAssertEqual(stored, [true, false, true])
        XCTAssertEqual(h.discoveryReplies().filter { $0.to == 0 }.map(\.responder), [2])
        // Every node reached knows the application's main (the original maps it before any check).
        XCTAssertTrue(h.plane.nodes[1].security.knows(app))
    }
}

final class MessageSizeTests: XCTestCase {
    /// The exploration list rides in the way-back handle: an end request with its list is no
    /// larger than a discovery request, and no message grew for it.
    func testListsAddNoBytesToMessages() {
        // 24 bytes of a discovery request's payload and the case tag, as before the lists.
        XCTAssertEqual(MemoryLayout<MessageBody>.size, 25)
        XCTAssertEqual(MemoryLayout<Message>.size, 33)
    }
}
