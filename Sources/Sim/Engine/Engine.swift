import DequeModule

/// A heap entry packs the payload slot under the insertion sequence: 2^24 pending events,
/// 2^40 events in a run.
private let engineSlotBits = 24
private let engineMaxSlots = 1 << engineSlotBits
private let engineMaxSequence: UInt64 = 1 << (64 - engineSlotBits)

/// The discrete-event engine: a priority queue ordered by (time, insertion sequence) and a
/// simulated clock. Nothing else. Events due now go to a FIFO instead of the heap, which
/// keeps the same order (every heap entry due now was inserted earlier) at O(1). So do events
/// scheduled a delay ahead that recurs (a fixed revert latency, a timeout): `now` never goes
/// back, so one delay's events arrive already in (time, sequence) order, and a FIFO per such
/// delay replaces a heap sift with an append; so does a lane for events scheduled at an
/// absolute time not before the last one there (a trace's arrivals). The next event is the
/// least of the heap's top and the lanes' heads.
public struct Engine<Payload> {
    public private(set) var now: Double = 0
    public private(set) var processed: UInt64 = 0
    private var heap: [Entry] = []
    /// Payloads live here, out of the heap, so sifting moves 16-byte trivial entries.
    private var payloads: [Payload?] = []
    private var freeSlots: [Int32] = []
    private var dueNow = Deque<Payload>()
    private var lanes: [DelayLane] = []
    /// Events scheduled at a time not before the last one put here (a trace's arrivals): a
    /// lane like the others, in (time, sequence) order by construction.
    private var inOrder = Deque<(key: Entry, payload: Payload)>()
    private static var inOrderLane: Int { -2 }
    /// The least lane head and its lane, kept as heads change (appends to an empty lane,
    /// removals), so finding the next event reads no lane.
    private var laneHead: Entry?
    private var laneHeadIndex = -1
    /// Recent delays that have no lane: one seen again gets a lane when one is free.
    private var laneCandidates = [Double](repeating: .nan, count: 8)
    private var laneCandidateCursor = 0
    private static var maxLanes: Int { 4 }
    private var sequence: UInt64 = 0
    /// When set, ties are broken by a seeded permutation of insertion order instead.
    private let shuffleSalt: UInt64?

    /// 16 bytes, so a node's four children share one cache line. `order` is the insertion
    /// sequence above the payload slot: sequences are unique, so comparing `order` compares them.
    struct Entry {
        var time: Double
        var order: UInt64

        init(time: Double, sequence: UInt64, slot: Int32) {
            self.time = time
            order = sequence << engineSlotBits | UInt64(slot)
        }

        var slot: Int32 { Int32(truncatingIfNeeded: order & UInt64(engineMaxSlots - 1)) }

