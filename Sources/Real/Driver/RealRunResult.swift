import Foundation
import Model
import Sim

/// What a real run did: Sim's metrics (model seconds, see `RealMetrics`), how it ended, and per worker domain
/// what the hypervisor and the guest channel were asked.
public struct RealRunResult: Sendable {
    public enum Outcome: Equatable, Sendable {
        /// Every application finished and Model's recycling is done.
        case completed
        /// The stop time (`--until` or the scenario's duration) came first.
        case limitReached
        /// `stop(reason:)` (a signal).
        case stopped(String)
        /// The run could not carry on.
        case failed(String)
        /// The scenario asked for something the run cannot do as asked (lockstep: the simulator's world would
        /// have answered differently from here on).
        case refused(String)

        public var isCompleted: Bool { self == .completed }
    }

    /// One key line the run had written into a worker, with Model's holder of that VM at that moment.
    public struct KeyWriteRecord: Equatable, Sendable {
        public let vm: VMID
        public let domain: String
        public let key: GuestKeyWrite
        public let holder: VMHolder
    }

    /// A power change of a worker that the hypervisor reported and the run did not cause, as passed to Model.
    public struct PowerObservation: Equatable, Sendable {
        public let vm: VMID
        public let domain: String
        public let power: PowerState
        /// Model's power for the VM before it heard of the change.
        public let previous: PowerState
        public let modelSeconds: Double
        /// Objects that were running (or launching) in it and died with it.
        public let objectsKilled: Int
    }

    public struct WorkerReport: Equatable, Sendable {
        public let vm: VMID
        public let domain: String
        public let createdByRun: Bool
        public let touched: Bool
        /// Every revert call: Model's, start-up recovery and clean-up.
        public let revertCalls: Int
        public let modelRevertCalls: Int
        public let cleanupReverts: Int
        public let failedCalls: Int
        public let lastOperation: String?
        public let lastOperationSucceeded: Bool
        /// No object ran and no key was written since its last successful revert.
        public let clean: Bool
        public let applicationsServed: Set<AppID>
        public let objectsRunning: Int
        /// Model's holder at the end (after a stop: when the loop stopped).
        public let holder: VMHolder?
        /// Free at the end: nothing runs in it, and Model holds it for nobody (after a completed run) or the run's
        /// clean-up reverted it (after a stop or failure).
        public let free: Bool
        /// Read at the end, before the run removed what it made.
        public let finalState: DomainState?
        public let snapshots: [String]
    }

    public var outcome: Outcome
    public var metrics: Metrics
    public var uri: String
    public var timeScale: Double
    public var workers: [WorkerReport]
    public var hypervisorCalls: [HypervisorCallRecord]
    public var keyWrites: [KeyWriteRecord]
    public var powerObservations: [PowerObservation]
    /// Worker domains made for the run (on the test driver, or the TCG guests), and those removed at the end.
    public var domainsCreated: [String]
    public var domainsRemoved: [String]
    /// Lockstep: model time was the simulator's drawn schedule, not the wall clock.
    public var lockstep = false
    /// Model's applications at the end (for `--perfetto`'s replay) and `--out`'s tables.
    public var applications: [Application]
    public var tables: RunTables

    /// Lines to print after the summary table: what is wall time, what the hypervisor did.
    public func notes() -> [String] {
        func ms(_ seconds: Double) -> String { String(format: "%.3f", seconds * 1000) }
        var lines: [String] = []
        let outcomeText: String
        switch outcome {
        case .completed: outcomeText = "completed"
        case .limitReached: outcomeText = "stopped at the stop time"
        case .stopped(let reason): outcomeText = "stopped (\(reason)); touched workers reverted"
        case .failed(let reason): outcomeText = "failed (\(reason)); touched workers reverted"
        case .refused(let reason): outcomeText = "refused (\(reason)); touched workers reverted"
        }
        lines.append("backend      real, \(uri), time scale \(timeScale) wall s per model s: \(outcomeText)")
        lines.append("time         every time above is model seconds ("
                     + (lockstep ? "lockstep: the simulator's drawn schedule" : "wall / time scale")
                     + "), except `events … s wall`; the digest is the trace's, as Model received it")
        for operation in ["revert", "suspend", "shutdown", "boot", "resume", "clone"] {
            let matching = hypervisorCalls.filter { $0.operation == operation }
            guard !matching.isEmpty else { continue }
            let summary = Summary(matching.map(\.wallSeconds))
            let failed = matching.filter { !$0.succeeded }.count
            lines.append("libvirt      \(operation): \(matching.count) calls, \(failed) failed, wall ms p50 \(ms(summary.p50))"
                         + " max \(ms(summary.max))")
        }
        for change in powerObservations {
            lines.append("outside      \(change.domain) \(change.previous) -> \(change.power) at "
                         + String(format: "%.1f", change.modelSeconds) + " s, \(change.objectsKilled) object(s) died with it")
        }
        let used = workers.filter(\.touched)
        if !used.isEmpty {
            let reverts = used.map { "\($0.domain) \($0.revertCalls)" }.joined(separator: ", ")
            lines.append("reverts      \(reverts)")
        }
        if !domainsCreated.isEmpty {
            lines.append("domains      \(domainsCreated.count) created for the run, \(domainsRemoved.count) removed at the end")
        }
        return lines
    }
}
