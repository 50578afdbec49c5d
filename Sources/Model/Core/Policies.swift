/// Policies are values chosen per scenario, never code forks.

/// Where objects go.
public enum PlacementPolicy: Equatable, Sendable {
    /// The original: a discovery request spreads over the neighbour graph (see `DiscoveryForwarding`).
    case discovery(DiscoveryPolicy)
    /// A broker that picks the least-loaded node (ties to the lowest id), with one FIFO queue
    /// when nothing is free.
    case central(broker: NodeID)
}

public struct DiscoveryPolicy: Equatable, Sendable {
    /// Hops a request may still travel from the initiator (original default 1000).
    public var maxHops: Int32
    /// 0: wait for the first answer or `firstAnswerTimeoutSeconds`; > 0: wait exactly this long.
    public var waitSeconds: Double
    /// The initiator's cap when `waitSeconds` is 0 (the original's 20 s).
    public var firstAnswerTimeoutSeconds: Double
    /// How many recent request ids each node remembers to drop duplicates (original 10).
    public var rememberedRequests: Int32
    /// Which neighbours a node passes a request on to; the original's by default, in every fidelity.
    public var forwarding: DiscoveryForwarding

    public init(maxHops: Int32 = 1000, waitSeconds: Double = 0, firstAnswerTimeoutSeconds: Double = 20,
                rememberedRequests: Int32 = 10, forwarding: DiscoveryForwarding = .explorationList) {
        self.maxHops = maxHops
        self.waitSeconds = waitSeconds
        self.firstAnswerTimeoutSeconds = firstAnswerTimeoutSeconds
        self.rememberedRequests = rememberedRequests
        self.forwarding = forwarding
    }
}

/// How a discovery request (and a flooded ApplicationEnd) spreads over the neighbour graph.
public enum DiscoveryForwarding: String, CaseIterable, Sendable {
    /// The original: the request carries an exploration list (each node it passed and that node's
    /// neighbours); a node passes it on only to neighbours not in the list it received. A node
    /// that receives a discovery request it already knows deletes the edge it came on, at both
    /// ends, so the overlay thins out as requests overlap.
    case explorationList
    /// Every neighbour but the sender; a duplicate is dropped and the overlay never changes.
    case flood
}

/// What happens to an application's worker VM at application end.
public enum RecycleAction: String, CaseIterable, Sendable {
    /// Revert to the clean snapshot now (the 2012 code): the VM stays running and clean. Under
    /// `WakePolicy.reuseClean` a VM the application never woke (suspended or off, still clean) is resumed or
    /// booted instead.
    case revert
    /// Suspend now; the next application pays a revert from the suspended state.
    case suspend
    /// Shut down now; the next application pays a revert from the powered-off state.
    case shutdown
}

/// How Prepare VM brings up a worker that is not running (suspended or shut down).
public enum WakePolicy: String, CaseIterable, Sendable {
    /// The original (report §5.8): every worker that is not running is reverted to the clean snapshot.
    case revert
    /// A worker that stayed clean since its last revert (no object of an application ran in it and no
    /// application's key was written to it since) is resumed or booted instead; any other is reverted.
    case reuseClean

    /// The operation that brings a worker in `power` up, given whether it stayed clean since its last revert.
    public func operation(power: PowerState, cleanSinceRevert: Bool) -> HypervisorOperation {
        guard self == .reuseClean, cleanSinceRevert else { return .revert }
        switch power {
        case .suspended: return .resume
        case .off: return .boot
        case .running: return .revert
        }
    }
}

/// Where an application's main process runs, and so which machine accepts the keys of every
/// worker of the application (report §7, §9.1).
public enum MainHost: String, CaseIterable, Sendable {
    /// A user's machine beside the grid.
    case user
    /// The main node's admin VM. The report forbids it: an admin VM accepts only the keys of
    /// the confidence link, and a main there takes the keys of every worker.
    case admin
}

/// What a prepared VM does about its DHCP lease before the first job (report §4.5).
public enum DHCPRenewal: String, CaseIterable, Sendable {
    /// Trust whatever address the guest reports: the 2012 behaviour.
    case none
    /// Force a new lease before reading the address.
    case renew
    /// The guest pings the admin VM, which refreshes its address on the network.
    case reversePing = "reverse-ping"
}

/// How nodes learn that an application ended.
public enum EndNotification: String, CaseIterable, Sendable {
    /// The original: an "end" request with unlimited hops, spread as discovery requests are (over
    /// the current overlay, by the discovery policy's forwarding). The default under discovery.
    case flood
    /// Tell only the nodes that hold a reservation of the application, and the discovery
    /// responders that hold its requester key. The default under central placement, whose broker
    /// knows where it placed.
    case targeted
}

/// Start-up cloning (`num_clone`): 0 off, > 0 that many (up to maxvm), < 0 up to `threshold + 1` workers.
public enum StartupCloning: Equatable, Sendable {
    case off
    case count(Int32)
    case keepAheadPlusOne

    public init(numClone: Int) {
        if numClone == 0 { self = .off } else if numClone > 0 { self = .count(Int32(numClone)) } else { self = .keepAheadPlusOne }
    }
}

/// What the object-start timeout (`alloc_timeout`, original 60 s) covers.
public enum ExecTimeoutScope: String, CaseIterable, Sendable {
    /// The original (`JobMgr::ExecObj`): the host runs Prepare VM and starts the object synchronously, then
    /// waits this long for the object's callback; on expiry it kills the object, releases its reservation and
    /// reports the failure to the initiator. Prepare VM itself has no timeout.
    case callback
    /// The initiator's clock runs from the Execute it sends, so it covers Prepare VM (revert, address, keys)
    /// too: a slow preparation fails the creation round.
    case execution
}

/// How the initiator creates an application's objects (reference flow 5).
public enum CreationFlow: String, CaseIterable, Sendable {
    /// The original's interface (`paroc_interface`, non-batch): one `CreateObject` per object, in order.
    /// Each call discovers on its own, reserves the responders one after another and moves on to the next
    /// responder on a refusal (failing only when every responder refused), then runs `ExecObj` node by node;
    /// an `ExecObj` failure cancels that node's reservations and the call retries the objects still missing
    /// at once, up to `creationRounds` attempts (the original's `retry=3`). The first call that fails fails
    /// the application. A cancel keeps the node's VM reserved for the application until ApplicationEnd.
    case perObject
    /// The same `CreateObject`, once for all the application's objects (the interface's batch path).
    case batch
    /// visag's rounds: every object is reserved at once; any refusal or failure cancels the whole round,
    /// frees unused VMs, pauses the application `errorPause` and retries up to `creationRounds` rounds.
    /// The only flow under central placement, whose broker places a whole round.
    case rounds
}
