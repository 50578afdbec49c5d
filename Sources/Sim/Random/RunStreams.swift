/// Hands out one run's random streams so that no two of them share a generator seed.
///
/// GSL's MT19937 takes a 32-bit seed, so two of a run's keys can fold to the same seed
/// (about 1 % of runs with 10,000 nodes) and would then draw identical sequences. A stream
/// whose seed is already taken in this run gets the key's next derivation instead. Streams
/// are made in a fixed order (the run's singletons and areas first, nodes by index last),
/// so adding a node can only move the new node's own seed: every other stream keeps its draws.
public struct RunStreams {
    public let seed: UInt64
    private var taken: Set<UInt32> = []
    /// Streams whose first derivation was taken (for tests and diagnostics).
    public private(set) var rederived: [StreamKey] = []

    public init(seed: UInt64) { self.seed = seed }

    public mutating func make(_ key: StreamKey) -> RandomStream {
        RandomStream(seed: seed, stream: key, generatorSeed: seedOf(key))
    }

    /// Takes the key's generator seed (its first derivation not yet taken in this run).
    public mutating func seedOf(_ key: StreamKey) -> UInt32 {
        var attempt: UInt32 = 0
        var generatorSeed = RandomStream.deriveGeneratorSeed(seed: seed, stream: key)
        while !taken.insert(generatorSeed).inserted {
            attempt += 1
            precondition(attempt < 1_000, "no free generator seed for \(key) after 1,000 derivations")
            generatorSeed = RandomStream.deriveGeneratorSeed(seed: seed, stream: key, attempt: attempt)
        }
        if attempt > 0 { rederived.append(key) }
        return generatorSeed
    }
}
