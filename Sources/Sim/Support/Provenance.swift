import Foundation

/// What made an output: the visag build, the command line, when, and (for scenario commands) the
/// scenario as it ran, so that any result can be traced back and run again.
///
/// It sits beside results, never inside them: it is in no trace digest and in no CSV that runs are
/// compared by (a sweep's `results.csv` is the same byte for byte however it was sharded). The date
/// is the wall clock of the command's start: it belongs to the output, not to the simulation.
public struct Provenance: Codable, Sendable, Equatable {
    /// The scenario a command ran: the file, the `--set` overrides in order, and the document with
    /// every override applied, as one line of flow YAML (a scenario file on its own; fields it
    /// leaves out take this `version`'s defaults).
    public struct ScenarioSource: Codable, Sendable, Equatable {
        public var file: String
        public var set: [String]
        public var resolved: String

        public init(file: String, set: [String], resolved: String) {
            self.file = file
            self.set = set
            self.resolved = resolved
        }

        /// Reads `file` again with `overrides` applied. A scenario the command already loaded reads
        /// the same; a failure is a `ScenarioError` naming the file.
        public static func load(file: String, overrides: [String]) throws -> ScenarioSource {
            let document = try YAMLDocument.load(path: file, overrides: overrides)
            return ScenarioSource(file: file, set: overrides, resolved: document.root.flowText())
        }
    }

    /// The machine a measurement ran on (benchmarks).
    public struct Machine: Codable, Sendable, Equatable {
        /// `model name` of /proc/cpuinfo.
        public var cpu: String
        public var cores: Int
        /// The BLAS's own description (OpenBLAS's build configuration).
        public var blas: String
        /// The library `cblas_dgemm` resolved to.
        public var library: String
        /// The BLAS kernel the computing processes used.
        public var kernel: String

        public init(cpu: String, cores: Int, blas: String, library: String, kernel: String) {
            self.cpu = cpu
            self.cores = cores
            self.blas = blas
            self.library = library
            self.kernel = kernel
        }

        /// The first `model name` in /proc/cpuinfo ("unknown" without one).
        public static func cpuModel(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> String {
            for line in (cpuinfo ?? "").split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            return "unknown"
        }
    }

    /// visag's version.
    public var version: String
    /// The git commit the build came from ("-dirty": with uncommitted changes; "unknown").
    public var revision: String
    /// The command line, program name first.
    public var command: [String]
    /// The command's start, ISO 8601 in UTC.
    public var date: String
    public var scenario: ScenarioSource?
    /// The seed of a single run (after `--seed`).
    public var seed: UInt64?
    /// The first and last seed of a seed range (check, sweep), or every seed of a list that is not one range.
    public var seeds: [UInt64]?
    public var machine: Machine?

    public init(version: String, revision: String, command: [String], date: String) {
        self.version = version
        self.revision = revision
        self.command = command
        self.date = date
    }

    /// `date` for an instant: seconds precision, UTC, e.g. 2026-12-07T08:27:51Z.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// One JSON object, keys sorted.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { preconditionFailure("a Provenance always encodes") }
        return String(decoding: data, as: UTF8.self)
    }

    /// One line for a report people read: build, start and command (the JSON outputs carry the whole block).
    /// This block with the seeds a check ran: first and last of a contiguous range, else every seed.
    public func with(seeds list: [UInt64]) -> Provenance {
        var copy = self
        let sorted = list.sorted()
        if let first = sorted.first, let last = sorted.last, last - first + 1 == UInt64(sorted.count),
           Set(sorted).count == sorted.count {
            copy.seeds = [first, last]
        } else {
            copy.seeds = list
        }
        return copy
    }

    public var line: String {
        "visag \(version) (git \(revision)), \(date): " + command.map(Self.shellQuoted).joined(separator: " ")
    }

    /// A word as a POSIX shell would need it written.
    public static func shellQuoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@+%".contains($0) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
