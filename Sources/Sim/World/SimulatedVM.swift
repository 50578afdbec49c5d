import Model

/// What the simulated hypervisor and guest know of one VM (Model's view is `WorkerVM`).
public struct SimulatedVM: Sendable {
    public internal(set) var node: Int32
    public internal(set) var area: Int32
    public internal(set) var power: PowerState = .off
    /// The address the guest believes it has (reported by the tools).
    public internal(set) var guestAddress: Address?
    /// The address recorded in the clean snapshot's lease.
    public internal(set) var snapshotAddress: Address?
    /// The DHCP lease the server holds for this VM.
    public internal(set) var leasedAddress: Address?
    /// Bumped at every power change so a stale lease-expiry event is ignored.
    public internal(set) var powerGeneration: UInt32 = 0
    /// The guest's `authorized_keys`: the admin VM's key (of this VM's node) and the applications whose
    /// requester keys it holds. The clean snapshot holds the admin key only: a revert restores that.
    public internal(set) var holdsAdminKey = false
    public internal(set) var requesterKeyApps: [Int32] = []
    /// Guest-side operations (tools, key writes) run one after another.
    public internal(set) var guestBusyUntil: Double = 0
    /// Simulated time the VM last started running (for VM-hours).
    public internal(set) var runningSince: Double = 0
    public internal(set) var runningSeconds: Double = 0
    public internal(set) var reservedSince: Double = 0
    public internal(set) var reservedSeconds: Double = 0
    /// The guest's SSH host key, as an identity: a worker defined at start-up has its own (its
    /// index); a clone gets its source's unless the clone's keys are regenerated.
    public internal(set) var hostKey: Int32 = -1
    /// Another worker may hold the same host key (a clone and its source): only then does
    /// reserving this one compare identities.
    public internal(set) var hostKeyShared = false
}

extension SimulatedVM {
    /// Whether `node`'s admin VM can log in: it holds that admin VM's key (a worker only ever gets its own
    /// node's, so a launch misdirected to another node's worker is refused).
    @inline(__always)
    func holdsAdminKey(of node: NodeID) -> Bool { holdsAdminKey && self.node == node.index }
}
