import XCTest
@testable import Model

/// SearchNode accounting (report §6.1): addJob takes an object's requirements off the advertised
/// resources and counts the job; removeJob gives them back (fixed) or overwrites them with the
/// removed job's requirements (faithful `removeJobOverwrites`), while the job count stays exact.
/// ApplicationEnd passes the JobMgr's available totals. The advertisement gates discovery only in
/// the standard and secure builds.
final class SearchNodeAccountingTests: XCTestCase {
    /// 64 MB per object; nodes of 10 jobs and 640 MB, so memory runs out with the job count.
    private let needs = Resources(memoryMB: 64)
    private let node = NodeConfig(maxJobs: 10, resources: Resources(memoryMB: 640))

    private func advertisedMB(_ h: Harness, _ n: Int = 0) -> Int64 { h.plane.advertisedResources(on: NodeID(n)).memoryMB }
    private func availableMB(_ h: Harness, _ n: Int = 0) -> Int64 { h.plane.availableResources(on: NodeID(n)).memoryMB }

    /// Runs a three-object application on node 0 to completion.
    private func runThreeObjects(_ h: inout Harness) -> AppID {
        let app = h.submit(main: 0, objects: 3, requirements: needs)
        XCTAssertEqual(h.plane.searchNodeJobs(on: NodeID(0)), 3)
        XCTAssertEqual(advertisedMB(h), 640 - 3 * 64)
        XCTAssertEqual(availableMB(h), 640 - 3 * 64)
        XCTAssertEqual(h.launchAll().count, 3)
        h.finishObjects(of: app)
        XCTAssertEqual(h.app(app).state, .completed)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        return app
    }

