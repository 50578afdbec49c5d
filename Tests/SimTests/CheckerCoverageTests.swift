import Foundation
import Model
import XCTest
@testable import Sim

/// What the checker and the summary see beyond the classic invariants: the keys a main's
/// machine accepts, host-key identities shared by clones, runs cut short by a duration, and a
/// digest that covers every field of every event.
final class CheckerCoverageTests: XCTestCase {
    static let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios")

    final class EventLog: TraceSink {
        var wantsLines: Bool { false }
        var events: [(time: Double, event: Event)] = []
        func write(line: String) {}
        func recorded(time: Double, event: Event) { events.append((time, event)) }
    }

    func run(_ file: String, _ overrides: [String] = [], seed: UInt64? = nil, until: Double? = nil,
             log: EventLog? = nil) throws -> Metrics {
        var scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent(file).path,
                                               overrides: overrides)
        if let seed { scenario.seed = seed }
        var simulation = Simulation(scenario: scenario, traceSink: log)
        return simulation.run(untilSeconds: until)
    }

    // MARK: Keys the main's machine accepts

    func testEveryWorkerKeyAcceptedByAMainIsCounted() throws {
        // On an admin VM each acceptance is a keyRouting violation: the two counts agree exactly.
        let log = EventLog()
        let admin = try run("races/main-on-admin.yaml", log: log)
        let routed = log.events.filter { if case .messageDelivered(let m) = $0.event, case .routeVMKey = m.body { true } else { false } }
        XCTAssertGreaterThan(admin.workerKeysAcceptedByMain, 0)
        XCTAssertLessThanOrEqual(admin.workerKeysAcceptedByMain, routed.count)
        XCTAssertEqual(admin.workerKeysAcceptedByMain, admin.violationCounts[.keyRouting])
        // On the user's machine the same keys are accepted, and no invariant says so: the metric does.
        let user = try run("races/main-on-admin.yaml", ["policies.mainHost=user"])
        XCTAssertEqual(user.workerKeysAcceptedByMain, admin.workerKeysAcceptedByMain)
        XCTAssertNil(user.violationCounts[.keyRouting])
        // No key routing without security.
        let plain = try run("races/main-on-admin.yaml", ["mode=virtual"])
        XCTAssertEqual(plain.workerKeysAcceptedByMain, 0)
        // The summary carries it, as JSON and as text.
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("races/main-on-admin.yaml").path,
                                               overrides: ["policies.mainHost=user"])
        let summary = RunSummary(scenario: scenario, metrics: user)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(summary.json().utf8)) as? [String: Any])
        XCTAssertEqual(json["workerKeysAcceptedByMain"] as? Int, user.workerKeysAcceptedByMain)
        let row = summary.table().split(separator: "\n").first { $0.hasPrefix("worker keys at mains ") }
        XCTAssertEqual(row?.split(separator: " ", omittingEmptySubsequences: true).suffix(2),
                       ["\(user.workerKeysAcceptedByMain)", "accepted"])
    }
}
