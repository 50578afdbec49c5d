import Model

/// The CSV files of `--out` (applications, VMs, nodes), built from Model's final plane and what the driver saw of
/// each application and VM; the same columns on both backends.
public struct RunTables: Sendable {
    /// One worker as the driver saw it: its power at the end, and how long it ran and was reserved.
    public struct VM: Sendable {
        public var power: PowerState
        public var runningSeconds: Double
        public var reservedSeconds: Double

        public init(power: PowerState, runningSeconds: Double, reservedSeconds: Double) {
            self.power = power
            self.runningSeconds = runningSeconds
            self.reservedSeconds = reservedSeconds
        }
    }

    public var applications: String
    public var vms: String
    public var nodes: String

    /// `vms[i]` is VM i's record (a VM past the end is reported off, never run); `memory`, each node's limit (0:
    /// none) and peak, only when memory is modelled, so other runs keep their files.
    public init(plane: ControlPlane, applicationTimes: [ApplicationTimes], vms world: [VM],
                memory: (limitMB: [Int32], peakMB: [Int])? = nil) {
        var apps = "app,main_node,objects,submitted_s,placed_s,finished_s,outcome,reason\n"
        for (i, app) in plane.apps.enumerated() {
            let times = applicationTimes[i]
            let outcome = times.finishedAt.isNaN ? "unfinished" : (times.failure == nil ? "completed" : "failed")
            apps += "\(i),\(app.main.index),\(app.objectCount),\(times.submittedAt),"
                + "\(Self.csv(times.placedAt)),\(Self.csv(times.finishedAt)),\(outcome),\(times.failure?.rawValue ?? "")\n"
        }
        applications = apps
        var vms = "vm,node,ordinal,holder,power,running_s,reserved_s\n"
        for (i, vm) in plane.vms.enumerated() {
            let seen = i < world.count ? world[i] : VM(power: .off, runningSeconds: 0, reservedSeconds: 0)
            vms += "\(i),\(vm.node.index),\(vm.ordinal),\(Self.holderName(vm.holder)),\(seen.power.rawValue),"
                + "\(seen.runningSeconds),\(seen.reservedSeconds)\n"
        }
        self.vms = vms
        var nodes = "node,jobs,searchnode_jobs,workers,neighbours" + (memory != nil ? ",memory_mb,peak_memory_mb\n" : "\n")
        for i in 0..<plane.nodeCount {
            let node = NodeID(i)
            nodes += "\(i),\(plane.jobs(on: node)),\(plane.searchNodeJobs(on: node)),"
                + "\(plane.workers(on: node).count),\(plane.neighbours(of: node).count)"
            if let memory {
                let limit = memory.limitMB[i]
                nodes += ",\(limit > 0 ? "\(limit)" : ""),\(memory.peakMB[i])"
            }
            nodes += "\n"
        }
        self.nodes = nodes
    }

    public init(_ simulation: Simulation) {
        self.init(plane: simulation.plane, applicationTimes: simulation.applicationTimes,
                  vms: simulation.worldVMs.map {
                      VM(power: $0.power, runningSeconds: $0.runningSeconds, reservedSeconds: $0.reservedSeconds)
                  },
                  memory: simulation.memory.isModelled
                      ? (simulation.scenario.memoryMBOfNode, simulation.memory.peakMB) : nil)
    }

    static func csv(_ value: Double) -> String { value.isNaN ? "" : "\(value)" }

    static func holderName(_ holder: VMHolder) -> String {
        switch holder {
        case .free: "free"
        case .application(let app): "app\(app.index)"
        case .cloneSource: "clone-source"
        case .beingCloned: "being-cloned"
        case .discarded: "discarded"
        }
    }

}
