/// Inputs to the control plane. Time arrives beside each event, never from a clock.
public enum Event: Equatable, Sendable {
    /// Every node runs its start-up flow (find workers, revert, start-up cloning).
    case gridStarted
    /// An application's main starts on its main node.
    case applicationSubmitted(AppID)
    case messageDelivered(Message)
    case hypervisorFinished(VMID, HypervisorOperation, ticket: UInt32, succeeded: Bool)
    /// The guest reported an address (nil: none could be had).
    case addressObtained(VMID, Address?, ticket: UInt32)
    /// The guest-side calls of Prepare VM returned (failed: the guest channel broke).
    case vmKeyFetched(VMID, ticket: UInt32, succeeded: Bool = true)
    case keyWritten(VMID, KeyWrite, ticket: UInt32, succeeded: Bool = true)
    /// `ssh <ip> <command>` returned: the object runs (or could not start).
    case objectLaunched(ObjectID, succeeded: Bool)
    case objectFinished(ObjectID, succeeded: Bool)
    case timerFired(Alarm)
    /// The application's main process died: its AppService's destructor never runs, so no
    /// ApplicationEnd is sent.
    case applicationCrashed(AppID)
    /// The hypervisor reports a VM's power state changed behind Model's back (a crash, an
    /// operator): whatever was prepared in it is gone.
    case vmPowerObserved(VMID, PowerState)
    /// The node's admin VM restarted (a fault): its services lost their memory.
    case adminRestarted(NodeID)
}
