/// A reason not to trust a cell's statistics, printed under the table.
public enum SpreadWarning: Sendable, Equatable {
    /// Fewer timed runs than `minimumRuns`: σ (and the ratio's uncertainty) rests on too little.
    case fewRuns(count: Int)
    /// σ / mean above `largeSpread`: something else ran, or the machine changed speed, during the cell.
    case largeSpread(relative: Double)
    /// The slowest run is more than `outlierFactor` times the median: one run was disturbed.
    case outlier(maximumOverMedian: Double)

    /// Below this many runs the sample standard deviation is itself uncertain by more than a third
    /// (its relative standard error is about 1/√(2(n − 1)): 50 % at 3 runs, 35 % at 5).
    public static let minimumRuns = 5
    public static let largeSpread = 0.10
    public static let outlierFactor = 1.5

    public static func warnings(for statistics: SampleStatistics) -> [SpreadWarning] {
        var warnings: [SpreadWarning] = []
        if statistics.count < minimumRuns { warnings.append(.fewRuns(count: statistics.count)) }
        if let relative = statistics.relativeStandardDeviation, relative > largeSpread {
            warnings.append(.largeSpread(relative: relative))
        }
        if statistics.count >= minimumRuns, statistics.maximum > outlierFactor * statistics.median {
            warnings.append(.outlier(maximumOverMedian: statistics.maximum / statistics.median))
        }
        return warnings
    }

    /// Machine-readable name (JSON, CSV).
    public var code: String {
        switch self {
        case .fewRuns: "few-runs"
        case .largeSpread: "large-spread"
        case .outlier: "outlier"
        }
    }

    public var text: String {
        switch self {
        case .fewRuns(let count):
            "only \(count) timed run\(count == 1 ? "" : "s") (fewer than \(Self.minimumRuns)): σ is not to be trusted; raise --repeat"
        case .largeSpread(let relative):
            "σ is \(String(format: "%.1f", relative * 100)) % of the mean (over \(Int(Self.largeSpread * 100)) %): a busy or drifting machine; rerun when quiet or raise --repeat"
        case .outlier(let factor):
            "the slowest run took \(String(format: "%.1f", factor))× the median: a run was disturbed"
        }
    }
}
