// GSL exposes its generator types as mutable C globals that it never
// actually mutates; @preconcurrency lets Swift 6 read gsl_rng_mt19937.
@preconcurrency import CGSL

/// Names one independent random stream inside a scenario.
///
/// Every consumer of randomness (a node, a VM, the workload generator, …) owns
/// its own stream, so that adding or removing one consumer never shifts the
/// draws seen by another. The seed of a stream is derived from the scenario
/// seed and this key alone.
///
/// Kinds `0..<256` are reserved for the built-in constructors below; use
/// `custom(kind:index:)` with a kind of 256 or more for anything else, so that
/// a new consumer can never silently share a stream with a built-in one.
public struct StreamKey: Hashable, Sendable, CustomStringConvertible {
    public var kind: UInt32
    public var index: UInt64

    /// The smallest kind that `custom(kind:index:)` accepts.
    public static let firstCustomKind: UInt32 = 256

    // Raw values are part of the reproducibility contract: changing one
    // changes every draw of that stream in every existing scenario.
    enum BuiltinKind: UInt32 {
        case node = 1
        case vm = 2
        case workload = 3
        case network = 4
        case dhcp = 5
        case faults = 6
    }

    init(builtin: BuiltinKind, index: UInt64) {
        self.kind = builtin.rawValue
        self.index = index
    }

    public static func node(_ index: Int) -> StreamKey {
        StreamKey(builtin: .node, index: UInt64(bitPattern: Int64(index)))
    }

    public static func vm(_ index: Int) -> StreamKey {
        StreamKey(builtin: .vm, index: UInt64(bitPattern: Int64(index)))
    }

    public static let workload = StreamKey(builtin: .workload, index: 0)

    public static let network = StreamKey(builtin: .network, index: 0)

    public static func dhcp(area: Int) -> StreamKey {
        StreamKey(builtin: .dhcp, index: UInt64(bitPattern: Int64(area)))
    }

    public static let faults = StreamKey(builtin: .faults, index: 0)

    /// A stream outside the built-in families. `kind` must be at least
    /// `firstCustomKind`; a smaller one would alias a built-in stream.
    public static func custom(kind: UInt32, index: UInt64) -> StreamKey {
        precondition(
            kind >= firstCustomKind,
            "StreamKey.custom kind \(kind) is reserved for built-in streams; use \(firstCustomKind) or more")
        return StreamKey(kind: kind, index: index)
    }

    private init(kind: UInt32, index: UInt64) {
        self.kind = kind
        self.index = index
    }

    public var description: String {
        switch BuiltinKind(rawValue: kind) {
        case .node?: return "node(\(Int64(bitPattern: index)))"
        case .vm?: return "vm(\(Int64(bitPattern: index)))"
        case .workload?: return "workload"
        case .network?: return "network"
        case .dhcp?: return "dhcp(area: \(Int64(bitPattern: index)))"
        case .faults?: return "faults"
        case nil: return "custom(kind: \(kind), index: \(index))"
        }
    }
}

/// A deterministic source of random numbers: GSL's MT19937 seeded from a
/// scenario seed and a `StreamKey`.
///
/// Not thread-safe and deliberately not `Sendable`: a stream belongs to one
/// consumer, and sharing it would make draw order depend on scheduling.
public final class RandomStream {
    public let scenarioSeed: UInt64
    public let key: StreamKey
    /// The value handed to `gsl_rng_set`; logged so a run can be replayed.
    public let generatorSeed: UInt32

    /// Allocated and seeded at the first draw: a run makes a stream per node, and with fixed
    /// latencies most are never drawn from, while each generator is 5 KB of state to seed.
    private var generator: UnsafeMutablePointer<gsl_rng>?

    // Internal so `Distribution` can hand it to the gsl_ran_* samplers.
    var rng: UnsafeMutablePointer<gsl_rng> {
        @inline(__always) get {
            if let generator { return generator }
            return makeGenerator()
        }
    }

