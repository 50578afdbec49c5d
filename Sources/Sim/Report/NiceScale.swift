import Foundation

/// Axis ticks at 1, 2 or 5 × 10^k covering a data range, about `target` of them.
struct NiceScale {
    var low: Double
    var high: Double
    var step: Double

    init(low dataLow: Double, high dataHigh: Double, target: Int = 5) {
        precondition(target >= 2)
        var lo = dataLow, hi = dataHigh
        if !(lo.isFinite && hi.isFinite) { (lo, hi) = (0, 1) }
        if hi - lo < 1e-12 * max(1, abs(hi)) {
            // A constant: a range around it, never below 0 for a value that is not negative.
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            (lo, hi) = (lo >= 0 ? max(0, lo - pad) : lo - pad, hi + pad)
        }
        let rough = (hi - lo) / Double(target)
        let magnitude = pow(10, floor(log10(rough)))
        let fraction = rough / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        step = nice * magnitude
        low = floor(lo / step) * step
        high = ceil(hi / step) * step
    }

    var ticks: [Double] {
        let count = Int(((high - low) / step).rounded())
        return (0...count).map { low + Double($0) * step }
    }

    /// The tick's text: as many decimals as the step needs.
    func label(_ value: Double) -> String {
        let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
        let text = String(format: "%.\(min(decimals, 6))f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}
