import Foundation
import Model

/// Runs one scenario over a range of seeds, in parallel, and gathers invariant violations.
/// Results are kept per seed and aggregated in seed order, so they do not depend on how many
/// workers ran them.
public enum SeedCheck {
    public struct SeedResult: Sendable {
        public var seed: UInt64
        public var digest: String
        public var violationCounts: [Invariant: Int]
        public var firstViolation: InvariantViolation?
        public var events: UInt64
    }

    public struct Report: Sendable {
        public var results: [SeedResult]
        public var wallSeconds: Double

        public var failingSeeds: [UInt64] { results.filter { !$0.violationCounts.isEmpty }.map(\.seed) }

        /// Per invariant: seeds that violated it (in seed order) and the total number of violations.
        public func byInvariant() -> [(invariant: Invariant, seeds: [UInt64], violations: Int)] {
            Invariant.allCases.map { invariant in
                let hits = results.filter { $0.violationCounts[invariant] != nil }
                return (invariant, hits.map(\.seed), hits.reduce(0) { $0 + $1.violationCounts[invariant]! })
            }
        }

        public func table() -> String {
            var lines = ["invariant     failing seeds  violations  first failing seeds"]
            for row in byInvariant() {
                let first = row.seeds.prefix(8).map(String.init).joined(separator: " ")
                lines.append(row.invariant.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
                    + String(row.seeds.count).leftPadded(13) + "  " + String(row.violations).leftPadded(10)
                    + "  " + (first.isEmpty ? "-" : first))
            }
            let events = results.reduce(UInt64(0)) { $0 + $1.events }
            lines.append("\(results.count) seeds, \(failingSeeds.count) failing, \(events) events in "
                + String(format: "%.2f", wallSeconds) + " s")
            return lines.joined(separator: "\n")
        }
    }

    /// Checks `seeds` on `jobs` threads; `progress(done, failing)` is called after each seed
    /// from the worker that finished it (serialised).
    public static func run(_ scenario: Scenario, seeds: ClosedRange<UInt64>, jobs: Int,
                           progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) -> Report {
        run(scenario, seedList: Array(seeds), jobs: jobs, progress: progress)
    }

    /// Checks `seedList` in its order on `jobs` threads. With `maxFailures`, no seed is started once that many
    /// have failed (the ones already running finish), so the report holds the seeds that ran, in list order.
    /// `progress(done, failing)` is called under the results' lock, so its counts only go up.
    public static func run(_ scenario: Scenario, seedList: [UInt64], jobs: Int, maxFailures: Int? = nil,
                           progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) -> Report {
        precondition(jobs >= 1, "jobs must be >= 1")
        precondition(maxFailures.map { $0 >= 1 } ?? true, "maxFailures must be >= 1")
        let state = SharedState(count: seedList.count, maxFailures: maxFailures ?? Int.max)
        let clock = ContinuousClock()
        let start = clock.now
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, seedList.count))) { _ in
            while let index = state.nextIndex() {
                var seeded = scenario
                seeded.seed = seedList[index]
                var simulation = Simulation(scenario: seeded)
                let metrics = simulation.run()
                let first = metrics.violations.min { $0.timeSeconds < $1.timeSeconds }
                let result = SeedResult(seed: seeded.seed, digest: metrics.digest,
                                        violationCounts: metrics.violationCounts, firstViolation: first,
                                        events: metrics.events)
                state.store(result, at: index, progress: progress)
            }
        }
        let elapsed = start.duration(to: clock.now)
        return Report(results: state.results(),
                      wallSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    private final class SharedState: @unchecked Sendable {
        // Guarded by `lock`; results land at their seed's index, so order is fixed.
        private let lock = NSLock()
        private var next = 0
        private var done = 0
        private var failing = 0
        private let maxFailures: Int
        private var slots: [SeedResult?]

        init(count: Int, maxFailures: Int) {
            slots = Array(repeating: nil, count: count)
            self.maxFailures = maxFailures
        }

        func nextIndex() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard next < slots.count, failing < maxFailures else { return nil }
            next += 1
            return next - 1
        }

        func store(_ result: SeedResult, at index: Int, progress: (Int, Int) -> Void) {
            lock.lock()
            defer { lock.unlock() }
            slots[index] = result
            done += 1
            if !result.violationCounts.isEmpty { failing += 1 }
            progress(done, failing)
        }

        func results() -> [SeedResult] {
            lock.lock()
            defer { lock.unlock() }
            return slots.compactMap { $0 }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
