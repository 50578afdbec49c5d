import Foundation

/// Hands out a sweep's pending runs so that the cores finish together. Runs of one cell cost
/// about the same and cells can differ tenfold (discovery flooding 1 hop vs 4), so a queue in
/// sweep order leaves the costliest runs for last and one core working alone at the end. This
/// one first samples each cell once (in sweep order), then always hands out a run of the cell
/// whose runs took longest so far (longest processing time first); cells still unmeasured
/// count as the costliest. Which core runs what, and when, varies; what each run computes does
/// not, so results stay the same for any number of cores.
final class LongestFirstQueue: @unchecked Sendable {
    // Everything below is guarded by `lock`.
    private let lock = NSLock()
    /// Pending runs of each cell (indices into the caller's run list), in sweep order.
    private var remaining: [[Int]]
    private var sampled: [Bool]
    private var secondsSum: [Double]
    private var finishedRuns: [Int]
    private var cellOfRun: [Int]
    private var cursor = 0

    /// `cells[k]`: the cell (0-based, any labels) of pending run `k`.
    init(cells: [Int]) {
        let count = (cells.max() ?? -1) + 1
        remaining = Array(repeating: [], count: count)
        for (run, cell) in cells.enumerated() { remaining[cell].append(run) }
        sampled = Array(repeating: false, count: count)
        secondsSum = Array(repeating: 0, count: count)
        finishedRuns = Array(repeating: 0, count: count)
        cellOfRun = cells
    }

    /// The next run to start, or nil when every run has been handed out.
    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        while cursor < remaining.count {
            let cell = cursor
            cursor += 1
            if !remaining[cell].isEmpty {
                sampled[cell] = true
                return remaining[cell].removeFirst()
            }
        }
        var best: Int?
        var bestSeconds = -1.0
        for cell in remaining.indices where !remaining[cell].isEmpty {
            let seconds = finishedRuns[cell] == 0 ? Double.infinity : secondsSum[cell] / Double(finishedRuns[cell])
            if seconds > bestSeconds {
                best = cell
                bestSeconds = seconds
            }
        }
        guard let cell = best else { return nil }
        return remaining[cell].removeFirst()
    }

    /// Run `run` took `seconds` of wall time.
    func finished(_ run: Int, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        let cell = cellOfRun[run]
        secondsSum[cell] += seconds
        finishedRuns[cell] += 1
    }
}
