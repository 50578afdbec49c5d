import Sim

/// What the cores reach together: k workers (k = min(w, cores)) each run n × n products,
/// released at the same moment, and the aggregate rate is the sum of their rates. Measured on
/// the cell's own workers, right before each timed multiplication.
///
/// The single-core rate times the core count is not reachable on every machine: this one's two
/// vCPUs reach about 1.5 times one core's dgemm rate together (they behave like the two
/// hyperthreads of one physical core, sharing its FMA units and L2), and which physical cores
/// the host gives them changes from run to run. Summing per-worker rates can only overstate the
/// aggregate (a worker that runs partly alone runs faster), so the bound stays a bound.
enum ComputeCalibration {
    /// Aggregate GFLOP/s of `channels.count` workers multiplying n × n matrices at once, best
    /// of `rounds`.
    static func measure(_ channels: [any ByteChannel], size n: Int, singleCoreGFLOPS: Double, rounds: Int = 1) throws -> Double {
        let flops = DgemmRate.flops(rows: n, inner: n, columns: n)
        // About 30 ms of work per worker per round, at least one product.
        // At most the 10,000 a worker accepts: a tiny n would otherwise ask for millions and be refused.
        let products = min(10_000, max(1, Int((0.03 * singleCoreGFLOPS * 1e9 / flops).rounded(.up))))
        let request = [Double(n), Double(products)]
        var best = 0.0
        for _ in 0..<rounds {
            // Everyone prepares (the first time: allocation and an untimed product), then all
            // are released together.
            try ParallelThreads.run(count: channels.count) { index in
                try Frame.send(.computeSpan, values: request, on: channels[index])
                _ = try Frame.expect(.timing, rows: 0, columns: 0, from: channels[index])
            }
            let rates = Locked<[Double]>([])
            try ParallelThreads.run(count: channels.count) { index in
                let channel = channels[index]
                try Frame.send(.computeSpan, values: request, on: channel)
                let timing = try Frame.receiveValues(try Frame.expect(.timing, rows: 1, columns: 2, from: channel), from: channel)
                let seconds = timing[1] - timing[0]
                if seconds > 0 { rates.withLock { $0.append(Double(products) * flops / seconds / 1e9) } }
            }
            best = max(best, rates.withLock { $0.reduce(0, +) })
        }
        return best > 0 ? best : singleCoreGFLOPS
    }
}
