/// The discrete-event engine: a priority queue ordered by (time, insertion sequence) and a
/// simulated clock. Nothing else. Events due now go to a FIFO instead of the heap, which
/// keeps the same order (every heap entry due now was inserted earlier) at O(1).
public struct Engine<Payload> {
    public private(set) var now: Double = 0
    public private(set) var processed: UInt64 = 0
    private var heap: [Entry] = []
    /// Payloads live here, out of the heap, so sifting moves 24-byte trivial entries.
    private var payloads: [Payload?] = []
    private var freeSlots: [Int32] = []
    private var dueNow: [Payload] = []
    private var dueNowHead = 0
    private var sequence: UInt64 = 0
    /// When set, ties are broken by a seeded permutation of insertion order instead.
    private let shuffleSalt: UInt64?

    struct Entry {
        var time: Double
        var sequence: UInt64
        var slot: Int32
        @inline(__always) func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    /// `shuffleTiesWith`: a salt (from the seed) that turns the insertion order of events due at
    /// the same instant into a seeded shuffle, to shake out order-dependent behaviour.
    public init(capacity: Int = 1024, shuffleTiesWith salt: UInt64? = nil) {
        shuffleSalt = salt
        heap.reserveCapacity(capacity)
        dueNow.reserveCapacity(256)
    }

    public var pending: Int { heap.count + dueNow.count - dueNowHead }

    public mutating func schedule(_ payload: Payload, afterSeconds delay: Double) {
        precondition(delay >= 0 && delay.isFinite, "cannot schedule \(delay) s ahead")
        if delay == 0 && shuffleSalt == nil {
            dueNow.append(payload)
            return
        }
        push(Entry(time: now + delay, sequence: nextSequence(), slot: store(payload)))
    }

    public mutating func schedule(_ payload: Payload, at time: Double) {
        precondition(time >= now && time.isFinite, "cannot schedule at \(time) s, now is \(now) s")
        if time == now { return schedule(payload, afterSeconds: 0) }
        push(Entry(time: time, sequence: nextSequence(), slot: store(payload)))
    }

    private mutating func nextSequence() -> UInt64 {
        sequence &+= 1
        guard let salt = shuffleSalt else { return sequence }
        // splitmix64 is a bijection: distinct insertions keep distinct, seeded keys.
        var z = sequence &+ salt &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func store(_ payload: Payload) -> Int32 {
        if let slot = freeSlots.popLast() {
            payloads[Int(slot)] = payload
            return slot
        }
        payloads.append(payload)
        return Int32(payloads.count - 1)
    }

    private mutating func take(_ slot: Int32) -> Payload {
        let payload = payloads[Int(slot)].take()!
        freeSlots.append(slot)
        return payload
    }

    /// The next event, with `now` advanced to its time; nil when nothing is left or the next
    /// event is later than `limit`.
    public mutating func next(notAfter limit: Double = .infinity) -> Payload? {
        if let top = heap.first, top.time == now {
            processed &+= 1
            return take(popMin().slot)
        }
        if dueNowHead < dueNow.count {
            let payload = dueNow[dueNowHead]
            dueNowHead += 1
            if dueNowHead == dueNow.count {
                dueNow.removeAll(keepingCapacity: true)
                dueNowHead = 0
            }
            processed &+= 1
            return payload
        }
        guard let top = heap.first, top.time <= limit else { return nil }
        now = top.time
        processed &+= 1
        return take(popMin().slot)
    }

    /// Time of the next event (now if something is due now).
    public var nextTime: Double? {
        if dueNowHead < dueNow.count { return now }
        return heap.first?.time
    }

    // A 4-ary heap sifted with a hole (one write per level): shallower and with fewer
    // writes than a binary heap; this is the engine's hottest code.
    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var hole = heap.count - 1
        while hole > 0 {
            let parent = (hole - 1) >> 2
            guard entry.precedes(heap[parent]) else { break }
            heap[hole] = heap[parent]
            hole = parent
        }
        heap[hole] = entry
    }

    private mutating func popMin() -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        let count = heap.count
        guard count > 0 else { return top }
        var hole = 0
        while true {
            let first = 4 * hole + 1
            guard first < count else { break }
            var best = first
            let end = min(first + 4, count)
            var child = first + 1
            while child < end {
                if heap[child].precedes(heap[best]) { best = child }
                child += 1
            }
            guard heap[best].precedes(last) else { break }
            heap[hole] = heap[best]
            hole = best
        }
        heap[hole] = last
        return top
    }
}
