import CGSL

/// Count, mean and tail quantiles of a set of measurements, in the unit of
/// the measurements themselves.
///
/// Quantiles use GSL's linear interpolation between order statistics
/// (`gsl_stats_quantile_from_sorted_data`).
public struct Summary: Equatable, Sendable {
    public var count: Int
    public var mean: Double
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var max: Double

    /// All zeros with a count of 0: the summary of no measurements.
    public static let empty = Summary(count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0)

    public init(count: Int, mean: Double, p50: Double, p95: Double, p99: Double, max: Double) {
        self.count = count
        self.mean = mean
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.max = max
    }

    /// Summarises `values`, which must not contain NaN (a NaN measurement is
    /// a bug in the code that produced it, and it would make sorting
    /// meaningless). Makes one sorted copy of the input.
    public init(_ values: [Double]) {
        guard !values.isEmpty else {
            self = .empty
            return
        }
        precondition(!values.contains(where: { $0.isNaN }), "Summary input contains NaN")
        var sorted = values
        let n = sorted.count
        self = sorted.withUnsafeMutableBufferPointer { buffer in
            let data = buffer.baseAddress!
            gsl_sort(data, 1, n)
            return Summary(
                count: n,
                mean: gsl_stats_mean(data, 1, n),
                p50: gsl_stats_quantile_from_sorted_data(data, 1, n, 0.50),
                p95: gsl_stats_quantile_from_sorted_data(data, 1, n, 0.95),
                p99: gsl_stats_quantile_from_sorted_data(data, 1, n, 0.99),
                max: data[n - 1])
        }
    }
}
