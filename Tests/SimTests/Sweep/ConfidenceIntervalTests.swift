import CGSL
import XCTest
@testable import Sim

/// Each metric's interval follows its quantity, against published values, and never reaches below 0.
final class ConfidenceIntervalTests: XCTestCase {
    func testGarwoodIntervalMatchesPublishedValues() {
        // Garwood (1936); e.g. Ulm (1990), table 1: 0 → [0, 3.689], 10 → [4.795, 18.39].
        let none = ConfidenceInterval.garwood(total: 0)
        XCTAssertEqual(none.low, 0)
        XCTAssertEqual(none.high, 3.688879454113936, accuracy: 1e-9)
        let ten = ConfidenceInterval.garwood(total: 10)
        XCTAssertEqual(ten.low, 4.795388696132434, accuracy: 1e-9)
        XCTAssertEqual(ten.high, 18.39035604201778, accuracy: 1e-9)
    }

    /// Beyond where GSL's inverse converges (a sweep's message and event counts), the quantile still is one.
    func testGarwoodIntervalForLargeTotals() {
        // Where GSL's inverse converges, the refined approximation agrees with it.
        for k in [1001.0, 1200, 1777.5] {
            for p in [0.025, 0.975] {
                let exact = gsl_cdf_chisq_Pinv(p, k)
                XCTAssertEqual(ConfidenceInterval.chiSquareQuantile(p, degrees: k), exact, accuracy: 1e-9 * exact)
            }
        }
        for total in [5_000.0, 123_456, 3e6, 1e9] {
            let (low, high) = ConfidenceInterval.garwood(total: total)
            XCTAssertEqual(gsl_cdf_chisq_P(2 * low, 2 * total), 0.025, accuracy: total > 5e5 ? 1e-3 : 1e-9)
            // About the normal approximation's T ± 1.96 √T.
            XCTAssertEqual((high - low) / (2 * 1.96 * total.squareRoot()), 1, accuracy: 0.01)
            XCTAssertLessThan(low, total)
            XCTAssertGreaterThan(high, total)
        }
        // A cell of event counts in the millions, spread more than Poisson: a finite interval around the mean.
        let events = ConfidenceInterval([2_000_000, 2_100_000, 1_900_000, 2_050_000], method: .poisson)
        XCTAssertTrue(events.low < 2_012_500 && 2_012_500 < events.high, "\(events)")
        XCTAssertGreaterThan(events.low, 1_800_000)
    }

    func testPoissonIntervalIsForTheMeanCountPerRun() {
        // No event in 3 runs: [0, 3.689 / 3] per run.
        let zero = ConfidenceInterval([0, 0, 0], method: .poisson)
        XCTAssertEqual(zero.low, 0)
        XCTAssertEqual(zero.high, 3.688879454113936 / 3, accuracy: 1e-9)
        // One run with 10: the total's interval itself.
        let one = ConfidenceInterval([10], method: .poisson)
        XCTAssertEqual(one.low, 4.795388696132434, accuracy: 1e-9)
        XCTAssertEqual(one.high, 18.39035604201778, accuracy: 1e-9)
        // 4, 6 (variance 2 below the mean 5): the plain interval on 10 over 2 runs.
        let even = ConfidenceInterval([4, 6], method: .poisson)
        XCTAssertEqual(even.low, 4.795388696132434 / 2, accuracy: 1e-9)
        XCTAssertEqual(even.high, 18.39035604201778 / 2, accuracy: 1e-9)
    }

    func testOverdispersedCountsGetAWiderInterval() {
        // Mean 100, variance 400: four times what Poisson counts would show, so the interval is about twice as wide.
        let counts: [Double] = [80, 120, 80, 120, 100]
        let plain = ConfidenceInterval.garwood(total: 500)
        let wide = ConfidenceInterval(counts, method: .poisson)
        XCTAssertEqual((wide.high - wide.low) / ((plain.high - plain.low) / 5), 2, accuracy: 0.05)
        XCTAssertLessThan(wide.low, 100)
        XCTAssertGreaterThan(wide.high, 100)
    }

    func testWilsonIntervalMatchesPublishedValues() {
        // Wilson (1927); Newcombe (1998), method 3: 0/10 → [0, 0.2775], 5/10 → [0.2366, 0.7634].
        let none = ConfidenceInterval.wilson(successes: 0, trials: 10)
        XCTAssertEqual(none.low, 0)
        XCTAssertEqual(none.high, 0.2775327998628892, accuracy: 1e-9)
        let half = ConfidenceInterval.wilson(successes: 5, trials: 10)
        XCTAssertEqual(half.low, 0.236593090512564, accuracy: 1e-9)
        XCTAssertEqual(half.high, 0.7634069094874361, accuracy: 1e-9)
        let all = ConfidenceInterval.wilson(successes: 10, trials: 10)
        XCTAssertEqual(all.low, 0.7224672001371107, accuracy: 1e-9)
        XCTAssertLessThanOrEqual(all.high, 1)
        // Runs as 0/1 values: the share of runs.
        let runs = ConfidenceInterval([0, 1, 0], method: .wilson)
        XCTAssertEqual(runs.low, 0.06149194472039615, accuracy: 1e-9)
        XCTAssertEqual(runs.high, 0.7923403991979523, accuracy: 1e-9)
    }

