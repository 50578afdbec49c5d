import Foundation
import Model
import Sim

/// The shared vm-pool workload (SimPy and SimGrid agree on its answers): every job is an
/// application of one object, placed by the central broker on the least-loaded host; its VM
/// is reverted (30 s) and leased an address (5 s) before it computes, then shut down at once.
public enum VMPoolBenchmark {
    public static func scenario(jobs: [TraceJob], hosts: Int, slots: Int, prepSeconds: Double) -> Scenario {
        let revertSeconds = prepSeconds * 30 / 35
        let node = NodeConfig(maxJobs: Int32(slots), maxVMs: Int32(slots), initialWorkers: Int32(slots))
        let grid = GridConfig(
            mode: .virtual, fidelity: .fixed, placement: .central(broker: NodeID(0)),
            endNotification: .targeted, recycle: .shutdown, dhcpRenewal: .renew, cloneAheadThreshold: 0,
            reservationTimeoutSeconds: nil, execTimeoutSeconds: nil, revertWorkersAtStartup: false,
            nodes: Array(repeating: node, count: hosts))
        let timings = HypervisorTimings(
            revert: .fixed(revertSeconds), suspend: .fixed(0), shutdown: .fixed(0), clone: .fixed(0),
            addressRead: .fixed(0), keyFetch: .fixed(0), keyWrite: .fixed(0), launch: .fixed(0))
        let dhcp = DHCPSettings(areas: 1, poolSize: hosts * slots, leaseSeconds: nil,
                                renew: .fixed(prepSeconds - revertSeconds))
        return Scenario(name: "vm-pool", seed: 1, durationSeconds: nil, grid: grid, hypervisor: timings, dhcp: dhcp,
                        network: NetworkSettings(latency: .fixed(0)),
                        workload: .trace(jobs: jobs, mainNode: .node(0)))
    }

    /// What the reference's two lines say (`bench vm-pool --json`), with the provenance block.
    public struct Result: Codable, Sendable {
        public var jobs: Int
        public var hosts: Int
        public var endSeconds: Double
        public var meanResponseSeconds: Double
        public var meanWaitSeconds: Double
        public var queued: Int
        public var maxLoad: Int
        public var wallSeconds: Double
        public var events: UInt64
        public var eventsPerSecond: Double
        public var provenance: Provenance?

        public init(_ m: Metrics, hosts: Int) {
            jobs = m.applicationsCompleted
            self.hosts = hosts
            endSeconds = m.makespanSeconds
            meanResponseSeconds = m.meanResponseSeconds
            meanWaitSeconds = m.applicationsSubmitted > 0 ? m.waitSum / Double(m.applicationsSubmitted) : 0
            queued = Int(m.applicationsQueued)
            maxLoad = Int(m.maxNodeLoad)
            wallSeconds = m.wallSeconds
            events = UInt64(m.events)
            eventsPerSecond = m.wallSeconds > 0 ? Double(m.events) / m.wallSeconds : 0
        }
    }

    /// The reference's two lines.
    public static func report(_ m: Metrics, hosts: Int) -> String {
        let r = Result(m, hosts: hosts)
        return "jobs=\(r.jobs) hosts=\(hosts) end=\(fixed(r.endSeconds, 3)) "
            + "mean_resp=\(fixed(r.meanResponseSeconds, 6)) mean_wait=\(fixed(r.meanWaitSeconds, 6)) "
            + "queued=\(r.queued) maxload=\(r.maxLoad)\n"
            + "wall_s=\(fixed(r.wallSeconds, 3)) events=\(r.events) events_per_s=\(Int(r.eventsPerSecond.rounded()))"
    }
}

/// `%.Nf`, as C and Python print it.
public func fixed(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
