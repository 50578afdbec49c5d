import Foundation
import Model
import XCTest
@testable import Sim

/// The JSON Lines trace is typed (docs/TRACE.md): a versioned header, one `TraceEvent` per line, the world's
/// changes on lines of their own, and the digest untouched by any of it.
final class TraceSchemaTests: XCTestCase {
    final class Lines: TraceSink {
        var lines: [String] = []
        var recorded = 0
        func write(line: String) { lines.append(line) }
        func recorded(time: Double, event: Event) { recorded += 1 }
    }

    static let root = PackagePaths.root

    func run(_ file: String, seed: UInt64, sink: TraceSink?) throws -> Metrics {
        var scenario = try ScenarioLoader.load(path: Self.root.appendingPathComponent("Scenarios/" + file).path)
        scenario.seed = seed
        var simulation = Simulation(scenario: scenario, traceSink: sink)
        return simulation.run()
    }

    func decode(_ lines: [String]) throws -> (TraceHeader, [TraceEvent]) {
        let decoder = JSONDecoder()
        let header = try decoder.decode(TraceHeader.self, from: Data(lines[0].utf8))
        let events = try lines.dropFirst().map { try decoder.decode(TraceEvent.self, from: Data($0.utf8)) }
        return (header, events)
    }

    func testEveryLineIsTypedAndTheDigestIsTheSameWithoutATrace() throws {
        let sink = Lines()
        let traced = try run("races/dhcp-lease.yaml", seed: 2, sink: sink)
        let plain = try run("races/dhcp-lease.yaml", seed: 2, sink: nil)
        XCTAssertEqual(traced.digest, plain.digest)
        XCTAssertEqual(traced.digest, "b1609ac49a0a049e189059a21ae26d5758c818097522efaf68165068887f7e11")
        let (header, events) = try decode(sink.lines)
        XCTAssertEqual(header.schema, "visag-trace")
        XCTAssertEqual(header.version, 2)
        XCTAssertEqual(header.seed, 2)
        for line in sink.lines {
            XCTAssertFalse(line.contains("\"detail\"") || line.contains("\"a\":") || line.contains("\"b\":"), line)
        }
        // Model's events, one line each, and the world's lines beside them.
        let world: Set<String> = ["leaseExpired", "leaseGranted", "dhcpDown", "vmCrashed", "messageLost",
                                  "messageDuplicated"]
        XCTAssertEqual(events.filter { !world.contains($0.kind) && $0.kind != "arrival" }.count, sink.recorded)
        XCTAssertGreaterThan(events.filter { world.contains($0.kind) }.count, 0)
        let expiry = try XCTUnwrap(events.first { $0.kind == "leaseExpired" && $0.vm == 3 })
        XCTAssertEqual(expiry.address, "10.1.0.4")
        XCTAssertEqual(EventText.time(expiry.t), "23m 20.936s")
        let reserve = try XCTUnwrap(events.first { $0.what == "reserve" && $0.object == 13 })
        XCTAssertEqual(reserve.request, TraceRequest(node: 1, counter: 27))
        XCTAssertEqual(reserve.app, 13)
        XCTAssertEqual(reserve.round, 1)
        // Times stay in order, world lines included.
        XCTAssertEqual(events.map(\.t), events.map(\.t).sorted())
    }

    func testLostAndDuplicatedMessagesAreLinesOfTheirOwn() throws {
        let sink = Lines()
        let metrics = try run("races/lost-messages.yaml", seed: 3, sink: sink)
        let (_, events) = try decode(sink.lines)
        XCTAssertEqual(events.filter { $0.kind == "messageLost" }.count, metrics.messagesDropped)
        XCTAssertEqual(events.filter { $0.kind == "messageDuplicated" }.count, metrics.messagesDuplicated)
        XCTAssertGreaterThan(metrics.messagesDropped, 0)
        let lost = try XCTUnwrap(events.first { $0.kind == "messageLost" })
        XCTAssertNotNil(lost.from)
        XCTAssertNotNil(lost.what)
    }

