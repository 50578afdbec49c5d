import Foundation

/// The memory this machine can still give to new processes, from the kernel's `MemAvailable` (free memory plus
/// what caches would give back), which is what a new QEMU process can count on.
public enum HostMemory {
    /// MiB available now; nil when /proc/meminfo cannot be read or has no such line.
    public static func availableMiB() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        return availableMiB(meminfo: text)
    }

    /// The `MemAvailable:  <n> kB` line of a /proc/meminfo text, in MiB.
    public static func availableMiB(meminfo: String) -> Int? {
        for line in meminfo.split(whereSeparator: \.isNewline) where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kibibytes = Int(fields[1]), kibibytes >= 0 else { return nil }
            return kibibytes / 1024
        }
        return nil
    }
}
