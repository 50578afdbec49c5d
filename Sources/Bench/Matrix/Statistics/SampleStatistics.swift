import CGSL

/// Mean, standard deviation, extremes and median of a cell's timed runs, as hyperfine reports them.
///
/// The standard deviation is the sample one (n − 1 in the denominator, GSL's `gsl_stats_sd`): the
/// runs are a sample of what the machine does. With one run it is undefined (nil), and so is
/// everything that propagates it.
public struct SampleStatistics: Sendable, Equatable {
    public let count: Int
    public let mean: Double
    public let standardDeviation: Double?
    public let minimum: Double
    public let maximum: Double
    public let median: Double

    /// Every value finite; at least one.
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "statistics of no runs")
        precondition(values.allSatisfy(\.isFinite), "a run's time is not a number: \(values)")
        var sorted = values
        let n = sorted.count
        (mean, standardDeviation, minimum, maximum, median) = sorted.withUnsafeMutableBufferPointer { buffer in
            let data = buffer.baseAddress!
            gsl_sort(data, 1, n)
            let mean = gsl_stats_mean(data, 1, n)
            return (mean, n > 1 ? gsl_stats_sd_m(data, 1, n, mean) : nil, data[0], data[n - 1],
                    gsl_stats_median_from_sorted_data(data, 1, n))
        }
        count = n
    }

    /// σ / mean: the spread on a scale that does not depend on the cell's size.
    public var relativeStandardDeviation: Double? {
        standardDeviation.map { mean > 0 ? $0 / mean : .infinity }
    }
}