    /// Two objects reserved on node 0, then the round cancelled: two removeJob(64 MB, 1) calls.
    private func cancelTwoObjects(_ h: inout Harness) {
        let app = h.submit(main: 0, objects: 2, requirements: needs)
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(0), NodeID(0)])
        h.fire(.execTimeout(ObjectID(Int(h.app(app).firstObject.index)),
                            generation: h.generation(of: h.app(app).firstObject)))
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        XCTAssertEqual(h.plane.searchNodeJobs(on: NodeID(0)), 0)
        // The cancelled objects' launches never complete.
        h.pending.removeAll()
    }

    func testAddAndRemoveJobKeepCountAndResourcesExact() {
        var h = Harness(discoveryGrid([node]))
        XCTAssertEqual(advertisedMB(h), 640)
        _ = runThreeObjects(&h)
        XCTAssertEqual(h.plane.searchNodeJobs(on: NodeID(0)), 0)
        XCTAssertEqual(advertisedMB(h), 640)
        cancelTwoObjects(&h)
        XCTAssertEqual(advertisedMB(h), 640)
        XCTAssertEqual(availableMB(h), 640)
    }

    func testFaithfulCancelOverwritesTheResourcesButKeepsTheJobCount() {
        var h = Harness(discoveryGrid([node], fidelity: only(.removeJobOverwrites)))
        cancelTwoObjects(&h)
        // Each cancelled object calls removeJob(64 MB, 1): the last write wins; the count is right.
        XCTAssertEqual(advertisedMB(h), 64)
        XCTAssertEqual(availableMB(h), 640)
        XCTAssertEqual(h.plane.searchNodeJobs(on: NodeID(0)), 0)
    }

    func testFaithfulApplicationEndWritesTheJobMgrTotals() {
        var h = Harness(discoveryGrid([node], fidelity: only(.removeJobOverwrites), rounds: 1))
        cancelTwoObjects(&h)
        XCTAssertEqual(advertisedMB(h), 64)
        // The node still admits one object (64 MB are not more than 64 MB); after its addJob the
        // advertisement is 0, and the application's end writes the JobMgr's available 640 MB.
        let app = h.submit(main: 0, requirements: needs)
        XCTAssertEqual(h.plane.placement(of: app), [NodeID(0)])
        XCTAssertEqual(advertisedMB(h), 0)
        XCTAssertEqual(h.launchAll().count, 1)
        h.finishObjects(of: app)
        XCTAssertEqual(h.app(app).state, .completed)
        XCTAssertEqual(advertisedMB(h), 640)
        XCTAssertEqual(availableMB(h), 640)
    }

    /// The trajectory the switch changes in the standard and secure builds: which object fails.
    func testStandardOverwriteMakesTheNodeRefuseTheNextApplication() {
        for (mode, faithful) in [(Mode.standard, true), (.standard, false), (.secure, true), (.secure, false)] {
            var h = Harness(discoveryGrid([node], mode: mode, fidelity: faithful ? only(.removeJobOverwrites) : .fixed,
                                          rounds: 1))
            cancelTwoObjects(&h)
            let second = h.submit(main: 0, requirements: needs)
            XCTAssertEqual(h.plane.placement(of: second), [NodeID(0)])
            // One job of ten is used; the faithful node advertises 0 MB and does not answer.
            let third = h.submit(main: 0, requirements: needs)
            h.fire(.discoveryWait(third, round: 1))
            if faithful {
                XCTAssertEqual(h.app(third).state, .failed(.noResources))
                XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 1)
            } else {
                XCTAssertEqual(h.plane.placement(of: third), [NodeID(0)])
                XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 2)
            }
            XCTAssertEqual(h.plane.searchNodeJobs(on: NodeID(0)), h.plane.jobs(on: NodeID(0)))
        }
    }

    /// The trajectory the switch changes in the standard build: which node answers discovery.
    func testStandardOverwriteChangesWhichNodesAnswer() {
        var responders: [Bool: [Int32]] = [:]
        for faithful in [true, false] {
            var h = Harness(discoveryGrid(line(2, node), fidelity: faithful ? only(.removeJobOverwrites) : .fixed,
                                          wait: 5))
            let first = h.submit(main: 0, objects: 2, requirements: needs)
            h.fire(.discoveryWait(first, round: 1))
            XCTAssertEqual(h.plane.placement(of: first), [NodeID(0), NodeID(1)])
            h.fire(.execTimeout(h.app(first).firstObject, generation: h.generation(of: h.app(first).firstObject)))
            XCTAssertEqual((0..<2).map { h.plane.jobs(on: NodeID($0)) }, [0, 0])
            // Both nodes now advertise 64 MB (faithful) or 640 MB (fixed); one more object each.
            let second = h.submit(main: 0, objects: 2, requirements: needs)
            h.fire(.discoveryWait(second, round: 1))
            XCTAssertEqual(h.plane.placement(of: second), [NodeID(0), NodeID(1)])
            let before = h.discoveryReplies().count
            let third = h.submit(main: 0, requirements: needs)
            responders[faithful] = h.discoveryReplies().dropFirst(before).filter { $0.to == 0 }.map(\.responder)
            h.fire(.discoveryWait(third, round: 1))
            if !faithful { XCTAssertEqual(h.plane.placement(of: third), [NodeID(0)]) }
        }
        // Faithful: neither node answers (each advertises 0 MB); fixed: node 0 answers itself
        // (no message) and node 1 replies.
        XCTAssertEqual(responders[true], [])
        XCTAssertEqual(responders[false], [1])
    }

    /// In the virtual builds `checkResource` is `checkVM` alone: the overwrite changes what is
    /// advertised, never which node answers.
    func testVirtualOverwriteChangesNoDiscoveryDecision() {
        var outcomes: [Bool: [[NodeID]]] = [:]
        var replies: [Bool: [Int32]] = [:]
        for faithful in [true, false] {
            var h = Harness(initiatorClock(discoveryGrid(line(2, NodeConfig(maxJobs: 10, maxVMs: 2, initialWorkers: 2,
                                                                resources: Resources(memoryMB: 640))),
                                          mode: .virtual, fidelity: faithful ? only(.removeJobOverwrites) : .fixed,
                                          wait: 5)))
            var placements: [[NodeID]] = []
            let first = h.submit(main: 0, objects: 2, requirements: needs)
            h.fire(.discoveryWait(first, round: 1))
            placements.append(h.plane.placement(of: first))
            h.fire(.execTimeout(h.app(first).firstObject, generation: h.generation(of: h.app(first).firstObject)))
            XCTAssertEqual(advertisedMB(h), faithful ? 64 : 640)
            for _ in 0..<3 {
                let app = h.submit(main: 0, objects: 2, requirements: needs)
                h.fire(.discoveryWait(app, round: 1))
                placements.append(h.plane.placement(of: app))
            }
            outcomes[faithful] = placements
            replies[faithful] = h.discoveryReplies().map(\.responder)
            XCTAssertEqual(h.plane.searchNodeJobs(on: NodeID(0)), h.plane.jobs(on: NodeID(0)))
        }
        XCTAssertEqual(outcomes[true], outcomes[false])
        XCTAssertEqual(replies[true], replies[false])
        XCTAssertEqual(outcomes[true]?.count, 4)
    }
}
