import CGSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A log-normal distribution fitted to measured durations by maximum likelihood, with how well it fits.
///
/// The maximum-likelihood estimates are the mean and the standard deviation of the logarithms, the latter
/// divided by n (not n - 1): `mu = mean(ln x)`, `sigma = sqrt(sum((ln x - mu)^2) / n)`. The scenario's
/// `{lognormal: {median: m, sigma: s}}` has `m = exp(mu)`. The fit is judged by the Kolmogorov–Smirnov statistic
/// D, the largest gap between the samples' empirical CDF and the fitted CDF (`gsl_cdf_lognormal_P`). The
/// parameters come from the same samples, so D is smaller than against an independent hypothesis and the usual KS
/// p-value would be too kind (Lilliefors); D is reported as it is, with n.
public struct LognormalFit: Equatable, Sendable {
    public let count: Int
    /// Mean of the logarithms of the samples (seconds: ln of seconds).
    public let mu: Double
    /// Standard deviation of the logarithms, maximum likelihood (divided by n).
    public let sigma: Double
    /// Kolmogorov–Smirnov D of the samples against the fitted distribution, 0...1.
    public let ksStatistic: Double

    /// exp(mu): the fitted median, in the samples' unit.
    public var median: Double { exp(mu) }

    /// The fit in the scenario's own terms.
    public var distribution: Distribution { .lognormal(median: median, sigma: sigma) }

    /// nil when there are fewer than two samples, or any sample is not a finite number > 0 (a log-normal has no
    /// zero or negative values).
    public init?(samples: [Double]) {
        guard samples.count >= 2, samples.allSatisfy({ $0.isFinite && $0 > 0 }) else { return nil }
        var logs = samples.map { log($0) }
        let n = logs.count
        let (mu, sigma) = logs.withUnsafeMutableBufferPointer { buffer -> (Double, Double) in
            let data = buffer.baseAddress!
            let mean = gsl_stats_mean(data, 1, n)
            // gsl_stats_sd_m divides by n - 1; the maximum-likelihood estimate divides by n.
            let unbiased = gsl_stats_sd_m(data, 1, n, mean)
            return (mean, unbiased * sqrt(Double(n - 1) / Double(n)))
        }
        self.count = n
        self.mu = mu
        self.sigma = sigma
        ksStatistic = Self.kolmogorovSmirnov(samples, mu: mu, sigma: sigma)
    }

    /// D = max over the sorted samples x(i) of max(i/n - F(x(i)), F(x(i)) - (i-1)/n).
    static func kolmogorovSmirnov(_ samples: [Double], mu: Double, sigma: Double) -> Double {
        let sorted = samples.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (index, x) in sorted.enumerated() {
            let f: Double
            if sigma > 0 {
                f = gsl_cdf_lognormal_P(x, mu, sigma)
            } else {
                // Every sample equal: the fitted distribution is a step at exp(mu).
                f = log(x) >= mu ? 1 : 0
            }
            let i = Double(index)
            d = Swift.max(d, (i + 1) / n - f, f - i / n)
        }
        return d
    }
}
