/// The central broker's open nodes grouped by job count: per count, a bitset of node ids and a
/// summary bitset of its non-empty words. The least-loaded node with the lowest id is then a
/// few word scans away, and a node's load changing by one is two bit flips: the broker asks
/// this for every object it places and tells it every job that starts or ends.
///
/// A count's bitsets live in a slab taken when its first node arrives and given back (all bits
/// clear) when its last leaves, so memory follows the counts in use at once, never the highest
/// count reached (one node climbing to a million jobs must not leave a million bitsets behind).
/// Given-back slabs are reused before new ones are made: steady churn allocates nothing.
struct LoadBuckets {
    let nodeCount: Int
    private let wordsPerSlab: Int
    private let summaryWordsPerSlab: Int
    /// Slab-major: a slab's node bits, then (in `summaries`) its word marks.
    private var words: [UInt64] = []
    private var summaries: [UInt64] = []
    private var freeSlabs: [Int32] = []
    /// Per count: its slab (-1: none) and how many nodes it holds.
    private var slabOfLevel: [Int32] = []
    private var population: [Int32] = []
    /// No count below this one holds a node.
    private var lowestLevel = 0
    private(set) var count = 0

    init(nodeCount: Int) {
        precondition(nodeCount >= 0 && nodeCount <= Int(Int32.max), "node count out of range")
        self.nodeCount = nodeCount
        wordsPerSlab = (nodeCount + 63) / 64
        summaryWordsPerSlab = (wordsPerSlab + 63) / 64
    }

    /// Slabs made so far (for tests: memory follows the counts in use at once).
    var slabCount: Int { words.count / Swift.max(wordsPerSlab, 1) }

    mutating func insert(_ node: Int, level: Int32) {
        let level = Int(level)
        precondition(node >= 0 && node < nodeCount && level >= 0, "node \(node) at load \(level)")
        while population.count <= level {
            population.append(0)
            slabOfLevel.append(-1)
        }
        if slabOfLevel[level] < 0 { slabOfLevel[level] = takeSlab() }
        let slab = Int(slabOfLevel[level])
        let w = slab * wordsPerSlab + node >> 6
        let bit: UInt64 = 1 << UInt64(node & 63)
        precondition(words[w] & bit == 0, "node \(node) already open at load \(level)")
        words[w] |= bit
        summaries[slab * summaryWordsPerSlab + (node >> 6) >> 6] |= 1 << UInt64((node >> 6) & 63)
        population[level] += 1
        count += 1
        if level < lowestLevel { lowestLevel = level }
    }

    mutating func remove(_ node: Int, level: Int32) {
        let level = Int(level)
        precondition(level >= 0 && level < population.count && slabOfLevel[level] >= 0, "load \(level) has no nodes")
        let slab = Int(slabOfLevel[level])
        let w = slab * wordsPerSlab + node >> 6
        let bit: UInt64 = 1 << UInt64(node & 63)
        precondition(words[w] & bit != 0, "node \(node) is not open at load \(level)")
        words[w] &= ~bit
        if words[w] == 0 {
            summaries[slab * summaryWordsPerSlab + (node >> 6) >> 6] &= ~(1 << UInt64((node >> 6) & 63))
        }
        population[level] -= 1
        count -= 1
        if population[level] == 0 {
            // Every bit is clear again: the slab is ready for another count.
            freeSlabs.append(Int32(slab))
            slabOfLevel[level] = -1
        }
    }

    /// The open node with the fewest jobs, ties to the lowest id.
    mutating func first() -> (node: Int, level: Int32)? {
        guard count > 0 else { return nil }
        while population[lowestLevel] == 0 { lowestLevel += 1 }
        let level = lowestLevel
        let slab = Int(slabOfLevel[level])
        for s in 0..<summaryWordsPerSlab {
            let marks = summaries[slab * summaryWordsPerSlab + s]
            guard marks != 0 else { continue }
            let wordIndex = s << 6 + marks.trailingZeroBitCount
            let word = words[slab * wordsPerSlab + wordIndex]
            return (wordIndex << 6 + word.trailingZeroBitCount, Int32(level))
        }
        preconditionFailure("load \(level) counts \(population[level]) nodes but holds none")
    }

    private mutating func takeSlab() -> Int32 {
        if let slab = freeSlabs.popLast() { return slab }
        words.append(contentsOf: repeatElement(0, count: wordsPerSlab))
        summaries.append(contentsOf: repeatElement(0, count: summaryWordsPerSlab))
        return Int32(slabCount - 1)
    }
}
