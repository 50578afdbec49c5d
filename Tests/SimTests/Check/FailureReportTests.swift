import Foundation
import Model
import XCTest
@testable import Sim

/// What a tester reads when an invariant breaks: events in words, fixed-precision times, the race's cause.
final class FailureReportTests: XCTestCase {
    func testTimesHaveAFixedPrecisionAndCarryOverAtTheMinute() {
        XCTAssertEqual(EventText.time(0), "0.000s")
        XCTAssertEqual(EventText.time(42), "42.000s")
        XCTAssertEqual(EventText.time(754.567), "12m 34.567s")
        XCTAssertEqual(EventText.time(59.9996), "1m 00.000s")
        XCTAssertEqual(EventText.time(7384.5), "2h 03m 04.500s")
        XCTAssertEqual(EventText.time(1580.5127018925634), "26m 20.513s")
        XCTAssertEqual(EventText.time(.infinity), "never")
    }

    func testPrintedTimesReadBack() {
        for seconds in [0, 4.521, 3004.521, 7384.5] {
            XCTAssertEqual(EventText.seconds(from: EventText.time(seconds))!, seconds, accuracy: 1e-9)
        }
        XCTAssertEqual(EventText.seconds(from: "26m"), 1560)
        for bad in ["", "4s 2m", "1m 1m", "12", "x", "-3s", "5d"] { XCTAssertNil(EventText.seconds(from: bad), bad) }
    }

    func testEventsReadAsWordsWithNamesAndDottedQuads() {
        let reserve = Event.messageDelivered(Message(from: NodeID(1), to: NodeID(0), body:
            .reserve(AppID(13), ObjectID(13), RequestID(origin: NodeID(1), counter: 19), round: 1,
                     carriesRequesterKey: false)))
        XCTAssertEqual(EventText.line(time: 754.567, reserve),
                       "  12m 34.567s  node1 → node0  reserve app13 obj13 (request 1·19, round 1)")
        XCTAssertEqual(EventText.describe(.addressObtained(VMID(3), Address(10 << 24 | 1 << 16 | 1), ticket: 4)),
                       "vm3 got address 10.1.0.1")
        XCTAssertEqual(EventText.describe(.addressObtained(VMID(3), nil, ticket: 4)), "vm3 got no address")
        XCTAssertEqual(EventText.describe(.timerFired(.reservationExpiry(ObjectID(7), generation: 2))),
                       "reservation of obj7 expired")
        XCTAssertEqual(EventText.describe(.hypervisorFinished(VMID(2), .clone(target: VMID(5)), ticket: 1,
                                                              succeeded: false)),
                       "clone of vm2 into vm5 failed")
        // No Swift debug dump leaks into any line.
        for event in [reserve, .timerFired(.idleTimeout(VMID(1), generation: 1)), .adminRestarted(NodeID(2)),
                      .keyWritten(VMID(1), KeyWrite(kind: .requester(ObjectID(4)), app: AppID(2)), ticket: 3)] {
            let text = EventText.describe(event)
            XCTAssertFalse(text.contains("Model.") || text.contains("Optional(") || text.contains("__"), text)
        }
    }

    /// The DHCP race reads as its cause: whose lease expired when, and to whom the address went.
    func testAStaleLaunchSaysWhichLeaseExpiredAndWhoGotTheAddress() throws {
        var scenario = try ScenarioLoader.load(
            path: InvariantTests.scenarios.appendingPathComponent("races/dhcp-lease.yaml").path)
        scenario.seed = 2
        var simulation = Simulation(scenario: scenario)
        let metrics = simulation.run()
        let violation = try XCTUnwrap(metrics.violations.first { $0.invariant == .isolation && $0.detail.contains("leased to") })
        XCTAssertEqual(violation.entities, "vm0 app13 vm3 obj13")
        XCTAssertEqual(violation.detail, "obj13 of app13 runs in vm0, which is reserved for app12: launched at "
            + "10.1.0.4 for vm3; that address was leased to vm0 at 24m 21.821s after vm3's lease expired at 23m 20.936s")
        XCTAssertTrue(violation.description.hasPrefix("isolation violated at 25m 21.313s [vm0 app13 vm3 obj13]"))
        // The world's changes behind it are among the last events, in time order with Model's.
        XCTAssertTrue(violation.recentEvents.contains("  23m 20.936s  lease of 10.1.0.4 held by vm3 expired"),
                      "\(violation.recentEvents)")
        XCTAssertTrue(violation.recentEvents.contains("  24m 21.821s  10.1.0.4 leased to vm0"),
                      "\(violation.recentEvents)")
        // Every line shown touches the violation's VMs, application or object; none is an unrelated delivery.
        for line in violation.recentEvents {
            XCTAssertTrue(["vm0", "vm3", "app13", "obj13"].contains { line.contains($0) }, line)
        }
        // The run's digest is the one it had before the report learnt words (it hashes Model's events alone).
        XCTAssertEqual(metrics.digest, "b1609ac49a0a049e189059a21ae26d5758c818097522efaf68165068887f7e11")
    }

