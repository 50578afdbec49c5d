import Foundation

/// How many times longer a mode's cell takes than the standard mode's cell of the same size and
/// worker count, with its uncertainty: "virtual-secure: 1.31 ± 0.04 × standard".
///
/// The ratio of the means, and its standard deviation by first-order propagation of the two cells'
/// standard deviations, the runs of the two cells taken as independent (hyperfine's "± … times
/// faster"): σ_r = r · √((σ_a/μ_a)² + (σ_b/μ_b)²). It says how far one run's ratio strays, not
/// how well the mean ratio is known (that would divide by √n); it is nil when either cell has a
/// single run.
public struct OverheadRatio: Sendable, Equatable {
    public let ratio: Double
    public let standardDeviation: Double?

    public init(_ cell: SampleStatistics, over baseline: SampleStatistics) {
        ratio = cell.mean / baseline.mean
        if let a = cell.relativeStandardDeviation, let b = baseline.relativeStandardDeviation {
            standardDeviation = ratio * (a * a + b * b).squareRoot()
        } else {
            standardDeviation = nil
        }
    }

    public init(ratio: Double, standardDeviation: Double?) {
        self.ratio = ratio
        self.standardDeviation = standardDeviation
    }

    /// "1.31 ± 0.04" (or "1.31" without a standard deviation).
    public var text: String {
        String(format: "%.2f", ratio) + (standardDeviation.map { String(format: " ± %.2f", $0) } ?? "")
    }
}
