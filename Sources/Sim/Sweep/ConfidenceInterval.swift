// @preconcurrency: GSL exposes its generator types as C globals it never mutates (as in RandomStream).
@preconcurrency import CGSL
import Foundation

/// How a metric's 95 % confidence interval for its mean over a cell's runs is computed. Every metric a sweep
/// measures is a count, a share or a non-negative amount, so each method keeps its interval at or above 0 by
/// construction (never cut afterwards); the method follows the quantity, set per metric in `SweepResults.metrics`.
public enum IntervalMethod: String, Sendable, CaseIterable {
    /// A count of occurrences per run (failures, violations, messages): the exact (Garwood) Poisson interval on the
    /// total over the n runs, divided by n. A total of 0 has 0 as its lower end and 3.69 / n as its upper. When the
    /// runs' counts vary more than Poisson counts would (sample variance above the mean: a message count follows the
    /// workload, not a Poisson process), the total is first divided by that dispersion and the interval multiplied
    /// back (quasi-Poisson), so it is never narrower than the runs' own spread says.
    case poisson = "poisson-exact"
    /// A share of runs (each run 0 or 1, such as whether it broke an invariant): the Wilson score interval for a
    /// binomial proportion, inside [0, 1] by construction.
    case wilson = "wilson"
    /// A non-negative continuous amount (times, VM-hours, per-application ratios, the utilisation fraction): the
    /// 2.5 % and 97.5 % quantiles of the means of `bootstrapResamples` resamples of the runs. A mean of resampled
    /// values lies between the smallest and the largest run, so the interval stays at or above 0 (and inside [0, 1]
    /// for a fraction) without a transform; a log transform would give the geometric mean's interval instead, and
    /// Student's t is symmetric, so it reaches below 0 for the skewed, small amounts a sweep often has. The
    /// resampling draws from MT19937 with a fixed seed, so the same runs give the same interval however the sweep
    /// was run, sharded or merged. With few runs (under about 10) it is narrower than 95 %, as any interval that
    /// uses only the runs' own spread.
    case bootstrap = "bootstrap-percentile"
}

/// A 95 % confidence interval for a mean, with the method that made it (`summary.csv`'s `ci_method`).
public struct ConfidenceInterval: Equatable, Sendable {
    public var low: Double
    public var high: Double
    public var method: IntervalMethod

    public static let level = 0.95
    /// Percentile intervals want at least 1,000 resamples (Efron and Tibshirani, 1993, §13.3); 2,000 keep the
    /// ends' own resampling noise a small part of the interval's width, and cost about 0.5 s for every metric of
    /// a 10,000-run sweep (one set of draws per cell, `intervals`).
    public static let bootstrapResamples = 2000
    /// Any fixed seed: it makes an interval a function of its runs alone, the same for a local, sharded or
    /// merged sweep and for `summary.csv` and the report.
    public static let bootstrapSeed: UInt = 20_111

    /// Over `values`, every one finite (the caller leaves out the runs without a value). No values: NaN ends.
    public init(_ values: [Double], method: IntervalMethod) {
        self.method = method
        guard !values.isEmpty else {
            (low, high) = (.nan, .nan)
            return
        }
        switch method {
        case .poisson: (low, high) = Self.poisson(values)
        case .wilson: (low, high) = Self.wilson(successes: values.reduce(0, +), trials: Double(values.count))
        case .bootstrap: (low, high) = Self.bootstrap(values)
        }
    }

    init(low: Double, high: Double, method: IntervalMethod) {
        (self.low, self.high, self.method) = (low, high, method)
    }

    static var tail: Double { (1 - level) / 2 }

    /// Garwood's exact interval for a Poisson mean, from chi-square quantiles: [χ²(α/2; 2T) / 2, χ²(1 − α/2; 2T + 2) / 2]
    /// for a total of T events (0 below when T = 0).
    public static func garwood(total: Double) -> (low: Double, high: Double) {
        precondition(total >= 0, "a count cannot be negative")
        let low = total > 0 ? chiSquareQuantile(tail, degrees: 2 * total) / 2 : 0
        return (low, chiSquareQuantile(1 - tail, degrees: 2 * total + 2) / 2)
    }

    /// The `p` quantile of the chi-square distribution. GSL's inverse stops converging somewhere above 1,800 degrees
    /// of freedom (a sweep's message or event counts reach millions), and its error handler then aborts the process;
    /// up to 1,000 it is used as is. Above, the Wilson–Hilferty approximation (relative error under 2e-6 at 1,000,
    /// falling with the degrees) is refined by Newton's method on GSL's distribution function, which converges
    /// there, up to 10^6; beyond, where the approximation alone is within 1e-11, it is the answer.
    static func chiSquareQuantile(_ p: Double, degrees k: Double) -> Double {
        precondition(k > 0 && p > 0 && p < 1)
        if k <= 1000 { return gsl_cdf_chisq_Pinv(p, k) }
        let z = gsl_cdf_ugaussian_Pinv(p)
        let c = 2 / (9 * k)
        var x = k * pow(1 - c + z * c.squareRoot(), 3)
        guard k <= 1e6 else { return x }
        for _ in 0..<4 {
            let density = gsl_ran_chisq_pdf(x, k)
            guard density > 0 else { break }
            x -= (gsl_cdf_chisq_P(x, k) - p) / density
        }
        return x
    }

