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
/// at most `maxSamples` samples are taken (`truncatedAtSeconds` says where it stopped).
public final class RunSeries {
    public static let nodeHeader = "t_s,node,workers,free_workers,free_running_workers,reserved_workers,"
        + "vms_running,vms_suspended,vms_off,objects_running,leases,jobs"
    public static let vmHeader = "t_s,vm,node,power,holder,app,objects_running,lease,address"
    /// A bound on the samples of one run (a tiny interval over a long run would otherwise fill the disk).
    public static let maxSamples = 1_000_000

    public let intervalSeconds: Double
    /// The next sample's index k: it is taken at k × `intervalSeconds` (a product, so no error accumulates).
    public private(set) var nextIndex = 0
    /// Set when `maxSamples` were taken before the run's end: the first instant not sampled.
    public private(set) var truncatedAtSeconds: Double?
    private let nodes: LineSink
    private let vms: LineSink
    // Per-sample scratch, kept so a sample allocates nothing but its lines.
    private var objectsOnNode: [Int32] = []
    private var objectsInVM: [Int32] = []

    /// `intervalSeconds` > 0 and finite. Writes both headers.
    public init(intervalSeconds: Double, nodes: LineSink, vms: LineSink) {
        precondition(intervalSeconds > 0 && intervalSeconds.isFinite, "sampling interval \(intervalSeconds) s")
        self.intervalSeconds = intervalSeconds
        self.nodes = nodes
        self.vms = vms
        nodes.write(line: Self.nodeHeader)
        vms.write(line: Self.vmHeader)
    }

    /// The instant of the next sample (infinity once `maxSamples` were taken: nothing more is due).
    public var nextSeconds: Double {
        nextIndex < Self.maxSamples ? Double(nextIndex) * intervalSeconds : .infinity
    }

    /// Takes every sample due strictly before `seconds`: the driver is about to handle an event at `seconds`.
    public func sample<World: SeriesWorld>(before seconds: Double, plane: ControlPlane, world: World) {
        while nextSeconds < seconds { record(plane: plane, world: world) }
    }

    /// Takes every sample due at `seconds` or before: the run ended at `seconds`.
    public func sample<World: SeriesWorld>(through seconds: Double, plane: ControlPlane, world: World) {
        while nextSeconds <= seconds { record(plane: plane, world: world) }
        if nextIndex >= Self.maxSamples, Double(nextIndex) * intervalSeconds <= seconds {
            truncatedAtSeconds = Double(nextIndex) * intervalSeconds
        }
    }

    /// The sample at `nextSeconds`, from the state as it is now.
    public func record<World: SeriesWorld>(plane: ControlPlane, world: World) {
        let t = "\(Double(nextIndex) * intervalSeconds)"
        nextIndex += 1
        countRunningObjects(plane)
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
        for n in 0..<plane.nodeCount {
            let node = NodeID(n)
            var counts = NodeCounts()
            for vm in plane.workers(on: node) { counts.add(plane.vms[Int(vm.index)], index: Int(vm.index), world: world) }
            nodes.write(line: "\(t),\(n),\(counts.workers),\(counts.free),\(counts.freeRunning),\(counts.reserved),"
                        + "\(counts.running),\(counts.suspended),\(counts.off),\(objectsOnNode[n]),"
                        + "\(counts.leasesKnown ? "\(counts.leases)" : ""),\(plane.jobs(on: node))")
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
    }
}
