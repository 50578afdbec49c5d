/// Everything Model needs to know about the grid it controls: pure values from the scenario.
public struct NodeConfig: Equatable, Sendable {
    /// Objects the node accepts at once (`maxjobs`, original 100).
    public var maxJobs: Int32
    /// Worker VMs the node may have (`maxvm`, original 4).
    public var maxVMs: Int32
    /// Workers that exist at start-up (`prefix1` … `prefixN`).
    public var initialWorkers: Int32
    /// Start-up cloning (`num_clone`).
    public var startupCloning: StartupCloning
    /// Neighbours in the discovery graph at start-up (the original's overlay then loses an edge
    /// on every duplicate discovery request).
    public var neighbours: [NodeID]
    /// What the node's JobMgr starts with and its SearchNode advertises (power, memory, bandwidth).
    /// They gate discovery only in the standard and secure builds; nothing asked for is never checked.
    public var resources: Resources

    public init(maxJobs: Int32 = 100, maxVMs: Int32 = 4, initialWorkers: Int32 = 1,
                startupCloning: StartupCloning = .off, neighbours: [NodeID] = [], resources: Resources = .none) {
        self.maxJobs = maxJobs
        self.maxVMs = maxVMs
        self.initialWorkers = initialWorkers
        self.startupCloning = startupCloning
        self.neighbours = neighbours
        self.resources = resources
    }
}

public struct GridConfig: Equatable, Sendable {
    public var mode: Mode
    public var fidelity: Fidelity
    public var placement: PlacementPolicy
    public var endNotification: EndNotification
    public var recycle: RecycleAction
    /// A free, running VM idle this long is shut down (nil: never).
    public var idleTimeoutSeconds: Double?
    public var idleAction: RecycleAction
    public var dhcpRenewal: DHCPRenewal
    public var mainHost: MainHost = .user
    /// How Prepare VM (and a recycle by revert) brings up a worker that is suspended or shut down.
    public var wake: WakePolicy = .revert
    /// Clone when fewer than this many VMs are free (`ADVANCE_VM`, original 2). 0 disables clone-ahead.
    public var cloneAheadThreshold: Int32
    /// nil: reservations never expire (a bound the scenario removed, not the faithful defect).
    public var reservationTimeoutSeconds: Double?
    /// Object start timeout (`alloc_timeout`, original 60 s); what it covers is `execTimeoutScope`.
    public var execTimeoutSeconds: Double?
    public var execTimeoutScope: ExecTimeoutScope = .callback
    /// A creation round not running after this long fails with `noReply` (nil: never, as the
    /// original, whose calls block until the connection breaks).
    public var roundTimeoutSeconds: Double?
    /// After a failed recycle at application end, retry it after this long and keep the VM held
    /// until it succeeds (nil: free it anyway, as the original does, with whatever the failed
    /// operation left in it; Model reverts it before its next use).
    public var recycleRetrySeconds: Double?
    /// Pause of an application after a failed creation round (original 120 s).
    public var errorPauseSeconds: Double
    /// Allocate + exec rounds before an application fails (original 3: `CreateObject`'s `retry`).
    public var creationRounds: Int32
    /// How long a take holds the security manager's unlocked (appId, reqId) map (`requesterKeyTakeRaces`):
    /// the iteration of a small map, microseconds.
    public var requesterKeyMapRaceSeconds: Double = 0.000_001
    /// How the initiator creates objects; see `usesOriginalCreation`.
    public var creation: CreationFlow = .perObject
    /// How long a prepare may wait for an address before it fails (fixed mode; faithful polls forever).
    public var addressWaitCapSeconds: Double
    /// The start-up flow reverts every worker it finds (the original); off models a warm pool.
    public var revertWorkersAtStartup: Bool
    public var nodes: [NodeConfig]

    public init(mode: Mode = .virtualSecure, fidelity: Fidelity = .fixed,
                placement: PlacementPolicy = .discovery(DiscoveryPolicy()),
                endNotification: EndNotification? = nil, recycle: RecycleAction = .revert,
                idleTimeoutSeconds: Double? = nil, idleAction: RecycleAction = .shutdown,
                dhcpRenewal: DHCPRenewal = .none, cloneAheadThreshold: Int32 = 2,
                reservationTimeoutSeconds: Double? = 120, execTimeoutSeconds: Double? = 60,
                errorPauseSeconds: Double = 120, creationRounds: Int32 = 3,
                addressWaitCapSeconds: Double = 300, revertWorkersAtStartup: Bool = true,
                roundTimeoutSeconds: Double? = nil, recycleRetrySeconds: Double? = nil, nodes: [NodeConfig]) {
        self.mode = mode
        self.fidelity = fidelity
        self.placement = placement
        self.endNotification = endNotification ?? GridConfig.defaultEndNotification(for: placement)
        self.recycle = recycle
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.idleAction = idleAction
        self.dhcpRenewal = dhcpRenewal
        self.cloneAheadThreshold = cloneAheadThreshold
        self.reservationTimeoutSeconds = reservationTimeoutSeconds
        self.execTimeoutSeconds = execTimeoutSeconds
        self.roundTimeoutSeconds = roundTimeoutSeconds
        self.recycleRetrySeconds = recycleRetrySeconds
        self.errorPauseSeconds = errorPauseSeconds
        self.creationRounds = creationRounds
        self.addressWaitCapSeconds = addressWaitCapSeconds
        self.revertWorkersAtStartup = revertWorkersAtStartup
        self.nodes = nodes
    }

    /// The original's `CreateObject` (per object or batch); central placement always runs rounds.
    @inline(__always)
    public var usesOriginalCreation: Bool {
        guard case .discovery = placement else { return false }
        return creation != .rounds
    }

    /// The original floods the end; a central broker's grid tells the nodes it placed on.
    public static func defaultEndNotification(for placement: PlacementPolicy) -> EndNotification {
        switch placement {
        case .discovery: .flood
        case .central: .targeted
        }
    }

    /// The first problem with this configuration, in words, or nil. Model trusts a validated config.
    public func problem() -> String? {
        if nodes.isEmpty { return "the grid has no nodes" }
        for (i, node) in nodes.enumerated() {
            if node.maxJobs < 1 { return "node \(i): maxJobs must be >= 1" }
            if mode.usesWorkerVMs {
                if node.maxVMs < 1 { return "node \(i): maxVMs must be >= 1" }
                if node.initialWorkers < 1 { return "node \(i): at least one worker VM must exist (`_worker1`)" }
                if node.initialWorkers > node.maxVMs { return "node \(i): initialWorkers exceeds maxVMs" }
            }
            for n in node.neighbours where n.index < 0 || Int(n.index) >= nodes.count || Int(n.index) == i {
                return "node \(i): neighbour \(n.index) is not another node of the grid"
            }
        }
        if case .central(let broker) = placement, broker.index < 0 || Int(broker.index) >= nodes.count {
            return "the central broker node \(broker.index) is not a node of the grid"
        }
        if creationRounds < 1 { return "creationRounds must be >= 1" }
        if let retry = recycleRetrySeconds, !(retry > 0 && retry.isFinite) { return "recycleRetrySeconds must be > 0" }
        return nil
    }
}
