import Model
import Sim

/// The grid and the application the virtual modes run through Model: one application whose w
/// parallel objects are the matrix workers, on w nodes that each have one worker VM, so that
/// Model prepares w worker VMs (`node<i>_worker1`, i = 0..<w) and launches one object in each.
enum WorkerVMScenario {
    /// The coordinator is the application's main process, on node 0.
    static let mainNode = NodeID(0)

    static func scenario(workers: Int, mode: MatrixMode) -> Scenario {
        let node = NodeConfig(maxJobs: 1, maxVMs: 1, initialWorkers: 1, startupCloning: .off)
        let grid = GridConfig(
            mode: mode == .virtualSecure ? .virtualSecure : .virtual, fidelity: .fixed,
            // Discovery lets the first answer win, and the main node answers first: every object
            // would be placed there. The least-loaded broker spreads them one per node at once,
            // with no timer in the measured preparation.
            placement: .central(broker: mainNode),
            endNotification: .targeted, recycle: .revert, dhcpRenewal: .none,
            cloneAheadThreshold: 0,
            // Without the start-up revert Model does not know the workers run, so each preparation
            // starts with its own revert: revert, address, own key, key writes, launch (§5.8).
            revertWorkersAtStartup: false,
            nodes: Array(repeating: node, count: workers))
        let job = TraceJob(id: 0, arrivalSeconds: 0, computeSeconds: 0, objects: workers)
        return Scenario(name: "matrix \(mode.rawValue) w=\(workers)", seed: 1, durationSeconds: nil, grid: grid,
                        hypervisor: HypervisorTimings(), dhcp: DHCPSettings(), network: NetworkSettings(),
                        workload: .trace(jobs: [job], mainNode: .node(Int(mainNode.index))))
    }
}
