/// A bounded view of one run's VM states for the report: at most `maxVMs` VMs (the busiest
/// in the window) over `[0, windowEndSeconds]`. Saved as `timeline.json` beside the sweep's
/// results so that `merge` and `report` can redraw it without the scenario.
public struct VMTimeline: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        public var vm: Int32
        public var node: Int32
        public var ordinal: Int32
        public var spans: [Activity.StateSpan]
    }

    /// The run: its sweep cell (position in the expansion), axis values and seed.
    public var cell: Int
    public var values: [String]
    public var seed: UInt64
    public var scenario: String
    public var windowEndSeconds: Double
    /// Where the run ended (the window may be shorter).
    public var runEndSeconds: Double
    public var vmCount: Int
    public var rows: [Row]
    /// The replay hit its event bound before the window's end.
    public var truncated: Bool
    /// The same run's grid totals over the window (`RunSeries`), for the step chart; absent in older files.
    public var grid: GridSeries?

    /// Keeps the `maxVMs` VMs with the most time in a state other than free, off and
    /// suspended within the window (ties: lower id), in id order, spans clipped to the window.
    public init(_ activity: Activity, cell: Int, values: [String], seed: UInt64, scenario: String,
                windowEndSeconds: Double, runEndSeconds: Double, maxVMs: Int) {
        precondition(maxVMs >= 1)
        let end = min(windowEndSeconds, activity.endSeconds)
        func clipped(_ spans: [Activity.StateSpan]) -> [Activity.StateSpan] {
            spans.compactMap { span in
                guard span.fromSeconds < end else { return nil }
                return Activity.StateSpan(state: span.state, fromSeconds: span.fromSeconds, toSeconds: min(span.toSeconds, end))
            }
        }
        let idle: Set<VMState> = [.free, .off, .suspended]
        let ranked = activity.vms.map { vm -> (busy: Double, vm: Activity.VM) in
            let busy = clipped(vm.spans).filter { !idle.contains($0.state) }.reduce(0) { $0 + $1.toSeconds - $1.fromSeconds }
            return (busy, vm)
        }.filter { !$0.vm.spans.isEmpty }
            .sorted { ($1.busy, $0.vm.id) < ($0.busy, $1.vm.id) }
        rows = ranked.prefix(maxVMs).map(\.vm).sorted { $0.id < $1.id }.map {
            Row(vm: $0.id, node: $0.node, ordinal: $0.ordinal, spans: clipped($0.spans))
        }
        vmCount = ranked.count
        self.cell = cell
        self.values = values
        self.seed = seed
        self.scenario = scenario
        self.windowEndSeconds = end
        self.runEndSeconds = runEndSeconds
        truncated = activity.truncated && activity.endSeconds < windowEndSeconds
    }
}
