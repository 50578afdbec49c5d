/// The CPU cores of every node, as the times they next fall free. An object computes on one core
/// from the moment it is launched and a core is free; a node without a core count has as many as
/// it runs objects.
struct NodeCores {
    private var freeAt: [Double] = []
    /// Per node: where its cores start in `freeAt`, and how many it has (0: unlimited).
    private let first: [Int32]
    private let count: [Int32]

    init(coresOfNode: [Int32]) {
        var first: [Int32] = []
        first.reserveCapacity(coresOfNode.count)
        var total: Int32 = 0
        for cores in coresOfNode {
            precondition(cores >= 0, "a node has \(cores) cores")
            first.append(total)
            total += cores
        }
        self.first = first
        count = coresOfNode
        freeAt = Array(repeating: 0, count: Int(total))
    }

    /// Books the core of `node` that frees first for `seconds` of compute, starting no earlier than
    /// `readyAt`. nil when the node's cores are unlimited (the object starts at `readyAt`).
    mutating func book(node: Int, readyAt: Double, seconds: Double) -> (core: Int32, startSeconds: Double)? {
        let n = Int(count[node])
        guard n > 0 else { return nil }
        let base = Int(first[node])
        var best = base
        for k in (base + 1)..<(base + n) where freeAt[k] < freeAt[best] { best = k }
        let start = max(readyAt, freeAt[best])
        freeAt[best] = start + seconds
        return (Int32(best), start)
    }

    /// An object stopped before the end it was booked for: its core is free from `now` on, unless
    /// another object has been booked behind it already.
    mutating func release(core: Int32, bookedUntil end: Double, now: Double) {
        let k = Int(core)
        if freeAt[k] == end && now < end { freeAt[k] = now }
    }
}