        @inline(__always) func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : order < other.order
        }
    }

    /// A lane keeps its payloads beside their keys: read in order, they need no slot.
    struct DelayLane {
        var delaySeconds: Double
        var entries = Deque<(key: Entry, payload: Payload)>()
    }

    /// `shuffleTiesWith`: a salt (from the seed) that turns the insertion order of events due at
    /// the same instant into a seeded shuffle, to shake out order-dependent behaviour.
    public init(capacity: Int = 1024, shuffleTiesWith salt: UInt64? = nil) {
        shuffleSalt = salt
        heap.reserveCapacity(capacity)
        dueNow.reserveCapacity(256)
    }

    /// Delays that have a lane (for tests).
    var laneDelays: [Double] { lanes.map(\.delaySeconds) }

    public var pending: Int {
        heap.count + dueNow.count + inOrder.count + lanes.reduce(0) { $0 + $1.entries.count }
    }

    public mutating func schedule(_ payload: Payload, afterSeconds delay: Double) {
        precondition(delay >= 0 && delay.isFinite, "cannot schedule \(delay) s ahead")
        if delay == 0 && shuffleSalt == nil {
            dueNow.append(payload)
            return
        }
        // Shuffled ties break the lanes' order (sequences no longer grow), so they all go to the heap.
        if shuffleSalt == nil, let lane = lane(forDelay: delay) {
            let entry = Entry(time: now + delay, sequence: nextSequence(), slot: 0)
            lanes[lane].entries.append((entry, payload))
            if lanes[lane].entries.count == 1 { offerLaneHead(entry, lane: lane) }
        } else {
            push(Entry(time: now + delay, sequence: nextSequence(), slot: store(payload)))
        }
    }

    /// The lane for `delay`, if it has one or earns one now (seen recently, and a lane is free).
    @inline(__always)
    private mutating func lane(forDelay delay: Double) -> Int? {
        for i in lanes.indices where lanes[i].delaySeconds == delay { return i }
        return newLane(forDelay: delay)
    }

    private mutating func newLane(forDelay delay: Double) -> Int? {
        guard laneCandidates.contains(delay) else {
            laneCandidates[laneCandidateCursor] = delay
            laneCandidateCursor = (laneCandidateCursor + 1) % laneCandidates.count
            return nil
        }
        if lanes.count < Engine.maxLanes {
            lanes.append(DelayLane(delaySeconds: delay))
            return lanes.count - 1
        }
        guard let empty = lanes.firstIndex(where: { $0.entries.isEmpty }) else { return nil }
        lanes[empty].delaySeconds = delay
        return empty
    }

    public mutating func schedule(_ payload: Payload, at time: Double) {
        precondition(time >= now && time.isFinite, "cannot schedule at \(time) s, now is \(now) s")
        if time == now { return schedule(payload, afterSeconds: 0) }
        guard shuffleSalt == nil, inOrder.last.map({ $0.key.time <= time }) ?? true else {
            return push(Entry(time: time, sequence: nextSequence(), slot: store(payload)))
        }
        let entry = Entry(time: time, sequence: nextSequence(), slot: 0)
        inOrder.append((entry, payload))
        if inOrder.count == 1 { offerLaneHead(entry, lane: Engine.inOrderLane) }
    }

    /// A lane that was empty has a head now: it may be the least one.
    @inline(__always)
    private mutating func offerLaneHead(_ entry: Entry, lane: Int) {
        guard laneHead == nil || entry.precedes(laneHead!) else { return }
        laneHead = entry
        laneHeadIndex = lane
    }

    private mutating func nextSequence() -> UInt64 {
        sequence &+= 1
        precondition(sequence < engineMaxSequence, "more than 2^40 events scheduled")
        guard let salt = shuffleSalt else { return sequence }
        // splitmix64 is a bijection: distinct insertions keep distinct, seeded keys.
        var z = sequence &+ salt &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        // Keep the top 40 bits: still distinct per insertion with overwhelming probability,
        // and ties between equal keys fall back to nothing worse than slot order.
        return (z ^ (z >> 31)) >> engineSlotBits
    }

    private mutating func store(_ payload: Payload) -> Int32 {
        if let slot = freeSlots.popLast() {
            payloads[Int(slot)] = payload
            return slot
        }
        precondition(payloads.count < engineMaxSlots, "more than 2^24 events pending")
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
        let earliest = earliestTimed()
        if let entry = earliest.entry, entry.time == now {
            processed &+= 1
            return take(from: earliest.lane)
        }
        if let payload = dueNow.popFirst() {
            processed &+= 1
            return payload
        }
        guard let entry = earliest.entry, entry.time <= limit else { return nil }
        now = entry.time
        processed &+= 1
        return take(from: earliest.lane)
    }

    /// Time of the next event (now if something is due now).
    public var nextTime: Double? {
        if !dueNow.isEmpty { return now }
        return earliestTimed().entry?.time
    }

    /// The least of the heap's top (lane -1) and the lanes' heads (the in-order lane is -2).
    @inline(__always)
    private func earliestTimed() -> (entry: Entry?, lane: Int) {
        guard let head = laneHead else { return (heap.first, -1) }
        if let top = heap.first, top.precedes(head) { return (top, -1) }
        return (head, laneHeadIndex)
    }

    @inline(__always)
    private mutating func take(from lane: Int) -> Payload {
        if lane == -1 { return take(popMin().slot) }
        let payload = lane == Engine.inOrderLane ? inOrder.removeFirst().payload : lanes[lane].entries.removeFirst().payload
        findLaneHead()
        return payload
    }

    private mutating func findLaneHead() {
        laneHead = inOrder.first?.key
        laneHeadIndex = laneHead == nil ? -1 : Engine.inOrderLane
        for i in lanes.indices {
            guard let head = lanes[i].entries.first?.key else { continue }
            if laneHead == nil || head.precedes(laneHead!) {
                laneHead = head
                laneHeadIndex = i
            }
        }
    }

    // A 4-ary heap sifted with a hole (one write per level): shallower and with fewer
    // writes than a binary heap; this is the engine's hottest code. The sifts work on the
    // raw buffer: through the array, every write would check that the buffer is unique.
    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        heap.withUnsafeMutableBufferPointer { h in
            var hole = h.count - 1
            while hole > 0 {
                let parent = (hole - 1) >> 2
                guard entry.precedes(h[parent]) else { break }
                h[hole] = h[parent]
                hole = parent
            }
            h[hole] = entry
        }
    }

    private mutating func popMin() -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return top }
        heap.withUnsafeMutableBufferPointer { h in
            let count = h.count
            var hole = 0
            while true {
                let first = 4 &* hole &+ 1
                guard first < count else { break }
                var best = first
                let end = Swift.min(first &+ 4, count)
                var child = first &+ 1
                while child < end {
                    if h[child].precedes(h[best]) { best = child }
                    child &+= 1
                }
                guard h[best].precedes(last) else { break }
                h[hole] = h[best]
                hole = best
            }
            h[hole] = last
        }
        return top
    }
}
