/// Compute power, memory and network bandwidth: what a node advertises (POPCSearchNodeInfo's
/// `power`, `memorySize`, `networkBandwidth`), what the JobMgr has available, and what an object
/// asks for (its object description's `od.power()`, `od.memory()`, `od.bandwidth()`). Whole
/// units, so adding back what was taken is exact: MFlops, MB, Mbit/s.
public struct Resources: Equatable, Sendable {
    public var powerMflops: Int64
    public var memoryMB: Int64
    public var bandwidthMbps: Int64

    public init(powerMflops: Int64 = 0, memoryMB: Int64 = 0, bandwidthMbps: Int64 = 0) {
        self.powerMflops = powerMflops
        self.memoryMB = memoryMB
        self.bandwidthMbps = bandwidthMbps
    }

    /// Nothing asked for: a request that sets no requirement.
    public static let none = Resources()

    public var isNone: Bool { self == .none }

    mutating func add(_ other: Resources, times count: Int32 = 1) {
        let count = Int64(count)
        powerMflops += other.powerMflops * count
        memoryMB += other.memoryMB * count
        bandwidthMbps += other.bandwidthMbps * count
    }

    mutating func subtract(_ other: Resources) {
        powerMflops -= other.powerMflops
        memoryMB -= other.memoryMB
        bandwidthMbps -= other.bandwidthMbps
    }

    /// The standard SearchNode's resource test of `checkResource` for an object asking for
    /// `required` (a requirement of 0 is not set and not checked): power and memory fail only
    /// when the request asks for more than is advertised; bandwidth fails when the request asks
    /// for as much or more, and only on a node that advertises some bandwidth at all.
    @inline(__always)
    func admits(_ required: Resources) -> Bool {
        if required.powerMflops > 0 && required.powerMflops > powerMflops { return false }
        if required.memoryMB > 0 && required.memoryMB > memoryMB { return false }
        if bandwidthMbps > 0 && required.bandwidthMbps > 0 && required.bandwidthMbps >= bandwidthMbps { return false }
        return true
    }
}
