import Foundation
import Model

/// A run's peak memory, estimated from the scenario alone, so that a run that would not fit is refused (exit 2)
/// before anything is allocated instead of being killed, or swapping, hours in.
///
/// Linear in what the scenario asks for: nodes, neighbour-list entries (`full` is quadratic in the nodes), the
/// discovery request memory (`rememberedRequests` per node), worker VMs (every node at `maxVMs`), applications and
/// their objects over the whole run, and trace jobs. The coefficients are bytes per item, measured as the peak
/// RSS (`/usr/bin/time -v`) of release builds of this simulator, one dimension grown at a time from a 2-node
/// baseline (see `calibration` below) and rounded up; the estimate is meant to be high rather than low.
public struct MemoryEstimate: Sendable, Equatable {
    /// What the estimate counts.
    public struct Counts: Sendable, Equatable {
        public var nodes = 0
        public var neighbourEntries = 0
        public var rememberedRequests = 0
        public var workerVMs = 0
        public var applications = 0
        public var objects = 0
        public var traceJobs = 0

        public init() {}
    }

    /// Calibrated on 2026-12-07 (x86-64, Swift 6.3 release build, `visag run --json`, peak RSS from
    /// `/usr/bin/time -v`), minus the 2-node baseline of 33 MB, divided by the items added, then rounded up ~20%:
    /// - 100,000 nodes, `topology: none` (one worker each): 95 MB, 950 bytes a node with its worker;
    /// - 5,000 nodes, `topology: full` (25 M entries), one application: 2.1 GB, 85 bytes an entry (the discovery
    ///   flood of a full graph queues a message per entry; the lists alone take 4 bytes an entry);
    /// - 10,000 nodes × `rememberedRequests: 1000` (10 M entries): 87 MB, 8 bytes an entry;
    /// - 1,000 nodes × `maxVMs: initialWorkers: 200` (200,000 workers): 95 MB, 480 bytes a worker;
    /// - 1,000,000 applications of 1 object: 192 MB; 100,000 applications of 20 objects: 234 MB, so 80 bytes an
    ///   application and 116 an object.
    /// Workers are counted at `maxVMs` (clones can reach it), so a grid that never clones is overestimated.
    public static let calibration = (baseBytes: 40 << 20, nodeBytes: 700, neighbourEntryBytes: 100,
                                     rememberedRequestBytes: 10, workerVMBytes: 580, applicationBytes: 100,
                                     objectBytes: 140, traceJobBytes: 32)

    public var counts: Counts

    public var bytes: Int {
        let c = Self.calibration
        let parts = [(counts.nodes, c.nodeBytes), (counts.neighbourEntries, c.neighbourEntryBytes),
                     (counts.rememberedRequests, c.rememberedRequestBytes), (counts.workerVMs, c.workerVMBytes),
                     (counts.applications, c.applicationBytes), (counts.objects, c.objectBytes),
                     (counts.traceJobs, c.traceJobBytes)]
        // Saturating: a scenario of 10^6 fully connected nodes must be refused, not overflow.
        var total = c.baseBytes
        for (count, each) in parts {
            let (product, overflow) = count.multipliedReportingOverflow(by: each)
            let (sum, overflowSum) = total.addingReportingOverflow(product)
            if overflow || overflowSum { return Int.max }
            total = sum
        }
        return total
    }

    public init(counts: Counts) { self.counts = counts }

    init(grid: GridConfig, topology: ScenarioLoader.Topology, degree: Int, workload: Workload,
         durationSeconds: Double?) {
        var c = Counts()
        let n = grid.nodes.count
        c.nodes = n
        switch topology {
        case .none: c.neighbourEntries = 0
        case .full: c.neighbourEntries = n * (n - 1)
        case .ring, .line, .star: c.neighbourEntries = 2 * n
        case .random: c.neighbourEntries = 2 * n * max(1, degree - 1)
        }
        var remembered = 10
        if case .discovery(let policy) = grid.placement { remembered = max(Int(policy.rememberedRequests), 1) }
        c.rememberedRequests = n * remembered
        c.workerVMs = grid.mode.usesWorkerVMs ? grid.nodes.reduce(0) { $0 + Int($1.maxVMs) } : 0
        switch workload {
        case .poisson(let w):
            var applications = Double(w.applications)
            // A duration cuts a long Poisson workload short: count what can arrive in it (with room for chance).
            if let durationSeconds {
                applications = min(applications, w.arrivalsPerSecond * durationSeconds * 1.2 + 1_000)
            }
            c.applications = Int(applications)
            let objects = w.objectsPerApplication.mean.rounded()
            c.objects = Int(min(applications * max(objects, 1), 1e15))
        case .trace(let jobs, _):
            c.applications = jobs.count
            c.objects = jobs.reduce(0) { $0 + max($1.objects, 1) }
            c.traceJobs = jobs.count
        }
        counts = c
    }

    /// The message for a scenario over `limitBytes`: the estimate, the limit and what drives it.
    public func refusal(limitBytes: Int,
                        limitName: String = "--max-memory; default: the memory available on this machine") -> String {
        let c = counts
        return "this run needs about \(Self.format(bytes)) of memory (estimated from \(c.nodes) nodes, "
            + "\(c.neighbourEntries) neighbour entries, \(c.workerVMs) worker VMs, \(c.applications) applications, "
            + "\(c.objects) objects), more than the limit of \(Self.format(limitBytes)) "
            + "(\(limitName))"
    }

    public static func format(_ bytes: Int) -> String {
        if bytes == Int.max { return "more than 8 EiB" }
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }

    /// `MemAvailable` of `/proc/meminfo` in bytes (nil where there is none).
    public static func availableBytes(meminfo path: String = "/proc/meminfo") -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }

    /// `512M`, `8G`, `1.5T` or a number of bytes (K, M, G, T are powers of 1024; an optional `B` or `iB` follows).
    public static func parseSize(_ text: String) -> Int? {
        var body = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where body.hasSuffix(suffix) && body.count > suffix.count {
            body.removeLast(suffix.count)
            break
        }
        let scales: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
        var scale = 1.0
        if let last = body.last, let s = scales[last] {
            scale = s
            body.removeLast()
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let number = Double(body), number.isFinite else { return nil }
        let value = number * scale
        guard value >= 1, value < 9e18 else { return nil }
        return Int(value)
    }
}
