import Model

/// The simulator's timing of Model's actions, for a driver that carries them out somewhere else: the real
/// backend's lockstep mode (`RealDriver` with `RealRunOptions.lockstep`). Every latency is drawn as `Simulation`
/// draws it: the same streams (`WorldStreams`), the same distribution per operation, the same order of draws on
/// each stream, guest operations on one VM one after another, addresses from the same DHCP pools. A driver that
/// asks this for each action in the order Model emits them, and delivers each completion at `now + delay` in
/// (time, insertion) order, hands Model the same events at the same model times as the simulator.
///
/// Only the fault-free world: `problems(of:)` lists what a scenario asks of the simulated world that this does
/// not follow (faults, bandwidth, cores, memory, defects, leases that can expire); a lockstep run refuses those.
public struct LockstepSchedule {
    public let scenario: Scenario
    private let streams: WorldStreams
    private var dhcp: [DHCPServer]
    /// Per VM: its DHCP area, its address, and when its guest is free for the next operation.
    private var area: [Int] = []
    private var address: [Address?] = []
    private var guestBusyUntil: [Double] = []
    /// Per VM: running or not, and a count of its power changes (the simulated world's `powerGeneration`).
    private var running: [Bool] = []
    private var powerGeneration: [UInt32] = []

    /// `initialNodes`: the node of each worker Model starts with, in VM order (`ControlPlane.vms`).
    public init(scenario: Scenario, initialNodes: [NodeID]) {
        self.scenario = scenario
        streams = WorldStreams(scenario: scenario)
        dhcp = (0..<scenario.dhcp.areas).map { DHCPServer(area: $0, poolSize: scenario.dhcp.poolSize) }
        for node in initialNodes { define(node: node) }
    }

    /// Why the simulator's world would time or answer some action differently than this (empty: it would not).
    public static func problems(of scenario: Scenario) -> [String] {
        var problems: [String] = []
        let f = scenario.faults
        if f.revertFailureProbability > 0 || f.cloneFailureProbability > 0 || f.objectCrashProbability > 0
            || f.mainCrashProbability > 0 || f.vmCrashesPerHour > 0 || !f.dhcpOutages.isEmpty
            || !f.hypervisorOutages.isEmpty || f.messageDelay != nil || f.shuffleTies || !f.adminRestarts.isEmpty
            || f.messageDrop != nil || f.messageDuplicate != nil {
            problems.append("faults: the simulator draws faults the real backend does not inject (remove the faults block)")
        }
        if scenario.network.bandwidthBytesPerSecond != nil {
            problems.append("network.bandwidthMBps: links that queue messages are simulated only (remove network.bandwidthMBps)")
        }
        if scenario.coresOfNode.contains(where: { $0 > 0 }) {
            problems.append("cores: objects waiting for a core are simulated only (remove the nodes' cores)")
        }
        if scenario.memoryMBOfNode.contains(where: { $0 > 0 }) {
            problems.append("memory: the simulator refuses power-ons past a node's memory; libvirt's test driver does not "
                            + "(remove the nodes' memory)")
        }
        let keyDefects = scenario.grid.fidelity.enabled.filter(Self.defectsOnGuestKeys.contains)
        if !keyDefects.isEmpty {
            problems.append("fidelity: with " + keyDefects.map(\.rawValue).joined(separator: ", ") + " a simulated guest "
                            + "can miss a key and refuse a launch; the in-process runner does not check keys (turn "
                            + "those defects off, or use fidelity: fixed)")
        }
        let clones = scenario.grid.nodes.contains { $0.maxVMs > $0.initialWorkers }
        if clones && scenario.grid.dhcpRenewal == .none {
            problems.append("policies.dhcpRenewal: a clone boots with its source's lease and, without a renewal, the "
                            + "simulator reports that stale address until the guest's own client renews it (report §4.5); "
                            + "the in-process guests have no DHCP (use dhcpRenewal: renew or reverse-ping, or maxVMs = "
                            + "initialWorkers)")
        }
        return problems
    }

    /// Defects after which a guest may lack a key Model meant it to hold: the simulated world then refuses the
    /// launch (`Simulation.launch`), which the in-process runner does not model.
    static let defectsOnGuestKeys: [Defect] = [.guestKeyAppendWithoutShell, .emptyAppIdKeyWriteDropped, .requesterKeyTakeRaces]

    /// A worker Model defined (at start-up, or a clone): it leases an address in its node's area, as the
    /// simulated world's `defineWorldVM` does. It is off until a hypervisor operation starts it.
    public mutating func define(node: NodeID) {
        let vmArea = scenario.areaOfNode[Int(node.index)]
        address.append(dhcp[vmArea].lease(for: Int32(address.count), current: nil))
        area.append(vmArea)
        guestBusyUntil.append(0)
        running.append(false)
        powerGeneration.append(0)
    }

    /// A check due `dhcp.lease` after a VM stopped running (or was defined): if it is still off then, with the
    /// same generation, the simulator's DHCP server takes its address back (`Simulation.leaseExpired`), which this
    /// schedule does not follow.
    public struct LeaseCheck: Sendable {
        public let vm: VMID
        public let generation: UInt32
        public let afterSeconds: Double
    }

    /// The check for a VM just defined (nil: leases never expire).
    public func leaseCheckAfterDefine(_ vm: VMID) -> LeaseCheck? {
        scenario.dhcp.leaseSeconds.map { LeaseCheck(vm: vm, generation: powerGeneration[Int(vm.index)], afterSeconds: $0) }
    }

