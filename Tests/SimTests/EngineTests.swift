import XCTest
@testable import Sim

final class EngineTests: XCTestCase {
    func testEventsRunInTimeThenInsertionOrder() {
        var engine = Engine<String>()
        engine.schedule("c", afterSeconds: 2)
        engine.schedule("a", afterSeconds: 1)
        engine.schedule("b", afterSeconds: 1)
        engine.schedule("now", afterSeconds: 0)
        var order: [String] = []
        var times: [Double] = []
        while let e = engine.next() {
            order.append(e)
            times.append(engine.now)
        }
        XCTAssertEqual(order, ["now", "a", "b", "c"])
        XCTAssertEqual(times, [0, 1, 1, 2])
        XCTAssertEqual(engine.processed, 4)
    }

    func testEventsDueNowRunAfterEarlierScheduledOnesAtTheSameTime() {
        var engine = Engine<String>()
        engine.schedule("first", afterSeconds: 5)
        engine.schedule("second", afterSeconds: 5)
        var order: [String] = []
        while let e = engine.next() {
            order.append(e)
            // Scheduled at t=5 with no delay: inserted after "second", so it runs after it.
            if e == "first" { engine.schedule("zero-delay from first", afterSeconds: 0) }
        }
        XCTAssertEqual(order, ["first", "second", "zero-delay from first"])
    }

    func testLimitStopsBeforeLaterEvents() {
        var engine = Engine<Int>()
        engine.schedule(1, afterSeconds: 1)
        engine.schedule(2, afterSeconds: 10)
        XCTAssertEqual(engine.next(notAfter: 5), 1)
        XCTAssertNil(engine.next(notAfter: 5))
        XCTAssertEqual(engine.pending, 1)
        XCTAssertEqual(engine.nextTime, 10)
    }

    func testManyEventsComeOutSorted() {
        var engine = Engine<Int>()
        var x: UInt64 = 42
        for i in 0..<10_000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            engine.schedule(i, afterSeconds: Double(x >> 40) / 1000 + 0.001)
        }
        var last = 0.0
        var count = 0
        while engine.next() != nil {
            XCTAssertGreaterThanOrEqual(engine.now, last)
            last = engine.now
            count += 1
        }
        XCTAssertEqual(count, 10_000)
    }
}
