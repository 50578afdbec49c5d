/// Who holds a worker VM (report: FREE or RESERVED(appId); the cloner holds a clone source).
public enum VMHolder: Equatable, Sendable {
    case free
    case application(AppID)
    /// The source of `clones` clones in progress; freed when the count returns to 0.
    case cloneSource(clones: Int32)
    /// A clone being created: counts towards `maxvm`, not yet usable.
    case beingCloned
    /// A clone that failed: gone from the pool.
    case discarded
}

/// The step a preparation (Prepare VM, report §5.8) is waiting on.
public enum PrepareStep: Equatable, Sendable {
    case reverting
    /// Resuming or booting a worker that stayed clean since its last revert (`WakePolicy.reuseClean`).
    case waking
    case obtainingAddress
    case fetchingOwnKey
    case writingKeys(remaining: Int32)
}

/// A preparation in flight: survives ApplicationEnd when the mutex defect lets the two race.
public struct Preparation: Equatable, Sendable {
    public var app: AppID
    public var step: PrepareStep
    public var ticket: UInt32
    /// The VM was reverted by this preparation (so the base keys must be written); false when it was
    /// resumed or booted, or already running.
    public var reverted: Bool
}

/// A worker VM as its node's JobMgr sees it.
public struct WorkerVM: Equatable, Sendable {
    public let node: NodeID
    /// 1 for `…_worker1`, 2 for the first clone, …
    public let ordinal: Int32
    public internal(set) var holder: VMHolder
    public internal(set) var power: PowerState
    /// The preparation in flight, if any.
    public internal(set) var preparation: Preparation?
    /// The application this VM is prepared for (address known, keys written): objects launch at once.
    public internal(set) var readyFor: AppID?
    public internal(set) var address: Address?
    /// The VM's own public key has been fetched (done once per VM).
    public internal(set) var ownKeyFetched: Bool
    /// The admin VM's key was written during the current reservation (the original's `vm_keySent`, cleared
    /// when the VM is freed): a later Prepare VM that reverts skips it.
    public internal(set) var adminKeySent: Bool
    /// Nothing of an application entered the VM since its last revert. Set when a revert succeeds; cleared when
    /// a key write or an object launch into it is issued, when a revert starts (a failed or interrupted one
    /// leaves it cleared), when a boot, resume, recycle or clone of it fails, when its power changes behind
    /// Model's back and when its admin VM restarts. A boot or resume that succeeds leaves it as it was.
    /// `WakePolicy.reuseClean` resumes or boots such a VM instead of reverting it.
    public internal(set) var cleanSinceRevert: Bool = false
    /// An application has held this VM at some time: the original's reserved appId, which `vm_free` never
    /// clears. A key written with an empty appId lands in the first VM that never had one.
    public internal(set) var everReserved: Bool = false
    /// The application whose requester key this VM holds (written once per preparation).
    public internal(set) var requesterKeyFor: AppID?
    /// That key's write has not returned yet: objects of the application wait for it.
    public internal(set) var requesterKeyInFlight: Bool = false
    /// Objects of the holding application reserved on this VM.
    public internal(set) var jobs: Int32
    /// A hypervisor operation not started by a preparation (start-up revert, recycle, idle, clone source).
    public internal(set) var maintenance: Maintenance?
    /// ApplicationEnd arrived during a preparation (the mutex, fixed mode) or a start-up revert
    /// (every mode) and waits for it.
    public internal(set) var endPending: Bool
    /// Head and tail of the objects waiting for this VM's preparation (linked through `ObjectRecord.nextWaiting`).
    var waitingHead: Int32
    var waitingTail: Int32
    /// How many objects were given up while this VM's Prepare VM ran without the mutex (listed in
    /// `ControlPlane.orphans`): the 2012 exec thread launches them anyway when the preparation returns.
    var orphanCount: Int32 = 0
    var ticketCounter: UInt32
    var idleGeneration: UInt32

    public struct Maintenance: Equatable, Sendable {
        public enum Purpose: Equatable, Sendable {
            /// The start-up flow reverts every worker it finds.
            case startup
            /// ApplicationEnd of this application recycles its VM.
            case recycle(AppID)
            /// A free VM was idle too long.
            case idle
        }
        public var operation: HypervisorOperation
        public var ticket: UInt32
        public var purpose: Purpose
    }

    init(node: NodeID, ordinal: Int32, holder: VMHolder, power: PowerState) {
        self.node = node
        self.ordinal = ordinal
        self.holder = holder
        self.power = power
        self.preparation = nil
        self.readyFor = nil
        self.address = nil
        self.ownKeyFetched = false
        self.adminKeySent = false
        self.requesterKeyFor = nil
        self.jobs = 0
        self.maintenance = nil
        self.endPending = false
        self.waitingHead = -1
        self.waitingTail = -1
        self.ticketCounter = 0
        self.idleGeneration = 0
    }

    /// Free, usable now: no operation in flight.
    public var isAvailable: Bool { holder == .free && maintenance == nil && preparation == nil }

    /// Counts towards `maxvm`.
    public var exists: Bool { holder != .discarded }

    /// Nothing prepared in the guest can be trusted any more (it stopped, or whoever knew went away):
    /// the next Prepare VM reads the address and writes the keys again.
    mutating func forgetPreparedGuest() {
        readyFor = nil
        requesterKeyFor = nil
        requesterKeyInFlight = false
        address = nil
        adminKeySent = false
        cleanSinceRevert = false
    }

    mutating func nextTicket() -> UInt32 {
        ticketCounter &+= 1
        return ticketCounter
    }
}
