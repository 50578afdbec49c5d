import Model
import XCTest
@testable import Sim

/// Node CPU cores and node links: objects beyond a node's cores wait for one, messages beyond a
/// link's bandwidth wait for it, and neither changes a run that does not set them.
final class NodeCapacityTests: XCTestCase {
    func testCoresAreBookedFirstFreeFirstAndFreedWhenAnObjectStopsEarly() {
        var cores = NodeCores(coresOfNode: [2, 0])
        XCTAssertNil(cores.book(node: 1, readyAt: 5, seconds: 10), "node 1 has no core count")
        let a = cores.book(node: 0, readyAt: 0, seconds: 10)!
        let b = cores.book(node: 0, readyAt: 1, seconds: 10)!
        XCTAssertEqual(a.startSeconds, 0)
        XCTAssertEqual(b.startSeconds, 1)
        XCTAssertNotEqual(a.core, b.core)
        let c = cores.book(node: 0, readyAt: 2, seconds: 10)!
        XCTAssertEqual(c.core, a.core, "the core that frees first")
        XCTAssertEqual(c.startSeconds, 10)
        // b is killed at 4: nobody is booked behind it, so its core is free from 4.
        cores.release(core: b.core, bookedUntil: 11, now: 4)
        XCTAssertEqual(cores.book(node: 0, readyAt: 5, seconds: 1)?.startSeconds, 5)
        // a was killed at 3, but c already waits behind it: c keeps its place.
        cores.release(core: a.core, bookedUntil: 10, now: 3)
        XCTAssertEqual(cores.book(node: 0, readyAt: 5, seconds: 1)?.startSeconds, 6)
    }

    func testALinkSendsOneMessageAfterAnother() {
        var links = NodeLinks(nodes: 2)
        XCTAssertEqual(links.transmit(from: 0, now: 0, seconds: 0.5), 0.5)
        XCTAssertEqual(links.transmit(from: 0, now: 0.1, seconds: 0.5), 1.0)
        XCTAssertEqual(links.transmit(from: 1, now: 0.1, seconds: 0.5), 0.6, "each node has its own link")
        XCTAssertEqual(links.transmit(from: 0, now: 3, seconds: 0.5), 3.5)
    }

    static let scenario = """
        name: capacity
        seed: 3
        mode: virtual
        fidelity: fixed
        platform: {nodes: 1, maxVMs: 4, initialWorkers: 4, topology: none}
        dhcp: {poolSize: 8, lease: never}
        policies: {placement: central, cloneAheadThreshold: 0}
        workload: {applications: 12, arrivalRate: 0.05, objects: 3, objectDuration: {exponential: 5m}}
        """

    func run(_ overrides: [String]) throws -> Metrics {
        var simulation = Simulation(scenario: try ScenarioLoader.parse(text: Self.scenario, file: "c.yaml",
                                                                       overrides: overrides))
        return simulation.run()
    }

    func testObjectsBeyondANodesCoresWaitAndTheRunTakesLonger() throws {
        let unlimited = try run([])
        let unlimitedAgain = try run(["platform.cores=1000"])
        let oneCore = try run(["platform.cores=1"])
        XCTAssertTrue(unlimited.coreWait.isEmpty)
        XCTAssertEqual(unlimitedAgain.coreWait.count, 36)
        XCTAssertEqual(unlimitedAgain.coreWait.max(), 0, "a thousand cores: nobody waits")
        XCTAssertEqual(unlimited.digest, unlimitedAgain.digest, "enough cores change nothing")
        XCTAssertEqual(oneCore.applicationsCompleted, 12)
        XCTAssertGreaterThan(oneCore.coreWait.max() ?? 0, 60)
        XCTAssertGreaterThan(oneCore.makespanSeconds, unlimited.makespanSeconds)
        XCTAssertEqual(oneCore.violations.count, 0)
    }

    func testASlowLinkDelaysMessagesAndAFastOneChangesNothingButTheirTimes() throws {
        let free = try run([])
        let slow = try run(["network.bandwidthMBps=0.001", "network.messageBytes=1000", "platform.nodes=2",
                            "policies.broker=1"])
        let freeTwo = try run(["platform.nodes=2", "policies.broker=1"])
        XCTAssertEqual(slow.applicationsCompleted, 12)
        XCTAssertGreaterThan(slow.meanResponseSeconds, freeTwo.meanResponseSeconds,
                             "each message between the nodes now takes a second on the wire")
        XCTAssertEqual(free.violations.count + slow.violations.count, 0)
    }

    func testCapacitiesAreValidated() throws {
        XCTAssertThrowsError(try ScenarioLoader.parse(text: "platform: {cores: 0}\n", file: "c.yaml")) { error in
            XCTAssertEqual((error as? ScenarioError)?.path, "platform.cores")
        }
        XCTAssertThrowsError(try ScenarioLoader.parse(text: "network: {bandwidthMBps: -1}\n", file: "c.yaml")) { error in
            XCTAssertEqual((error as? ScenarioError)?.path, "network.bandwidthMBps")
        }
        let s = try ScenarioLoader.parse(text: "platform: {nodes: 3, cores: 8, nodeOverrides: [{node: 2, cores: 2}]}\n",
                                         file: "c.yaml")
        XCTAssertEqual(s.coresOfNode, [8, 8, 2])
    }
}
