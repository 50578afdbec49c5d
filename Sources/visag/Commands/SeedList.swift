import ArgumentParser

/// Seeds as a user writes them: `7`, `1..100` (inclusive), and lists of both, `2,5,9` or `1..10,40,90..95`.
/// A seed named twice runs once, at its first place.
struct SeedList: ExpressibleByArgument {
    var seeds: [UInt64]
    /// A bound on the work one flag can ask for.
    static let maxSeeds = 100_000_000

    init?(argument: String) {
        var seeds: [UInt64] = []
        var seen = Set<UInt64>()
        for item in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.components(separatedBy: "..")
            let range: ClosedRange<UInt64>
            if parts.count == 1, let seed = UInt64(parts[0]) {
                range = seed...seed
            } else if parts.count == 2, let low = UInt64(parts[0]), let high = UInt64(parts[1]), low <= high,
                      high - low < UInt64(Self.maxSeeds) {
                range = low...high
            } else {
                return nil
            }
            guard seeds.count + Int(range.upperBound - range.lowerBound) < Self.maxSeeds else { return nil }
            for seed in range where seen.insert(seed).inserted { seeds.append(seed) }
        }
        guard !seeds.isEmpty else { return nil }
        self.seeds = seeds
    }

    static var defaultValueDescription: String { "A..B, N, or a comma-separated list of both" }
}
