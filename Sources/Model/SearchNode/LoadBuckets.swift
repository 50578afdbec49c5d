/// The central broker's open nodes grouped by job count: per count, a bitset of node ids and a
/// summary bitset of its non-empty words. The least-loaded node with the lowest id is then a
/// few word scans away, and a node's load changing by one is two bit flips: the broker asks
/// this for every object it places and tells it every job that starts or ends.
struct LoadBuckets {
    let nodeCount: Int
    private let wordsPerLevel: Int
    private let summaryWordsPerLevel: Int
    /// Level-major; levels are added as loads reach them.
    private var words: [UInt64] = []
    private var summary: [UInt64] = []
    private var population: [Int32] = []
    /// No level below this one holds a node.
    private var lowestLevel = 0
    private(set) var count = 0

    init(nodeCount: Int) {
        precondition(nodeCount >= 0 && nodeCount <= Int(Int32.max), "node count out of range")
        self.nodeCount = nodeCount
        wordsPerLevel = (nodeCount + 63) / 64
        summaryWordsPerLevel = (wordsPerLevel + 63) / 64
    }

    mutating func insert(_ node: Int, level: Int32) {
        let level = Int(level)
        precondition(node >= 0 && node < nodeCount && level >= 0, "node \(node) at load \(level)")
        while population.count <= level { addLevel() }
        let w = level * wordsPerLevel + node >> 6
        let bit: UInt64 = 1 << UInt64(node & 63)
        precondition(words[w] & bit == 0, "node \(node) already open at load \(level)")
        words[w] |= bit
        summary[level * summaryWordsPerLevel + (node >> 6) >> 6] |= 1 << UInt64((node >> 6) & 63)
        population[level] += 1
        count += 1
        if level < lowestLevel { lowestLevel = level }
    }

    mutating func remove(_ node: Int, level: Int32) {
        let level = Int(level)
        precondition(level >= 0 && level < population.count, "load \(level) has no nodes")
        let w = level * wordsPerLevel + node >> 6
        let bit: UInt64 = 1 << UInt64(node & 63)
        precondition(words[w] & bit != 0, "node \(node) is not open at load \(level)")
        words[w] &= ~bit
        if words[w] == 0 {
            summary[level * summaryWordsPerLevel + (node >> 6) >> 6] &= ~(1 << UInt64((node >> 6) & 63))
        }
        population[level] -= 1
        count -= 1
    }

    /// The open node with the fewest jobs, ties to the lowest id.
    mutating func first() -> (node: Int, level: Int32)? {
        guard count > 0 else { return nil }
        while population[lowestLevel] == 0 { lowestLevel += 1 }
        let level = lowestLevel
        for s in 0..<summaryWordsPerLevel {
            let marks = summary[level * summaryWordsPerLevel + s]
            guard marks != 0 else { continue }
            let wordIndex = s << 6 + marks.trailingZeroBitCount
            let word = words[level * wordsPerLevel + wordIndex]
            return (wordIndex << 6 + word.trailingZeroBitCount, Int32(level))
        }
        preconditionFailure("load \(level) counts \(population[level]) nodes but holds none")
    }

    private mutating func addLevel() {
        words.append(contentsOf: repeatElement(0, count: wordsPerLevel))
        summary.append(contentsOf: repeatElement(0, count: summaryWordsPerLevel))
        population.append(0)
    }
}
