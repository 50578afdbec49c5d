/// The way-back path of a discovery request (popwayback in the original): the hops back to
/// the initiator. Paths share their prefixes in one pool, so a message carries a 4-byte
/// handle and forwarding a request allocates nothing but one pool entry.
public struct WayBack: Equatable, Sendable {
    /// Index of the newest hop in the pool; -1 is the empty path.
    public let tip: Int32
    public static let empty = WayBack(tip: -1)
    public var isEmpty: Bool { tip < 0 }
}

struct WayBackPool {
    private var hop: [NodeID] = []
    private var parent: [Int32] = []

    var entries: Int { hop.count }

    /// `path` with `node` appended as its newest hop.
    mutating func extend(_ path: WayBack, with node: NodeID) -> WayBack {
        hop.append(node)
        parent.append(path.tip)
        return WayBack(tip: Int32(hop.count - 1))
    }

    /// The newest hop and the path without it.
    func last(of path: WayBack) -> (hop: NodeID, rest: WayBack) {
        precondition(!path.isEmpty, "the empty way-back path has no hop")
        return (hop[Int(path.tip)], WayBack(tip: parent[Int(path.tip)]))
    }

    /// Hops from the initiator to the newest (for traces and tests).
    func hops(of path: WayBack) -> [NodeID] {
        var result: [NodeID] = []
        var tip = path.tip
        while tip >= 0 {
            result.append(hop[Int(tip)])
            tip = parent[Int(tip)]
        }
        return result.reversed()
    }
}