    public convenience init(seed: UInt64, stream: StreamKey) {
        self.init(seed: seed, stream: stream, generatorSeed: RandomStream.deriveGeneratorSeed(seed: seed, stream: stream))
    }

    /// A stream whose generator seed was chosen by `RunStreams` (to keep one run's seeds distinct).
    init(seed: UInt64, stream: StreamKey, generatorSeed: UInt32) {
        self.scenarioSeed = seed
        self.key = stream
        self.generatorSeed = generatorSeed
    }

    deinit {
        if let generator { gsl_rng_free(generator) }
    }

    @inline(never)
    private func makeGenerator() -> UnsafeMutablePointer<gsl_rng> {
        guard let made = gsl_rng_alloc(gsl_rng_mt19937) else {
            fatalError("gsl_rng_alloc failed: out of memory")
        }
        gsl_rng_set(made, UInt(generatorSeed))
        generator = made
        return made
    }

    /// Mixes the scenario seed with the key.
    ///
    /// GSL's MT19937 keeps only the low 32 bits of its seed and treats 0 as
    /// "use the default seed 4357", so the 64-bit mix is folded to 32 bits and
    /// a fold of 0 is replaced by a fixed nonzero constant (which is thereby
    /// only twice as likely as any other seed). With 2^32 possible seeds, some
    /// two of n streams share a seed with probability about n²/2^33: ≈1e-4
    /// for 1,000 streams, ≈1% for 10,000. A shared seed would make two consumers
    /// draw identical sequences: `RunStreams` re-derives a later stream's seed
    /// with the next `attempt` until it is unused in the run.
    public static func deriveGeneratorSeed(seed: UInt64, stream: StreamKey, attempt: UInt32 = 0) -> UInt32 {
        // Each component passes through a full avalanche step before the next
        // is added, so (kind, index) pairs cannot cancel each other out.
        var h = splitMix64(seed)
        h = splitMix64(h ^ (UInt64(stream.kind) &* 0xD6E8_FEB8_6659_FD93))
        h = splitMix64(h ^ stream.index)
        if attempt > 0 { h = splitMix64(h ^ (UInt64(attempt) &* 0xA076_1D64_78BD_642F)) }
        let folded = UInt32(truncatingIfNeeded: h ^ (h >> 32))
        return folded == 0 ? 0x6A09_E667 : folded
    }

    /// The splitmix64 output function (Steele, Lea & Flood 2014): a bijection
    /// on 64 bits with full avalanche.
    public static func splitMix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A draw in [0, 1) with 32 bits of resolution.
    @inline(__always)
    public func uniform() -> Double {
        gsl_rng_uniform(rng)
    }

    /// A uniformly distributed integer in `0..<n`, without modulo bias.
    /// `n` must be positive (a programmer error otherwise).
    public func uniformInt(below n: Int) -> Int {
        precondition(n > 0, "uniformInt(below:) needs a positive bound, got \(n)")
        // gsl_rng_uniform_int accepts bounds up to the generator's range
        // (2^32 - 1 for MT19937) and calls GSL's aborting error handler
        // beyond it, so wider bounds combine two 32-bit draws and reject the
        // biased tail here.
        if n <= Int(UInt32.max) {
            return Int(gsl_rng_uniform_int(rng, UInt(n)))
        }
        let bound = UInt64(n)
        let limit = UInt64.max - (UInt64.max % bound) // draws >= limit are biased
        while true {
            let high = UInt64(gsl_rng_get(rng)) << 32
            let value = high | UInt64(gsl_rng_get(rng))
            if value < limit {
                return Int(value % bound)
            }
        }
    }

    /// True with probability `p`. Always consumes exactly one draw, so
    /// changing `p` never shifts the draws that follow.
    /// `p` must be in 0...1; scenario loaders validate user-supplied values.
    @inline(__always)
    public func bernoulli(_ p: Double) -> Bool {
        precondition(p >= 0 && p <= 1, "bernoulli probability must be in 0...1, got \(p)")
        return gsl_rng_uniform(rng) < p
    }
}
