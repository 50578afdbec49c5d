import Foundation
import Model

/// Reduces a failing scenario while the same invariant still fails: fewer nodes, fewer
/// applications, fewer objects, faults off one by one, a shorter duration. Each step is a
/// `--set` override on the original file, tried with the failing seed and a few after it, so
/// the result is the original file plus the overrides that kept it failing.
public enum Shrinker {
    public struct Result: Sendable {
        /// The overrides that reduce the scenario (the seed included).
        public var overrides: [String]
        public var seed: UInt64
        public var invariant: Invariant
        /// Simulations run while shrinking.
        public var runs: Int
        public var steps: [String]
        /// The reduced scenario as a self-contained YAML document.
        public var yaml: String
    }

    public enum Failure: Error, CustomStringConvertible {
        case doesNotFail(seed: UInt64, invariant: Invariant?)
        public var description: String {
            switch self {
            case .doesNotFail(let seed, let invariant):
                "seed \(seed) breaks " + (invariant.map { "no \($0.rawValue) invariant" } ?? "no invariant")
                    + ": nothing to shrink"
            }
        }
    }

    /// Seeds tried per candidate, starting at the current one.
    static let seedsPerCandidate: UInt64 = 8
    /// A bound on the work: stop after this many simulations.
    static let maxRuns = 2_000

    public static func shrink(path: String, overrides base: [String], seed: UInt64,
                              invariant wanted: Invariant? = nil) throws -> Result {
        var runs = 0
        func violated(_ overrides: [String], _ seed: UInt64) -> [Invariant: Int]? {
            guard var scenario = try? ScenarioLoader.load(path: path, overrides: overrides) else { return nil }
            scenario.seed = seed
            var simulation = Simulation(scenario: scenario)
            runs += 1
            return simulation.run().violationCounts
        }
        guard let initial = violated(base, seed), !initial.isEmpty,
              let invariant = wanted ?? Invariant.allCases.first(where: { initial[$0] != nil }),
              initial[invariant] != nil else {
            throw Failure.doesNotFail(seed: seed, invariant: wanted)
        }
        var accepted: [String] = []
        var currentSeed = seed
        var steps: [String] = []
        var progress = true
        while progress && runs < maxRuns {
            progress = false
            let scenario = try ScenarioLoader.load(path: path, overrides: base + accepted)
            for candidate in candidates(for: scenario) where runs < maxRuns {
                let trial = base + accepted + [candidate]
                var found: UInt64? = nil
                for s in currentSeed..<(currentSeed + seedsPerCandidate) where runs < maxRuns {
                    guard let counts = violated(trial, s) else { break }
                    if counts[invariant] != nil { found = s; break }
                }
                guard let s = found else { continue }
                accepted.append(candidate)
                if s == currentSeed {
                    steps.append("\(candidate) (seed \(s))")
                } else {
                    // Shrinking changes what the random streams draw, so the same race may need another seed.
                    steps.append("\(candidate) (seed \(currentSeed) → \(s): with \(candidate), seed \(currentSeed) "
                        + "no longer breaks \(invariant.rawValue), seed \(s) does)")
                }
                currentSeed = s
                progress = true
                break
            }
        }
        let final = base + accepted + ["seed=\(currentSeed)"]
        let document = try YAMLDocument.load(path: path, overrides: final)
        return Result(overrides: collapsed(accepted + ["seed=\(currentSeed)"]), seed: currentSeed, invariant: invariant,
                      runs: runs, steps: steps, yaml: document.yaml())
    }

    /// One override per key, the last value given (`workload.applications=30 … =22` reads `=22`), keys in the
    /// order they were first reduced.
    static func collapsed(_ overrides: [String]) -> [String] {
        var keys: [Substring] = []
        var last: [Substring: String] = [:]
        for override in overrides {
            let key = override.prefix { $0 != "=" }
            if last[key] == nil { keys.append(key) }
            last[key] = override
        }
        return keys.map { last[$0]! }
    }

    /// Smaller versions of `scenario`, most aggressive first.
    static func candidates(for scenario: Scenario) -> [String] {
        var result: [String] = []
        let nodes = scenario.grid.nodes.count
        if nodes > 1 {
            result.append("platform.nodes=\(max(1, nodes / 2))")
            result.append("platform.nodes=\(nodes - 1)")
        }
        if case .poisson(let w) = scenario.workload {
            if w.applications > 1 {
                result.append("workload.applications=\(max(1, w.applications / 2))")
                result.append("workload.applications=\(w.applications - 1)")
            }
            if w.objectsPerApplication != .fixed(1) {
                result.append("workload.objects=1")
                let mean = Int(w.objectsPerApplication.mean.rounded())
                if mean > 1 { result.append("workload.objects=\(mean - 1)") }
            }
        }
        let faults = scenario.faults
        if faults.cloneFailureProbability > 0 { result.append("faults.cloneFailure=0") }
        if faults.revertFailureProbability > 0 { result.append("faults.revertFailure=0") }
        if faults.objectCrashProbability > 0 { result.append("faults.objectCrash=0") }
        if faults.mainCrashProbability > 0 { result.append("faults.mainCrash=0") }
        if !faults.adminRestarts.isEmpty { result.append("faults.adminRestarts=[]") }
        if let drop = faults.messageDrop, drop.probability > 0 { result.append("faults.messageDrop.probability=0") }
        if let copy = faults.messageDuplicate, copy.probability > 0 {
            result.append("faults.messageDuplicate.probability=0")
        }
        if let duration = scenario.durationSeconds, duration > 1 {
            result.append("duration=\(duration / 2)")
        }
        for (i, node) in scenario.grid.nodes.enumerated() where node.maxVMs > 1 && node.initialWorkers < node.maxVMs {
            result.append("platform.maxVMs=\(node.maxVMs - 1)")
            _ = i
            break
        }
        return result
    }
}
