/// The fastest this machine could do one cell, from two rates measured just before it:
///
/// - compute: the product's 2n³ flops at the rate min(w, cores) workers reach multiplying at
///   the same time (`ComputeCalibration`; one worker computes on one thread, so w = 1 is the
///   single-core rate);
/// - transfer: the bytes the experiment must move (B to each active worker, A's blocks out, C's
///   blocks back: 8·n²·(w + 2)) at the rate the cell's channels move exactly that traffic, to
///   all workers at once, when the workers answer without multiplying (`ChannelCalibration`).
///
/// The two are added: the cores that move bytes (copying, encrypting) are the ones that
/// compute, so the phases cannot overlap for free.
struct LowerBound: Sendable, Equatable {
    let computeSeconds: Double
    let transferSeconds: Double
    let computeGFLOPS: Double
    let channelBytesPerSecond: Double
    var seconds: Double { computeSeconds + transferSeconds }

    static func activeWorkers(size: Int, workers: Int) -> Int { min(size, workers) }

    /// Workers that can compute at the same time.
    static func computingWorkers(size: Int, workers: Int, cores: Int) -> Int {
        max(1, min(activeWorkers(size: size, workers: workers), cores))
    }

    static func bytesMoved(size: Int, workers: Int) -> Double {
        8 * Double(size) * Double(size) * Double(activeWorkers(size: size, workers: workers) + 2)
    }

    init(size: Int, workers: Int, computeGFLOPS: Double, channelBytesPerSecond: Double) {
        computeSeconds = DgemmRate.flops(rows: size, inner: size, columns: size) / (computeGFLOPS * 1e9)
        transferSeconds = Self.bytesMoved(size: size, workers: workers) / channelBytesPerSecond
        self.computeGFLOPS = computeGFLOPS
        self.channelBytesPerSecond = channelBytesPerSecond
    }
}
