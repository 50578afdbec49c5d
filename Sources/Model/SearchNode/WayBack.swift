/// The way-back path of a discovery request (popwayback in the original): the hops back to
/// the initiator. Paths share their prefixes in one bounded ring of hops, so a message
/// carries an 8-byte handle and forwarding a request allocates nothing.
public struct WayBack: Equatable, Sendable {
    /// Write position of the newest hop in the pool; -1 is the empty path.
    public let tip: Int64
    public static let empty = WayBack(tip: -1)
    public var isEmpty: Bool { tip < 0 }
}

/// A ring of the last `capacity` hops written. A path lives only as long as its discovery
/// round (seconds); one whose hops were overwritten since is reported stale, never misread.
struct WayBackPool {
    private var hop: [NodeID]
    private var parent: [Int64]
    private let mask: Int64
    /// Hops written so far (the next write position).
    private(set) var written: Int64 = 0

    init(capacityLog2: Int = 20) {
        precondition((8...30).contains(capacityLog2), "way-back pool capacity out of range")
        // The ring grows to its capacity as hops are written: central placement never writes one.
        hop = []
        parent = []
        mask = Int64((1 << capacityLog2) - 1)
    }

    /// `path` with `node` appended as its newest hop.
    mutating func extend(_ path: WayBack, with node: NodeID) -> WayBack {
        let slot = Int(written & mask)
        if slot == hop.count {
            hop.append(node)
            parent.append(path.tip)
        } else {
            hop[slot] = node
            parent[slot] = path.tip
        }
        written += 1
        return WayBack(tip: written - 1)
    }

    func isLive(_ path: WayBack) -> Bool { path.tip < 0 || path.tip >= written - (mask + 1) }

    /// The newest hop and the path without it; nil if the path's hops were overwritten.
    func last(of path: WayBack) -> (hop: NodeID, rest: WayBack)? {
        precondition(!path.isEmpty, "the empty way-back path has no hop")
        guard isLive(path) else { return nil }
        let slot = Int(path.tip & mask)
        return (hop[slot], WayBack(tip: parent[slot]))
    }

    /// Hops from the initiator to the newest (for traces and tests); empty if stale.
    func hops(of path: WayBack) -> [NodeID] {
        var result: [NodeID] = []
        var tip = path
        while !tip.isEmpty, let (node, rest) = last(of: tip) {
            result.append(node)
            tip = rest
        }
        return result.reversed()
    }
}
