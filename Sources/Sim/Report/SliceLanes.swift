/// Times as integer nanoseconds, so that nesting checks and the microsecond text written
/// from them agree exactly (no rounding can push a child past its parent).
public func nanoseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1e9).rounded()) }

/// Splits one track's intervals into lanes in which they are well nested (each pair is
/// disjoint or one contains the other): objects of one application share a VM and overlap
/// each other and its key writes, which a single Chrome/Perfetto thread cannot show.
enum SliceLanes {
    /// The lane (0, 1, …) of each interval, given as (startNs, endNs) with start ≤ end. An `exclusive` interval
    /// (an object's run) never nests inside another exclusive one: two objects running at once get lanes of
    /// their own instead of reading as parent and child.
    static func assign(_ intervals: [(start: Int64, end: Int64)], exclusive: [Bool] = []) -> [Int] {
        func isExclusive(_ k: Int) -> Bool { k < exclusive.count && exclusive[k] }
        // Longer first at equal starts, so a parent precedes its children.
        let order = intervals.indices.sorted {
            let a = intervals[$0], b = intervals[$1]
            return (a.start, -a.end, $0) < (b.start, -b.end, $1)
        }
        var stacks: [[(end: Int64, exclusive: Bool)]] = []  // per lane: the open enclosing intervals
        var lane = Array(repeating: 0, count: intervals.count)
        for k in order {
            let (start, end) = intervals[k]
            var chosen = -1
            for l in stacks.indices {
                while let top = stacks[l].last, top.end <= start { stacks[l].removeLast() }
                if let top = stacks[l].last, top.end < end { continue }
                if isExclusive(k) && stacks[l].contains(where: \.exclusive) { continue }
                chosen = l
                break
            }
            if chosen < 0 {
                stacks.append([])
                chosen = stacks.count - 1
            }
            stacks[chosen].append((end, isExclusive(k)))
            lane[k] = chosen
        }
        return lane
    }
}
