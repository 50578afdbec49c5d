import Model

/// Where a series' CSV lines go: an `OutputFile` in the run's `--out` folder, or a `LineBuffer` in a test.
public protocol LineSink: AnyObject {
    func write(line: String)
}

extension OutputFile: LineSink {}

/// Lines kept in memory.
public final class LineBuffer: LineSink {
    public private(set) var text = ""

    public init() {}

    public func write(line: String) {
        text += line
        text += "\n"
    }
}

/// What the world (not Model) knows of a worker at a sampling instant: its power, and its DHCP lease where the
/// world has a DHCP server to ask.
public protocol SeriesWorld {
    /// nil: the world has not defined this VM yet.
    func power(ofVM index: Int) -> PowerState?
    func lease(ofVM index: Int) -> SeriesLease
}

public enum SeriesLease: Equatable, Sendable {
    /// This world has no DHCP server to ask (the real backend): the columns stay empty.
    case unknown
    case none
    case held(Address)
}

/// `visag run --sample-every`: the grid's state per node and per worker at t = 0, Δ, 2Δ, … up to the run's end,
/// as `node-series.csv` and `vm-series.csv` (OpenDC's host and server tables, one row per node or VM per
/// instant). The sample at t is the state after every event at t or before and before any later one. It only
/// reads: the driver calls it between two events, so the run's events, their order and its digest are those of a
/// run without it. The same writer serves both backends; each hands it Model's plane and its own `SeriesWorld`.
///
/// A sample costs one pass over the nodes, the workers and the objects; rows are (nodes + workers) × samples, and
/// at most `maxSamples` samples are taken (`truncatedAtSeconds` says where it stopped). With `keepsGridTotals`
/// it also keeps the grid's sums per instant (`gridTotals`, the report's chart); either file may be left out.
public final class RunSeries {
    public static let nodeHeader = "t_s,node,workers,free_workers,free_running_workers,reserved_workers,"
        + "vms_running,vms_suspended,vms_off,objects_running,leases,jobs"
    public static let vmHeader = "t_s,vm,node,power,holder,app,objects_running,lease,address"
    /// A bound on the samples of one run (a tiny interval over a long run would otherwise fill the disk).
    public static let maxSamples = 1_000_000

    public let intervalSeconds: Double
    public let maxSamples: Int
    /// The next sample's index k: it is taken at k × `intervalSeconds` (a product, so no error accumulates).
    public private(set) var nextIndex = 0
    /// Set when `maxSamples` were taken before the run's end: the first instant not sampled.
    public private(set) var truncatedAtSeconds: Double?
    private let nodes: LineSink?
    private let vms: LineSink?
    /// The grid's sums at each instant taken, when kept.
    public private(set) var gridTotals: GridSeries?
    // Per-sample scratch, kept so a sample allocates nothing but its lines.
    private var objectsOnNode: [Int32] = []
    private var objectsInVM: [Int32] = []

    /// `intervalSeconds` > 0 and finite. Writes the headers of the files it has.
    public init(intervalSeconds: Double, nodes: LineSink?, vms: LineSink?, keepsGridTotals: Bool = false,
                maxSamples: Int = RunSeries.maxSamples) {
        precondition(intervalSeconds > 0 && intervalSeconds.isFinite, "sampling interval \(intervalSeconds) s")
        precondition(maxSamples >= 1 && maxSamples <= RunSeries.maxSamples, "at most \(RunSeries.maxSamples) samples")
        self.intervalSeconds = intervalSeconds
        self.maxSamples = maxSamples
        self.nodes = nodes
        self.vms = vms
        if keepsGridTotals { gridTotals = GridSeries(intervalSeconds: intervalSeconds) }
        nodes?.write(line: Self.nodeHeader)
        vms?.write(line: Self.vmHeader)
    }

    /// The instant of the next sample (infinity once `maxSamples` were taken: nothing more is due).
    public var nextSeconds: Double {
        nextIndex < maxSamples ? instantSeconds(nextIndex) : .infinity
    }

    /// Takes every sample due strictly before `seconds`: the driver is about to handle an event at `seconds`.
    public func sample<World: SeriesWorld>(before seconds: Double, plane: ControlPlane, world: World) {
        while nextSeconds < seconds { record(plane: plane, world: world) }
    }

    /// Takes every sample due at `seconds` or before: the run ended at `seconds`.
    public func sample<World: SeriesWorld>(through seconds: Double, plane: ControlPlane, world: World) {
        while nextSeconds <= seconds { record(plane: plane, world: world) }
        if nextIndex >= maxSamples, instantSeconds(nextIndex) <= seconds {
            truncatedAtSeconds = instantSeconds(nextIndex)
        }
    }

    /// The k-th instant: k × `intervalSeconds` rounded to the nanosecond, so an interval such as 0.1 s gives 0.3, not
    /// 0.30000000000000004, in the files and in the loop alike.
    func instantSeconds(_ k: Int) -> Double {
        (Double(k) * intervalSeconds * 1e9).rounded() / 1e9
    }

