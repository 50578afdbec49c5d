import Model

/// Hands every trace record to several sinks (`--trace` and `--perfetto` in one run).
public final class TraceFanOut: TraceSink {
    private let sinks: [TraceSink]
    public let wantsLines: Bool

    public init(_ sinks: [TraceSink]) {
        self.sinks = sinks
        wantsLines = sinks.contains { $0.wantsLines }
    }

    public func write(line: String) {
        for sink in sinks where sink.wantsLines { sink.write(line: line) }
    }

    public func recorded(time: Double, event: Event) {
        for sink in sinks { sink.recorded(time: time, event: event) }
    }

    public func recordedArrival(time: Double, index: Int32) {
        for sink in sinks { sink.recordedArrival(time: time, index: index) }
    }
}
