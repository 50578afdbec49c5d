/// The global services of one node's admin VM, as data. Their behaviour lives in the
/// ControlPlane extensions of each service's folder.
@usableFromInline
struct NodeServices {
    let config: NodeConfig
    /// JobMgr: objects reserved on the node.
    var jobs: Int32 = 0
    /// JobMgr: this node's workers in ordinal order.
    @usableFromInline var vms: [VMID] = []
    /// JobMgr: workers whose holder is FREE (kept by `setHolder`, so checkVM needs no scan).
    @usableFromInline var freeVMs: Int32 = 0
    /// JobMgr: start-up flow finished (start-up reverts done).
    var started = false
    var pendingStartupReverts: Int32 = 0
    /// JobMgr: the resources not taken by its jobs (`available`), always exact.
    var available: Resources
    /// SearchNode: its job count (`psn_currentJobs`), exact in every build.
    var searchNodeJobs: Int32 = 0
    /// SearchNode: the resources it advertises (its node info), which `removeJobOverwrites` overwrites.
    var advertised: Resources
    /// SearchNode: the current neighbours (the overlay; a duplicate request deletes an edge).
    var neighbours: [NodeID]
    /// SearchNode: recently seen request ids (a ring of `rememberedRequests`).
    var seenCursor: Int32 = 0
    /// SearchNode: counter for this node's request ids.
    var requestCounter: UInt32 = 0
    /// SearchNode: counter for this node's messages to the central broker.
    var brokerSequence: UInt32 = 0
    /// Cloner: the clone in progress and those waiting (sources), one at a time.
    var cloner = Cloner()
    /// SecurityManager state.
    var security = SecurityManager()

    init(config: NodeConfig, rememberedRequests: Int) {
        self.config = config
        self.available = config.resources
        self.advertised = config.resources
        self.neighbours = config.neighbours
    }

    /// The admin VM restarted: its services' memory is empty. The worker list is found again
    /// at start-up, and the message counters go on (a real implementation would carry a
    /// restart epoch in them; without one the broker and the neighbours would take the new
    /// messages for duplicates).
    mutating func restart() {
        jobs = 0
        started = false
        pendingStartupReverts = 0
        available = config.resources
        searchNodeJobs = 0
        advertised = config.resources
        // The restarted SearchNode reads its neighbours from its configuration again.
        neighbours = config.neighbours
        seenCursor = 0
        cloner = Cloner()
        security = SecurityManager()
    }

    mutating func nextBrokerSequence() -> UInt32 {
        brokerSequence &+= 1
        return brokerSequence
    }

    mutating func nextRequestID(origin: NodeID) -> RequestID {
        requestCounter &+= 1
        return RequestID(origin: origin, counter: requestCounter)
    }

}
