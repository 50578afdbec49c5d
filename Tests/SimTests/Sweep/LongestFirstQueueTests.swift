import XCTest
@testable import Sim

final class LongestFirstQueueTests: XCTestCase {
    func testSamplesEveryCellThenRunsTheCostliestCellFirst() {
        // Runs 0-2 belong to cell 0, runs 3-5 to cell 1, run 6 to cell 2.
        let queue = LongestFirstQueue(cells: [0, 0, 0, 1, 1, 1, 2])
        XCTAssertEqual(queue.next(), 0, "one run of each cell first, in sweep order")
        XCTAssertEqual(queue.next(), 3)
        XCTAssertEqual(queue.next(), 6)
        queue.finished(0, seconds: 1)
        queue.finished(3, seconds: 5)
        XCTAssertEqual(queue.next(), 4, "cell 1 took longest")
        XCTAssertEqual(queue.next(), 5)
        XCTAssertEqual(queue.next(), 1)
        XCTAssertEqual(queue.next(), 2)
        XCTAssertNil(queue.next())
    }

    func testAnUnmeasuredCellCountsAsTheCostliest() {
        let queue = LongestFirstQueue(cells: [0, 0, 1, 1])
        XCTAssertEqual(queue.next(), 0)
        XCTAssertEqual(queue.next(), 2)
        queue.finished(0, seconds: 9)
        XCTAssertEqual(queue.next(), 3, "cell 1's first run has not finished: assume the worst")
        XCTAssertEqual(queue.next(), 1)
        XCTAssertNil(queue.next())
    }

    func testEveryRunIsHandedOutOnceFromManyThreads() {
        let cells = (0..<500).map { $0 % 7 }
        let queue = LongestFirstQueue(cells: cells)
        let seen = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            while let run = queue.next() {
                queue.finished(run, seconds: Double(cells[run] + worker))
                seen.withLock { $0.append(run) }
            }
        }
        XCTAssertEqual(seen.withLock { $0.sorted() }, Array(0..<500))
    }
}
