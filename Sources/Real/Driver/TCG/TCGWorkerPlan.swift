import Model
import Sim

/// The worker guests a scenario needs under QEMU/TCG, one per worker Model starts with (`node<i>_worker<k>`), and
/// why a scenario cannot have them. Works from Model's own view of the grid (`ControlPlane.vms`), so the domains
/// made are exactly the ones the driver will look up.
public struct TCGWorkerPlan: Sendable {
    /// Memory given to each guest, and the estimate of what one costs the host.
    public static let memoryPerGuestMiB = 128

    public let guests: [GuestTarget]
    /// Each guest's loopback forward address, in the order of `guests`.
    public let addresses: [GuestAddress]

    public var memoryNeededMiB: Int { guests.count * Self.memoryPerGuestMiB }

    /// Checks, in order: a valid grid with worker VMs, no cloning, a loopback address for every worker, and
    /// memory for every guest (`availableMemoryMiB` nil: unknown, not checked).
    public init(scenario: Scenario, availableMemoryMiB: Int?) throws(TCGPlanError) {
        let grid = scenario.grid
        if let problem = grid.problem() { throw .scenario("scenario \(scenario.name): \(problem)") }
        guard grid.mode.usesWorkerVMs else {
            throw .scenario("scenario \(scenario.name): mode \(grid.mode) has no worker VMs, so there is no guest to run")
        }
        if let cloning = Self.cloning(in: grid) {
            throw .scenario("scenario \(scenario.name): \(cloning); a clone of a QEMU worker copies its definition, "
                + "loopback SSH forward included, so clones would share a forward with their source "
                + "(use --set policies.cloneAheadThreshold=0 --set platform.numClone=0)")
        }
        let plane = ControlPlane(config: grid)
        var guests: [GuestTarget] = []
        var addresses: [GuestAddress] = []
        for (index, vm) in plane.vms.enumerated() {
            let guest = GuestTarget(vm: VMID(index), node: vm.node, ordinal: vm.ordinal,
                                    domainName: WorkerNaming.domainName(node: vm.node, ordinal: vm.ordinal))
            guard let address = QEMUGuestChannel.forwardAddress(of: guest) else {
                throw .scenario("scenario \(scenario.name): worker \(guest.domainName) gets no loopback address "
                    + "(127.<node / 256>.<node % 256>.<ordinal> needs node < 65536 and 1 <= ordinal <= 255)")
            }
            guests.append(guest)
            addresses.append(address)
        }
        self.guests = guests
        self.addresses = addresses
        if let availableMemoryMiB, memoryNeededMiB > availableMemoryMiB {
            throw .machine("scenario \(scenario.name) starts \(guests.count) worker guests: at "
                + "\(Self.memoryPerGuestMiB) MiB each they need \(memoryNeededMiB) MiB, and this machine has "
                + "\(availableMemoryMiB) MiB available")
        }
    }

    /// How the grid would clone workers, in the scenario's words; nil if it never does.
    static func cloning(in grid: GridConfig) -> String? {
        if grid.cloneAheadThreshold > 0 && !grid.fidelity.has(.cloneAheadNeverFires) {
            return "clone-ahead is on (policies.cloneAheadThreshold \(grid.cloneAheadThreshold))"
        }
        for (index, node) in grid.nodes.enumerated() {
            switch node.startupCloning {
            case .off: continue
            case .count(let clones): return "node \(index) clones \(clones) worker(s) at start-up (platform.numClone)"
            case .keepAheadPlusOne: return "node \(index) clones at start-up (platform.numClone -1)"
            }
        }
        return nil
    }
}

/// Why `visag run --guests tcg` cannot run a scenario here.
public enum TCGPlanError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The scenario asks for something the TCG guests cannot give.
    case scenario(String)
    /// This machine cannot hold the guests.
    case machine(String)

    public var description: String {
        switch self {
        case .scenario(let message), .machine(let message): message
        }
    }
}
