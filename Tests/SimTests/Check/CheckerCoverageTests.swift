import Foundation
@testable import Model
import XCTest
@testable import Sim

/// What the checker and the summary see beyond the classic invariants: the keys a main's
/// machine accepts, host-key identities shared by clones, runs cut short by a duration, and a
/// digest that covers every field of every event.
final class CheckerCoverageTests: XCTestCase {
    static let scenarios = PackagePaths.root.appendingPathComponent("Scenarios")

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

    // MARK: Runs cut short

    func cut(_ file: String, _ overrides: [String], seed: UInt64, atFraction fraction: Double,
             settleSeconds: Double = 600) throws -> (whole: Metrics, cut: Metrics) {
        var scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent(file).path, overrides: overrides)
        scenario.seed = seed
        var whole = Simulation(scenario: scenario)
        let drained = whole.run()
        var part = Simulation(scenario: scenario)
        part.settleSeconds = settleSeconds
        return (drained, part.run(untilSeconds: drained.simulatedSeconds * fraction))
    }

    func testACutRunJudgesTheReservationsOfApplicationsThatEndedBeforeTheSettleMargin() throws {
        var leaks = 0
        for seed: UInt64 in 1...10 {
            let (whole, part) = try cut("races/reservation-expiry.yaml", [], seed: seed, atFraction: 0.8)
            leaks += part.violationCounts[.noLeaks] ?? 0
            // Cut short, never more than when it drains, and every one about an application that ended in time.
            XCTAssertLessThanOrEqual(part.violationCounts[.noLeaks] ?? 0, whole.violationCounts[.noLeaks] ?? 0)
            let stop = whole.simulatedSeconds * 0.8
            XCTAssertTrue(part.violations.allSatisfy { $0.timeSeconds == stop }, "\(part.violations)")
            let fixed = try cut("races/reservation-expiry.yaml", ["fidelity=fixed"], seed: seed, atFraction: 0.8)
            XCTAssertTrue(fixed.cut.violationCounts.isEmpty, "seed \(seed): \(fixed.cut.violations.first?.description ?? "")")
        }
        XCTAssertGreaterThan(leaks, 0, "reservations that never expire are seen before the run drains")
        // A settle margin longer than the run judges nothing.
        let patient = try cut("races/reservation-expiry.yaml", [], seed: 1, atFraction: 0.8, settleSeconds: 1e9)
        XCTAssertNil(patient.cut.violationCounts[.noLeaks])
    }

    func testACutRunJudgesApplicationsSilentForTheSettleMargin() throws {
        var hung = 0
        for seed: UInt64 in 1...10 {
            let (whole, part) = try cut("races/lost-messages.yaml", ["faults.messageDuplicate.probability=0"], seed: seed,
                                        atFraction: 0.9)
            hung += part.violationCounts[.liveness] ?? 0
            if whole.violationCounts[.liveness] == nil { XCTAssertNil(part.violationCounts[.liveness], "seed \(seed)") }
            for v in part.violations where v.invariant == .liveness && v.entities.hasPrefix("app") {
                XCTAssertTrue(v.detail.contains("nothing happened to it since"), v.detail)
            }
            let fixed = try cut("races/lost-messages.yaml", ["jobMgr.roundTimeout=2m"], seed: seed, atFraction: 0.9)
            XCTAssertNil(fixed.cut.violationCounts[.liveness], "seed \(seed): \(fixed.cut.violations.first?.description ?? "")")
        }
        XCTAssertGreaterThan(hung, 0, "a lost creation message is seen before the run drains")
    }

    func testHealthyRunsCutAnywhereKeepEveryInvariant() throws {
        for file in ["policies/key-routing.yaml", "policies/recycle.yaml", "races/startup-clone.yaml"] {
            for fraction in [0.25, 0.5, 0.75] {
                let (_, part) = try cut(file, ["fidelity=fixed"], seed: 2, atFraction: fraction)
                XCTAssertTrue(part.violationCounts.isEmpty, "\(file) at \(fraction): \(part.violations.first?.description ?? "")")
                XCTAssertLessThan(part.applicationsCompleted + part.applicationsFailed, part.applicationsSubmitted + 1)
            }
        }
    }

    // MARK: The digest covers every field

    /// Everything an event adds to the digest.
    private func record(_ event: Event) -> [UInt64] {
        let f = TraceRecorder.fields(of: event)
        return [f.kind, f.a, f.b] + [f.c, f.d].prefix(Int(f.extraWords))
    }

    private func message(_ body: MessageBody) -> Event {
        .messageDelivered(Message(from: NodeID(1), to: NodeID(2), body: body))
    }

    /// Each list holds one event and variants that differ from it in one field each: every
    /// variant must give a different record.
    func testEveryFieldOfEveryEventReachesTheDigest() {
        let a = AppID(3), b = AppID(4), o = ObjectID(7), p = ObjectID(8)
        let r = RequestID(origin: NodeID(1), counter: 5), s = RequestID(origin: NodeID(2), counter: 5)
        let t = RequestID(origin: NodeID(1), counter: 6)
        let reasons: [FailureReason] = [.refused, .noResources, .execTimeout, .prepareFailed, .addressUnavailable,
                                        .missingRequesterKey, .objectCrashed, .mainCrashed, .cancelled, .nodeRestarted,
                                        .noReply]
        let families: [[Event]] = [
            [message(.reserve(a, o, r, round: 1, carriesRequesterKey: false)),
             message(.reserve(a, o, r, round: 1, carriesRequesterKey: true)),
             message(.reserve(b, o, r, round: 1, carriesRequesterKey: false)),
             message(.reserve(a, p, r, round: 1, carriesRequesterKey: false)),
             message(.reserve(a, o, s, round: 1, carriesRequesterKey: false)),
             message(.reserve(a, o, t, round: 1, carriesRequesterKey: false)),
             message(.reserve(a, o, r, round: 2, carriesRequesterKey: false)),
             .messageDelivered(Message(from: NodeID(2), to: NodeID(2), body: .reserve(a, o, r, round: 1, carriesRequesterKey: false)))],
            reasons.map { message(.objectFailed(a, o, $0)) } + [message(.objectFailed(b, o, .refused)),
                                                                 message(.objectFailed(a, p, .refused))],
            [message(.discoveryRequest(r, a, hopsLeft: 3, wayBack: WayBack(tip: 10))),
             message(.discoveryRequest(s, a, hopsLeft: 3, wayBack: WayBack(tip: 10))),
             message(.discoveryRequest(r, b, hopsLeft: 3, wayBack: WayBack(tip: 10))),
             message(.discoveryRequest(r, a, hopsLeft: 2, wayBack: WayBack(tip: 10))),
             message(.discoveryRequest(r, a, hopsLeft: 3, wayBack: WayBack(tip: 11))),
             message(.discoveryRequest(r, a, hopsLeft: 3, wayBack: .empty))],
            [message(.discoveryReply(r, a, responder: NodeID(0), wayBack: WayBack(tip: 10))),
             message(.discoveryReply(t, a, responder: NodeID(0), wayBack: WayBack(tip: 10))),
             message(.discoveryReply(r, b, responder: NodeID(0), wayBack: WayBack(tip: 10))),
             message(.discoveryReply(r, a, responder: NodeID(1), wayBack: WayBack(tip: 10))),
             message(.discoveryReply(r, a, responder: NodeID(0), wayBack: WayBack(tip: 12)))],
            [message(.capacityReleased(node: NodeID(0), jobs: 1, vms: 1, sequence: 1)),
             message(.capacityReleased(node: NodeID(1), jobs: 1, vms: 1, sequence: 1)),
             message(.capacityReleased(node: NodeID(0), jobs: 2, vms: 1, sequence: 1)),
             message(.capacityReleased(node: NodeID(0), jobs: 1, vms: 0, sequence: 1)),
             message(.capacityReleased(node: NodeID(0), jobs: 1, vms: 1, sequence: 2)),
             message(.capacityReleased(node: NodeID(0), jobs: 65536, vms: 1, sequence: 1))],
            [message(.vmAdded(node: NodeID(0), sequence: 1)), message(.vmAdded(node: NodeID(1), sequence: 1)),
             message(.vmAdded(node: NodeID(0), sequence: 2))],
            [message(.applicationEnded(a, nil)), message(.applicationEnded(a, r)), message(.applicationEnded(a, s)),
             message(.applicationEnded(b, nil))],
            [message(.execute(a, o)), message(.execute(b, o)), message(.execute(a, p)),
             message(.objectCompleted(a, o)), message(.cancelObject(a, o, booking: 1))],
            [message(.reserveAnswered(a, o, accepted: true)), message(.reserveAnswered(a, o, accepted: false)),
             message(.reserveAnswered(b, o, accepted: true)), message(.objectStarted(a, o, vmWasReady: true)),
             message(.objectStarted(b, o, vmWasReady: true)), message(.objectStarted(a, o, vmWasReady: false))],
            [message(.placeObjects(a, round: 1)), message(.placeObjects(a, round: 2)), message(.placeObjects(b, round: 1)),
             message(.objectsPlaced(a, round: 1)), message(.routeVMKey(a, VMID(1))), message(.routeVMKey(a, VMID(2))),
             message(.routeVMKey(b, VMID(1)))],
            [.keyWritten(VMID(1), KeyWrite(kind: .mainNode(a), app: a), ticket: 1),
             .keyWritten(VMID(1), KeyWrite(kind: .mainNode(a), app: nil), ticket: 1),
             .keyWritten(VMID(1), KeyWrite(kind: .mainNode(a), app: b), ticket: 1),
             .keyWritten(VMID(1), KeyWrite(kind: .mainNode(a), app: a), ticket: 1, succeeded: false),
             .keyWritten(VMID(1), KeyWrite(kind: .requester(o), app: a), ticket: 1),
             .keyWritten(VMID(2), KeyWrite(kind: .mainNode(a), app: a), ticket: 1)],
            [.applicationSubmitted(a), .applicationSubmitted(b), .applicationCrashed(a)],
        ]
        for family in families {
            let records = family.map(record)
            for i in records.indices {
                for j in records.indices where j > i {
                    XCTAssertNotEqual(records[i], records[j], "\(family[i]) and \(family[j]) give one record")
                }
            }
        }
    }

    // MARK: Host keys shared by clones

    func testClonesShareTheirSourcesHostKeyUnlessRegenerated() throws {
        var shared = 0
        for seed: UInt64 in 1...5 {
            for fidelity in ["{base: fixed, cloneSharesHostKeys: true}", "faithful"] {
                var scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("races/startup-clone.yaml").path,
                                                       overrides: ["fidelity=\(fidelity)", "policies.cloneAheadThreshold=3"])
                scenario.seed = seed
                var simulation = Simulation(scenario: scenario)
                let m = simulation.run()
                // Every node's workers are clones of its first (vm0 on node0, vm1 on node1): one identity per node.
                XCTAssertEqual(simulation.worldVMs.map(\.hostKey), simulation.worldVMs.map(\.node))
                shared += m.violationCounts[.hostKeys] ?? 0
                for v in m.violations where v.invariant == .hostKeys {
                    let names = v.entities.split(separator: " ").map(String.init)
                    XCTAssertEqual(names.count, 4, v.entities)
                    XCTAssertNotEqual(names[2], names[3], "two different applications")
                    let vms = names.prefix(2).compactMap { Int($0.dropFirst(2)) }
                    XCTAssertEqual(simulation.worldVMs[vms[0]].node, simulation.worldVMs[vms[1]].node)
                }
            }
            var scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("races/startup-clone.yaml").path,
                                                   overrides: ["fidelity=fixed", "policies.cloneAheadThreshold=3"])
            scenario.seed = seed
            var simulation = Simulation(scenario: scenario)
            let fixed = simulation.run()
            XCTAssertNil(fixed.violationCounts[.hostKeys])
            // Regenerated: every worker its own.
            XCTAssertEqual(simulation.worldVMs.map(\.hostKey), (0..<simulation.worldVMs.count).map { Int32($0) })
        }
        XCTAssertGreaterThan(shared, 0, "two clones of one worker served two applications at once")
    }
}
