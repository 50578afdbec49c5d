import CGSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-negative random quantity, such as a boot time or a transfer size.
///
/// Parameters share the unit of whatever the distribution describes; the
/// property holding it carries the unit in its name (`bootTimeSeconds:
/// Distribution`). Call `validate()` on anything built from user input before
/// sampling: `sample(_:)` assumes valid parameters.
public enum Distribution: Equatable, Sendable {
    /// Always `value`. Consumes no random draw, so swapping a random
    /// distribution for a fixed one in one place leaves every other draw of
    /// the stream unchanged.
    case fixed(Double)
    /// Uniform on [low, high).
    case uniform(low: Double, high: Double)
    /// Exponential with the given mean (GSL's `mu`).
    case exponential(mean: Double)
    /// Log-normal whose logarithm is normal with mean `log(median)` and
    /// standard deviation `sigma`.
    case lognormal(median: Double, sigma: Double)
    /// One of `values`, each with equal probability (duplicates therefore
    /// weigh more). Useful to replay measured samples.
    case empirical(values: [Double])

    /// Draws one value. Each random case consumes draws from `stream` only;
    /// `fixed` consumes none.
    public func sample(_ stream: RandomStream) -> Double {
        let value: Double
        switch self {
        case .fixed(let v):
            value = v
        case .uniform(let low, let high):
            // GSL computes low*(1-u) + high*u, which rounding can push a hair
            // outside the bounds (and off `low` when low == high).
            value = Swift.min(Swift.max(gsl_ran_flat(stream.rng, low, high), low), high)
        case .exponential(let mean):
            value = gsl_ran_exponential(stream.rng, mean)
        case .lognormal(let median, let sigma):
            value = gsl_ran_lognormal(stream.rng, log(median), sigma)
        case .empirical(let values):
            value = values[stream.uniformInt(below: values.count)]
        }
        // A zero mean or bound can yield -0.0 (e.g. GSL computes -mu * log1p(-u)),
        // whose bit pattern would differ in trace digests; adding +0.0 turns it
        // into +0.0 and leaves every other value unchanged.
        return value + 0.0
    }

    /// `sample`, fetching the stream only for a random case: a fixed latency (the common
    /// case on the per-event path) then costs no reference count traffic.
    @inline(__always)
    func draw(from stream: @autoclosure () -> RandomStream) -> Double {
        if case .fixed(let v) = self { return v + 0.0 }
        return sample(stream())
    }

    /// The expected value of `sample`.
    /// The largest value a sample can take (infinity for exponential and lognormal).
    public var upperBound: Double {
        switch self {
        case .fixed(let v): return v
        case .uniform(_, let high): return high
        case .exponential, .lognormal: return .infinity
        case .empirical(let values): return values.max() ?? 0
        }
    }

    public var mean: Double {
        switch self {
        case .fixed(let v):
            return v
        case .uniform(let low, let high):
            // Halving first keeps the sum finite for bounds near the top of the range.
            return low / 2 + high / 2
        case .exponential(let mean):
            return mean
        case .lognormal(let median, let sigma):
            return median * exp(sigma * sigma / 2)
        case .empirical(let values):
            guard !values.isEmpty else { return 0 }
            var sum = 0.0
            for v in values { sum += v }
            return sum / Double(values.count)
        }
    }

    /// Nil when the parameters are usable, otherwise a message for the user.
    public func validate() -> String? {
        switch self {
        case .fixed(let v):
            return Distribution.problem(with: v, named: "fixed value")
        case .uniform(let low, let high):
            if let problem = Distribution.problem(with: low, named: "uniform low") { return problem }
            if let problem = Distribution.problem(with: high, named: "uniform high") { return problem }
            if low > high {
                return "uniform low (\(low)) must not exceed high (\(high))"
            }
            return nil
        case .exponential(let mean):
            return Distribution.problem(with: mean, named: "exponential mean")
        case .lognormal(let median, let sigma):
            if let problem = Distribution.problem(with: median, named: "lognormal median") { return problem }
            if median == 0 {
                return "lognormal median must be positive, got 0"
            }
            if let problem = Distribution.problem(with: sigma, named: "lognormal sigma") { return problem }
            if !mean.isFinite {
                return "lognormal median \(median) with sigma \(sigma) has an infinite mean; use a smaller sigma"
            }
            return nil
        case .empirical(let values):
            if values.isEmpty {
                return "empirical distribution needs at least one value"
            }
            for (position, v) in values.enumerated() {
                if let problem = Distribution.problem(with: v, named: "empirical value #\(position + 1)") {
                    return problem
                }
            }
            if !mean.isFinite {
                return "empirical values are too large: their mean overflows"
            }
            return nil
        }
    }

    private static func problem(with value: Double, named name: String) -> String? {
        if value.isNaN { return "\(name) must be a number, got NaN" }
        if value.isInfinite { return "\(name) must be finite, got \(value)" }
        if value < 0 { return "\(name) must not be negative, got \(value)" }
        return nil
    }
}
