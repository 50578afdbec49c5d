/// Which run the report's VM timeline shows and how much of it: from the sweep file's
/// `timeline:` mapping, overridden by `--timeline-cell`, `--timeline-seed`, … on the command line.
///
/// ```yaml
/// timeline: {cell: 3, seed: 2, vms: 24, window: 6h}   # all optional
/// ```
public struct TimelineChoice: Sendable, Equatable {
    /// A cell's position in the expansion (the `cell` column of results.csv); nil: the first cell.
    public var cell: Int?
    /// nil: the sweep's first seed.
    public var seed: UInt64?
    public var maxVMs: Int
    /// The timeline shows [0, window] of the run.
    public var windowSeconds: Double

    public static let defaultMaxVMs = 24
    public static let defaultWindowSeconds = 24.0 * 3600

    public init(cell: Int? = nil, seed: UInt64? = nil, maxVMs: Int = defaultMaxVMs,
                windowSeconds: Double = defaultWindowSeconds) {
        self.cell = cell
        self.seed = seed
        self.maxVMs = maxVMs
        self.windowSeconds = windowSeconds
    }

    static func parse(_ value: YAMLValue?) throws -> TimelineChoice {
        guard let value else { return TimelineChoice() }
        let mapping = try value.mapping(allowedKeys: ["cell", "seed", "vms", "window"])
        var choice = TimelineChoice()
        if let cell = mapping.optional("cell") { choice.cell = try cell.int(in: 0...Int(Int32.max)) }
        if let seed = mapping.optional("seed") { choice.seed = UInt64(try seed.int(in: 0...Int.max)) }
        if let vms = mapping.optional("vms") { choice.maxVMs = try vms.int(in: 1...500) }
        if let window = mapping.optional("window") { choice.windowSeconds = try window.seconds(in: 1...Double.infinity) }
        return choice
    }
}
