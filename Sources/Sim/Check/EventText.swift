import Model

/// Model's events as a tester reads them: `12m 34.567s  node1 → node0  reserve app13 obj13 (request 1·19, round 1)`.
/// Ids are names, addresses dotted quads, times at a fixed millisecond precision, so two reports line up
/// column for column and a time can be pasted into `replay --around`.
public enum EventText {
    /// `h`/`m`/`s` with milliseconds: `42.000s`, `12m 34.567s`, `2h 03m 04.500s`. Rounded to the millisecond
    /// first, so 59.9996 s reads `1m 00.000s`, never `60.000s`.
    public static func time(_ seconds: Double) -> String {
        guard seconds.isFinite else { return seconds > 0 ? "never" : "-" }
        let negative = seconds < 0
        let millis = Int64((abs(seconds) * 1000).rounded())
        let ms = millis % 1000
        let totalSeconds = millis / 1000
        let s = totalSeconds % 60
        let m = (totalSeconds / 60) % 60
        let h = totalSeconds / 3600
        let fraction = "." + pad(ms, 3) + "s"
        let text: String
        if h > 0 {
            text = "\(h)h " + pad(m, 2) + "m " + pad(s, 2) + fraction
        } else if m > 0 {
            text = "\(m)m " + pad(s, 2) + fraction
        } else {
            text = "\(s)" + fraction
        }
        return negative ? "-" + text : text
    }

    /// A time as `time(_:)` prints it (`50m 04.521s`, `2h 03m 04.500s`), so one can be pasted back into a flag;
    /// nil for anything else.
    public static func seconds(from text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard !parts.isEmpty else { return nil }
        var total = 0.0
        var lastUnit = Double.infinity
        for part in parts {
            guard let unitCharacter = part.last, let number = Double(part.dropLast()), number >= 0, number.isFinite
            else { return nil }
            let unit: Double
            switch unitCharacter {
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            default: return nil
            }
            // Largest unit first, each once: `4s 2m` is a typo, not 124 s.
            guard unit < lastUnit else { return nil }
            lastUnit = unit
            total += number * unit
        }
        return total
    }

    /// One line: the time, then the event.
    public static func line(time seconds: Double, _ event: Event) -> String {
        time(seconds).leftPadded(13) + "  " + describe(event)
    }

    public static func describe(_ event: Event) -> String {
        switch event {
        case .gridStarted:
            return "grid started"
        case .applicationSubmitted(let a):
            return "\(a) submitted"
        case .applicationCrashed(let a):
            return "\(a) main crashed"
        case .messageDelivered(let m):
            return "\(m.from) → \(m.to)  " + describe(m.body)
        case .hypervisorFinished(let vm, let op, _, let ok):
            let what: String
            switch op {
            case .clone(let target): what = "clone of \(vm) into \(target)"
            case .revert, .suspend, .shutdown, .boot, .resume: what = "\(op.name) of \(vm)"
            }
            return what + (ok ? " done" : " failed")
        case .addressObtained(let vm, let address, _):
            return address.map { "\(vm) got address \($0)" } ?? "\(vm) got no address"
        case .vmKeyFetched(let vm, _, let ok):
            return ok ? "\(vm) key fetched" : "\(vm) key fetch failed (guest channel broke)"
        case .keyWritten(let vm, let write, _, let ok):
            let whose = write.app.map { " for \($0)" } ?? " with an empty appId"
            return "\(describe(write.kind)) key written to \(vm)\(whose)" + (ok ? "" : " failed")
                + (write.installs ? "" : " (not installed)")
        case .objectLaunched(let o, let ok):
            return ok ? "\(o) launched" : "\(o) launch failed"
        case .objectFinished(let o, let ok):
            return ok ? "\(o) finished" : "\(o) crashed"
        case .timerFired(let alarm):
            return describe(alarm)
        case .vmPowerObserved(let vm, let state):
            return "\(vm) observed \(state.rawValue)"
        case .adminRestarted(let node):
            return "admin VM of \(node) restarted"
        }
    }

    public static func describe(_ body: MessageBody) -> String {
        switch body {
        case .placeObjects(let a, let round):
            return "place objects \(a) (round \(round))"
        case .objectsPlaced(let a, let round):
            return "objects placed \(a) (round \(round))"
        case .capacityReleased(let node, let jobs, let vms, let sequence):
            return "capacity released by \(node): \(jobs) jobs, \(vms) VMs (#\(sequence))"
        case .vmAdded(let node, let sequence):
            return "VM added on \(node) (#\(sequence))"
        case .discoveryRequest(let request, let a, let hops, _):
            return "discovery request \(a) (request \(describe(request)), \(hops) hops left)"
        case .discoveryReply(let request, let a, let responder, _):
            return "discovery reply \(a) from \(responder) (request \(describe(request)))"
        case .reserve(let a, let o, let request, let round, let key):
            return "reserve \(a) \(o) (request \(describe(request)), round \(round)"
                + (key ? ", with requester key)" : ")")
        case .reserveAnswered(let a, let o, let accepted):
            return "reserve \(accepted ? "accepted" : "refused") \(a) \(o)"
        case .execute(let a, let o):
            return "execute \(a) \(o)"
        case .objectStarted(let a, let o, let ready):
            return "object started \(a) \(o)" + (ready ? "" : " (VM prepared on demand)")
        case .objectFailed(let a, let o, let reason):
            return "object failed \(a) \(o): \(reason.rawValue)"
        case .objectCompleted(let a, let o):
            return "object completed \(a) \(o)"
        case .cancelObject(let a, let o, let booking):
            return "cancel \(a) \(o) (booking \(booking))"
        case .applicationEnded(let a, let request, _):
            return "application ended \(a)" + (request.map { " (request \(describe($0)))" } ?? "")
        case .routeVMKey(let a, let vm):
            return "route key of \(vm) to the main of \(a)"
        }
    }

    /// `1·19`: the originating node's number and its counter (`1__19` in the original's logs).
    public static func describe(_ request: RequestID) -> String {
        "\(request.origin.index)·\(request.counter)"
    }

    static func describe(_ kind: KeyKind) -> String {
        switch kind {
        case .requester(let o): "requester (\(o))"
        case .mainNode(let a): "main node (\(a))"
        case .admin(let n): "admin (\(n))"
        case .worker(let vm): "worker (\(vm))"
        case .node(let n): "node (\(n))"
        }
    }

    static func describe(_ alarm: Alarm) -> String {
        switch alarm {
        case .discoveryWait(let a, let round): "discovery wait over \(a) (round \(round))"
        case .reservationExpiry(let o, _): "reservation of \(o) expired"
        case .execTimeout(let o, _): "start of \(o) timed out"
        case .roundTimeout(let a, let round): "round \(round) of \(a) timed out"
        case .errorPauseOver(let a): "error pause over \(a)"
        case .idleTimeout(let vm, _): "\(vm) idle timeout"
        case .recycleRetry(let vm, _): "recycle of \(vm) retried"
        case .addressWaitOver(let vm, _): "\(vm) gave up waiting for an address"
        }
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
