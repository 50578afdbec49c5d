/// Each node's link to the grid (its NIC): messages leave one after another at the link's
/// bandwidth, so a node that floods a discovery request to its neighbours queues them.
struct NodeLinks {
    private var busyUntil: [Double]

    init(nodes: Int) { busyUntil = Array(repeating: 0, count: nodes) }

    /// Puts `seconds` of transmission on `node`'s link at `now` or once the link is free; returns
    /// when the last bit has left.
    mutating func transmit(from node: Int, now: Double, seconds: Double) -> Double {
        let end = max(now, busyUntil[node]) + seconds
        busyUntil[node] = end
        return end
    }
}
