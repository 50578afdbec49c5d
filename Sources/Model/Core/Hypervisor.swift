/// Power state as the hypervisor reports it.
public enum PowerState: String, Equatable, Sendable {
    case off
    case suspended
    case running
}

/// Hypervisor operations Model asks for. Every one completes with `.hypervisorFinished`
/// carrying the same ticket.
public enum HypervisorOperation: Equatable, Sendable {
    /// Revert to the clean snapshot (`popc_clean`); the VM runs afterwards.
    case revert
    case suspend
    case shutdown
    /// Power on a shut-down VM as its disk is (no revert); the VM runs afterwards.
    case boot
    /// A suspended VM continues from its saved memory (no revert); the VM runs afterwards.
    case resume
    /// Clone the VM into `target` (shut down, copy, register, power on and off).
    case clone(target: VMID)

    public var name: String {
        switch self {
        case .revert: "revert"
        case .suspend: "suspend"
        case .shutdown: "shutdown"
        case .boot: "boot"
        case .resume: "resume"
        case .clone: "clone"
        }
    }
}

/// What a key write puts in a worker's `authorized_keys`.
public enum KeyKind: Equatable, Sendable {
    /// The key of the node that requested this object (from the (appId, reqId) map).
    case requester(ObjectID)
    /// The application's main node key.
    case mainNode(AppID)
    /// The admin VM's own key.
    case admin(NodeID)
    /// A worker VM's own key (Prepare VM's local write of it, with an empty appId).
    case worker(VMID)
    /// A node's own key as a discovery answer carries it (`AllocResource`'s write, with an empty appId).
    case node(NodeID)
}

public struct KeyWrite: Equatable, Sendable {
    public var kind: KeyKind
    /// The application the key is for (nil: an empty appId).
    public var app: AppID?
    /// The guest-side append reaches `authorized_keys`. False under `Defect.guestKeyAppendWithoutShell`: the
    /// copy and the command run and return success, but without a shell the `>>` is an argument of `cat`, so
    /// nothing is appended; the driver carries the write out that way and the guest does not hold the key.
    public var installs: Bool

    public init(kind: KeyKind, app: AppID?, installs: Bool = true) {
        self.kind = kind
        self.app = app
        self.installs = installs
    }

    /// Every key is written with these SSH restrictions (report §2.12).
    public var restrictions: SSHRestrictions { .popcObjectRun }
}
