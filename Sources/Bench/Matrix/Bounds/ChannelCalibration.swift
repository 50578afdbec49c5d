/// The rate a cell's channels move the experiment's data, measured on those channels right
/// before each timed multiplication: the multiplication's own traffic (B and a block of A to
/// each worker, the C blocks back) with the workers answering at once instead of multiplying,
/// best of two rounds.
///
/// All workers are sent to at the same time here, unlike in the multiplication: that is the
/// most the channels can move with every core helping, so compute time plus this transfer time
/// is a bound the multiplication cannot beat by overlapping one worker's compute with another's
/// transfer (on two cores, the cores that copy and encrypt are the cores that compute).
///
/// Measured per cell and per repetition rather than once per mode because the rate depends on
/// the cell (an 11.5 MB message no longer fits in cache and moves at half the rate of a 2.9 MB
/// one; several SSH channels move more than one, whose four-process pipeline one stream cannot
/// keep busy) and on the moment (this machine's speed drifts with what else its host runs).
final class ChannelCalibration {
    private let channels: [any ByteChannel]
    private let a: DenseMatrix
    private let b: DenseMatrix
    /// Where the answers land; never compared with anything.
    private let scratch: DenseMatrix

    init(channels: [any ByteChannel], a: DenseMatrix, b: DenseMatrix) throws {
        self.channels = channels
        self.a = a
        self.b = b
        scratch = try DenseMatrix(rows: a.rows, columns: b.columns)
    }

    /// Bytes per second the channels moved, best of `rounds`.
    func measure(rounds: Int = 2) throws -> Double {
        let n = a.columns
        let blocks = DistributedProduct.rowBlocks(size: n, workers: channels.count)
        let (channels, a, b, scratch) = (self.channels, self.a, self.b, self.scratch)
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = MonotonicClock.nowSeconds()
            try ParallelThreads.run(count: blocks.count) { index in
                let rows = blocks[index]
                try Frame.send(.matrixB, rows: n, columns: n, payload: b.storage, on: channels[index])
                try Frame.send(.rowsATransferOnly, rows: rows.count, columns: n, payload: a.row(rows.lowerBound), on: channels[index])
                let header = try Frame.expect(.result, rows: rows.count, columns: n, from: channels[index])
                try Frame.receivePayload(header, into: scratch.row(rows.lowerBound), from: channels[index])
            }
            best = min(best, MonotonicClock.nowSeconds() - start)
        }
        return LowerBound.bytesMoved(size: n, workers: blocks.count) / best
    }
}
