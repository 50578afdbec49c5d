import XCTest
@testable import Model

/// SearchNode accounting (report §6.1): addJob takes one job off the advertised resources,
/// removeJob gives them back (fixed) or overwrites them (faithful `removeJobOverwrites`).
final class SearchNodeAccountingTests: XCTestCase {
    /// Runs a three-object application on node 0 of a one-node standard grid to completion.
    private func runThreeObjects(_ h: inout Harness) -> AppID {
        let app = h.submit(main: 0, objects: 3)
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), 7)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 3)
        XCTAssertEqual(h.launchAll().count, 3)
        h.finishObjects(of: app)
        XCTAssertEqual(h.app(app).state, .completed)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        return app
    }

    func testAdvertisedFreeJobsFollowAddAndRemoveJob() {
        var h = Harness(discoveryGrid([NodeConfig(maxJobs: 10)]))
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), 10)
        _ = runThreeObjects(&h)
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), 10)
    }

    func testCancelledReservationGivesItsJobBack() {
        var h = Harness(discoveryGrid([NodeConfig(maxJobs: 10)]))
        let app = h.submit(main: 0, objects: 2)
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), 8)
        h.fire(.execTimeout(ObjectID(0), generation: h.generation(of: ObjectID(0))))
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), 10)
    }

    func testFaithfulRemoveJobOverwritesTheAdvertisedResources() {
        var h = Harness(discoveryGrid([NodeConfig(maxJobs: 10)], fidelity: only(.removeJobOverwrites)))
        _ = runThreeObjects(&h)
        // One removeJob(3) for the whole application: the node now advertises 3, not 10.
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), 3)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
    }

    func testFaithfulOverwriteMakesAnEmptyNodeStopAnswering() {
        var h = Harness(discoveryGrid([NodeConfig(maxJobs: 10)], fidelity: only(.removeJobOverwrites), rounds: 1))
        _ = runThreeObjects(&h)
        // Reserve only checks maxjobs, so four objects still fit and drive the advertisement below zero.
        let second = h.submit(main: 0, objects: 4)
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 4)
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), -1)
        XCTAssertEqual(h.app(second).state, .starting(round: 1, pending: 4))
        // With 4 of 10 jobs used, the SearchNode no longer answers: the next application finds nothing.
        let third = h.submit(main: 0)
        h.fire(.discoveryWait(third, round: 1))
        XCTAssertEqual(h.app(third).state, .failed(.noResources))
    }

    func testFixedNodeKeepsAnsweringAfterTheSameHistory() {
        var h = Harness(discoveryGrid([NodeConfig(maxJobs: 10)], rounds: 1))
        _ = runThreeObjects(&h)
        _ = h.submit(main: 0, objects: 4)
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), 6)
        let third = h.submit(main: 0)
        XCTAssertEqual(h.plane.placement(of: third), [NodeID(0)])
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), 5)
    }

    func testFaithfulOverwriteOnCancelUsesTheCountOfOne() {
        var h = Harness(discoveryGrid([NodeConfig(maxJobs: 10)], fidelity: only(.removeJobOverwrites)))
        _ = h.submit(main: 0, objects: 2)
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), 8)
        h.fire(.execTimeout(ObjectID(0), generation: h.generation(of: ObjectID(0))))
        // Each cancelled object calls removeJob(1): the last write wins.
        XCTAssertEqual(h.plane.jobs(on: NodeID(0)), 0)
        XCTAssertEqual(h.plane.advertisedFreeJobs(on: NodeID(0)), 1)
    }
}