    /// A lost message is a cause, shown among the events that touch the violating application.
    func testALostMessageIsShownAmongTheLastEvents() {
        var checker = InvariantChecker()
        checker.vmDefined()
        let lost = Message(from: NodeID(0), to: NodeID(1), body: .cancelObject(AppID(2), ObjectID(5), booking: 1))
        checker.record(time: 10, .messageDelivered(Message(from: NodeID(0), to: NodeID(1),
                                                           body: .execute(AppID(2), ObjectID(5)))))
        checker.worldChanged(.messageLost(lost), at: 11)
        checker.record(time: 12, .messageDelivered(Message(from: NodeID(0), to: NodeID(1),
                                                           body: .execute(AppID(9), ObjectID(1)))))
        checker.objectStarted(ObjectID(5), app: AppID(2), intended: VMID(0), ranIn: 0, holder: .free, time: 13)
        let violation = checker.violations[0]
        XCTAssertEqual(violation.recentEvents, [
            "      10.000s  node0 → node1  execute app2 obj5",
            "      11.000s  node0 → node1  LOST cancel app2 obj5 (booking 1)",
        ])
    }

    func testMaxFailuresStopsStartingSeedsAndSeedListsKeepTheirOrder() throws {
        let scenario = try ScenarioLoader.load(
            path: InvariantTests.scenarios.appendingPathComponent("races/dhcp-lease.yaml").path)
        let all = SeedCheck.run(scenario, seedList: [3, 1, 2, 9], jobs: 1)
        XCTAssertEqual(all.results.map(\.seed), [3, 1, 2, 9])
        XCTAssertEqual(all.failingSeeds, [3, 2])
        let stopped = SeedCheck.run(scenario, seedList: [1, 2, 9, 3], jobs: 1, maxFailures: 1)
        XCTAssertEqual(stopped.results.map(\.seed), [1, 2])
        XCTAssertEqual(stopped.failingSeeds, [2])
    }

    func testCheckReportAsJSONAndJUnit() throws {
        let scenario = try ScenarioLoader.load(
            path: InvariantTests.scenarios.appendingPathComponent("races/dhcp-lease.yaml").path)
        let run = SeedCheck.run(scenario, seedList: [1, 2], jobs: 1)
        let report = CheckReport(scenario: "a<b>.yaml", overrides: ["x=1"], requested: 3, report: run, shrunk: nil,
                                 replay: { "visag replay a.yaml --seed \($0)" })
        XCTAssertTrue(report.stoppedEarly)
        XCTAssertEqual(report.seeds.failing, [2])
        let decoded = try JSONDecoder().decode(CheckReport.self, from: Data(report.json().utf8))
        XCTAssertEqual(decoded, report)
        XCTAssertEqual(decoded.failures.first?.time, "25m 21.313s")
        XCTAssertEqual(decoded.failures.first?.replay, "visag replay a.yaml --seed 2")
        let xml = report.junit()
        XCTAssertEqual(xml.components(separatedBy: "<testcase ").count - 1, 2)
        XCTAssertEqual(xml.components(separatedBy: "<failure ").count - 1, 1)
        XCTAssertTrue(xml.contains("classname=\"a&lt;b&gt;.yaml\" name=\"seed 1\"/>"), xml)
        XCTAssertTrue(xml.contains("<failure type=\"isolation\" message=\"isolation violated at 25m 21.313s"), xml)
        XCTAssertTrue(xml.contains("reproduce with: visag replay a.yaml --seed 2</failure>"), xml)
    }

    func testShrunkOverridesKeepOneValuePerKey() {
        XCTAssertEqual(Shrinker.collapsed(["workload.applications=30", "platform.nodes=1", "workload.applications=22",
                                           "seed=31"]),
                       ["workload.applications=22", "platform.nodes=1", "seed=31"])
    }
}
