import Foundation

/// What `visag check --json` prints: one object, keys sorted, for CI and scripts. Flat on purpose, so other
/// top-level blocks can join it.
public struct CheckReport: Codable, Sendable, Equatable {
    public struct Seeds: Codable, Sendable, Equatable {
        /// The seeds asked for, and those run (fewer when `--max-failures` stopped the check).
        public var requested: Int
        public var checked: [UInt64]
        public var failing: [UInt64]
    }

    public struct InvariantRow: Codable, Sendable, Equatable {
        public var invariant: String
        public var failingSeeds: [UInt64]
        public var violations: Int
    }

    /// A failing seed's first violation.
    public struct Failure: Codable, Sendable, Equatable {
        public var seed: UInt64
        public var digest: String
        public var invariant: String
        public var timeSeconds: Double
        /// `timeSeconds` as the text reports print it (`50m 04.521s`).
        public var time: String
        public var entities: String
        public var detail: String
        public var lastEvents: [String]
        /// The command that reruns this seed, as it can be pasted into a shell.
        public var replay: String
    }

    public struct Shrunk: Codable, Sendable, Equatable {
        /// The failing seed shrinking started from, and the seed that fails in the reduced scenario.
        public var fromSeed: UInt64
        public var seed: UInt64
        public var invariant: String
        /// `--set` overrides that reduce the scenario (the seed last).
        public var overrides: [String]
        public var steps: [String]
        public var runs: Int
        public var replay: String

        public init(fromSeed: UInt64, seed: UInt64, invariant: String, overrides: [String], steps: [String], runs: Int,
                    replay: String) {
            self.fromSeed = fromSeed
            self.seed = seed
            self.invariant = invariant
            self.overrides = overrides
            self.steps = steps
            self.runs = runs
            self.replay = replay
        }
    }

    public var scenario: String
    public var overrides: [String]
    public var seeds: Seeds
    /// True when `--max-failures` stopped the check before every seed ran.
    public var stoppedEarly: Bool
    public var invariants: [InvariantRow]
    public var failures: [Failure]
    public var shrunk: Shrunk?
    public var events: UInt64
    public var wallSeconds: Double
    /// What made this report (version, command line, scenario, seeds).
    public var provenance: Provenance?

    public init(scenario: String, overrides: [String], requested: Int, report: SeedCheck.Report, shrunk: Shrunk?,
                replay: (UInt64) -> String) {
        self.scenario = scenario
        self.overrides = overrides
        seeds = Seeds(requested: requested, checked: report.results.map(\.seed), failing: report.failingSeeds)
        stoppedEarly = report.results.count < requested
        invariants = report.byInvariant().map { InvariantRow(invariant: $0.invariant.rawValue, failingSeeds: $0.seeds,
                                                             violations: $0.violations) }
        failures = report.results.compactMap { result in
            guard let v = result.firstViolation else { return nil }
            return Failure(seed: result.seed, digest: result.digest, invariant: v.invariant.rawValue,
                           timeSeconds: v.timeSeconds, time: EventText.time(v.timeSeconds), entities: v.entities,
                           detail: v.detail, lastEvents: v.recentEvents, replay: replay(result.seed))
        }
        self.shrunk = shrunk
        events = report.results.reduce(0) { $0 + $1.events }
        wallSeconds = report.wallSeconds
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// JUnit XML: one test case per seed checked, a failure for each failing seed with its first violation and
    /// the command that replays it. CI systems show it as a test report.
    public func junit() -> String {
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
        let suite = "visag check " + ([scenario] + overrides.map { "--set " + $0 }).joined(separator: " ")
        let time = String(format: "%.3f", wallSeconds)
        lines.append("<testsuites tests=\"\(seeds.checked.count)\" failures=\"\(failures.count)\" time=\"\(time)\">")
        lines.append("  <testsuite name=\"\(Self.escape(suite))\" tests=\"\(seeds.checked.count)\" "
            + "failures=\"\(failures.count)\" errors=\"0\" skipped=\"0\" time=\"\(time)\">")
        var failureOf: [UInt64: Failure] = [:]
        for failure in failures { failureOf[failure.seed] = failure }
        for seed in seeds.checked {
            let open = "    <testcase classname=\"\(Self.escape(scenario))\" name=\"seed \(seed)\""
            guard let failure = failureOf[seed] else {
                lines.append(open + "/>")
                continue
            }
            lines.append(open + ">")
            let message = "\(failure.invariant) violated at \(failure.time) [\(failure.entities)]: \(failure.detail)"
            let body = ([message, "last events:"] + failure.lastEvents.map { "  " + $0 }
                + ["reproduce with: " + failure.replay]).joined(separator: "\n")
            lines.append("      <failure type=\"\(failure.invariant)\" message=\"\(Self.escape(message))\">"
                + Self.escape(body, attribute: false) + "</failure>")
            lines.append("    </testcase>")
        }
        lines.append("  </testsuite>")
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` for an XML attribute (a newline kept as `&#10;`) or element.
    static func escape(_ text: String, attribute: Bool = true) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += attribute ? "&#10;" : "\n"
            default:
                // XML 1.0 allows no other control characters.
                if c.value < 0x20 && c != "\t" && c != "\r" { out += "?" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
