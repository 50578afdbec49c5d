import Foundation
import Model

/// The summary of one run: what `visag run` prints and `--json` / `summary.json` hold.
public struct RunSummary: Codable, Sendable {
    public struct Latency: Codable, Sendable {
        public var count: Int
        public var mean: Double
        public var p50: Double
        public var p95: Double
        public var p99: Double
        public var max: Double

        init(_ values: [Double]) {
            let s = Summary(values)
            count = s.count
            mean = s.mean
            p50 = s.p50
            p95 = s.p95
            p99 = s.p99
            max = s.max
        }

        private enum CodingKeys: String, CodingKey { case count, mean, p50, p95, p99, max }

        /// With no sample the statistics are `null`, never 0 (a run that booted no VM has no boot time).
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(count, forKey: .count)
            for (key, value) in [(CodingKeys.mean, mean), (.p50, p50), (.p95, p95), (.p99, p99), (.max, max)] {
                if count == 0 { try c.encodeNil(forKey: key) } else { try c.encode(value, forKey: key) }
            }
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            count = try c.decode(Int.self, forKey: .count)
            func value(_ key: CodingKeys) throws -> Double { try c.decodeIfPresent(Double.self, forKey: key) ?? 0 }
            (mean, p50, p95, p99, max) = (try value(.mean), try value(.p50), try value(.p95), try value(.p99),
                                          try value(.max))
        }
    }

    public var scenario: String
    public var seed: UInt64
    public var mode: String
    public var defects: [String]
    public var nodes: Int
    public var applicationsSubmitted: Int
    public var applicationsCompleted: Int
    public var applicationsFailed: Int
    public var failureReasons: [String: Int]
    public var creationLatencyReadySeconds: Latency
    public var creationLatencyPreparedSeconds: Latency
    public var prepareRevertSeconds: Latency
    public var prepareResumeSeconds: Latency
    public var prepareBootSeconds: Latency
    public var prepareAddressSeconds: Latency
    public var prepareKeyWriteSeconds: Latency
    public var queueWaitSeconds: Latency
    /// Objects on nodes with a core count: the wait for a free core.
    public var coreWaitSeconds: Latency
    public var meanResponseSeconds: Double
    /// Mean seconds from submission to placement, over every submitted application.
    public var meanWaitSeconds: Double
    public var applicationsQueued: Int
    public var clonesStarted: Int
    public var clonesFinished: Int
    public var clonesFailed: Int
    public var vmUtilisation: Double
    public var vmHours: Double
    public var workerVMs: Int
    public var discoveryMessagesPerApplication: Double
    /// Overlay edges deleted after duplicate discovery requests (exploration-list forwarding).
    public var discoveryEdgesRemoved: Int
    public var keyWritesPerApplication: Double
    public var messages: Int
    public var messagesDropped: Int
    public var messagesDuplicated: Int
    public var maxNodeLoad: Int
    public var misdirectedLaunches: Int
    public var reservationsExpired: Int
    public var keysDropped: Int
    public var connectionsRefused: Int
    /// Workers' keys the machine running their main accepted (user machine or admin VM).
    public var workerKeysAcceptedByMain: Int
    public var vmCrashes: Int
    /// Power-ons refused because the node's running workers held all its memory.
    public var memoryRefusals: Int
    public var makespanSeconds: Double
    public var simulatedSeconds: Double
    public var events: UInt64
    public var wallSeconds: Double
    public var eventsPerSecond: Double
    public var digest: String
    /// SHA-256 of the decision log ("-": none kept): equal on two backends that made the same decisions.
    public var decisionDigest: String
    /// Violations per invariant (absent: none).
    public var invariantViolations: [String: Int]
    /// The first violations, in the order they happened (at most 5).
    public var firstViolations: [String]
    /// What made this run (build, command line, resolved scenario, seed); set by the command, absent in a
    /// sweep's run records. Beside the results: never in a digest or a compared CSV.
    public var provenance: Provenance?

    public init(scenario: Scenario, metrics m: Metrics) {
        self.scenario = scenario.name
        seed = scenario.seed
        mode = scenario.grid.mode.rawValue
        defects = scenario.grid.fidelity.enabled.map(\.rawValue)
        nodes = scenario.grid.nodes.count
        applicationsSubmitted = m.applicationsSubmitted
        applicationsCompleted = m.applicationsCompleted
        applicationsFailed = m.applicationsFailed
        failureReasons = m.failureReasons
        creationLatencyReadySeconds = Latency(m.creationLatencyReady)
        creationLatencyPreparedSeconds = Latency(m.creationLatencyPrepared)
        prepareRevertSeconds = Latency(m.prepareRevert)
        prepareResumeSeconds = Latency(m.prepareResume)
        prepareBootSeconds = Latency(m.prepareBoot)
        prepareAddressSeconds = Latency(m.prepareAddress)
        prepareKeyWriteSeconds = Latency(m.prepareKeyWrite)
        queueWaitSeconds = Latency(m.queueWait)
        coreWaitSeconds = Latency(m.coreWait)
        meanResponseSeconds = m.meanResponseSeconds
        meanWaitSeconds = m.applicationsSubmitted > 0 ? m.waitSum / Double(m.applicationsSubmitted) : 0
        applicationsQueued = m.applicationsQueued
        clonesStarted = m.clonesStarted
        clonesFinished = m.clonesFinished
        clonesFailed = m.clonesFailed
        vmUtilisation = m.vmUtilisation
        vmHours = m.vmRunningSeconds / 3600
        workerVMs = m.vmCount
        let apps = Double(max(m.applicationsSubmitted, 1))
        discoveryMessagesPerApplication = Double(m.discoveryMessages) / apps
        discoveryEdgesRemoved = m.discoveryEdgesRemoved
        keyWritesPerApplication = Double(m.keyWrites) / apps
        messages = m.messages
        messagesDropped = m.messagesDropped
        messagesDuplicated = m.messagesDuplicated
        maxNodeLoad = Int(m.maxNodeLoad)
        misdirectedLaunches = m.misdirectedLaunches
        reservationsExpired = m.reservationsExpired
        keysDropped = m.keysDropped
        connectionsRefused = m.connectionsRefused
        workerKeysAcceptedByMain = m.workerKeysAcceptedByMain
        vmCrashes = m.vmCrashes
        memoryRefusals = m.memoryRefusals
        makespanSeconds = m.makespanSeconds
        simulatedSeconds = m.simulatedSeconds
        events = m.events
        wallSeconds = m.wallSeconds
        eventsPerSecond = m.wallSeconds > 0 ? Double(m.events) / m.wallSeconds : 0
        digest = m.digest
        decisionDigest = m.decisionDigest
        invariantViolations = Dictionary(uniqueKeysWithValues: m.violationCounts.map { ($0.key.rawValue, $0.value) })
        firstViolations = m.violations.sorted { $0.timeSeconds < $1.timeSeconds }.prefix(5)
            .map { "\($0.invariant.rawValue) at \(EventText.time($0.timeSeconds)) [\($0.entities)]: \($0.detail)" }
    }

    /// One JSON object, keys sorted, so equal runs print equal bytes (wall time aside).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode(self), let text = String(data: data, encoding: .utf8) else {
            preconditionFailure("a RunSummary always encodes")
        }
        return text
    }

    /// The human-readable table.
    public func table() -> String {
        func f(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }
        func lat(_ l: Latency) -> String {
            l.count == 0 ? "-" : "p50 \(f(l.p50))  p95 \(f(l.p95))  p99 \(f(l.p99))  max \(f(l.max))  (n=\(l.count))"
        }
        var rows: [(String, String)] = [
            ("scenario", "\(scenario)  seed \(seed)  mode \(mode)  nodes \(nodes)"),
            ("defects", defects.isEmpty ? "none (fixed)" : defects.count == Defect.allCases.count ? "all (faithful)" : defects.joined(separator: ", ")),
            ("applications", "\(applicationsSubmitted) submitted, \(applicationsCompleted) completed, \(applicationsFailed) failed"),
        ]
        if !failureReasons.isEmpty {
            rows.append(("failure reasons", failureReasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        }
        rows += [
            ("creation, VM ready (s)", lat(creationLatencyReadySeconds)),
            ("creation, VM prepared (s)", lat(creationLatencyPreparedSeconds)),
            ("prepare: revert (s)", lat(prepareRevertSeconds)),
            ("prepare: resume (s)", lat(prepareResumeSeconds)),
            ("prepare: boot (s)", lat(prepareBootSeconds)),
            ("prepare: address (s)", lat(prepareAddressSeconds)),
            ("prepare: key write (s)", lat(prepareKeyWriteSeconds)),
            ("queue wait (s)", lat(queueWaitSeconds)),
            ("core wait (s)", lat(coreWaitSeconds)),
            ("mean response (s)", f(meanResponseSeconds, 6)),
            ("mean wait (s)", f(meanWaitSeconds, 6)),
            ("queued applications", "\(applicationsQueued)"),
            ("clones", "\(clonesStarted) started, \(clonesFinished) finished, \(clonesFailed) failed"),
            ("worker VMs", "\(workerVMs), utilisation \(f(vmUtilisation * 100, 1)) %, \(f(vmHours, 1)) VM-hours running"),
            ("discovery msgs / app", f(discoveryMessagesPerApplication)
                + (discoveryEdgesRemoved > 0 ? ", \(discoveryEdgesRemoved) overlay edges removed" : "")),
            ("key writes / app", f(keyWritesPerApplication)),
            ("service messages", "\(messages)" + (messagesDropped + messagesDuplicated > 0
                ? ", \(messagesDropped) dropped, \(messagesDuplicated) duplicated" : "")),
            ("max node load", "\(maxNodeLoad) objects"),
            ("misdirected launches", "\(misdirectedLaunches)"),
            ("expired reservations", "\(reservationsExpired)"),
            ("keys dropped", "\(keysDropped)"),
            ("connections refused", "\(connectionsRefused)"),
            ("worker keys at mains", "\(workerKeysAcceptedByMain) accepted"),
            ("VM crashes", "\(vmCrashes)"),
            ("memory refusals", "\(memoryRefusals)"),
            ("makespan (s)", f(makespanSeconds, 3)),
            ("simulated (s)", f(simulatedSeconds)),
            ("events", "\(events) in \(f(wallSeconds, 3)) s wall, \(Int(eventsPerSecond.rounded())) events/s"),
            ("invariants", invariantViolations.isEmpty ? "all held"
                : Invariant.allCases.compactMap { i in invariantViolations[i.rawValue].map { "\(i.rawValue) \($0)" } }
                    .joined(separator: ", ") + " violations"),
            ("digest", digest),
            ("decision digest", decisionDigest),
        ]
        for (k, v) in firstViolations.enumerated() { rows.append((k == 0 ? "first violations" : "", v)) }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
            .joined(separator: "\n")
    }
}