    /// A hypervisor operation on `vm` succeeded: the power changes the simulated world makes (`Simulation.observe`)
    /// and the lease check each stop needs.
    public mutating func hypervisorSucceeded(_ vm: VMID, _ operation: HypervisorOperation) -> LeaseCheck? {
        switch operation {
        case .revert, .resume, .boot: return powerChanged(vm, running: true)
        case .suspend, .shutdown, .clone: return powerChanged(vm, running: false)
        }
    }

    private mutating func powerChanged(_ vm: VMID, running isRunning: Bool) -> LeaseCheck? {
        let i = Int(vm.index)
        running[i] = isRunning
        powerGeneration[i] &+= 1
        guard !isRunning, let lease = scenario.dhcp.leaseSeconds else { return nil }
        return LeaseCheck(vm: vm, generation: powerGeneration[i], afterSeconds: lease)
    }

    /// True when the check finds the VM still off since it was scheduled: its lease lapses here in the simulator.
    public func leaseLapses(_ check: LeaseCheck) -> Bool {
        let i = Int(check.vm.index)
        return powerGeneration[i] == check.generation && !running[i] && address[i] != nil
    }

    /// How long a service message takes (0 to the sender's own node).
    public func messageDelay(_ message: Message) -> Double {
        message.from == message.to ? 0 : scenario.network.latency.draw(from: streams.network)
    }

    /// How long a hypervisor operation on `node` takes.
    public func hypervisorDelay(_ operation: HypervisorOperation, node: NodeID) -> Double {
        scenario.hypervisor.delay(of: operation, from: streams.nodes[Int(node.index)])
    }

    /// How long `ssh <address> <command>` from the admin VM of `node` takes to start the object.
    public func launchDelay(node: NodeID) -> Double {
        scenario.hypervisor.launch.draw(from: streams.nodes[Int(node.index)])
    }

    /// A guest operation (key fetch, key write, address read): after the VM's previous one.
    public mutating func guestDelay(_ vm: VMID, node: NodeID, _ latency: Distribution, now: Double) -> Double {
        let i = Int(vm.index)
        let start = max(now, guestBusyUntil[i])
        let end = start + latency.draw(from: streams.nodes[Int(node.index)])
        guestBusyUntil[i] = end
        return end - now
    }

    /// An address request: how long it takes and the address the guest then reports.
    public mutating func obtainAddress(_ vm: VMID, node: NodeID, _ renewal: DHCPRenewal,
                                       now: Double) -> (delay: Double, address: Address?) {
        let i = Int(vm.index)
        let delay: Double
        switch renewal {
        case .none:
            delay = guestDelay(vm, node: node, scenario.hypervisor.addressRead, now: now)
            if address[i] == nil { renew(i) }
        case .renew:
            delay = scenario.dhcp.renew.draw(from: streams.dhcp[area[i]])
            renew(i)
        case .reversePing:
            delay = scenario.dhcp.reversePing.draw(from: streams.dhcp[area[i]])
            renew(i)
        }
        return (delay, address[i])
    }

    /// The worker that holds `address` in `vm`'s area now: where a launch at it lands, as in the simulator.
    public func holder(of address: Address, inAreaOf vm: VMID) -> VMID? {
        dhcp[area[Int(vm.index)]].holder(of: address).map { VMID(Int($0)) }
    }

    private mutating func renew(_ i: Int) {
        address[i] = dhcp[area[i]].lease(for: Int32(i), current: address[i])
    }
}

/// One run's random streams, made in the one order both the simulator and the lockstep schedule use.
struct WorldStreams {
    let network: RandomStream
    let workload: RandomStream
    let faults: RandomStream
    let dhcp: [RandomStream]
    let nodes: [RandomStream]

    init(scenario: Scenario) {
        // Nodes last: a node added to a scenario can then move no other stream's seed.
        var streams = RunStreams(seed: scenario.seed)
        network = streams.make(.network)
        workload = streams.make(.workload)
        faults = streams.make(.faults)
        dhcp = (0..<scenario.dhcp.areas).map { streams.make(.dhcp(area: $0)) }
        nodes = (0..<scenario.grid.nodes.count).map { streams.make(.node($0)) }
    }
}

extension HypervisorTimings {
    /// The latency of one hypervisor operation (the simulator's and the lockstep schedule's), without what it
    /// reads from storage.
    public func latency(of operation: HypervisorOperation) -> Distribution {
        switch operation {
        case .revert: revert
        case .suspend: suspend
        case .shutdown: shutdown
        case .boot: boot
        case .resume: resume
        case .clone: clone
        }
    }

    /// What the operation reads from (and, for a clone, writes to) the datastore, in seconds.
    public func storageSeconds(of operation: HypervisorOperation) -> Double {
        switch operation {
        case .revert: storage.revertSeconds
        case .resume: storage.resumeSeconds
        case .boot: storage.bootSeconds
        case .clone: storage.cloneSeconds
        case .suspend, .shutdown: 0
        }
    }

    /// One operation's delay: one draw from its latency, plus its storage time.
    public func delay(of operation: HypervisorOperation, from stream: RandomStream) -> Double {
        latency(of: operation).draw(from: stream) + storageSeconds(of: operation)
    }
}
