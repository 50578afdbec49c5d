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

    /// Recurring delays go to per-delay lanes (more of them than there are lanes, mixed with
    /// random and zero delays and with absolute times in and out of order, scheduled as time
    /// goes on): events still come out in (time, insertion) order, each at its own time.
    func testRecurringDelaysKeepTimeThenInsertionOrder() {
        var engine = Engine<Int>()
        var dueAt: [Double] = []
        var x: UInt64 = 7
        func random(_ bound: UInt64) -> UInt64 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (x >> 33) % bound
        }
        func add(afterSeconds delay: Double) {
            dueAt.append(engine.now + delay)
            engine.schedule(dueAt.count - 1, afterSeconds: delay)
        }
        func add(at time: Double) {
            dueAt.append(time)
            engine.schedule(dueAt.count - 1, at: time)
        }
        let recurring: [Double] = [5, 30, 300, 7, 11, 0.5]
        for _ in 0..<50 { add(afterSeconds: Double(random(100))) }
        var popped: [Int] = []
        var lanesSeen = Set<Double>()
        while let id = engine.next() {
            popped.append(id)
            XCTAssertEqual(engine.now, dueAt[id])
            lanesSeen.formUnion(engine.laneDelays)
            guard dueAt.count < 20_000 else { continue }
            for _ in 0..<random(3) {
                let pick = random(10)
                add(afterSeconds: pick < 6 ? recurring[Int(pick)] : pick < 8 ? 0 : Double(random(1000)) / 7)
            }
            // Absolute times, mostly in order (the in-order lane), sometimes not (the heap).
            if random(20) == 0 { add(at: engine.now + 30 + Double(random(4)) * 10) }
        }
        let expected = dueAt.indices.sorted { dueAt[$0] != dueAt[$1] ? dueAt[$0] < dueAt[$1] : $0 < $1 }
        XCTAssertEqual(popped, expected)
        XCTAssertEqual(engine.pending, 0)
        // Six recurring delays shared four lanes as they emptied.
        XCTAssertEqual(engine.laneDelays.count, 4)
        XCTAssertTrue(lanesSeen.isSuperset(of: recurring), "lanes held \(lanesSeen.sorted())")
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
