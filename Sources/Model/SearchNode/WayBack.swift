/// The way-back path of a discovery request (popwayback in the original): the hops back to
/// the initiator. Paths share their prefixes in one bounded ring of hops, so a message
/// carries an 8-byte handle and forwarding a request allocates nothing.
///
/// The same handle is the request's exploration list (the original's ExplorationList): each
/// node on the path added itself and its neighbours of that moment, so a hop may carry the
/// neighbours it listed, kept in a second ring beside the hops.
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
    /// Per hop: where its listed neighbours start in `listed` (absolute position) and how many.
    private var listStart: [Int64]
    private var listCount: [Int32]
    private let mask: Int64
    /// Hops written so far (the next write position).
    private(set) var written: Int64 = 0
    /// The ring of listed neighbours.
    private var listed: [NodeID]
    private let listMask: Int64
    private var listWritten: Int64 = 0

    init(capacityLog2: Int = 20) {
        precondition((8...30).contains(capacityLog2), "way-back pool capacity out of range")
        // The rings grow to their capacity as hops are written: central placement never writes one.
        hop = []
        parent = []
        listStart = []
        listCount = []
        listed = []
        mask = Int64((1 << capacityLog2) - 1)
        listMask = Int64((1 << (capacityLog2 + 2)) - 1)
    }

    /// `path` with `node` appended as its newest hop, listing `neighbours` in the exploration list.
    mutating func extend(_ path: WayBack, with node: NodeID, listing neighbours: [NodeID] = []) -> WayBack {
        let slot = Int(written & mask)
        let start = listWritten
        for neighbour in neighbours {
            let k = Int(listWritten & listMask)
            if k == listed.count { listed.append(neighbour) } else { listed[k] = neighbour }
            listWritten += 1
        }
        if slot == hop.count {
            hop.append(node)
            parent.append(path.tip)
            listStart.append(start)
            listCount.append(Int32(neighbours.count))
        } else {
            hop[slot] = node
            parent[slot] = path.tip
            listStart[slot] = start
            listCount[slot] = Int32(neighbours.count)
        }
        written += 1
        return WayBack(tip: written - 1)
    }

    /// Whether the exploration list of `path` holds `node` (a hop, or a neighbour a hop listed);
    /// nil if the path or its lists were overwritten since.
    func explored(_ path: WayBack, contains node: NodeID) -> Bool? {
        var tip = path.tip
        while tip >= 0 {
            guard tip >= written - (mask + 1) else { return nil }
            let slot = Int(tip & mask)
            if hop[slot] == node { return true }
            let start = listStart[slot], count = Int64(listCount[slot])
            if count > 0 {
                guard start >= listWritten - (listMask + 1) else { return nil }
                for k in start..<(start + count) where listed[Int(k & listMask)] == node { return true }
            }
            tip = parent[slot]
        }
        return false
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
