/// The RAM of every node's hypervisor as its admission control sees it (like ESXi's): a running
/// worker VM holds `vmMemoryMB`, a suspended or powered-off one holds none (a suspended VM's
/// memory is on disk). A power-on takes its RAM when it is asked for, not when it completes, so
/// two power-ons racing on one node cannot both take its last room.
struct NodeMemory {
    /// False when no node has a limit: nothing is tracked and every power-on is admitted.
    let isModelled: Bool
    let vmMemoryMB: Int
    /// Per node: its limit (`Int.max`: unlimited), what running and starting VMs hold, and the most
    /// they ever held.
    private let capacityMB: [Int]
    private(set) var usedMB: [Int]
    private(set) var peakMB: [Int]
    /// Per VM: its node, whether it holds its RAM (it runs, or a power-on of it is under way), and
    /// how many admitted power-ons of it have not completed. Power-ons can overlap on one VM: an
    /// admin restart orphans a revert in flight and starts another.
    private var nodeOfVM: [Int32] = []
    private var holds: [Bool] = []
    private var pendingPowerOns: [Int32] = []

    /// `capacityMBOfNode`: 0 is unlimited.
    init(capacityMBOfNode: [Int32], vmMemoryMB: Int32) {
        isModelled = capacityMBOfNode.contains { $0 > 0 }
        precondition(!isModelled || vmMemoryMB > 0, "a node has a memory limit but a worker VM takes no memory")
        self.vmMemoryMB = Int(vmMemoryMB)
        capacityMB = capacityMBOfNode.map { $0 > 0 ? Int($0) : Int.max }
        usedMB = Array(repeating: 0, count: capacityMBOfNode.count)
        peakMB = usedMB
    }

    /// A VM joins `node`, powered off.
    mutating func vmDefined(node: Int) {
        nodeOfVM.append(Int32(node))
        holds.append(false)
        pendingPowerOns.append(0)
    }

    /// A power-on of `vm` starts. A VM that already holds its RAM keeps it; otherwise it takes it
    /// if its node has room. False: refused, nothing taken.
    mutating func admitPowerOn(vm: Int) -> Bool {
        if !holds[vm] {
            let node = Int(nodeOfVM[vm])
            guard vmMemoryMB <= capacityMB[node] - usedMB[node] else { return false }
            take(node: node)
            holds[vm] = true
        }
        pendingPowerOns[vm] += 1
        return true
    }

    /// An admitted power-on completed: the VM runs on the RAM it was admitted with.
    mutating func poweredOn(vm: Int) {
        precondition(holds[vm] && pendingPowerOns[vm] > 0, "VM \(vm) runs without being admitted")
        pendingPowerOns[vm] -= 1
    }

    /// The VM stopped running (suspended, shut down, crashed, cloned): its RAM is free, unless
    /// another power-on of it is under way.
    mutating func stoppedRunning(vm: Int) {
        guard holds[vm], pendingPowerOns[vm] == 0 else { return }
        holds[vm] = false
        let node = Int(nodeOfVM[vm])
        usedMB[node] -= vmMemoryMB
        precondition(usedMB[node] >= 0, "node \(node) holds \(usedMB[node]) MB")
    }

    private mutating func take(node: Int) {
        usedMB[node] += vmMemoryMB
        precondition(usedMB[node] <= capacityMB[node], "node \(node) holds \(usedMB[node]) MB of \(capacityMB[node])")
        if usedMB[node] > peakMB[node] { peakMB[node] = usedMB[node] }
    }
}