    /// Every kind the code can write is documented, so the schema and docs/TRACE.md cannot drift apart.
    func testEveryKindAndFieldIsDocumented() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/TRACE.md"), encoding: .utf8)
        let message = { (body: MessageBody) in Event.messageDelivered(Message(from: NodeID(0), to: NodeID(1), body: body)) }
        let r = RequestID(origin: NodeID(0), counter: 1)
        let events: [Event] = [
            .gridStarted, .applicationSubmitted(AppID(1)), .applicationCrashed(AppID(1)), .adminRestarted(NodeID(1)),
            .hypervisorFinished(VMID(1), .clone(target: VMID(2)), ticket: 1, succeeded: true),
            .addressObtained(VMID(1), Address(1), ticket: 1), .vmKeyFetched(VMID(1), ticket: 1),
            .keyWritten(VMID(1), KeyWrite(kind: .mainNode(AppID(1)), app: AppID(1)), ticket: 1),
            .keyWritten(VMID(1), KeyWrite(kind: .requester(ObjectID(1)), app: nil), ticket: 1),
            .objectLaunched(ObjectID(1), succeeded: true), .objectFinished(ObjectID(1), succeeded: false),
            .vmPowerObserved(VMID(1), .off),
            .timerFired(.discoveryWait(AppID(1), round: 1)), .timerFired(.reservationExpiry(ObjectID(1), generation: 1)),
            .timerFired(.execTimeout(ObjectID(1), generation: 1)), .timerFired(.roundTimeout(AppID(1), round: 1)),
            .timerFired(.errorPauseOver(AppID(1))), .timerFired(.idleTimeout(VMID(1), generation: 1)),
            .timerFired(.recycleRetry(VMID(1), ticket: 1)), .timerFired(.addressWaitOver(VMID(1), ticket: 1)),
            message(.placeObjects(AppID(1), round: 1)), message(.objectsPlaced(AppID(1), round: 1)),
            message(.capacityReleased(node: NodeID(1), jobs: 1, vms: 1, sequence: 1)),
            message(.vmAdded(node: NodeID(1), sequence: 1)),
            message(.discoveryRequest(r, AppID(1), hopsLeft: 2, wayBack: .empty)),
            message(.discoveryReply(r, AppID(1), responder: NodeID(1), wayBack: .empty)),
            message(.reserve(AppID(1), ObjectID(1), r, round: 1, carriesRequesterKey: true)),
            message(.reserveAnswered(AppID(1), ObjectID(1), accepted: true)), message(.execute(AppID(1), ObjectID(1))),
            message(.objectStarted(AppID(1), ObjectID(1), vmWasReady: true)),
            message(.objectFailed(AppID(1), ObjectID(1), .noReply)), message(.objectCompleted(AppID(1), ObjectID(1))),
            message(.cancelObject(AppID(1), ObjectID(1), booking: 1)), message(.applicationEnded(AppID(1), r)),
            message(.routeVMKey(AppID(1), VMID(1))),
        ]
        let world: [WorldChange] = [.leaseExpired(VMID(1), Address(1)), .leaseGranted(VMID(1), Address(1)),
                                    .dhcpDown(VMID(1), area: 0), .vmCrashed(VMID(1)),
                                    .messageLost(Message(from: NodeID(0), to: NodeID(1), body: .execute(AppID(1), ObjectID(1)))),
                                    .messageDuplicated(Message(from: NodeID(0), to: NodeID(1), body: .execute(AppID(1), ObjectID(1))))]
        let lines = events.map { TraceEvent(time: 1, $0) } + world.map { TraceEvent(time: 1, $0) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for line in lines {
            XCTAssertTrue(doc.contains("| `\(line.kind)` |"), "kind \(line.kind) is not in docs/TRACE.md")
            if let what = line.what { XCTAssertTrue(doc.contains("`\(what)`"), "\(what) is not in docs/TRACE.md") }
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: encoder.encode(line)) as? [String: Any])
            for key in object.keys { XCTAssertTrue(doc.contains("`\(key)`"), "field \(key) is not in docs/TRACE.md") }
            // Round trip: what is written decodes to the same value.
            XCTAssertEqual(try JSONDecoder().decode(TraceEvent.self, from: encoder.encode(line)), line)
        }
    }
}
