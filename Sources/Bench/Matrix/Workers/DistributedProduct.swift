import Foundation
import Sim

/// One multiplication C = A × B over a worker group: A split into contiguous blocks of rows,
/// B and one block sent to each worker, each C block received straight into its rows of C.
struct DistributedProduct {
    /// Wall time of one multiplication and how it divides.
    struct Timing: Sendable {
        /// From the first byte sent to the last C block received.
        let totalSeconds: Double
        /// Wall time during which at least one worker was inside dgemm (the union of the
        /// workers' compute intervals, read on the shared monotonic clock).
        let computeSeconds: Double
        /// The rest: framing, copying, encryption, waiting on the channel.
        var transferSeconds: Double { max(0, totalSeconds - computeSeconds) }
    }

    /// The rows each worker gets: as even as possible, the first `n mod w` one row more.
    /// Workers beyond n get none and take no part.
    static func rowBlocks(size: Int, workers: Int) -> [Range<Int>] {
        let active = LowerBound.activeWorkers(size: size, workers: workers)
        let base = size / active
        let extra = size % active
        var blocks: [Range<Int>] = []
        var start = 0
        for index in 0..<active {
            let height = base + (index < extra ? 1 : 0)
            blocks.append(start..<(start + height))
            start += height
        }
        return blocks
    }

    /// Computes `c` = `a` × `b` on the group's workers.
    /// Senders at a time: as many as cores, so that both cores can push bytes while the first
    /// workers already compute.
    static var concurrentSenders: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    static func multiply(_ a: DenseMatrix, _ b: DenseMatrix, into c: DenseMatrix, over group: WorkerGroup,
                         concurrentSenders: Int = concurrentSenders) throws -> Timing {
        let n = a.columns
        guard a.rows == n, b.rows == n, b.columns == n, c.rows == n, c.columns == n else {
            throw MatrixBenchError.failed("the distributed product takes square matrices of one size")
        }
        let blocks = rowBlocks(size: n, workers: group.channels.count)
        let channels = group.channels
        let intervals = Locked<[(Double, Double)]>([])
        let start = MonotonicClock.nowSeconds()
        try ParallelThreads.runInTurns(count: blocks.count, concurrentSenders: concurrentSenders, send: { index in
            let rows = blocks[index]
            try Frame.send(.matrixB, rows: n, columns: n, payload: b.storage, on: channels[index])
            try Frame.send(.rowsA, rows: rows.count, columns: n, payload: a.row(rows.lowerBound), on: channels[index])
        }, receive: { index in
            let channel = channels[index]
            let rows = blocks[index]
            let timing = try Frame.receiveValues(try Frame.expect(.timing, rows: 1, columns: 2, from: channel), from: channel)
            let header = try Frame.expect(.result, rows: rows.count, columns: n, from: channel)
            try Frame.receivePayload(header, into: c.row(rows.lowerBound), from: channel)
            intervals.withLock { $0.append((timing[0], timing[1])) }
        })
        let total = MonotonicClock.nowSeconds() - start
        return Timing(totalSeconds: total, computeSeconds: min(total, unionLength(intervals.withLock { $0 })))
    }

    /// Length of the union of [start, end] intervals.
    static func unionLength(_ intervals: [(Double, Double)]) -> Double {
        var total = 0.0
        var current: (Double, Double)?
        for (start, end) in intervals.sorted(by: { $0.0 < $1.0 }) {
            if let (currentStart, currentEnd) = current, start <= currentEnd {
                current = (currentStart, max(currentEnd, end))
            } else {
                if let (currentStart, currentEnd) = current { total += currentEnd - currentStart }
                current = (start, end)
            }
        }
        if let (currentStart, currentEnd) = current { total += currentEnd - currentStart }
        return total
    }
}