    /// The mean count per run: Garwood's interval on the total over the runs, divided by their number; widened by
    /// the sample's dispersion (variance over mean) when it exceeds 1.
    static func poisson(_ counts: [Double]) -> (Double, Double) {
        let n = Double(counts.count)
        let total = counts.reduce(0, +)
        var dispersion = 1.0
        if counts.count > 1, total > 0 {
            let mean = total / n
            let variance = counts.withUnsafeBufferPointer { gsl_stats_variance_m($0.baseAddress, 1, $0.count, mean) }
            dispersion = max(1, variance / mean)
        }
        // total / dispersion ≥ (n − 1) / n ≥ 1/2 (the variance is at most the largest count, times n / (n − 1)), so
        // the lower quantile has at least 1 degree of freedom.
        let (low, high) = garwood(total: total / dispersion)
        return (low * dispersion / n, high * dispersion / n)
    }

    /// Wilson's score interval for `successes` of `trials`.
    public static func wilson(successes k: Double, trials n: Double) -> (low: Double, high: Double) {
        precondition(n > 0 && k >= 0 && k <= n)
        let z = gsl_cdf_ugaussian_Pinv(1 - tail)
        let p = k / n
        let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
        // No success gives 0 below and all of them 1 above, exactly (the formula's rounding would not).
        return (k == 0 ? 0 : max(0, centre - half), k == n ? 1 : min(1, centre + half))
    }

    /// The percentile bootstrap of the mean of one sample.
    static func bootstrap(_ values: [Double]) -> (Double, Double) {
        bootstrap(samples: [values])[0]
    }

    /// Every sample's interval, by its own method. Bootstrapped samples of the same size share their resamples:
    /// the generator is seeded afresh for each size, so each sample gets exactly the interval it would get alone
    /// (its interval depends on its values alone), and a cell's metrics cost one set of draws.
    public static func intervals(_ samples: [[Double]], methods: [IntervalMethod]) -> [ConfidenceInterval] {
        precondition(samples.count == methods.count)
        var result = zip(samples, methods).map { values, method in
            method == .bootstrap ? ConfidenceInterval(low: .nan, high: .nan, method: method)
                : ConfidenceInterval(values, method: method)
        }
        var bySize: [Int: [Int]] = [:]
        for (k, method) in methods.enumerated() where method == .bootstrap && !samples[k].isEmpty {
            bySize[samples[k].count, default: []].append(k)
        }
        // Sizes in order, so the work is the same every time (no dictionary order reaches a result anyway).
        for size in bySize.keys.sorted() {
            let members = bySize[size]!
            for (k, ends) in zip(members, bootstrap(samples: members.map { samples[$0] })) {
                (result[k].low, result[k].high) = ends
            }
        }
        return result
    }

    /// The percentile bootstrap of the means of samples of one size: the 2.5 % and 97.5 % quantiles (GSL's
    /// definition) of the means of `bootstrapResamples` resamples, each drawn with replacement from MT19937
    /// seeded with `bootstrapSeed`. A sample whose values are all equal has that value as both ends.
    static func bootstrap(samples: [[Double]]) -> [(Double, Double)] {
        var result = samples.map { sample -> (Double, Double) in
            let only = sample.first ?? .nan
            return (only, only)
        }
        let varying = samples.indices.filter { k in samples[k].contains { $0 != samples[k][0] } }
        guard let first = varying.first else { return result }
        let n = samples[first].count
        let width = varying.count
        precondition(varying.allSatisfy { samples[$0].count == n }, "samples of different sizes")
        // Run by run, the samples side by side: one draw picks a run, and its values are next to each other.
        var table = [Double](repeating: 0, count: n * width)
        for (j, k) in varying.enumerated() {
            for i in 0..<n { table[i * width + j] = samples[k][i] }
        }
        var means = [Double](repeating: 0, count: bootstrapResamples * width)
        var sums = [Double](repeating: 0, count: width)
        guard let generator = gsl_rng_alloc(gsl_rng_mt19937) else { fatalError("gsl_rng_alloc failed: out of memory") }
        defer { gsl_rng_free(generator) }
        gsl_rng_set(generator, bootstrapSeed)
        table.withUnsafeBufferPointer { table in
            sums.withUnsafeMutableBufferPointer { sums in
                for b in 0..<bootstrapResamples {
                    for j in 0..<width { sums[j] = 0 }
                    for _ in 0..<n {
                        let row = Int(gsl_rng_uniform_int(generator, UInt(n))) * width
                        for j in 0..<width { sums[j] += table[row + j] }
                    }
                    for j in 0..<width { means[j * bootstrapResamples + b] = sums[j] / Double(n) }
                }
            }
        }
        for (j, k) in varying.enumerated() {
            var column = Array(means[(j * bootstrapResamples)..<((j + 1) * bootstrapResamples)])
            result[k] = (quantile(&column, tail), quantile(&column, 1 - tail))
        }
        return result
    }

    /// GSL's quantile of sorted data (`gsl_stats_quantile_from_sorted_data`: linear between the order statistics
    /// around f·(n − 1)), found by selection rather than a sort: a report computes thousands of them.
    static func quantile(_ values: inout [Double], _ f: Double) -> Double {
        let position = f * Double(values.count - 1)
        let below = Int(position.rounded(.down))
        let delta = position - Double(below)
        let low = select(&values, below)
        guard below + 1 < values.count, delta > 0 else { return low }
        // After selection everything past `below` is at least as large: the next order statistic is their least.
        let next = values[(below + 1)...].min()!
        return (1 - delta) * low + delta * next
    }

    /// The k-th smallest value (from 0), with `values` partitioned around it (Hoare's selection, middle pivot).
    static func select(_ values: inout [Double], _ k: Int) -> Double {
        var (left, right) = (0, values.count - 1)
        while left < right {
            let pivot = values[(left + right) / 2]
            var (i, j) = (left, right)
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { right = j } else if k >= i { left = i } else { return values[k] }
        }
        return values[k]
    }
}
