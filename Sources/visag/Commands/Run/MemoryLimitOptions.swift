import ArgumentParser
import Sim

/// `--max-memory`: a run whose estimated memory (`MemoryEstimate`) is larger is refused before it starts (exit 2).
struct MemoryLimitOptions: ParsableArguments {
    @Option(name: .customLong("max-memory"),
            help: "Refuse a run estimated to need more memory than this (like 8G or 512M; default: MemAvailable of /proc/meminfo).")
    var maxMemory: String?

    /// The limit for one run when `concurrentRuns` run at once (each gets its share); nil when nothing is known.
    func limitBytes(concurrentRuns: Int = 1) throws -> Int? {
        let share = max(concurrentRuns, 1)
        if let maxMemory {
            guard let bytes = MemoryEstimate.parseSize(maxMemory) else {
                throw CLIError.badInput("--max-memory: expected a size like 8G, 512M or a number of bytes, found \"\(maxMemory)\"")
            }
            return bytes / share
        }
        return MemoryEstimate.availableBytes().map { $0 / share }
    }
}
