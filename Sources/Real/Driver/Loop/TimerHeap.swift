/// Deadlines on the wall clock, earliest first, ties in the order they were scheduled.
///
/// Nothing is ever taken out early: Model ignores a stale timer by its generation or ticket, so the driver needs
/// no cancellation and a plain binary heap is enough.
struct TimerHeap<Payload> {
    private struct Entry {
        var deadline: ContinuousClock.Instant
        var sequence: UInt64
        var payload: Payload

        func precedes(_ other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    private var entries: [Entry] = []
    private var nextSequence: UInt64 = 0

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    var earliestDeadline: ContinuousClock.Instant? { entries.first?.deadline }

    mutating func push(_ payload: Payload, at deadline: ContinuousClock.Instant) {
        entries.append(Entry(deadline: deadline, sequence: nextSequence, payload: payload))
        nextSequence &+= 1
        siftUp(entries.count - 1)
    }

    /// The earliest payload if its deadline is not after `now`.
    mutating func popDue(notAfter now: ContinuousClock.Instant) -> Payload? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            siftDown(0)
        }
        return first.payload
    }

    mutating func removeAll() { entries.removeAll() }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { return }
            let right = left + 1
            var first = left
            if right < entries.count && entries[right].precedes(entries[left]) { first = right }
            guard entries[first].precedes(entries[parent]) else { return }
            entries.swapAt(first, parent)
            parent = first
        }
    }
}
