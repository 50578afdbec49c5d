import XCTest
import Sim

final class DistributionTests: XCTestCase {
    private func samples(_ distribution: Distribution, count: Int, seed: UInt64 = 1) -> [Double] {
        let stream = RandomStream(seed: seed, stream: .workload)
        return (0..<count).map { _ in distribution.sample(stream) }
    }

    func testFixedReturnsItsValueAndConsumesNoDraw() {
        let withFixed = RandomStream(seed: 9, stream: .node(1))
        let without = RandomStream(seed: 9, stream: .node(1))
        for _ in 0..<100 {
            XCTAssertEqual(Distribution.fixed(4.5).sample(withFixed), 4.5)
            XCTAssertEqual(withFixed.uniform(), without.uniform())
        }
    }

    func testExponentialSampleMeanOver100kDraws() {
        let draws = samples(.exponential(mean: 2.5), count: 100_000)
        let mean = draws.reduce(0, +) / Double(draws.count)
        // The standard error is 2.5 / sqrt(1e5) ≈ 0.008; 0.05 is over six of them.
        XCTAssertEqual(mean, 2.5, accuracy: 0.05)
        XCTAssertTrue(draws.allSatisfy { $0 >= 0 })
    }

    func testUniformStaysInBoundsWithTheRightMean() {
        let draws = samples(.uniform(low: 2, high: 6), count: 100_000)
        XCTAssertTrue(draws.allSatisfy { $0 >= 2 && $0 <= 6 })
        XCTAssertEqual(draws.reduce(0, +) / Double(draws.count), 4, accuracy: 0.02)
    }

    func testDegenerateUniformReturnsItsBoundExactly() {
        XCTAssertTrue(samples(.uniform(low: 0.1, high: 0.1), count: 1000).allSatisfy { $0 == 0.1 })
    }

    func testLognormalMedianAndMean() {
        let distribution = Distribution.lognormal(median: 3, sigma: 0.5)
        let draws = samples(distribution, count: 100_000).sorted()
        XCTAssertEqual(draws[draws.count / 2], 3, accuracy: 0.03)
        XCTAssertEqual(draws.reduce(0, +) / Double(draws.count), distribution.mean, accuracy: 0.03)
        XCTAssertEqual(distribution.mean, 3 * exp(0.125), accuracy: 1e-12)
        XCTAssertTrue(draws.allSatisfy { $0 > 0 })
    }

    func testEmpiricalDrawsEachValueEvenly() {
        let values = [1.0, 2.0, 7.0, 11.0]
        let draws = samples(.empirical(values: values), count: 40_000)
        for value in values {
            XCTAssertEqual(Double(draws.filter { $0 == value }.count), 10_000, accuracy: 400)
        }
        XCTAssertTrue(draws.allSatisfy { values.contains($0) })
        XCTAssertEqual(Distribution.empirical(values: values).mean, 5.25)
    }

    func testZeroMeanNeverYieldsNegativeZero() {
        for value in samples(.exponential(mean: 0), count: 1000) + samples(.uniform(low: 0, high: 0), count: 1000) {
            XCTAssertEqual(value.bitPattern, 0.0.bitPattern)
        }
    }

    func testSameStreamGivesSameSamples() {
        let distribution = Distribution.lognormal(median: 1, sigma: 1)
        XCTAssertEqual(samples(distribution, count: 500, seed: 4), samples(distribution, count: 500, seed: 4))
        XCTAssertNotEqual(samples(distribution, count: 500, seed: 4), samples(distribution, count: 500, seed: 5))
    }

    func testMeans() {
        XCTAssertEqual(Distribution.fixed(3).mean, 3)
        XCTAssertEqual(Distribution.uniform(low: 1, high: 4).mean, 2.5)
        XCTAssertEqual(Distribution.exponential(mean: 8).mean, 8)
    }

    func testValidParametersPassValidation() {
        let valid: [Distribution] = [
            .fixed(0), .uniform(low: 0, high: 0), .uniform(low: 1, high: 2),
            .exponential(mean: 0), .lognormal(median: 1, sigma: 0), .empirical(values: [0, 3]),
        ]
        for distribution in valid {
            XCTAssertNil(distribution.validate(), "\(distribution)")
        }
    }

    func testInvalidParametersAreExplained() {
        let cases: [(Distribution, String)] = [
            (.fixed(-1), "fixed value must not be negative, got -1.0"),
            (.fixed(.nan), "fixed value must be a number, got NaN"),
            (.uniform(low: 0, high: .infinity), "uniform high must be finite, got inf"),
            (.uniform(low: 3, high: 2), "uniform low (3.0) must not exceed high (2.0)"),
            (.exponential(mean: -2), "exponential mean must not be negative, got -2.0"),
            (.lognormal(median: 0, sigma: 1), "lognormal median must be positive, got 0"),
            (.lognormal(median: 1, sigma: -0.5), "lognormal sigma must not be negative, got -0.5"),
            (.lognormal(median: 1, sigma: 40), "lognormal median 1.0 with sigma 40.0 has an infinite mean; use a smaller sigma"),
            (.empirical(values: []), "empirical distribution needs at least one value"),
            (.empirical(values: [1, -.infinity]), "empirical value #2 must be finite, got -inf"),
        ]
        for (distribution, message) in cases {
            XCTAssertEqual(distribution.validate(), message)
        }
    }

    // MARK: Summary

    func testSummaryOfOneToHundred() {
        let values = (1...100).map(Double.init).reversed().map { $0 }
        let summary = Summary(values)
        XCTAssertEqual(summary.count, 100)
        XCTAssertEqual(summary.mean, 50.5, accuracy: 1e-12)
        XCTAssertEqual(summary.p50, 50.5, accuracy: 1e-12)
        XCTAssertEqual(summary.p95, 95.05, accuracy: 1e-12)
        XCTAssertEqual(summary.p99, 99.01, accuracy: 1e-12)
        XCTAssertEqual(summary.max, 100)
        XCTAssertEqual(values.first, 100, "the input must not be sorted in place")
    }

    func testSummaryOfNothingIsZeros() {
        XCTAssertEqual(Summary([]), Summary(count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0))
        XCTAssertEqual(Summary([]), .empty)
    }

    func testSummaryOfOneValue() {
        XCTAssertEqual(Summary([7]), Summary(count: 1, mean: 7, p50: 7, p95: 7, p99: 7, max: 7))
    }
}