    /// The sample at `nextSeconds`, from the state as it is now.
    public func record<World: SeriesWorld>(plane: ControlPlane, world: World) {
        let t = "\(instantSeconds(nextIndex))"
        nextIndex += 1
        countRunningObjects(plane)
        if let vms { write(vms, at: t, plane: plane, world: world) }
        var totals = NodeCounts()
        var objects = 0
        for n in 0..<plane.nodeCount {
            let node = NodeID(n)
            var counts = NodeCounts()
            for vm in plane.workers(on: node) { counts.add(plane.vms[Int(vm.index)], index: Int(vm.index), world: world) }
            totals.add(counts)
            objects += Int(objectsOnNode[n])
            nodes?.write(line: "\(t),\(n),\(counts.workers),\(counts.free),\(counts.freeRunning),\(counts.reserved),"
                         + "\(counts.running),\(counts.suspended),\(counts.off),\(objectsOnNode[n]),"
                         + "\(counts.leasesKnown ? "\(counts.leases)" : ""),\(plane.jobs(on: node))")
        }
        gridTotals?.append(freeWorkers: totals.free, reservedWorkers: totals.reserved, objectsRunning: objects,
                           leases: totals.leasesKnown ? totals.leases : nil)
    }

    private func write<World: SeriesWorld>(_ vms: LineSink, at t: String, plane: ControlPlane, world: World) {
        for (i, vm) in plane.vms.enumerated() {
            let power = world.power(ofVM: i)
            var line = "\(t),\(i),\(vm.node.index),\(power?.rawValue ?? ""),\(RunTables.holderName(vm.holder)),"
            if case .application(let app) = vm.holder { line += "\(app.index)" }
            line += ",\(objectsInVM[i]),"
            switch world.lease(ofVM: i) {
            case .unknown: line += ","
            case .none: line += "0,"
            case .held(let address): line += "1,\(address)"
            }
            vms.write(line: line)
        }
    }

    /// Objects whose host runs them (Model's `HostState.running`), per node and per worker.
    private func countRunningObjects(_ plane: ControlPlane) {
        objectsOnNode = [Int32](repeating: 0, count: plane.nodeCount)
        objectsInVM = [Int32](repeating: 0, count: plane.vms.count)
        for object in plane.objects where object.host == .running {
            if let node = object.hostNode { objectsOnNode[Int(node.index)] += 1 }
            if let vm = object.vm { objectsInVM[Int(vm.index)] += 1 }
        }
    }

    /// One node's workers, counted.
    private struct NodeCounts {
        var workers = 0, free = 0, freeRunning = 0, reserved = 0
        var running = 0, suspended = 0, off = 0
        var leases = 0
        var leasesKnown = true

        mutating func add<World: SeriesWorld>(_ vm: WorkerVM, index: Int, world: World) {
            guard vm.exists else { return }
            workers += 1
            let power = world.power(ofVM: index)
            switch vm.holder {
            case .free:
                free += 1
                if power == .running { freeRunning += 1 }
            case .application: reserved += 1
            case .cloneSource, .beingCloned, .discarded: break
            }
            switch power {
            case .running: running += 1
            case .suspended: suspended += 1
            case .off: off += 1
            case nil: break
            }
            switch world.lease(ofVM: index) {
            case .unknown: leasesKnown = false
            case .none: break
            case .held: leases += 1
            }
        }

        mutating func add(_ other: NodeCounts) {
            workers += other.workers
            free += other.free
            freeRunning += other.freeRunning
            reserved += other.reserved
            running += other.running
            suspended += other.suspended
            off += other.off
            leases += other.leases
            leasesKnown = leasesKnown && other.leasesKnown
        }
    }
}

/// The grid's sums at each sampling instant k × `intervalSeconds` (the report's chart of one run).
public struct GridSeries: Codable, Sendable, Equatable {
    public var intervalSeconds: Double
    public var freeWorkers: [Int] = []
    public var reservedWorkers: [Int] = []
    public var objectsRunning: [Int] = []
    /// nil where the world has no DHCP server to ask.
    public var leases: [Int]?

    public init(intervalSeconds: Double) {
        self.intervalSeconds = intervalSeconds
        leases = []
    }

    mutating func append(freeWorkers free: Int, reservedWorkers reserved: Int, objectsRunning objects: Int, leases held: Int?) {
        freeWorkers.append(free)
        reservedWorkers.append(reserved)
        objectsRunning.append(objects)
        if let held { leases?.append(held) } else { leases = nil }
    }

    public var count: Int { freeWorkers.count }

    /// Every k-th instant, the least k that leaves at most `points` (each kept value is the state at its instant).
    public func thinned(toAtMost points: Int) -> GridSeries {
        precondition(points >= 2)
        let stride = max(1, (count - 1 + points - 2) / (points - 1))
        guard stride > 1 else { return self }
        var thin = GridSeries(intervalSeconds: intervalSeconds * Double(stride))
        for i in Swift.stride(from: 0, to: count, by: stride) {
            thin.append(freeWorkers: freeWorkers[i], reservedWorkers: reservedWorkers[i],
                        objectsRunning: objectsRunning[i], leases: leases?[i])
        }
        return thin
    }
}
