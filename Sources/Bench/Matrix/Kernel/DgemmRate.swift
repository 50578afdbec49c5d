/// The single-thread `gsl_blas_dgemm` rate at a size, measured where it is used (in a worker
/// process, with the kernel and thread count the workers compute with).
enum DgemmRate {
    /// Sizes above this are measured at this size: the rate has long plateaued and a 20000³
    /// product would take minutes on one core.
    static let largestMeasuredSize = 3000

    /// Floating-point operations of an (m × k) by (k × n) product.
    static func flops(rows m: Int, inner k: Int, columns n: Int) -> Double { 2 * Double(m) * Double(k) * Double(n) }

    /// Best-of-several GFLOP/s for an n × n by n × n product.
    static func measure(size requested: Int) throws -> Double {
        let n = max(1, min(requested, largestMeasuredSize))
        let a = try DenseMatrix(rows: n, columns: n)
        let b = try DenseMatrix(rows: n, columns: n)
        let c = try DenseMatrix(rows: n, columns: n)
        a.fillRandom(seed: 11)
        b.fillRandom(seed: 12)
        let work = flops(rows: n, inner: n, columns: n)
        // Short products are repeated until each timing spans a few milliseconds.
        let inner = max(1, Int((2e7 / work).rounded(.up)))
        let trials = n <= 1500 ? 4 : 2
        try c.setProduct(a, b)  // warm-up: first touch of C, kernel buffers
        var best = Double.infinity
        for _ in 0..<trials {
            let start = MonotonicClock.nowSeconds()
            for _ in 0..<inner { try c.setProduct(a, b) }
            best = min(best, (MonotonicClock.nowSeconds() - start) / Double(inner))
        }
        return work / best / 1e9
    }
}

/// A worker's side of `ComputeCalibration`: its own n × n operands, kept between requests so
/// that only the first request at a size pays for allocation and an untimed warm-up product.
final class DgemmSpanRunner {
    private var operands: (n: Int, a: DenseMatrix, b: DenseMatrix, c: DenseMatrix)?

    /// Start and end (CLOCK_MONOTONIC seconds) of `products` n × n products, run once `ready`
    /// returns (the coordinator's barrier).
    func span(size n: Int, products: Int, ready: () throws -> Void) throws -> (Double, Double) {
        if operands?.n != n {
            operands = nil
            let a = try DenseMatrix(rows: n, columns: n)
            let b = try DenseMatrix(rows: n, columns: n)
            let c = try DenseMatrix(rows: n, columns: n)
            a.fillRandom(seed: 21)
            b.fillRandom(seed: 22)
            try c.setProduct(a, b)
            operands = (n, a, b, c)
        }
        let (_, a, b, c) = operands!
        try ready()
        let start = MonotonicClock.nowSeconds()
        for _ in 0..<products { try c.setProduct(a, b) }
        return (start, MonotonicClock.nowSeconds())
    }
}
