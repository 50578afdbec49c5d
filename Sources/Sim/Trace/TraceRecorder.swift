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

/// The canonical trace: every event the engine delivers, as (time, kind, ids). The digest is
/// the SHA-256 of its binary encoding; `--trace` writes the same records as JSON Lines.
struct TraceRecorder {
    private var digest = TraceDigest()
    private let sink: TraceSink?

    init(sink: TraceSink?) { self.sink = sink }

    mutating func begin(scenario: Scenario) {
        digest.update(scenario.seed)
        guard let sink, sink.wantsLines else { return }
        let fidelity = scenario.grid.fidelity.enabled.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
        sink.write(line: "{\"scenario\":\"\(jsonEscaped(scenario.name))\",\"seed\":\(scenario.seed),"
            + "\"mode\":\"\(scenario.grid.mode.rawValue)\",\"nodes\":\(scenario.grid.nodes.count),"
            + "\"recycle\":\"\(scenario.grid.recycle.rawValue)\",\"dhcpRenewal\":\"\(scenario.grid.dhcpRenewal.rawValue)\","
            + "\"defects\":[\(fidelity)]}")
    }

    @inline(__always)
    mutating func record(time: Double, _ event: Event) {
        let fields = TraceRecorder.fields(of: event)
        digest.update(time.bitPattern, fields.kind, fields.a, fields.b)
        if let sink {
            if sink.wantsLines {
                sink.write(line: "{\"t\":\(time),\"event\":\"\(fields.name)\",\"a\":\(Int64(bitPattern: fields.a)),"
                    + "\"b\":\(Int64(bitPattern: fields.b)),\"detail\":\"\(jsonEscaped(String(describing: event)))\"}")
            }
            sink.recorded(time: time, event: event)
        }
    }

    mutating func recordArrival(time: Double, index: Int32) {
        digest.update(time)
        digest.update(UInt64(1000))
        digest.update(UInt64(index))
        guard let sink else { return }
        if sink.wantsLines { sink.write(line: "{\"t\":\(time),\"event\":\"arrival\",\"a\":\(index)}") }
        sink.recordedArrival(time: time, index: index)
    }

    mutating func finish(metrics: Metrics) -> String {
        digest.update(UInt64(metrics.applicationsCompleted))
        digest.update(UInt64(metrics.applicationsFailed))
        return digest.finalize()
    }

    struct Fields {
        var kind: UInt64
        var a: UInt64
        var b: UInt64
        var name: StaticString
    }

    @inline(__always)
    static func fields(of event: Event) -> Fields {
        func id(_ v: Int32) -> UInt64 { UInt64(UInt32(bitPattern: v)) }
        switch event {
        case .gridStarted:
            return Fields(kind: 1, a: 0, b: 0, name: "gridStarted")
        case .adminRestarted(let node):
            return Fields(kind: 11, a: id(node.index), b: 0, name: "adminRestarted")
        case .applicationSubmitted:
            return Fields(kind: 2, a: 0, b: 0, name: "applicationSubmitted")
        case .messageDelivered(let m):
            let route = id(m.from.index) << 32 | id(m.to.index)
            return Fields(kind: 100 + messageKind(m.body), a: route, b: messageSubject(m.body), name: "message")
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
            }
            return Fields(kind: 6, a: id(vm.index) << 32 | UInt64(ticket), b: key | (ok ? 0 : 1 << 62), name: "keyWritten")
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

    @inline(__always)
    static func messageSubject(_ body: MessageBody) -> UInt64 {
        func id(_ v: Int32) -> UInt64 { UInt64(UInt32(bitPattern: v)) }
        switch body {
        case .placeObjects(let app, let round), .objectsPlaced(let app, let round):
            return id(app.index) << 32 | id(round)
        case .capacityReleased(let node, let jobs, let vms, _):
            return id(node.index) << 32 | id(jobs) << 16 | id(vms)
        case .vmAdded(let node, _):
            return id(node.index)
        case .discoveryRequest(let request, _, let hops, _):
            return id(request.origin.index) << 48 | UInt64(request.counter) << 16 | id(hops) & 0xffff
        case .discoveryReply(let request, _, let responder, _):
            return id(request.origin.index) << 48 | UInt64(request.counter) << 16 | id(responder.index) & 0xffff
        case .reserve(_, let o, _, _, _), .execute(_, let o), .objectCompleted(_, let o), .cancelObject(_, let o):
            return id(o.index)
        case .reserveAnswered(_, let o, let accepted):
            return id(o.index) << 1 | (accepted ? 1 : 0)
        case .objectStarted(_, let o, let ready):
            return id(o.index) << 1 | (ready ? 1 : 0)
        case .objectFailed(_, let o, _):
            return id(o.index)
        case .applicationEnded(let app, _, _):
            return id(app.index)
        case .routeVMKey(let app, let vm):
            return id(app.index) << 32 | id(vm.index)
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
