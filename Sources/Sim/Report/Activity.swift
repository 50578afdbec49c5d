/// What a run's nodes and worker VMs did, rebuilt from its trace by `ActivityReplay`:
/// operation slices (revert, address, keys, clone, launch, object execution), application
/// instants, and each VM's state over time. Times are simulated seconds.
public struct Activity: Sendable {
    public enum Operation: String, Sendable, CaseIterable {
        case revert, suspend, shutdown, clone, boot, resume
        /// The target side of a clone: the new worker being made.
        case cloned
        case address
        case keyFetch = "key fetch"
        case keyWrite = "key write"
        /// `ssh <address> <command>` until the object answers.
        case launch
        case object
    }

    public enum Outcome: String, Sendable {
        case succeeded, failed
        /// Cancelled by the control plane (a killed object).
        case killed
        /// Replaced by a newer operation of the same kind before any answer (e.g. a DHCP
        /// server that answered nothing).
        case abandoned
        /// Still in flight when the replay stopped.
        case unfinished
    }

    public struct Slice: Sendable, Equatable {
        public var node: Int32
        /// nil: on the node itself (modes without worker VMs).
        public var vm: Int32?
        public var operation: Operation
        public var label: String
        public var startSeconds: Double
        public var endSeconds: Double
        public var outcome: Outcome
        public var app: Int32?
        /// The ids the slice is about (`object`, `target`, …): arguments in a Perfetto trace, never in the label,
        /// so slices of one kind share a name and group together.
        public var ids: [Arg] = []
    }

    public struct Instant: Sendable, Equatable {
        public var node: Int32
        public var vm: Int32?
        public var label: String
        public var timeSeconds: Double
        public var app: Int32?
        public var ids: [Arg] = []
    }

    /// One named id of a slice or an instant.
    public struct Arg: Sendable, Equatable {
        public var name: String
        public var value: Int32
        public init(_ name: String, _ value: Int32) {
            self.name = name
            self.value = value
        }
    }

    public struct StateSpan: Sendable, Equatable, Codable {
        public var state: VMState
        public var fromSeconds: Double
        public var toSeconds: Double
    }

    public struct VM: Sendable, Equatable {
        public var id: Int32
        public var node: Int32
        /// 1 for `node<i>_worker1`, 2 for its first clone, …
        public var ordinal: Int32
        public var spans: [StateSpan]
    }

    public var nodeCount: Int
    public var vms: [VM]
    public var slices: [Slice]
    public var instants: [Instant]
    /// Where the replay stopped: the run's end, or the recorder's bound.
    public var endSeconds: Double
    /// The recorder hit its event bound: everything after `endSeconds` is missing.
    public var truncated: Bool
}

/// One worker VM's state at an instant, as its node's JobMgr sees it (plus the objects the
/// world runs in it). Exactly one holds at a time; the order below is the precedence.
public enum VMState: String, Sendable, Codable, CaseIterable {
    /// Being cloned, or the source of a clone in progress.
    case cloning
    /// Preparing: reverting to the clean snapshot (for an application or at start-up/recycle).
    case reverting
    /// Preparing: resuming or booting a worker that stayed clean (`policies.wake: reuseClean`).
    case waking
    /// Preparing: waiting for the guest's address (DHCP read, renewal or reverse ping).
    case address
    /// Preparing: fetching the VM's own key or writing keys into `authorized_keys`.
    case keys
    /// Suspending or shutting down (recycle or idle timeout).
    case stopping
    /// At least one object runs in it.
    case running
    /// Reserved by an application, no object running.
    case reserved
    case suspended
    case off
    /// Free, powered on, clean.
    case free

    public var label: String {
        switch self {
        case .cloning: "cloning"
        case .reverting: "preparing: revert"
        case .waking: "preparing: resume / boot"
        case .address: "preparing: address (DHCP)"
        case .keys: "preparing: keys"
        case .stopping: "suspending / shutting down"
        case .running: "running objects"
        case .reserved: "reserved (idle)"
        case .suspended: "suspended"
        case .off: "off"
        case .free: "free"
        }
    }
}
