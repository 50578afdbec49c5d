import Foundation
import Model

/// Where a full trace goes (JSON Lines); the digest is computed whether or not there is one.
public protocol TraceSink: AnyObject {
    /// False for sinks that only want the structured events: the JSON line is then not built.
    var wantsLines: Bool { get }
    func write(line: String)
    /// The same delivered event, structured, for sinks that rebuild what happened from it
    /// (`ActivityRecorder`: Perfetto traces and VM timelines).
    func recorded(time: Double, event: Event)
    func recordedArrival(time: Double, index: Int32)
}

extension TraceSink {
    public var wantsLines: Bool { true }
    public func recorded(time: Double, event: Event) {}
    public func recordedArrival(time: Double, index: Int32) {}
}

/// The canonical trace: every event the engine delivers with every field (`Fields`). The digest is
/// the SHA-256 of its binary encoding; `--trace` writes the same records as JSON Lines. Both backends record
/// through it.
package struct TraceRecorder {
    private var digest = TraceDigest()
    private let sink: TraceSink?
    /// Only for a sink that wants lines: the typed lines of docs/TRACE.md.
    private let encoder: JSONEncoder?

    package init(sink: TraceSink?) {
        self.sink = sink
        if let sink, sink.wantsLines {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            self.encoder = encoder
        } else {
            encoder = nil
        }
    }

    package mutating func begin(scenario: Scenario) {
        digest.update(scenario.seed)
        guard let sink, sink.wantsLines else { return }
        let header = TraceHeader(scenario: scenario.name, seed: scenario.seed, mode: scenario.grid.mode.rawValue,
                                 nodes: scenario.grid.nodes.count, recycle: scenario.grid.recycle.rawValue,
                                 dhcpRenewal: scenario.grid.dhcpRenewal.rawValue,
                                 defects: scenario.grid.fidelity.enabled.map(\.rawValue))
        sink.write(line: line(header))
    }

    private func line<T: Encodable>(_ value: T) -> String {
        // Every field is a number, a string of ours or a Bool: encoding cannot fail.
        String(decoding: try! encoder!.encode(value), as: UTF8.self)
    }

    /// A change of the world (a race's usual cause) as its own typed line; never in the digest.
    package func recordWorld(time: Double, _ change: WorldChange) {
        guard let sink, sink.wantsLines else { return }
        sink.write(line: line(TraceEvent(time: time, change)))
    }

    @inline(__always)
    package mutating func record(time: Double, _ event: Event) {
        let fields = TraceRecorder.fields(of: event)
        digest.update(time.bitPattern, fields.kind, fields.a, fields.b)
        // The kind word says whether these follow, so the records stay unambiguous.
        if fields.extraWords > 0 {
            digest.update(fields.c)
            if fields.extraWords > 1 { digest.update(fields.d) }
        }
        if let sink {
            if sink.wantsLines { sink.write(line: line(TraceEvent(time: time, event))) }
            sink.recorded(time: time, event: event)
        }
    }

    package mutating func recordArrival(time: Double, index: Int32) {
        digest.update(time)
        digest.update(UInt64(1000))
        digest.update(UInt64(index))
        guard let sink else { return }
        if sink.wantsLines {
            var arrival = TraceEvent(t: time, kind: "arrival")
            arrival.app = index
            sink.write(line: line(arrival))
        }
        sink.recordedArrival(time: time, index: index)
    }

    package mutating func finish(metrics: Metrics) -> String {
        digest.update(UInt64(metrics.applicationsCompleted))
        digest.update(UInt64(metrics.applicationsFailed))
        return digest.finalize()
    }

    /// One event's record: every field of the event is in it. `kind`'s low 16 bits name the
    /// event; its upper bits carry small fields (an application, a flag, a failure reason);
    /// `c` and `d` follow `b` only for the kinds that need them (`extraWords`).
    struct Fields {
        var kind: UInt64
        var a: UInt64
        var b: UInt64
        var c: UInt64 = 0
        var d: UInt64 = 0
        var extraWords: UInt8 = 0
        var name: StaticString

        init(kind: UInt64, a: UInt64, b: UInt64, name: StaticString) {
            self.kind = kind
            self.a = a
            self.b = b
            self.name = name
        }

        init(kind: UInt64, a: UInt64, b: UInt64, c: UInt64, name: StaticString) {
            self.init(kind: kind, a: a, b: b, name: name)
            self.c = c
            extraWords = 1
        }

        init(kind: UInt64, a: UInt64, b: UInt64, c: UInt64, d: UInt64, name: StaticString) {
            self.init(kind: kind, a: a, b: b, c: c, name: name)
            self.d = d
            extraWords = 2
        }
    }

    @inline(__always)
    static func fields(of event: Event) -> Fields {
        func id(_ v: Int32) -> UInt64 { UInt64(UInt32(bitPattern: v)) }
        switch event {
        case .gridStarted:
            return Fields(kind: 1, a: 0, b: 0, name: "gridStarted")
        case .adminRestarted(let node):
            return Fields(kind: 11, a: id(node.index), b: 0, name: "adminRestarted")
        case .applicationSubmitted(let app):
            return Fields(kind: 2, a: id(app.index), b: 0, name: "applicationSubmitted")
        case .messageDelivered(let m):
            return messageFields(m)
        case .hypervisorFinished(let vm, let op, let ticket, let ok):
            let opCode: UInt64
            switch op {
            case .revert: opCode = 0
            case .suspend: opCode = 1
            case .shutdown: opCode = 2
            case .clone(let target): opCode = 3 | id(target.index) << 8
            case .boot: opCode = 4
            case .resume: opCode = 5
            }
            return Fields(kind: 3, a: id(vm.index) << 32 | UInt64(ticket), b: opCode << 1 | (ok ? 1 : 0), name: "hypervisorFinished")
        case .addressObtained(let vm, let address, let ticket):
            return Fields(kind: 4, a: id(vm.index) << 32 | UInt64(ticket), b: UInt64(address?.raw ?? 0), name: "addressObtained")
        case .vmKeyFetched(let vm, let ticket, let ok):
            return Fields(kind: 5, a: id(vm.index) << 32 | UInt64(ticket), b: ok ? 0 : 1, name: "vmKeyFetched")
        case .keyWritten(let vm, let write, let ticket, let ok):
            let key: UInt64
            switch write.kind {
            case .requester(let o): key = 1 | id(o.index) << 2
            case .mainNode(let a): key = 2 | id(a.index) << 2
            case .admin(let n): key = 3 | id(n.index) << 2
            // Tag 0 in the low two bits, then one bit for which of the two.
            case .worker(let v): key = id(v.index) << 3
            case .node(let n): key = 4 | id(n.index) << 3
            }
            // The key's application (0: an empty appId), beside the kind.
            let app = write.app.map { id($0.index) + 1 } ?? 0
            return Fields(kind: 6 | app << 16, a: id(vm.index) << 32 | UInt64(ticket), b: key | (ok ? 0 : 1 << 62),
                          name: "keyWritten")
        case .objectLaunched(let o, let ok):
            return Fields(kind: 7, a: id(o.index), b: ok ? 1 : 0, name: "objectLaunched")
        case .objectFinished(let o, let ok):
            return Fields(kind: 8, a: id(o.index), b: ok ? 1 : 0, name: "objectFinished")
        case .applicationCrashed(let app):
            return Fields(kind: 9, a: id(app.index), b: 0, name: "applicationCrashed")
        case .vmPowerObserved(let vm, let power):
            let code: UInt64 = power == .running ? 2 : power == .suspended ? 1 : 0
            return Fields(kind: 10, a: id(vm.index), b: code, name: "vmPowerObserved")
        case .timerFired(let timer):
            switch timer {
            case .discoveryWait(let app, let round): return Fields(kind: 20, a: id(app.index), b: id(round), name: "timer")
            case .reservationExpiry(let o, let g): return Fields(kind: 21, a: id(o.index), b: UInt64(g), name: "timer")
            case .execTimeout(let o, let g): return Fields(kind: 22, a: id(o.index), b: UInt64(g), name: "timer")
            case .errorPauseOver(let app): return Fields(kind: 23, a: id(app.index), b: 0, name: "timer")
            case .idleTimeout(let vm, let g): return Fields(kind: 24, a: id(vm.index), b: UInt64(g), name: "timer")
            case .addressWaitOver(let vm, let t): return Fields(kind: 25, a: id(vm.index), b: UInt64(t), name: "timer")
            case .roundTimeout(let app, let round): return Fields(kind: 26, a: id(app.index), b: id(round), name: "timer")
            case .recycleRetry(let vm, let t): return Fields(kind: 27, a: id(vm.index), b: UInt64(t), name: "timer")
            }
        }
    }

    @inline(__always)
    static func messageKind(_ body: MessageBody) -> UInt64 { UInt64(MessageKind.index(body)) }

    /// A message: `a` is the route, `b` its subject; the kind word carries the application (and
    /// a flag or reason), `c` and `d` what is left (request ids, way-back paths, sequences).
    @inline(__always)
    static func messageFields(_ m: Message) -> Fields {
        func id(_ v: Int32) -> UInt64 { UInt64(UInt32(bitPattern: v)) }
        func request(_ r: RequestID) -> UInt64 { id(r.origin.index) << 32 | UInt64(r.counter) }
        let kind = 100 + messageKind(m.body)
        let route = id(m.from.index) << 32 | id(m.to.index)
        switch m.body {
        case .placeObjects(let app, let round), .objectsPlaced(let app, let round):
            return Fields(kind: kind, a: route, b: id(app.index) << 32 | id(round), name: "message")
        case .capacityReleased(let node, let jobs, let vms, let sequence):
            return Fields(kind: kind, a: route, b: id(jobs) << 32 | id(vms), c: id(node.index) << 32 | UInt64(sequence),
                          name: "message")
        case .vmAdded(let node, let sequence):
            return Fields(kind: kind, a: route, b: id(node.index) << 32 | UInt64(sequence), name: "message")
        case .discoveryRequest(let r, let app, let hops, let wayBack):
            return Fields(kind: kind | id(app.index) << 16, a: route, b: request(r),
                          c: UInt64(bitPattern: wayBack.tip), d: id(hops), name: "message")
        case .discoveryReply(let r, let app, let responder, let wayBack):
            return Fields(kind: kind | id(app.index) << 16, a: route, b: request(r),
                          c: UInt64(bitPattern: wayBack.tip), d: id(responder.index), name: "message")
        case .reserve(let app, let o, let r, let round, let carriesKey):
            return Fields(kind: kind | id(app.index) << 16 | (carriesKey ? 1 << 48 : 0), a: route,
                          b: id(o.index) << 32 | id(round), c: request(r), name: "message")
        case .execute(let app, let o), .objectCompleted(let app, let o):
            return Fields(kind: kind | id(app.index) << 16, a: route, b: id(o.index), name: "message")
        case .cancelObject(let app, let o, let booking):
            return Fields(kind: kind | id(app.index) << 16, a: route, b: id(o.index) << 32 | id(booking), name: "message")
        case .reserveAnswered(let app, let o, let flag), .objectStarted(let app, let o, let flag):
            return Fields(kind: kind | id(app.index) << 16, a: route, b: id(o.index) << 1 | (flag ? 1 : 0), name: "message")
        case .objectFailed(let app, let o, let reason):
            return Fields(kind: kind | id(app.index) << 16 | failureCode(reason) << 48, a: route, b: id(o.index),
                          name: "message")
        case .applicationEnded(let app, let r, let explored):
            // Flooded: the request id and the exploration list follow; targeted: nothing does.
            guard let r else { return Fields(kind: kind, a: route, b: id(app.index), name: "message") }
            return Fields(kind: kind | 1 << 48, a: route, b: id(app.index), c: request(r),
                          d: UInt64(bitPattern: explored.tip), name: "message")
        case .routeVMKey(let app, let vm):
            return Fields(kind: kind, a: route, b: id(app.index) << 32 | id(vm.index), name: "message")
        }
    }

    /// A failure reason's code in the digest (never 0, so a reason always changes the record).
    @inline(__always)
    static func failureCode(_ reason: FailureReason) -> UInt64 {
        switch reason {
        case .refused: 1
        case .noResources: 2
        case .execTimeout: 3
        case .prepareFailed: 4
        case .addressUnavailable: 5
        case .missingRequesterKey: 6
        case .objectCrashed: 7
        case .mainCrashed: 8
        case .cancelled: 9
        case .nodeRestarted: 10
        case .noReply: 11
        }
    }
}

func jsonEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}
