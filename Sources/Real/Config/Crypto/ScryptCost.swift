/// scrypt's cost parameters (RFC 7914): N = 2^log2N, block size r, parallelism p. They are stored in each
/// file's header, so a file written with other costs still opens; the limits bound what a header may make this
/// program spend (a tampered header must not exhaust memory before the tag is checked).
public struct ScryptCost: Equatable, Sendable {
    public var log2N: UInt8
    public var blockSize: UInt32
    public var parallelism: UInt32

    /// N = 2^15, r = 8, p = 1: 32 MiB and about 0.1 s per derivation (the scrypt paper's interactive setting
    /// scaled to today's machines).
    public static let standard = ScryptCost(log2N: 15, blockSize: 8, parallelism: 1)

    public static let log2NRange: ClosedRange<UInt8> = 10...22
    public static let blockSizeRange: ClosedRange<UInt32> = 1...32
    public static let parallelismRange: ClosedRange<UInt32> = 1...16
    /// Memory a derivation may use: 128·r·(N + p) bytes must stay under this.
    public static let memoryLimitBytes: UInt64 = 1 << 30

    /// Work a derivation may do, N·r·p (its time is proportional): 2^24 is 64 times the standard's 2^18, some
    /// seconds; a header may not make the program spin for minutes before the tag is checked.
    public static let workLimit: UInt64 = 1 << 24

    public init(log2N: UInt8, blockSize: UInt32, parallelism: UInt32) {
        self.log2N = log2N
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    public var n: UInt64 { 1 << UInt64(min(log2N, 63)) }

    /// The memory scrypt needs for these parameters, in bytes.
    public var memoryBytes: UInt64 { 128 * UInt64(blockSize) * (n + UInt64(parallelism)) }

    /// The first reason these parameters are refused, or nil.
    public func problem() -> String? {
        if !Self.log2NRange.contains(log2N) {
            return "scrypt N = 2^\(log2N) is outside 2^\(Self.log2NRange.lowerBound)...2^\(Self.log2NRange.upperBound)"
        }
        if !Self.blockSizeRange.contains(blockSize) { return "scrypt r = \(blockSize) is outside \(Self.blockSizeRange)" }
        if !Self.parallelismRange.contains(parallelism) {
            return "scrypt p = \(parallelism) is outside \(Self.parallelismRange)"
        }
        if memoryBytes > Self.memoryLimitBytes {
            return "scrypt parameters need \(memoryBytes >> 20) MiB, more than \(Self.memoryLimitBytes >> 20) MiB"
        }
        // OpenSSL's own rule (RFC 7914: N < 2^(128·r/8)), checked here so its refusal is never the first word.
        if UInt64(log2N) >= 16 * UInt64(blockSize) {
            return "scrypt N = 2^\(log2N) with r = \(blockSize) breaks N < 2^(16·r) (RFC 7914; OpenSSL refuses it)"
        }
        let work = n * UInt64(blockSize) * UInt64(parallelism)
        if work > Self.workLimit {
            return "scrypt work N·r·p = \(work) is more than \(Self.workLimit) (64 times the standard cost)"
        }
        return nil
    }
}
