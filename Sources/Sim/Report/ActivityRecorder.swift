import Model

/// A trace sink that keeps the delivered events themselves (no JSON lines) so that
/// `ActivityReplay` can rebuild what happened after the run. Bounded: events after
/// `untilSeconds`, or beyond `maxEvents`, are not kept, and the replay stops there.
public final class ActivityRecorder: TraceSink {
    enum Entry {
        case event(Double, Event)
        case arrival(Double, Int32)
    }

    public let untilSeconds: Double
    public let maxEvents: Int
    private(set) var entries: [Entry] = []
    /// The event bound was hit (not the time bound).
    public private(set) var truncated = false
    private var stopped = false

    public init(untilSeconds: Double = .infinity, maxEvents: Int = 4_000_000) {
        precondition(maxEvents > 0 && untilSeconds >= 0)
        self.untilSeconds = untilSeconds
        self.maxEvents = maxEvents
    }

    public var wantsLines: Bool { false }
    public func write(line: String) {}

    public func recorded(time: Double, event: Event) {
        if admit(time) { entries.append(.event(time, event)) }
    }

    public func recordedArrival(time: Double, index: Int32) {
        if admit(time) { entries.append(.arrival(time, index)) }
    }

    /// Once one event is refused every later one is too: the replay needs a prefix of the run.
    private func admit(_ time: Double) -> Bool {
        if stopped { return false }
        if time > untilSeconds {
            stopped = true
        } else if entries.count >= maxEvents {
            stopped = true
            truncated = true
        }
        return !stopped
    }

    public var eventCount: Int { entries.count }
}