    func testBootstrapIsDeterministicAndCoversTheMean() {
        let times: [Double] = [0.2, 0.1, 7.5, 0.3, 0.2, 0.1, 0.4, 12.0, 0.2, 0.3]
        let first = ConfidenceInterval(times, method: .bootstrap)
        XCTAssertEqual(ConfidenceInterval(times, method: .bootstrap), first, "same runs, same interval")
        let mean = times.reduce(0, +) / Double(times.count)
        XCTAssertLessThan(first.low, mean)
        XCTAssertGreaterThan(first.high, mean)
        XCTAssertGreaterThanOrEqual(first.low, times.min()!)
        XCTAssertLessThanOrEqual(first.high, times.max()!)
        // Student's t would reach below 0 here; the bootstrap cannot.
        let t = SweepResults.Statistics(times, method: .bootstrap)
        XCTAssertLessThan(t.mean - 2.262 * t.sd / Double(times.count).squareRoot(), 0)
        XCTAssertGreaterThan(first.low, 0)
        // Every run the same: no width; one run: its value.
        XCTAssertEqual(ConfidenceInterval([3, 3, 3], method: .bootstrap), ConfidenceInterval(low: 3, high: 3, method: .bootstrap))
        XCTAssertEqual(ConfidenceInterval([4], method: .bootstrap).low, 4)
        XCTAssertTrue(ConfidenceInterval([], method: .bootstrap).low.isNaN)
    }

    /// Over many samples of non-negative values, every method's lower end is at least 0 (and a share's upper end
    /// at most 1), and the interval holds the mean.
    func testLowerEndsNeverGoBelowZero() {
        var state: UInt64 = 12345
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        for trial in 0..<300 {
            let n = 1 + trial % 12
            let skewed = (0..<n).map { _ in next() < 0.6 ? 0 : -log(next() + 1e-12) * 50 }
            let counts = skewed.map { $0.rounded() }
            let fractions = (0..<n).map { _ in next() < 0.3 ? 0 : next() }
            let flags = (0..<n).map { _ in next() < 0.2 ? 1.0 : 0 }
            for (values, method, share) in [(skewed, IntervalMethod.bootstrap, false), (fractions, .bootstrap, true),
                                            (counts, .poisson, false), (flags, .wilson, true)] {
                let ci = ConfidenceInterval(values, method: method)
                let mean = values.reduce(0, +) / Double(n)
                XCTAssertGreaterThanOrEqual(ci.low, 0, "\(method) \(values)")
                XCTAssertLessThanOrEqual(ci.low, mean + 1e-12, "\(method) \(values)")
                XCTAssertGreaterThanOrEqual(ci.high, mean - 1e-12, "\(method) \(values)")
                if share { XCTAssertLessThanOrEqual(ci.high, 1, "\(method) \(values)") }
            }
        }
    }

    func testEveryMetricHasTheIntervalOfItsKind() {
        let method = Dictionary(uniqueKeysWithValues: SweepResults.metrics.map { ($0.name, $0.interval) })
        for name in ["applications_failed", "clones_failed", "misdirected_launches", "invariant_violations", "messages",
                     "memory_refusals"] {
            XCTAssertEqual(method[name], .poisson, name)
        }
        XCTAssertEqual(method["violated"], .wilson)
        for metric in SweepResults.metrics where metric.name.hasSuffix("_s") || metric.name.hasSuffix("_per_app") {
            XCTAssertEqual(metric.interval, .bootstrap, metric.name)
        }
        XCTAssertEqual(method["vm_utilisation"], .bootstrap)
        XCTAssertEqual(method["vm_hours"], .bootstrap)
    }

    /// A sweep-sized cell (10,000 runs) costs well under a second for every bootstrapped metric of it.
    func testBootstrapOfALargeCellIsFast() {
        let values = (0..<10_000).map { Double(($0 * 7919) % 1000) / 10 }
        let start = Date()
        let ci = ConfidenceInterval(values, method: .bootstrap)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertLessThan(ci.low, ci.high)
        XCTAssertLessThan(seconds, 2, "one bootstrap of 10,000 runs took \(seconds) s")
    }
}
