import Foundation

/// The instruction-set extensions the kernel reports for this CPU (`flags` in /proc/cpuinfo).
/// The kernel clears AVX-512 flags when it does not save the AVX-512 register state, so a flag
/// here means the instructions are usable, not merely present.
public struct CPUFeatures: Sendable, Equatable {
    public let flags: Set<String>

    public init(flags: Set<String>) { self.flags = flags }

    public static func current() -> CPUFeatures {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return CPUFeatures(flags: []) }
        return parse(cpuinfo: text)
    }

    static func parse(cpuinfo text: String) -> CPUFeatures {
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return CPUFeatures(flags: Set(line[line.index(after: colon)...].split(separator: " ").map(String.init)))
        }
        return CPUFeatures(flags: [])
    }

    /// The subset OpenBLAS's SkylakeX kernels use.
    public var hasAVX512: Bool { ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"].allSatisfy(flags.contains) }
    public var hasAVX2FMA: Bool { flags.contains("avx2") && flags.contains("fma") }
}
