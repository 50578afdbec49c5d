/// Outputs of the control plane: effects for the driver to carry out. Sim turns them into
/// scheduled events; Real into libvirt calls and sockets.
public enum Action: Equatable, Sendable {
    case send(Message)
    case startTimer(Alarm, afterSeconds: Double)
    case hypervisor(VMID, HypervisorOperation, ticket: UInt32)
    case obtainAddress(VMID, DHCPRenewal, ticket: UInt32)
    case fetchVMKey(VMID, ticket: UInt32)
    case writeKey(VMID, KeyWrite, ticket: UInt32)
    /// Start an object: in its worker VM at `address`, or directly on the node (vm nil).
    case launchObject(ObjectID, AppID, on: NodeID, vm: VMID?, address: Address?)
    case killObject(ObjectID, on: NodeID, vm: VMID?)
    /// A clone created a new worker: the driver registers it with its hypervisor.
    case defineVM(VMID, on: NodeID, ordinal: Int32)
    /// Reports (observations, no effect): for metrics, traces and invariant checks.
    case report(Report)
}

public enum Report: Equatable, Sendable {
    case applicationFinished(AppID, succeeded: Bool, reason: FailureReason?)
    case objectRunning(ObjectID, AppID, vmWasReady: Bool)
    case vmReserved(VMID, AppID)
    case vmFreed(VMID)
    case cloneStarted(source: VMID, target: VMID)
    case cloneFinished(target: VMID, succeeded: Bool)
    case keyDropped(VMID, KeyWrite)
    case applicationQueued(AppID)
    case reservationExpired(ObjectID)
    /// A node's JobMgr now holds `jobs` objects.
    case nodeLoad(NodeID, jobs: Int32)
    case discoveryMessage(NodeID)
    /// A duplicate discovery request made the first node delete its edge to the second.
    case neighbourRemoved(NodeID, NodeID)
    /// The central broker was told `NodeID` released more jobs than it had placed there.
    case brokerOvercounted(NodeID)
    /// A worker's own key reached the machine that runs the application's main, which now
    /// accepts it (report §5.10).
    case vmKeyAccepted(VMID, AppID, at: KeyHost)
}

/// A machine that accepts SSH keys.
public enum KeyHost: Equatable, Sendable {
    /// An admin VM: only the confidence link's keys belong there.
    case adminVM(NodeID)
    /// A user's machine running a main next to `NodeID`.
    case userMachine(NodeID)
}
