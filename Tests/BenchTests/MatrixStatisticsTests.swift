import XCTest
@testable import Bench

/// The benchmark's statistics on samples whose answers are known by hand.
final class MatrixStatisticsTests: XCTestCase {
    func testMeanSampleStandardDeviationExtremesAndMedian() {
        // Deviations from 13: -3, -1, 1, 3; squares sum to 20; over n - 1 = 3.
        let statistics = SampleStatistics([16, 10, 14, 12])
        XCTAssertEqual(statistics.count, 4)
        XCTAssertEqual(statistics.mean, 13, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(statistics.standardDeviation), (20.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(statistics.minimum, 10)
        XCTAssertEqual(statistics.maximum, 16)
        XCTAssertEqual(statistics.median, 13, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(statistics.relativeStandardDeviation), (20.0 / 3).squareRoot() / 13, accuracy: 1e-12)
        XCTAssertEqual(SampleStatistics([3, 1, 2]).median, 2)
    }

    func testOneRunHasNoStandardDeviation() {
        let statistics = SampleStatistics([0.25])
        XCTAssertEqual(statistics.mean, 0.25)
        XCTAssertNil(statistics.standardDeviation)
        XCTAssertNil(statistics.relativeStandardDeviation)
        XCTAssertEqual(MatrixReport.meanAndDeviation(statistics, scale: 1e3), "250.00")
        let ratio = OverheadRatio(statistics, over: SampleStatistics([0.2, 0.3]))
        XCTAssertEqual(ratio.ratio, 1, accuracy: 1e-12)
        XCTAssertNil(ratio.standardDeviation)
        XCTAssertEqual(ratio.text, "1.00")
    }

    /// Means 1.3 and 1.0, σ 0.1 each: r = 1.3 and σ_r = 1.3·√((0.1/1.3)² + 0.1²) = 0.1·√2.69.
    func testRatioUncertaintyPropagatesBothRelativeDeviations() {
        let cell = SampleStatistics([1.2, 1.4, 1.3])
        let standard = SampleStatistics([0.9, 1.1, 1.0])
        XCTAssertEqual(try XCTUnwrap(cell.standardDeviation), 0.1, accuracy: 1e-12)
        let overhead = OverheadRatio(cell, over: standard)
        XCTAssertEqual(overhead.ratio, 1.3, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(overhead.standardDeviation), 0.1 * 2.69.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(overhead.text, "1.30 ± 0.16")
        // A baseline with no spread leaves the cell's own relative spread.
        let exact = OverheadRatio(cell, over: SampleStatistics([2, 2, 2]))
        XCTAssertEqual(exact.ratio, 0.65, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(exact.standardDeviation), 0.65 * 0.1 / 1.3, accuracy: 1e-12)
    }

    func testWarningsForFewRunsLargeSpreadAndOutliers() {
        XCTAssertEqual(SpreadWarning.warnings(for: SampleStatistics([1.0, 1.01, 0.99, 1.0, 1.0])), [])
        XCTAssertEqual(SpreadWarning.warnings(for: SampleStatistics([1.0])).map(\.code), ["few-runs"])
        XCTAssertEqual(SpreadWarning.warnings(for: SampleStatistics([1.0, 1.01, 0.99, 1.0])).map(\.code), ["few-runs"])
        // Mean 1.2, σ √0.2 ≈ 0.447 (37.3 %); the slowest run is twice the median.
        let disturbed = SpreadWarning.warnings(for: SampleStatistics([1, 1, 1, 1, 2]))
        XCTAssertEqual(disturbed.map(\.code), ["large-spread", "outlier"])
        XCTAssertEqual(disturbed[1], .outlier(maximumOverMedian: 2))
        guard case .largeSpread(let relative) = disturbed[0] else { return XCTFail("\(disturbed)") }
        XCTAssertEqual(relative, 0.2.squareRoot() / 1.2, accuracy: 1e-12)
        XCTAssertTrue(disturbed[0].text.contains("σ is 37.3 % of the mean"), disturbed[0].text)
        // Spread without a single outlier: 0.8 … 1.2, σ ≈ 16 %.
        XCTAssertEqual(SpreadWarning.warnings(for: SampleStatistics([0.8, 0.9, 1.0, 1.1, 1.2])).map(\.code), ["large-spread"])
    }
}
